"""SLA pages: the policy list and form (managers), the ticket page's SLA card, the queue's SLA badge."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from kliyan.service import services
from kliyan.service.models import SLAPolicy
from kliyan.service.tests.sla_helpers import install_clock, make_policy

pytestmark = pytest.mark.django_db

MANAGERS = {"admin", "manager"}
T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def form_data(**changes) -> dict[str, str]:
    data = {
        "name": "Urgent", "priority": "urgent", "category": "", "first_response": "30m", "resolution": "4h",
        "warn_at_percent": "80", "warn_minutes_before": "", "time_zone": "Europe/Bucharest", "holidays": "2026-12-25\n2026-12-26",
        "hours_mon": "09:00-12:00, 13:00-17:00", "hours_tue": "09:00-17:00", "hours_wed": "09:00-17:00",
        "hours_thu": "09:00-17:00", "hours_fri": "09:00-15:00", "hours_sat": "", "hours_sun": "", "active": "on",
    }
    data.update(changes)
    return data


def test_only_managers_and_admins_open_the_policy_pages(users, client_as, client, manager) -> None:
    policy = make_policy(manager)
    urls = [reverse("service:sla_policy_list"), reverse("service:sla_policy_create"), reverse("service:sla_policy_edit", args=[policy.pk])]
    for url in urls:
        for role, user in users.items():
            assert client_as(user).get(url).status_code == (200 if role in MANAGERS else 403), (url, role)
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert client_as(users["agent"]).post(urls[1], form_data()).status_code == 403
    assert SLAPolicy.objects.count() == 1


def test_a_manager_creates_a_policy_with_business_hours(manager, client_as) -> None:
    response = client_as(manager).post(reverse("service:sla_policy_create"), form_data())
    assert response.status_code == 302
    policy = SLAPolicy.objects.get(name="Urgent")
    assert (policy.priority, policy.first_response_within, policy.resolution_within, policy.warn_at_percent) == (
        "urgent", dt.timedelta(minutes=30), dt.timedelta(hours=4), 80)
    assert policy.calendar == {
        "time_zone": "Europe/Bucharest",
        "weekly_hours": {"mon": [["09:00", "12:00"], ["13:00", "17:00"]], "tue": [["09:00", "17:00"]], "wed": [["09:00", "17:00"]],
                         "thu": [["09:00", "17:00"]], "fri": [["09:00", "15:00"]]},
        "holidays": ["2026-12-25", "2026-12-26"],
    }
    page = client_as(manager).get(reverse("service:sla_policy_edit", args=[policy.pk])).content.decode()
    assert 'value="09:00-12:00, 13:00-17:00"' in page and 'value="30m"' in page


def test_bad_calendar_input_is_shown_next_to_each_field_and_nothing_is_saved(manager, client_as) -> None:
    response = client_as(manager).post(reverse("service:sla_policy_create"), form_data(
        name="", first_response="soon", time_zone="Mars/Olympus", hours_mon="9 to 5", hours_tue="17:00-09:00",
        holidays="2026-13-40",
    ))
    assert response.status_code == 422
    form = response.context["form"]
    assert {"name", "first_response", "hours_mon"} <= set(form.errors)
    # The form's own checks passed for these; the service named them.
    response = client_as(manager).post(reverse("service:sla_policy_create"), form_data(
        time_zone="Mars/Olympus", hours_tue="17:00-09:00", holidays="2026-13-40",
    ))
    assert response.status_code == 422
    assert set(response.context["form"].errors) == {"time_zone", "hours_tue", "holidays"}
    assert 'class="field field--text field--invalid"' in response.content.decode()
    assert not SLAPolicy.objects.exists()


def test_a_calendar_with_no_hours_at_all_is_refused(manager, client_as) -> None:
    empty = {f"hours_{day}": "" for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    response = client_as(manager).post(reverse("service:sla_policy_create"), form_data(**empty))
    assert response.status_code == 422 and "hours_mon" in response.context["form"].errors


def test_the_policy_form_fits_a_phone(manager, client_as) -> None:
    page = client_as(manager).get(reverse("service:sla_policy_create")).content.decode()
    assert 'name="viewport"' in page and "sla-form__days" in page
    assert 'style="width' not in page  # no fixed widths: the CSS grid stacks the days on a phone


def test_the_ticket_page_shows_each_target_in_the_viewers_time_zone(monkeypatch, manager, agent, contact, client_as) -> None:
    from kliyan.core.organisation import get_organisation

    install_clock(monkeypatch, T0)
    organisation = get_organisation()
    organisation.timezone = "America/Port-au-Prince"
    organisation.save()
    make_policy(manager, warn_at_percent=50)
    ticket = services.ticket_create(actor=agent, data={"contact": contact.pk, "subject": "Help"})
    page = client_as(agent).get(reverse("service:ticket_detail", args=[ticket.pk])).content.decode()
    assert "Service level" in page and "Policy: Default" in page and "On track" in page
    # Due 10:00 UTC is 05:00 in Port-au-Prince (UTC-5 in March before DST).
    assert "5:00" in page and "America/Port-au-Prince" in page


def test_the_queue_shows_each_tickets_sla_state(monkeypatch, manager, agent, contact, client_as) -> None:
    clock = install_clock(monkeypatch, T0)
    make_policy(manager, warn_at_percent=50)
    late = services.ticket_create(actor=agent, data={"contact": contact.pk, "subject": "Late one", "assignee": agent.pk})
    clock.advance(minutes=40)
    services.ticket_create(actor=agent, data={"contact": contact.pk, "subject": "Fresh one", "assignee": agent.pk})
    clock.advance(minutes=35)  # the first: 75 of 60 minutes; the second: 35 of 60, past the 50 % warning
    page = client_as(agent).get(reverse("service:queue"), {"tab": "mine"}).content.decode()
    row_of = lambda subject: page[page.index(subject):page.index("</li>", page.index(subject))]  # noqa: E731
    assert "Breached" in row_of("Late one")
    assert "At risk" in row_of("Fresh one")
    assert late.reference in page


@pytest.mark.parametrize("count", [2, 10])
def test_the_queue_with_slas_costs_the_same_queries_for_any_page_size(count, manager, agent, contact, client_as,
                                                                       django_assert_num_queries) -> None:
    make_policy(manager)
    for n in range(count):
        services.ticket_create(actor=agent, data={"contact": contact.pk, "subject": f"T{n}", "assignee": agent.pk})
    client = client_as(agent)
    # session, user, categories (filter), team ids, tab counts, the page of tickets with their relations
    with django_assert_num_queries(6):
        response = client.get(reverse("service:queue"), {"tab": "mine"})
    assert len(response.context["page"].items) == count


def test_the_history_names_the_policy_change_and_each_notice(monkeypatch, manager, agent, contact, client_as) -> None:
    from kliyan.service.tasks import escalate_slas

    clock = install_clock(monkeypatch, T0)
    make_policy(manager, name="Standard")
    make_policy(manager, name="Urgent", priority="urgent", first_response_minutes=15)
    ticket = services.ticket_create(actor=agent, data={"contact": contact.pk, "subject": "Help", "assignee": agent.pk})
    services.ticket_update(actor=agent, ticket=ticket, data={"priority": "urgent"})
    clock.advance(minutes=20)
    escalate_slas.call()
    page = client_as(agent).get(reverse("service:ticket_detail", args=[ticket.pk])).content.decode()
    assert "SLA policy" in page and "Standard" in page and "Urgent" in page
    assert "SLA breached" in page and "First response" in page
