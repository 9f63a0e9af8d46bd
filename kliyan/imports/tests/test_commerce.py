"""Products and orders imported from spreadsheets go through the commerce ingestion: same checks, same keys."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from kliyan.commerce.models import Order, Product
from kliyan.contacts.services import contact_create
from kliyan.core.models import AuditEntry
from kliyan.imports import mapping as field_mapping
from kliyan.imports import services
from kliyan.imports.choices import ImportStatus, RecordAction
from kliyan.imports.commerce import number_text
from kliyan.imports.models import ImportedRecord, ImportProblem

from .conftest import FIXTURES

pytestmark = pytest.mark.django_db

PRODUCTS = (FIXTURES / "products.csv").read_bytes()
ORDERS = (FIXTURES / "orders.csv").read_bytes()


def problems(imported) -> list[tuple[int, str, str]]:
    return list(ImportProblem.objects.filter(import_run=imported).order_by("row", "id").values_list("row", "column", "message"))


def test_products_are_imported_with_spreadsheet_numbers_and_the_organisations_currency(importer, manager):
    imported = importer(PRODUCTS, "produits.csv", target="products")

    assert (imported.status, imported.rows_read, imported.created, imported.failed) == (ImportStatus.DONE, 5, 2, 3)
    bread, coffee = Product.objects.order_by("sku").values_list("sku", "price", "cost", "currency", "active", "source", "external_id")[:2]
    assert coffee == ("PAIN-01", Decimal("25.0000"), Decimal("12.5000"), "HTG", True, "import", "PAIN-01")
    assert bread[:5] == ("KAFE-250", Decimal("1250.0000"), Decimal("900.0000"), "HTG", True)
    assert Product.objects.get(sku="PAIN-01").category.name == "Pain"
    assert AuditEntry.objects.filter(object_type="commerce.product", action="create", actor=manager).count() == 2
    assert set(ImportedRecord.objects.filter(import_run=imported).values_list("kind", "action")) == {("product", RecordAction.CREATED)}


def test_bad_product_rows_are_reported_by_row_and_column(importer):
    imported = importer(PRODUCTS, "produits.csv", target="products")

    found = problems(imported)
    assert [(row, column) for row, column, _message in found] == [(4, "Prix de vente"), (5, "Code article"), (6, "En vente")]
    assert "douze" in found[0][2] and found[2][2] == "Write yes or no."


def test_an_order_is_made_of_the_rows_with_its_number_and_bad_orders_are_reported(importer, agent):
    importer(PRODUCTS, "produits.csv", target="products")
    ana = contact_create(actor=agent, data={"first_name": "Ana", "emails": [{"email": "ana@example.ro"}]})

    imported = importer(ORDERS, "orders.csv", target="orders", source="shop-export")

    assert (imported.rows_read, imported.created, imported.failed) == (5, 1, 2)
    order = Order.objects.get()
    assert (order.number, order.source, order.external_id, order.contact, order.total) == ("A-1001", "shop-export", "A-1001", ana, Decimal("1250.0000"))
    assert order.ordered_at == dt.datetime(2026, 3, 14, 14, 30, tzinfo=dt.UTC)  # 10:30 in Port-au-Prince (summer time)
    assert [(line.sku, line.quantity, line.product.name) for line in order.lines.order_by("position")] == [
        ("PAIN-01", Decimal("2.000"), "Pain au beurre"), ("KAFE-250", Decimal("1.000"), "Kafe Rebo 250 g"),
    ]
    assert [(row, column) for row, column, _message in problems(imported)] == [(4, "Customer e-mail"), (5, "Quantity"), (6, "")]
    assert "row 5" in problems(imported)[2][2]


def test_importing_the_same_orders_again_changes_nothing_or_updates_as_chosen(importer, agent):
    importer(PRODUCTS, "produits.csv", target="products")
    contact_create(actor=agent, data={"first_name": "Ana", "emails": [{"email": "ana@example.ro"}]})
    importer(ORDERS, "orders.csv", target="orders")

    skipped = importer(ORDERS, "orders.csv", target="orders")
    updated = importer(ORDERS, "orders.csv", target="orders", on_duplicate="update")

    assert (skipped.created, skipped.skipped, updated.created, updated.updated) == (0, 1, 0, 1)
    assert Order.objects.count() == 1 and Order.objects.get().lines.count() == 2


def test_the_rows_of_one_order_must_follow_each_other(importer):
    content = "Order number,Order date,Description,Quantity,Unit price\nB-1,2026-03-01,Tea,1,10\nB-2,2026-03-01,Tea,1,10\nB-1,,Cake,1,5\n"

    imported = importer(content, "orders.csv", target="orders")

    assert (imported.created, imported.failed) == (1, 1)
    assert Order.objects.get().number == "B-2"
    assert [(row, column) for row, column, _message in problems(imported)] == [(2, ""), (4, "Order number")]


def test_a_dry_run_of_products_counts_and_writes_nothing(importer):
    imported = importer(PRODUCTS, "produits.csv", target="products", dry_run=True)

    assert (imported.status, imported.created, imported.failed) == (ImportStatus.CHECKED, 2, 3)
    assert not Product.objects.exists() and not ImportedRecord.objects.exists()


def test_products_and_orders_are_not_undone_and_cannot_be_created_twice(importer, manager):
    imported = importer(PRODUCTS, "produits.csv", target="products")

    assert not imported.can_undo
    with pytest.raises(services.Conflict):
        services.import_undo(actor=manager, import_=imported, enqueue=False)
    with pytest.raises(services.ValidationFailed) as refused:
        importer(PRODUCTS, "produits.csv", target="products", on_duplicate="create")
    assert "on_duplicate" in refused.value.field_errors


@pytest.mark.parametrize(("headers", "target", "expected"), [
    ("Cod produs;Denumire;Categorie;Preț;Monedă;Activ", "products", ["sku", "name", "category", "price", "currency", "active"]),
    ("Kòd pwodwi;Non pwodwi;Pri;Lajan", "products", ["sku", "name", "price", "currency"]),
    ("Numri i porosisë;Data e porosisë;Përshkrimi;Sasia;Çmimi", "orders",
     ["number", "ordered_at", "line_description", "line_quantity", "line_unit_price"]),
    ("Nambala ya oda;Tsiku la oda;Katundu;Kuchuluka;Mtengo", "orders",
     ["number", "ordered_at", "line_description", "line_quantity", "line_unit_price"]),
    ("N° de commande;Date de commande;Code article;Qté;Prix unitaire;Remise", "orders",
     ["number", "ordered_at", "line_sku", "line_quantity", "line_unit_price", "line_discount"]),
])
def test_columns_are_guessed_in_the_six_languages(headers, target, expected):
    columns = headers.split(";")

    assert list(field_mapping.guess_mapping(columns, target).values()) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("1 250,50", "1250.50"), ("1,250.50", "1250.50"), ("12,5", "12.5"), ("1.250,50", "1250.50"), ("25", "25"), ("douze", "douze"),
])
def test_spreadsheet_numbers_are_read(text, expected):
    assert number_text(text) == expected


def test_the_page_says_orders_are_counted_and_not_undone(importer, manager, client_as):
    imported = importer(ORDERS, "orders.csv", target="orders")

    html = client_as(manager).get(reverse("imports:detail", args=[imported.pk])).content.decode()

    assert "cannot be undone" in html and reverse("imports:undo", args=[imported.pk]) not in html


def test_the_api_imports_orders_for_managers_only(users, client_as, django_capture_on_commit_callbacks):
    from django.core.files.uploadedfile import SimpleUploadedFile

    refused = client_as(users["agent"]).post("/api/v1/imports", {"file": SimpleUploadedFile("o.csv", ORDERS), "target": "orders"})
    with django_capture_on_commit_callbacks(execute=True):
        response = client_as(users["manager"]).post(
            "/api/v1/imports", {"file": SimpleUploadedFile("o.csv", ORDERS), "target": "orders", "source": "till"},
        )

    assert refused.status_code == 403
    body = response.json()
    assert response.status_code == 202 and body["source"] == "till"
    assert body["mapping"]["Order number"] == "number"



def test_the_mapping_page_previews_products_as_read_and_takes_a_source_system(manager, client_as):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from kliyan.imports.models import Import

    client = client_as(manager)
    client.post(reverse("imports:new"), {"file": SimpleUploadedFile("produits.csv", PRODUCTS), "target": "products"})
    imported = Import.objects.get()

    page = client.get(imported.get_absolute_url()).content.decode()
    assert "1250.00" in page and "Write yes or no." in page and 'name="source"' in page

    form = {f"column_{n}": key for n, key in enumerate(imported.mapping[h] for h in imported.headers)}
    response = client.post(imported.get_absolute_url(), {**form, "on_duplicate": "update", "source": "caisse", "action": "preview"})
    assert response.status_code == 302
    imported.refresh_from_db()
    assert (imported.source, imported.on_duplicate) == ("caisse", "update")
