"""Domain events: "this happened to customer data", for other apps to react to.

Services call `emit("order.created", payload)` (or `emit_many` on bulk paths) inside the
transaction that made the change. Subscribers, registered in an AppConfig.ready(), are
called at once, inside that same transaction, so what they write (a webhook delivery in
the outbox, say) commits or rolls back with the change itself: a change is never lost
and a rolled-back change never announced. Anything that leaves the database (an HTTP
call, a queued task) must be deferred with `transaction.on_commit` by the subscriber.

Event names are "<object>.<verb>" and are declared with `declare_event`, so pages can
offer them as choices. Payloads are JSON-able dicts that always hold "id".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise

Payload = dict[str, Any]
Subscriber = Callable[[str, Sequence[Payload]], None]


@dataclass(frozen=True)
class EventType:
    name: str
    label: str | Promise


_events: dict[str, EventType] = {}
_subscribers: list[Subscriber] = []


def declare_event(name: str, label: str | Promise) -> None:
    """Make an event known (name such as "contact.created", label for people)."""
    _events[name] = EventType(name, label)


def event_types() -> list[EventType]:
    return sorted(_events.values(), key=lambda e: e.name)


def subscribe(subscriber: Subscriber) -> None:
    """Call `subscriber(name, payloads)` for every event emitted from now on."""
    if subscriber not in _subscribers:
        _subscribers.append(subscriber)


def emit(name: str, payload: Payload) -> None:
    emit_many(name, [payload])


def emit_many(name: str, payloads: Iterable[Payload]) -> None:
    """Announce that `name` happened to each payload's object (one call for a bulk write)."""
    if name not in _events:
        raise ValueError(f"Undeclared event {name!r}: call declare_event() in the app's ready().")
    batch = list(payloads)
    if not batch:
        return
    for subscriber in list(_subscribers):
        subscriber(name, batch)
