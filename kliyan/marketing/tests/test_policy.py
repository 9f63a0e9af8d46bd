"""The rules a message passes: consent, address, archive, weekly cap, quiet hours in the contact's time zone."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.utils import timezone

from kliyan.contacts.services import consent_set, contact_archive
from kliyan.marketing import policy
from kliyan.marketing.choices import MessageStatus, NotSentReason, Purpose
from kliyan.marketing.models import Message
from kliyan.marketing.tests.outbox_fixtures import outbox_settings, person  # noqa: F401 - fixtures

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("outbox_settings")]
NOON_UTC = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)


def verdict(contact, channel: str = "email", purpose: str = Purpose.MARKETING, at: dt.datetime = NOON_UTC) -> policy.Verdict:
    recipients = policy.recipients_for([contact.pk], channel=channel, now=at, count_queued=True)
    return policy.check(recipients.get(contact.pk), channel=channel, purpose=purpose, at=at, now=at)


def test_marketing_with_granted_consent_may_go(person) -> None:
    result = verdict(person(consents={"email": "granted"}))
    assert result == policy.Verdict(send_after=NOON_UTC)


def test_consent_never_given_is_no_consent(person) -> None:
    result = verdict(person(consents={"sms": "granted"}))
    assert (result.reason, result.reason_at) == (NotSentReason.NO_CONSENT, NOON_UTC)


def test_withdrawn_consent_is_dated_the_day_it_was_withdrawn_and_says_so(person, agent) -> None:
    contact = person(consents={"sms": "granted"})
    withdrawn_at = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)
    consent_set(actor=agent, contact=contact, channel="sms", status="withdrawn", method="message", at=withdrawn_at)
    result = verdict(contact, "sms", at=NOON_UTC + dt.timedelta(days=5))
    assert (result.reason, result.reason_at) == (NotSentReason.CONSENT_WITHDRAWN, withdrawn_at)
    text = policy.not_sent_text(reason=result.reason, reason_at=result.reason_at, channel="sms")
    assert text == "Not sent: SMS consent withdrawn on 2026-03-02"


def test_a_contact_without_an_address_on_the_channel_gets_no_address(person) -> None:
    contact = person(email_address=None, consents={"email": "granted"})
    assert verdict(contact).reason == NotSentReason.NO_ADDRESS
    assert verdict(contact, purpose=Purpose.TRANSACTIONAL).reason == NotSentReason.NO_ADDRESS


def test_an_archived_contact_gets_nothing_even_a_reply(person, manager) -> None:
    contact = contact_archive(actor=manager, contact=person(consents={"email": "granted"}))
    for purpose in Purpose.values:
        result = verdict(contact, purpose=purpose)
        assert (result.reason, result.reason_at) == (NotSentReason.ARCHIVED, contact.archived_at)


def test_messenger_and_instagram_refuse_marketing_but_not_replies(person) -> None:
    contact = person(consents={"email": "granted"})
    assert verdict(contact, "facebook").reason == NotSentReason.REPLIES_ONLY
    assert verdict(contact, "instagram").reason == NotSentReason.REPLIES_ONLY
    # A reply needs the person's id at Meta, which only their own message gives us.
    assert verdict(contact, "facebook", Purpose.TRANSACTIONAL).reason == NotSentReason.NO_ADDRESS


def test_transactional_messages_skip_consent_and_cap(person) -> None:
    contact = person(consents={"email": "withdrawn"})
    assert verdict(contact, purpose=Purpose.TRANSACTIONAL).may_send


def _sent_marketing(contact, n: int, *, days_ago: float = 1) -> None:
    for i in range(n):
        Message.objects.create(
            contact=contact, channel="sms", purpose=Purpose.MARKETING, language="ht", body="Promo", status=MessageStatus.SENT,
            send_after=NOON_UTC, sent_at=NOON_UTC - dt.timedelta(days=days_ago), idempotency_key=f"t:{contact.pk}:{days_ago}:{i}",
        )


def test_the_weekly_cap_counts_marketing_of_the_last_seven_days_on_every_channel(person, settings) -> None:
    contact = person(consents={"email": "granted"})
    _sent_marketing(contact, 2)
    _sent_marketing(contact, 5, days_ago=8)  # last week's do not count
    assert verdict(contact).may_send
    _sent_marketing(contact, 1, days_ago=6.9)
    assert verdict(contact).reason == NotSentReason.WEEKLY_CAP
    assert verdict(contact, purpose=Purpose.TRANSACTIONAL).may_send
    settings.KLIYAN_MARKETING_WEEKLY_CAP = 4
    assert verdict(contact).may_send


def test_messages_let_through_in_one_batch_count_against_the_cap(person) -> None:
    from collections import Counter

    contact = person(consents={"email": "granted"})
    _sent_marketing(contact, 2)
    recipient = policy.recipients_for([contact.pk], channel="email", now=NOON_UTC, count_queued=False)[contact.pk]
    assert policy.check(recipient, channel="email", purpose="marketing", at=NOON_UTC, now=NOON_UTC, sent_in_batch=Counter()).may_send
    batch = Counter({contact.pk: 1})
    assert policy.check(recipient, channel="email", purpose="marketing", at=NOON_UTC, now=NOON_UTC,
                        sent_in_batch=batch).reason == NotSentReason.WEEKLY_CAP


@pytest.mark.parametrize(("local", "expected_local"), [
    (dt.datetime(2026, 3, 2, 22, 15), dt.datetime(2026, 3, 3, 8, 0)),   # evening: tomorrow morning
    (dt.datetime(2026, 3, 3, 2, 0), dt.datetime(2026, 3, 3, 8, 0)),     # after midnight: this morning
    (dt.datetime(2026, 3, 3, 7, 59), dt.datetime(2026, 3, 3, 8, 0)),
    (dt.datetime(2026, 3, 3, 8, 0), dt.datetime(2026, 3, 3, 8, 0)),     # the end is no longer quiet
    (dt.datetime(2026, 3, 3, 20, 59), dt.datetime(2026, 3, 3, 20, 59)),
])
def test_quiet_hours_across_midnight_move_the_message_to_their_end(local, expected_local, settings) -> None:
    settings.KLIYAN_QUIET_HOURS = "21:00-08:00"
    zone = zoneinfo.ZoneInfo("Europe/Bucharest")
    moved = policy.after_quiet_hours(local.replace(tzinfo=zone), zone)
    assert moved == expected_local.replace(tzinfo=zone)


def test_quiet_hours_within_a_day(settings) -> None:
    settings.KLIYAN_QUIET_HOURS = "12:00-14:00"
    zone = zoneinfo.ZoneInfo("Africa/Blantyre")
    assert policy.after_quiet_hours(dt.datetime(2026, 3, 3, 13, 0, tzinfo=zone), zone) == dt.datetime(2026, 3, 3, 14, 0, tzinfo=zone)
    assert policy.after_quiet_hours(dt.datetime(2026, 3, 3, 11, 0, tzinfo=zone), zone) == dt.datetime(2026, 3, 3, 11, 0, tzinfo=zone)


def test_a_bad_quiet_hours_setting_is_named(settings) -> None:
    from django.core.exceptions import ImproperlyConfigured

    settings.KLIYAN_QUIET_HOURS = "9pm to 8am"
    with pytest.raises(ImproperlyConfigured, match="KLIYAN_QUIET_HOURS"):
        policy.quiet_hours()


def test_quiet_hours_are_the_contacts_own_time_zone(person, settings) -> None:
    """At 21:30 UTC it is 23:30 in Bucharest (quiet) but 16:30 in Port-au-Prince (not)."""
    settings.KLIYAN_QUIET_HOURS = "21:00-08:00"
    at = dt.datetime(2026, 3, 2, 21, 30, tzinfo=dt.UTC)
    romanian = person("Ana", phone="+40 721 234 567", email_address="ana@example.ro", consents={"email": "granted"})
    haitian = person("Rose", phone="+509 3700 1234", consents={"email": "granted"})
    assert verdict(haitian, at=at).send_after == at
    bucharest = zoneinfo.ZoneInfo("Europe/Bucharest")
    assert verdict(romanian, at=at).send_after == dt.datetime(2026, 3, 3, 8, 0, tzinfo=bucharest)
    # Replies are not held back.
    assert verdict(romanian, purpose=Purpose.TRANSACTIONAL, at=at).send_after == at


def test_the_time_zone_comes_from_the_address_country_before_a_foreign_phone() -> None:
    assert policy.zone_name(phone="+12125550100", country="") == "America/New_York"
    assert policy.zone_name(phone="+13105550100", country="US") == "America/Los_Angeles"
    assert policy.zone_name(phone="+13105550100", country="FR") == "Europe/Paris"
    assert policy.zone_name(phone="", country="MW") == "Africa/Blantyre"
    assert policy.zone_name(phone="", country="") == ""


def test_without_phone_or_country_the_organisations_zone_is_used(person, settings) -> None:
    settings.KLIYAN_QUIET_HOURS = "21:00-08:00"
    contact = person(phone=None, consents={"email": "granted"})  # the organisation: America/Port-au-Prince
    at = dt.datetime(2026, 3, 3, 3, 0, tzinfo=dt.UTC)  # 22:00 in Port-au-Prince
    haiti = zoneinfo.ZoneInfo("America/Port-au-Prince")
    assert verdict(contact, at=at).send_after == dt.datetime(2026, 3, 3, 8, 0, tzinfo=haiti)


def test_recipients_of_many_contacts_are_read_in_a_fixed_number_of_queries(person, django_assert_num_queries) -> None:
    contacts = [person(f"P{n}", email_address=f"p{n}@example.org", consents={"email": "granted"}) for n in range(5)]
    now = timezone.now()
    # contacts, addresses, consents, the weekly counts
    with django_assert_num_queries(4):
        found = policy.recipients_for([c.pk for c in contacts], channel="email", now=now, count_queued=True)
    assert {r.email for r in found.values()} == {f"p{n}@example.org" for n in range(5)}
