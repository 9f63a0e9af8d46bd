"""Incoming messages: matched to a contact (identity, then phone, else a new lead), logged once, STOP honoured."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from kliyan.channels.inbound import is_stop, normalise_keyword, receive
from kliyan.channels.models import ChannelIdentity
from kliyan.contacts.models import Consent, ConsentEvent, Contact
from kliyan.contacts.services import consent_set, contact_create
from kliyan.core.errors import ValidationFailed
from kliyan.core.models import AuditEntry
from kliyan.interactions.models import Interaction

pytestmark = pytest.mark.django_db


def _counts() -> tuple[int, int, int, int]:
    return Contact.objects.count(), Interaction.objects.count(), ChannelIdentity.objects.count(), ConsentEvent.objects.count()


def test_an_sms_from_a_known_number_lands_on_that_contacts_timeline(caller) -> None:
    at = timezone.now() - dt.timedelta(minutes=3)
    received = receive(channel="sms", handle="+50937123456", text="Eske nou louvri jodi a?", external_id="twilio:SM1", at=at)
    assert received.contact.pk == caller.pk and not received.contact_created and not received.replay
    interaction = received.interaction
    assert (interaction.contact_id, interaction.channel, interaction.direction) == (caller.pk, "sms", "inbound")
    assert (interaction.question, interaction.external_id, interaction.occurred_at) == ("Eske nou louvri jodi a?", "twilio:SM1", at)
    identity = ChannelIdentity.objects.get()
    assert (identity.contact_id, identity.channel, identity.handle, identity.last_inbound_at) == (caller.pk, "sms", "+50937123456", at)


def test_a_whatsapp_id_is_matched_to_the_contact_with_that_phone(caller) -> None:
    received = receive(channel="whatsapp", handle="50937123456", text="Bonjou", external_id="whatsapp:wamid.1", name="Marie")
    assert received.contact.pk == caller.pk
    assert ChannelIdentity.objects.get().handle == "50937123456"
    # Twilio writes the same person "whatsapp:+50937123456": the same identity.
    again = receive(channel="whatsapp", handle="whatsapp:+50937123456", text="Mèsi", external_id="twilio:SM2")
    assert again.contact.pk == caller.pk and ChannelIdentity.objects.count() == 1


def test_a_known_identity_wins_over_phones_and_names(caller, agent) -> None:
    other = contact_create(actor=agent, data={"first_name": "Jean", "last_name": "Pierre"})
    ChannelIdentity.objects.create(contact=other, channel="instagram", handle="17841400000000001")
    received = receive(channel="instagram", handle="17841400000000001", text="Èske w gen gwo tay?", external_id="instagram:m_1")
    assert received.contact.pk == other.pk and not received.contact_created


def test_someone_unknown_becomes_a_new_contact_marked_as_a_lead(haiti) -> None:
    received = receive(
        channel="whatsapp", handle="50938887766", text="Konbyen pen an koute?", external_id="whatsapp:wamid.2",
        name="Rose-Marie  Pierre Louis",
    )
    contact = received.contact
    assert received.contact_created
    assert (contact.first_name, contact.last_name, contact.source, contact.preferred_channel) == (
        "Rose-Marie", "Pierre Louis", "whatsapp", "whatsapp",
    )
    assert [t.name for t in contact.tags.all()] == ["Lead"]
    assert [(p.e164, p.kind) for p in contact.phonenumbers.all()] == [("+50938887766", "whatsapp")]
    assert ChannelIdentity.objects.get().contact_id == contact.pk
    assert received.interaction.contact_id == contact.pk
    audited = set(AuditEntry.objects.filter(contact_id=contact.pk).values_list("object_type", flat=True))
    assert {"contacts.contact", "kliyan_channels.channelidentity", "interactions.interaction"} <= audited


def test_an_unknown_sms_sender_without_a_name_is_named_by_the_number(haiti) -> None:
    contact = receive(channel="sms", handle="+50938887766", text="Alo", external_id="gateway:1").contact
    assert (contact.display_name, contact.source, contact.source_detail) == ("+509 38 88 7766", "other", "SMS")


def test_a_messenger_stranger_is_named_by_the_channel_and_has_no_phone(haiti) -> None:
    contact = receive(channel="facebook", handle="6123456789012345", text="Hi", external_id="facebook:m_1").contact
    assert (contact.display_name, contact.source) == ("Messenger 6123456789012345", "facebook")
    assert contact.phonenumbers.count() == 0


def test_the_same_provider_message_twice_is_logged_once(haiti) -> None:
    first = receive(channel="sms", handle="+50938887766", text="Alo", external_id="twilio:SM9")
    before = _counts()
    again = receive(channel="sms", handle="+50938887766", text="Alo", external_id="twilio:SM9")
    assert again.replay and again.interaction.pk == first.interaction.pk
    assert _counts() == before == (1, 1, 1, 0)


def test_a_replay_costs_one_read_and_writes_nothing(haiti, django_assert_num_queries) -> None:
    receive(channel="whatsapp", handle="50938887766", text="Alo", external_id="whatsapp:wamid.r")
    with django_assert_num_queries(1):
        assert receive(channel="whatsapp", handle="50938887766", text="Alo", external_id="whatsapp:wamid.r").replay


def test_a_message_without_text_is_still_logged(caller) -> None:
    received = receive(channel="whatsapp", handle="50937123456", text="", external_id="whatsapp:wamid.img")
    assert received.interaction.question.startswith("(")


def test_a_message_dated_in_the_future_is_logged_now(caller) -> None:
    received = receive(channel="sms", handle="+50937123456", text="Alo", external_id="x:1", at=timezone.now() + dt.timedelta(hours=2))
    assert received.interaction.occurred_at <= timezone.now()


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [
        ("channel", {"channel": "fax"}),
        ("handle", {"handle": "  "}),
        ("external_id", {"external_id": ""}),
    ],
)
def test_an_unusable_message_is_refused_naming_the_field_and_writes_nothing(haiti, field, kwargs) -> None:
    data = {"channel": "sms", "handle": "+50938887766", "text": "Alo", "external_id": "x:2", **kwargs}
    with pytest.raises(ValidationFailed) as raised:
        receive(**data)
    assert field in raised.value.field_errors
    assert _counts() == (0, 0, 0, 0)


# --- STOP -----------------------------------------------------------------------------------

STOP_WORDS = [
    ("en", "STOP"), ("en", "unsubscribe"), ("en", "Stop."), ("fr", "ARRET"), ("fr", "Arrêt"), ("fr", "arrêter !"),
    ("ht", "KANPE"), ("ht", "sispann"), ("ht", "Dezabòne"), ("ny", "LEKANI"), ("ny", "siyani"), ("ny", "Leka"),
    ("sq", "NDALO"), ("sq", "ndal"), ("sq", "Çregjistrohu"), ("ro", "STOP"), ("ro", "DEZABONARE"), ("ro", "Dezabonează-mă"),
]


@pytest.mark.parametrize(("language", "text"), STOP_WORDS)
def test_a_stop_keyword_in_each_language_withdraws_sms_consent(caller, agent, language, text) -> None:
    consent_set(actor=agent, contact=caller, channel="sms", status="granted", method="written")
    received = receive(channel="sms", handle="+50937123456", text=text, external_id=f"t:{language}:{text}")
    assert received.stopped
    assert Consent.objects.get(contact=caller, channel="sms").status == "withdrawn"
    event = ConsentEvent.objects.filter(contact=caller).first()
    assert (event.channel, event.status, event.method, event.recorded_by_id) == ("sms", "withdrawn", "message", None)
    assert text.strip() in event.note
    assert received.interaction.question == text  # the message itself is on the timeline too


def test_stop_on_whatsapp_withdraws_whatsapp_consent_only(caller, agent) -> None:
    consent_set(actor=agent, contact=caller, channel="sms", status="granted", method="written")
    consent_set(actor=agent, contact=caller, channel="whatsapp", status="granted", method="written")
    receive(channel="whatsapp", handle="50937123456", text="Kanpe", external_id="whatsapp:wamid.stop")
    assert dict(Consent.objects.filter(contact=caller).values_list("channel", "status")) == {"sms": "granted", "whatsapp": "withdrawn"}


@pytest.mark.parametrize("text", ["Stop sending me the big bread", "STOP STOP please", "Arrêt de bus?", "cancel", "rete"])
def test_a_stop_word_inside_a_longer_message_changes_no_consent(caller, agent, text) -> None:
    consent_set(actor=agent, contact=caller, channel="sms", status="granted", method="written")
    received = receive(channel="sms", handle="+50937123456", text=text, external_id=f"t:{text}")
    assert not received.stopped
    assert Consent.objects.get(contact=caller, channel="sms").status == "granted"


def test_a_second_stop_records_no_second_withdrawal(caller) -> None:
    receive(channel="sms", handle="+50937123456", text="STOP", external_id="t:1")
    second = receive(channel="sms", handle="+50937123456", text="stop", external_id="t:2")
    assert not second.stopped
    assert ConsentEvent.objects.filter(contact=caller, status="withdrawn").count() == 1


def test_stop_on_messenger_is_only_a_message(caller) -> None:
    ChannelIdentity.objects.create(contact=caller, channel="facebook", handle="61234")
    received = receive(channel="facebook", handle="61234", text="STOP", external_id="facebook:m_stop")
    assert not received.stopped and ConsentEvent.objects.count() == 0


def test_keywords_are_compared_without_case_accents_or_edge_punctuation() -> None:
    assert normalise_keyword("  Dezabonează-mă! ") == "DEZABONEAZA MA"
    assert is_stop("«ARRÊT»") and is_stop("opt-out") and not is_stop("") and not is_stop("STOPPED")
