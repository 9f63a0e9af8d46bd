"""Two answers to one survey at the same moment (a double tap) store one; two campaign runs invite once (PostgreSQL)."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from django.db import connection, connections
from django.utils import timezone

from kliyan.contacts.models import Contact
from kliyan.feedback import campaigns
from kliyan.feedback.models import NpsCampaign, SurveyInvitation, SurveyResponse
from kliyan.feedback.services import AlreadyAnswered, new_invitation, response_submit

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the in-memory SQLite test database cannot queue writers"),
]


def at_once(*jobs: Callable[[], str]) -> list[str]:
    start = threading.Barrier(len(jobs))
    outcomes: list[str] = []
    failures: list[BaseException] = []

    def run(job: Callable[[], str]) -> None:
        try:
            start.wait()
            outcomes.append(job())
        except BaseException as error:  # noqa: BLE001 - reported by the assertion below
            failures.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []
    return outcomes


def test_a_double_tap_stores_one_answer() -> None:
    contact = Contact.objects.create(first_name="Ana", display_name="Ana")
    invitation = new_invitation(kind="csat", contact_id=contact.pk, language="ro", channel="link", now=timezone.now())
    invitation.save()

    def answer(score: int) -> Callable[[], str]:
        def job() -> str:
            try:
                response_submit(invitation=SurveyInvitation.objects.get(pk=invitation.pk), score=score)
            except AlreadyAnswered:
                return "already"
            return "stored"
        return job

    assert sorted(at_once(answer(5), answer(1))) == ["already", "stored"]
    assert SurveyResponse.objects.count() == 1


def test_two_runs_of_one_campaign_invite_everyone_once() -> None:
    Contact.objects.bulk_create([
        Contact(first_name=f"C{n}", display_name=f"C{n}", primary_email=f"c{n}@example.org") for n in range(60)
    ])
    campaign = NpsCampaign.objects.create(name="Twice", audience="all_with_email", total=60)

    def run() -> str:
        return campaigns.campaign_run(campaign_id=campaign.pk, batch_size=7).status

    assert at_once(run, run) == ["done", "done"]
    assert SurveyInvitation.objects.filter(campaign=campaign).count() == 60
    campaign.refresh_from_db()
    assert (campaign.invited, campaign.processed) == (60, 60)
