"""Saved segments: create, change and delete them, each change audited.

The rule is checked with kliyan.marketing.segments.validate_rule before anything is written, so a
saved segment always names fields, operators and records that existed when it was saved.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.utils.translation import gettext as _

from kliyan.core.audit import record
from kliyan.core.errors import Conflict, FieldErrors, ValidationFailed
from kliyan.core.models import AuditAction
from kliyan.marketing.cleaning import NAME_LIMIT, clean_name, found
from kliyan.marketing.models import Segment
from kliyan.marketing.segments import validate_rule

AUDITED = ("name", "description", "rule")
DESCRIPTION_LIMIT = 255


def get_segment(pk: Any) -> Segment:
    """Return the segment with id `pk`, or raise NotFound."""
    return found(Segment, pk, _("There is no segment with id %(id)s.") % {"id": pk})


def _clean(data: Mapping[str, Any], *, segment: Segment | None) -> dict[str, Any]:
    """Return the cleaned fields present in `data` (all of them when creating)."""
    errors = FieldErrors()
    for key in data:
        if key not in AUDITED:
            errors.add(key, _("Unknown field."))
    creating = segment is None
    cleaned: dict[str, Any] = {}
    if creating or "name" in data:
        name = clean_name(data.get("name"), errors)
        taken = Segment.objects.filter(name__iexact=name).exclude(pk=getattr(segment, "pk", None))
        if name and len(name) <= NAME_LIMIT and taken.exists():
            errors.add("name", _("There is already a segment called “%(name)s”.") % {"name": name})
        cleaned["name"] = name
    if "description" in data:
        description = data.get("description") or ""
        if not isinstance(description, str) or len(description) > DESCRIPTION_LIMIT:
            errors.add("description", _("At most %(limit)d characters.") % {"limit": DESCRIPTION_LIMIT})
        cleaned["description"] = str(description).strip()
    if creating or "rule" in data:
        try:
            validate_rule(data.get("rule"))
        except ValidationFailed as error:
            for path, messages in error.field_errors.items():
                for message in messages:
                    errors.add(path, message)
        cleaned["rule"] = data.get("rule")
    errors.raise_if_any()
    return cleaned


def _state(segment: Segment) -> dict[str, Any]:
    return {name: getattr(segment, name) for name in AUDITED}


@transaction.atomic
def segment_create(*, actor: Any, data: Mapping[str, Any]) -> Segment:
    """Save a new segment (name, description, rule); refuse a bad rule naming the node at fault."""
    cleaned = _clean(data, segment=None)
    try:
        with transaction.atomic():
            segment = Segment.objects.create(**cleaned, created_by=actor if getattr(actor, "is_authenticated", False) else None)
    except IntegrityError:
        # Two managers saving the same name at once: the unique constraint decides.
        raise ValidationFailed(field_errors={"name": [
            _("There is already a segment called “%(name)s”.") % {"name": cleaned["name"]}]}) from None
    record(actor=actor, action=AuditAction.CREATE, instance=segment, after=_state(segment))
    return segment


@transaction.atomic
def segment_update(*, actor: Any, segment: Segment, data: Mapping[str, Any]) -> Segment:
    """Change a segment's name, description or rule; only what changed is audited."""
    segment = Segment.objects.select_for_update().get(pk=segment.pk)
    cleaned = _clean(data, segment=segment)
    before = _state(segment)
    for name, value in cleaned.items():
        setattr(segment, name, value)
    after = _state(segment)
    changed = [name for name in AUDITED if before[name] != after[name]]
    if changed:
        try:
            with transaction.atomic():
                segment.save()
        except IntegrityError:
            raise ValidationFailed(field_errors={"name": [
                _("There is already a segment called “%(name)s”.") % {"name": segment.name}]}) from None
        record(
            actor=actor, action=AuditAction.UPDATE, instance=segment,
            before={name: before[name] for name in changed}, after={name: after[name] for name in changed},
        )
    return segment


@transaction.atomic
def segment_delete(*, actor: Any, segment: Segment) -> None:
    """Delete a segment; one a campaign or an automation still uses is kept (Conflict)."""
    before = _state(segment)
    pk, label = segment.pk, str(segment)
    try:
        with transaction.atomic():
            segment.delete()
    except ProtectedError:
        raise Conflict(_("This segment is used by a campaign or an automation; change those first.")) from None
    record(
        actor=actor, action=AuditAction.DELETE, object_type_label="marketing.segment", object_id=str(pk), label=label,
        before=before,
    )
