"""Read the organisation's settings (cached; saving the organisation clears the cache)."""

from __future__ import annotations

from django.core.cache import cache

from kliyan.core.models import ORGANISATION_CACHE_KEY, Organisation


def get_organisation() -> Organisation:
    """Return the organisation, creating it with defaults on first use."""
    organisation = cache.get(ORGANISATION_CACHE_KEY)
    if organisation is None:
        organisation, _created = Organisation.objects.get_or_create(pk=1)
        cache.set(ORGANISATION_CACHE_KEY, organisation, 30)
    return organisation


def default_region() -> str:
    """Return the ISO country used to read phone numbers typed without a country code."""
    return get_organisation().country
