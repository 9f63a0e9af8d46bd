"""Contact pages: list and search, the 360° page, create/edit, duplicates, archive, consent."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kliyan.contacts.models import Company, ConsentEvent, Contact, CustomFieldDefinition
from kliyan.contacts.services import company_create, consent_set, contact_create, contact_update
from kliyan.core.models import AuditEntry, Organisation
from kliyan.core.registry import ContactPanel, _contact_panels, register_contact_panel

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def contact_post(**fields: Any) -> dict[str, Any]:
    """Return the POST body of the contact form: empty child rows plus `fields`.

    `emails`, `phones` and `addresses` take lists of row dicts.
    """
    body: dict[str, Any] = {}
    for prefix in ("emails", "phones", "addresses"):
        rows = fields.pop(prefix, [])
        body[f"{prefix}-TOTAL_FORMS"] = str(len(rows) + 1)
        body[f"{prefix}-INITIAL_FORMS"] = "0"
        for n, row in enumerate(rows):
            for key, value in row.items():
                body[f"{prefix}-{n}-{key}"] = value
    return {**body, **fields}


def make_person(actor: Any, first: str, phone: str = "", email: str = "", **data: Any) -> Contact:
    return contact_create(actor=actor, data={
        "first_name": first,
        "phones": [{"number": phone}] if phone else [],
        "emails": [{"email": email}] if email else [],
        **data,
    })


@pytest.fixture
def haiti(db: Any) -> None:
    Organisation.objects.update_or_create(pk=1, defaults={"country": "HT"})


# --- Access, role by role -------------------------------------------------------------

PAGES = [
    ("contacts:contact_list", False),
    ("contacts:contact_detail", True),
    ("contacts:contact_create", False),
    ("contacts:contact_edit", True),
    ("contacts:contact_consent", True),
    ("contacts:contact_timeline", True),
]
# Which roles may open each page (GET).
ALLOWED = {
    "contacts:contact_list": {"admin", "manager", "agent", "viewer"},
    "contacts:contact_detail": {"admin", "manager", "agent", "viewer"},
    "contacts:contact_timeline": {"admin", "manager", "agent", "viewer"},
    "contacts:contact_create": {"admin", "manager", "agent"},
    "contacts:contact_edit": {"admin", "manager", "agent"},
    "contacts:contact_consent": {"admin", "manager", "agent"},
}


def _url(name: str, needs_pk: bool, contact: Contact) -> str:
    return reverse(name, args=[contact.pk]) if needs_pk else reverse(name)


@pytest.mark.parametrize(("name", "needs_pk"), PAGES)
def test_anonymous_visitor_is_sent_to_log_in(contact, name: str, needs_pk: bool) -> None:
    url = _url(name, needs_pk, contact)
    response = Client().get(url)
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


@pytest.mark.parametrize(("name", "needs_pk"), PAGES)
@pytest.mark.parametrize("role", ["admin", "manager", "agent", "viewer"])
def test_page_is_shown_only_to_roles_with_the_permission(users, contact, client_as, name, needs_pk, role) -> None:
    response = client_as(users[role]).get(_url(name, needs_pk, contact))
    assert response.status_code == (200 if role in ALLOWED[name] else 403)


def test_viewer_cannot_create_edit_archive_or_record_consent_and_nothing_changes(viewer, contact, client_as) -> None:
    client = client_as(viewer)
    audit_before = AuditEntry.objects.count()  # after the login entry
    assert client.post(reverse("contacts:contact_create"), contact_post(first_name="Eve")).status_code == 403
    assert client.post(reverse("contacts:contact_edit", args=[contact.pk]), contact_post(first_name="Eve")).status_code == 403
    assert client.post(reverse("contacts:contact_archive", args=[contact.pk])).status_code == 403
    consent = {"channel": "email", "status": "granted", "method": "verbal"}
    assert client.post(reverse("contacts:contact_consent", args=[contact.pk]), consent).status_code == 403
    contact.refresh_from_db()
    assert Contact.objects.count() == 1
    assert contact.first_name == "Ștefan"
    assert contact.archived_at is None
    assert not ConsentEvent.objects.exists()
    assert AuditEntry.objects.count() == audit_before


def test_agent_cannot_archive(agent, contact, client_as) -> None:
    response = client_as(agent).post(reverse("contacts:contact_archive", args=[contact.pk]))
    assert response.status_code == 403
    contact.refresh_from_db()
    assert contact.archived_at is None


# --- List, search, filters ------------------------------------------------------------


def _names(response) -> list[str]:
    return [c.display_name for c in response.context["page"].items]


def test_search_finds_a_phone_typed_in_any_format(haiti, agent, client_as) -> None:
    make_person(agent, "Marie", phone="+509 3712 3456")
    make_person(agent, "Jean", phone="+509 3799 0000")
    client = client_as(agent)
    for typed in ("3712-3456", "0050937123456", "+509 3712 3456"):
        response = client.get(reverse("contacts:contact_list"), {"q": typed})
        assert _names(response) == ["Marie"], typed


def test_search_ignores_accents_and_finds_email_and_company(agent, client_as) -> None:
    company = company_create(actor=agent, data={"name": "Boulangerie Céline"})
    make_person(agent, "Ștefan", last_name="Ionescu")
    make_person(agent, "Ana", email="ana.pop@example.ro")
    make_person(agent, "Luc", company_id=company.pk)
    client = client_as(agent)
    assert _names(client.get(reverse("contacts:contact_list"), {"q": "stefan"})) == ["Ștefan Ionescu"]
    assert _names(client.get(reverse("contacts:contact_list"), {"q": "ana.pop"})) == ["Ana"]
    assert _names(client.get(reverse("contacts:contact_list"), {"q": "celine"})) == ["Luc"]


def test_filters_and_sort(agent, manager, client_as) -> None:
    older = make_person(agent, "Zoé", tags=["vip"], language="fr", owner_id=manager.pk)
    make_person(agent, "Adam", tags=["wholesale"], language="en")
    archived = make_person(agent, "Bruno")
    Contact.objects.filter(pk=archived.pk).update(archived_at=timezone.now())
    Contact.objects.filter(pk=older.pk).update(created_at=timezone.now() - dt.timedelta(days=3))
    client = client_as(agent)
    url = reverse("contacts:contact_list")
    assert _names(client.get(url)) == ["Adam", "Zoé"]
    assert _names(client.get(url, {"tag": "vip"})) == ["Zoé"]
    assert _names(client.get(url, {"language": "en"})) == ["Adam"]
    assert _names(client.get(url, {"owner": manager.pk})) == ["Zoé"]
    assert _names(client.get(url, {"status": "archived"})) == ["Bruno"]
    assert _names(client.get(url, {"status": "all", "sort": "-created"})) == ["Bruno", "Adam", "Zoé"]


def test_list_pages_with_a_cursor(agent, client_as, settings) -> None:
    settings.KLIYAN_PAGE_SIZE = 2
    for name in ("Ana", "Bea", "Cid"):
        make_person(agent, name)
    client = client_as(agent)
    first = client.get(reverse("contacts:contact_list"))
    assert _names(first) == ["Ana", "Bea"]
    second = client.get(reverse("contacts:contact_list"), {"cursor": first.context["page"].next_cursor})
    assert _names(second) == ["Cid"]
    assert second.context["page"].next_cursor is None
    assert client.get(reverse("contacts:contact_list"), {"cursor": "garbage"}).status_code == 200


def test_typing_in_search_answers_htmx_with_the_results_fragment_only(agent, client_as) -> None:
    make_person(agent, "Marie")
    response = client_as(agent).get(reverse("contacts:contact_list"), {"q": "mar"}, **HTMX)
    body = response.content.decode()
    assert response.status_code == 200
    assert "Marie" in body
    assert "<html" not in body
    assert 'id="contact-results"' not in body
    assert 'id="contact-results-status" class="visually-hidden" role="status" aria-live="polite" hx-swap-oob="true">1 contact shown.' in body


def test_full_list_page_has_a_live_status_for_search_results(agent, client_as) -> None:
    body = client_as(agent).get(reverse("contacts:contact_list")).content.decode()
    assert '<p id="contact-results-status" class="visually-hidden" role="status" aria-live="polite"></p>' in body
    assert 'hx-target="#contact-results"' in body
    assert 'for="id_q"' in body


def test_list_query_count_does_not_grow_with_rows(agent, client_as, django_assert_max_num_queries) -> None:
    client = client_as(agent)
    make_person(agent, "One", tags=["a"], phone="+40 721 000 001")
    with django_assert_max_num_queries(8) as few:
        client.get(reverse("contacts:contact_list"))
    for n in range(15):
        make_person(agent, f"Person {n}", tags=["a", f"t{n}"], email=f"p{n}@example.org")
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("contacts:contact_list"))
    assert len(response.context["page"].items) == 16


def test_quick_search_returns_a_small_fragment(agent, client_as) -> None:
    make_person(agent, "Ștefan")
    client = client_as(agent)
    response = client.get(reverse("contacts:search"), {"q": "stef"}, **HTMX)
    assert response.status_code == 200
    assert "Ștefan" in response.content.decode()
    assert "<html" not in response.content.decode()
    plain = client.get(reverse("contacts:search"), {"q": "stef"})
    assert plain.status_code == 302
    assert plain.url == reverse("contacts:contact_list") + "?q=stef"


# --- The contact 360° page ------------------------------------------------------------


def test_detail_shows_header_details_quick_actions_and_consent(haiti, agent, client_as) -> None:
    company = company_create(actor=agent, data={"name": "Kafe Lakay"})
    referrer = make_person(agent, "Paul")
    contact = make_person(
        agent, "Marie", phone="+509 3712 3456", email="marie@example.ht", last_name="Joseph",
        company_id=company.pk, tags=["vip"], interests=["coffee"], preferred_channel="whatsapp",
        referred_by_id=referrer.pk, addresses=[{"street": "12 Rue Capois", "city": "Port-au-Prince", "country": "HT"}],
    )
    consent_set(actor=agent, contact=contact, channel="whatsapp", status="granted", method="verbal", note="at the till")
    body = client_as(agent).get(contact.get_absolute_url()).content.decode()
    for expected in (
        "Marie Joseph", "Kafe Lakay", "vip", "coffee", "12 Rue Capois", "Paul", 'href="tel:+50937123456"',
        'href="mailto:marie@example.ht"', 'href="https://wa.me/50937123456"', "at the till", "Granted",
        reverse("contacts:contact_edit", args=[contact.pk]), reverse("contacts:contact_consent", args=[contact.pk]),
    ):
        assert expected in body, expected


def test_detail_summary_has_no_empty_line_without_job_title_or_company(agent, client_as) -> None:
    plain = contact_create(actor=agent, data={"first_name": "Lone"})
    with_job = contact_create(actor=agent, data={"first_name": "Ana", "job_title": "Buyer"})
    client = client_as(agent)
    assert "contact-header__sub" not in client.get(plain.get_absolute_url()).content.decode()
    assert '<p class="contact-header__sub">' in client.get(with_job.get_absolute_url()).content.decode()


def test_detail_offers_archive_only_to_roles_allowed_and_audit_only_to_auditors(users, contact, client_as) -> None:
    archive_url = reverse("contacts:contact_archive", args=[contact.pk])
    for role, may_archive in (("manager", True), ("agent", False), ("viewer", False)):
        response = client_as(users[role]).get(contact.get_absolute_url())
        assert (archive_url in response.content.decode()) is may_archive, role
        assert (response.context["audit_rows"] is not None) is may_archive, role
    viewer_body = client_as(users["viewer"]).get(contact.get_absolute_url()).content.decode()
    assert reverse("contacts:contact_edit", args=[contact.pk]) not in viewer_body


def test_detail_shows_the_contacts_audit_entries_to_managers(manager, contact, client_as) -> None:
    contact_update(actor=manager, contact=contact, data={"job_title": "Baker"})
    rows = client_as(manager).get(contact.get_absolute_url()).context["audit_rows"]
    assert [row.entry.action for row in rows] == ["update", "create"]


def test_detail_timeline_is_newest_first_and_loads_older_entries(agent, contact, client_as) -> None:
    now = timezone.now()
    for n in range(25):
        consent_set(actor=agent, contact=contact, channel="sms", status="granted" if n % 2 else "withdrawn",
                    method="verbal", note=f"event {n}", at=now - dt.timedelta(hours=n))
    client = client_as(agent)
    response = client.get(contact.get_absolute_url())
    entries = response.context["entries"]
    assert len(entries) == 20
    assert entries[0].body.endswith("event 0")
    assert response.context["older_before"] == entries[-1].at
    older = client.get(
        reverse("contacts:contact_timeline", args=[contact.pk]), {"before": entries[-1].at.isoformat()}, **HTMX,
    )
    html = older.content.decode()
    assert [n for n in range(25) if f"event {n}<" in html] == list(range(20, 25))
    assert html.index("event 20<") < html.index("event 24<")
    assert "Load older entries" not in html
    assert "<html" not in html


def test_detail_query_count_does_not_grow_with_details_or_timeline(agent, manager, client_as, django_assert_max_num_queries) -> None:
    contact = make_person(agent, "Ana", phone="+40 721 000 001")
    client = client_as(manager)
    # 18 for the page itself, plus what other apps' panels and timeline sources read
    # (commerce: purchases panel 5, orders on the timeline 1; analytics: 1; service: tickets panel 1,
    # known-issues panel 1, tickets on the timeline 1; feedback: satisfaction panel 1, surveys and
    # answers on the timeline 2; marketing: messages panel 3 (latest messages, Messenger/Instagram ids,
    # templates to pick), messages on the timeline 1).
    with django_assert_max_num_queries(32) as few:
        client.get(contact.get_absolute_url())
    contact_update(actor=agent, contact=contact, data={
        "phones": [{"number": f"+40 721 000 00{n}"} for n in range(1, 5)],
        "emails": [{"email": f"ana{n}@example.ro"} for n in range(4)],
        "addresses": [{"city": f"Cluj {n}"} for n in range(3)], "tags": ["a", "b", "c"], "interests": ["x", "y"],
    })
    for n in range(30):
        consent_set(actor=agent, contact=contact, channel=["email", "sms", "post"][n % 3], status="granted", method="verbal")
    for n in range(3):
        make_person(agent, f"Friend {n}", referred_by_id=contact.pk)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(contact.get_absolute_url())
    assert response.status_code == 200
    assert len(response.context["entries"]) == 20


def test_detail_includes_panels_registered_by_other_apps(agent, contact, client_as, tmp_path, settings) -> None:
    (tmp_path / "panel.html").write_text("<section>Orders of {{ contact.display_name }}: {{ count }}</section>")
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path]}]
    register_contact_panel(ContactPanel(name="orders", template="panel.html", context=lambda request, c: {"count": 3}))
    try:
        body = client_as(agent).get(contact.get_absolute_url()).content.decode()
    finally:
        _contact_panels.pop("orders", None)
    assert "Orders of Ștefan Popescu: 3" in body


def test_unknown_contact_is_404(agent, client_as) -> None:
    assert client_as(agent).get(reverse("contacts:contact_detail", args=[999])).status_code == 404


# --- Create and edit ------------------------------------------------------------------


def test_agent_creates_a_contact_with_phones_normalised_with_the_organisation_country(haiti, agent, client_as) -> None:
    company = company_create(actor=agent, data={"name": "Kafe Lakay"})
    response = client_as(agent).post(reverse("contacts:contact_create"), contact_post(
        first_name="Marie", last_name="Joseph", company=company.pk, birthday="1990-05-04", language="fr",
        preferred_channel="whatsapp", source="instagram", tags="vip, coffee", interests="beans",
        emails=[{"email": "Marie@Example.HT", "kind": "work"}],
        phones=[{"number": "3712 3456", "kind": "mobile"}, {"number": "3799 0000", "kind": "whatsapp", "is_primary": "on"}],
        addresses=[{"street": "12 Rue Capois", "city": "Port-au-Prince", "country": "HT"}],
    ))
    contact = Contact.objects.get()
    assert response.status_code == 302
    assert response.url == contact.get_absolute_url()
    assert contact.display_name == "Marie Joseph"
    assert contact.company == company
    assert contact.birthday == dt.date(1990, 5, 4)
    assert contact.primary_phone == "+50937990000"
    assert list(contact.phonenumbers.order_by("id").values_list("e164", "kind")) == [
        ("+50937123456", "mobile"), ("+50937990000", "whatsapp"),
    ]
    assert list(contact.emailaddresss.values_list("email", "kind")) == [("marie@example.ht", "work")]
    assert sorted(contact.tags.values_list("name", flat=True)) == ["coffee", "vip"]
    assert contact.addresss.get().city == "Port-au-Prince"
    assert contact.created_by == agent


@pytest.mark.parametrize(("fields", "field_name", "message"), [
    ({"phones": [{"number": "12ab"}]}, "phones-0-number", "is not a valid phone number"),
    ({"emails": [{"email": "not-an-email"}]}, "emails-0-email", "is not a valid e-mail address"),
    ({"birthday": "2020-13-45"}, "birthday", "is not a date"),
    ({"first_name": ""}, "first_name", "Give at least a first or a last name."),
])
def test_bad_input_is_shown_next_to_the_field_and_nothing_is_saved(agent, client_as, fields, field_name, message) -> None:
    client = client_as(agent)
    audit_before = AuditEntry.objects.count()
    response = client.post(reverse("contacts:contact_create"), contact_post(**{"first_name": "Eve", **fields}))
    assert response.status_code == 422
    body = response.content.decode()
    assert f'id="id_{field_name}_error"' in body
    assert f'aria-describedby="id_{field_name}_error"' in body
    assert message in body
    assert Contact.objects.count() == 0
    assert AuditEntry.objects.count() == audit_before


def test_second_bad_phone_row_gets_the_error_even_after_blank_rows(agent, client_as) -> None:
    body = contact_post(first_name="Eve", phones=[{"number": ""}, {"number": "+40 721 234 567"}, {"number": "nope 12"}])
    response = client_as(agent).post(reverse("contacts:contact_create"), body)
    phones = response.context["children"]["phones"]
    assert phones.forms[2].errors["number"] == ["“nope 12” is not a valid phone number."]
    assert not phones.forms[1].errors
    assert Contact.objects.count() == 0


def test_custom_field_values_are_validated_and_saved(agent, client_as) -> None:
    CustomFieldDefinition.objects.create(key="shoe_size", label="Shoe size", field_type="number")
    CustomFieldDefinition.objects.create(key="member", label="Member", field_type="boolean")
    CustomFieldDefinition.objects.create(key="since", label="Client since", field_type="date")
    client = client_as(agent)
    bad = client.post(reverse("contacts:contact_create"), contact_post(first_name="Eve", cf_shoe_size="big", cf_since="soon"))
    assert bad.status_code == 422
    assert bad.context["form"].errors["cf_shoe_size"] == ["“big” is not a number."]
    assert "cf_since" in bad.context["form"].errors
    assert Contact.objects.count() == 0
    good = client.post(reverse("contacts:contact_create"), contact_post(first_name="Eve", cf_shoe_size="38,5", cf_member="yes"))
    assert good.status_code == 302
    assert Contact.objects.get().custom_fields == {"shoe_size": 38.5, "member": True}


def test_duplicate_phone_warns_with_the_existing_contact_then_creates_anyway(haiti, agent, client_as) -> None:
    existing = make_person(agent, "Marie", phone="+509 3712 3456")
    client = client_as(agent)
    body = contact_post(first_name="Marie-Claire", phones=[{"number": "3712-3456"}])
    warned = client.post(reverse("contacts:contact_create"), body)
    assert warned.status_code == 409
    html = warned.content.decode()
    assert "Open existing contact" in html
    assert existing.get_absolute_url() in html
    assert 'name="allow_duplicate" value="1"' in html
    assert warned.context["children"]["phones"].forms[0].errors["number"] == ["This phone number belongs to another contact."]
    assert Contact.objects.count() == 1
    confirmed = client.post(reverse("contacts:contact_create"), {**body, "allow_duplicate": "1"})
    assert confirmed.status_code == 302
    assert Contact.objects.count() == 2


def test_duplicate_email_error_lands_on_the_matching_row(agent, client_as) -> None:
    make_person(agent, "Ana", email="ana@example.ro")
    body = contact_post(first_name="Ana B", emails=[{"email": "new@example.ro"}, {"email": "ANA@example.ro"}])
    response = client_as(agent).post(reverse("contacts:contact_create"), body)
    emails = response.context["children"]["emails"]
    assert not emails.forms[0].errors
    assert emails.forms[1].errors["email"] == ["This e-mail belongs to another contact."]
    assert Contact.objects.count() == 1


def test_edit_shows_current_values_and_saves_changes(agent, contact, client_as) -> None:
    client = client_as(agent)
    url = reverse("contacts:contact_edit", args=[contact.pk])
    page = client.get(url)
    assert page.context["form"].initial["first_name"] == "Ștefan"
    assert page.context["children"]["phones"].forms[0].initial["number"] == "+40721234567"
    response = client.post(url, contact_post(
        first_name="Ștefan", last_name="Popa", job_title="Baker", birthday="1985-03-14", language="ro",
        phones=[{"number": "+40 721 234 567"}, {"number": "+40 722 000 111", "is_primary": "on"}],
        emails=[{"email": "stefan@example.ro"}],
    ))
    assert response.status_code == 302
    contact.refresh_from_db()
    assert contact.display_name == "Ștefan Popa"
    assert contact.job_title == "Baker"
    assert contact.primary_phone == "+40722000111"
    assert contact.primary_email == "stefan@example.ro"


def test_add_row_button_adds_a_blank_row_without_saving(agent, client_as) -> None:
    body = contact_post(first_name="Eve", phones=[{"number": "+40 721 234 567"}], add_row="phones")
    response = client_as(agent).post(reverse("contacts:contact_create"), body)
    assert response.status_code == 200
    assert len(response.context["children"]["phones"].forms) == 3
    assert Contact.objects.count() == 0


def test_create_from_referrer_page_keeps_the_referrer(agent, contact, client_as) -> None:
    url = reverse("contacts:contact_create") + f"?referred_by={contact.pk}"
    client = client_as(agent)
    assert client.get(url).context["form"].initial["referred_by"] == str(contact.pk)
    response = client.post(url, contact_post(first_name="Ioana", referred_by=str(contact.pk)))
    assert response.status_code == 302
    assert Contact.objects.get(first_name="Ioana").referred_by == contact


# --- Archive, restore, consent --------------------------------------------------------


def test_manager_archives_and_restores_a_contact(manager, contact, client_as) -> None:
    client = client_as(manager)
    assert client.get(reverse("contacts:contact_archive", args=[contact.pk])).status_code == 405
    response = client.post(reverse("contacts:contact_archive", args=[contact.pk]))
    assert response.status_code == 302
    contact.refresh_from_db()
    assert contact.archived_at is not None
    assert "Archived" in client.get(contact.get_absolute_url()).content.decode()
    client.post(reverse("contacts:contact_restore", args=[contact.pk]))
    contact.refresh_from_db()
    assert contact.archived_at is None
    assert list(AuditEntry.objects.filter(contact_id=contact.pk).values_list("action", flat=True)[:2]) == ["restore", "archive"]


def test_agent_records_consent_with_history(agent, contact, client_as) -> None:
    client = client_as(agent)
    url = reverse("contacts:contact_consent", args=[contact.pk])
    response = client.post(url, {"channel": "email", "status": "granted", "method": "written", "note": "paper form"})
    assert response.status_code == 302
    client.post(url, {"channel": "email", "status": "withdrawn", "method": "unsubscribe"})
    assert list(contact.consents.values_list("channel", "status")) == [("email", "withdrawn")]
    events = list(ConsentEvent.objects.filter(contact=contact).order_by("id").values_list("status", "method", "recorded_by"))
    assert events == [("granted", "written", agent.pk), ("withdrawn", "unsubscribe", agent.pk)]
    page = client.get(url)
    assert "paper form" in page.content.decode()


def test_consent_without_a_method_shows_the_error_and_records_nothing(agent, contact, client_as) -> None:
    response = client_as(agent).post(
        reverse("contacts:contact_consent", args=[contact.pk]), {"channel": "email", "status": "granted"},
    )
    assert response.status_code == 422
    assert "method" in response.context["form"].errors
    assert not ConsentEvent.objects.exists()


def test_edit_keeps_a_company_archived_since(agent, client_as) -> None:
    company = company_create(actor=agent, data={"name": "Old Shop"})
    person = make_person(agent, "Ana", company_id=company.pk)
    Company.objects.filter(pk=company.pk).update(archived_at=timezone.now())
    client = client_as(agent)
    url = reverse("contacts:contact_edit", args=[person.pk])
    assert (company.pk, "Old Shop") in client.get(url).context["form"].fields["company"].choices
    response = client.post(url, contact_post(first_name="Ana", job_title="Cook", company=str(company.pk)))
    assert response.status_code == 302
    person.refresh_from_db()
    assert (person.company_id, person.job_title) == (company.pk, "Cook")
    assert (company.pk, "Old Shop") not in client.get(reverse("contacts:contact_create")).context["form"].fields["company"].choices


def test_edit_warns_before_giving_a_contact_someone_elses_phone(haiti, agent, client_as) -> None:
    make_person(agent, "Marie", phone="+509 3712 3456")
    other = make_person(agent, "Jean", phone="+509 3799 0000")
    client = client_as(agent)
    url = reverse("contacts:contact_edit", args=[other.pk])
    body = contact_post(first_name="Jean", phones=[{"number": "+509 3799 0000"}, {"number": "37123456"}])
    warned = client.post(url, body)
    assert warned.status_code == 409
    assert "Save anyway" in warned.content.decode()
    assert list(other.phonenumbers.values_list("e164", flat=True)) == ["+50937990000"]
    assert client.post(url, {**body, "allow_duplicate": "1"}).status_code == 302
    assert sorted(other.phonenumbers.values_list("e164", flat=True)) == ["+50937123456", "+50937990000"]
