"""Custom field definitions page: managers and admins list, add, edit and archive them."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from kliyan.contacts.models import CustomFieldDefinition
from kliyan.core.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def definition(db) -> CustomFieldDefinition:
    return CustomFieldDefinition.objects.create(key="shoe_size", label="Shoe size", field_type="number")


def test_anonymous_visitor_is_sent_to_log_in(definition) -> None:
    for url in (reverse("contacts:customfield_list"), reverse("contacts:customfield_edit", args=[definition.pk])):
        response = Client().get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("accounts:login"))


@pytest.mark.parametrize(("role", "allowed"), [("admin", True), ("manager", True), ("agent", False), ("viewer", False)])
def test_page_is_shown_only_to_roles_that_manage_custom_fields(users, definition, client_as, role, allowed) -> None:
    client = client_as(users[role])
    for url in (reverse("contacts:customfield_list"), reverse("contacts:customfield_edit", args=[definition.pk])):
        assert client.get(url).status_code == (200 if allowed else 403)


def test_agent_cannot_add_edit_or_archive_and_nothing_changes(agent, definition, client_as) -> None:
    client = client_as(agent)
    audit_before = AuditEntry.objects.count()
    new = {"label": "Favourite colour", "target": "contact", "field_type": "text"}
    assert client.post(reverse("contacts:customfield_list"), new).status_code == 403
    assert client.post(reverse("contacts:customfield_edit", args=[definition.pk]), {"label": "X"}).status_code == 403
    assert client.post(reverse("contacts:customfield_archive", args=[definition.pk])).status_code == 403
    definition.refresh_from_db()
    assert definition.label == "Shoe size"
    assert definition.archived_at is None
    assert CustomFieldDefinition.objects.count() == 1
    assert AuditEntry.objects.count() == audit_before


def test_manager_adds_a_choice_field(manager, client_as, django_assert_max_num_queries) -> None:
    client = client_as(manager)
    response = client.post(reverse("contacts:customfield_list"), {
        "label": "Favourite roast", "target": "contact", "field_type": "choice", "choices": "Light\nDark", "required": "on",
    })
    assert response.status_code == 302
    created = CustomFieldDefinition.objects.get()
    assert (created.key, created.choices, created.required) == ("favourite_roast", ["Light", "Dark"], True)
    with django_assert_max_num_queries(4):
        page = client.get(reverse("contacts:customfield_list"))
    assert "Favourite roast" in page.content.decode()


def test_choice_field_without_choices_is_refused_next_to_the_field(manager, client_as) -> None:
    response = client_as(manager).post(reverse("contacts:customfield_list"), {
        "label": "Roast", "target": "contact", "field_type": "choice",
    })
    assert response.status_code == 422
    assert response.context["form"].errors["choices"] == ["A choice field needs at least one choice."]
    assert not CustomFieldDefinition.objects.exists()


def test_duplicate_key_is_refused(manager, definition, client_as) -> None:
    response = client_as(manager).post(reverse("contacts:customfield_list"), {
        "label": "Shoe size", "target": "contact", "field_type": "text",
    })
    assert response.status_code == 422
    assert "key" in response.context["form"].errors
    assert CustomFieldDefinition.objects.count() == 1


def test_manager_edits_and_archives_a_field(manager, definition, client_as) -> None:
    client = client_as(manager)
    response = client.post(reverse("contacts:customfield_edit", args=[definition.pk]), {"label": "Shoe size (EU)", "position": "2"})
    assert response.status_code == 302
    definition.refresh_from_db()
    assert (definition.label, definition.position, definition.field_type) == ("Shoe size (EU)", 2, "number")
    assert client.get(reverse("contacts:customfield_archive", args=[definition.pk])).status_code == 405
    client.post(reverse("contacts:customfield_archive", args=[definition.pk]))
    definition.refresh_from_db()
    assert definition.archived_at is not None


def test_archived_field_is_left_out_of_the_contact_form(manager, definition, client_as) -> None:
    client = client_as(manager)
    assert "cf_shoe_size" in client.get(reverse("contacts:contact_create")).context["form"].fields
    client.post(reverse("contacts:customfield_archive", args=[definition.pk]))
    assert "cf_shoe_size" not in client.get(reverse("contacts:contact_create")).context["form"].fields
