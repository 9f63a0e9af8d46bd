"""Automations: write, change, pause, resume and delete them, each change audited.

Everything a run needs is checked when the automation is saved, not when it first fires:
the template is active, for the channel, and each of its texts usable on it
(rendering.validate_text); the segment's rule is sound; days and the local hour are in range;
the category trigger names a category. Running them is marketing.automation_running's job.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from kliyan.commerce.models import ProductCategory
from kliyan.core.api_types import MAX_ID
from kliyan.core.audit import record
from kliyan.core.errors import FieldErrors, ValidationFailed
from kliyan.core.models import AuditAction
from kliyan.marketing import rendering
from kliyan.marketing.choices import AutomationTrigger, MessageChannel
from kliyan.marketing.cleaning import clean_name, found
from kliyan.marketing.models import Automation, MessageTemplate, Segment
from kliyan.marketing.segments import validate_rule

FIELDS = ("name", "trigger", "days", "local_hour", "category_id", "channel", "template_id", "segment_id", "active")
MAX_DAYS = 3650


def get_automation(pk: Any) -> Automation:
    """Return the automation with id `pk`, or raise NotFound."""
    return found(Automation, pk, _("There is no automation with id %(id)s.") % {"id": pk})


# --- Cleaning input ----------------------------------------------------------------------

def _whole(value: Any) -> int | None:
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _clean_id(value: Any) -> int | None:
    number = _whole(value)
    return number if number is not None and 0 < number <= MAX_ID else None


def _clean_numbers(data: Mapping[str, Any], cleaned: dict[str, Any], errors: FieldErrors) -> None:
    if "days" in data:
        days = _whole(data.get("days"))
        if days is None or not 0 <= days <= MAX_DAYS:
            errors.add("days", _("Give a whole number of days from 0 to %(max)d.") % {"max": MAX_DAYS})
        cleaned["days"] = days
    if "local_hour" in data:
        hour = _whole(data.get("local_hour"))
        if hour is None or not 0 <= hour <= 23:
            errors.add("local_hour", _("Give an hour from 0 to 23."))
        cleaned["local_hour"] = hour


def _clean_links(data: Mapping[str, Any], cleaned: dict[str, Any], errors: FieldErrors, creating: bool) -> None:
    if creating or "template_id" in data:
        template_id = _clean_id(data.get("template_id"))
        if template_id is None or not MessageTemplate.objects.filter(pk=template_id).exists():
            errors.add("template_id", _("Choose a message template."))
        cleaned["template_id"] = template_id
    if data.get("segment_id") not in (None, ""):
        segment_id = _clean_id(data.get("segment_id"))
        if segment_id is None or not Segment.objects.filter(pk=segment_id).exists():
            errors.add("segment_id", _("Choose a saved segment, or none for every contact."))
        cleaned["segment_id"] = segment_id
    elif "segment_id" in data:
        cleaned["segment_id"] = None
    if data.get("category_id") not in (None, ""):
        category_id = _clean_id(data.get("category_id"))
        if category_id is None or not ProductCategory.objects.filter(pk=category_id).exists():
            errors.add("category_id", _("Choose a product category."))
        cleaned["category_id"] = category_id
    elif "category_id" in data:
        cleaned["category_id"] = None


def _clean(data: Mapping[str, Any], *, creating: bool) -> dict[str, Any]:
    """Return the cleaned fields present in `data` (the required ones when creating), or raise every problem at once."""
    errors = FieldErrors()
    for key in data:
        if key not in FIELDS:
            errors.add(key, _("Unknown field."))
    cleaned: dict[str, Any] = {}
    if creating or "name" in data:
        cleaned["name"] = clean_name(data.get("name"), errors)
    if creating or "trigger" in data:
        if data.get("trigger") not in AutomationTrigger.values:
            errors.add("trigger", _("Choose one of: %(choices)s.") % {"choices": ", ".join(AutomationTrigger.values)})
        cleaned["trigger"] = data.get("trigger")
    if creating or "channel" in data:
        if data.get("channel") not in MessageChannel.values:
            errors.add("channel", _("Choose one of: %(choices)s.") % {"choices": ", ".join(MessageChannel.values)})
        cleaned["channel"] = data.get("channel")
    _clean_numbers(data, cleaned, errors)
    _clean_links(data, cleaned, errors, creating)
    if "active" in data:
        if not isinstance(data.get("active"), bool):
            errors.add("active", _("Give true or false."))
        cleaned["active"] = data.get("active")
    errors.raise_if_any()
    return cleaned


# --- Checking the whole automation ----------------------------------------------------------

def check_ready(automation: Automation) -> None:
    """Refuse (every problem at once) an automation that could not run as it stands."""
    errors = FieldErrors()
    if automation.trigger == AutomationTrigger.WIN_BACK and automation.days < 1:
        errors.add("days", _("A win-back waits at least 1 day without a purchase."))
    if automation.trigger == AutomationTrigger.CATEGORY_PURCHASE and automation.category_id is None:
        errors.add("category_id", _("Choose the category whose purchases show the interest."))
    _check_template(automation, errors)
    if automation.segment_id is not None:
        try:
            validate_rule(automation.segment.rule)
        except ValidationFailed:
            errors.add("segment_id", _("The segment's rule has mistakes: fix the segment first."))
    errors.raise_if_any()


def _check_template(automation: Automation, errors: FieldErrors) -> None:
    template = MessageTemplate.objects.prefetch_related("texts").get(pk=automation.template_id)
    if template.channel != automation.channel:
        errors.add("template_id", _("“%(name)s” is a template for %(channel)s.") % {
            "name": template.name, "channel": template.get_channel_display()})
        return
    if not template.active:
        errors.add("template_id", _("“%(name)s” is switched off.") % {"name": template.name})
    texts = list(template.texts.all())
    if not texts:
        errors.add("template_id", _("“%(name)s” has no text yet.") % {"name": template.name})
    for text in texts:
        try:
            rendering.validate_text(channel=automation.channel, subject=text.subject, body=text.body)
        except ValidationFailed as error:
            for messages in error.field_errors.values():
                for message in messages:
                    errors.add("template_id", _("“%(name)s” (%(language)s): %(problem)s") % {
                        "name": template.name, "language": text.language, "problem": message})


# --- Writes -----------------------------------------------------------------------------

AUDITED = ("name", "trigger", "days", "local_hour", "category_id", "channel", "template_id", "segment_id", "active")


def _state(automation: Automation) -> dict[str, Any]:
    return {name: getattr(automation, name) for name in AUDITED}


def _apply(automation: Automation, cleaned: Mapping[str, Any]) -> None:
    for name, value in cleaned.items():
        setattr(automation, name, value)
    if automation.trigger != AutomationTrigger.CATEGORY_PURCHASE:
        automation.category_id = None  # only the category trigger reads it; keep no stale one


@transaction.atomic
def automation_create(*, actor: Any, data: Mapping[str, Any]) -> Automation:
    """Write an automation; it runs from the next scheduled run unless `active` is false."""
    cleaned = _clean(data, creating=True)
    automation = Automation(created_by=actor if getattr(actor, "is_authenticated", False) else None)
    _apply(automation, cleaned)
    check_ready(automation)
    automation.save()
    record(actor=actor, action=AuditAction.CREATE, instance=automation, after=_state(automation))
    return automation


@transaction.atomic
def automation_update(*, actor: Any, automation: Automation, data: Mapping[str, Any]) -> Automation:
    """Change an automation; messages already stored stay as they are."""
    automation = Automation.objects.select_for_update().get(pk=automation.pk)
    cleaned = _clean(data, creating=False)
    before = _state(automation)
    _apply(automation, cleaned)
    check_ready(automation)
    automation.save()
    after = _state(automation)
    changed = [name for name in after if before[name] != after[name]]
    if changed:
        record(actor=actor, action=AuditAction.UPDATE, instance=automation,
               before={n: before[n] for n in changed}, after={n: after[n] for n in changed})
    return automation


def _set_active(actor: Any, automation: Automation, active: bool) -> Automation:
    automation = Automation.objects.select_for_update().get(pk=automation.pk)
    if automation.active != active:
        automation.active = active
        automation.save(update_fields=["active", "updated_at"])
        record(actor=actor, action=AuditAction.UPDATE, instance=automation,
               before={"active": not active}, after={"active": active})
    return automation


@transaction.atomic
def automation_pause(*, actor: Any, automation: Automation) -> Automation:
    """Stop the automation from storing new messages (those stored keep going out)."""
    return _set_active(actor, automation, False)


@transaction.atomic
def automation_resume(*, actor: Any, automation: Automation) -> Automation:
    """Run the automation again from the next scheduled run (it catches up one day of missed events)."""
    automation = _set_active(actor, automation, True)
    check_ready(automation)  # its template or segment may have changed meanwhile
    return automation


@transaction.atomic
def automation_delete(*, actor: Any, automation: Automation) -> None:
    """Delete the automation; the messages it stored stay in the outbox, with their keys."""
    automation = Automation.objects.select_for_update().get(pk=automation.pk)
    before = _state(automation)
    pk, label = automation.pk, str(automation)
    automation.delete()
    record(actor=actor, action=AuditAction.DELETE, object_type_label="marketing.automation", object_id=str(pk),
           label=label, before=before)
