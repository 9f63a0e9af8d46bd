"""Duplicates pages: the list, the scan, "not duplicates", the merge page and "Merge with…"; managers and admins only."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from kliyan.contacts.models import Contact
from kliyan.core.models import AuditEntry
from kliyan.dedupe.choices import PairStatus, ScanStatus
from kliyan.dedupe.models import DuplicatePair, DuplicateScan
from kliyan.interactions.models import Interaction
from kliyan.interactions.services import interaction_log

pytestmark = pytest.mark.django_db


@pytest.fixture
def pair(person):
    a = person("Marie", "Joseph", emails=["marie@example.ht"], job_title="Chef")
    b = person("Mari", "Joseph", emails=["marie@example.ht"], job_title="Cook", phones=["+509 3712 3456"])
    return DuplicatePair.objects.create(
        contact_a=a, contact_b=b, score=100, reasons=[{"code": "email", "value": "marie@example.ht"}, {"code": "similar_name", "value": 95}],
    )


def merge_url(*contacts) -> str:
    return reverse("dedupe:merge") + "?" + "&".join(f"ids={c.pk}" for c in contacts)


@pytest.mark.parametrize("role", ["viewer", "agent"])
def test_viewers_and_agents_are_refused_every_page_and_button(role, users, client_as, pair):
    client = client_as(users[role])
    state = list(Contact.objects.values_list("pk", "archived_at", "merged_into_id"))

    for url in (reverse("dedupe:pair_list"), merge_url(pair.contact_a, pair.contact_b), reverse("dedupe:merge_with", args=[pair.contact_a_id])):
        assert client.get(url).status_code == 403
    assert client.post(reverse("dedupe:scan_start")).status_code == 403
    assert client.post(reverse("dedupe:pair_dismiss", args=[pair.pk])).status_code == 403
    assert client.post(merge_url(pair.contact_a, pair.contact_b), {"survivor": pair.contact_a_id}).status_code == 403

    assert list(Contact.objects.values_list("pk", "archived_at", "merged_into_id")) == state
    assert not DuplicateScan.objects.exists() and DuplicatePair.objects.get().status == PairStatus.OPEN


def test_anonymous_visitors_are_sent_to_log_in():
    response = Client().get(reverse("dedupe:pair_list"))

    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("role", ["manager", "admin"])
def test_the_list_shows_each_pair_with_its_score_and_reasons(role, users, client_as, pair):
    response = client_as(users[role]).get(reverse("dedupe:pair_list"))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Marie Joseph" in html and "Mari Joseph" in html and ">100<" in html
    assert "same e-mail: marie@example.ht" in html and "similar name" in html
    assert merge_url(pair.contact_a, pair.contact_b).replace("&", "&amp;") in html


def test_the_list_pages_by_score_with_a_fixed_number_of_queries(person, manager, client_as, settings, django_assert_max_num_queries):
    settings.KLIYAN_PAGE_SIZE = 5
    people = [person(f"Client{n}", "Joseph") for n in range(31)]
    for n in range(30):
        DuplicatePair.objects.create(contact_a=people[n], contact_b=people[n + 1], score=40 + n, reasons=[{"code": "name", "value": ""}])
    client = client_as(manager)
    client.get(reverse("dedupe:pair_list"))  # warm the session and the organisation cache

    with django_assert_max_num_queries(5):
        first = client.get(reverse("dedupe:pair_list"), {"min_score": 50})
    with django_assert_max_num_queries(5):
        second = client.get(reverse("dedupe:pair_list"), {"min_score": 50, "cursor": first.context["page"].next_cursor})

    assert [p.score for p in first.context["page"].items] == [69, 68, 67, 66, 65]
    assert [p.score for p in second.context["page"].items] == [64, 63, 62, 61, 60]


def test_the_search_button_starts_a_scan_and_the_card_follows_it(person, manager, client_as, django_capture_on_commit_callbacks):
    person("Marie", "Joseph", emails=["marie@example.ht"]), person("Marie", "Joseph", emails=["marie@example.ht"])
    client = client_as(manager)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("dedupe:scan_start"))

    assert response.status_code == 302
    scan = DuplicateScan.objects.get()
    assert scan.status == ScanStatus.DONE and DuplicatePair.objects.count() == 1
    card = client.get(reverse("dedupe:scan_progress", args=[scan.pk]), headers={"HX-Request": "true"})
    assert card.status_code == 200 and card["HX-Refresh"] == "true" and "Pairs found" in card.content.decode()
    assert "Latest search" in client.get(reverse("dedupe:pair_list")).content.decode()


def test_a_running_scan_card_polls_itself(manager, client_as):
    scan = DuplicateScan.objects.create(status=ScanStatus.RUNNING, percent=40, phase="names")

    html = client_as(manager).get(reverse("dedupe:pair_list")).content.decode()

    assert f'hx-get="{reverse("dedupe:scan_progress", args=[scan.pk])}"' in html and "Comparing names" in html


def test_not_duplicates_removes_the_pair_from_the_list_and_comes_back_to_it(pair, manager, client_as):
    client = client_as(manager)
    back = reverse("dedupe:pair_list") + "?min_score=50"

    response = client.post(reverse("dedupe:pair_dismiss", args=[pair.pk]), {"next": back})

    assert response.status_code == 302 and response["Location"] == back
    pair.refresh_from_db()
    assert pair.status == PairStatus.DISMISSED
    assert "Marie Joseph" not in client.get(back).content.decode()
    dismissed = client.get(reverse("dedupe:pair_list"), {"status": "dismissed"}).content.decode()
    assert "Put back on the list" in dismissed
    assert client.post(reverse("dedupe:pair_dismiss", args=[pair.pk]), {"next": "https://evil.example/"})["Location"] == reverse("dedupe:pair_list")


def test_the_merge_page_compares_the_contacts_and_offers_a_choice_where_they_differ(pair, manager, client_as, agent):
    interaction_log(actor=agent, contact=pair.contact_b, data={"channel": "phone", "question": "Price?"})

    response = client_as(manager).get(merge_url(pair.contact_a, pair.contact_b))

    html = response.content.decode()
    assert response.status_code == 200
    assert 'name="survivor"' in html and html.count('name="keep_job_title"') == 2
    assert 'name="keep_first_name"' in html and 'name="keep_language"' not in html
    assert "Interactions: 1" in html


def test_merging_from_the_page_keeps_the_chosen_values_and_leads_to_the_survivor(pair, manager, client_as, agent):
    interaction_log(actor=agent, contact=pair.contact_b, data={"channel": "phone", "question": "Price?"})
    a, b = pair.contact_a, pair.contact_b
    client = client_as(manager)

    response = client.post(merge_url(a, b), {"survivor": b.pk, "keep_job_title": a.pk, "keep_first_name": a.pk})

    assert response.status_code == 302 and response["Location"] == reverse("contacts:contact_detail", args=[b.pk])
    survivor = Contact.objects.get(pk=b.pk)
    assert (survivor.first_name, survivor.job_title) == ("Marie", "Chef")
    assert Contact.objects.get(pk=a.pk).merged_into_id == b.pk
    assert Interaction.objects.get().contact_id == b.pk
    old_link = client.get(reverse("contacts:contact_detail", args=[a.pk]))
    assert old_link.status_code == 302 and old_link["Location"] == reverse("contacts:contact_detail", args=[b.pk])
    page = client.get(old_link["Location"])
    assert "was merged into this contact" in page.content.decode()
    # The survivor's "Changes" box also shows the entries of the contact merged into it.
    assert a.pk in {row.entry.contact_id for row in page.context["audit_rows"]}
    assert AuditEntry.objects.filter(action="merge", contact_id=b.pk).exists()


def test_the_merge_page_refuses_an_archived_or_unknown_contact_and_changes_nothing(pair, person, manager, client_as):
    client = client_as(manager)
    archived = person("Old", "Record")
    Contact.objects.filter(pk=archived.pk).update(archived_at="2026-01-01T00:00:00Z")

    refused = client.get(merge_url(pair.contact_a, archived))
    unknown = client.post(reverse("dedupe:merge") + f"?ids={pair.contact_a_id}&ids=999999", {"survivor": pair.contact_a_id})
    alone = client.get(merge_url(pair.contact_a))
    crowd = client.get(reverse("dedupe:merge") + "?ids=" + ",".join(str(n) for n in range(1, 13)))

    assert refused.status_code == 422 and "restore it before merging" in refused.content.decode()
    assert unknown.status_code == 404 and "There is no contact with id 999999" in unknown.content.decode()
    assert alone.status_code == 422 and "at least two contacts" in alone.content.decode()
    assert crowd.status_code == 422 and "at most 11 contacts" in crowd.content.decode()
    assert not Contact.objects.filter(merged_into__isnull=False).exists()


def test_a_survivor_outside_the_contacts_shown_is_an_error_next_to_the_choice(pair, person, manager, client_as):
    outsider = person("Some", "One")

    response = client_as(manager).post(merge_url(pair.contact_a, pair.contact_b), {"survivor": outsider.pk})

    assert response.status_code == 422 and response.context["form"].errors["survivor"]
    assert not Contact.objects.filter(merged_into__isnull=False).exists()


def test_merge_with_suggests_likely_duplicates_and_finds_others(pair, person, manager, client_as):
    other = person("Marie-Ange", "Joseph", emails=["ange@example.ht"])
    client = client_as(manager)
    url = reverse("dedupe:merge_with", args=[pair.contact_a_id])

    suggested = client.get(url).content.decode()
    searched = client.get(url, {"q": "ange@example.ht"}).content.decode()

    assert "Likely the same person" in suggested and f'value="{pair.contact_b_id}" checked' in suggested
    assert f'name="ids" value="{other.pk}"' in searched


@pytest.mark.parametrize(("role", "shown"), [("manager", True), ("admin", True), ("agent", False), ("viewer", False)])
def test_the_contact_page_offers_merge_with_to_managers_and_admins(role, shown, users, client_as, pair):
    html = client_as(users[role]).get(reverse("contacts:contact_detail", args=[pair.contact_a_id])).content.decode()

    assert (reverse("dedupe:merge_with", args=[pair.contact_a_id]) in html) is shown
