"""Open and click tracking of marketing e-mail (KLIYAN_EMAIL_TRACKING, off by default).

When on, the e-mail sender adds an HTML version carrying a 1×1 image (its loading is an
"opened") and sends every link through /m/c/<token>/ (a "clicked", then the redirect).
Tokens are signed: the redirect goes only to a link this installation put in a message, so
it cannot be used to send people elsewhere. Nothing here reads or writes the database; the
public views record what happened through marketing.receipts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils.html import escape

from kliyan.marketing.unsubscribe import public_base_url

SALT = "kliyan.marketing.tracking"
_LINK = re.compile(r"https?://[^\s<>\"']+[^\s<>\"'.,;:!?)\]]")


@dataclass(frozen=True)
class Tracked:
    text: str
    html: str


def enabled() -> bool:
    return bool(settings.KLIYAN_EMAIL_TRACKING)


def open_token(message_id: int) -> str:
    return signing.dumps(["o", message_id], salt=SALT)


def click_token(message_id: int, url: str) -> str:
    return signing.dumps(["c", message_id, url], salt=SALT, compress=True)


def read_open(token: str) -> int | None:
    payload = _load(token)
    return payload[1] if payload and payload[0] == "o" and len(payload) == 2 and isinstance(payload[1], int) else None


def read_click(token: str) -> tuple[int, str] | None:
    payload = _load(token)
    if payload and payload[0] == "c" and len(payload) == 3 and isinstance(payload[1], int) and isinstance(payload[2], str):
        return payload[1], payload[2]
    return None


def _load(token: str) -> list | None:
    try:
        payload = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        return None
    return payload if isinstance(payload, list) and payload else None


def track(message_id: int, body: str) -> Tracked:
    """Return the plain text with its links redirected and an HTML version that also carries the open pixel.

    The unsubscribe link is left alone: it must work even for a reader who blocks redirects.
    """
    base = public_base_url()
    unsubscribe_prefix = base + reverse("marketing_public:unsubscribe", args=["x"])[:-2]

    def redirect(url: str) -> str:
        if url.startswith(unsubscribe_prefix):
            return url
        return base + reverse("marketing_public:click", args=[click_token(message_id, url)])

    text = _LINK.sub(lambda match: redirect(match.group(0)), body)
    parts, last = [], 0
    for match in _LINK.finditer(body):
        parts.append(escape(body[last:match.start()]))
        parts.append(f'<a href="{escape(redirect(match.group(0)))}">{escape(match.group(0))}</a>')
        last = match.end()
    parts.append(escape(body[last:]))
    pixel = base + reverse("marketing_public:open", args=[open_token(message_id)])
    html = (
        '<!doctype html><html><body><div style="white-space:pre-wrap;font-family:sans-serif">'
        + "".join(parts)
        + f'</div><img src="{escape(pixel)}" width="1" height="1" alt=""></body></html>'
    )
    return Tracked(text=text, html=html)
