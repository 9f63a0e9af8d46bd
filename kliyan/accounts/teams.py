"""Writes and reads for teams: a name, a manager and members. Each write audits itself.

The callers (the service desk's pages and API) check `service.manage` before calling.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from kliyan.accounts.models import Team, User
from kliyan.core.audit import record
from kliyan.core.errors import FieldErrors, NotFound
from kliyan.core.models import AuditAction

NAME_LIMIT = 100
TEAM_FIELDS = {"name", "manager", "members", "active"}


def _user_id(value: Any, errors: FieldErrors, field: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        pk = int(getattr(value, "pk", value))
    except (TypeError, ValueError):
        errors.add(field, _("“%(value)s” is not a valid id.") % {"value": value})
        return None
    return pk


def _other_team_names(team: Team | None) -> set[str]:
    # Compared in Python: SQLite's case-insensitive match folds only ASCII letters ("Ș" ≠ "ș").
    others = Team.objects.exclude(pk=team.pk) if team is not None else Team.objects.all()
    return {name.casefold() for name in others.values_list("name", flat=True)}


def _clean(data: Mapping[str, Any], *, team: Team | None) -> dict[str, Any]:
    errors = FieldErrors()
    for key in data:
        if key not in TEAM_FIELDS:
            errors.add(key, _("Unknown field."))
    out: dict[str, Any] = {}
    if "name" in data or team is None:
        name = " ".join(str(data.get("name") or "").split())
        if not name:
            errors.add("name", _("This field is required."))
        elif len(name) > NAME_LIMIT:
            errors.add("name", _("At most %(limit)d characters.") % {"limit": NAME_LIMIT})
        elif name.casefold() in _other_team_names(team):
            errors.add("name", _("There is already a team with this name."))
        out["name"] = name
    if "manager" in data:
        pk = _user_id(data["manager"], errors, "manager")
        if pk is not None and not User.objects.filter(pk=pk, is_active=True).exists():
            errors.add("manager", _("There is no active user with id %(id)s.") % {"id": pk})
        out["manager_id"] = pk
    if "members" in data:
        raw = data["members"] or []
        if not isinstance(raw, list | tuple | set):
            errors.add("members", _("Send a list of user ids."))
            raw = []
        ids = sorted({pk for pk in (_user_id(v, errors, "members") for v in raw) if pk is not None})
        known = set(User.objects.filter(pk__in=ids, is_active=True).values_list("pk", flat=True))
        for pk in ids:
            if pk not in known:
                errors.add("members", _("There is no active user with id %(id)s.") % {"id": pk})
        out["members"] = ids
    if "active" in data:
        out["active"] = bool(data["active"])
    errors.raise_if_any()
    return out


def _state(team: Team, member_ids: Iterable[int]) -> dict[str, Any]:
    return {
        "name": team.name, "manager": team.manager_id, "active": team.active, "members": sorted(member_ids),
    }


@transaction.atomic
def team_create(*, actor: Any, data: Mapping[str, Any]) -> Team:
    """Create a team with its manager and members."""
    cleaned = _clean(data, team=None)
    members = cleaned.pop("members", [])
    team = Team.objects.create(**cleaned)
    team.members.set(members)
    record(actor=actor, action=AuditAction.CREATE, instance=team, after=_state(team, members))
    return team


@transaction.atomic
def team_update(*, actor: Any, team: Team, data: Mapping[str, Any]) -> Team:
    """Change a team's name, manager, members or active flag; only what changed is audited."""
    team = Team.objects.select_for_update().get(pk=team.pk)
    before = _state(team, team.members.values_list("pk", flat=True))
    cleaned = _clean(data, team=team)
    members = cleaned.pop("members", None)
    for name, value in cleaned.items():
        setattr(team, name, value)
    after = _state(team, members if members is not None else before["members"])
    changed = [key for key in after if after[key] != before[key]]
    if not changed:
        return team
    team.save()
    if members is not None:
        team.members.set(members)
    record(
        actor=actor, action=AuditAction.UPDATE, instance=team,
        before={key: before[key] for key in changed}, after={key: after[key] for key in changed},
    )
    return team


def teams(*, include_inactive: bool = True) -> QuerySet[Team]:
    """Return teams by name, with their manager and members loaded."""
    qs = Team.objects.select_related("manager").prefetch_related("members")
    return qs if include_inactive else qs.filter(active=True)


def get_team(pk: Any) -> Team:
    try:
        return teams().get(pk=int(pk))
    except (Team.DoesNotExist, TypeError, ValueError):
        raise NotFound(_("There is no team with id %(id)s.") % {"id": pk}) from None


def team_ids_of(user: Any) -> list[int]:
    """Return the ids of the active teams `user` belongs to or manages."""
    if not getattr(user, "is_authenticated", False):
        return []
    ids = Team.objects.filter(Q(members=user) | Q(manager=user), active=True).order_by().values_list("pk", flat=True)
    return sorted(set(ids))
