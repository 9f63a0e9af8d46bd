"""Core pages: settings, audit log, language switcher, error pages, each role by role."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.template.loader import get_template
from django.test import Client
from django.urls import reverse

from kliyan.accounts.models import User
from kliyan.core.audit import record
from kliyan.core.models import AuditAction, AuditEntry
from kliyan.core.organisation import get_organisation

ROLES = ["admin", "manager", "agent", "viewer"]

# page → the roles allowed to see it (docs/permissions.md)
PAGES = {
    "core:settings": {"admin"},
    "core:audit_log": {"admin", "manager"},
}


@pytest.mark.parametrize("name", PAGES)
def test_anonymous_visitor_is_sent_to_log_in(db, name: str) -> None:
    response = Client().get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login") + "?next=")


@pytest.mark.parametrize("name", PAGES)
@pytest.mark.parametrize("role", ROLES)
def test_page_is_shown_only_to_roles_with_the_permission(users, client_as, name: str, role: str) -> None:
    response = client_as(users[role]).get(reverse(name))
    if role in PAGES[name]:
        assert response.status_code == 200
        assert b'class="page-header"' in response.content
    else:
        assert response.status_code == 403
        assert b"403" in response.content


def test_menu_shows_only_the_links_the_role_allows(users, client_as) -> None:
    admin_page = client_as(users["admin"]).get(reverse("accounts:password_change")).content.decode()
    viewer_page = client_as(users["viewer"]).get(reverse("accounts:password_change")).content.decode()
    for name in ("core:settings", "core:audit_log", "accounts:user_list", "accounts:token_list"):
        assert f'href="{reverse(name)}"' in admin_page
        assert f'href="{reverse(name)}"' not in viewer_page


def test_base_page_offers_skip_link_search_language_switcher_and_post_logout(admin, client_as) -> None:
    page = client_as(admin).get(reverse("core:settings")).content.decode()
    assert 'href="#main"' in page
    assert 'role="search"' in page and 'name="q"' in page
    for name in ("English", "Français", "Kreyòl ayisyen", "Chichewa", "Shqip", "Română"):
        assert f">{name}</option>" in page
    assert f'method="post" action="{reverse("accounts:logout")}"' in page
    assert "<details" in page
    assert "htmx.min.js" in page
    assert "<script>" not in page and 'style="' not in page


# --- Home --------------------------------------------------------------------------


def test_home_redirects_to_my_day(admin, client_as) -> None:
    from django.urls import NoReverseMatch

    try:
        my_day = reverse("interactions:my_day")
    except NoReverseMatch:
        pytest.skip("interactions:my_day is not wired yet")
    response = client_as(admin).get(reverse("core:home"))
    assert response.status_code == 302
    assert response["Location"] == my_day


# --- Language switcher ------------------------------------------------------------


def test_switching_language_renders_pages_in_that_language_and_saves_it(agent, client_as) -> None:
    client = client_as(agent)
    page = reverse("accounts:password_change")
    response = client.post(reverse("core:set_language"), {"language": "fr", "next": page})
    assert response.status_code == 302
    assert response["Location"] == page
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "fr"
    agent.refresh_from_db()
    assert agent.language == "fr"
    html = client.get(page).content.decode()
    assert '<html lang="fr">' in html
    assert "Ancien mot de passe" in html  # Django's own French catalogue


def test_anonymous_visitor_can_switch_language_on_the_login_page(db) -> None:
    client = Client()
    client.post(reverse("core:set_language"), {"language": "fr", "next": reverse("accounts:login")})
    html = client.get(reverse("accounts:login")).content.decode()
    assert '<html lang="fr">' in html
    assert "Nom d’utilisateur" in html


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "http://evil.example"])
def test_language_switcher_refuses_to_redirect_to_another_site(agent, client_as, target: str) -> None:
    response = client_as(agent).post(reverse("core:set_language"), {"language": "ro", "next": target})
    assert response.status_code == 302
    assert "evil" not in response["Location"]
    assert response["Location"] == reverse("core:home")


def test_unknown_language_changes_nothing(agent, client_as) -> None:
    response = client_as(agent).post(reverse("core:set_language"), {"language": "xx", "next": "/settings/"})
    assert response.status_code == 302
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies
    agent.refresh_from_db()
    assert agent.language == ""


def test_language_switcher_only_accepts_post(agent, client_as) -> None:
    assert client_as(agent).get(reverse("core:set_language") + "?language=fr").status_code == 405


# --- Audit log ----------------------------------------------------------------------


def _entries(actor: User, count: int, action: str = AuditAction.UPDATE) -> None:
    for n in range(count):
        record(
            actor=actor, action=action, object_type_label="contacts.contact", object_id=str(n),
            label=f"Contact {n}", before={"city": "Jacmel"}, after={"city": f"Cap-Haïtien {n}"},
        )


def test_audit_log_lists_newest_first_with_before_and_after(manager, client_as) -> None:
    _entries(manager, 2)
    html = client_as(manager).get(reverse("core:audit_log")).content.decode()
    assert html.index("Contact 1") < html.index("Contact 0")
    assert "Jacmel" in html and "Cap-Haïtien 1" in html
    assert 'class="changes__before"' in html


def test_audit_log_filters_by_action_type_and_user(admin, manager, client_as) -> None:
    _entries(manager, 1)
    record(actor=admin, action=AuditAction.CREATE, object_type_label="contacts.company", object_id="9", label="Digicel")
    client = client_as(admin)
    by_action = client.get(reverse("core:audit_log"), {"action": "create"}).content.decode()
    assert "Digicel" in by_action and "Contact 0" not in by_action
    by_type = client.get(reverse("core:audit_log"), {"object_type": "contacts.contact"}).content.decode()
    assert "Contact 0" in by_type and "Digicel" not in by_type
    by_user = client.get(reverse("core:audit_log"), {"user": manager.pk}).content.decode()
    assert "Contact 0" in by_user and "Digicel" not in by_user


def test_audit_log_pages_with_a_cursor_keeping_the_filters(admin, client_as, settings) -> None:
    settings.KLIYAN_PAGE_SIZE = 3
    _entries(admin, 5)
    client = client_as(admin)
    first = client.get(reverse("core:audit_log"), {"action": "update"})
    cursor = first.context["page"].next_cursor
    assert cursor and [e.object_id for e in first.context["page"].items] == ["4", "3", "2"]
    assert "action=update&amp;cursor=" in first.content.decode()
    second = client.get(reverse("core:audit_log"), {"action": "update", "cursor": cursor})
    assert [e.object_id for e in second.context["page"].items] == ["1", "0"]
    assert second.context["page"].next_cursor is None


def test_audit_log_ignores_a_broken_cursor(admin, client_as) -> None:
    _entries(admin, 1)
    response = client_as(admin).get(reverse("core:audit_log"), {"cursor": "not-a-cursor"})
    assert response.status_code == 200
    assert len(response.context["page"].items) == AuditEntry.objects.count()


def test_audit_log_query_count_does_not_grow_with_entries(admin, client_as, django_assert_max_num_queries) -> None:
    get_organisation()  # created once, on first use: not part of the page's cost
    client = client_as(admin)
    _entries(admin, 3)
    with django_assert_max_num_queries(5):
        client.get(reverse("core:audit_log"))
    _entries(admin, 20)
    with django_assert_max_num_queries(5):
        response = client.get(reverse("core:audit_log"))
    assert len(response.context["page"].items) == AuditEntry.objects.count() == 24  # 23 + the login


# --- Error pages -----------------------------------------------------------------------


def test_404_page_uses_the_layout(agent, client_as) -> None:
    response = client_as(agent).get("/no-such-page/")
    assert response.status_code == 404
    assert b"404" in response.content and b'class="topbar"' in response.content


def test_500_page_renders_without_request_or_database() -> None:
    html = get_template("500.html").render({})
    assert "500" in html and "kliyan.css" in html
