"""The one definition of the results filters, for the results page and the API.

`kind` csat|nps, `from`/`to` dates (inclusive, the organisation's days; the last 30 days
by default), `group_by` category|product|agent|team, `campaign` an NPS campaign id. A user
who may not see everyone's results (an agent) gets their own: the surveys of tickets they
resolved.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _

from kliyan.accounts.access import Perm, can
from kliyan.core.api_types import MAX_ID
from kliyan.core.errors import FieldErrors
from kliyan.feedback.choices import GroupBy, SurveyKind
from kliyan.feedback.queries import ResultFilters, default_period

MAX_PERIOD_DAYS = 3660


def sees_all_results(user: Any) -> bool:
    """Managers and admins see everyone's results; agents their own."""
    return can(user, Perm.MANAGE_FEEDBACK)


def _date(value: Any, errors: FieldErrors, name: str) -> dt.date | None:
    text = str(value or "").strip()
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        errors.add(name, _("Use a date such as 2026-03-14."))
        return None


def result_filters(data: Mapping[str, Any], *, user: Any) -> ResultFilters:
    """Return the filters `data` asks for, or raise ValidationFailed naming each bad parameter."""
    errors = FieldErrors()
    kind = str(data.get("kind") or SurveyKind.CSAT)
    if kind not in SurveyKind.values:
        errors.add("kind", _("Use csat or nps."))
    group_by = str(data.get("group_by") or "")
    if group_by and group_by not in GroupBy.values:
        errors.add("group_by", _("Use category, product, agent or team."))
    default_from, default_to = default_period()
    date_to = _date(data.get("to"), errors, "to") or default_to
    date_from = _date(data.get("from"), errors, "from") or min(default_from, date_to)
    if "from" not in errors.errors and "to" not in errors.errors:
        if date_from > date_to:
            errors.add("from", _("The start of the period is after its end."))
        elif (date_to - date_from).days > MAX_PERIOD_DAYS:
            errors.add("from", _("Ask for at most ten years at a time."))
    campaign_id = None
    raw_campaign = str(data.get("campaign") or "").strip()
    if raw_campaign:
        if raw_campaign.isdigit() and 0 < int(raw_campaign) <= MAX_ID:
            campaign_id = int(raw_campaign)
        else:
            errors.add("campaign", _("“%(value)s” is not a valid id.") % {"value": raw_campaign})
    errors.raise_if_any()
    return ResultFilters(
        kind=kind, date_from=date_from, date_to=date_to, group_by=group_by, campaign_id=campaign_id,
        agent_id=None if sees_all_results(user) else user.pk,
    )
