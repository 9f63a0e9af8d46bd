"""One HTTP POST to a provider, with the standard library (no client library per provider).

A provider's answer comes back whatever its status, for the sender to read its error
format; only a request that got no answer at all (refused, reset, timed out) raises, as
a retryable ProviderError.
"""

from __future__ import annotations

import base64
import json
import socket
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from kliyan.channels.senders import ProviderError

# A provider that has not answered by then is treated as down (the message is retried).
TIMEOUT_SECONDS = 15
USER_AGENT = "Kliyan"


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def retryable(self) -> bool:
        """Too many requests, or the provider's own failure: worth trying again later."""
        return self.status == 429 or self.status >= 500

    def json(self) -> Any:
        """Return the body read as JSON, or None if it is not JSON."""
        try:
            return json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return None

    def text(self, limit: int = 300) -> str:
        return self.body.decode("utf-8", "replace")[:limit]


def basic_auth(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def post_form(url: str, fields: dict[str, str], *, headers: dict[str, str]) -> Answer:
    body = urlencode({k: v for k, v in fields.items() if v != ""}).encode()
    return post(url, body, headers={**headers, "Content-Type": "application/x-www-form-urlencoded"})


def post_json(url: str, payload: Any, *, headers: dict[str, str]) -> Answer:
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    return post(url, body, headers={**headers, "Content-Type": "application/json"})


def post(url: str, body: bytes, *, headers: dict[str, str]) -> Answer:
    """POST `body` to `url`; return the answer, or raise a retryable ProviderError if none came."""
    request = urllib.request.Request(url, data=body, method="POST", headers={"User-Agent": USER_AGENT, **headers})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310 (URL from settings)
            return Answer(status=response.status, body=response.read())
    except urllib.error.HTTPError as error:
        return Answer(status=error.code, body=error.read() or b"")
    except (urllib.error.URLError, socket.timeout, ConnectionError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise ProviderError(f"{url.split('?')[0]}: no answer ({reason})", retryable=True) from error
