"""The "log an interaction" and "add a note" pages, role by role, valid and invalid."""

from __future__ import annotations

import datetime as dt

import zoneinfo

import pytest
from django.urls import reverse
from django.utils import timezone

from kliyan.core.models import AuditEntry
from kliyan.core.organisation import get_organisation
from kliyan.core.registry import contact_timeline
from kliyan.interactions.models import Interaction, Note, Task

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def log_url(contact) -> str:
    return reverse("interactions:interaction_log", args=[contact.pk])


def org_now() -> dt.datetime:
    """Return now on the organisation's clock, as the form shows and reads it."""
    return timezone.localtime(timezone=zoneinfo.ZoneInfo(get_organisation().timezone))


def valid_post(**extra) -> dict:
    return {
        "channel": "instagram", "direction": "inbound",
        "occurred_at": org_now().strftime("%Y-%m-%dT%H:%M"),
        "question": "Do you have the blue dress in size 40?", "answer": "Yes, two left; we keep one until Friday.",
        "outcome": "answered", **extra,
    }


def test_anonymous_visitor_is_sent_to_log_in(client, contact) -> None:
    response = client.post(log_url(contact), valid_post())
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))
    assert not Interaction.objects.exists()


def test_viewer_may_not_log_and_nothing_is_saved(viewer, contact, client_as) -> None:
    client = client_as(viewer)
    audits = AuditEntry.objects.count()
    assert client.get(log_url(contact)).status_code == 403
    response = client.post(log_url(contact), valid_post(follow_up_title="Call back", follow_up_due_date="2030-01-01"))
    assert response.status_code == 403
    assert not Interaction.objects.exists()
    assert not Task.objects.exists()
    assert AuditEntry.objects.count() == audits


@pytest.mark.parametrize("role", ["agent", "manager", "admin"])
def test_staff_who_log_interactions_see_the_form(role, users, contact, client_as) -> None:
    response = client_as(users[role]).get(log_url(contact))
    assert response.status_code == 200
    body = response.content.decode()
    for channel in ("instagram", "whatsapp", "facebook", "sms", "email", "phone", "fax", "store", "website",
                    "letter", "chat", "meeting", "other"):
        assert f'value="{channel}"' in body
    assert response.context["form"]["follow_up_assignee"].value() == users[role].pk


def test_when_defaults_to_now_in_the_organisations_time_zone(agent, contact, client_as) -> None:
    from kliyan.core.services import organisation_update
    from kliyan.core.organisation import get_organisation

    organisation_update(actor=None, data={"timezone": "Pacific/Kiritimati"})  # UTC+14: never UTC's date by accident
    assert get_organisation().timezone == "Pacific/Kiritimati"
    response = client_as(agent).get(log_url(contact))
    shown = dt.datetime.fromisoformat(response.context["form"]["occurred_at"].value())
    expected = timezone.now().astimezone(dt.timezone(dt.timedelta(hours=14))).replace(tzinfo=None)
    assert abs(shown - expected) < dt.timedelta(minutes=2)


def test_contact_page_links_to_the_log_form(agent, contact, client_as) -> None:
    """One tap: the contact page carries the link itself."""
    response = client_as(agent).get(contact.get_absolute_url())
    assert f'href="{log_url(contact)}"' in response.content.decode()


def test_agent_logs_an_instagram_question_with_a_follow_up(agent, manager, contact, client_as) -> None:
    client = client_as(agent)
    response = client.post(log_url(contact), valid_post(
        follow_up_title="Hold the blue dress", follow_up_due_date="2030-05-02",
        follow_up_assignee=str(manager.pk), follow_up_remind_at="2030-05-02T09:00",
    ))
    assert response.status_code == 302
    assert response.url == reverse("contacts:contact_detail", args=[contact.pk]) + "#timeline"

    interaction = Interaction.objects.get()
    assert (interaction.contact, interaction.channel, interaction.direction, interaction.staff) == (contact, "instagram", "inbound", agent)
    assert interaction.question == "Do you have the blue dress in size 40?"
    assert interaction.answer == "Yes, two left; we keep one until Friday."
    assert interaction.outcome == "answered"
    task = Task.objects.get()
    assert (task.title, task.due_date, task.assignee, task.contact, task.interaction) == (
        "Hold the blue dress", dt.date(2030, 5, 2), manager, contact, interaction)
    org_zone = zoneinfo.ZoneInfo(get_organisation().timezone)
    assert task.remind_at == dt.datetime(2030, 5, 2, 9, 0, tzinfo=org_zone)

    audited = set(AuditEntry.objects.filter(contact_id=contact.pk, action="create").values_list("object_type", flat=True))
    assert {"interactions.interaction", "interactions.task"} <= audited
    kinds = {(entry.kind, entry.id) for entry in contact_timeline(contact.pk)}
    assert {("interaction", interaction.pk), ("task", task.pk)} <= kinds

    page = client.get(response.url)
    body = page.content.decode()
    assert "Interaction saved." in body
    assert "Do you have the blue dress in size 40?" in body
    assert "Hold the blue dress" in body


def test_interests_shown_are_kept_shown_on_the_timeline_and_a_long_one_is_named(agent, contact, client_as) -> None:
    client = client_as(agent)
    refused = client.post(log_url(contact), valid_post(interests="Dresses, " + "x" * 81))
    assert refused.status_code == 422
    assert "80" in refused.context["form"].errors["interests"][0]
    assert not Interaction.objects.exists()

    response = client.post(log_url(contact), valid_post(interests="Dresses, size 40 shoes"))
    assert response.status_code == 302
    shown = Interaction.objects.get().interests.values_list("name", flat=True)
    assert sorted(shown) == ["Dresses", "size 40 shoes"]
    assert sorted(contact.interests.values_list("name", flat=True)) == ["Dresses", "size 40 shoes"]
    page = client.get(response.url).content.decode()
    assert "Interests shown:" in page and "size 40 shoes" in page


def test_follow_up_assignee_defaults_to_the_person_logging(agent, contact, client_as) -> None:
    client = client_as(agent)
    form = client.get(log_url(contact)).context["form"]
    client.post(log_url(contact), valid_post(
        follow_up_title="Send the catalogue", follow_up_due_date="2030-01-10",
        follow_up_assignee=form["follow_up_assignee"].value(),
    ))
    assert Task.objects.get().assignee == agent


def test_no_follow_up_without_a_title_or_date(agent, contact, client_as) -> None:
    client_as(agent).post(log_url(contact), valid_post(follow_up_assignee=str(agent.pk)))
    assert Interaction.objects.count() == 1
    assert not Task.objects.exists()


def test_missing_channel_is_named_and_nothing_is_saved(agent, contact, client_as) -> None:
    client = client_as(agent)
    audits = AuditEntry.objects.count()
    data = valid_post()
    del data["channel"]
    response = client.post(log_url(contact), data)
    assert response.status_code == 422
    assert response.context["form"].errors["channel"]
    assert 'id="id_channel_error"' in response.content.decode()
    assert not Interaction.objects.exists()
    assert AuditEntry.objects.count() == audits


def test_bad_date_is_named_and_nothing_is_saved(agent, contact, client_as) -> None:
    client = client_as(agent)
    audits = AuditEntry.objects.count()
    response = client.post(log_url(contact), valid_post(occurred_at="yesterday-ish"))
    assert response.status_code == 422
    assert list(response.context["form"].errors) == ["occurred_at"]
    assert "yesterday-ish" in response.context["form"].errors["occurred_at"][0]
    assert not Interaction.objects.exists()
    assert AuditEntry.objects.count() == audits


def test_bad_follow_up_date_is_named_and_neither_is_saved(agent, contact, client_as) -> None:
    response = client_as(agent).post(log_url(contact), valid_post(follow_up_title="Call back", follow_up_due_date="31/02/2030"))
    assert response.status_code == 422
    assert list(response.context["form"].errors) == ["follow_up_due_date"]
    assert "<details class=\"fieldset follow-up\" open>" in response.content.decode()
    assert not Interaction.objects.exists()
    assert not Task.objects.exists()


def test_htmx_post_answers_with_a_redirect_header_or_the_form(agent, contact, client_as) -> None:
    client = client_as(agent)
    bad = client.post(log_url(contact), valid_post(channel="pigeon"), **HTMX)
    assert bad.status_code == 422
    assert "<html" not in bad.content.decode()
    assert 'id="interaction-log"' in bad.content.decode()
    good = client.post(log_url(contact), valid_post(), **HTMX)
    assert good.status_code == 204
    assert good["HX-Redirect"] == reverse("contacts:contact_detail", args=[contact.pk]) + "#timeline"
    assert Interaction.objects.count() == 1


def test_log_for_an_unknown_contact_is_404(agent, client_as, db) -> None:
    response = client_as(agent).get(reverse("interactions:interaction_log", args=[999999]))
    assert response.status_code == 404


# --- Notes -------------------------------------------------------------------------


def test_viewer_may_not_add_a_note(viewer, contact, client_as) -> None:
    response = client_as(viewer).post(reverse("interactions:note_add", args=[contact.pk]), {"body": "Hi"})
    assert response.status_code == 403
    assert not Note.objects.exists()


def test_agent_adds_a_note_to_the_timeline(agent, contact, client_as) -> None:
    response = client_as(agent).post(reverse("interactions:note_add", args=[contact.pk]), {"body": "Prefers mornings."})
    assert response.status_code == 302
    note = Note.objects.get()
    assert (note.contact, note.author, note.body) == (contact, agent, "Prefers mornings.")
    assert ("note", note.pk) in {(e.kind, e.id) for e in contact_timeline(contact.pk)}


def test_empty_note_is_refused(agent, contact, client_as) -> None:
    response = client_as(agent).post(reverse("interactions:note_add", args=[contact.pk]), {"body": ""})
    assert response.status_code == 422
    assert response.context["form"].errors["body"]
    assert not Note.objects.exists()


def test_only_managers_archive_notes(agent, manager, contact, client_as) -> None:
    from kliyan.interactions.services import note_add

    note = note_add(actor=agent, contact=contact, body="Old news")
    url = reverse("interactions:note_archive", args=[note.pk])
    assert client_as(agent).post(url).status_code == 403
    note.refresh_from_db()
    assert note.archived_at is None
    assert client_as(manager).post(url).status_code == 302
    note.refresh_from_db()
    assert note.archived_at is not None
