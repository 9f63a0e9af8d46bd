"""Teams: a name, a manager and members; every change audited, bad input named, nothing half-written."""

from __future__ import annotations

import pytest

from kliyan.accounts.models import Team
from kliyan.accounts.teams import team_create, team_ids_of, team_update
from kliyan.core.errors import ValidationFailed
from kliyan.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_a_team_is_created_with_its_manager_and_members_and_audited(manager, agent, viewer) -> None:
    team = team_create(actor=manager, data={"name": " Șervis  kliyan ", "manager": manager.pk, "members": [agent.pk, viewer.pk]})
    assert (team.name, team.manager, set(team.members.all())) == ("Șervis kliyan", manager, {agent, viewer})
    entry = AuditEntry.objects.get(object_type="accounts.team")
    assert (entry.action, entry.actor, entry.after["members"]) == ("create", manager, sorted([agent.pk, viewer.pk]))


def test_names_are_unique_whatever_the_case_even_beyond_ascii(manager) -> None:
    team_create(actor=manager, data={"name": "Șervis"})
    with pytest.raises(ValidationFailed) as caught:
        team_create(actor=manager, data={"name": "șERVIS"})
    assert set(caught.value.field_errors) == {"name"}
    assert Team.objects.count() == 1


def test_bad_input_is_named_and_nothing_changes(manager, agent) -> None:
    team = team_create(actor=manager, data={"name": "Desk", "members": [agent.pk]})
    with pytest.raises(ValidationFailed) as caught:
        team_update(actor=manager, team=team, data={"name": "", "manager": 999999, "members": [agent.pk, 888888], "colour": "red"})
    assert set(caught.value.field_errors) == {"name", "manager", "members", "colour"}
    team.refresh_from_db()
    assert (team.name, list(team.members.all())) == ("Desk", [agent])
    assert AuditEntry.objects.filter(object_type="accounts.team", action="update").count() == 0


def test_an_update_audits_only_what_changed(manager, agent) -> None:
    team = team_create(actor=manager, data={"name": "Desk", "members": [agent.pk]})
    team_update(actor=manager, team=team, data={"name": "Desk", "members": [agent.pk]})
    assert not AuditEntry.objects.filter(action="update").exists()
    team_update(actor=manager, team=team, data={"manager": manager.pk})
    entry = AuditEntry.objects.get(action="update")
    assert (entry.before, entry.after) == ({"manager": None}, {"manager": manager.pk})


def test_a_users_teams_are_those_they_belong_to_or_manage_and_that_are_active(manager, agent) -> None:
    member = team_create(actor=manager, data={"name": "A", "members": [agent.pk]})
    led = team_create(actor=manager, data={"name": "B", "manager": agent.pk})
    off = team_create(actor=manager, data={"name": "C", "members": [agent.pk], "active": False})
    assert team_ids_of(agent) == sorted([member.pk, led.pk])
    assert off.pk not in team_ids_of(agent) and team_ids_of(manager) == []
