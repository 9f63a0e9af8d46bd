"""The secret in a survey link: unguessable, never stored, yet rebuildable for the outbox.

A link's token is HMAC-SHA256(secret key, a random nonce), 43 URL-safe characters. The
database keeps the nonce and the token's SHA-256 — not the token: a copy of the database
alone opens no survey. The server can rebuild the token from the nonce, so the e-mail task,
the later SMS/WhatsApp outbox and the agent's "copy link" all show the same link without
the token ever being written down. Rotating KLIYAN_SECRET_KEY therefore changes the links
of invitations not yet sent (those already sent keep working: they are found by hash).

A request's token is looked up by its hash (an index lookup that reveals nothing about
stored tokens) and then compared with `hmac.compare_digest`, in constant time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets

from django.utils.crypto import salted_hmac

KEY_SALT = "kliyan.feedback.survey-link"
TOKEN_LENGTH = 43  # 32 bytes, base64url without padding
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{43}")


def new_nonce() -> str:
    return secrets.token_hex(16)


def token_for(nonce: str) -> str:
    """Return the link token derived from `nonce` and the secret key."""
    digest = salted_hmac(KEY_SALT, nonce, algorithm="sha256").digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def new_token_fields() -> dict[str, str]:
    """Return the `token_nonce` and `token_hash` of a fresh invitation."""
    nonce = new_nonce()
    return {"token_nonce": nonce, "token_hash": hash_token(token_for(nonce))}


def well_formed(token: str) -> bool:
    return bool(TOKEN_PATTERN.fullmatch(token or ""))


def matches(stored_hash: str, token: str) -> bool:
    """Return whether `token` is the one whose hash is stored (constant time)."""
    return hmac.compare_digest(stored_hash.encode("ascii"), hash_token(token).encode("ascii"))
