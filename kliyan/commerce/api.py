"""API v1: read products, categories, orders, invoices, payments and a customer's commerce summary;
set credit terms and exchange rates.

Endpoints parse, check the permission, call a query or a service, and render. Lists are
cursor-paged (`cursor` / `next_cursor`) like every other list of the API.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router

from kliyan.accounts.access import Perm
from kliyan.commerce import listings, queries, terms
from kliyan.commerce.choices import InvoiceStatus, OrderStatus, SalesChannel
from kliyan.commerce.models import Invoice, Order, Payment
from kliyan.commerce.queries import Customer
from kliyan.commerce.schemas import (
    CategoryTree,
    CommerceSummaryOut,
    CreditTermsIn,
    CreditTermsOut,
    ExchangeRateIn,
    ExchangeRateOut,
    ExchangeRatePage,
    InvoiceOut,
    InvoicePage,
    OrderOut,
    OrderPage,
    PaymentOut,
    PaymentPage,
    ProductDetailOut,
    ProductPage,
    credit_terms_out,
    exchange_rate_out,
    invoice_out,
    order_out,
    payment_out,
    product_detail_out,
    product_out,
    summary_out,
)
from kliyan.contacts.models import Company, Contact
from kliyan.core.api_json import json_page
from kliyan.core.api_auth import actor
from kliyan.core.api_types import ApiDateTime, ObjectId
from kliyan.core.errors import NotFound, ValidationFailed

router = Router()

LIMIT = Query(50, ge=1, le=200, description="Items per page (at most 200)")
UPDATED_SINCE = Query(None, description="Only items changed at or after this ISO 8601 date-time (for syncing)")
TAGS_PRODUCTS, TAGS_ORDERS, TAGS_BILLING, TAGS_CREDIT = ["products"], ["orders"], ["invoices and payments"], ["credit"]


def _choice(field: str, value: str, choices: list[str]) -> str:
    if value and value not in choices:
        raise ValidationFailed(field_errors={field: [_("“%(value)s” is not a valid choice.") % {"value": value}]})
    return value


def _not_found(what: str, pk: Any) -> NotFound:
    messages = {
        "product": _("There is no product with id %(id)s."),
        "order": _("There is no order with id %(id)s."),
        "invoice": _("There is no invoice with id %(id)s."),
        "payment": _("There is no payment with id %(id)s."),
        "contact": _("There is no contact with id %(id)s."),
        "company": _("There is no company with id %(id)s."),
    }
    return NotFound(messages[what] % {"id": pk})


# --- Products and categories ----------------------------------------------------------


@router.get("/products", response=ProductPage, tags=TAGS_PRODUCTS, summary="List products")
def product_list(
    request: HttpRequest,
    q: str = Query("", description="Words found in the name or the SKU"),
    category: ObjectId | None = Query(None, description="A category id; its subcategories are included"),
    active: bool | None = None,
    updated_since: ApiDateTime | None = UPDATED_SINCE,
    cursor: str | None = None,
    limit: int = LIMIT,
) -> Any:
    actor(request, Perm.VIEW_COMMERCE)
    filters = listings.ProductFilters(q=q[:200], category_id=category, active=active, updated_since=updated_since)
    page = listings.product_page(filters, cursor=cursor, size=limit)
    return json_page([product_out(p) for p in page.items], page.next_cursor)


@router.get("/products/{int:product_id}", response=ProductDetailOut, tags=TAGS_PRODUCTS, summary="Read a product with its stock per location")
def product_detail(request: HttpRequest, product_id: int) -> Any:
    actor(request, Perm.VIEW_COMMERCE)
    product = listings.product_for_page(product_id)
    if product is None:
        raise _not_found("product", product_id)
    return product_detail_out(product)


@router.get("/categories", response=CategoryTree, tags=TAGS_PRODUCTS, summary="The product category tree")
def category_list(request: HttpRequest) -> Any:
    actor(request, Perm.VIEW_COMMERCE)
    return {"items": listings.category_tree()}


# --- Orders ---------------------------------------------------------------------------


@router.get("/orders", response=OrderPage, tags=TAGS_ORDERS, summary="List orders, newest first")
def order_list(
    request: HttpRequest,
    contact: ObjectId | None = None,
    company: ObjectId | None = None,
    status: str = Query("", description=", ".join(OrderStatus.values)),
    sales_channel: str = Query("", description=", ".join(SalesChannel.values)),
    updated_since: ApiDateTime | None = UPDATED_SINCE,
    cursor: str | None = None,
    limit: int = LIMIT,
) -> Any:
    actor(request, Perm.VIEW_COMMERCE)
    filters = listings.OrderFilters(
        contact_id=contact, company_id=company, status=_choice("status", status, OrderStatus.values),
        sales_channel=_choice("sales_channel", sales_channel, SalesChannel.values), updated_since=updated_since,
    )
    page = listings.order_page(filters, cursor=cursor, size=limit, with_lines=True)
    return json_page([order_out(o) for o in page.items], page.next_cursor)


@router.get("/orders/{int:order_id}", response=OrderOut, tags=TAGS_ORDERS, summary="Read an order with its lines")
def order_detail(request: HttpRequest, order_id: int) -> Any:
    actor(request, Perm.VIEW_COMMERCE)
    order = (
        Order.objects.filter(pk=order_id).select_related("contact", "company")
        .prefetch_related(queries.lines_prefetch()).first()
    )
    if order is None:
        raise _not_found("order", order_id)
    return order_out(order)


# --- Invoices and payments ------------------------------------------------------------


@router.get("/invoices", response=InvoicePage, tags=TAGS_BILLING, summary="List invoices, newest first")
def invoice_list(
    request: HttpRequest,
    contact: ObjectId | None = None,
    company: ObjectId | None = None,
    status: str = Query("", description=", ".join(InvoiceStatus.values)),
    updated_since: ApiDateTime | None = UPDATED_SINCE,
    cursor: str | None = None,
    limit: int = LIMIT,
) -> Any:
    actor(request, Perm.VIEW_COMMERCE)
    filters = listings.InvoiceFilters(
        contact_id=contact, company_id=company, status=_choice("status", status, InvoiceStatus.values),
        updated_since=updated_since,
    )
    page = listings.invoice_page(filters, cursor=cursor, size=limit)
    return json_page([invoice_out(i) for i in page.items], page.next_cursor)


@router.get("/invoices/{int:invoice_id}", response=InvoiceOut, tags=TAGS_BILLING, summary="Read an invoice")
def invoice_detail(request: HttpRequest, invoice_id: int) -> Any:
    actor(request, Perm.VIEW_COMMERCE)
    invoice = Invoice.objects.filter(pk=invoice_id).select_related("order").first()
    if invoice is None:
        raise _not_found("invoice", invoice_id)
    return invoice_out(invoice)


@router.get("/payments", response=PaymentPage, tags=TAGS_BILLING, summary="List payments, newest first")
def payment_list(
    request: HttpRequest,
    contact: ObjectId | None = None,
    company: ObjectId | None = None,
    invoice: ObjectId | None = None,
    updated_since: ApiDateTime | None = UPDATED_SINCE,
    cursor: str | None = None,
    limit: int = LIMIT,
) -> Any:
    actor(request, Perm.VIEW_COMMERCE)
    filters = listings.PaymentFilters(contact_id=contact, company_id=company, invoice_id=invoice, updated_since=updated_since)
    page = listings.payment_page(filters, cursor=cursor, size=limit)
    return json_page([payment_out(p) for p in page.items], page.next_cursor)


@router.get("/payments/{int:payment_id}", response=PaymentOut, tags=TAGS_BILLING, summary="Read a payment")
def payment_detail(request: HttpRequest, payment_id: int) -> Any:
    actor(request, Perm.VIEW_COMMERCE)
    payment = Payment.objects.filter(pk=payment_id).select_related("invoice").first()
    if payment is None:
        raise _not_found("payment", payment_id)
    return payment_out(payment)


# --- A customer's summary and credit terms --------------------------------------------


def _contact(pk: int) -> Contact:
    contact = Contact.objects.filter(pk=pk).only("id", "display_name", "company_id").first()
    if contact is None:
        raise _not_found("contact", pk)
    return contact


def _company(pk: int) -> Company:
    company = Company.objects.filter(pk=pk).only("id", "name").first()
    if company is None:
        raise _not_found("company", pk)
    return company


@router.get("/contacts/{int:contact_id}/commerce", response=CommerceSummaryOut, tags=TAGS_CREDIT,
            summary="A contact's purchases, lifetime spend, balance and credit")
def contact_commerce(request: HttpRequest, contact_id: int, orders: int = Query(5, ge=0, le=50, description="How many recent orders")) -> Any:
    actor(request, Perm.VIEW_COMMERCE)
    return summary_out(queries.contact_commerce_summary(_contact(contact_id), orders=orders, order_customers=True))


@router.get("/companies/{int:company_id}/commerce", response=CommerceSummaryOut, tags=TAGS_CREDIT,
            summary="A company's purchases, lifetime spend, balance and credit")
def company_commerce(request: HttpRequest, company_id: int, orders: int = Query(5, ge=0, le=50, description="How many recent orders")) -> Any:
    actor(request, Perm.VIEW_COMMERCE)
    return summary_out(queries.company_commerce_summary(_company(company_id).pk, orders=orders, order_customers=True))


def _terms_answer(customer: Customer) -> dict[str, Any]:
    credit_terms = queries.credit_terms_of(customer)
    if credit_terms is None:
        raise NotFound(_("No credit terms have been set for this customer."))
    credit = queries.credit_from(credit_terms, queries.balance_parts(customer))
    return credit_terms_out(credit_terms, credit)


@router.get("/contacts/{int:contact_id}/credit-terms", response=CreditTermsOut, tags=TAGS_CREDIT, summary="A contact's own credit terms")
def contact_terms(request: HttpRequest, contact_id: int) -> Any:
    actor(request, Perm.VIEW_COMMERCE)
    return _terms_answer(Customer.of_contact(_contact(contact_id).pk))


@router.put("/contacts/{int:contact_id}/credit-terms", response=CreditTermsOut, tags=TAGS_CREDIT, summary="Set a contact's credit terms")
def contact_terms_set(request: HttpRequest, contact_id: int, payload: CreditTermsIn) -> Any:
    user = actor(request, Perm.INGEST_COMMERCE)
    terms.credit_terms_set(actor=user, contact=_contact(contact_id), data=payload.model_dump())
    return _terms_answer(Customer.of_contact(contact_id))


@router.get("/companies/{int:company_id}/credit-terms", response=CreditTermsOut, tags=TAGS_CREDIT, summary="A company's credit terms")
def company_terms(request: HttpRequest, company_id: int) -> Any:
    actor(request, Perm.VIEW_COMMERCE)
    return _terms_answer(Customer.of_company(_company(company_id).pk))


@router.put("/companies/{int:company_id}/credit-terms", response=CreditTermsOut, tags=TAGS_CREDIT, summary="Set a company's credit terms")
def company_terms_set(request: HttpRequest, company_id: int, payload: CreditTermsIn) -> Any:
    user = actor(request, Perm.INGEST_COMMERCE)
    terms.credit_terms_set(actor=user, company=_company(company_id), data=payload.model_dump())
    return _terms_answer(Customer.of_company(company_id))


# --- Exchange rates -------------------------------------------------------------------


@router.get("/exchange-rates", response=ExchangeRatePage, tags=TAGS_CREDIT, summary="List exchange rates")
def exchange_rate_list(
    request: HttpRequest, currency: str = Query("", description="Only this ISO 4217 currency"),
    cursor: str | None = None, limit: int = LIMIT,
) -> Any:
    actor(request, Perm.VIEW_COMMERCE)
    page = listings.exchange_rate_page(currency=currency.strip().upper()[:3], cursor=cursor, size=limit)
    return json_page([exchange_rate_out(r) for r in page.items], page.next_cursor)


@router.put("/exchange-rates/{currency}/{valid_from}", response=ExchangeRateOut, tags=TAGS_CREDIT,
            summary="Set what one unit of a currency is worth in the organisation's currency from a day on")
def exchange_rate_set(request: HttpRequest, currency: str, valid_from: str, payload: ExchangeRateIn) -> Any:
    user = actor(request, Perm.INGEST_COMMERCE)
    rate, _created = terms.exchange_rate_set(actor=user, currency=currency, valid_from=valid_from, rate=payload.rate)
    return exchange_rate_out(rate)
