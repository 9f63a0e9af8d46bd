"""Places other apps contribute to without the contacts app importing them.

- Timeline sources: each returns the newest entries of its kind for a contact; the
  contact page and the API merge them into one timeline, newest first.
- Contact panels: boxes on the contact 360° page (later: orders, tickets, loyalty).
- Screen-pop sections: what the call-centre screen pop (API and page) shows about the
  caller, each section contributed by the app that owns the data. An app's sections may
  also register their read of the caller (a core.prepared.PreparedRead): the pop then
  sends every app's read as one statement before building the sections.
- Page panels: boxes on another app's page (e.g. the ticket page, "ticket"), so the app
  that owns a page does not import the apps that add to it.

Apps register in their AppConfig.ready().
"""

from __future__ import annotations

import datetime as dt
import heapq
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class TimelineEntry:
    """One thing that happened with a contact, in a shape every renderer understands."""

    kind: str  # "interaction", "note", "task", "consent", later "order", "ticket", …
    id: int
    at: dt.datetime
    title: str
    body: str = ""
    actor: str = ""
    channel: str = ""
    icon: str = "dot"
    url: str = ""
    data: dict[str, Any] = field(default_factory=dict)


TimelineSource = Callable[[int, int, dt.datetime | None], Iterable[TimelineEntry]]


@dataclass(frozen=True)
class ContactPanel:
    """A box on the contact page: a template and the function that fills its context."""

    name: str
    template: str
    context: Callable[[Any, Any], dict[str, Any]]  # (request, contact) -> context
    order: int = 100


@dataclass(frozen=True)
class PopSection:
    """One section of the screen pop, e.g. "orders" or "balance".

    `build(contact)` gets the matched contact (company loaded) and returns JSON-able data
    (dicts, lists, strings, numbers; Decimal as str) or None to leave the section out; the
    API answers it under `sections[name]`, and the /pop/ page renders `template` with
    {"section": data, "contact": contact}. `read` names the pop read (register_pop_read)
    the section is built from, if any: the pop runs the reads its sections name, together.
    """

    name: str
    build: Callable[[Any], Any]
    template: str
    order: int = 100
    read: str = ""


_timeline_sources: dict[str, TimelineSource] = {}
_contact_panels: dict[str, ContactPanel] = {}
_pop_sections: dict[str, PopSection] = {}
_pop_reads: dict[str, Callable[[Any], Any]] = {}


def register_timeline_source(kind: str, source: TimelineSource) -> None:
    """Add (or replace) the source of timeline entries of `kind`."""
    _timeline_sources[kind] = source


def register_contact_panel(panel: ContactPanel) -> None:
    """Add (or replace) a panel on the contact page."""
    _contact_panels[panel.name] = panel


def timeline_kinds() -> list[str]:
    return sorted(_timeline_sources)


def contact_timeline(
    contact_id: int,
    *,
    limit: int = 50,
    before: dt.datetime | None = None,
    kinds: Iterable[str] | None = None,
) -> list[TimelineEntry]:
    """Return up to `limit` entries for the contact, newest first, older than `before`.

    Each source returns at most `limit` entries already sorted newest first, so one query
    per source is enough and the merge never loads more than kinds × limit rows.
    """
    wanted = set(kinds) if kinds else set(_timeline_sources)
    streams = [
        list(source(contact_id, limit, before))
        for kind, source in sorted(_timeline_sources.items())
        if kind in wanted
    ]
    merged = heapq.merge(*streams, key=lambda e: (e.at, e.id), reverse=True)
    return [entry for _, entry in zip(range(limit), merged)]


def contact_panels() -> list[ContactPanel]:
    return sorted(_contact_panels.values(), key=lambda p: (p.order, p.name))


def register_pop_section(section: PopSection) -> None:
    """Add (or replace) a section of the call screen pop."""
    _pop_sections[section.name] = section


def pop_sections() -> list[PopSection]:
    return sorted(_pop_sections.values(), key=lambda s: (s.order, s.name))


def register_pop_read(name: str, read: Callable[[Any], Any]) -> None:
    """Add (or replace) an app's read of the caller: `read(contact)` gives a core.prepared.PreparedRead.

    The pop runs the reads its sections name together and hands the rows to the sections
    through core.prepared.once_per(contact, name, …), which reads alone when nothing was.
    """
    _pop_reads[name] = read


def pop_read(name: str) -> Callable[[Any], Any]:
    return _pop_reads[name]


@dataclass(frozen=True)
class PagePanel:
    """A box on a page another app owns: a template and the function that fills its context.

    `context(request, obj)` returns the template's context, or None to leave the box out
    (the user may not see it, say).
    """

    name: str
    template: str
    context: Callable[[Any, Any], dict[str, Any] | None]  # (request, obj) -> context or None
    order: int = 100


_page_panels: dict[str, dict[str, PagePanel]] = {}


def register_page_panel(page: str, panel: PagePanel) -> None:
    """Add (or replace) a panel on `page` ("ticket", …)."""
    _page_panels.setdefault(page, {})[panel.name] = panel


def page_panels(page: str) -> list[PagePanel]:
    return sorted(_page_panels.get(page, {}).values(), key=lambda p: (p.order, p.name))


def render_page_panels(page: str, request: Any, obj: Any) -> list[str]:
    """Return the HTML of every panel registered for `page`, filled for `obj`, in order."""
    from django.template.loader import render_to_string

    rendered = []
    for panel in page_panels(page):
        context = panel.context(request, obj)
        if context is not None:
            rendered.append(render_to_string(panel.template, {**context, "object": obj}, request=request))
    return rendered


# --- Contact merges -------------------------------------------------------------------

# (survivor_id, merged_ids), called inside the merge's transaction.
ContactMergeHandler = Callable[[int, list[int]], None]
_merge_handlers: dict[str, ContactMergeHandler] = {}


def register_contact_merge_handler(model_label: str, handler: ContactMergeHandler) -> None:
    """Let the app owning `model_label` ("analytics.customerproduct") settle its rows when contacts merge.

    A merge moves every row that points at a merged contact to the survivor. Rows that are
    derived (counted from other tables) must not be moved but recounted: their app registers
    a handler, which the merge calls instead of moving them.
    """
    _merge_handlers[model_label.lower()] = handler


def contact_merge_handlers() -> dict[str, ContactMergeHandler]:
    return dict(_merge_handlers)
