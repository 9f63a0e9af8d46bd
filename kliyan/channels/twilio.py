"""Twilio's webhook signature: X-Twilio-Signature over the public URL plus the sorted form fields.

The algorithm Twilio documents (and its `twilio` package's RequestValidator implements):
base64(HMAC-SHA1(auth token, URL + every POST field name and value, sorted by name)).
Twilio may sign the URL with or without the default port, so both are tried, as the
RequestValidator does. It is a dozen lines; the `twilio` package would bring aiohttp and
requests into every install for them, so the tests use that package as the reference.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from urllib.parse import urlsplit, urlunsplit

from django.http import QueryDict

SIGNATURE_HEADER = "X-Twilio-Signature"


def compute_signature(auth_token: str, url: str, params: QueryDict | dict[str, str]) -> str:
    """Return the signature Twilio sends for a POST of `params` to `url`."""
    payload = url
    for name in sorted(set(params)):
        values = params.getlist(name) if isinstance(params, QueryDict) else [params[name]]
        for value in sorted(set(values)):
            payload += name + value
    digest = hmac.new(auth_token.encode(), payload.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def _url_variants(url: str) -> list[str]:
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:  # an IPv6 literal keeps its brackets
        host = f"[{host}]"
    without_port = urlunsplit(parts._replace(netloc=host))
    port = parts.port or (443 if parts.scheme == "https" else 80)
    with_port = urlunsplit(parts._replace(netloc=f"{host}:{port}"))
    return [without_port, with_port]


def signature_is_valid(*, auth_token: str, url: str, params: QueryDict | dict[str, str], signature: str) -> bool:
    """Return whether `signature` was made with `auth_token` for this URL and these fields."""
    if not auth_token or not signature:
        return False
    return any(
        hmac.compare_digest(compute_signature(auth_token, variant, params).encode(), signature.encode())
        for variant in _url_variants(url)
    )
