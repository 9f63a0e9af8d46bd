"""Write one chunk of clean records of each kind (called inside the chunk's transaction).

Each writer resolves the chunk's references (one query per kind), fails the records
whose references do not resolve, classifies the rest against the stored rows
(kliyan.commerce.ingest_plan.classify), writes them in bulk, then files the audit
entries and the domain events of the whole chunk at once.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from kliyan.commerce.choices import InvoiceStatus
from kliyan.commerce.ingest_categories import CategoryTree
from kliyan.commerce.ingest_plan import Outcome, Plan, audit_entries, classify, fail_plan, live, row_values, settle, write_rows
from kliyan.commerce.ingest_refs import customer_of, keyed, load_customers, products_by_sku
from kliyan.commerce.ingest_sql import insert_rows
from kliyan.commerce.models import Invoice, Order, OrderLine, Payment, Product, ProductCategory, StockLevel
from kliyan.core.audit import record_many
from kliyan.core.events import emit_many

ZERO = Decimal("0")


def _key(outcome: Outcome) -> tuple[str, str]:
    record = outcome.record or {}
    return record["source"], record["external_id"]


@dataclass(frozen=True)
class Version:
    """What classifying needs of a stored row; the whole row is read only if it is to change."""

    pk: int
    source_updated_at: Any


def _stored(model: Any, outcomes: list[Outcome]) -> dict[tuple[str, str], Version]:
    condition = keyed(model, outcomes)
    if condition is None:
        return {}
    rows = model.objects.filter(condition).values_list("source", "external_id", "pk", "source_updated_at")
    return {(source, external_id): Version(pk, stamp) for source, external_id, pk, stamp in rows}


def _classified(model: Any, outcomes: list[Outcome]) -> list[Plan]:
    """Classify the records against their stored versions; return the plans, with the rows to change read whole."""
    stored = _stored(model, outcomes)
    plans = live(classify(outcomes, key_of=_key, stored=lambda o: stored.get(_key(o))))
    changing = [plan for plan in plans if plan.row is not None]
    if changing:
        rows = model.objects.in_bulk([plan.row.pk for plan in changing])
        for plan in changing:
            plan.row = rows[plan.row.pk]
    return plans


def _money(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _announce(plans: list[Plan], name: str, payload: Any) -> None:
    emit_many(f"{name}.created", [payload(plan.data) for plan in plans if plan.creating])
    emit_many(f"{name}.updated", [payload(plan.data) for plan in plans if not plan.creating])


def _finish(model: Any, plans: list[Plan], *, actor: Any, audit_fields: list[str], label_of: Any, with_contact: bool = False) -> None:
    settle(plans)
    record_many(audit_entries(model, plans, actor=actor, audit_fields=audit_fields, label_of=label_of, with_contact=with_contact))


# --- categories ----------------------------------------------------------------------------

CATEGORY_AUDIT = ["name", "parent_id", "source", "external_id", "source_updated_at"]


def write_categories(outcomes: list[Outcome], *, actor: Any) -> None:
    """Write categories one by one: a record may name as parent one created just before it."""
    plans = _classified(ProductCategory, outcomes)
    tree = CategoryTree.load(actor=actor)
    now = timezone.now()
    written: list[Plan] = []
    for plan in plans:
        record = plan.record
        parent_id, errors = tree.parent_for(record, plan.row)
        if errors:
            fail_plan(plan, errors)
            continue
        values = {"name": record["name"], "parent_id": parent_id, "source": record["source"],
                  "external_id": record["external_id"], "source_updated_at": record["updated_at"]}
        write_rows(ProductCategory, [plan], lambda p: values, now=now, audit_fields=CATEGORY_AUDIT)
        tree.remember(plan.data["id"], record["name"], parent_id, record["source"], record["external_id"])
        written.append(plan)
    _finish(ProductCategory, written, actor=actor, audit_fields=CATEGORY_AUDIT, label_of=lambda d: d["name"])


# --- products ------------------------------------------------------------------------------

PRODUCT_AUDIT = ["sku", "name", "category_id", "price", "currency", "cost", "active", "source", "external_id", "source_updated_at"]


def product_payload(product: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": product["id"], "source": product["source"], "external_id": product["external_id"], "sku": product["sku"],
        "name": product["name"], "category_id": product["category_id"], "price": _money(product["price"]),
        "currency": product["currency"], "cost": _money(product["cost"]), "active": product["active"],
        "stock_on_hand": _money(product.get("stock_on_hand", ZERO)),
    }


def write_products(outcomes: list[Outcome], *, actor: Any) -> None:
    condition = keyed(Product, outcomes) or Q(pk__in=[])
    skus = {o.record["sku"] for o in outcomes}
    rows = list(Product.objects.filter(condition | Q(sku__in=skus)))
    by_key = {(r.source, r.external_id): r for r in rows if r.external_id}
    by_sku = {r.sku: r for r in rows}

    def stored(outcome: Outcome) -> Any:
        row = by_key.get(_key(outcome))
        if row is not None:
            return row
        # A product typed in by hand (no source) is taken over by the first system that sends its SKU.
        row = by_sku.get(outcome.record["sku"])
        return row if row is not None and not row.external_id else None

    plans = live(classify(outcomes, key_of=_key, stored=stored))
    named = any(o.record["category_path"] or o.record["category_external_id"] for o in outcomes)
    tree = CategoryTree.load(actor=actor) if named else CategoryTree(actor=actor)
    sku_owner: dict[str, Plan] = {}
    good: list[Plan] = []
    for plan in plans:
        record = plan.record
        owner = by_sku.get(record["sku"])
        if owner is not None and owner is not plan.row:
            fail_plan(plan, {"sku": [_("The SKU “%(sku)s” belongs to another product (%(source)s %(id)s).")
                                     % {"sku": record["sku"], "source": owner.source or "kliyan", "id": owner.external_id or owner.pk}]})
            continue
        if record["sku"] in sku_owner:
            fail_plan(plan, {"sku": [_("Another record of this request has the same SKU.")]})
            continue
        category_id, errors = tree.category_for(record)
        if errors:
            fail_plan(plan, errors)
            continue
        record["category_id"] = category_id
        sku_owner[record["sku"]] = plan
        good.append(plan)
    now = timezone.now()

    def values(plan: Plan) -> dict[str, Any]:
        r = plan.record
        return {"sku": r["sku"], "name": r["name"], "category_id": r["category_id"], "price": r["price"],
                "currency": r["currency"], "cost": r["cost"], "active": r["active"], "source": r["source"],
                "external_id": r["external_id"], "source_updated_at": r["updated_at"]}

    write_rows(Product, good, values, now=now, audit_fields=PRODUCT_AUDIT)
    _finish(Product, good, actor=actor, audit_fields=PRODUCT_AUDIT, label_of=lambda d: f"{d['name']} ({d['sku']})")
    _announce(good, "product", product_payload)


# --- stock levels --------------------------------------------------------------------------

STOCK_AUDIT = ["product_id", "location", "quantity", "source", "external_id", "source_updated_at"]


def write_stock(outcomes: list[Outcome], *, actor: Any) -> None:
    """Store stock per (product, location), then set each product's stock on hand to the sum."""
    product_ids = products_by_sku(o.record["sku"] for o in outcomes)
    resolved = []
    for outcome in outcomes:
        product_id = product_ids.get(outcome.record["sku"])
        if product_id is None:
            outcome.fail({"sku": [_("There is no product with the SKU “%(sku)s”.") % {"sku": outcome.record["sku"]}]})
            continue
        outcome.record["product_id"] = product_id
        resolved.append(outcome)
    condition = (keyed(StockLevel, resolved) or Q(pk__in=[])) | Q(product_id__in={o.record["product_id"] for o in resolved})
    rows = list(StockLevel.objects.filter(condition))
    by_key = {(r.source, r.external_id): r for r in rows if r.external_id}
    by_place = {(r.product_id, r.location): r for r in rows}

    def stored(outcome: Outcome) -> Any:
        record = outcome.record
        return by_key.get(_key(outcome)) or by_place.get((record["product_id"], record["location"]))

    def slot(outcome: Outcome) -> Any:
        # One row per (product, location): two keys naming the same place are the same row.
        row = stored(outcome)
        return ("row", row.pk) if row is not None else ("new", outcome.record["product_id"], outcome.record["location"])

    plans = live(classify(resolved, key_of=slot, stored=stored))
    good: list[Plan] = []
    taken: dict[tuple[int, str], Plan] = {}
    for plan in plans:
        place = (plan.record["product_id"], plan.record["location"])
        holder = by_place.get(place)
        if (holder is not None and holder is not plan.row) or place in taken:
            fail_plan(plan, {"location": [_("Another stock record already holds this product at this location.")]})
            continue
        taken[place] = plan
        good.append(plan)
    touched = {plan.row.product_id for plan in good if plan.row is not None} | {place[0] for place in taken}

    def values(plan: Plan) -> dict[str, Any]:
        r = plan.record
        return {"product_id": r["product_id"], "location": r["location"], "quantity": r["quantity"],
                "source": r["source"], "external_id": r["external_id"], "source_updated_at": r["updated_at"]}

    write_rows(StockLevel, good, values, now=timezone.now(), audit_fields=STOCK_AUDIT)
    _finish(StockLevel, good, actor=actor, audit_fields=STOCK_AUDIT,
            label_of=lambda d: f"{d['product_id']} @ {d['location']}: {d['quantity']}")
    _refresh_stock_on_hand(touched)


def _refresh_stock_on_hand(product_ids: set[int]) -> None:
    if not product_ids:
        return
    totals = dict(
        StockLevel.objects.filter(product_id__in=product_ids).values("product_id").annotate(total=Sum("quantity"))
        .values_list("product_id", "total")
    )
    products = list(Product.objects.filter(pk__in=product_ids).only("pk", "stock_on_hand"))
    for product in products:
        product.stock_on_hand = totals.get(product.pk) or ZERO
    Product.objects.bulk_update(products, ["stock_on_hand"], batch_size=1000)


# --- orders --------------------------------------------------------------------------------

ORDER_AUDIT = [
    "number", "contact_id", "company_id", "sales_channel", "ordered_at", "status", "currency", "subtotal",
    "discount_total", "tax_total", "total", "note", "source", "external_id", "source_updated_at",
]


def order_payload(order: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": order["id"], "source": order["source"], "external_id": order["external_id"], "number": order["number"],
        "contact_id": order["contact_id"], "company_id": order["company_id"], "sales_channel": order["sales_channel"],
        "ordered_at": order["ordered_at"].isoformat(), "status": order["status"], "currency": order["currency"],
        "total": _money(order["total"]),
    }


def _resolve_customers(outcomes: list[Outcome]) -> list[Outcome]:
    customers = load_customers(outcomes)
    resolved = []
    for outcome in outcomes:
        contact_id, company_id, errors = customer_of(outcome.record, customers)
        if errors:
            outcome.fail(errors)
            continue
        outcome.record["contact"], outcome.record["company"] = contact_id, company_id
        resolved.append(outcome)
    return resolved


LINE_COLUMNS = ("order_id", "position", "product_id", "sku", "description", "quantity", "unit_price", "discount", "line_total")


def write_orders(outcomes: list[Outcome], *, actor: Any) -> None:
    skus = sorted({line["sku"] for o in outcomes for line in o.record["lines"] if line["sku"]})
    products = {sku: (pk, name) for sku, pk, name in Product.objects.filter(sku__in=skus).values_list("sku", "id", "name")}
    product_ids = {sku: pk for sku, (pk, _name) in products.items()}
    with_products = []
    for outcome in outcomes:
        errors = {
            f"lines[{n}].sku": [_("There is no product with the SKU “%(sku)s”.") % {"sku": line["sku"]}]
            for n, line in enumerate(outcome.record["lines"]) if line["sku"] and line["sku"] not in product_ids
        }
        if errors:
            outcome.fail(errors)
        else:
            with_products.append(outcome)
    resolved = _resolve_customers(with_products)
    plans = _classified(Order, resolved)

    def values(plan: Plan) -> dict[str, Any]:
        r = plan.record
        return {
            "number": r["number"], "contact_id": r["contact"], "company_id": r["company"], "sales_channel": r["sales_channel"],
            "ordered_at": r["ordered_at"], "status": r["status"], "currency": r["currency"], "subtotal": r["subtotal"],
            "discount_total": r["discount"], "tax_total": r["tax"], "total": r["total"], "note": r["note"],
            "source": r["source"], "external_id": r["external_id"], "source_updated_at": r["updated_at"],
        }

    write_rows(Order, plans, values, now=timezone.now(), audit_fields=ORDER_AUDIT)
    # A newer version of an order replaces its lines.
    replaced = [plan.data["id"] for plan in plans if not plan.creating]
    if replaced:
        OrderLine.objects.filter(order_id__in=replaced).delete()
    insert_rows(OrderLine, LINE_COLUMNS, [
        # A line sent with a SKU only keeps the product's name of the day, as a till receipt does.
        (plan.data["id"], n, product_ids.get(line["sku"]), line["sku"], line["description"] or products.get(line["sku"], (0, ""))[1][:255],
         line["quantity"], line["unit_price"], line["discount"], line["line_total"])
        for plan in plans for n, line in enumerate(plan.record["lines"])
    ])
    _finish(Order, plans, actor=actor, audit_fields=ORDER_AUDIT, label_of=lambda d: d["number"], with_contact=True)
    _announce(plans, "order", order_payload)


# --- invoices ------------------------------------------------------------------------------

INVOICE_AUDIT = [
    "number", "contact_id", "company_id", "order_id", "issued_on", "due_on", "currency", "total", "amount_paid",
    "status", "source", "external_id", "source_updated_at",
]


def invoice_payload(invoice: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": invoice["id"], "source": invoice["source"], "external_id": invoice["external_id"], "number": invoice["number"],
        "contact_id": invoice["contact_id"], "company_id": invoice["company_id"], "order_id": invoice["order_id"],
        "issued_on": invoice["issued_on"].isoformat(), "due_on": invoice["due_on"].isoformat(),
        "currency": invoice["currency"], "total": _money(invoice["total"]), "amount_paid": _money(invoice["amount_paid"]),
        "status": invoice["status"],
    }


def invoice_status(*, total: Decimal, paid: Decimal, void: bool) -> str:
    if void:
        return InvoiceStatus.VOID
    return InvoiceStatus.PAID if paid >= total else InvoiceStatus.OPEN


def _linked(model: Any, outcomes: list[Outcome], *, id_field: str, number_field: str, fields: tuple[str, ...]) -> tuple[dict, dict]:
    """Return the rows records link to, by (source, external id) and by (source, number)."""
    condition = keyed(model, outcomes, id_field=id_field, number_field=number_field)
    if condition is None:
        return {}, {}
    by_id: dict[tuple[str, str], dict] = {}
    by_number: dict[tuple[str, str], dict] = {}
    for row in model.objects.filter(condition).order_by("pk").values("pk", "source", "external_id", "number", *fields):
        by_id.setdefault((row["source"], row["external_id"]), row)
        by_number.setdefault((row["source"], row["number"]), row)
    return by_id, by_number


def _link(outcome: Outcome, by_id: dict, by_number: dict, *, id_field: str, number_field: str, what: str) -> tuple[dict | None, dict]:
    record = outcome.record
    errors: dict[str, list[str]] = {}
    found = None
    if record[id_field]:
        found = by_id.get((record["source"], record[id_field]))
        if found is None:
            errors[id_field] = [_("There is no %(what)s with this external id from “%(source)s”.") % {"what": what, "source": record["source"]}]
    if record[number_field] and not errors:
        by_num = by_number.get((record["source"], record[number_field]))
        if by_num is None:
            errors[number_field] = [_("There is no %(what)s with this number from “%(source)s”.") % {"what": what, "source": record["source"]}]
        elif found is not None and by_num["pk"] != found["pk"]:
            errors[number_field] = [_("Names another %(what)s than the external id.") % {"what": what}]
        found = found or by_num
    return found, errors


def write_invoices(outcomes: list[Outcome], *, actor: Any) -> None:
    by_id, by_number = _linked(Order, outcomes, id_field="order_external_id", number_field="order_number",
                               fields=("currency", "contact_id", "company_id"))
    resolved = _resolve_customers(outcomes)
    linked = []
    for outcome in resolved:
        record = outcome.record
        order, errors = _link(outcome, by_id, by_number, id_field="order_external_id", number_field="order_number", what=_("order"))
        if order is not None and order["currency"] != record["currency"]:
            errors["currency"] = [_("Currency mismatch: the invoice is in %(invoice)s, its order in %(order)s.")
                                  % {"invoice": record["currency"], "order": order["currency"]}]
        record["order"] = order["pk"] if order else None
        if order is not None and not record["contact"] and not record["company"]:
            record["contact"], record["company"] = order["contact_id"], order["company_id"]
        if not errors and not record["contact"] and not record["company"]:
            errors["contact_id"] = [_("An invoice needs a customer: send contact_id, contact_email, contact_phone or company_id, or link an order that has one.")]
        if errors:
            outcome.fail(errors)
        else:
            linked.append(outcome)
    plans = _classified(Invoice, linked)

    def values(plan: Plan) -> dict[str, Any]:
        r = plan.record
        paid = plan.row.amount_paid if plan.row is not None else ZERO
        return {
            "number": r["number"], "contact_id": r["contact"], "company_id": r["company"], "order_id": r["order"],
            "issued_on": r["issued_on"], "due_on": r["due_on"], "currency": r["currency"], "total": r["total"],
            "amount_paid": paid, "status": invoice_status(total=r["total"], paid=paid, void=r["void"]),
            "source": r["source"], "external_id": r["external_id"], "source_updated_at": r["updated_at"],
        }

    write_rows(Invoice, plans, values, now=timezone.now(), audit_fields=INVOICE_AUDIT)
    _finish(Invoice, plans, actor=actor, audit_fields=INVOICE_AUDIT, label_of=lambda d: d["number"], with_contact=True)
    _announce(plans, "invoice", invoice_payload)


# --- payments ------------------------------------------------------------------------------

PAYMENT_AUDIT = [
    "contact_id", "company_id", "invoice_id", "received_at", "amount", "currency", "method", "reference",
    "source", "external_id", "source_updated_at",
]


def payment_payload(payment: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": payment["id"], "source": payment["source"], "external_id": payment["external_id"],
        "contact_id": payment["contact_id"], "company_id": payment["company_id"], "invoice_id": payment["invoice_id"],
        "received_at": payment["received_at"].isoformat(), "amount": _money(payment["amount"]),
        "currency": payment["currency"], "method": payment["method"], "reference": payment["reference"],
    }


def write_payments(outcomes: list[Outcome], *, actor: Any) -> None:
    by_id, by_number = _linked(Invoice, outcomes, id_field="invoice_external_id", number_field="invoice_number",
                               fields=("currency", "contact_id", "company_id"))
    resolved = _resolve_customers(outcomes)
    linked = []
    for outcome in resolved:
        record = outcome.record
        invoice, errors = _link(outcome, by_id, by_number, id_field="invoice_external_id", number_field="invoice_number", what=_("invoice"))
        if invoice is not None and invoice["currency"] != record["currency"]:
            errors["currency"] = [_("Currency mismatch: the payment is in %(payment)s, its invoice in %(invoice)s.")
                                  % {"payment": record["currency"], "invoice": invoice["currency"]}]
        record["invoice"] = invoice["pk"] if invoice else None
        if invoice is not None and not record["contact"] and not record["company"]:
            record["contact"], record["company"] = invoice["contact_id"], invoice["company_id"]
        if errors:
            outcome.fail(errors)
        else:
            linked.append(outcome)
    plans = _classified(Payment, linked)
    touched = {plan.row.invoice_id for plan in plans if plan.row is not None and plan.row.invoice_id}

    def values(plan: Plan) -> dict[str, Any]:
        r = plan.record
        return {
            "contact_id": r["contact"], "company_id": r["company"], "invoice_id": r["invoice"], "received_at": r["received_at"],
            "amount": r["amount"], "currency": r["currency"], "method": r["method"], "reference": r["reference"],
            "source": r["source"], "external_id": r["external_id"], "source_updated_at": r["updated_at"],
        }

    write_rows(Payment, plans, values, now=timezone.now(), audit_fields=PAYMENT_AUDIT)
    _finish(Payment, plans, actor=actor, audit_fields=PAYMENT_AUDIT, label_of=lambda d: f"{d['amount']} {d['currency']}",
            with_contact=True)
    _announce(plans, "payment", payment_payload)
    touched |= {plan.data["invoice_id"] for plan in plans if plan.data["invoice_id"]}
    refresh_invoice_balances(touched, actor=actor)


def refresh_invoice_balances(invoice_ids: set[int], *, actor: Any) -> None:
    """Set each invoice's amount paid to the sum of its payments, and its status to match."""
    if not invoice_ids:
        return
    paid = defaultdict(lambda: ZERO, Payment.objects.filter(invoice_id__in=invoice_ids).values("invoice_id")
                       .annotate(total=Sum("amount")).values_list("invoice_id", "total"))
    changed: list[Plan] = []
    for invoice in Invoice.objects.filter(pk__in=invoice_ids):
        status = invoice_status(total=invoice.total, paid=paid[invoice.pk], void=invoice.status == InvoiceStatus.VOID)
        if (invoice.amount_paid, invoice.status) == (paid[invoice.pk], status):
            continue
        plan = Plan(record={}, row=invoice)
        plan.before = {"amount_paid": str(invoice.amount_paid), "status": invoice.status}
        invoice.amount_paid, invoice.status, invoice.updated_at = paid[invoice.pk], status, timezone.now()
        plan.data = row_values(invoice)
        changed.append(plan)
    Invoice.objects.bulk_update([plan.row for plan in changed], ["amount_paid", "status", "updated_at"], batch_size=1000)
    record_many(audit_entries(Invoice, changed, actor=actor, audit_fields=["amount_paid", "status"],
                              label_of=lambda d: d["number"], with_contact=True))
    emit_many("invoice.updated", [invoice_payload(plan.data) for plan in changed])
