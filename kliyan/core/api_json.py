"""Send large API answers as JSON without validating them a second time."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpResponse
from ninja.responses import NinjaJSONEncoder


def json_page(items: list[dict[str, Any]], next_cursor: str | None) -> HttpResponse:
    """Return one page of a list endpoint ({items, next_cursor}) as JSON.

    Ninja would validate every item against the response schema again; for a page of
    nested records that doubles the cost. The items come from the same output helpers as
    the single-record endpoints, and tests check list pages against the documented schema.
    """
    body = json.dumps({"items": items, "next_cursor": next_cursor}, cls=NinjaJSONEncoder, ensure_ascii=False)
    return HttpResponse(body, content_type="application/json; charset=utf-8")


def json_as_ninja(data: dict[str, Any]) -> HttpResponse:
    """Return `data` as JSON, byte for byte as ninja's renderer writes it, without validating it against the schema.

    For a hot endpoint whose answer is built by one output helper that tests check against
    the documented schema (the screen pop: validating and dumping it again cost about a
    tenth of the call).
    """
    return HttpResponse(json.dumps(data, cls=NinjaJSONEncoder), content_type="application/json; charset=utf-8")
