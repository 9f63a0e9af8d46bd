"""Standard Webhooks signatures (https://www.standardwebhooks.com, version 1.0.0).

The signed content is "{webhook-id}.{webhook-timestamp}.{body}"; the key is the secret
without its "whsec_" prefix, base64-decoded; the header value is "v1," followed by the
base64 HMAC-SHA256, several space-separated while an old secret is still honoured.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import uuid
from collections.abc import Iterable
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder

SECRET_PREFIX = "whsec_"
# The spec asks for at least 24 random bytes.
SECRET_BYTES = 32


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def new_message_id() -> str:
    # No "." in it: the id is the first part of the signed content.
    return "msg_" + uuid.uuid4().hex


def _key(secret: str) -> bytes:
    raw = secret.removeprefix(SECRET_PREFIX)
    return base64.b64decode(raw + "=" * (-len(raw) % 4))


def sign(*, secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """Return one "v1,<base64>" signature of the message."""
    content = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(_key(secret), content, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signature_header(*, secrets_in_use: Iterable[str], message_id: str, timestamp: int, body: bytes) -> str:
    return " ".join(sign(secret=s, message_id=message_id, timestamp=timestamp, body=body) for s in secrets_in_use if s)


def body_bytes(payload: Any) -> bytes:
    """Serialise a payload the same way on every attempt (compact, sorted keys, UTF-8)."""
    return json.dumps(payload, cls=DjangoJSONEncoder, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode()


def json_safe(value: Any) -> Any:
    """Return `value` as plain JSON types (dates as ISO strings, decimals as strings)."""
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))
