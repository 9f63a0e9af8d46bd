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

Total spend, number of orders, first and last purchase are read from each customer's purchase
summary (kliyan.analytics.models.CustomerSummary), not by grouping every order at each count:
on 5,000,000 orders that grouping alone took seconds. The summary is counted again for the
customers whose orders changed by the analytics refresh (every 5 minutes: core.schedule) and for
everyone by the nightly rebuild, so these figures follow the orders within that interval (and
an exchange rate entered later for past days within a night).

"Bought a category or product (in the last N days)" stays exact: it reads the counted purchases
(CustomerProduct, when each customer last bought each product, recounted with the same marks)
for customers whose orders have not changed since, and the orders themselves for the customers
still marked pending (see _purchased).
"""

from __future__ import annotations

import datetime as dt
import math
from functools import cached_property
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext as _

from kliyan.analytics.models import CustomerProduct, CustomerSummary, PendingCustomer
from kliyan.commerce.choices import PURCHASE_STATUSES
from kliyan.commerce.models import OrderLine, Product, ProductCategory
from kliyan.contacts.choices import CustomFieldTarget
from kliyan.contacts.models import Address, Consent, Contact, CustomFieldDefinition, Interest, Tag
from kliyan.core.errors import FieldErrors
from kliyan.interactions.models import Interaction
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


def _products(kind: str, value: int) -> Q:
    """The product, or every product of the category and its subcategories (on a `product_id` column)."""
    if kind == "product":
        return Q(product_id=value)
    return Q(product_id__in=Product.objects.filter(category_id__in=_tree(ProductCategory, value)).values("pk"))


def _purchased(kind: str, op: str, value: int, days: int | None, clock: _Clock) -> Q:
    """Whether the contact bought the product or from the category (ever, or in the last N days): exact.

    Read from the counted purchases (analytics CustomerProduct: per customer and product, when
    they last bought it), an index walk of the products asked about, rather than from every
    order line of the period (seconds on 5,000,000 orders). A customer whose orders changed
    since their purchases were counted is still marked pending: theirs are read from their
    orders, so a new or a cancelled order counts at once.
    """
    products = _products(kind, value)
    since = clock.days_ago(days or 0) if op in ("bought_in_last_days", "not_bought_in_last_days") else None
    counted = CustomerProduct.objects.filter(
        products, ~Exists(PendingCustomer.objects.filter(contact_id=OuterRef("contact_id"))))
    lines = OrderLine.objects.filter(
        products, Exists(PendingCustomer.objects.filter(contact_id=OuterRef("order__contact_id"))),
        order__status__in=PURCHASE_STATUSES)
    if since is not None:
        counted = counted.filter(last_bought_at__gte=since)
        lines = lines.filter(order__ordered_at__gte=since)
    if op in ("bought", "bought_in_last_days"):
        # One id set (a semi-join), not two subqueries joined by OR (subplans on PostgreSQL). UNION
        # rather than UNION ALL: PostgreSQL then sizes the set and hashes it, where it otherwise
        # guessed 200 buyers and looked each of 400,000 up in the contacts. The pending customers
        # (a few, between two recounts) drive their part, each one's orders looked up by customer:
        # read from the order lines, SQLite walked every line of the category's products (millions).
        pending_buyers = PendingCustomer.objects.filter(
            Exists(lines.filter(order__contact_id=OuterRef("contact_id")))).order_by().values("contact_id")
        buyers = counted.order_by().values("contact_id").union(pending_buyers)
        return Q(pk__in=buyers)
    return ~_exists(counted.filter(contact=OuterRef("pk"))) & ~_exists(lines.filter(order__contact=OuterRef("pk")))


# Conditions answered by the customer's purchase summary (one row per customer who bought).
SUMMARY_FIELDS = frozenset({"total_spend", "order_count", "first_purchase", "last_purchase"})
FLOOR_FIELDS = frozenset({"total_spend", "order_count"})
EVERYONE, NO_ONE = Q(pk__isnull=False), Q(pk__in=[])


def _summary_test(name: str, op: str, value: Any, clock: _Clock) -> tuple[bool, Q] | Q:
    """Return (wanted, row): the contact is in when having a summary row that matches `row` is `wanted`.

    Or, for a condition that holds for everyone or no one (at least 0 spent), that condition.
    People who bought nothing have no row: they spent 0 in 0 orders, with no first or last purchase.
    """
    if name == "total_spend":
        # The spend counts each order at the rate of its own day, as lifetime spend does; an order
        # in a currency without a rate for that day adds nothing (the contact page shows it apart).
        if op == "gte":
            return (True, Q(spend__gte=value)) if value > 0 else EVERYONE
        return False, Q(spend__gt=value)  # at most N: everyone but those who spent more
    if name == "order_count":
        at_least = math.ceil(value) if op == "gte" else math.floor(value) + 1
        if at_least <= 0:
            return EVERYONE if op == "gte" else NO_ONE
        return op == "gte", Q(order_count__gte=at_least)
    column = "first_purchase_at" if name == "first_purchase" else "last_purchase_at"
    if op == "none":
        return False, Q()
    if op == "within_days":
        return True, Q(**{f"{column}__gte": clock.days_ago(value)})
    if op == "after":
        return True, Q(**{f"{column}__gte": clock.start_of(value + dt.timedelta(days=1))})
    since = clock.start_of(value) if op == "before" else clock.days_ago(value)
    return True, Q(**{f"{column}__lt": since})


def _summary_rows(*rows: Q) -> QuerySet:
    return CustomerSummary.objects.filter(*rows, contact=OuterRef("pk"))


def _summary(name: str, op: str, value: Any, clock: _Clock) -> Q:
    test = _summary_test(name, op, value, clock)
    if isinstance(test, Q):
        return test
    wanted, row = test
    # NOT EXISTS rather than NOT IN: PostgreSQL plans it as an anti-join at any size.
    return _exists(_summary_rows(row)) if wanted else ~_exists(_summary_rows(row))


def _summary_row(node: dict, clock: _Clock) -> Q | None:
    """Return the summary row a condition asks the contact to have, or None if it asks something else."""
    if node.get("field") not in SUMMARY_FIELDS:
        return None
    test = _summary_test(node["field"], node["op"], _value(node), clock)
    return test[1] if isinstance(test, tuple) and test[0] else None


def _ticket(op: str, value: Any, clock: _Clock) -> Q:
    tickets = Ticket.objects.filter(contact=OuterRef("pk"))
    if op == "has_open":
        return _exists(tickets.filter(status__in=UNRESOLVED))
    if op == "had_in_last_days":
        return _exists(tickets.filter(created_at__gte=clock.days_ago(value)))
    if op == "in_category":
        return _exists(tickets.filter(category_id__in=_tree(TicketCategory, value)))
    return ~_exists(tickets)


def _interest_shown(interest: int, days: int, clock: _Clock) -> Q:
    """Whether the contact showed the interest in an interaction (a call, a message) in the last N days.

    "Has the interest" reads the contact's interests, which every interaction showing one adds to;
    this asks when it was shown, so an offer can follow a recent question.
    """
    return _exists(Interaction.interests.through.objects.filter(
        interest_id=interest, interaction__contact_id=OuterRef("pk"),
        interaction__occurred_at__gte=clock.days_ago(days), interaction__archived_at__isnull=True))


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


def _value(node: dict) -> Any:
    """Return the condition's value, parsed (a date, an amount, …); the rule was checked already."""
    name, op = node["field"], node["op"]
    kind = FIELDS[name].ops[op] if name in FIELDS else CUSTOM_ANY_OPS[op]
    return check_value(kind, node.get("value"), name=name, op=op, errors=FieldErrors(), path="")


def _leaf(node: dict, clock: _Clock) -> Q:  # noqa: C901 - one line per field
    name, op = node["field"], node["op"]
    value = _value(node)
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
        if op == "shown_in_last_days":
            return _interest_shown(value, node["days"], clock)
        return _linked(Contact.interests.through, "interest_id", op, value)
    if name == "consent":
        return _consent(op, value)
    if name in ("purchased_category", "purchased_product"):
        return _purchased(FIELDS[name].ops[op], op, value, node.get("days"), clock)
    if name in SUMMARY_FIELDS:
        return _summary(name, op, value, clock)
    return _ticket(op, value, clock)


def _compile(node: dict, clock: _Clock) -> Q:
    if "field" in node:
        return _leaf(node, clock)
    if "all" in node:
        rows, others = [], []
        for child in node["all"]:
            row = _summary_row(child, clock)
            if row is not None:
                rows.append(row)
            else:
                others.append(_compile(child, clock))
        if not rows:
            return _all(others)
        # A customer has one summary row: "spent 50,000" and "3 orders or more" ask it together.
        summary = _exists(_summary_rows(*rows))
        # SQLite tests the conditions in the order written. A floor on spend or on the number of
        # orders picks the best customers, usually few: asked first, it rules out most contacts
        # before their consents or tags are read (SQLite, the big spenders: 1.9 s → 1.1 s). Dates
        # ("no purchase for 180 days") pick many, so they are asked last.
        if any(child.get("field") in FLOOR_FIELDS and child.get("op") == "gte" for child in node["all"]):
            return _all([summary, *others])
        return _all([*others, summary])
    children = node["any"]
    if not children:
        return NO_ONE  # any of nothing: no one
    if len(children) > 1 and connection.vendor == "postgresql" and any(map(_reads_other_tables, children)):
        # PostgreSQL plans a subquery under OR as a hashed subplan only while its result fits in
        # work_mem; past that (the big spenders of a million contacts) it falls back to reading
        # the whole result again for every contact. A UNION of one id set per branch keeps each
        # branch a plain semi- or anti-join, and the union is joined once. A branch the summary
        # answers reads the ids from the summary alone.
        branches = [_branch(child, clock) for child in children]
        return Q(pk__in=branches[0].union(*branches[1:]))
    parts = [_compile(child, clock) for child in children]
    condition = parts[0]
    for part in parts[1:]:
        condition |= part
    return condition


def _all(conditions: list[Q]) -> Q:
    condition = EVERYONE  # all of nothing: everyone
    for part in conditions:
        condition &= part
    return condition


def _branch(node: dict, clock: _Clock) -> QuerySet:
    """Return the ids of the contacts a part of an `any` group selects (before the outer filters)."""
    row = _summary_row(node, clock)
    if row is not None:
        return CustomerSummary.objects.filter(row).order_by().values("contact_id")
    return Contact.objects.filter(_compile(node, clock)).order_by().values("pk")


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
