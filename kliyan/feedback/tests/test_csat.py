"""A resolved ticket asks its customer for a CSAT score: once per ticket, in the same transaction."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone
from django.db import transaction

from kliyan.accounts.teams import team_create
from kliyan.contacts.services import contact_create
from kliyan.core.models import AuditEntry
from kliyan.feedback.choices import InvitationStatus, SurveyChannel, SurveyKind
from kliyan.feedback.models import SurveyInvitation
from kliyan.feedback.services import channel_for, language_for
from kliyan.service import categories, services

pytestmark = pytest.mark.django_db


def test_resolving_a_ticket_creates_a_queued_invitation_with_the_tickets_dimensions(agent, manager, ticket, resolve) -> None:
    category = categories.category_create(actor=manager, data={"name": "Livrare"})
    team = team_create(actor=manager, data={"name": "Suport"})
    services.ticket_update(actor=agent, ticket=ticket, data={"category": category.pk, "team": team.pk})
    invitation = resolve(ticket)
    assert invitation is not None
    assert (invitation.kind, invitation.status, invitation.channel, invitation.language) == (
        SurveyKind.CSAT, InvitationStatus.QUEUED, SurveyChannel.EMAIL, "ro",
    )
    assert (invitation.contact_id, invitation.category_id, invitation.team_id, invitation.agent_id) == (
        ticket.contact_id, category.pk, team.pk, agent.pk,
    )
    assert (invitation.expires_at - invitation.created_at).days == 30
    assert AuditEntry.objects.filter(object_type="feedback.surveyinvitation", object_id=str(invitation.pk),
                                     contact_id=ticket.contact_id).count() == 1


def test_a_ticket_resolved_reopened_and_resolved_again_asks_once_with_its_first_dimensions(agent, manager, ticket, resolve) -> None:
    first = resolve(ticket)
    services.ticket_customer_message(actor=None, ticket=ticket, body="Still not here!", from_address="stefan.popescu@example.ro")
    ticket.refresh_from_db()
    assert ticket.status == "reopened"
    services.ticket_update(actor=agent, ticket=ticket, data={"assignee": manager.pk})
    again = resolve(ticket, by=manager)
    assert SurveyInvitation.objects.filter(ticket=ticket).count() == 1
    assert again == first and again.agent_id == agent.pk


def test_the_answer_keeps_counting_under_what_the_ticket_was_when_it_was_resolved(agent, manager, ticket, invitation) -> None:
    other = categories.category_create(actor=manager, data={"name": "Alta"})
    services.ticket_update(actor=manager, ticket=ticket, data={"assignee": manager.pk, "category": other.pk})
    invitation.refresh_from_db()
    assert (invitation.agent_id, invitation.category_id) == (agent.pk, None)


def test_a_resolution_that_rolls_back_leaves_no_invitation_and_sends_nothing(agent, ticket, django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        with transaction.atomic():
            services.ticket_change_status(actor=agent, ticket=ticket, status="resolved")
            raise RuntimeError("the request failed after the resolution")
    assert not SurveyInvitation.objects.exists()
    assert mail.outbox == []


def test_the_invitation_is_emailed_after_the_commit(ticket, resolve, django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        invitation = resolve(ticket)
    assert mail.outbox == [] and callbacks
    for callback in callbacks:
        callback()
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["stefan.popescu@example.ro"]
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.SENT and invitation.sent_at is not None


def test_by_default_the_survey_leaves_ten_minutes_after_the_resolution_with_the_sweep(
    settings, ticket, resolve, django_capture_on_commit_callbacks,
) -> None:
    from kliyan.feedback.tasks import send_due_survey_emails

    settings.KLIYAN_CSAT_DELAY_MINUTES = 10
    with django_capture_on_commit_callbacks(execute=True):
        invitation = resolve(ticket)
    assert mail.outbox == []
    assert dt.timedelta(minutes=10) == invitation.next_attempt_at - invitation.created_at
    assert send_due_survey_emails.enqueue().return_value == 0
    SurveyInvitation.objects.filter(pk=invitation.pk).update(next_attempt_at=timezone.now())  # ten minutes later
    assert send_due_survey_emails.enqueue().return_value == 1
    assert len(mail.outbox) == 1


def test_no_survey_when_csat_is_switched_off(settings, ticket, resolve) -> None:
    settings.KLIYAN_CSAT_ENABLED = False
    assert resolve(ticket) is None


def test_closing_without_resolving_first_does_not_ask(agent, ticket) -> None:
    services.ticket_change_status(actor=agent, ticket=ticket, status="closed")
    assert not SurveyInvitation.objects.exists()


@pytest.mark.parametrize(("email", "phone", "preferred", "expected"), [
    ("a@example.org", "+50937000000", "", SurveyChannel.EMAIL),
    ("a@example.org", "+50937000000", "whatsapp", SurveyChannel.WHATSAPP),
    ("a@example.org", "", "whatsapp", SurveyChannel.EMAIL),
    ("", "+50937000000", "", SurveyChannel.SMS),
    ("", "+50937000000", "email", SurveyChannel.SMS),
    ("", "", "sms", SurveyChannel.LINK),
])
def test_the_channel_follows_the_preference_when_it_can_reach_them(email, phone, preferred, expected) -> None:
    assert channel_for(email=email, phone=phone, preferred=preferred) == expected


def test_the_language_is_the_contacts_else_the_organisations(agent, resolve) -> None:
    from kliyan.core.organisation import get_organisation

    assert language_for("ht") == "ht"
    organisation = get_organisation()
    organisation.language = "fr"
    organisation.save()
    from django.core.cache import cache

    cache.clear()
    assert language_for("") == "fr"
    person = contact_create(actor=agent, data={"first_name": "Jean", "phones": [{"number": "+509 37 00 0000"}]})
    ticket = services.ticket_create(actor=agent, data={"contact": person.pk, "subject": "Kesyon"})
    invitation = resolve(ticket)
    assert (invitation.language, invitation.channel) == ("fr", SurveyChannel.SMS)
