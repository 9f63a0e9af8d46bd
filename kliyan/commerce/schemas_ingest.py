"""Shapes of the ingestion API: the records other systems send (for the OpenAPI document) and the answers.

The records themselves are checked by kliyan.commerce.ingest_clean, not by these schemas,
so a bulk line and a PUT body are held to exactly the same rules and the same messages.
Amounts may be sent as JSON numbers or strings ("19.99"); they are read as Decimal.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from ninja import Schema
from pydantic import Field


class IngestKind(StrEnum):
    CATEGORIES = "categories"
    PRODUCTS = "products"
    STOCK = "stock"
    ORDERS = "orders"
    INVOICES = "invoices"
    PAYMENTS = "payments"


Amount = str | float | int


class _Record(Schema):
    source: str | None = Field(None, description="The sending system; required on bulk lines, taken from the address on PUT.")
    external_id: str | None = Field(None, description="The record's id in the sending system; required on bulk lines.")
    updated_at: str = Field(description="When the record last changed in the sending system (ISO 8601). Older than stored: ignored.")


class _Customer(Schema):
    contact_id: int | None = None
    contact_email: str | None = None
    contact_phone: str | None = Field(None, description="Any format; matched in E.164.")
    company_id: int | None = None


class CategoryRecord(_Record):
    name: str
    parent: str | None = Field(None, description='Parent path, e.g. "Shoes/Children"; missing levels are created.')
    parent_external_id: str | None = None


class ProductRecord(_Record):
    sku: str
    name: str
    price: Amount
    currency: str = Field(description="ISO 4217, e.g. HTG")
    cost: Amount | None = None
    active: bool = True
    category: str | None = Field(None, description='Category path, e.g. "Shoes/Children".')
    category_external_id: str | None = None


class StockRecord(_Record):
    sku: str
    location: str = ""
    quantity: Amount


class OrderLineRecord(Schema):
    sku: str | None = None
    description: str | None = None
    quantity: Amount = Field(description="More than zero.")
    unit_price: Amount
    discount: Amount = Field(0, description="An amount off the line.")
    currency: str | None = Field(None, description="If sent, must be the order's.")


class OrderRecord(_Record, _Customer):
    number: str
    ordered_at: str
    currency: str
    status: str = "placed"
    sales_channel: str = "shop"
    note: str = ""
    lines: list[OrderLineRecord]
    discount: Amount = 0
    tax: Amount = 0
    total: Amount | None = Field(None, description="If sent, must equal lines − discount + tax (within 0.01).")


class InvoiceRecord(_Record, _Customer):
    number: str
    issued_on: str
    due_on: str | None = None
    currency: str
    total: Amount
    status: str = Field("open", description='"open" or "void"; "paid" follows from the payments.')
    order_external_id: str | None = None
    order_number: str | None = None


class PaymentRecord(_Record, _Customer):
    received_at: str
    amount: Amount
    currency: str
    method: str = "other"
    reference: str = ""
    invoice_external_id: str | None = None
    invoice_number: str | None = None


RECORD_SCHEMAS: dict[str, type[Schema]] = {
    IngestKind.CATEGORIES: CategoryRecord, IngestKind.PRODUCTS: ProductRecord, IngestKind.STOCK: StockRecord,
    IngestKind.ORDERS: OrderRecord, IngestKind.INVOICES: InvoiceRecord, IngestKind.PAYMENTS: PaymentRecord,
}


def record_json_schema(kind: str) -> dict[str, Any]:
    """Return the JSON schema of a record, self-contained (for an OpenAPI request body)."""
    schema = RECORD_SCHEMAS[kind].model_json_schema()
    definitions = schema.pop("$defs", {})

    def inline(node: Any) -> Any:
        # "#/$defs/…" would point into the OpenAPI document's root, not this schema.
        if isinstance(node, dict):
            ref = node.get("$ref", "")
            if ref.startswith("#/$defs/"):
                return inline(definitions[ref.removeprefix("#/$defs/")])
            return {key: inline(value) for key, value in node.items()}
        if isinstance(node, list):
            return [inline(item) for item in node]
        return node

    return inline(schema)


class UpsertOut(Schema):
    result: str = Field(description="created, updated, unchanged or stale")
    id: int
    kind: str
    source: str
    external_id: str


class FieldError(Schema):
    field: str
    message: str


class LineErrors(Schema):
    line: int
    external_id: str
    errors: list[FieldError]


class BulkOut(Schema):
    received: int
    created: int
    updated: int
    unchanged: int
    stale: int
    failed: int
    errors: list[LineErrors]
