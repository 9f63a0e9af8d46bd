"""Merging contacts: every record of every app moves to the survivor, values are chosen, history stays true."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db.models import Sum

from kliyan.analytics.models import PendingCustomer
from kliyan.commerce.models import CreditTerms, Invoice, Order, Payment
from kliyan.commerce.queries import Customer, lifetime_value
from kliyan.commerce.tests.builders import make_terms
from kliyan.contacts.models import Consent, ConsentEvent, Contact, EmailAddress, PhoneNumber
from kliyan.contacts.queries import contact_audit_entries, search_contacts
from kliyan.contacts.services import contact_delete, contact_restore, contact_update, custom_field_create
from kliyan.core.errors import Conflict, ValidationFailed
from kliyan.core.models import AuditAction, AuditEntry
from kliyan.dedupe.choices import PairStatus
from kliyan.dedupe.merge import contact_merge, contact_relations
from kliyan.dedupe.models import DuplicatePair
from kliyan.feedback.models import SurveyInvitation, SurveyResponse
from kliyan.interactions.models import Interaction, Note, Task
from kliyan.service.models import Ticket, TicketMessage

pytestmark = pytest.mark.django_db


@pytest.fixture
def custom_fields(admin):
    custom_field_create(actor=admin, data={"label": "Size", "key": "size", "field_type": "text"})
    custom_field_create(actor=admin, data={"label": "Colour", "key": "colour", "field_type": "text"})


@pytest.fixture
def three(person, history, custom_fields):
    """Three records of one customer, each with a history in every app; the first is the survivor."""
    ana = person("Ana", "Ionescu", emails=["ana@example.ro", "shared@example.ro"], phones=["+40 721 000 001"],
                 tags=["VIP"], language="fr", custom_fields={"size": "M"})
    anna = person("Anna", "Ionescu", emails=["shared@example.ro", "anna@work.example"], phones=["+40 721 000 002"],
                  tags=["VIP", "Wholesale"], job_title="Chef", birthday="1980-01-02",
                  custom_fields={"size": "L", "colour": "red"})
    ana2 = person("Ana", "Ionescu", emails=["ana.i@example.org"], language="ht")
    history(ana, total="100")
    history(anna, total="200")
    history(ana2, total="300", consent="withdrawn")
    make_terms(contact=ana, limit="1000")
    make_terms(contact=anna, limit="5000")
    return ana, anna, ana2


def rows_per_relation(ids):
    """Return {(model, field): {contact id: rows}} for every foreign key to Contact."""
    counts = {}
    for fk in contact_relations():
        if fk.model is DuplicatePair or fk.model is Contact:
            continue
        key = (fk.model._meta.label_lower, fk.name)
        counts[key] = {pk: fk.model._base_manager.filter(**{fk.attname: pk}).count() for pk in ids}
    return counts


def test_every_record_of_every_app_moves_to_the_survivor(three, manager, received):
    ana, anna, ana2 = three
    ids = [ana.pk, anna.pk, ana2.pk]
    before = rows_per_relation(ids)
    old_entries = {pk: list(AuditEntry.objects.filter(contact_id=pk).values_list("id", "action", "after")) for pk in ids}

    result = contact_merge(actor=manager, survivor_id=ana.pk, merged_ids=[anna.pk, ana2.pk])

    after = rows_per_relation(ids)
    # Repeats dropped (one shared e-mail, two older SMS consents, one tag link both had); rows that
    # may exist once per contact and that the survivor has (its credit terms) stay where they were.
    removed = {("contacts.emailaddress", "contact"): 1, ("contacts.consent", "contact"): 2, ("contacts.contact_tags", "contact"): 1}
    left = {("commerce.creditterms", "contact"): {anna.pk: 1}}
    derived = {("analytics.customerproduct", "contact")}  # recounted by analytics, not moved
    assert set(before) >= {("interactions.interaction", "contact"), ("service.ticket", "contact"), ("commerce.order", "contact"),
                           ("feedback.surveyresponse", "contact"), ("contacts.contact_interests", "contact")}
    for key, per_contact in before.items():
        if key in derived:
            continue
        stays = left.get(key, {})
        assert after[key][anna.pk] == stays.get(anna.pk, 0), key
        assert after[key][ana2.pk] == stays.get(ana2.pk, 0), key
        assert after[key][ana.pk] == sum(per_contact.values()) - removed.get(key, 0) - sum(stays.values()), key
    assert result.removed == {"contacts.emailaddress": 1, "contacts.consent": 2, "contacts.contact_tags": 1}
    assert result.left_on_merged == {"commerce.creditterms": 1}
    assert result.moved["interactions.interaction"] == 4 and result.moved["service.ticket"] == 2

    # Counted rows, by name: nothing lost.
    assert Interaction.objects.filter(contact=ana).count() == 6 and Note.objects.filter(contact=ana).count() == 3
    assert Task.objects.filter(contact=ana).count() == 3 and Ticket.objects.filter(contact=ana).count() == 3
    assert TicketMessage.objects.filter(ticket__contact=ana).count() == 6
    assert (Order.objects.filter(contact=ana).count(), Invoice.objects.filter(contact=ana).count(), Payment.objects.filter(contact=ana).count()) == (3, 3, 3)
    assert ConsentEvent.objects.filter(contact=ana).count() == 3
    assert SurveyInvitation.objects.filter(contact=ana).count() == 3 and SurveyResponse.objects.filter(contact=ana).count() == 3
    assert CreditTerms.objects.get(contact=ana).credit_limit == Decimal("1000")

    # The survivor's e-mails, phones, tags and consent.
    assert sorted(EmailAddress.objects.filter(contact=ana).values_list("email", flat=True)) == [
        "ana.i@example.org", "ana@example.ro", "anna@work.example", "shared@example.ro",
    ]
    assert list(EmailAddress.objects.filter(contact=ana, is_primary=True).values_list("email", flat=True)) == ["ana@example.ro"]
    assert sorted(PhoneNumber.objects.filter(contact=ana).values_list("e164", flat=True)) == ["+40721000001", "+40721000002"]
    assert sorted(t.name for t in ana.tags.all()) == ["VIP", "Wholesale"]
    # The most recent decision wins: the third record's withdrawal.
    assert Consent.objects.get(contact=ana, channel="sms").status == "withdrawn"

    # Commerce figures of the survivor are the sum of the three.
    assert Invoice.objects.filter(contact=ana).aggregate(total=Sum("total"))["total"] == Decimal("600")
    lifetime = lifetime_value(Customer.of_contact(ana.pk))
    assert (lifetime.order_count, lifetime.spend) == (3, Decimal("600"))
    assert set(PendingCustomer.objects.values_list("contact_id", flat=True)) >= set(ids)


def test_the_survivor_keeps_its_values_and_fills_its_empty_fields(three, manager):
    ana, anna, ana2 = three

    result = contact_merge(actor=manager, survivor_id=ana.pk, merged_ids=[anna.pk, ana2.pk])

    ana.refresh_from_db()
    assert (ana.first_name, ana.language, ana.job_title, ana.birthday) == ("Ana", "fr", "Chef", dt.date(1980, 1, 2))
    assert ana.custom_fields == {"size": "M", "colour": "red"}
    assert ana.display_name == "Ana Ionescu" and ana.birthday_md == "01-02"
    assert result.fields["first_name"] == ana.pk and result.fields["job_title"] == anna.pk
    assert result.fields["custom_fields.size"] == ana.pk
    assert [c.pk for c in search_contacts("anna@work.example")] == [ana.pk]


def test_a_value_chosen_on_a_conflicting_field_is_kept(three, manager):
    ana, anna, ana2 = three

    contact_merge(
        actor=manager, survivor_id=ana.pk, merged_ids=[anna.pk, ana2.pk],
        fields={"first_name": anna.pk, "language": ana2.pk, "custom_fields.size": anna.pk},
    )

    ana.refresh_from_db()
    assert (ana.first_name, ana.language, ana.display_name) == ("Anna", "ht", "Anna Ionescu")
    assert ana.custom_fields["size"] == "L"


def test_merged_contacts_stay_as_archived_tombstones_that_point_to_the_survivor(three, manager):
    ana, anna, ana2 = three

    contact_merge(actor=manager, survivor_id=ana.pk, merged_ids=[anna.pk, ana2.pk])

    for tombstone in Contact.objects.filter(pk__in=[anna.pk, ana2.pk]):
        assert tombstone.merged_into_id == ana.pk and tombstone.archived_at is not None
        assert (tombstone.primary_email, tombstone.search_text) == ("", "")
    # Found by their old name and e-mails only as the survivor, which holds them now.
    assert [c.pk for c in search_contacts("Anna", include_archived=True)] == [ana.pk]


def test_the_merge_is_audited_and_earlier_entries_stay_findable_from_the_survivor(three, manager):
    ana, anna, ana2 = three
    anna_entries = list(AuditEntry.objects.filter(contact_id=anna.pk).values("id", "action", "object_type", "before", "after"))

    contact_merge(actor=manager, survivor_id=ana.pk, merged_ids=[anna.pk, ana2.pk], fields={"language": ana2.pk})

    entry = AuditEntry.objects.get(action=AuditAction.MERGE, contact_id=ana.pk)
    assert entry.actor == manager and entry.object_id == str(ana.pk)
    assert entry.after["merged_ids"] == [anna.pk, ana2.pk]
    assert entry.after["fields_kept_from"]["language"] == ana2.pk
    assert (entry.before["language"], entry.after["language"]) == ("fr", "ht")
    for pk in (anna.pk, ana2.pk):
        merged_entry = AuditEntry.objects.get(action=AuditAction.MERGE, contact_id=pk)
        assert merged_entry.after["merged_into"] == ana.pk
    # Old entries are not rewritten: they still name the contact they were about.
    assert list(AuditEntry.objects.filter(id__in=[e["id"] for e in anna_entries]).values("id", "action", "object_type", "before", "after")) == anna_entries
    shown = {e.pk for e in contact_audit_entries(ana.pk, limit=1000)}
    assert {e["id"] for e in anna_entries} <= shown


def test_the_merge_is_announced_once_with_the_merged_ids(three, manager, received):
    ana, anna, ana2 = three

    contact_merge(actor=manager, survivor_id=ana.pk, merged_ids=[anna.pk, ana2.pk])

    merged = [payloads for name, payloads in received if name == "contact.merged"]
    updated = [payloads for name, payloads in received if name == "contact.updated"]
    assert len(merged) == 1 and merged[0][0]["id"] == ana.pk and merged[0][0]["merged_ids"] == [anna.pk, ana2.pk]
    assert updated[-1][0]["id"] == ana.pk and updated[-1][0]["job_title"] == "Chef"


def _state():
    return (
        list(Contact.objects.order_by("pk").values_list("pk", "archived_at", "merged_into_id", "first_name", "job_title")),
        list(Interaction.objects.order_by("pk").values_list("pk", "contact_id")),
        list(EmailAddress.objects.order_by("pk").values_list("pk", "contact_id", "is_primary")),
        AuditEntry.objects.count(),
    )


@pytest.mark.parametrize(("case", "field", "message"), [
    ("itself", "merged_ids.0", "cannot be merged into itself"),
    ("unknown survivor", "survivor_id", "There is no contact with id 999999"),
    ("unknown merged", "merged_ids.1", "There is no contact with id 999999"),
    ("archived", "merged_ids.0", "is archived"),
    ("twice", "merged_ids.1", "listed twice"),
    ("none", "merged_ids", "Give the ids"),
    ("bad field", "fields.notes", "Unknown field"),
    ("outsider value", "fields.first_name", "Choose one of the contacts"),
    ("too many", "merged_ids", "at most 10 contacts"),
])
def test_a_bad_merge_names_the_field_and_changes_nothing(three, manager, person, case, field, message):
    ana, anna, ana2 = three
    outsider = person("Someone", "Else")
    arguments = {
        "itself": {"survivor_id": ana.pk, "merged_ids": [ana.pk]},
        "unknown survivor": {"survivor_id": 999999, "merged_ids": [anna.pk]},
        "unknown merged": {"survivor_id": ana.pk, "merged_ids": [anna.pk, 999999]},
        "archived": {"survivor_id": ana.pk, "merged_ids": [anna.pk]},
        "twice": {"survivor_id": ana.pk, "merged_ids": [anna.pk, anna.pk]},
        "none": {"survivor_id": ana.pk, "merged_ids": []},
        "bad field": {"survivor_id": ana.pk, "merged_ids": [anna.pk], "fields": {"notes": anna.pk}},
        "outsider value": {"survivor_id": ana.pk, "merged_ids": [anna.pk], "fields": {"first_name": outsider.pk}},
        "too many": {"survivor_id": ana.pk, "merged_ids": [anna.pk, ana2.pk, *range(900000, 900009)]},
    }[case]
    if case == "archived":
        Contact.objects.filter(pk=anna.pk).update(archived_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    state = _state()

    with pytest.raises(ValidationFailed) as raised:
        contact_merge(actor=manager, **arguments)

    assert field in raised.value.field_errors
    assert message in " ".join(raised.value.field_errors[field])
    assert _state() == state


def test_a_tombstone_cannot_be_merged_again_restored_or_changed(three, manager, agent):
    ana, anna, ana2 = three
    contact_merge(actor=manager, survivor_id=ana.pk, merged_ids=[anna.pk])
    anna.refresh_from_db()

    with pytest.raises(ValidationFailed) as raised:
        contact_merge(actor=manager, survivor_id=ana2.pk, merged_ids=[anna.pk])
    assert "already merged into contact" in raised.value.field_errors["merged_ids.0"][0]
    with pytest.raises(Conflict):
        contact_restore(actor=manager, contact=anna)
    with pytest.raises(Conflict):
        contact_update(actor=agent, contact=anna, data={"job_title": "Cook"})


def test_pairs_among_the_merged_close_and_dismissals_follow_the_survivor(person, manager):
    ana, anna, bob, carl = (person(n, "Ionescu") for n in ("Ana", "Anna", "Bob", "Carl"))
    inside = DuplicatePair.objects.create(contact_a=ana, contact_b=anna, score=80, reasons=[])
    dismissed = DuplicatePair.objects.create(contact_a=anna, contact_b=bob, score=60, reasons=[], status=PairStatus.DISMISSED)
    open_pair = DuplicatePair.objects.create(contact_a=anna, contact_b=carl, score=60, reasons=[])

    contact_merge(actor=manager, survivor_id=ana.pk, merged_ids=[anna.pk])

    inside.refresh_from_db()
    assert inside.status == PairStatus.MERGED and inside.decided_by == manager
    moved = DuplicatePair.objects.get(pk=dismissed.pk)
    assert (moved.contact_a_id, moved.contact_b_id, moved.status) == (ana.pk, bob.pk, PairStatus.DISMISSED)
    assert not DuplicatePair.objects.filter(pk=open_pair.pk).exists()


def test_referrals_and_earlier_tombstones_follow_the_survivor(person, manager):
    ana, anna, old = person("Ana", "Ionescu"), person("Anna", "Ionescu"), person("Ana", "I.")
    friend = person("Friend", "Of Anna", referred_by=anna.pk)
    contact_merge(actor=manager, survivor_id=anna.pk, merged_ids=[old.pk])

    contact_merge(actor=manager, survivor_id=ana.pk, merged_ids=[anna.pk])

    assert Contact.objects.get(pk=friend.pk).referred_by_id == ana.pk
    assert Contact.objects.get(pk=old.pk).merged_into_id == ana.pk
    assert {e.contact_id for e in contact_audit_entries(ana.pk, limit=1000)} >= {ana.pk, anna.pk, old.pk}


def test_a_survivor_referred_by_a_merged_contact_is_referred_by_no_one(person, manager):
    anna = person("Anna", "Ionescu")
    ana = person("Ana", "Ionescu", referred_by=anna.pk)

    contact_merge(actor=manager, survivor_id=ana.pk, merged_ids=[anna.pk])

    assert Contact.objects.get(pk=ana.pk).referred_by_id is None


def test_erasing_a_survivor_erases_its_tombstones_and_audits_each(person, admin, manager):
    ana, anna = person("Ana", "Ionescu"), person("Anna", "Ionescu")
    contact_merge(actor=manager, survivor_id=ana.pk, merged_ids=[anna.pk])

    contact_delete(actor=admin, contact=Contact.objects.get(pk=ana.pk))

    assert not Contact.objects.filter(pk__in=[ana.pk, anna.pk]).exists()
    assert set(AuditEntry.objects.filter(action=AuditAction.DELETE).values_list("contact_id", flat=True)) == {ana.pk, anna.pk}
