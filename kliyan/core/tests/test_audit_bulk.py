"""record_many and record_rows: the audit paths of bulk writes (ingestion, imports), on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from django.db import connection

from kliyan.core.audit import audit_context, record_many, record_rows
from kliyan.core.models import AuditAction, AuditEntry

pytestmark = pytest.mark.django_db


def test_bulk_entries_keep_their_values_and_the_context_they_were_written_in(make_user) -> None:
    actor = make_user()
    with audit_context(via="api", ip_address="203.0.113.5"):
        record_many([
            {"actor_id": actor.pk, "actor_label": actor.username, "action": AuditAction.CREATE.value,
             "object_type": "commerce.order", "object_id": "41", "object_label": "POS-41", "contact_id": 7,
             "after": {"total": "12.50", "note": "Ayiti ✓"}},
            AuditEntry(actor=actor, action=AuditAction.UPDATE, object_type="commerce.order", object_id="42",
                       before={"status": "placed"}, after={"status": "paid"}),
        ])

    created, updated = AuditEntry.objects.order_by("object_id")
    assert (created.action, created.object_label, created.contact_id, created.after) == (
        "create", "POS-41", 7, {"total": "12.50", "note": "Ayiti ✓"})
    assert created.before is None
    assert (updated.before, updated.after, updated.actor_id) == ({"status": "placed"}, {"status": "paid"}, actor.pk)
    assert {(e.via, e.ip_address) for e in (created, updated)} == {("api", "203.0.113.5")}
    assert created.at is not None and created.at == updated.at


def test_nothing_to_record_writes_nothing() -> None:
    record_many([])
    assert not AuditEntry.objects.exists()


def test_entries_given_as_tuples_are_written_as_record_many_writes_them(make_user) -> None:
    actor = make_user()
    after = {"first_name": "Ștefan", "emails": ["s@example.ro"], "import": 3}
    columns = ("actor_id", "actor_label", "action", "object_type", "object_id", "object_label", "contact_id", "after")
    with audit_context(via="import", ip_address="203.0.113.9"):
        record_many([{"actor_id": actor.pk, "actor_label": actor.username, "action": AuditAction.CREATE.value,
                      "object_type": "contacts.contact", "object_id": "1", "object_label": "Ștefan", "contact_id": 1, "after": after}])
        record_rows(columns, [(actor.pk, actor.username, AuditAction.CREATE.value, "contacts.contact", "2", "Ștefan", 2,
                               connection.ops.adapt_json_value(after, None))])
        record_rows(columns, [])

    fields = ("actor_id", "actor_label", "action", "object_type", "object_label", "after", "before", "via", "ip_address")
    by_mapping, by_tuple = AuditEntry.objects.order_by("object_id").values_list(*fields)
    assert by_mapping == by_tuple
    assert by_tuple[5] == after and by_tuple[7:] == ("import", "203.0.113.9")
