"""Reads for the list and detail pages and the API: products, categories, orders, invoices, payments, rates.

One filter definition (the *Filters dataclasses) serves the page and the API; every
list is keyset-paged, so page 40,000 costs what page 1 costs.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch, Q, QuerySet

from kliyan.commerce.models import (
    ExchangeRate,
    Invoice,
    Order,
    OrderLine,
    Payment,
    Product,
    ProductCategory,
    StockLevel,
)
from kliyan.commerce.queries import lines_prefetch
from kliyan.core.pagination import Page, keyset_page


def category_tree() -> list[dict[str, Any]]:
    """Return every category as nested {id, name, parent_id, children} nodes, roots first by name."""
    nodes = {
        c["id"]: {**c, "children": []}
        for c in ProductCategory.objects.order_by("name", "id").values("id", "name", "parent_id", "source", "external_id")
    }
    roots = []
    for node in nodes.values():
        parent = nodes.get(node["parent_id"])
        (parent["children"] if parent is not None else roots).append(node)
    return roots


def category_with_descendants(category_id: int) -> list[int]:
    """Return the id of a category and of every category under it (the table is small: one query)."""
    children: dict[int | None, list[int]] = defaultdict(list)
    for pk, parent in ProductCategory.objects.values_list("id", "parent_id"):
        children[parent].append(pk)
    found, todo = [], [category_id]
    while todo:
        pk = todo.pop()
        if pk in found:
            continue
        found.append(pk)
        todo.extend(children.get(pk, []))
    return found


def category_choices() -> list[tuple[int, str]]:
    """Return (id, "Parent › Child") for every category, in tree order, for filter menus."""
    out: list[tuple[int, str]] = []

    def walk(nodes: list[dict[str, Any]], prefix: str) -> None:
        for node in nodes:
            label = f"{prefix}{node['name']}"
            out.append((node["id"], label))
            walk(node["children"], f"{label} › ")

    walk(category_tree(), "")
    return out


@dataclass
class ProductFilters:
    q: str = ""
    category_id: int | None = None
    active: bool | None = None
    updated_since: dt.datetime | None = None


def filter_products(filters: ProductFilters) -> QuerySet[Product]:
    qs = Product.objects.all()
    for term in filters.q.split():
        qs = qs.filter(Q(name__icontains=term) | Q(sku__icontains=term))
    if filters.category_id:
        qs = qs.filter(category_id__in=category_with_descendants(filters.category_id))
    if filters.active is not None:
        qs = qs.filter(active=filters.active)
    if filters.updated_since:
        qs = qs.filter(updated_at__gte=filters.updated_since)
    return qs


def product_page(filters: ProductFilters, *, cursor: str | None, size: int) -> Page[Product]:
    return keyset_page(filter_products(filters).select_related("category"), ordering=["name", "id"], cursor=cursor, size=size)


def product_for_page(pk: int) -> Product | None:
    """Return a product with its category and its stock per location."""
    return (
        Product.objects.filter(pk=pk).select_related("category__parent")
        .prefetch_related(Prefetch("stock_levels", queryset=StockLevel.objects.order_by("location", "id")))
        .first()
    )


@dataclass
class OrderFilters:
    contact_id: int | None = None
    company_id: int | None = None
    status: str = ""
    sales_channel: str = ""
    q: str = ""  # an order number, or its beginning
    updated_since: dt.datetime | None = None


def filter_orders(filters: OrderFilters) -> QuerySet[Order]:
    qs = Order.objects.all()
    if filters.contact_id:
        qs = qs.filter(contact_id=filters.contact_id)
    if filters.company_id:
        qs = qs.filter(company_id=filters.company_id)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.sales_channel:
        qs = qs.filter(sales_channel=filters.sales_channel)
    if filters.q.strip():
        qs = qs.filter(number__istartswith=filters.q.strip())
    if filters.updated_since:
        qs = qs.filter(updated_at__gte=filters.updated_since)
    return qs


ORDER_ORDERING = ["-ordered_at", "-id"]


def order_page(filters: OrderFilters, *, cursor: str | None, size: int, with_lines: bool = False) -> Page[Order]:
    """Return one page of orders, newest first, with their contact and company (and lines)."""
    qs = filter_orders(filters).select_related("contact", "company")
    if with_lines:
        qs = qs.prefetch_related(lines_prefetch())
    return keyset_page(qs, ordering=ORDER_ORDERING, cursor=cursor, size=size)


def order_for_page(pk: int) -> Order | None:
    """Return an order with its lines (and their products), invoices and the payments on them."""
    return (
        Order.objects.filter(pk=pk).select_related("contact", "company")
        .prefetch_related(
            Prefetch("lines", queryset=OrderLine.objects.select_related("product").order_by("position", "id")),
            Prefetch("invoices", queryset=Invoice.objects.order_by("issued_on", "id").prefetch_related(
                Prefetch("payments", queryset=Payment.objects.order_by("received_at", "id")),
            )),
        )
        .first()
    )


@dataclass
class InvoiceFilters:
    contact_id: int | None = None
    company_id: int | None = None
    status: str = ""
    updated_since: dt.datetime | None = None


def invoice_page(filters: InvoiceFilters, *, cursor: str | None, size: int) -> Page[Invoice]:
    qs = Invoice.objects.all()
    if filters.contact_id:
        qs = qs.filter(contact_id=filters.contact_id)
    if filters.company_id:
        qs = qs.filter(company_id=filters.company_id)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.updated_since:
        qs = qs.filter(updated_at__gte=filters.updated_since)
    return keyset_page(qs.select_related("order"), ordering=["-issued_on", "-id"], cursor=cursor, size=size)


@dataclass
class PaymentFilters:
    contact_id: int | None = None
    company_id: int | None = None
    invoice_id: int | None = None
    updated_since: dt.datetime | None = None


def payment_page(filters: PaymentFilters, *, cursor: str | None, size: int) -> Page[Payment]:
    qs = Payment.objects.all()
    if filters.contact_id:
        qs = qs.filter(contact_id=filters.contact_id)
    if filters.company_id:
        qs = qs.filter(company_id=filters.company_id)
    if filters.invoice_id:
        qs = qs.filter(invoice_id=filters.invoice_id)
    if filters.updated_since:
        qs = qs.filter(updated_at__gte=filters.updated_since)
    return keyset_page(qs.select_related("invoice"), ordering=["-received_at", "-id"], cursor=cursor, size=size)


def exchange_rate_page(*, currency: str = "", cursor: str | None, size: int) -> Page[ExchangeRate]:
    qs = ExchangeRate.objects.all()
    if currency:
        qs = qs.filter(currency=currency)
    return keyset_page(qs, ordering=["currency", "-valid_from", "id"], cursor=cursor, size=size)
