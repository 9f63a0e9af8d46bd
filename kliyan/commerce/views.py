"""Commerce pages: products, orders, a contact's purchases, credit terms, exchange rates.

They parse, call a query or a service (kliyan.commerce.queries / terms), and render.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from kliyan.accounts.access import Perm
from kliyan.commerce import listings, queries
from kliyan.commerce.forms import CreditTermsForm, ExchangeRateForm, OrderFilterForm, ProductFilterForm
from kliyan.commerce.money import organisation_currency, organisation_today
from kliyan.commerce.queries import Customer
from kliyan.commerce.terms import credit_terms_set, exchange_rate_set
from kliyan.contacts.models import Company, Contact
from kliyan.core.errors import KliyanError
from kliyan.core.pagination import Page
from kliyan.core.web import apply_errors, is_htmx, perm_required


def _page_size() -> int:
    return settings.KLIYAN_PAGE_SIZE


def _paged(request: HttpRequest, fetch: Any) -> tuple[Page, str | None, str]:
    """Return (page, cursor, query string without the cursor); a spoilt cursor shows the first page."""
    cursor = request.GET.get("cursor") or None
    try:
        page = fetch(cursor)
    except KliyanError:
        cursor, page = None, fetch(None)
    query = request.GET.copy()
    query.pop("cursor", None)
    return page, cursor, query.urlencode()


# --- Products -------------------------------------------------------------------------


@perm_required(Perm.VIEW_COMMERCE)
def product_list(request: HttpRequest) -> HttpResponse:
    form = ProductFilterForm(request.GET)
    form.is_valid()
    # Only the valid filters are in cleaned_data: a bad one is ignored, not an error page.
    data = getattr(form, "cleaned_data", {})
    filters = listings.ProductFilters(
        q=data.get("q") or "", category_id=data.get("category"),
        active={"yes": True, "no": False}.get(data.get("active") or ""),
    )
    page, cursor, filter_query = _paged(request, lambda c: listings.product_page(filters, cursor=c, size=_page_size()))
    context = {"form": form, "page": page, "cursor": cursor, "filter_query": filter_query}
    template = "commerce/product_list.html#results" if is_htmx(request) else "commerce/product_list.html"
    return render(request, template, context)


@perm_required(Perm.VIEW_COMMERCE)
def product_detail(request: HttpRequest, pk: int) -> HttpResponse:
    product = listings.product_for_page(pk)
    if product is None:
        raise Http404
    margin_percent = None
    if product.margin is not None and product.price:
        margin_percent = (product.margin / product.price * 100).quantize(1)
    return render(request, "commerce/product_detail.html", {"product": product, "margin_percent": margin_percent})


# --- Orders ---------------------------------------------------------------------------


def _order_rows(orders: list[Any]) -> list[dict[str, Any]]:
    return [{"order": order, "items": queries.items_summary(order)} for order in orders]


@perm_required(Perm.VIEW_COMMERCE)
def order_list(request: HttpRequest) -> HttpResponse:
    form = OrderFilterForm(request.GET)
    form.is_valid()
    data = getattr(form, "cleaned_data", {})
    filters = listings.OrderFilters(q=data.get("q") or "", status=data.get("status") or "", sales_channel=data.get("sales_channel") or "")
    page, cursor, filter_query = _paged(
        request, lambda c: listings.order_page(filters, cursor=c, size=_page_size(), with_lines=True),
    )
    context = {"form": form, "page": page, "rows": _order_rows(page.items), "cursor": cursor, "filter_query": filter_query}
    template = "commerce/order_list.html#results" if is_htmx(request) else "commerce/order_list.html"
    return render(request, template, context)


@perm_required(Perm.VIEW_COMMERCE)
def order_detail(request: HttpRequest, pk: int) -> HttpResponse:
    order = listings.order_for_page(pk)
    if order is None:
        raise Http404
    return render(request, "commerce/order_detail.html", {"order": order, "today": organisation_today()})


@perm_required(Perm.VIEW_COMMERCE)
def contact_orders(request: HttpRequest, pk: int) -> HttpResponse:
    """A contact's purchases: the summary (spend, balance, credit) and every order, a page at a time."""
    contact = get_object_or_404(Contact.objects.only("id", "display_name", "company_id"), pk=pk)
    summary = queries.contact_commerce_summary(contact, orders=0)
    filters = listings.OrderFilters(contact_id=contact.pk)
    page, cursor, filter_query = _paged(
        request, lambda c: listings.order_page(filters, cursor=c, size=_page_size(), with_lines=True),
    )
    context = {
        "contact": contact, "summary": summary, "page": page, "rows": _order_rows(page.items),
        "cursor": cursor, "filter_query": filter_query,
    }
    return render(request, "commerce/contact_orders.html", context)


# --- Credit terms ---------------------------------------------------------------------


def _terms_page(request: HttpRequest, *, contact: Contact | None = None, company: Company | None = None) -> HttpResponse:
    customer = Customer.of_contact(contact.pk) if contact is not None else Customer.of_company(company.pk)  # type: ignore[union-attr]
    existing = queries.credit_terms_of(customer)
    initial = {"currency": organisation_currency(), "payment_terms_days": 30}
    if existing is not None:
        initial = {
            "credit_limit": existing.credit_limit, "currency": existing.currency,
            "payment_terms_days": existing.payment_terms_days, "on_hold": existing.on_hold, "note": existing.note,
        }
    form = CreditTermsForm(request.POST or None, initial=initial)
    back = contact.get_absolute_url() if contact is not None else company.get_absolute_url()  # type: ignore[union-attr]
    if request.method == "POST" and form.is_valid():
        try:
            credit_terms_set(actor=request.user, contact=contact, company=company, data=form.cleaned_data)
        except KliyanError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Credit terms saved."))
            return redirect(back)
    credit = queries.credit_position(customer) if existing is not None else None
    context = {"form": form, "contact": contact, "company": company, "credit": credit, "back": back}
    return render(request, "commerce/credit_terms_form.html", context, status=422 if form.errors else 200)


@perm_required(Perm.INGEST_COMMERCE)
def contact_credit(request: HttpRequest, pk: int) -> HttpResponse:
    return _terms_page(request, contact=get_object_or_404(Contact, pk=pk))


@perm_required(Perm.INGEST_COMMERCE)
def company_credit(request: HttpRequest, pk: int) -> HttpResponse:
    return _terms_page(request, company=get_object_or_404(Company, pk=pk))


# --- Exchange rates -------------------------------------------------------------------


@perm_required(Perm.INGEST_COMMERCE)
def exchange_rates(request: HttpRequest) -> HttpResponse:
    """List the exchange rates and add (or correct) one."""
    form = ExchangeRateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            rate, created = exchange_rate_set(actor=request.user, **form.cleaned_data)
        except KliyanError as error:
            apply_errors(form, error)
        else:
            done = _("Rate added.") if created else _("Rate saved.")
            messages.success(request, done)
            return redirect("commerce:exchange_rates")
    page, cursor, filter_query = _paged(request, lambda c: listings.exchange_rate_page(cursor=c, size=_page_size()))
    context = {
        "form": form, "page": page, "cursor": cursor, "filter_query": filter_query,
        "home_currency": organisation_currency(),
        # Every decimal of a rate matters (0.0075); the number filter would round to three.
        "rows": [{"rate": rate, "value": f"{rate.rate.normalize():f}"} for rate in page.items],
    }
    return render(request, "commerce/exchange_rates.html", context, status=422 if form.errors else 200)
