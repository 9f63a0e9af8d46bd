"""How Python values go to PostgreSQL: ints as one type, so each query is one prepared statement."""

from __future__ import annotations

from typing import Any

from psycopg import adapters
from psycopg.types.numeric import IntBinaryDumper, IntDumper


def _int4_unless_larger(dumper: Any, obj: int, format: Any) -> Any:
    if -(2**31) <= obj < 2**31:
        return dumper._int4_dumper
    return super(type(dumper), dumper).upgrade(obj, format)


class _IntDumper(IntDumper):
    """Send an int as int4, or int8 when it does not fit (psycopg would send small ones as int2).

    With parameters sent apart from the SQL (server_side_binding), the parameters' types are
    part of the prepared statement: the pop of contact 8,441 (an int2) and of contact 95,075
    (an int4) were two statements of the same query on every connection, each planned five
    times over before PostgreSQL kept a plan.
    """

    def upgrade(self, obj: int, format: Any) -> Any:
        return _int4_unless_larger(self, obj, format)


class _IntBinaryDumper(IntBinaryDumper):
    def upgrade(self, obj: int, format: Any) -> Any:
        return _int4_unless_larger(self, obj, format)


def register_adapters() -> None:
    """Install the dumpers above for every connection made from now on (call before the first one)."""
    adapters.register_dumper(int, _IntDumper)
    adapters.register_dumper(int, _IntBinaryDumper)
