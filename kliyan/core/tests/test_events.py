"""Domain events reach subscribers inside the transaction that made the change."""

from __future__ import annotations

import pytest

from kliyan.core import events


@pytest.fixture
def received(monkeypatch):
    monkeypatch.setattr(events, "_subscribers", [])
    monkeypatch.setattr(events, "_events", {})
    got: list[tuple[str, list]] = []
    events.subscribe(lambda name, payloads: got.append((name, list(payloads))))
    return got


def test_a_declared_event_reaches_every_subscriber_once_per_batch(received):
    events.declare_event("order.created", "Order created")
    events.emit_many("order.created", [{"id": 1}, {"id": 2}])
    events.emit("order.created", {"id": 3})
    assert received == [("order.created", [{"id": 1}, {"id": 2}]), ("order.created", [{"id": 3}])]


def test_an_undeclared_event_is_a_programming_error(received):
    with pytest.raises(ValueError, match="order.shipped"):
        events.emit("order.shipped", {"id": 1})
    assert received == []


def test_an_empty_batch_announces_nothing(received):
    events.declare_event("order.created", "Order created")
    events.emit_many("order.created", [])
    assert received == []
