"""API shapes for reading commerce data and for setting credit terms and exchange rates.

Amounts are strings (a JSON number would lose decimals in most clients), always beside
their ISO 4217 currency. Output helpers build plain dicts, as in the contacts app, so
list pages skip a second validation pass; the schemas document them in OpenAPI.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Schema
from pydantic import Field

from kliyan.commerce.models import CreditTerms, ExchangeRate, Invoice, Order, Payment, Product
from kliyan.commerce.queries import Balance, CommerceSummary, Credit, Lifetime, items_summary
from kliyan.contacts.schemas import Input, PageOut

AMOUNT = Field(..., description="Decimal amount as a string, e.g. \"1250.5000\"", examples=["1250.5000"])


def money(value: Any) -> str | None:
    return None if value is None else str(value)


# --- Products and categories ----------------------------------------------------------


class CategoryNode(Schema):
    id: int
    name: str
    parent_id: int | None
    source: str
    external_id: str
    children: list[CategoryNode]


class CategoryTree(Schema):
    items: list[CategoryNode]


class StockOut(Schema):
    location: str
    quantity: str


class ProductOut(Schema):
    id: int
    sku: str
    name: str
    category_id: int | None
    category: str
    price: str = AMOUNT
    currency: str
    cost: str | None
    margin: str | None = Field(None, description="price − cost, when the cost is known")
    active: bool
    stock_on_hand: str
    source: str
    external_id: str
    created_at: dt.datetime
    updated_at: dt.datetime


class ProductDetailOut(ProductOut):
    stock: list[StockOut]


class ProductPage(PageOut):
    items: list[ProductOut]


def product_out(product: Product) -> dict[str, Any]:
    return {
        "id": product.pk, "sku": product.sku, "name": product.name, "category_id": product.category_id,
        "category": product.category.name if product.category_id else "", "price": str(product.price),
        "currency": product.currency, "cost": money(product.cost), "margin": money(product.margin),
        "active": product.active, "stock_on_hand": str(product.stock_on_hand), "source": product.source,
        "external_id": product.external_id, "created_at": product.created_at, "updated_at": product.updated_at,
    }


def product_detail_out(product: Product) -> dict[str, Any]:
    stock = [{"location": s.location, "quantity": str(s.quantity)} for s in product.stock_levels.all()]
    return {**product_out(product), "stock": stock}


# --- Orders ---------------------------------------------------------------------------


class CustomerRef(Schema):
    id: int
    name: str


class OrderLineOut(Schema):
    position: int
    product_id: int | None
    sku: str
    description: str
    quantity: str
    unit_price: str
    discount: str
    line_total: str


class OrderOut(Schema):
    id: int
    number: str
    contact: CustomerRef | None
    company: CustomerRef | None
    sales_channel: str
    ordered_at: dt.datetime
    status: str
    currency: str
    subtotal: str
    discount_total: str
    tax_total: str
    total: str = AMOUNT
    items: str = Field(..., description="A short summary of the lines, e.g. \"2 × Coffee, 1 × Mug\"")
    lines: list[OrderLineOut]
    note: str
    source: str
    external_id: str
    created_at: dt.datetime
    updated_at: dt.datetime


class OrderPage(PageOut):
    items: list[OrderOut]


def _ref(obj: Any, name: str) -> dict[str, Any] | None:
    return None if obj is None else {"id": obj.pk, "name": getattr(obj, name)}


def order_out(order: Order) -> dict[str, Any]:
    """Return an order as the API shows it; contact, company and lines must be loaded."""
    return {
        "id": order.pk, "number": order.number,
        "contact": _ref(order.contact, "display_name") if order.contact_id else None,
        "company": _ref(order.company, "name") if order.company_id else None,
        "sales_channel": order.sales_channel, "ordered_at": order.ordered_at, "status": order.status,
        "currency": order.currency, "subtotal": str(order.subtotal), "discount_total": str(order.discount_total),
        "tax_total": str(order.tax_total), "total": str(order.total), "items": items_summary(order),
        "lines": [
            {"position": line.position, "product_id": line.product_id, "sku": line.sku, "description": line.description,
             "quantity": str(line.quantity), "unit_price": str(line.unit_price), "discount": str(line.discount),
             "line_total": str(line.line_total)}
            for line in order.lines.all()
        ],
        "note": order.note, "source": order.source, "external_id": order.external_id,
        "created_at": order.created_at, "updated_at": order.updated_at,
    }


# --- Invoices and payments ------------------------------------------------------------


class InvoiceOut(Schema):
    id: int
    number: str
    contact_id: int | None
    company_id: int | None
    order_id: int | None
    order_number: str
    issued_on: dt.date
    due_on: dt.date
    currency: str
    total: str = AMOUNT
    amount_paid: str
    amount_due: str
    status: str
    source: str
    external_id: str
    created_at: dt.datetime
    updated_at: dt.datetime


class InvoicePage(PageOut):
    items: list[InvoiceOut]


def invoice_out(invoice: Invoice) -> dict[str, Any]:
    return {
        "id": invoice.pk, "number": invoice.number, "contact_id": invoice.contact_id, "company_id": invoice.company_id,
        "order_id": invoice.order_id, "order_number": invoice.order.number if invoice.order_id else "",
        "issued_on": invoice.issued_on, "due_on": invoice.due_on, "currency": invoice.currency,
        "total": str(invoice.total), "amount_paid": str(invoice.amount_paid), "amount_due": str(invoice.amount_due),
        "status": invoice.status, "source": invoice.source, "external_id": invoice.external_id,
        "created_at": invoice.created_at, "updated_at": invoice.updated_at,
    }


class PaymentOut(Schema):
    id: int
    contact_id: int | None
    company_id: int | None
    invoice_id: int | None
    invoice_number: str
    received_at: dt.datetime
    amount: str = AMOUNT
    currency: str
    method: str
    reference: str
    source: str
    external_id: str
    created_at: dt.datetime
    updated_at: dt.datetime


class PaymentPage(PageOut):
    items: list[PaymentOut]


def payment_out(payment: Payment) -> dict[str, Any]:
    return {
        "id": payment.pk, "contact_id": payment.contact_id, "company_id": payment.company_id,
        "invoice_id": payment.invoice_id, "invoice_number": payment.invoice.number if payment.invoice_id else "",
        "received_at": payment.received_at, "amount": str(payment.amount), "currency": payment.currency,
        "method": payment.method, "reference": payment.reference, "source": payment.source,
        "external_id": payment.external_id, "created_at": payment.created_at, "updated_at": payment.updated_at,
    }


# --- The customer summary -------------------------------------------------------------


class LifetimeOut(Schema):
    currency: str = Field(..., description="The organisation's currency")
    spend: str = AMOUNT
    order_count: int
    first_purchase_at: dt.datetime | None
    last_purchase_at: dt.datetime | None
    unconverted: dict[str, str] = Field(..., description="Per currency, purchases with no exchange rate on their day (not in spend)")


class BalanceOut(Schema):
    currency: str
    due: str = AMOUNT
    overdue: str
    open_invoices: int
    overdue_invoices: int
    unconverted: dict[str, str]


class CreditOut(Schema):
    holder: str = Field(..., description="contact or company: whose terms apply")
    holder_id: int
    currency: str
    credit_limit: str
    payment_terms_days: int
    on_hold: bool
    note: str
    open_balance: str | None = Field(None, description="In the terms' currency; null when it cannot be converted")
    available: str | None = Field(None, description="credit_limit − open_balance, at least 0; null when unknown")
    updated_at: dt.datetime | None


class CommerceSummaryOut(Schema):
    lifetime: LifetimeOut
    balance: BalanceOut
    credit: CreditOut | None
    recent_orders: list[OrderOut]


def lifetime_out(life: Lifetime) -> dict[str, Any]:
    return {
        "currency": life.currency, "spend": str(life.spend), "order_count": life.order_count,
        "first_purchase_at": life.first_purchase_at, "last_purchase_at": life.last_purchase_at,
        "unconverted": {c: str(a) for c, a in life.unconverted.items()},
    }


def balance_out(balance: Balance) -> dict[str, Any]:
    return {
        "currency": balance.currency, "due": str(balance.due), "overdue": str(balance.overdue),
        "open_invoices": balance.open_invoices, "overdue_invoices": balance.overdue_invoices,
        "unconverted": {c: str(a) for c, a in balance.unconverted.items()},
    }


def credit_out(credit: Credit | None) -> dict[str, Any] | None:
    if credit is None:
        return None
    return {
        "holder": credit.holder, "holder_id": credit.holder_id, "currency": credit.currency,
        "credit_limit": str(credit.limit), "payment_terms_days": credit.payment_terms_days, "on_hold": credit.on_hold,
        "note": credit.note, "open_balance": money(credit.open_balance), "available": money(credit.available),
        "updated_at": credit.updated_at,
    }


def summary_out(summary: CommerceSummary) -> dict[str, Any]:
    return {
        "lifetime": lifetime_out(summary.lifetime), "balance": balance_out(summary.balance),
        "credit": credit_out(summary.credit), "recent_orders": [order_out(o) for o in summary.recent_orders],
    }


# --- Credit terms and exchange rates --------------------------------------------------


class CreditTermsIn(Input):
    credit_limit: str | int = Field(..., description="Decimal as a string, e.g. \"25000.00\"; at least 0")
    currency: str = Field("", description="ISO 4217; the organisation's currency if left out")
    payment_terms_days: int = Field(0, description="Days to pay an invoice")
    on_hold: bool = False
    note: str = ""


class CreditTermsOut(Schema):
    customer: str = Field(..., description="contact or company")
    customer_id: int
    currency: str
    credit_limit: str
    payment_terms_days: int
    on_hold: bool
    note: str
    open_balance: str | None
    available: str | None
    updated_at: dt.datetime | None


def credit_terms_out(terms: CreditTerms, credit: Credit) -> dict[str, Any]:
    return {
        "customer": "contact" if terms.contact_id else "company", "customer_id": terms.contact_id or terms.company_id,
        "currency": terms.currency, "credit_limit": str(terms.credit_limit),
        "payment_terms_days": terms.payment_terms_days, "on_hold": terms.on_hold, "note": terms.note,
        "open_balance": money(credit.open_balance), "available": money(credit.available), "updated_at": terms.updated_at,
    }


class ExchangeRateIn(Input):
    rate: str | int = Field(..., description="What one unit of the currency is worth in the organisation's currency, as a string")


class ExchangeRateOut(Schema):
    currency: str
    valid_from: dt.date
    rate: str
    updated_at: dt.datetime


class ExchangeRatePage(PageOut):
    items: list[ExchangeRateOut]


def exchange_rate_out(rate: ExchangeRate) -> dict[str, Any]:
    return {"currency": rate.currency, "valid_from": rate.valid_from, "rate": str(rate.rate), "updated_at": rate.updated_at}
