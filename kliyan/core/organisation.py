"""Read the organisation's settings (cached; saving the organisation clears the cache)."""

from __future__ import annotations

import time

from django.core.cache import cache

from kliyan.core.models import ORGANISATION_CACHE_KEY, Organisation

# A request asks for the organisation several times (the screen pop: seven), and each
# cache.get unpickles it; the object last read is reused for a second. A change saved in
# this process is seen at once (clear_organisation_cache); other processes see it within
# the cache's own timeout, as before.
FRESH_SECONDS = 1.0
_last_read: tuple[float, Organisation] | None = None


def get_organisation() -> Organisation:
    """Return the organisation, creating it with defaults on first use."""
    global _last_read
    last = _last_read
    now = time.monotonic()
    if last is not None and now - last[0] < FRESH_SECONDS:
        return last[1]
    organisation = cache.get(ORGANISATION_CACHE_KEY)
    if organisation is None:
        organisation, _created = Organisation.objects.get_or_create(pk=1)
        cache.set(ORGANISATION_CACHE_KEY, organisation, 30)
    _last_read = (now, organisation)
    return organisation


def clear_organisation_cache() -> None:
    """Forget the organisation read so far (after it changed)."""
    global _last_read
    _last_read = None
    cache.delete(ORGANISATION_CACHE_KEY)


def default_region() -> str:
    """Return the ISO country used to read phone numbers typed without a country code."""
    return get_organisation().country
