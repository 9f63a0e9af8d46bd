"""Background work that belongs to no single domain: database upkeep."""

from __future__ import annotations

from django.db import connection
from django_tasks import task


@task()
def optimize_database() -> bool:
    """Refresh the query planner's statistics on SQLite; return whether anything ran.

    The planner's choices depend on ANALYZE statistics, which SQLite never gathers by
    itself: without them a database that grew from the demo to a million contacts keeps
    plans made for a few hundred rows. `PRAGMA optimize` analyses only the tables whose
    statistics are stale, so it is cheap to run every night. PostgreSQL's autovacuum does
    the same job there.
    """
    if connection.vendor != "sqlite":
        return False
    with connection.cursor() as cursor:
        # 0x10002: also consider tables the current connection has not queried.
        cursor.execute("PRAGMA optimize=0x10002")
    return True
