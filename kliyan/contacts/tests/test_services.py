"""Contact, company, consent and custom-field services: normalisation, validation, audit."""

from __future__ import annotations

import datetime as dt

import pytest

from kliyan.contacts.models import Company, Consent, ConsentEvent, Contact, CustomFieldDefinition, EmailAddress, PhoneNumber
from kliyan.contacts.services import (
    DuplicateContact,
    company_create,
    company_update,
    consent_set,
    contact_archive,
    contact_create,
    contact_delete,
    contact_restore,
    contact_update,
    custom_field_create,
)
from kliyan.core.errors import ValidationFailed
from kliyan.core.models import AuditEntry, Organisation

pytestmark = pytest.mark.django_db


def _errors(excinfo: pytest.ExceptionInfo) -> dict[str, list[str]]:
    return excinfo.value.field_errors


def test_contact_create_normalises_phones_to_e164_with_the_organisation_country(agent):
    Organisation.objects.update_or_create(pk=1, defaults={"country": "HT"})
    contact = contact_create(actor=agent, data={
        "first_name": "Marie", "last_name": "Joseph",
        "phones": [{"number": "3712 3456"}, {"number": "00 265 991 23 45 67", "kind": "whatsapp", "is_primary": True}],
        "emails": [{"email": "  Marie.Joseph@Example.HT "}],
    })
    phones = list(contact.phonenumbers.order_by("id").values_list("e164", "caller_key", "is_primary"))
    assert phones == [("+50937123456", "37123456", False), ("+265991234567", "91234567", True)]
    assert list(contact.emailaddresss.values_list("email", "is_primary")) == [("marie.joseph@example.ht", True)]
    assert contact.primary_phone == "+265991234567"
    assert contact.primary_email == "marie.joseph@example.ht"
    assert contact.display_name == "Marie Joseph"


def test_invalid_phone_email_and_birthday_are_named_and_nothing_is_saved(agent):
    with pytest.raises(ValidationFailed) as excinfo:
        contact_create(actor=agent, data={
            "first_name": "Ana",
            "phones": [{"number": "12"}],
            "emails": [{"email": "not-an-email"}],
            "birthday": "1990-02-30",
        })
    assert set(_errors(excinfo)) == {"phones.0.number", "emails.0.email", "birthday"}
    assert Contact.objects.count() == 0
    assert PhoneNumber.objects.count() == 0
    assert AuditEntry.objects.filter(object_type="contacts.contact").count() == 0


def test_a_contact_needs_a_name(agent):
    with pytest.raises(ValidationFailed) as excinfo:
        contact_create(actor=agent, data={"first_name": " ", "last_name": ""})
    assert "first_name" in _errors(excinfo)


def test_unknown_input_fields_are_rejected_by_name(agent):
    with pytest.raises(ValidationFailed) as excinfo:
        contact_create(actor=agent, data={"first_name": "Ana", "favourite_colour": "blue"})
    assert _errors(excinfo) == {"favourite_colour": ["Unknown field."]}


def test_duplicate_email_or_phone_offers_the_existing_contact(agent, contact):
    with pytest.raises(DuplicateContact) as excinfo:
        contact_create(actor=agent, data={"first_name": "Stefan", "phones": [{"number": "0040 721 234 567"}]})
    assert excinfo.value.duplicates == [contact]
    assert "phones.0.number" in excinfo.value.field_errors
    assert Contact.objects.count() == 1
    again = contact_create(actor=agent, data={"first_name": "Stefan", "phones": [{"number": "+40721234567"}]}, allow_duplicate=True)
    assert Contact.objects.count() == 2 and again.pk != contact.pk


def test_update_changes_only_given_fields_and_audits_before_and_after(agent, contact):
    contact_update(actor=agent, contact=contact, data={"job_title": "Manager", "tags": ["VIP", "vip", "Shoes"]})
    contact.refresh_from_db()
    assert contact.job_title == "Manager"
    assert contact.first_name == "Ștefan"
    assert sorted(t.name for t in contact.tags.all()) == ["Shoes", "VIP"]
    entry = AuditEntry.objects.filter(object_type="contacts.contact", action="update").get()
    assert entry.actor == agent
    assert entry.contact_id == contact.pk
    assert entry.before["job_title"] == "" and entry.after["job_title"] == "Manager"
    assert entry.after["tags"] == ["Shoes", "VIP"]


def test_update_without_change_writes_no_audit_entry(agent, contact):
    contact_update(actor=agent, contact=contact, data={"first_name": "Ștefan"})
    assert not AuditEntry.objects.filter(action="update").exists()


def test_archive_and_restore_are_audited(manager, contact):
    contact_archive(actor=manager, contact=contact)
    assert Contact.objects.active().count() == 0
    contact_restore(actor=manager, contact=contact)
    assert Contact.objects.active().count() == 1
    actions = list(AuditEntry.objects.filter(contact_id=contact.pk).order_by("id").values_list("action", flat=True))
    assert actions == ["create", "archive", "restore"]


def test_delete_keeps_the_audit_trail(admin, contact):
    pk = contact.pk
    contact_delete(actor=admin, contact=contact)
    assert not Contact.objects.filter(pk=pk).exists()
    assert not EmailAddress.objects.filter(contact_id=pk).exists()
    deleted = AuditEntry.objects.get(contact_id=pk, action="delete")
    assert deleted.before["emails"] == ["stefan.popescu@example.ro (personal, primary)"]


def test_custom_fields_are_validated_by_type(manager, agent):
    custom_field_create(actor=manager, data={"label": "Shoe size", "field_type": "number"})
    custom_field_create(actor=manager, data={"label": "Member since", "field_type": "date"})
    custom_field_create(actor=manager, data={"label": "Size", "field_type": "choice", "choices": ["S", "M", "L"]})
    custom_field_create(actor=manager, data={"label": "Wholesale", "field_type": "boolean"})
    with pytest.raises(ValidationFailed) as excinfo:
        contact_create(actor=agent, data={"first_name": "Ana", "custom_fields": {
            "shoe_size": "big", "member_since": "yesterday", "size": "XXL", "wholesale": "maybe", "nope": 1,
        }})
    assert set(_errors(excinfo)) == {
        "custom_fields.shoe_size", "custom_fields.member_since", "custom_fields.size", "custom_fields.wholesale", "custom_fields.nope",
    }
    contact = contact_create(actor=agent, data={"first_name": "Ana", "custom_fields": {
        "shoe_size": "38,5", "member_since": "2020-05-01", "size": "M", "wholesale": "yes",
    }})
    assert contact.custom_fields == {"shoe_size": 38.5, "member_since": "2020-05-01", "size": "M", "wholesale": True}


def test_custom_field_choice_needs_choices_and_keys_are_unique(manager):
    with pytest.raises(ValidationFailed) as excinfo:
        custom_field_create(actor=manager, data={"label": "Size", "field_type": "choice"})
    assert "choices" in _errors(excinfo)
    custom_field_create(actor=manager, data={"label": "Size", "field_type": "text"})
    with pytest.raises(ValidationFailed) as excinfo:
        custom_field_create(actor=manager, data={"label": "Size", "field_type": "text"})
    assert "key" in _errors(excinfo)
    assert CustomFieldDefinition.objects.count() == 1


def test_consent_history_is_kept_and_the_latest_event_wins(agent, contact):
    now = dt.datetime.now(dt.UTC)
    consent_set(actor=agent, contact=contact, channel="sms", status="granted", method="verbal", at=now - dt.timedelta(days=2))
    consent_set(actor=agent, contact=contact, channel="sms", status="withdrawn", method="message", note="STOP", at=now)
    # A paper form from last week arrives late: history keeps it, the current state does not change.
    consent_set(actor=agent, contact=contact, channel="sms", status="granted", method="written", at=now - dt.timedelta(days=7))
    assert Consent.objects.get(contact=contact, channel="sms").status == "withdrawn"
    assert ConsentEvent.objects.filter(contact=contact).count() == 3
    assert AuditEntry.objects.filter(contact_id=contact.pk, object_type="contacts.consentevent").count() == 3


def test_consent_rejects_unknown_channel(agent, contact):
    with pytest.raises(ValidationFailed) as excinfo:
        consent_set(actor=agent, contact=contact, channel="pigeon", status="granted", method="verbal")
    assert "channel" in _errors(excinfo)
    assert ConsentEvent.objects.count() == 0


def test_company_rename_updates_member_search_text(agent):
    company = company_create(actor=agent, data={"name": "Boutique Lakay", "website": "lakay.ht"})
    assert company.website == "https://lakay.ht"
    person = contact_create(actor=agent, data={"first_name": "Jean", "company_id": company.pk})
    company_update(actor=agent, company=company, data={"name": "Magazen Kreyòl"})
    person.refresh_from_db()
    assert "magazen kreyol" in person.search_text
    assert Company.objects.get().name == "Magazen Kreyòl"


def test_referral_must_point_to_an_existing_contact(agent, contact):
    with pytest.raises(ValidationFailed) as excinfo:
        contact_create(actor=agent, data={"first_name": "Ana", "referred_by_id": 999999})
    assert "referred_by" in _errors(excinfo)
    friend = contact_create(actor=agent, data={"first_name": "Ana", "referred_by_id": contact.pk})
    assert list(contact.referrals.all()) == [friend]
