"""Organisation settings: the service validates and audits; the page shows errors by the field."""

from __future__ import annotations

import pytest
from django.urls import reverse

from kliyan.core.errors import ValidationFailed
from kliyan.core.models import AuditAction, AuditEntry, Organisation
from kliyan.core.organisation import get_organisation
from kliyan.core.services import organisation_update

VALID = {"name": "Boutik Jacmel", "country": "RO", "currency": "RON", "timezone": "Europe/Bucharest", "language": "ro"}


def test_update_saves_every_setting_and_audits_before_and_after(admin) -> None:
    get_organisation()
    organisation_update(actor=admin, data=VALID)
    organisation = Organisation.objects.get(pk=1)
    assert (organisation.name, organisation.country, organisation.currency, organisation.timezone, organisation.language) == (
        "Boutik Jacmel", "RO", "RON", "Europe/Bucharest", "ro",
    )
    entry = AuditEntry.objects.get(object_type="core.organisation")
    assert entry.action == AuditAction.UPDATE
    assert entry.actor == admin
    assert entry.before["timezone"] == "America/Port-au-Prince"
    assert entry.after == {"name": "Boutik Jacmel", "country": "RO", "currency": "RON", "timezone": "Europe/Bucharest", "language": "ro"}


def test_update_clears_the_cached_organisation(admin) -> None:
    assert get_organisation().name == "Kliyan"
    organisation_update(actor=admin, data={"name": "Magazin Iași"})
    assert get_organisation().name == "Magazin Iași"


def test_update_without_changes_writes_no_audit_entry(admin) -> None:
    organisation = get_organisation()
    organisation_update(actor=admin, data={"name": organisation.name})
    assert not AuditEntry.objects.filter(object_type="core.organisation").exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", "  "),
        ("country", "ZZ"),
        ("currency", "XYZ"),
        ("timezone", "Mars/Olympus"),
        ("timezone", "../../etc/passwd"),
        ("language", "de"),
    ],
)
def test_update_rejects_a_bad_value_naming_the_field_and_saves_nothing(admin, field: str, value: str) -> None:
    before = get_organisation()
    with pytest.raises(ValidationFailed) as caught:
        organisation_update(actor=admin, data={**VALID, field: value})
    assert list(caught.value.field_errors) == [field]
    after = Organisation.objects.get(pk=1)
    assert (after.name, after.country, after.timezone) == (before.name, before.country, before.timezone)
    assert not AuditEntry.objects.filter(object_type="core.organisation").exists()


def test_settings_page_saves_and_audits(admin, client_as) -> None:
    response = client_as(admin).post(reverse("core:settings"), VALID)
    assert response.status_code == 302
    assert Organisation.objects.get(pk=1).timezone == "Europe/Bucharest"
    assert AuditEntry.objects.filter(object_type="core.organisation", action=AuditAction.UPDATE).count() == 1


def test_settings_page_shows_a_bad_time_zone_next_to_the_field_and_saves_nothing(admin, client_as) -> None:
    response = client_as(admin).post(reverse("core:settings"), {**VALID, "timezone": "Mars/Olympus"})
    assert response.status_code == 422
    html = response.content.decode()
    assert 'id="id_timezone_error"' in html
    assert 'aria-invalid="true"' in html and 'aria-describedby="id_timezone_help id_timezone_error"' in html
    organisation = Organisation.objects.get(pk=1)
    assert organisation.timezone == "America/Port-au-Prince" and organisation.name == "Kliyan"
    assert not AuditEntry.objects.filter(object_type="core.organisation").exists()


def test_settings_page_refuses_a_manager_and_changes_nothing(manager, client_as) -> None:
    get_organisation()
    response = client_as(manager).post(reverse("core:settings"), VALID)
    assert response.status_code == 403
    assert Organisation.objects.get(pk=1).name == "Kliyan"
    assert not AuditEntry.objects.filter(object_type="core.organisation").exists()


def test_audit_log_names_the_changed_settings_in_words(admin, client_as) -> None:
    client = client_as(admin)
    client.post(reverse("core:settings"), VALID)
    # The new organisation language (Romanian) would apply to this admin, who chose none.
    html = client.get(
        reverse("core:audit_log"), {"object_type": "core.organisation"}, HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "Organisation" in html and "time zone" in html
    assert "America/Port-au-Prince" in html and "Europe/Bucharest" in html
