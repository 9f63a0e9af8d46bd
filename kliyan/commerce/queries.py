"""Reads about one customer: purchases, lifetime spend, balance, credit, recent orders, timeline orders.

Lists for the pages and the API (products, orders, invoices, …) are in listings.py.

A "customer" is a contact or a company (`Customer`). Every summary is a handful of
queries on the indexes of models.py (orders by contact/company and date, invoices by
contact/company and status, payments by contact/company and date), so the call screen
pop answers in milliseconds even with millions of orders. A contact's figures are read
in one statement (core.prepared.run_prepared_parts), the screen pop's orders with them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import (
    Case,
    Count,
    DecimalField,
    Exists,
    F,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Greatest

from kliyan.commerce.choices import PURCHASE_STATUSES, InvoiceStatus
from kliyan.commerce.models import (
    MONEY,
    CreditTerms,
    Invoice,
    Order,
    OrderLine,
    Payment,
)
from kliyan.commerce.money import (
    WIDE,
    ZERO,
    convert_sum,
    organisation_currency,
    organisation_timezone,
    organisation_today,
    quantize,
    rate_on_order_day,
    rates_on,
)
from kliyan.core.prepared import PreparedRead, run_prepared, run_prepared_parts

AMOUNT = DecimalField(**MONEY)


@dataclass(frozen=True)
class Customer:
    """Whose commerce data to read: one contact or one company."""

    contact_id: int | None = None
    company_id: int | None = None

    @classmethod
    def of_contact(cls, contact_id: int) -> Customer:
        return cls(contact_id=contact_id)

    @classmethod
    def of_company(cls, company_id: int) -> Customer:
        return cls(company_id=company_id)

    @property
    def kind(self) -> str:
        return "contact" if self.contact_id is not None else "company"

    def lookup(self) -> dict[str, int]:
        if self.contact_id is not None:
            return {"contact_id": self.contact_id}
        if self.company_id is not None:
            return {"company_id": self.company_id}
        raise ValueError("A customer needs a contact or a company.")


# --- Lifetime spend -------------------------------------------------------------------


@dataclass
class Lifetime:
    """What a customer has bought: orders in PURCHASE_STATUSES, in the organisation's currency."""

    currency: str
    spend: Decimal = ZERO
    order_count: int = 0
    first_purchase_at: dt.datetime | None = None
    last_purchase_at: dt.datetime | None = None
    # {currency: total} of purchases with no exchange rate on their day: not in `spend`.
    unconverted: dict[str, Decimal] = field(default_factory=dict)


def _lifetime_rows(*, customer_field: str, customer_id: int) -> QuerySet:
    return (
        Order.objects.filter(**{customer_field: customer_id}, status__in=PURCHASE_STATUSES)
        .annotate(rate=rate_on_order_day())
        .values("currency")
        .annotate(
            count=Count("id"),
            converted=Sum(F("total") * F("rate"), output_field=WIDE),
            unconverted=Sum(Case(When(rate__isnull=True, then=F("total")), default=Value(ZERO), output_field=AMOUNT)),
            first=Min("ordered_at"),
            last=Max("ordered_at"),
        )
        .values_list("currency", "count", "converted", "unconverted", "first", "last")
        .order_by()
    )


def lifetime_value(customer: Customer) -> Lifetime:
    """Return the customer's purchase count, lifetime spend and first/last purchase, in one query.

    Each order is converted at the rate valid on its own day (the SQL looks the rate up per
    row); orders in the organisation's currency need no rate.
    """
    home = organisation_currency()
    (customer_field, customer_id), = customer.lookup().items()
    rows = run_prepared(
        ("lifetime", customer_field, home, str(organisation_timezone())),
        lambda customer_id: _lifetime_rows(customer_field=customer_field, customer_id=customer_id),
        customer_id=customer_id,
    )
    return _lifetime_from(rows, home)


def _lifetime_from(rows: list[tuple[Any, ...]], home: str) -> Lifetime:
    """Fold the per-currency rows of _lifetime_rows into one Lifetime in the organisation's currency `home`."""
    result = Lifetime(currency=home)
    spend = ZERO
    for currency, count, converted, unconverted, first, last in rows:
        result.order_count += count
        spend += converted or ZERO
        if unconverted:
            result.unconverted[currency] = quantize(result.unconverted.get(currency, ZERO) + unconverted)
        result.first_purchase_at = _earliest(result.first_purchase_at, first)
        result.last_purchase_at = _latest(result.last_purchase_at, last)
    result.spend = quantize(spend)
    return result


def _earliest(a: dt.datetime | None, b: dt.datetime | None) -> dt.datetime | None:
    return b if a is None else a if b is None else min(a, b)


def _latest(a: dt.datetime | None, b: dt.datetime | None) -> dt.datetime | None:
    return b if a is None else a if b is None else max(a, b)


# --- Recent orders --------------------------------------------------------------------


def lines_prefetch() -> Prefetch:
    return Prefetch("lines", queryset=OrderLine.objects.order_by("position", "id"))


def recent_orders(customer: Customer, *, limit: int = 5, with_customer: bool = False) -> list[Order]:
    """Return the customer's latest orders (any status), newest first, lines (and contact, company) loaded: two queries."""
    qs = Order.objects.filter(**customer.lookup())
    if with_customer:
        qs = qs.select_related("contact", "company")
    return list(qs.order_by("-ordered_at", "-id").prefetch_related(lines_prefetch())[:limit])


@dataclass(frozen=True)
class OrderLineRow:
    sku: str
    label: str
    quantity: Decimal


@dataclass(frozen=True)
class OrderRow:
    """An order as the screen pop shows it: a few columns, read without building model instances."""

    id: int
    number: str
    ordered_at: dt.datetime
    sales_channel: str
    status: str
    currency: str
    total: Decimal
    lines: list[OrderLineRow]


def _order_row_parts(limit: int) -> dict[str, Callable[..., QuerySet]]:
    """Return the parts (core.prepared.run_prepared_parts) that read a contact's latest orders and their lines."""

    def latest(contact_id: int) -> QuerySet:
        return Order.objects.filter(contact_id=contact_id).order_by("-ordered_at", "-id")

    return {
        "orders": lambda contact_id: latest(contact_id)
        .values_list("id", "number", "ordered_at", "sales_channel", "status", "currency", "total")[:limit],
        "lines": lambda contact_id: OrderLine.objects.filter(order_id__in=latest(contact_id).values("id")[:limit])
        .order_by("order_id", "position", "id").values_list("order_id", "sku", "description", "quantity"),
    }


def _order_rows_from(orders: list[tuple[Any, ...]], lines: list[tuple[Any, ...]]) -> list[OrderRow]:
    by_order: dict[int, list[OrderLineRow]] = {row[0]: [] for row in orders}
    for order_id, sku, description, quantity in lines:
        by_order[order_id].append(OrderLineRow(sku=sku, label=description or sku, quantity=quantity))
    return [OrderRow(*row, lines=by_order[row[0]]) for row in orders]


def line_label(line: OrderLine) -> str:
    return line.description or line.sku


def items_summary(order: Order, *, shown: int = 3) -> str:
    """Return "2 × Coffee, 1 × Mug" for an order whose lines are loaded (a few lines, then "…")."""
    lines = list(order.lines.all())
    parts = [f"{_quantity(line.quantity)} × {line_label(line)}" for line in lines[:shown]]
    if len(lines) > shown:
        parts.append("…")
    return ", ".join(parts)


def _quantity(value: Decimal) -> str:
    """Show 2 rather than 2.000, and 1.5 rather than 1.500."""
    return f"{value.normalize():f}"


def purchased_product_ids(customer: Customer) -> set[int]:
    """Return the ids of the products the customer has bought (recommendations leave them out)."""
    return set(
        OrderLine.objects.filter(
            **{f"order__{k}": v for k, v in customer.lookup().items()},
            order__status__in=PURCHASE_STATUSES, product_id__isnull=False,
        ).values_list("product_id", flat=True).distinct()
    )


# --- Balance --------------------------------------------------------------------------


@dataclass
class BalanceParts:
    """A customer's open invoices and unapplied payments, per currency, as stored."""

    due: dict[str, Decimal] = field(default_factory=dict)        # open invoices' amount due
    overdue: dict[str, Decimal] = field(default_factory=dict)    # … of those past due_on
    unapplied: dict[str, Decimal] = field(default_factory=dict)  # payments on no invoice
    open_invoices: int = 0
    overdue_invoices: int = 0

    def currencies(self) -> set[str]:
        return set(self.due) | set(self.overdue) | set(self.unapplied)


def _open_invoice_rows(*, customer_field: str, customer_id: int, today: dt.date, only_if: Q | None = None) -> QuerySet:
    remaining = Greatest(F("total") - F("amount_paid"), Value(ZERO), output_field=AMOUNT)
    return (
        Invoice.objects.filter(only_if or Q(), **{customer_field: customer_id}, status=InvoiceStatus.OPEN)
        .values("currency")
        .annotate(
            due=Sum(remaining),
            overdue=Sum(Case(When(due_on__lt=today, then=remaining), default=Value(ZERO), output_field=AMOUNT)),
            count=Count("id"),
            late=Sum(Case(When(due_on__lt=today, then=Value(1)), default=Value(0), output_field=IntegerField())),
        )
        .values_list("currency", "due", "overdue", "count", "late")
        .order_by()
    )


def _unapplied_payment_rows(*, customer_field: str, customer_id: int, only_if: Q | None = None) -> QuerySet:
    return (
        Payment.objects.filter(only_if or Q(), **{customer_field: customer_id}, invoice__isnull=True)
        .values("currency").annotate(amount=Sum("amount")).values_list("currency", "amount").order_by()
    )


def balance_parts(customer: Customer, *, today: dt.date | None = None) -> BalanceParts:
    """Read the customer's open invoices and unapplied payments, summed per currency: two queries."""
    today = today or organisation_today()
    (customer_field, customer_id), = customer.lookup().items()
    invoices = run_prepared(
        ("open_invoices", customer_field),
        lambda customer_id, today: _open_invoice_rows(customer_field=customer_field, customer_id=customer_id, today=today),
        customer_id=customer_id, today=today,
    )
    payments = run_prepared(
        ("unapplied_payments", customer_field),
        lambda customer_id: _unapplied_payment_rows(customer_field=customer_field, customer_id=customer_id),
        customer_id=customer_id,
    )
    return _balance_parts_from(invoices, payments)


def _balance_parts_from(invoices: list[tuple[Any, ...]], payments: list[tuple[Any, ...]]) -> BalanceParts:
    """Return the BalanceParts of the rows of _open_invoice_rows and _unapplied_payment_rows."""
    parts = BalanceParts()
    for currency, due, overdue, count, late in invoices:
        parts.due[currency] = due or ZERO
        parts.overdue[currency] = overdue or ZERO
        parts.open_invoices += count
        parts.overdue_invoices += late or 0
    for currency, amount in payments:
        parts.unapplied[currency] = amount or ZERO
    return parts


@dataclass
class Balance:
    """What a customer owes: due (open invoices minus unapplied payments) and overdue."""

    currency: str
    due: Decimal = ZERO
    overdue: Decimal = ZERO
    open_invoices: int = 0
    overdue_invoices: int = 0
    # {currency: net amount} that could not be converted into `currency` (no rate).
    unconverted: dict[str, Decimal] = field(default_factory=dict)


def express_balance(
    parts: BalanceParts, *, currency: str | None = None, today: dt.date | None = None,
    rates: dict[str, Decimal] | None = None,
) -> Balance:
    """Return the balance in `currency` (by default: the customer's one currency, else the organisation's).

    Several currencies are converted at today's rates (`rates`, or read when needed).
    Unapplied payments are taken to settle the oldest (overdue) invoices first, so
    overdue never exceeds due.
    """
    currencies = parts.currencies()
    if currency is None:
        currency = next(iter(currencies)) if len(currencies) == 1 else organisation_currency()
    if rates is None:
        needs_rates = bool(currencies - {currency})
        rates = rates_on(currencies | {currency}, today or organisation_today()) if needs_rates else {}
    net = {c: parts.due.get(c, ZERO) - parts.unapplied.get(c, ZERO) for c in currencies}
    due = convert_sum(net, to=currency, rates=rates)
    overdue = convert_sum(parts.overdue, to=currency, rates=rates)
    due_amount = max(due.amount, ZERO)
    return Balance(
        currency=currency, due=due_amount, overdue=min(overdue.amount, due_amount),
        open_invoices=parts.open_invoices, overdue_invoices=parts.overdue_invoices,
        unconverted={c: quantize(a) for c, a in (due.unconverted | overdue.unconverted).items()},
    )


def open_balance(customer: Customer, *, currency: str | None = None, today: dt.date | None = None) -> Balance:
    """Return what the customer owes now (see express_balance): two or three queries."""
    return express_balance(balance_parts(customer, today=today), currency=currency, today=today)


# --- Credit ---------------------------------------------------------------------------


@dataclass
class Credit:
    """A customer's credit terms and what is left of the limit."""

    holder: str  # "contact" or "company": whose terms these are
    holder_id: int
    currency: str
    limit: Decimal
    payment_terms_days: int
    on_hold: bool
    note: str
    open_balance: Decimal | None  # in `currency`; None when it cannot be converted
    available: Decimal | None  # limit − open balance, floor 0; None when unknown
    unconverted: dict[str, Decimal] = field(default_factory=dict)
    updated_at: dt.datetime | None = None


def credit_from(
    terms: CreditTerms, parts: BalanceParts, *, today: dt.date | None = None, rates: dict[str, Decimal] | None = None,
) -> Credit:
    """Return `terms` with the open balance (in the terms' currency) and the credit still available."""
    balance = express_balance(parts, currency=terms.currency, today=today, rates=rates)
    known = not balance.unconverted
    holder = Customer(contact_id=terms.contact_id, company_id=terms.company_id if terms.contact_id is None else None)
    return Credit(
        holder=holder.kind, holder_id=terms.contact_id or terms.company_id, currency=terms.currency,
        limit=terms.credit_limit, payment_terms_days=terms.payment_terms_days, on_hold=terms.on_hold, note=terms.note,
        open_balance=balance.due if known else None,
        available=max(terms.credit_limit - balance.due, ZERO) if known else None,
        unconverted=balance.unconverted, updated_at=terms.updated_at,
    )


def credit_terms_of(customer: Customer) -> CreditTerms | None:
    return CreditTerms.objects.filter(**customer.lookup()).first()


def credit_position(customer: Customer, *, today: dt.date | None = None) -> Credit | None:
    """Return the customer's own credit terms with the available credit, or None without terms."""
    terms = credit_terms_of(customer)
    if terms is None:
        return None
    return credit_from(terms, balance_parts(customer, today=today), today=today)


TERMS_COLUMNS = tuple(f.attname for f in CreditTerms._meta.concrete_fields)


def _contact_terms_rows(contact_id: int, company_id: int | None = None) -> QuerySet:
    condition = Q(contact_id=contact_id)
    if company_id is not None:
        condition |= Q(company_id=company_id)
    return CreditTerms.objects.filter(condition).order_by().values_list(*TERMS_COLUMNS)[:2]


def _terms_from(rows: list[tuple[Any, ...]], contact_id: int) -> CreditTerms | None:
    """Return the contact's own terms among `rows` (of _contact_terms_rows), else their company's."""
    found = [CreditTerms(**dict(zip(TERMS_COLUMNS, row, strict=True))) for row in rows]
    return next((t for t in found if t.contact_id == contact_id), found[0] if found else None)


def contact_credit_terms(contact_id: int, company_id: int | None) -> CreditTerms | None:
    """Return the contact's own terms, else their company's: one query.

    A person buying for their company uses the company's credit account.
    """
    ids = {"contact_id": contact_id, **({"company_id": company_id} if company_id else {})}
    return _terms_from(run_prepared(("credit_terms", bool(company_id)), _contact_terms_rows, **ids), contact_id)


# --- The whole summary ----------------------------------------------------------------


@dataclass
class CommerceSummary:
    customer: Customer
    lifetime: Lifetime
    balance: Balance
    credit: Credit | None
    recent_orders: list[Order]
    order_rows: list[OrderRow] = field(default_factory=list)  # the screen pop's (contact_pop_summary)


def _company_holds_terms(contact_id: int, company_id: int) -> Q:
    """True when the contact has no credit terms and their company has: the company's balance is then read too.

    Neither EXISTS depends on a row, so the database tests them once, before reading any
    of the company's invoices or payments (PostgreSQL: a one-time filter).
    """
    return ~Exists(CreditTerms.objects.filter(contact_id=contact_id)) & Exists(CreditTerms.objects.filter(company_id=company_id))


def _contact_parts(*, with_company: bool, orders: int) -> dict[str, Callable[..., QuerySet]]:
    """Return the parts (core.prepared.run_prepared_parts) of a contact's summary, `orders` latest orders included."""
    parts: dict[str, Callable[..., QuerySet]] = {
        "invoices": lambda contact_id, today: _open_invoice_rows(customer_field="contact_id", customer_id=contact_id, today=today),
        "payments": lambda contact_id: _unapplied_payment_rows(customer_field="contact_id", customer_id=contact_id),
        "terms": _contact_terms_rows,
        "lifetime": lambda contact_id: _lifetime_rows(customer_field="contact_id", customer_id=contact_id),
    }
    if with_company:
        parts["holder_invoices"] = lambda contact_id, company_id, today: _open_invoice_rows(
            customer_field="company_id", customer_id=company_id, today=today,
            only_if=_company_holds_terms(contact_id, company_id),
        )
        parts["holder_payments"] = lambda contact_id, company_id: _unapplied_payment_rows(
            customer_field="company_id", customer_id=company_id, only_if=_company_holds_terms(contact_id, company_id),
        )
    if orders:
        parts.update(_order_row_parts(orders))
    return parts


def _contact_summary_read(contact: Any, *, today: dt.date, order_rows: int) -> PreparedRead:
    """Describe the read of a contact's balance, credit, lifetime and `order_rows` latest orders (one statement)."""
    values = {"contact_id": contact.pk, "today": today, **({"company_id": contact.company_id} if contact.company_id else {})}
    return PreparedRead(
        ("commerce.contact_summary", bool(contact.company_id), order_rows, organisation_currency(), str(organisation_timezone())),
        _contact_parts(with_company=bool(contact.company_id), orders=order_rows),
        values,
    )


def _contact_summary(contact: Any, *, today: dt.date, order_rows: int) -> CommerceSummary:
    """Read a contact's balance, credit, lifetime and `order_rows` latest orders in one statement (two with rates)."""
    return _summary_from(contact, _contact_summary_read(contact, today=today, order_rows=order_rows).run(), today=today)


def _summary_from(contact: Any, rows: dict[str, list[tuple[Any, ...]]], *, today: dt.date) -> CommerceSummary:
    """Build a contact's summary from the rows of _contact_summary_read (reading today's rates if several currencies)."""
    home = organisation_currency()
    parts = _balance_parts_from(rows["invoices"], rows["payments"])
    terms = _terms_from(rows["terms"], contact.pk)
    holder_parts = parts
    if terms is not None and terms.contact_id != contact.pk:
        holder_parts = _balance_parts_from(rows["holder_invoices"], rows["holder_payments"])
    rates = _rates_for(parts, holder_parts, terms, today)
    return CommerceSummary(
        customer=Customer.of_contact(contact.pk), lifetime=_lifetime_from(rows["lifetime"], home),
        balance=express_balance(parts, today=today, rates=rates),
        credit=credit_from(terms, holder_parts, today=today, rates=rates) if terms is not None else None,
        recent_orders=[],
        order_rows=_order_rows_from(rows["orders"], rows["lines"]) if "orders" in rows else [],
    )


def contact_commerce_summary(
    contact: Any, *, orders: int = 5, order_customers: bool = False, today: dt.date | None = None,
) -> CommerceSummary:
    """Return a contact's purchases, lifetime spend, balance and credit (their company's if they have none).

    `contact` needs `pk` and `company_id` only. One query for the figures (a second when
    several currencies need today's rates), two more for the `orders` latest orders.
    """
    summary = _contact_summary(contact, today=today or organisation_today(), order_rows=0)
    if orders:
        summary.recent_orders = recent_orders(summary.customer, limit=orders, with_customer=order_customers)
    return summary


def contact_pop_read(contact: Any, *, orders: int, today: dt.date | None = None) -> PreparedRead:
    """Describe the screen pop's read of a contact's figures and `orders` latest orders (see contact_pop_summary)."""
    return _contact_summary_read(contact, today=today or organisation_today(), order_rows=orders)


def contact_pop_summary(
    contact: Any, *, orders: int, today: dt.date | None = None, rows: dict[str, list[tuple[Any, ...]]] | None = None,
) -> CommerceSummary:
    """Return contact_commerce_summary() for the call screen pop, in one query (two when rates are needed).

    The `orders` latest orders come as light rows with their lines (`order_rows`), read in
    the same statement as the figures; `recent_orders` stays empty. `rows`: those of
    contact_pop_read, when the pop has read them already.
    """
    today = today or organisation_today()
    if rows is None:
        rows = contact_pop_read(contact, orders=orders, today=today).run()
    return _summary_from(contact, rows, today=today)


def _rates_for(parts: BalanceParts, holder_parts: BalanceParts, terms: CreditTerms | None, today: dt.date) -> dict[str, Decimal]:
    """Read today's rates once for every currency the balance and the credit involve (none if only one)."""
    currencies = parts.currencies() | holder_parts.currencies() | ({terms.currency} if terms is not None else set())
    return rates_on(currencies, today) if len(currencies) > 1 else {}


def company_commerce_summary(
    company_id: int, *, orders: int = 5, order_customers: bool = False, today: dt.date | None = None,
) -> CommerceSummary:
    """Return a company's purchases (orders billed to it), lifetime spend, balance and credit."""
    today = today or organisation_today()
    customer = Customer.of_company(company_id)
    parts = balance_parts(customer, today=today)
    terms = credit_terms_of(customer)
    rates = _rates_for(parts, parts, terms, today)
    return CommerceSummary(
        customer=customer, lifetime=lifetime_value(customer),
        balance=express_balance(parts, today=today, rates=rates),
        credit=credit_from(terms, parts, today=today, rates=rates) if terms is not None else None,
        recent_orders=recent_orders(customer, limit=orders, with_customer=order_customers) if orders else [],
    )


# --- Orders on the timeline -----------------------------------------------------------


@dataclass(frozen=True)
class TimelineOrder:
    id: int
    number: str
    ordered_at: dt.datetime
    sales_channel: str
    status: str
    currency: str
    total: Decimal
    first_label: str | None
    first_quantity: Decimal | None
    line_count: int | None


def _timeline_rows(*, contact_id: int, before: dt.datetime | None, limit: int) -> QuerySet:
    first_line = OrderLine.objects.filter(order_id=OuterRef("pk")).order_by("position", "id")
    qs = Order.objects.filter(contact_id=contact_id)
    if before is not None:
        qs = qs.filter(ordered_at__lt=before)
    return qs.annotate(
        first_label=Subquery(first_line.annotate(
            label=Coalesce(Case(When(description="", then=None), default=F("description")), F("sku")),
        ).values("label")[:1]),
        first_quantity=Subquery(first_line.values("quantity")[:1], output_field=OrderLine._meta.get_field("quantity")),
        line_count=Subquery(
            OrderLine.objects.filter(order_id=OuterRef("pk")).order_by().values("order_id")
            .annotate(n=Count("id")).values("n")[:1],
            output_field=IntegerField(),
        ),
    ).order_by("-ordered_at", "-id").values_list(
        "id", "number", "ordered_at", "sales_channel", "status", "currency", "total",
        "first_label", "first_quantity", "line_count",
    )[:limit]


def orders_for_timeline(contact_id: int, *, limit: int, before: dt.datetime | None) -> list[TimelineOrder]:
    """Return the contact's latest orders with a summary of their lines, in one query.

    The first line (quantity, label) and the number of lines come from subqueries, so a
    timeline page costs one query whatever the number of orders or lines; the SQL is
    compiled once (prepared.py).
    """
    values: dict[str, Any] = {"contact_id": contact_id}
    if before is not None:
        values["before"] = before
    rows = run_prepared(
        ("timeline_orders", before is not None, limit),
        lambda **v: _timeline_rows(contact_id=v["contact_id"], before=v.get("before"), limit=limit),
        **values,
    )
    return [TimelineOrder(*row) for row in rows]
