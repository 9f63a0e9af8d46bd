"""Fixtures of the service desk tests: e-mail fixtures, a ticket, files kept in a throw-away directory."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

MAIL_DIR = Path(__file__).parent / "mail"


@pytest.fixture(autouse=True)
def _media_in_tmp(settings: Any, tmp_path: Path) -> None:
    # Attachments are written through Django's default storage: keep each test's files apart.
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.KLIYAN_SERVICE_FROM_EMAIL = "Shop Help <help@shop.example>"


@pytest.fixture
def eml() -> Callable[..., bytes]:
    """Return the bytes of a fixture message; `ticket=` fills the "[T-000000]" tag with a real reference."""

    def read(name: str, ticket: Any = None) -> bytes:
        raw = (MAIL_DIR / name).read_bytes()
        if ticket is not None:
            raw = raw.replace(b"T-000000", ticket.reference.encode())
        return raw

    return read


@pytest.fixture
def ticket(db: Any, agent: Any, contact: Any) -> Any:
    from kliyan.service.services import ticket_create

    return ticket_create(actor=agent, data={
        "contact": contact.pk, "subject": "Livrare întârziată", "kind": "complaint", "channel": "phone",
        "description": "Comanda SO-1042 nu a sosit.",
    })
