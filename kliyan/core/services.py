"""Writes for the organisation's settings."""

from __future__ import annotations

import zoneinfo
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from kliyan.core.audit import record, snapshot
from kliyan.core.choices import Country, Currency
from kliyan.core.errors import FieldErrors
from kliyan.core.models import AuditAction, Organisation
from kliyan.core.organisation import clear_organisation_cache

ORGANISATION_FIELDS = ("name", "country", "currency", "timezone", "language")


def is_valid_timezone(name: str) -> bool:
    """Return whether `name` is an IANA time zone this machine knows ("Europe/Bucharest")."""
    if not name or name.startswith(("/", ".")) or ".." in name:
        return False
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _clean(data: dict[str, Any]) -> dict[str, str]:
    """Validate the submitted settings; raise ValidationFailed naming every bad field."""
    values = {name: str(data[name]).strip() for name in ORGANISATION_FIELDS if name in data}
    errors = FieldErrors()
    if "name" in values and not values["name"]:
        errors.add("name", _("This field is required."))
    if "name" in values and len(values["name"]) > Organisation._meta.get_field("name").max_length:
        errors.add("name", _("This name is too long."))
    if "country" in values and values["country"] not in Country.values:
        errors.add("country", _("Choose a country from the list."))
    if "currency" in values and values["currency"] not in Currency.values:
        errors.add("currency", _("Choose a currency from the list."))
    if "timezone" in values and not is_valid_timezone(values["timezone"]):
        errors.add("timezone", _("Enter a time zone such as Europe/Bucharest."))
    if "language" in values and values["language"] not in {code for code, _name in settings.LANGUAGES}:
        errors.add("language", _("Choose a language from the list."))
    errors.raise_if_any()
    return values


@transaction.atomic
def organisation_update(*, actor: Any, data: dict[str, Any]) -> Organisation:
    """Change the organisation's name, country, currency, time zone or language; audited."""
    values = _clean(data)
    organisation, _created = Organisation.objects.select_for_update().get_or_create(pk=1)
    before = snapshot(organisation, ORGANISATION_FIELDS)
    for name, value in values.items():
        setattr(organisation, name, value)
    after = snapshot(organisation, ORGANISATION_FIELDS)
    if after == before:
        return organisation
    organisation.save()
    # Organisation.save() clears the cache now; clear it again once committed, so a request
    # that read the old row in between cannot keep it cached.
    transaction.on_commit(clear_organisation_cache)
    changed = [name for name in ORGANISATION_FIELDS if before[name] != after[name]]
    record(
        actor=actor,
        action=AuditAction.UPDATE,
        instance=organisation,
        before={name: before[name] for name in changed},
        after={name: after[name] for name in changed},
    )
    return organisation
