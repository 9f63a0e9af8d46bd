"""Running automations: who is due for each, stored in the outbox once per occurrence.

`run_automations` (the worker, every 15 minutes) takes each active automation, finds the
contacts due now, a chunk at a time with set-based queries (never a query per contact),
keeps those in the automation's segment when it has one, and stores their messages with
outbox.queue_many under the key "auto:<automation>:<contact>:<occurrence>". The occurrence
names the event the message answers, so a second run, a run after a crash, or two workers
at once store each message once:

- birthday: the year of the birthday (a 29 February birthday is kept on 28 February in
  other years), sent at `local_hour` in the contact's time zone (marketing.policy);
- anniversary of the first purchase: the year of the anniversary (the first year does
  not count), at `local_hour` in the contact's time zone;
- N days after a purchase: the order; the purchase of a category (or one below it), N days
  after: the order too, read from order lines because contacts.Interest links carry no date;
- no purchase for N days (win-back): the day the N days were reached;
- ticket resolved, N days after: the ticket (a ticket reopened and resolved again is not
  answered twice).

Events are due once `days` have passed, and stay due for CATCH_UP more, so runs missed while
no worker ran are made up for without going back over months of history when an automation
is created. Purchase counts come from analytics.CustomerSummary; customers whose summary is
being recounted (PendingCustomer) wait for the next run, which the catch-up window covers.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Exists, F, Min, OuterRef, Q, QuerySet
from django.utils import timezone

from kliyan.analytics.models import CustomerSummary, PendingCustomer
from kliyan.commerce.choices import PURCHASE_STATUSES
from kliyan.commerce.models import Order, OrderLine, Product, ProductCategory
from kliyan.commerce.money import organisation_timezone
from kliyan.contacts.models import Address, Contact
from kliyan.core.errors import ValidationFailed
from kliyan.marketing import outbox, policy, segments
from kliyan.marketing.choices import AutomationTrigger
from kliyan.marketing.models import Automation, Message
from kliyan.service.models import Ticket

logger = logging.getLogger(__name__)

CHUNK = 1000
CATCH_UP = dt.timedelta(days=1)
YEARLY = (AutomationTrigger.BIRTHDAY, AutomationTrigger.ANNIVERSARY)


@dataclass(frozen=True)
class Due:
    """One message an automation owes: to whom, for which occurrence, and not before when (None: now)."""

    contact_id: int
    occurrence: str
    send_after: dt.datetime | None = None


def message_key(automation_id: int, contact_id: int, occurrence: str) -> str:
    return f"auto:{automation_id}:{contact_id}:{occurrence}"


# --- Reading in chunks -------------------------------------------------------------------

def _pages(queryset: QuerySet, *fields: str) -> Iterator[list[tuple[Any, ...]]]:
    """Yield (pk, *fields) rows a chunk at a time, in pk order (keyset: each chunk one indexed query)."""
    last: Any = None
    while True:
        page = queryset if last is None else queryset.filter(pk__gt=last)
        rows = list(page.order_by("pk").values_list("pk", *fields)[:CHUNK])
        if not rows:
            return
        yield rows
        last = rows[-1][0]


def _not_recounting(column: str = "contact_id") -> Q:
    return ~Q(Exists(PendingCustomer.objects.filter(contact_id=OuterRef(column))))


# --- Yearly: birthdays and anniversaries, at a local hour ---------------------------------

def _zones(contact_ids: Sequence[int]) -> dict[int, dt.tzinfo]:
    """Return each contact's time zone (policy.contact_zone) in two queries: phone, then address country."""
    found = {
        pk: policy.Recipient(contact_id=pk, phone=phone)
        for pk, phone in Contact.objects.filter(pk__in=contact_ids).values_list("pk", "primary_phone")
    }
    for contact_id, country in (
        Address.objects.filter(contact_id__in=contact_ids).exclude(country="")
        .order_by("contact_id", "-is_primary", "id").values_list("contact_id", "country")
    ):
        found[contact_id].country = found[contact_id].country or country
    return {pk: policy.contact_zone(recipient) for pk, recipient in found.items()}


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def falls_on(month: int, day: int, today: dt.date) -> bool:
    """Return whether a yearly date (month, day) is kept on `today`; 29 February on the 28th in other years."""
    if (month, day) == (today.month, today.day):
        return True
    return (month, day) == (2, 29) and (today.month, today.day) == (2, 28) and not _is_leap(today.year)


def _month_days_around(now: dt.datetime) -> list[str]:
    """Return the "MM-DD" that are today somewhere on Earth (UTC−12 to UTC+14: the UTC day and its neighbours)."""
    utc_day = now.astimezone(dt.UTC).date()
    days = [utc_day + dt.timedelta(days=offset) for offset in (-1, 0, 1)]
    keys = {day.strftime("%m-%d") for day in days}
    if any(day.month == 2 and day.day == 28 and not _is_leap(day.year) for day in days):
        keys.add("02-29")
    return sorted(keys)


def _local_dues(
    automation: Automation, rows: Sequence[tuple[int, dt.date | dt.datetime]], now: dt.datetime,
) -> list[Due]:
    """Keep the contacts whose yearly date is today in their own time zone; the message waits for the local hour."""
    zones = _zones([contact_id for contact_id, _date in rows])
    dues = []
    for contact_id, date in rows:
        zone = zones.get(contact_id)
        if zone is None:
            continue
        today = now.astimezone(zone).date()
        if isinstance(date, dt.datetime):
            date = date.astimezone(zone).date()  # the first purchase, on the customer's calendar
            if date.year >= today.year:
                continue  # the first purchase itself is no anniversary
        if falls_on(date.month, date.day, today):
            at = dt.datetime.combine(today, dt.time(automation.local_hour), tzinfo=zone)
            dues.append(Due(contact_id, str(today.year), at.astimezone(dt.UTC)))
    return dues


def _same_day_in(year: int, today: dt.date) -> dt.date:
    if (today.month, today.day) == (2, 29) and not _is_leap(year):
        return dt.date(year, 2, 28)
    return today.replace(year=year)


def _birthdays(automation: Automation, now: dt.datetime) -> Iterator[list[Due]]:
    contacts = Contact.objects.filter(birthday_md__in=_month_days_around(now), archived_at__isnull=True)
    for rows in _pages(contacts, "birthday"):
        yield _local_dues(automation, [(pk, birthday) for pk, birthday in rows if birthday], now)


def _anniversaries(automation: Automation, now: dt.datetime) -> Iterator[list[Due]]:
    """First purchases made on a day within a day of today's date, in any past year (one index range per year)."""
    first = CustomerSummary.objects.aggregate(first=Min("first_purchase_at"))["first"]
    if first is None:
        return
    ranges = Q(pk__in=[])
    today = now.astimezone(dt.UTC).date()
    for year in range(first.year, today.year):
        middle = dt.datetime.combine(_same_day_in(year, today), dt.time(), tzinfo=dt.UTC)
        # Two days either side: time zones, and a 29 February kept on the 28th.
        ranges |= Q(first_purchase_at__gte=middle - dt.timedelta(days=2), first_purchase_at__lt=middle + dt.timedelta(days=3))
    summaries = CustomerSummary.objects.filter(ranges, _not_recounting("contact_id"), contact__archived_at__isnull=True)
    for rows in _pages(summaries, "first_purchase_at"):
        yield _local_dues(automation, rows, now)


# --- Events: a purchase, a category purchase, a ticket resolved; a quiet spell ----------------

def _window(automation: Automation, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """Return (after, until]: events this old are due now (`days` ago, and up to CATCH_UP before)."""
    until = now - dt.timedelta(days=automation.days)
    return until - CATCH_UP, until


def _purchases(automation: Automation, now: dt.datetime) -> QuerySet:
    after, until = _window(automation, now)
    return Order.objects.filter(
        status__in=PURCHASE_STATUSES, contact__isnull=False, contact__archived_at__isnull=True,
        ordered_at__gt=after, ordered_at__lte=until,
    )


def _after_purchase(automation: Automation, now: dt.datetime) -> Iterator[list[Due]]:
    for rows in _pages(_purchases(automation, now), "contact_id"):
        yield [Due(contact_id, str(order_id)) for order_id, contact_id in rows]


def _category_purchase(automation: Automation, now: dt.datetime) -> Iterator[list[Due]]:
    if automation.category_id is None:
        return
    products = Product.objects.filter(category_id__in=segments._tree(ProductCategory, automation.category_id))
    lines = OrderLine.objects.filter(order=OuterRef("pk"), product_id__in=products.values("pk"))
    for rows in _pages(_purchases(automation, now).filter(Exists(lines)), "contact_id"):
        yield [Due(contact_id, str(order_id)) for order_id, contact_id in rows]


def _win_back(automation: Automation, now: dt.datetime) -> Iterator[list[Due]]:
    after, until = _window(automation, now)
    quiet = CustomerSummary.objects.filter(
        _not_recounting("contact_id"), last_purchase_at__gt=after, last_purchase_at__lte=until,
        contact__archived_at__isnull=True,
    )
    zone = organisation_timezone()
    spell = dt.timedelta(days=automation.days)
    for rows in _pages(quiet, "last_purchase_at"):
        yield [Due(contact_id, (last + spell).astimezone(zone).date().isoformat()) for contact_id, last in rows]


def _tickets_resolved(automation: Automation, now: dt.datetime) -> Iterator[list[Due]]:
    after, until = _window(automation, now)
    tickets = Ticket.objects.filter(resolved_at__gt=after, resolved_at__lte=until, contact__archived_at__isnull=True)
    for rows in _pages(tickets, "contact_id"):
        yield [Due(contact_id, str(ticket_id)) for ticket_id, contact_id in rows]


FINDERS = {
    AutomationTrigger.BIRTHDAY: _birthdays,
    AutomationTrigger.ANNIVERSARY: _anniversaries,
    AutomationTrigger.AFTER_PURCHASE: _after_purchase,
    AutomationTrigger.CATEGORY_PURCHASE: _category_purchase,
    AutomationTrigger.WIN_BACK: _win_back,
    AutomationTrigger.TICKET_RESOLVED: _tickets_resolved,
}


def due_now(automation: Automation, *, now: dt.datetime) -> Iterator[list[Due]]:
    """Yield, a chunk at a time, the messages `automation` owes at `now` (in its segment, when it has one)."""
    rule = automation.segment.rule if automation.segment_id else None
    for chunk in FINDERS[automation.trigger](automation, now):
        if chunk and rule is not None:
            ids = {due.contact_id for due in chunk}
            inside = set(segments.contacts_in(rule, now=now).filter(pk__in=ids).values_list("pk", flat=True))
            chunk = [due for due in chunk if due.contact_id in inside]
        if chunk:
            yield chunk


# --- Storing -----------------------------------------------------------------------------

def _rounds(chunk: Iterable[Due]) -> Iterator[tuple[dt.datetime | None, dict[int, str]]]:
    """Split a chunk into calls of queue_many: one send time each, and each contact once per call.

    queue_many keys a message by its contact; a contact with two orders due owes two messages.
    """
    by_time: dict[dt.datetime | None, list[Due]] = defaultdict(list)
    for due in chunk:
        by_time[due.send_after].append(due)
    for send_after, dues in by_time.items():
        while dues:
            this_round: dict[int, str] = {}
            later = []
            for due in dues:
                if due.contact_id in this_round:
                    later.append(due)
                else:
                    this_round[due.contact_id] = due.occurrence
            yield send_after, this_round
            dues = later


def run_automation(automation: Automation, *, now: dt.datetime | None = None) -> int:
    """Store the messages `automation` owes now; return how many were new. Running it again stores nothing twice."""
    now = now or timezone.now()
    template = automation.template
    stored = 0
    for chunk in due_now(automation, now=now):
        for send_after, occurrences in _rounds(chunk):
            keys = {cid: message_key(automation.pk, cid, occurrence) for cid, occurrence in occurrences.items()}
            with transaction.atomic():
                stored += outbox.queue_many(
                    contact_ids=list(occurrences), channel=automation.channel, purpose=template.purpose, template=template,
                    key_for=keys.__getitem__, send_after=send_after, created_by=automation.created_by,
                )
                # queue_many knows nothing of automations: tag the rows it just wrote, as campaigns do.
                Message.objects.filter(idempotency_key__in=list(keys.values()), automation__isnull=True).update(
                    automation=automation)
    Automation.objects.filter(pk=automation.pk).update(last_run_at=now, stored=F("stored") + stored)
    return stored


def run_automations(*, now: dt.datetime | None = None) -> int:
    """Run every active automation; return how many messages were stored. One that fails waits and is logged."""
    now = now or timezone.now()
    stored = 0
    active = Automation.objects.filter(active=True).select_related("template", "segment", "created_by").order_by("pk")
    for automation in active:
        try:
            stored += run_automation(automation, now=now)
        except ValidationFailed:
            # The template lost its texts or the segment's rule broke after saving: log and try next time.
            logger.exception("Automation %s could not store its messages", automation.pk)
    return stored


def preview(automation: Automation, *, now: dt.datetime | None = None, limit: int = 10) -> tuple[int, list[Contact]]:
    """Return how many contacts the automation would write to now, and the first `limit` of them."""
    now = now or timezone.now()
    ids: set[int] = set()
    for chunk in due_now(automation, now=now):
        ids.update(due.contact_id for due in chunk)
    first = sorted(ids)[:limit]
    return len(ids), list(Contact.objects.filter(pk__in=first).order_by("pk"))
