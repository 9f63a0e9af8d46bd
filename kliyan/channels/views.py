"""Pages and webhooks: the screen pop, its live stream, Twilio's and Asterisk's call notices."""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kliyan.accounts.access import Perm, can
from kliyan.channels import queries, services, twilio
from kliyan.channels.choices import CallDirection, CallProvider
from kliyan.channels.models import PopEvent
from kliyan.contacts.queries import caller_id
from kliyan.core.audit import audit_context
from kliyan.core.errors import KliyanError, ValidationFailed
from kliyan.core.web import perm_required

logger = logging.getLogger(__name__)

# The stream looks for new events this often: a call pops well within a second.
POLL_SECONDS = 0.2
# A comment line now and then keeps proxies from closing an idle stream.
HEARTBEAT_SECONDS = 15
# The stream ends after a while and the browser reconnects (with Last-Event-ID), so a
# long-lived connection never outlives a deploy or a proxy's timeout by much.
STREAM_SECONDS = 300
RECONNECT_MS = 1000


# --- The screen pop page -------------------------------------------------------------


@perm_required(Perm.VIEW_CUSTOMERS)
def pop_page(request: HttpRequest) -> HttpResponse:
    """Show who is calling: made to be opened by a softphone or PBX ("open URL on incoming call")."""
    raw = request.GET.get("phone", "")
    try:
        pop = queries.screen_pop(raw)
    except ValidationFailed as error:
        context = {"phone": raw, "error": error.field_errors.get("phone", [error.message])[0]}
        return render(request, "channels/pop.html", context, status=422 if raw else 200)
    sections = [
        render_to_string(built.section.template, {"section": built.data, "contact": pop.contact}, request=request)
        for built in pop.sections
    ]
    log_url = ""
    if pop.contact is not None and can(request.user, Perm.LOG_INTERACTIONS):
        log_url = f"{reverse('interactions:interaction_log', args=[pop.contact.pk])}?{urlencode({'channel': 'phone'})}"
    context = {
        "pop": pop, "phone": raw, "sections": sections, "log_url": log_url,
        "may_create": can(request.user, Perm.EDIT_CUSTOMERS),
    }
    return render(request, "channels/pop.html", context)


# --- The live stream (Server-Sent Events) ----------------------------------------------


def _event_text(event: PopEvent) -> str:
    """Return one event in the text/event-stream format, its texts in the reader's language."""
    payload: dict[str, Any] = dict(event.payload)
    name = payload.get("name") or payload.get("phone_display") or payload.get("phone", "")
    payload["title"] = _("Incoming call: %(name)s") % {"name": name}
    payload["open_label"] = _("Open the screen pop")
    payload["close_label"] = _("Close")
    return f"id: {event.pk}\nevent: {event.kind}\ndata: {json.dumps(payload, ensure_ascii=False)}\n\n"


async def _pop_events(*, user_id: int, after_id: int, language: str) -> AsyncIterator[str]:
    # The id (without data) sets the browser's Last-Event-ID at once, so a stream that ends
    # before any call still resumes from here, not from whatever is newest on reconnection.
    yield f"retry: {RECONNECT_MS}\nid: {after_id}\n\n"
    started = last_sent = time.monotonic()
    while time.monotonic() - started < STREAM_SECONDS:
        events = await sync_to_async(queries.pop_events_after)(user_id=user_id, after_id=after_id)
        if events:
            with translation.override(language):
                chunk = "".join(_event_text(event) for event in events)
            after_id = events[-1].pk
            last_sent = time.monotonic()
            yield chunk
        elif time.monotonic() - last_sent > HEARTBEAT_SECONDS:
            last_sent = time.monotonic()
            yield ": ping\n\n"
        await asyncio.sleep(POLL_SECONDS)


def _last_event_id(request: HttpRequest) -> int | None:
    raw = request.headers.get("Last-Event-ID") or request.GET.get("last_id") or ""
    return int(raw) if raw.isdigit() else None


@require_GET
async def pop_stream(request: HttpRequest) -> HttpResponse:
    """Stream pop events to an agent's open page (text/event-stream), without holding a worker thread.

    Events come from the database (every server process sees them); a reconnecting page
    sends Last-Event-ID and misses nothing that is still fresh.
    """
    if not isinstance(request, ASGIRequest):
        # Under WSGI (runserver, a test server) an endless response would hold a thread and
        # still arrive all at once; 204 tells the browser not to reconnect.
        return HttpResponse(status=204)
    user = await request.auser()
    if not user.is_authenticated:
        return HttpResponse(_("Log in to receive calls."), status=401, content_type="text/plain; charset=utf-8")
    if not can(user, Perm.VIEW_CUSTOMERS):
        return HttpResponse(_("You do not have permission to do this."), status=403, content_type="text/plain; charset=utf-8")
    after_id = _last_event_id(request)
    if after_id is None:
        after_id = await sync_to_async(queries.latest_pop_event_id)()
    # GZipMiddleware holds a stream back until its compressor fills a block; an event must
    # leave at once, so this response is never compressed.
    request.META.pop("HTTP_ACCEPT_ENCODING", None)
    response = StreamingHttpResponse(
        _pop_events(user_id=user.pk, after_id=after_id, language=translation.get_language() or settings.LANGUAGE_CODE),
        content_type="text/event-stream; charset=utf-8",
    )
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # nginx: pass each event on as it comes
    return response


# --- Phone systems --------------------------------------------------------------------


def _plain(text: str, status: int = 200) -> HttpResponse:
    return HttpResponse(text, status=status, content_type="text/plain; charset=utf-8")


def _field_errors_text(error: KliyanError) -> str:
    lines = [f"{field}: {'; '.join(messages)}" for field, messages in error.field_errors.items()]
    return "\n".join(lines) or error.message


TWIML_EMPTY = '<?xml version="1.0" encoding="UTF-8"?><Response/>'


@csrf_exempt
@require_POST
def twilio_voice(request: HttpRequest) -> HttpResponse:
    """Twilio Voice's webhook: check the signature, record the call, answer empty TwiML."""
    token = settings.KLIYAN_TWILIO_AUTH_TOKEN
    url = settings.KLIYAN_TWILIO_WEBHOOK_URL or request.build_absolute_uri()
    signature = request.headers.get(twilio.SIGNATURE_HEADER, "")
    if not twilio.signature_is_valid(auth_token=token, url=url, params=request.POST, signature=signature):
        return _plain(_("The Twilio signature is missing or wrong."), status=403)
    form = request.POST
    data = {
        "provider": CallProvider.TWILIO, "call_id": form.get("CallSid", ""), "from": form.get("From", ""),
        "to": form.get("To", ""), "status": form.get("CallStatus", ""),
        # Twilio says "inbound", "outbound-api" or "outbound-dial".
        "direction": CallDirection.OUTBOUND if form.get("Direction", "").startswith("outbound") else CallDirection.INBOUND,
    }
    try:
        with audit_context(via="twilio", ip_address=request.META.get("REMOTE_ADDR")):
            services.call_received(actor=None, data=data)
    except KliyanError as error:
        # A withheld number ("Anonymous") cannot be looked up or logged; answering Twilio
        # with an error would make the caller hear "an application error has occurred".
        logger.info("Twilio call %s not recorded: %s", data["call_id"], _field_errors_text(error))
    return HttpResponse(TWIML_EMPTY, content_type="text/xml; charset=utf-8")


@csrf_exempt
@require_http_methods(["GET", "POST"])
def asterisk_incoming(request: HttpRequest) -> HttpResponse:
    """Asterisk/FreePBX: answer the caller's name as plain text (CID lookup); with a call_id, also log and pop the call."""
    params = request.POST if request.method == "POST" else request.GET
    secret = settings.KLIYAN_ASTERISK_SECRET
    given = params.get("secret", "")
    if not secret or not hmac.compare_digest(secret.encode(), given.encode()):
        return _plain(_("The secret is missing or wrong."), status=403)
    call_id = params.get("call_id", "")
    try:
        number = queries.check_phone(params.get("from", ""), field="from")
    except ValidationFailed:
        # A withheld number ("anonymous") or an internal extension is an everyday call, not
        # a mistake: there is no name to show, and an error text would become the caller's name.
        return _plain("")
    try:
        if call_id:
            data = {
                "provider": CallProvider.ASTERISK, "call_id": call_id, "from": number, "to": params.get("to", ""),
                "agent": params.get("agent", ""), "status": params.get("status", ""),
                "direction": params.get("direction", "") or CallDirection.INBOUND,
            }
            with audit_context(via="asterisk", ip_address=request.META.get("REMOTE_ADDR")):
                call = services.call_received(actor=None, data=data).call
            name = call.contact.display_name if call.contact_id else _caller_name(number)
        else:
            name = _caller_name(number)
    except KliyanError as error:
        return _plain(_field_errors_text(error), status=error.status)
    return _plain(name)


def _caller_name(number: str) -> str:
    match = caller_id(number, limit=1)
    if match.contacts:
        return match.contacts[0].display_name
    return match.companies[0].name if match.companies else ""
