"""Writes for live calls: record the call once, log it on the timeline, pop it on agents' pages."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kliyan.channels.choices import CallDirection, CallProvider, PopKind
from kliyan.channels.models import CallEvent, PopEvent
from kliyan.channels.queries import check_phone, pop_url
from kliyan.contacts.models import Contact
from kliyan.contacts.queries import caller_id
from kliyan.core.audit import record, snapshot
from kliyan.core.choices import Channel
from kliyan.core.errors import FieldErrors, ValidationFailed
from kliyan.core.models import AuditAction
from kliyan.core.phones import format_international
from kliyan.interactions.services import interaction_log

# Pop events are only read while a call rings; a day is plenty to debug with.
POP_EVENTS_KEPT_FOR = dt.timedelta(days=1)


@dataclass
class CallReceived:
    call: CallEvent
    created: bool  # False: a retry of a call already recorded, nothing new was written


def _agent(value: Any, errors: FieldErrors) -> Any:
    """Return the active user named by username, e-mail or id, or None."""
    if value in (None, ""):
        return None
    text = str(value).strip()
    users = get_user_model().objects.filter(is_active=True)
    found = users.filter(pk=int(text)).first() if text.isdigit() else users.filter(username=text).first()
    if found is None and "@" in text:
        found = users.filter(email__iexact=text).first()
    if found is None:
        errors.add("agent", _("There is no active user “%(value)s”.") % {"value": text[:100]})
    return found


def _clean_call(data: dict[str, Any]) -> dict[str, Any]:
    errors = FieldErrors()
    out: dict[str, Any] = {}
    if data.get("provider") not in CallProvider.values:
        errors.add("provider", _("Unknown provider."))
    out["provider"] = data.get("provider")
    call_id = str(data.get("call_id") or "").strip()
    if not call_id:
        errors.add("call_id", _("This field is required."))
    elif len(call_id) > 100:
        errors.add("call_id", _("Use at most %(count)s characters.") % {"count": 100})
    out["call_id"] = call_id
    direction = data.get("direction") or CallDirection.INBOUND
    if direction not in CallDirection.values:
        errors.add("direction", _("Choose inbound or outbound."))
    out["direction"] = direction
    for name in ("from", "to"):
        raw = str(data.get(name) or "").strip()
        if name == "from" or (direction == CallDirection.OUTBOUND and name == "to"):
            try:
                raw = check_phone(raw, field=name)
            except ValidationFailed as error:  # keep collecting the other fields' errors
                for message in error.field_errors[name]:
                    errors.add(name, message)
        elif len(raw) > 64:
            errors.add(name, _("Use at most %(count)s characters.") % {"count": 64})
        out[name] = raw
    out["status"] = str(data.get("status") or "")[:32]
    out["agent"] = _agent(data.get("agent"), errors)
    errors.raise_if_any()
    return out


def call_received(*, actor: Any, data: dict[str, Any]) -> CallReceived:
    """Record a live call announced by a phone system, once per (provider, call id).

    `data`: provider, call_id, from, to, direction (inbound/outbound), status, agent
    (username, e-mail or id of who takes it). The first time a call id is seen, the call
    is logged on the matched contact's timeline (an Interaction on the phone channel with
    external id "<provider>:<call id>") and a pop event goes to the agent's open pages
    (everyone's who may see customers when no agent is named). A retry only updates the
    call's status.
    """
    cleaned = _clean_call(data)
    with transaction.atomic():
        existing = CallEvent.objects.filter(provider=cleaned["provider"], call_id=cleaned["call_id"]).first()
        if existing is not None:
            return CallReceived(call=_update_status(existing, cleaned["status"]), created=False)
        try:
            with transaction.atomic():
                call = _call_create(actor=actor, cleaned=cleaned)
        except IntegrityError:
            # Another process recorded the same call between our read and our insert.
            existing = CallEvent.objects.get(provider=cleaned["provider"], call_id=cleaned["call_id"])
            return CallReceived(call=existing, created=False)
    return CallReceived(call=call, created=True)


def _update_status(call: CallEvent, status: str) -> CallEvent:
    if status and status != call.status:
        call.status = status
        call.save(update_fields=["status", "updated_at"])
    return call


def _call_create(*, actor: Any, cleaned: dict[str, Any]) -> CallEvent:
    inbound = cleaned["direction"] == CallDirection.INBOUND
    other_party = cleaned["from"] if inbound else cleaned["to"]
    match = caller_id(other_party, limit=1)
    contact: Contact | None = match.contacts[0] if match.contacts else None
    agent = cleaned["agent"]
    call = CallEvent.objects.create(
        provider=cleaned["provider"], call_id=cleaned["call_id"], direction=cleaned["direction"],
        from_number=cleaned["from"], to_number=cleaned["to"], e164=match.e164 or "", status=cleaned["status"],
        agent=agent, contact=contact,
    )
    if contact is not None:
        shown = format_international(match.e164) if match.e164 else other_party
        text = (_("Incoming call from %(number)s") if inbound else _("Outgoing call to %(number)s")) % {"number": shown}
        call.interaction = interaction_log(
            actor=actor, contact=contact,
            data={
                "channel": Channel.PHONE, "direction": cleaned["direction"], "question": text,
                "external_id": f"{call.provider}:{call.call_id}", "staff": agent.pk if agent else None,
            },
        )
        call.save(update_fields=["interaction", "updated_at"])
    record(
        actor=actor, action=AuditAction.CREATE, instance=call, contact_id=contact.pk if contact else None,
        label=str(contact) if contact else other_party, after=snapshot(call),
    )
    PopEvent.objects.create(
        kind=PopKind.INCOMING_CALL, user=agent, call=call,
        payload=_pop_payload(call=call, contact=contact, company_name=_company_name(contact, match), number=match.e164 or other_party),
    )
    PopEvent.objects.filter(created_at__lt=timezone.now() - POP_EVENTS_KEPT_FOR).delete()
    return call


def _company_name(contact: Contact | None, match: Any) -> str:
    if contact is not None:
        return contact.company.name if contact.company_id else ""
    return match.companies[0].name if match.companies else ""


def _pop_payload(*, call: CallEvent, contact: Contact | None, company_name: str, number: str) -> dict[str, Any]:
    """Return what an agent's page needs to show the pop (texts are made per reader, in their language)."""
    return {
        "call_id": call.call_id,
        "provider": call.provider,
        "direction": call.direction,
        "phone": number,
        "phone_display": format_international(number) if number.startswith("+") else number,
        "matched": contact is not None or bool(company_name),
        "contact_id": contact.pk if contact else None,
        "name": contact.display_name if contact else company_name,
        "company": company_name,
        "pop_url": pop_url(number),
    }
