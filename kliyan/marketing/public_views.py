"""Public pages of the outbox: one-click unsubscribe (RFC 8058), and the open and click tracking of e-mail.

Unsubscribe: a POST withdraws the consent the token names and answers 200, whoever sends it
(a mail program's one-click POST carries no cookie and no CSRF token: the signed token is the
proof). A GET only shows a small page with a button, because mail scanners and link
previews open every link in a message and must not unsubscribe anyone.
"""

from __future__ import annotations

import base64

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from kliyan.contacts.models import Contact
from kliyan.marketing import tracking
from kliyan.marketing.choices import MessageChannel, MessageStatus
from kliyan.marketing.receipts import record_message_status
from kliyan.marketing.unsubscribe import is_unsubscribed, read_token
from kliyan.marketing.unsubscribe import unsubscribe as withdraw

PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")


def _private(response: HttpResponse) -> HttpResponse:
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


@never_cache
@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    found = read_token(token)
    if found is None:
        raise Http404
    language = Contact.objects.filter(pk=found.contact_id).values_list("language", flat=True).first()
    if language is None:
        raise Http404
    channel = MessageChannel(found.channel).label if found.channel in MessageChannel.values else found.channel
    if request.method == "POST":
        withdraw(found)
        state = "done"
    else:
        state = "done" if is_unsubscribed(found) else "ask"
    with translation.override(language or translation.get_language()):
        response = render(request, "marketing/public/unsubscribe.html", {"state": state, "channel": channel})
    return _private(response)


@never_cache
@require_GET
def opened(request: HttpRequest, token: str) -> HttpResponse:
    message_id = tracking.read_open(token)
    if message_id is not None:
        record_message_status(message_id, MessageStatus.OPENED)
    return _private(HttpResponse(PIXEL, content_type="image/gif"))


@never_cache
@require_GET
def clicked(request: HttpRequest, token: str) -> HttpResponse:
    found = tracking.read_click(token)
    if found is None or not found[1].startswith(("https://", "http://")):
        raise Http404
    message_id, url = found
    record_message_status(message_id, MessageStatus.CLICKED)
    return _private(HttpResponseRedirect(url))
