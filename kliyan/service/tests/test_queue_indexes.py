"""The queue reads unresolved tickets through the partial indexes on them (found slow at 200,000 tickets)."""

from __future__ import annotations

import pytest
from django.db import connection

from kliyan.service import queries
from kliyan.service.models import Ticket

pytestmark = pytest.mark.django_db

UNRESOLVED_SQL = "IN ('new', 'open', 'waiting', 'reopened')"


def _plan(qs) -> str:
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        return " ".join(str(row) for row in cursor.fetchall())


def test_the_unresolved_condition_is_written_out_so_partial_indexes_apply(agent) -> None:
    # A bound IN list cannot be matched against a partial index's condition by SQLite.
    for tab in ("mine", "unassigned", "open", "breaching"):
        sql = str(queries.list_tickets(queries.tab_filters(tab, agent)).query)
        assert UNRESOLVED_SQL in sql, tab


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's query plans")
def test_the_queue_tabs_use_the_partial_indexes(agent) -> None:
    mine = queries.list_tickets(queries.tab_filters("mine", agent)).order_by("created_at", "id")[:51]
    assert "ticket_open_assignee_idx" in _plan(mine)
    team = queries.list_tickets(queries.TicketFilters(statuses=tuple(queries.UNRESOLVED), team_ids=(1,)))
    assert "ticket_open_team_idx" in _plan(team.order_by("created_at", "id")[:51])


def test_in_literals_takes_fixed_choice_values_only() -> None:
    from django.db.models import F

    with pytest.raises(ValueError):
        queries.InLiterals(F("status"), ("open", "x') OR 1=1 --"))
    assert Ticket.objects.filter(queries.InLiterals(F("status"), ("open",))).count() == 0
