"""NPS campaigns: the right people asked, in batches, resumable, never twice; bad requests change nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from kliyan.contacts.models import Contact
from kliyan.contacts.services import consent_set, contact_archive, contact_create
from kliyan.core.errors import ValidationFailed
from kliyan.core.models import AuditEntry
from kliyan.feedback import campaigns
from kliyan.feedback.choices import CampaignStatus, SurveyChannel
from kliyan.feedback.models import NpsCampaign, SurveyInvitation

pytestmark = pytest.mark.django_db


def people(agent, count: int, prefix: str = "p", **extra) -> list[Contact]:
    return [
        contact_create(actor=agent, data={"first_name": f"{prefix} {n}", "emails": [{"email": f"{prefix}{n}@example.org"}], **extra})
        for n in range(count)
    ]


def bulk_people(count: int) -> None:
    """Many contacts quickly (straight rows: the campaign only reads them)."""
    Contact.objects.bulk_create([
        Contact(first_name=f"B{n}", display_name=f"B{n}", primary_email=f"b{n}@example.org", language="ht")
        for n in range(count)
    ], batch_size=1000)


def test_all_with_email_asks_active_contacts_with_an_address_who_did_not_withdraw_consent(
    agent, manager, django_capture_on_commit_callbacks,
) -> None:
    asked = people(agent, 3)
    archived = people(agent, 1, prefix="archived")[0]
    withdrawn = contact_create(actor=agent, data={"first_name": "W", "emails": [{"email": "w@example.org"}]})
    contact_archive(actor=manager, contact=archived)
    consent_set(actor=agent, contact=withdrawn, channel="email", status="withdrawn", method="verbal")
    contact_create(actor=agent, data={"first_name": "No address"})
    with django_capture_on_commit_callbacks(execute=True):
        campaign = campaigns.campaign_create(actor=manager, data={"name": "NPS spring", "audience": "all_with_email"})
    campaign.refresh_from_db()
    invited = set(SurveyInvitation.objects.filter(campaign=campaign).values_list("contact_id", flat=True))
    expected = {c.pk for c in asked}
    assert invited == expected
    assert (campaign.status, campaign.total, campaign.invited, campaign.percent_done) == (CampaignStatus.DONE, 3, 3, 100)
    assert set(SurveyInvitation.objects.filter(campaign=campaign).values_list("kind", "channel")) == {("nps", "email")}
    assert len(mail.outbox) == 3  # the e-mail sweep started right after the campaign
    assert AuditEntry.objects.filter(object_type="feedback.surveyinvitation").count() == 3
    assert AuditEntry.objects.filter(object_type="feedback.npscampaign", object_id=str(campaign.pk)).count() == 1


def test_a_list_of_ids_asks_those_contacts_on_their_own_channels(agent, manager, django_capture_on_commit_callbacks) -> None:
    by_mail = people(agent, 1)[0]
    by_whatsapp = contact_create(actor=agent, data={"first_name": "Wa", "phones": [{"number": "+509 37 00 0001"}], "preferred_channel": "whatsapp"})
    nothing = contact_create(actor=agent, data={"first_name": "Walk-in"})
    with django_capture_on_commit_callbacks(execute=True):
        campaign = campaigns.campaign_create(actor=manager, data={
            "name": "Chosen", "audience": "contacts", "contact_ids": [nothing.pk, by_whatsapp.pk, by_mail.pk, by_mail.pk],
        })
    channels = dict(SurveyInvitation.objects.filter(campaign=campaign).values_list("contact_id", "channel"))
    assert channels == {by_mail.pk: SurveyChannel.EMAIL, by_whatsapp.pk: SurveyChannel.WHATSAPP, nothing.pk: SurveyChannel.LINK}
    assert NpsCampaign.objects.get().total == 3


@pytest.mark.parametrize(("data", "fields"), [
    ({"name": "", "audience": "all_with_email"}, {"name"}),
    ({"name": "x" * 201, "audience": "everyone"}, {"name", "audience"}),
    ({"name": "x", "audience": "contacts"}, {"contact_ids"}),
    ({"name": "x", "audience": "contacts", "contact_ids": [1, "a", -2]}, {"contact_ids.1", "contact_ids.2"}),
    ({"name": "x", "audience": "contacts", "contact_ids": [987654]}, {"contact_ids"}),
    ({"name": "x", "audience": "all_with_email", "contact_ids": [1]}, {"contact_ids"}),
    ({"name": "x", "audience": "all_with_email", "segment": 3}, {"segment"}),
    ({"name": "x", "audience": "segment"}, {"segment_id"}),
    ({"name": "x", "audience": "segment", "segment_id": 987654}, {"segment_id"}),
    ({"name": "x", "audience": "all_with_email", "segment_id": 1}, {"segment_id"}),
])
def test_a_bad_campaign_names_each_field_and_writes_nothing(manager, contact, data, fields, django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationFailed) as raised:
        campaigns.campaign_create(actor=manager, data=data)
    assert set(raised.value.field_errors) == fields
    assert not NpsCampaign.objects.exists() and not SurveyInvitation.objects.exists()


def test_a_segment_asks_its_contacts_on_their_own_channels_as_its_rule_stood_at_the_start(
    agent, manager, django_capture_on_commit_callbacks,
) -> None:
    from kliyan.marketing.segment_services import segment_create, segment_update

    vip = people(agent, 2, prefix="vip", tags=["VIP"])
    by_sms = contact_create(actor=agent, data={"first_name": "Sms", "tags": ["VIP"], "phones": [{"number": "+509 37 00 0002"}]})
    people(agent, 2, prefix="other")
    segment = segment_create(actor=manager, data={"name": "VIP", "rule": {"all": [
        {"field": "tag", "op": "has", "value": vip[0].tags.get().pk}]}})
    with django_capture_on_commit_callbacks(execute=False) as started:
        campaign = campaigns.campaign_create(actor=manager, data={"name": "VIP NPS", "audience": "segment", "segment_id": segment.pk})
    # The segment changes before the run: the campaign asks whom the rule chose when it started.
    segment_update(actor=manager, segment=segment, data={"rule": {"all": []}})
    for callback in started:
        callback()
    campaign.refresh_from_db()
    channels = dict(SurveyInvitation.objects.filter(campaign=campaign).values_list("contact_id", "channel"))
    assert channels == {vip[0].pk: SurveyChannel.EMAIL, vip[1].pk: SurveyChannel.EMAIL, by_sms.pk: SurveyChannel.SMS}
    assert (campaign.status, campaign.total, campaign.invited, campaign.segment_id) == (CampaignStatus.DONE, 3, 3, segment.pk)


def test_a_segment_whose_rule_has_mistakes_is_refused(manager) -> None:
    from kliyan.marketing.models import Segment

    broken = Segment.objects.create(name="Broken", rule={"all": [{"field": "tag", "op": "has", "value": 424242}]})
    with pytest.raises(ValidationFailed) as raised:
        campaigns.campaign_create(actor=manager, data={"name": "x", "audience": "segment", "segment_id": broken.pk})
    assert "mistakes" in raised.value.field_errors["segment_id"][0]


def test_invitations_are_made_in_batches_with_a_bounded_number_of_queries(manager, django_assert_max_num_queries) -> None:
    bulk_people(250)
    campaign = campaigns.campaign_create(actor=manager, data={"name": "Big", "audience": "all_with_email"})
    NpsCampaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.QUEUED)
    SurveyInvitation.objects.all().delete()
    NpsCampaign.objects.filter(pk=campaign.pk).update(cursor=0, processed=0, invited=0)
    # Per batch of 100: savepoint, lock, read contacts, insert invitations (SQLite: 3 INSERTs of at most
    # 999 parameters each), insert audit rows, progress, release; then the batch that finds nothing left
    # and reading the campaign back. Nothing is done per contact.
    with django_assert_max_num_queries(3 * 9 + 5 + 1):
        campaigns.campaign_run(campaign_id=campaign.pk, batch_size=100)
    campaign.refresh_from_db()
    assert (campaign.status, campaign.invited, campaign.processed) == (CampaignStatus.DONE, 250, 250)
    assert SurveyInvitation.objects.filter(campaign=campaign).count() == 250
    assert set(SurveyInvitation.objects.values_list("language", flat=True)) == {"ht"}


def test_a_run_that_stopped_half_way_resumes_where_it_stopped_and_invites_nobody_twice(
    manager, django_capture_on_commit_callbacks,
) -> None:
    bulk_people(30)
    campaign = NpsCampaign.objects.create(name="Resumed", audience="all_with_email", total=30)
    assert campaigns._run_batch(campaign.pk, 10) is True
    assert campaigns._run_batch(campaign.pk, 10) is True
    NpsCampaign.objects.filter(pk=campaign.pk).update(
        status=CampaignStatus.FAILED, error="worker killed", updated_at=timezone.now() - dt.timedelta(hours=1),
    )
    campaign.refresh_from_db()
    assert campaigns.is_stalled(campaign) and campaign.invited == 20
    with django_capture_on_commit_callbacks(execute=True):
        campaigns.campaign_resume(actor=manager, campaign=campaign)
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.DONE and campaign.invited == 30
    assert SurveyInvitation.objects.filter(campaign=campaign).values("contact_id").distinct().count() == 30
    # A stray second run of the same campaign finds nothing left to do.
    campaigns.campaign_run(campaign_id=campaign.pk)
    assert SurveyInvitation.objects.filter(campaign=campaign).count() == 30


def test_a_running_campaign_is_not_resumed_twice(manager) -> None:
    campaign = NpsCampaign.objects.create(name="Busy", audience="all_with_email", status=CampaignStatus.RUNNING)
    with pytest.raises(ValidationFailed):
        campaigns.campaign_resume(actor=manager, campaign=campaign)
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.RUNNING


def test_contacts_erased_after_the_campaign_was_made_are_passed_over(agent, manager) -> None:
    chosen = people(agent, 3)
    campaign = NpsCampaign.objects.create(
        name="List", audience="contacts", contact_ids=sorted(c.pk for c in chosen), total=3,
    )
    Contact.objects.filter(pk=chosen[1].pk).delete()
    campaigns.campaign_run(campaign_id=campaign.pk, batch_size=1)
    campaign.refresh_from_db()
    assert (campaign.status, campaign.invited, campaign.processed) == (CampaignStatus.DONE, 2, 3)


def test_a_failing_batch_marks_the_campaign_failed_with_its_error(manager, monkeypatch) -> None:
    bulk_people(3)
    campaign = NpsCampaign.objects.create(name="Broken", audience="all_with_email", total=3)

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(campaigns, "record_many", broken)
    with pytest.raises(RuntimeError):
        campaigns.campaign_run(campaign_id=campaign.pk)
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.FAILED and "disk full" in campaign.error
    assert not SurveyInvitation.objects.exists()  # the batch rolled back whole
