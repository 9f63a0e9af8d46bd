"""Fixtures shared by every app's tests: one user per role, logged-in clients, a contact."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from kliyan.accounts.models import Role, User


@pytest.fixture(autouse=True)
def _clear_cache() -> None:
    # The organisation is cached; each test starts from the database.
    from django.core.cache import cache

    from kliyan.core.organisation import clear_organisation_cache

    cache.clear()
    clear_organisation_cache()


@pytest.fixture
def make_user(db: Any) -> Callable[..., User]:
    def make(role: str = Role.AGENT, username: str | None = None, **extra: Any) -> User:
        user = User.objects.create_user(
            username=username or f"{role}-{User.objects.count() + 1}",
            password="correct horse battery",
            email=extra.pop("email", f"{username or role}@example.org"),
            role=role,
            **extra,
        )
        return user

    return make


@pytest.fixture
def admin(make_user: Callable[..., User]) -> User:
    return make_user(Role.ADMIN, username="admin", is_superuser=True, is_staff=True)


@pytest.fixture
def manager(make_user: Callable[..., User]) -> User:
    return make_user(Role.MANAGER, username="manager")


@pytest.fixture
def agent(make_user: Callable[..., User]) -> User:
    return make_user(Role.AGENT, username="agent")


@pytest.fixture
def viewer(make_user: Callable[..., User]) -> User:
    return make_user(Role.VIEWER, username="viewer")


@pytest.fixture
def users(admin: User, manager: User, agent: User, viewer: User) -> dict[str, User]:
    return {"admin": admin, "manager": manager, "agent": agent, "viewer": viewer}


@pytest.fixture
def client_as() -> Callable[[User], Client]:
    def make(user: User) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make


@pytest.fixture
def contact(db: Any, agent: User):
    from kliyan.contacts.services import contact_create

    return contact_create(
        actor=agent,
        data={
            "first_name": "Ștefan",
            "last_name": "Popescu",
            "emails": [{"email": "stefan.popescu@example.ro"}],
            "phones": [{"number": "+40 721 234 567"}],
            "birthday": "1985-03-14",
            "language": "ro",
        },
    )
