"""Sign-in, password change, users and API-token pages, role by role."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from kliyan.accounts.models import ApiToken, Role, User
from kliyan.accounts.services import hash_token, token_create
from kliyan.core.models import AuditAction, AuditEntry
from kliyan.core.organisation import get_organisation

ROLES = ["admin", "manager", "agent", "viewer"]
PASSWORD = "correct horse battery"  # conftest's make_user

# page → the roles allowed to see it (docs/permissions.md)
PAGES = {
    "accounts:user_list": {"admin"},
    "accounts:token_list": {"admin", "manager", "agent"},
    "accounts:password_change": set(ROLES),
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
    assert response.status_code == (200 if role in PAGES[name] else 403)


# --- Signing in and out -----------------------------------------------------------------


def test_login_page_signs_in_and_goes_to_next(agent) -> None:
    client = Client()
    response = client.post(
        reverse("accounts:login"),
        {"username": "agent", "password": PASSWORD, "next": reverse("accounts:password_change")},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:password_change")
    assert AuditEntry.objects.filter(action=AuditAction.LOGIN, actor=agent).count() == 1


def test_failed_login_is_audited_and_shows_an_error(agent) -> None:
    response = Client().post(reverse("accounts:login"), {"username": "agent", "password": "wrong"})
    assert response.status_code == 200
    assert b'role="alert"' in response.content
    entry = AuditEntry.objects.get(action=AuditAction.LOGIN_FAILED)
    assert entry.object_label == "agent" and entry.object_id == str(agent.pk)
    assert "_auth_user_id" not in Client().session


def test_repeated_failed_logins_lock_the_username_from_that_address(agent) -> None:
    client = Client()
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("accounts:login"), {"username": "agent", "password": "wrong"})
    # Even the right password is refused while locked.
    response = client.post(reverse("accounts:login"), {"username": "agent", "password": PASSWORD})
    assert response.status_code == 429
    assert b"Too many failed attempts" in response.content
    assert b"for 15 minutes" in response.content
    assert "_auth_user_id" not in client.session
    assert not AuditEntry.objects.filter(action=AuditAction.LOGIN).exists()
    # Another address is not locked out (a call centre behind one NAT is not all locked).
    other = Client(REMOTE_ADDR="10.0.0.9")
    signed_in = other.post(
        reverse("accounts:login"),
        {"username": "agent", "password": PASSWORD, "next": reverse("accounts:password_change")},
    )
    assert signed_in.status_code == 302


def test_logout_needs_post_and_signs_out(agent, client_as) -> None:
    client = client_as(agent)
    assert client.get(reverse("accounts:logout")).status_code == 405
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:login")
    assert "_auth_user_id" not in client.session
    assert AuditEntry.objects.filter(action=AuditAction.LOGOUT, actor=agent).count() == 1


def test_password_change_checks_the_old_password_and_changes_it(agent, client_as) -> None:
    client = client_as(agent)
    url = reverse("accounts:password_change")
    wrong = client.post(url, {"old_password": "nope", "new_password1": "Lakay-mwen-2026", "new_password2": "Lakay-mwen-2026"})
    assert wrong.status_code == 200 and b'id="id_old_password_error"' in wrong.content
    agent.refresh_from_db()
    assert agent.check_password(PASSWORD)
    right = client.post(url, {"old_password": PASSWORD, "new_password1": "Lakay-mwen-2026", "new_password2": "Lakay-mwen-2026"})
    assert right.status_code == 302 and right["Location"] == reverse("accounts:password_change_done")
    agent.refresh_from_db()
    assert agent.check_password("Lakay-mwen-2026")


# --- Users ------------------------------------------------------------------------------


def test_user_list_shows_everyone(users, client_as, django_assert_max_num_queries) -> None:
    get_organisation()  # created on first use: not part of the page's cost
    client = client_as(users["admin"])
    with django_assert_max_num_queries(4):
        html = client.get(reverse("accounts:user_list")).content.decode()
    for username in ("admin", "manager", "agent", "viewer"):
        assert reverse("accounts:user_edit", args=[users[username].pk]) in html


def test_admin_creates_a_user_with_role_and_language(admin, client_as) -> None:
    response = client_as(admin).post(reverse("accounts:user_list"), {
        "username": "mirela", "email": "Mirela@Example.ro", "role": "manager", "language": "ro",
        "password": "Brasov-la-munte-9",
    })
    assert response.status_code == 302
    user = User.objects.get(username="mirela")
    assert (user.role, user.language, user.email) == ("manager", "ro", "mirela@example.ro")
    assert AuditEntry.objects.filter(action=AuditAction.CREATE, object_type="accounts.user", object_id=str(user.pk)).exists()


def test_creating_a_user_with_a_weak_password_shows_the_error_and_creates_nothing(admin, client_as) -> None:
    count = User.objects.count()
    response = client_as(admin).post(reverse("accounts:user_list"), {"username": "jo", "role": "agent", "password": "123"})
    assert response.status_code == 422
    assert b'id="id_password_error"' in response.content
    assert User.objects.count() == count


def test_creating_a_user_is_refused_to_a_manager(manager, client_as) -> None:
    count = User.objects.count()
    response = client_as(manager).post(reverse("accounts:user_list"), {
        "username": "sneaky", "role": "admin", "password": "Brasov-la-munte-9",
    })
    assert response.status_code == 403
    assert User.objects.count() == count


def test_admin_changes_a_role_and_deactivates_a_user_audited(admin, agent, client_as) -> None:
    response = client_as(admin).post(reverse("accounts:user_edit", args=[agent.pk]), {
        "first_name": "Ana", "last_name": "", "email": agent.email, "role": "viewer", "language": "", "is_active": "",
    })
    assert response.status_code == 302
    agent.refresh_from_db()
    assert (agent.role, agent.is_active, agent.first_name) == ("viewer", False, "Ana")
    entry = AuditEntry.objects.get(action=AuditAction.UPDATE, object_type="accounts.user", object_id=str(agent.pk))
    assert entry.before == {"first_name": "", "role": "agent", "is_active": True}
    assert entry.after == {"first_name": "Ana", "role": "viewer", "is_active": False}


def test_the_last_admin_cannot_demote_themselves(admin, client_as) -> None:
    response = client_as(admin).post(reverse("accounts:user_edit", args=[admin.pk]), {
        "email": admin.email, "role": "agent", "language": "", "is_active": "on",
    })
    assert response.status_code == 422
    assert b'id="id_role_error"' in response.content
    admin.refresh_from_db()
    assert admin.role == Role.ADMIN


def test_user_edit_is_refused_to_a_manager(manager, agent, client_as) -> None:
    response = client_as(manager).post(reverse("accounts:user_edit", args=[agent.pk]), {"role": "admin", "is_active": "on"})
    assert response.status_code == 403
    agent.refresh_from_db()
    assert agent.role == Role.AGENT


# --- API tokens -------------------------------------------------------------------------


def test_token_is_shown_once_and_only_its_hash_is_stored(agent, client_as) -> None:
    client = client_as(agent)
    response = client.post(reverse("accounts:token_list"), {"name": "Shop website", "scope": "write"})
    assert response.status_code == 200
    raw = response.context["raw_token"]
    assert raw.startswith("kly_") and raw in response.content.decode()
    assert response["Cache-Control"] == "no-store"
    token = ApiToken.objects.get(user=agent)
    assert (token.name, token.scope, token.key_hash) == ("Shop website", "write", hash_token(raw))
    assert raw not in {token.name, token.prefix, token.key_hash}
    again = client.get(reverse("accounts:token_list")).content.decode()
    assert raw not in again and "Shop website" in again


def test_token_without_a_name_shows_the_error_and_creates_nothing(agent, client_as) -> None:
    response = client_as(agent).post(reverse("accounts:token_list"), {"name": "", "scope": "read"})
    assert response.status_code == 422
    assert b'id="id_name_error"' in response.content
    assert not ApiToken.objects.exists()


def test_token_page_lists_own_tokens_and_admins_see_everyones(admin, agent, manager, client_as, django_assert_max_num_queries) -> None:
    token_create(actor=agent, user=agent, name="Agent phone")
    token_create(actor=manager, user=manager, name="Manager sheet")
    agent_page = client_as(agent).get(reverse("accounts:token_list")).content.decode()
    assert "Agent phone" in agent_page and "Manager sheet" not in agent_page
    get_organisation()
    client = client_as(admin)
    with django_assert_max_num_queries(4):
        admin_page = client.get(reverse("accounts:token_list")).content.decode()
    assert "Agent phone" in admin_page and "Manager sheet" in admin_page


def test_revoking_a_token(agent, client_as) -> None:
    token, _raw = token_create(actor=agent, user=agent, name="Old script")
    response = client_as(agent).post(reverse("accounts:token_revoke", args=[token.pk]))
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_an_agent_cannot_revoke_someone_elses_token(agent, manager, client_as) -> None:
    token, _raw = token_create(actor=manager, user=manager, name="Manager sheet")
    response = client_as(agent).post(reverse("accounts:token_revoke", args=[token.pk]))
    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_an_admin_can_revoke_anyones_token(admin, agent, client_as) -> None:
    token, _raw = token_create(actor=agent, user=agent, name="Lost laptop")
    assert client_as(admin).post(reverse("accounts:token_revoke", args=[token.pk])).status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_a_viewer_cannot_create_tokens(viewer, client_as) -> None:
    response = client_as(viewer).post(reverse("accounts:token_list"), {"name": "x", "scope": "read"})
    assert response.status_code == 403
    assert not ApiToken.objects.exists()
