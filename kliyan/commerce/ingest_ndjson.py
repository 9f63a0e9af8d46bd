"""Read NDJSON (one JSON object a line) into (line number, record) pairs, lazily.

Numbers are read as Decimal, never float, so 19.99 stays 19.99. A line that is not JSON
becomes a `Malformed` item for that line; it never stops the lines after it. Blank lines
are skipped but still counted, so line numbers match what an editor shows.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from kliyan.commerce.ingest_plan import Malformed

MAX_LINE_BYTES = 1024 * 1024


def loads(text: str | bytes) -> Any:
    """Decode JSON with numbers as Decimal (and no NaN or Infinity)."""
    return json.loads(text, parse_float=Decimal, parse_constant=_refuse_constant)


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def read_lines(lines: Iterable[bytes | str]) -> Iterator[tuple[int, Any]]:
    """Yield (line number from 1, decoded record or Malformed) for each non-blank line."""
    for number, line in enumerate(lines, start=1):
        if isinstance(line, bytes):
            if len(line) > MAX_LINE_BYTES:
                yield number, Malformed(_("The line is longer than %(limit)d bytes.") % {"limit": MAX_LINE_BYTES})
                continue
            try:
                line = line.decode("utf-8")
            except UnicodeDecodeError:
                yield number, Malformed(_("The line is not UTF-8 text."))
                continue
        text = line.strip().lstrip("\ufeff")
        if not text:
            continue
        try:
            yield number, loads(text)
        except (ValueError, RecursionError) as error:
            yield number, Malformed(_("The line is not valid JSON: %(error)s") % {"error": error})
