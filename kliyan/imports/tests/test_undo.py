"""Undoing an import: what it created goes (or is archived if it has gained history), what it changed comes back."""

from __future__ import annotations

import pytest

from kliyan.contacts.models import Company, Contact, EmailAddress, Tag
from kliyan.contacts.services import contact_create, contact_update
from kliyan.core.models import AuditEntry
from kliyan.dedupe.merge import contact_merge
from kliyan.imports import services
from kliyan.imports.choices import ImportStatus
from kliyan.interactions.services import note_add

pytestmark = pytest.mark.django_db


def undo(imported, actor):
    started = services.import_undo(actor=actor, import_=imported, enqueue=False)
    return services.run_undo(import_id=started.pk, runner=started.runner, actor=actor)


def test_undo_deletes_the_people_and_companies_the_import_created(importer, manager):
    imported = importer("Name,Email,Company\nAna Pop,ana@example.ro,Cofetăria Dulce\nIon Pop,ion@example.ro,Cofetăria Dulce\n")

    done = undo(imported, manager)

    assert done.status == ImportStatus.UNDONE and done.undone_at is not None
    assert done.undo_summary == {"deleted": 3, "archived": 0, "reverted": 0, "kept": 0}
    assert not Contact.objects.exists() and not Company.objects.exists() and not EmailAddress.objects.exists()
    assert AuditEntry.objects.filter(action="delete", object_type="contacts.contact", actor=manager).count() == 2


def test_a_created_contact_that_has_gained_history_is_archived_not_deleted(importer, manager, agent):
    imported = importer("Name,Email\nAna Pop,ana@example.ro\nIon Pop,ion@example.ro\n")
    ana = Contact.objects.get(first_name="Ana")
    note_add(actor=agent, contact=ana, body="Called about her order")

    done = undo(imported, manager)

    assert (done.undo_summary["deleted"], done.undo_summary["archived"]) == (1, 1)
    ana.refresh_from_db()
    assert ana.archived_at is not None
    assert not Contact.objects.filter(first_name="Ion").exists()


def test_a_created_contact_edited_after_the_import_is_archived(importer, manager, agent):
    imported = importer("Name,Email\nAna Pop,ana@example.ro\n")
    contact_update(actor=agent, contact=Contact.objects.get(), data={"job_title": "Pâtissière"})

    done = undo(imported, manager)

    assert done.undo_summary["archived"] == 1
    assert Contact.objects.get().archived_at is not None


def test_merged_contacts_the_import_created_stay_as_they_are(importer, manager):
    kept = contact_create(actor=manager, data={"first_name": "Ana", "last_name": "Popescu"})
    imported = importer("Name,Email\nAna Pop,ana@example.ro\nIon Pop,ion@example.ro\nMara Pop,mara@example.ro\n")
    ana, ion = Contact.objects.get(first_name="Ana", last_name="Pop"), Contact.objects.get(first_name="Ion")
    contact_merge(actor=manager, survivor_id=kept.pk, merged_ids=[ana.pk])  # an imported tombstone
    contact_merge(actor=manager, survivor_id=ion.pk, merged_ids=[Contact.objects.get(first_name="Mara").pk])  # an imported survivor

    done = undo(imported, manager)

    assert done.undo_summary["deleted"] == 0 and done.undo_summary["archived"] == 3
    ana.refresh_from_db(), ion.refresh_from_db()
    assert ana.merged_into_id == kept.pk  # the old id still leads to the person
    assert EmailAddress.objects.filter(contact=kept, email="ana@example.ro").exists()  # moved by the merge, not the import's any more
    assert ion.archived_at is not None


def test_undo_puts_back_what_an_update_changed(importer, manager, agent):
    existing = contact_create(actor=agent, data={"first_name": "Ana", "last_name": "Pop", "emails": [{"email": "ana@example.ro"}],
                                                 "tags": ["Client"]})
    imported = importer("First name,Last name,Email,Phone,Tags,City\nAna,Popescu,ana@example.ro,+40 721 234 567,VIP,Brașov\n",
                        on_duplicate="update")
    existing.refresh_from_db()
    assert (existing.last_name, existing.primary_phone) == ("Popescu", "+40721234567")

    done = undo(imported, manager)

    existing.refresh_from_db()
    assert done.undo_summary == {"deleted": 0, "archived": 0, "reverted": 1, "kept": 0}
    assert (existing.last_name, existing.display_name, existing.primary_phone) == ("Pop", "Ana Pop", "")
    assert not existing.phonenumbers.exists() and not existing.addresss.exists()
    assert [t.name for t in existing.tags.all()] == ["Client"]
    assert Tag.objects.filter(name="VIP").exists()  # the tag itself stays; only the link goes


def test_undo_keeps_a_value_someone_changed_after_the_import(importer, manager, agent):
    existing = contact_create(actor=agent, data={"first_name": "Ana", "emails": [{"email": "ana@example.ro"}]})
    imported = importer("First name,Last name,Email\nAna,Popescu,ana@example.ro\n", on_duplicate="update")
    contact_update(actor=agent, contact=existing, data={"last_name": "Ionescu"})

    done = undo(imported, manager)

    existing.refresh_from_db()
    assert done.undo_summary["kept"] == 1
    assert existing.last_name == "Ionescu"


def test_only_a_finished_real_import_can_be_undone(importer, manager):
    checked = importer("Name\nAna Pop\n", dry_run=True)

    with pytest.raises(services.Conflict):
        services.import_undo(actor=manager, import_=checked, enqueue=False)
