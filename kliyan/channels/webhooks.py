"""Messaging providers' webhooks: incoming messages and delivery receipts.

Each one checks the provider's proof first (a signature over the request, or the secret
in the URL for Africa's Talking, which signs nothing), compared in constant time: a
request that fails it gets 403 and nothing is written. Then the provider's format is read
(kliyan.channels.providers.*), messages go to inbound.receive (once per provider message
id) and receipts to marketing.receipts.record_status (statuses only move forward), so a
provider repeating a webhook changes nothing.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from kliyan.channels import inbound
from kliyan.channels import twilio as twilio_signature
from kliyan.channels.providers import africastalking, gateway, meta, twilio
from kliyan.channels.providers.events import InboundMessage, StatusReport
from kliyan.core.audit import audit_context
from kliyan.core.errors import KliyanError
from kliyan.marketing.receipts import record_status

logger = logging.getLogger(__name__)

TWIML_EMPTY = '<?xml version="1.0" encoding="UTF-8"?><Response/>'


def _plain(text: str, status: int = 200) -> HttpResponse:
    return HttpResponse(text, status=status, content_type="text/plain; charset=utf-8")


def _forbidden(text: str) -> HttpResponse:
    return _plain(text, status=403)


def _ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR")


def _take_in(via: str, request: HttpRequest, messages: Iterable[InboundMessage], reports: Iterable[StatusReport]) -> list[str]:
    """Receive the messages and apply the receipts; return the problems (one bad item does not stop the rest)."""
    problems: list[str] = []
    with audit_context(via=via, ip_address=_ip(request)):
        for message in messages:
            try:
                inbound.receive(
                    channel=message.channel, handle=message.handle, text=message.text,
                    external_id=message.external_id, at=message.at, name=message.name,
                )
            except KliyanError as error:
                text = "; ".join(f"{field}: {', '.join(m)}" for field, m in error.field_errors.items()) or error.message
                logger.warning("%s: message %r not received: %s", via, message.external_id, text)
                problems.append(text)
        for report in reports:
            if report.status and report.provider_id:
                record_status(
                    channel=report.channel, provider_id=report.provider_id, status=report.status,
                    at=report.at, error=report.error,
                )
    return problems


# --- Twilio -----------------------------------------------------------------------------


def _twilio_signed(request: HttpRequest) -> bool:
    # Twilio signs the URL it posted to; behind a proxy that is the public one.
    base = (settings.KLIYAN_PUBLIC_URL or "").rstrip("/")
    url = base + request.get_full_path() if base else request.build_absolute_uri()
    return twilio_signature.signature_is_valid(
        auth_token=settings.KLIYAN_TWILIO_AUTH_TOKEN, url=url, params=request.POST,
        signature=request.headers.get(twilio_signature.SIGNATURE_HEADER, ""),
    )


@csrf_exempt
@require_POST
def twilio_message(request: HttpRequest) -> HttpResponse:
    """Twilio: an SMS or WhatsApp message someone sent to our number; answered with empty TwiML (no reply)."""
    if not _twilio_signed(request):
        return _forbidden(_("The Twilio signature is missing or wrong."))
    problems = _take_in("twilio", request, [twilio.parse_inbound(request.POST)], [])
    if problems:
        return _plain("\n".join(problems), status=400)
    return HttpResponse(TWIML_EMPTY, content_type="text/xml; charset=utf-8")


@csrf_exempt
@require_POST
def twilio_message_status(request: HttpRequest) -> HttpResponse:
    """Twilio: a status callback for a message we sent (sent, delivered, read, undelivered, failed)."""
    if not _twilio_signed(request):
        return _forbidden(_("The Twilio signature is missing or wrong."))
    _take_in("twilio", request, [], [twilio.parse_status(request.POST)])
    return HttpResponse(status=204)


# --- Africa's Talking -------------------------------------------------------------------


def _africastalking_secret_ok(secret: str) -> bool:
    expected = settings.KLIYAN_AFRICASTALKING_WEBHOOK_SECRET
    return bool(expected) and hmac.compare_digest(expected.encode(), secret.encode())


@csrf_exempt
@require_POST
def africastalking_message(request: HttpRequest, secret: str) -> HttpResponse:
    """Africa's Talking: an incoming SMS (its callback URL carries our secret)."""
    if not _africastalking_secret_ok(secret):
        return _forbidden(_("The secret in the URL is missing or wrong."))
    problems = _take_in("africastalking", request, [africastalking.parse_inbound(request.POST)], [])
    return _plain("\n".join(problems), status=400) if problems else _plain("")


@csrf_exempt
@require_POST
def africastalking_delivery(request: HttpRequest, secret: str) -> HttpResponse:
    """Africa's Talking: a delivery report for a message we sent."""
    if not _africastalking_secret_ok(secret):
        return _forbidden(_("The secret in the URL is missing or wrong."))
    _take_in("africastalking", request, [], [africastalking.parse_delivery_report(request.POST)])
    return _plain("")


# --- The generic SMS gateway ------------------------------------------------------------


def _gateway_items(request: HttpRequest) -> list[dict[str, Any]] | None:
    """Return the signed JSON body as a list of objects (one object or a list of them), or None if unreadable."""
    try:
        data = json.loads(request.body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    items = data if isinstance(data, list) else [data]
    return items if all(isinstance(item, dict) for item in items) else None


def _gateway_signed(request: HttpRequest) -> bool:
    return gateway.signature_is_valid(
        secret=settings.KLIYAN_SMS_GATEWAY_SECRET, body=request.body,
        given=request.headers.get(gateway.SIGNATURE_HEADER, ""),
    )


@csrf_exempt
@require_POST
def gateway_message(request: HttpRequest) -> HttpResponse:
    """The generic gateway: incoming SMS, {"id", "from", "text", "at"?, "name"?} or a list of them."""
    if not _gateway_signed(request):
        return _forbidden(_("The X-Kliyan-Signature header is missing or wrong."))
    items = _gateway_items(request)
    if items is None:
        return JsonResponse({"error": _("Send a JSON object or a list of objects.")}, status=400)
    problems = _take_in("sms-gateway", request, [gateway.parse_inbound(item) for item in items], [])
    return JsonResponse({"ok": not problems, "problems": problems}, status=400 if problems else 200)


@csrf_exempt
@require_POST
def gateway_receipt(request: HttpRequest) -> HttpResponse:
    """The generic gateway: delivery receipts, {"id", "status", "at"?, "error"?} or a list of them."""
    if not _gateway_signed(request):
        return _forbidden(_("The X-Kliyan-Signature header is missing or wrong."))
    items = _gateway_items(request)
    if items is None:
        return JsonResponse({"error": _("Send a JSON object or a list of objects.")}, status=400)
    _take_in("sms-gateway", request, [], [gateway.parse_receipt(item) for item in items])
    return JsonResponse({"ok": True})


# --- Meta: WhatsApp, Messenger, Instagram -------------------------------------------------


def _meta_verify(request: HttpRequest) -> HttpResponse:
    """Answer Meta's subscription check: echo hub.challenge when hub.verify_token is ours."""
    expected = settings.KLIYAN_META_VERIFY_TOKEN
    given = request.GET.get("hub.verify_token", "")
    if request.GET.get("hub.mode") != "subscribe" or not expected or not hmac.compare_digest(expected.encode(), given.encode()):
        return _forbidden(_("The verify token is missing or wrong."))
    return _plain(request.GET.get("hub.challenge", ""))


@csrf_exempt
@require_http_methods(["GET", "POST"])
def meta_webhook(request: HttpRequest) -> HttpResponse:
    """Meta's webhook for WhatsApp (object whatsapp_business_account), Messenger (page) and Instagram.

    Anything but 200 makes Meta send the whole batch again, for days: an item that cannot
    be received is logged and skipped, the rest is taken.
    """
    if request.method == "GET":
        return _meta_verify(request)
    if not meta.signature_is_valid(
        app_secret=settings.KLIYAN_META_APP_SECRET, body=request.body,
        given=request.headers.get(meta.SIGNATURE_HEADER, ""),
    ):
        return _forbidden(_("The X-Hub-Signature-256 header is missing or wrong."))
    try:
        payload = json.loads(request.body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return _plain(_("The body is not JSON."), status=400)
    if not isinstance(payload, dict):
        return _plain(_("The body is not a JSON object."), status=400)
    if payload.get("object") == "whatsapp_business_account":
        messages, reports = meta.parse_whatsapp(payload)
    else:
        messages, reports = meta.parse_messaging(payload)
    _take_in("meta", request, messages, reports)
    return _plain("")
