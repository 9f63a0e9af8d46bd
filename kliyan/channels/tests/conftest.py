"""Fixtures of the channels tests: a caller with a company, a history and an open task."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.cache import cache
from django.utils import timezone

from kliyan.contacts.models import Contact
from kliyan.contacts.services import company_create, contact_create
from kliyan.core import registry
from kliyan.core.models import Organisation
from kliyan.interactions.services import interaction_log, task_create

PASSWORD = "correct horse battery"


@pytest.fixture
def haiti(db: Any) -> None:
    Organisation.objects.update_or_create(pk=1, defaults={"country": "HT"})
    cache.clear()


@pytest.fixture
def caller(haiti: None, agent: Any) -> Contact:
    """Marie-Claire Joseph of Boulangerie Soleil, who speaks Creole, calls from +509 3712 3456."""
    company = company_create(actor=agent, data={"name": "Boulangerie Soleil"})
    contact = contact_create(
        actor=agent,
        data={
            "first_name": "Marie-Claire", "last_name": "Joseph", "company": company.pk, "language": "ht",
            "phones": [{"number": "+509 3712 3456"}],
        },
    )
    for days, question in ((3, "Èske nou gen farin?"), (1, "Ki lè nou louvri dimanch?")):
        interaction_log(
            actor=agent, contact=contact,
            data={"channel": "whatsapp", "question": question, "answer": "Wi.", "occurred_at": timezone.now() - dt.timedelta(days=days)},
        )
    task_create(actor=agent, data={"title": "Rele l pou komand la", "due_date": timezone.localdate().isoformat(), "contact": contact.pk})
    return Contact.objects.select_related("company").get(pk=contact.pk)


@pytest.fixture
def only_channels_sections(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep only this app's sections, to pin the queries that are this app's own."""
    mine = {name: s for name, s in registry._pop_sections.items() if name in {"interactions", "tasks"}}
    monkeypatch.setattr(registry, "_pop_sections", mine)


@pytest.fixture
def provider() -> Any:
    """A local HTTP server speaking a provider's wire format (kliyan.channels.tests.fakes)."""
    from kliyan.channels.tests.fakes import fake_provider

    with fake_provider() as fake:
        yield fake
