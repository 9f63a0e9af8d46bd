"""Segments: a JSON rule over contacts, checked with a clear error per node and compiled to one SQL statement.

A rule is a tree of groups and conditions:

    {"all": [                                          every part must hold ("any": one is enough)
        {"field": "birthday", "op": "this_month"},
        {"field": "consent", "op": "granted", "value": "email"},
        {"any": [
            {"field": "purchased_category", "op": "bought_in_last_days", "value": 12, "days": 90},
            {"field": "total_spend", "op": "gte", "value": 5000},
        ]},
    ]}

Groups nest at most MAX_DEPTH deep; the fields, their operators and values are listed in
kliyan.marketing.segment_fields (FIELDS). `contacts_in` turns the whole tree into one WHERE
clause of EXISTS and IN subqueries, so a count or a page of contacts is one statement however
many conditions the rule has, and nothing is gathered in Python. Dates and "the last N days"
are read when the rule is compiled, in the organisation's time zone: a saved segment is
"birthday this month" every month.
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from functools import cached_property
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Sum
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext as _

from kliyan.commerce.choices import PURCHASE_STATUSES
from kliyan.commerce.models import Order, OrderLine, Product, ProductCategory
from kliyan.contacts.choices import CustomFieldTarget
from kliyan.contacts.models import Address, Consent, Contact, CustomFieldDefinition, Interest, Tag
from kliyan.core.errors import FieldErrors
from kliyan.marketing.segment_checks import MAX_DEPTH, check_value, checked, validate_rule
from kliyan.marketing.segment_fields import (
    CUSTOM_ANY_OPS,
    CUSTOM_OPS,
    CUSTOM_PREFIX,
    FIELDS,
    OPS,
    field_entry,
    op_entry,
)
from kliyan.service.choices import UNRESOLVED
from kliyan.service.models import Ticket, TicketCategory

__all__ = ["FIELDS", "MAX_DEPTH", "OPS", "catalogue", "contacts_in", "count", "validate_rule"]

# Orders count as purchases in these states (as lifetime spend counts them).
PURCHASES = Q(status__in=PURCHASE_STATUSES)


# --- Compiling --------------------------------------------------------------------------------


class _Clock:
    """What "now", "today" and "this month" mean while one rule is compiled (read once, lazily)."""

    def __init__(self, now: dt.datetime | None) -> None:
        self._now = now

    @cached_property
    def zone(self) -> dt.tzinfo:
        from kliyan.commerce.money import organisation_timezone

        return organisation_timezone()

    @cached_property
    def now(self) -> dt.datetime:
        return self._now or timezone.now()

    @cached_property
    def today(self) -> dt.date:
        return self.now.astimezone(self.zone).date()

    def start_of(self, day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day, dt.time.min, tzinfo=self.zone)

    def days_ago(self, days: int) -> dt.datetime:
        return self.now - dt.timedelta(days=days)

    @cached_property
    def language(self) -> str:
        from kliyan.core.organisation import get_organisation

        return get_organisation().language


def _tree(table: type, root: int) -> RawSQL:
    """Return the ids of category `root` and of every category below it, as an SQL subquery.

    A recursive common table expression (PostgreSQL and SQLite both have them), so "the
    category and its subcategories" costs no query of its own, whatever the tree's depth.
    """
    name = table._meta.db_table
    return RawSQL(
        f"WITH RECURSIVE tree(id) AS (SELECT id FROM {name} WHERE id = %s"
        f" UNION SELECT c.id FROM {name} c JOIN tree ON c.parent_id = tree.id) SELECT id FROM tree",
        [root],
    )


def _exists(queryset: QuerySet) -> Q:
    return Q(Exists(queryset))


def _text(lookup: str, op: str, value: Any) -> Q:
    if op == "is":
        return Q(**{f"{lookup}__iexact": value})
    if op == "is_not":
        return ~Q(**{f"{lookup}__iexact": value})
    if op == "contains":
        return Q(**{f"{lookup}__icontains": value})
    if op == "starts_with":
        return Q(**{f"{lookup}__istartswith": value})
    if op == "is_empty":
        return Q(**{lookup: ""})
    return ~Q(**{lookup: ""})


def _choice(lookup: str, op: str, value: Any) -> Q:
    if op == "is":
        return Q(**{lookup: value})
    if op == "is_not":
        return ~Q(**{lookup: value})
    if op == "in":
        return Q(**{f"{lookup}__in": value})
    return Q(**{lookup: ""})


def _dates(lookup: str, op: str, value: Any, clock: _Clock) -> Q:
    if op == "before":
        return Q(**{f"{lookup}__lt": clock.start_of(value)})
    if op == "after":
        return Q(**{f"{lookup}__gte": clock.start_of(value + dt.timedelta(days=1))})
    if op == "on":
        return Q(**{f"{lookup}__gte": clock.start_of(value), f"{lookup}__lt": clock.start_of(value + dt.timedelta(days=1))})
    if op == "within_days":
        return Q(**{f"{lookup}__gte": clock.days_ago(value)})
    return Q(**{f"{lookup}__lt": clock.days_ago(value)})


def _address(op: str, value: Any, column: str) -> Q:
    addresses = Address.objects.filter(contact=OuterRef("pk"))
    if op == "is_empty":
        return ~_exists(addresses.exclude(**{column: ""}))
    if op == "is_not_empty":
        return _exists(addresses.exclude(**{column: ""}))
    if op == "is_not":
        lookup = "iexact" if column == "city" else "exact"
        return ~_exists(addresses.filter(**{f"{column}__{lookup}": value}))
    condition = _text(column, op, value) if column == "city" else _choice(column, op, value)
    return _exists(addresses.filter(condition))


def _language(op: str, value: Any, clock: _Clock) -> Q:
    """The contact's language, or the organisation's for contacts who have none (as messages choose it)."""
    if op == "is_empty":
        return Q(language="")
    wanted = [value] if op in ("is", "is_not") else list(value)
    condition = Q(language__in=wanted)
    if clock.language in wanted:
        condition |= Q(language="")
    return ~condition if op == "is_not" else condition


def _birthday(op: str, value: Any, clock: _Clock) -> Q:
    if op == "is_empty":
        return Q(birthday__isnull=True)
    if op in ("this_month", "in_month"):
        month = clock.today.month if op == "this_month" else value
        return Q(birthday_md__in=[f"{month:02d}-{day:02d}" for day in range(1, 32)])
    days = {(clock.today + dt.timedelta(days=n)).strftime("%m-%d") for n in range(value + 1)}
    if "02-28" in days:
        # Born on 29 February: in a common year their birthday is kept on the 28th.
        days.add("02-29")
    return Q(birthday_md__in=sorted(days))


def _purchase_lines(kind: str, value: int) -> QuerySet:
    lines = OrderLine.objects.filter(order__contact=OuterRef("pk"), order__status__in=PURCHASE_STATUSES)
    if kind == "product":
        return lines.filter(product_id=value)
    products = Product.objects.filter(category_id__in=_tree(ProductCategory, value)).values("pk")
    return lines.filter(product_id__in=products)


def _purchased(kind: str, op: str, value: int, days: int | None, clock: _Clock) -> Q:
    lines = _purchase_lines(kind, value)
    if op == "bought":
        return _exists(lines)
    if op == "never_bought":
        return ~_exists(lines)
    recent = _exists(lines.filter(order__ordered_at__gte=clock.days_ago(days or 0)))
    return recent if op == "bought_in_last_days" else ~recent


def _spenders(having: Q, aggregate: Any) -> QuerySet:
    """Return the ids of contacts whose purchases, grouped, satisfy `having` (one grouped subquery)."""
    return (
        Order.objects.filter(PURCHASES, contact__isnull=False)
        .values("contact").annotate(figure=aggregate).filter(having).values("contact")
    )


def _total_spend(op: str, amount: Decimal) -> Q:
    from kliyan.commerce.money import WIDE, rate_on_order_day

    # Each order at the rate of its own day, as lifetime spend counts it; an order in a
    # currency without a rate for that day adds nothing (the contact page shows it apart).
    spend = Sum(F("total") * rate_on_order_day(), output_field=WIDE)
    if op == "gte":
        return Q(pk__in=_spenders(Q(figure__gte=amount), spend)) if amount > 0 else Q(pk__isnull=False)
    # At most N: everyone but those who spent more (people who bought nothing spent 0).
    return ~Q(pk__in=_spenders(Q(figure__gt=amount), spend))


def _order_count(op: str, value: float) -> Q:
    at_least = math.ceil(value) if op == "gte" else math.floor(value) + 1
    if at_least <= 0:
        return Q(pk__isnull=False) if op == "gte" else Q(pk__in=[])
    buyers = _spenders(Q(figure__gte=at_least), Count("id"))
    return Q(pk__in=buyers) if op == "gte" else ~Q(pk__in=buyers)


def _last_purchase(op: str, value: Any, clock: _Clock) -> Q:
    purchases = Order.objects.filter(PURCHASES, contact=OuterRef("pk"))
    if op == "none":
        return ~_exists(purchases)
    if op == "within_days":
        return _exists(purchases.filter(ordered_at__gte=clock.days_ago(value)))
    if op == "after":
        return _exists(purchases.filter(ordered_at__gte=clock.start_of(value + dt.timedelta(days=1))))
    since = clock.start_of(value) if op == "before" else clock.days_ago(value)
    return _exists(purchases) & ~_exists(purchases.filter(ordered_at__gte=since))


def _ticket(op: str, value: Any, clock: _Clock) -> Q:
    tickets = Ticket.objects.filter(contact=OuterRef("pk"))
    if op == "has_open":
        return _exists(tickets.filter(status__in=UNRESOLVED))
    if op == "had_in_last_days":
        return _exists(tickets.filter(created_at__gte=clock.days_ago(value)))
    if op == "in_category":
        return _exists(tickets.filter(category_id__in=_tree(TicketCategory, value)))
    return ~_exists(tickets)


def _linked(through: Any, column: str, op: str, value: int) -> Q:
    link = _exists(through.objects.filter(contact_id=OuterRef("pk"), **{column: value}))
    return link if op == "has" else ~link


def _consent(op: str, channel: str) -> Q:
    consents = Consent.objects.filter(contact=OuterRef("pk"), channel=channel)
    if op == "never":
        return ~_exists(consents)
    return _exists(consents.filter(status=op))


def _custom(key: str, op: str, value: Any, clock: _Clock) -> Q:
    lookup = f"custom_fields__{key}"
    if op == "is_empty":
        return Q(**{f"{lookup}__isnull": True})
    if op in ("is_true", "is_false"):
        return Q(**{lookup: op == "is_true"})
    if op in ("eq", "gte", "lte", "gt", "lt"):
        return Q(**{lookup if op == "eq" else f"{lookup}__{op}": value})
    if op in ("before", "after", "on"):
        day = value.isoformat()
        if op == "on":
            return Q(**{lookup: day})
        return Q(**{f"{lookup}__{'lt' if op == 'before' else 'gt'}": day})
    if op == "in":
        return Q(**{f"{lookup}__in": value})
    # Text and choice values: compared without regard to case; "is not" leaves out who has none.
    return _text(lookup, op, value) & Q(**{f"{lookup}__isnull": False})


def _leaf(node: dict, clock: _Clock) -> Q:  # noqa: C901 - one line per field
    name, op = node["field"], node["op"]
    kind = FIELDS[name].ops[op] if name in FIELDS else CUSTOM_ANY_OPS[op]
    value = check_value(kind, node.get("value"), name=name, op=op, errors=FieldErrors(), path="")
    if name.startswith(CUSTOM_PREFIX):
        return _custom(name[len(CUSTOM_PREFIX):], op, value, clock)
    if name in ("first_name", "last_name"):
        return _text(name, op, value)
    if name in ("city", "country"):
        return _address(op, value, name)
    if name == "language":
        return _language(op, value, clock)
    if name == "source":
        return _choice("source", op, value)
    if name in ("company", "owner"):
        if op in ("is_empty", "is_not_empty"):
            return Q(**{f"{name}__isnull": op == "is_empty"})
        return Q(**{f"{name}_id": value}) if op == "is" else ~Q(**{f"{name}_id": value})
    if name == "created_at":
        return _dates("created_at", op, value, clock)
    if name == "status":
        return Q(archived_at__isnull=value == "active")
    if name == "birthday":
        return _birthday(op, value, clock)
    if name == "tag":
        return _linked(Contact.tags.through, "tag_id", op, value)
    if name == "interest":
        return _linked(Contact.interests.through, "interest_id", op, value)
    if name == "consent":
        return _consent(op, value)
    if name in ("purchased_category", "purchased_product"):
        return _purchased(kind, op, value, node.get("days"), clock)
    if name == "total_spend":
        return _total_spend(op, value)
    if name == "order_count":
        return _order_count(op, value)
    if name == "last_purchase":
        return _last_purchase(op, value, clock)
    return _ticket(op, value, clock)


def _compile(node: dict, clock: _Clock) -> Q:
    if "field" in node:
        return _leaf(node, clock)
    if "all" in node:
        condition = Q(pk__isnull=False)  # all of nothing: everyone
        for child in node["all"]:
            condition &= _compile(child, clock)
        return condition
    parts = [_compile(child, clock) for child in node["any"]]
    if not parts:
        return Q(pk__in=[])  # any of nothing: no one
    if len(parts) > 1 and connection.vendor == "postgresql" and any(map(_reads_other_tables, node["any"])):
        # PostgreSQL plans a subquery under OR as a hashed subplan only while its result fits in
        # work_mem; past that (the big spenders of a million contacts) it falls back to reading
        # the whole result again for every contact. A UNION of one id set per branch keeps each
        # branch a plain semi- or anti-join, and the union is joined once.
        branches = [Contact.objects.filter(part).order_by().values("pk") for part in parts]
        return Q(pk__in=branches[0].union(*branches[1:]))
    condition = parts[0]
    for part in parts[1:]:
        condition |= part
    return condition


# Fields read from the contact's own row; every other field is a subquery of another table.
ROW_FIELDS = frozenset({"first_name", "last_name", "language", "company", "owner", "created_at", "source", "status", "birthday"})


def _reads_other_tables(node: dict) -> bool:
    if "field" in node:
        return node["field"] not in ROW_FIELDS and not node["field"].startswith(CUSTOM_PREFIX)
    return any(map(_reads_other_tables, node.get("all", node.get("any", []))))


def contacts_in(rule: Any, *, now: dt.datetime | None = None) -> QuerySet[Contact]:
    """Return the contacts the rule selects, as one query (ValidationFailed if the rule is malformed).

    Contacts merged into another are never in a segment; archived contacts are left out
    unless the rule asks about the contact's status. The rule's shape is checked here (no
    query); `validate_rule` also checks that the records it names exist.
    """
    checker = checked(rule)
    queryset = Contact.objects.filter(merged_into__isnull=True)
    if not checker.mentions_status:
        queryset = queryset.filter(archived_at__isnull=True)
    return queryset.filter(_compile(rule, _Clock(now)))


def count(rule: Any, *, now: dt.datetime | None = None) -> int:
    """Return how many contacts the rule selects (one SELECT COUNT)."""
    return contacts_in(rule, now=now).order_by().count()


# --- The builder's catalogue ----------------------------------------------------------------


def catalogue() -> dict[str, Any]:
    """Return the fields (with custom fields) and the records a value may name, for the rule builder.

    Products and companies can be many: they are looked up by id, not listed.
    """
    from kliyan.commerce.listings import category_choices
    from kliyan.service.queries import category_choices as ticket_category_choices

    fields = [field_entry(f) for f in FIELDS.values()]
    for definition in CustomFieldDefinition.objects.active().filter(target=CustomFieldTarget.CONTACT):
        entry: dict[str, Any] = {
            "key": f"{CUSTOM_PREFIX}{definition.key}", "label": definition.label, "group": _("Custom fields"),
            "ops": [op_entry(key, kind) for key, kind in CUSTOM_OPS[definition.field_type].items()],
        }
        if definition.field_type == "choice":
            entry["choices"] = [{"value": str(c), "label": str(c)} for c in definition.choices or []]
        fields.append(entry)
    User = get_user_model()
    options = {
        "tag": [{"id": pk, "label": name} for pk, name in Tag.objects.values_list("pk", "name")],
        "interest": [{"id": pk, "label": name} for pk, name in Interest.objects.values_list("pk", "name")],
        "category": [{"id": pk, "label": label} for pk, label in category_choices()],
        "ticket_category": [{"id": pk, "label": label} for pk, label in ticket_category_choices()],
        "user": [
            {"id": pk, "label": username} for pk, username in
            User.objects.filter(is_active=True).order_by("username").values_list("pk", "username")
        ],
    }
    return {"fields": fields, "options": options, "max_depth": MAX_DEPTH}
