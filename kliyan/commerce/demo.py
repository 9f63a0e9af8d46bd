"""Demo purchases: a small shop's catalogue, orders, invoices, payments and credit terms.

Written through the ingestion services, exactly as the shop's till and accounts would send
them (source "demo-shop"), so the demo shows ingested data the way a real installation has
it: validated, audited, announced, and counted by recommendations.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

from kliyan.commerce.services import records_ingest
from kliyan.commerce.terms import credit_terms_set, exchange_rate_set
from kliyan.contacts.models import Company, Contact
from kliyan.core.organisation import get_organisation

# (category path, name, price in the organisation's currency, cost)
CATALOGUE: tuple[tuple[str, str, int, int], ...] = (
    ("Shoes/Women", "Sandals, leather", 2_500, 1_400),
    ("Shoes/Women", "Court shoes, black", 4_200, 2_500),
    ("Shoes/Men", "Trainers, white", 3_900, 2_300),
    ("Shoes/Children", "School shoes", 1_800, 1_000),
    ("Shoes/Care", "Shoe polish", 250, 90),
    ("Perfume", "Eau de toilette 50 ml", 3_500, 1_600),
    ("Perfume", "Body spray", 600, 250),
    ("Fabric", "Wax print, 6 yards", 2_200, 1_300),
    ("Fabric", "Cotton, plain, per metre", 350, 180),
    ("Fabric/Sewing", "Thread, set of 12", 300, 120),
    ("Phones", "Smartphone A15", 18_500, 14_800),
    ("Phones/Accessories", "Phone case", 600, 200),
    ("Phones/Accessories", "Charger, USB-C", 900, 350),
    ("Phones/Airtime", "Airtime card 500", 500, 470),
    ("Coffee", "Coffee beans, 1 kg", 1_200, 700),
    ("Coffee", "Coffee grinder", 2_800, 1_700),
    ("Fertiliser", "NPK fertiliser, 50 kg", 6_500, 5_200),
    ("Fertiliser", "Urea, 50 kg", 5_900, 4_800),
    ("Fertiliser/Tools", "Hoe", 1_100, 600),
    ("Jewellery", "Silver bracelet", 4_800, 2_100),
    ("Jewellery", "Earrings, gold-plated", 2_600, 1_100),
    ("School supplies", "Exercise books, pack of 10", 450, 220),
    ("School supplies", "Pens, box of 20", 300, 140),
    ("School supplies", "School bag", 2_000, 1_100),
    ("Cosmetics", "Shea butter cream", 750, 300),
    ("Cosmetics", "Lipstick", 900, 350),
    ("Kitchenware", "Cooking pot, 10 l", 2_400, 1_500),
    ("Kitchenware", "Set of plates", 1_600, 900),
)
# Things that go together, so "goes well with what they bought" has something to say.
BUNDLES = ((0, 4), (2, 4), (3, 21), (3, 23), (10, 11), (10, 12), (14, 15), (16, 18), (17, 18), (19, 20), (24, 25), (26, 27), (7, 9))
CHANNELS = ("shop", "shop", "shop", "whatsapp", "phone", "online", "facebook", "instagram")


def _ingest(actor: Any, kind: str, records: list[tuple[int, dict[str, Any]]]) -> int:
    done = records_ingest(actor=actor, kind=kind, records=records)
    if done.failed:  # the demo is ours: a refused record is a bug, not bad input
        raise RuntimeError(f"Demo {kind} refused: {done.errors[:3]}")
    return done.created


def load_demo_commerce(*, actor: Any, contacts: list[Contact], companies: list[Company], rng: random.Random, now: dt.datetime) -> dict[str, int]:
    """Load products, orders for most contacts, invoices and payments for credit customers."""
    currency = get_organisation().currency
    stamp = now.isoformat()
    skus = [f"DEMO-{n + 1:03d}" for n in range(len(CATALOGUE))]
    _ingest(actor, "products", [
        (n, {"source": "demo-shop", "external_id": sku, "updated_at": stamp, "sku": sku, "name": name, "category": path,
             "price": str(price), "cost": str(cost), "currency": currency})
        for n, (sku, (path, name, price, cost)) in enumerate(zip(skus, CATALOGUE, strict=True))
    ])
    _ingest(actor, "stock", [
        (n, {"source": "demo-shop", "external_id": f"{sku}@shop", "updated_at": stamp, "sku": sku, "location": "Shop",
             "quantity": str(rng.randrange(0, 60))})
        for n, sku in enumerate(skus)
    ])
    exchange_rate_set(actor=actor, currency="USD" if currency != "USD" else "EUR", valid_from=(now - dt.timedelta(days=800)).date(),
                      rate=Decimal("131.5") if currency == "HTG" else Decimal("1.1"))

    orders, invoices, payments = [], [], []
    number = 1000
    credit_customers = contacts[::9]
    on_credit = {c.pk for c in credit_customers}
    for contact in contacts:
        if rng.random() < 0.3:
            continue
        for _ in range(rng.choice((1, 1, 2, 3, 5))):
            number += 1
            when = now - dt.timedelta(days=rng.randrange(1, 720), hours=rng.randrange(9, 18))
            first = rng.randrange(len(CATALOGUE))
            picks = {first}
            partners = [b for a, b in BUNDLES if a == first] + [a for a, b in BUNDLES if b == first]
            if partners and rng.random() < 0.7:
                picks.add(rng.choice(partners))
            if rng.random() < 0.3:
                picks.add(rng.randrange(len(CATALOGUE)))
            lines = [{"sku": skus[p], "quantity": str(rng.choice((1, 1, 1, 2, 3))), "unit_price": str(CATALOGUE[p][2])} for p in sorted(picks)]
            order = {"source": "demo-shop", "external_id": f"T{number}", "updated_at": when.isoformat(), "number": f"T{number}",
                     "ordered_at": when.isoformat(), "currency": currency, "contact_id": contact.pk,
                     "sales_channel": rng.choice(CHANNELS), "status": rng.choice(("fulfilled", "fulfilled", "paid", "cancelled")),
                     "lines": lines}
            if contact.company_id and rng.random() < 0.5:
                order["company_id"] = contact.company_id
            orders.append((len(orders), order))
            if contact.pk in on_credit and order["status"] != "cancelled":
                total = sum(Decimal(line["unit_price"]) * int(line["quantity"]) for line in lines)
                issued = when.date()
                invoices.append((len(invoices), {
                    "source": "demo-shop", "external_id": f"F{number}", "updated_at": when.isoformat(), "number": f"F{number}",
                    "issued_on": issued.isoformat(), "due_on": (issued + dt.timedelta(days=30)).isoformat(), "currency": currency,
                    "total": str(total), "order_number": f"T{number}",
                }))
                if rng.random() < 0.6:
                    paid_at = when + dt.timedelta(days=rng.randrange(1, 25))
                    payments.append((len(payments), {
                        "source": "demo-shop", "external_id": f"P{number}", "updated_at": paid_at.isoformat(),
                        "received_at": paid_at.isoformat(), "amount": str(total), "currency": currency,
                        "method": rng.choice(("cash", "mobile_money", "bank_transfer")), "invoice_external_id": f"F{number}",
                    }))
    summary = {kind: _ingest(actor, kind, records) for kind, records in (("orders", orders), ("invoices", invoices), ("payments", payments))}
    for contact in credit_customers:
        credit_terms_set(actor=actor, contact=contact, data={
            "credit_limit": str(rng.choice((25_000, 50_000, 100_000))), "payment_terms_days": 30, "on_hold": rng.random() < 0.1,
        })
    for company in companies[::4]:
        credit_terms_set(actor=actor, company=company, data={"credit_limit": "250000", "payment_terms_days": 45})
    return summary

