"""Seed the large workload and measure the call screen pop over HTTP and bulk order ingestion.

    python bench/bench_commerce.py [--contacts 1000000] [--orders-per-contact 5]
                                   [--interactions-per-contact 10] [--database-url URL]
                                   [--data-dir DIR] [--keep] [--reuse] [--samples 1000]

Contacts, phones, e-mails and interactions are seeded by bench_contacts.py's `seed`; this
script adds products in a category tree, orders with lines, invoices, payments and credit
terms, then builds the recommendation scores. It then starts `kliyan serve --workers 2`
(uvicorn, one process per core of the reference machine) on a free loopback port against
the seeded database and measures, over real HTTP with kept-alive connections and a Bearer
token:

- `GET /api/v1/screenpop?phone=…` for sampled callers (numbers typed as phone systems send
  them, plus 10 % unknown numbers);
- `POST /api/v1/ingest/orders/bulk` with NDJSON requests of `--bulk-size` new orders (three
  lines each) from one sender, the same requests sent again (the idempotent path), then
  `--bulk-clients` senders at once, as several systems (the shops' tills, the e-shop) send.

Prints one JSON document on stdout; progress goes to stderr. Like bench_contacts.py it never
reads the DATABASE_URL of the shell nor your data directory.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import platform
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_contacts as contacts_bench  # noqa: E402

BATCH = 20_000
WARM_UP_POPS = 300
TARGETS = {
    "screenpop_median_ms": 5.0,
    "screenpop_p99_ms": 20.0,
    "bulk_orders_per_second": 5_000.0,
}
CATEGORY_TREE = {
    "Clothes": ["Dresses", "Shirts", "Trousers", "Children's clothes"],
    "Shoes": ["Sandals", "Trainers", "School shoes"],
    "Food": ["Rice and flour", "Sugar", "Coffee", "Oil"],
    "Home": ["Kitchen", "Bedding", "Cleaning"],
    "Farming": ["Seeds", "Fertiliser", "Tools"],
    "Phones": ["Handsets", "Airtime", "Accessories"],
    "School": ["Books", "Uniforms", "Stationery"],
}
SALES_CHANNELS = ["shop", "online", "phone", "whatsapp", "facebook", "instagram", "shop", "shop"]
STATUSES = ["fulfilled"] * 6 + ["paid"] * 2 + ["placed", "cancelled"]


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=1_000_000, help="contacts to seed (default 1000000)")
    parser.add_argument("--orders-per-contact", type=int, default=5, help="default 5")
    parser.add_argument("--interactions-per-contact", type=int, default=10, help="default 10")
    parser.add_argument("--products", type=int, default=5_000, help="default 5000")
    parser.add_argument("--database-url", default="", help="PostgreSQL URL; default: SQLite in the data dir")
    parser.add_argument("--data-dir", default="", help="data directory (default: a temporary one, deleted afterwards)")
    parser.add_argument("--samples", type=int, default=1_000, help="timed screen pops (default 1000)")
    parser.add_argument("--bulk-size", type=int, default=10_000, help="orders per bulk request (default 10000)")
    parser.add_argument("--bulk-requests", type=int, default=5, help="bulk requests of new orders (default 5)")
    parser.add_argument("--bulk-clients", type=int, default=2,
                        help="senders at once in the concurrent round, each sending --bulk-requests requests (default 2)")
    parser.add_argument("--server-workers", type=int, default=2,
                        help="kliyan serve --workers: one process per core on this 2-core machine (default 2)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary data directory")
    parser.add_argument("--reuse", action="store_true", help="skip seeding if the database already holds orders")
    parser.add_argument("--seed", type=int, default=7, help="random seed")
    return parser.parse_args(argv)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- Seeding ---------------------------------------------------------------------------

def seed_commerce(args: argparse.Namespace, contact_count: int) -> dict[str, Any]:
    from django.db import connection, transaction

    from kliyan.core.organisation import get_organisation

    insert = contacts_bench.insert_rows
    adapt = connection.ops.adapt_datetimefield_value
    adapt_date = connection.ops.adapt_datefield_value
    rng = random.Random(args.seed + 2)
    currency = get_organisation().currency
    started = time.perf_counter()
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    stamp = adapt(now)
    ext = ("source", "external_id", "source_updated_at", "created_at", "updated_at")

    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA synchronous=OFF")
    with transaction.atomic(), connection.cursor() as cursor:
        categories, leaves = [], []
        for parent_name, children in CATEGORY_TREE.items():
            parent_id = len(categories) + 1
            categories.append((parent_id, "bench", f"cat-{parent_id}", stamp, stamp, stamp, parent_name, None))
            for child in children:
                child_id = len(categories) + 1
                categories.append((child_id, "bench", f"cat-{child_id}", stamp, stamp, stamp, child, parent_id))
                leaves.append(child_id)
        insert(cursor, _sql("commerce_productcategory", ("id", *ext, "name", "parent_id")), categories)
        products = []
        for i in range(1, args.products + 1):
            price = Decimal(rng.randrange(50, 500_000)) / 100
            products.append((
                i, "bench", f"p-{i}", stamp, stamp, stamp, f"SKU-{i:06d}", f"Product {i}", leaves[i % len(leaves)],
                price, currency, (price * Decimal("0.6")).quantize(Decimal("0.01")), i % 50 != 0, Decimal(rng.randrange(0, 500)),
            ))
        insert(cursor, _sql("commerce_product", ("id", *ext, "sku", "name", "category_id", "price", "currency", "cost", "active",
                                                 "stock_on_hand")), products)
    prices = {p[0]: p[9] for p in products}

    order_cols = ("id", *ext, "number", "contact_id", "company_id", "sales_channel", "ordered_at", "status", "currency", "subtotal",
                  "discount_total", "tax_total", "total", "note", "created_by_id")
    line_cols = ("order_id", "position", "product_id", "sku", "description", "quantity", "unit_price", "discount", "line_total")
    invoice_cols = ("id", *ext, "number", "contact_id", "company_id", "order_id", "issued_on", "due_on", "currency", "total",
                    "amount_paid", "status")
    payment_cols = ("contact_id", "company_id", "invoice_id", *ext, "received_at", "amount", "currency", "method", "reference")
    terms_cols = ("contact_id", "company_id", "credit_limit", "currency", "payment_terms_days", "on_hold", "note", "source",
                  "source_updated_at", "updated_at")
    counts = {"products": len(products), "categories": len(categories), "orders": 0, "order_lines": 0, "invoices": 0,
              "payments": 0, "credit_terms": 0}
    order_id = invoice_id = 0
    # Products bought together: each customer leans to one category, so co-purchases are not random.
    by_leaf: dict[int, list[int]] = {}
    for p in products:
        by_leaf.setdefault(p[8], []).append(p[0])
    leaf_list = sorted(by_leaf)
    for batch_start in range(0, contact_count, BATCH):
        orders, lines, invoices, payments, terms = [], [], [], [], []
        for contact_id in range(batch_start + 1, min(contact_count, batch_start + BATCH) + 1):
            favourite = by_leaf[leaf_list[contact_id % len(leaf_list)]]
            on_credit = contact_id % 10 == 0
            if on_credit:
                terms.append((contact_id, None, Decimal(50_000), currency, 30, contact_id % 70 == 0, "", "bench", stamp, stamp))
            for k in range(args.orders_per_contact):
                order_id += 1
                when = now - dt.timedelta(days=rng.randrange(1_095), minutes=rng.randrange(1_440))
                total = Decimal(0)
                for position in range(1 + (order_id % 4)):
                    product_id = rng.choice(favourite) if rng.random() < 0.7 else rng.randrange(1, len(products) + 1)
                    quantity = Decimal(1 + rng.randrange(3))
                    line_total = prices[product_id] * quantity
                    total += line_total
                    lines.append((order_id, position, product_id, f"SKU-{product_id:06d}", "", quantity, prices[product_id], 0,
                                  line_total))
                status = rng.choice(STATUSES)
                orders.append((
                    order_id, "bench", f"o-{order_id}", adapt(when), stamp, stamp, f"B{order_id:08d}", contact_id, None,
                    SALES_CHANNELS[order_id % len(SALES_CHANNELS)], adapt(when), status, currency, total, 0, 0, total, "", None,
                ))
                if on_credit and status != "cancelled" and k < 2:
                    invoice_id += 1
                    issued = when.date()
                    paid = total if k == 0 else Decimal(0)
                    invoices.append((
                        invoice_id, "bench", f"i-{invoice_id}", stamp, stamp, stamp, f"F{invoice_id:08d}", contact_id, None,
                        order_id, adapt_date(issued), adapt_date(issued + dt.timedelta(days=30)), currency, total, paid,
                        "paid" if paid else "open",
                    ))
                    if paid:
                        payments.append((contact_id, None, invoice_id, "bench", f"pay-{invoice_id}", stamp, stamp, stamp,
                                         adapt(when + dt.timedelta(days=10)), paid, currency, "mobile_money", ""))
        with transaction.atomic(), connection.cursor() as cursor:
            insert(cursor, _sql("commerce_order", order_cols), orders)
            insert(cursor, _sql("commerce_orderline", line_cols), lines)
            insert(cursor, _sql("commerce_invoice", invoice_cols), invoices)
            insert(cursor, _sql("commerce_payment", payment_cols), payments)
            insert(cursor, _sql("commerce_creditterms", terms_cols), terms)
        for key, rows in (("orders", orders), ("order_lines", lines), ("invoices", invoices), ("payments", payments),
                          ("credit_terms", terms)):
            counts[key] += len(rows)
        log(f"seeded {counts['orders']:,} orders in {time.perf_counter() - started:.0f} s")

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for table in ("commerce_productcategory", "commerce_product", "commerce_order", "commerce_invoice"):
                cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))")
        else:
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA analysis_limit=1000")
        cursor.execute("ANALYZE")
    seconds = time.perf_counter() - started
    rows = sum(counts.values())
    return {**counts, "seconds": round(seconds, 1), "rows_per_second": round(rows / seconds)}


def _sql(table: str, columns: tuple[str, ...]) -> str:
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))})"


def build_recommendations() -> dict[str, Any]:
    """Run the full recommendation rebuild the worker runs nightly, and time it."""
    from kliyan.analytics.services import rebuild_all

    log("building recommendation scores …")
    started = time.perf_counter()
    result = rebuild_all()
    return {"seconds": round(time.perf_counter() - started, 1), **result}


BULK_SOURCE = "bench-pos"


def remove_bulk_orders() -> dict[str, int]:
    """Delete what the bulk rounds sent, so that every --reuse run starts from the seeded database.

    The bulk rounds' customers were only marked for a recount (no worker runs during the
    bench); the marks go with the orders, so the recommendation counts stay those of the
    seeded orders and no pop takes the slower path of a customer awaiting a recount.
    """
    from django.db import connection, transaction

    removed = dict.fromkeys(("lines", "audit_entries", "orders"), 0)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT id FROM commerce_order WHERE source = %s", [BULK_SOURCE])
        ids = [row[0] for row in cursor.fetchall()]
        for start in range(0, len(ids), 5000):
            part = ids[start:start + 5000]
            marks = ", ".join(["%s"] * len(part))
            for label, sql, params in (
                ("lines", f"DELETE FROM commerce_orderline WHERE order_id IN ({marks})", part),
                ("audit_entries", f"DELETE FROM core_auditentry WHERE object_type = 'commerce.order' AND object_id IN ({marks})",
                 [str(pk) for pk in part]),
                ("orders", f"DELETE FROM commerce_order WHERE id IN ({marks})", part),
            ):
                cursor.execute(sql, params)
                removed[label] += cursor.rowcount
        cursor.execute("DELETE FROM analytics_pendingcustomer")
        removed["pending_marks"] = cursor.rowcount
    if removed["orders"]:
        log(f"removed the {removed['orders']:,} orders of earlier bulk rounds")
        if connection.vendor == "postgresql":
            # The deleted rows sit at the newest end of the order indexes. Until a vacuum
            # removes them, PostgreSQL's planner reads past every one of them whenever a
            # query asks about recent orders (it looks up the index's actual newest value),
            # and planning the pop took 20–40 ms instead of 3. Autovacuum would wait for a
            # million dead rows here; a server that has not just deleted 150,000 of its
            # newest orders has no such pile.
            with connection.cursor() as cursor:
                cursor.execute("VACUUM (ANALYZE) commerce_order, commerce_orderline, core_auditentry")
    return removed


def vacuum() -> float:
    """On PostgreSQL, VACUUM (ANALYZE) what was just loaded, as autovacuum does on a server that has run a while.

    Until a table is vacuumed its visibility map is empty, so every index-only scan (the
    recommendations' partner walk, say) still reads the table's pages.
    """
    from django.db import connection

    if connection.vendor != "postgresql":
        return 0.0
    log("vacuuming …")
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")
    return round(time.perf_counter() - started, 1)


# --- The server and HTTP ---------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(args: argparse.Namespace, data_dir: Path) -> tuple[subprocess.Popen, int]:
    port = _free_port()
    env = {**os.environ, "KLIYAN_DATA_DIR": str(data_dir), "KLIYAN_ALLOWED_HOSTS": "127.0.0.1,localhost"}
    env.pop("DATABASE_URL", None)
    env.pop("KLIYAN_DEBUG", None)
    if args.database_url:
        env["DATABASE_URL"] = args.database_url
    server = subprocess.Popen(
        [sys.executable, "-m", "kliyan", "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(args.server_workers)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"kliyan serve stopped: {server.stderr.read().decode()[-2000:]}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/api/v1/health")
            if connection.getresponse().status == 200:
                return server, port
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("kliyan serve did not answer within 120 s")


class Api:
    """One kept-alive HTTP connection with a Bearer token, as a call-centre integration holds."""

    def __init__(self, port: int, token: str) -> None:
        self.port = port
        self.headers = {"Authorization": f"Bearer {token}"}
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        self.connection.request(method, path, body=body, headers={**self.headers, **(headers or {})})
        response = self.connection.getresponse()
        return response.status, response.read()


# --- Measuring -------------------------------------------------------------------------

def warm_page_cache(database: Path) -> None:
    """Read the SQLite files once, as a server that has been answering for a while has them in memory.

    Without it the first thousands of pops each wait on the disk for pages of a 10 GB file
    that a running server would long have cached; the figure would measure the disk.
    """
    started = time.perf_counter()
    for path in sorted(database.parent.glob(database.name + "*")):
        with open(path, "rb") as handle:
            while handle.read(16 * 1024 * 1024):
                pass
    log(f"read the database files into the page cache in {time.perf_counter() - started:.0f} s")


def warm_postgresql() -> None:
    """Read every table and index of the database once (pg_prewarm), as warm_page_cache does for SQLite.

    Between seeding and measuring, other work (seeding the SQLite bench, say) may have pushed
    the 15 GB database out of the operating system's cache; a pop would then measure the disk.
    """
    from django.db import connection

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_prewarm")
        cursor.execute(
            "SELECT SUM(pg_prewarm(c.oid::regclass, 'read')) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'i', 'm')"
        )
    log(f"read the database's tables and indexes into the page cache in {time.perf_counter() - started:.0f} s")


def measure(args: argparse.Namespace, data_dir: Path, seeded: dict[str, Any]) -> dict[str, Any]:
    from urllib.parse import quote

    from django.db import connection

    from kliyan.accounts.models import Role, User
    from kliyan.accounts.services import token_create
    from kliyan.commerce.models import Order
    from kliyan.contacts.models import Contact

    rng = random.Random(args.seed + 3)
    agent = User.objects.get(username="bench-agent")
    integration, _ = User.objects.get_or_create(username="bench-integration", defaults={"role": Role.MANAGER})
    _t, agent_token = token_create(actor=agent, user=agent, name="bench screen pop")
    _t, integration_token = token_create(actor=integration, user=integration, name="bench ingestion", scope="write")
    max_id = Contact.objects.order_by("-id").values_list("id", flat=True).first()
    ids = [rng.randint(1, max_id) for _ in range(args.samples)]
    people = dict(Contact.objects.filter(pk__in=ids).values_list("id", "primary_phone"))
    numbers = [contacts_bench._typed_forms(people[i], rng) for i in ids if people.get(i)]
    numbers += [f"+50948{rng.randrange(10**6):06d}" for _ in range(len(numbers) // 10)]
    rng.shuffle(numbers)
    totals = {"contacts": Contact.objects.count(), "orders": Order.objects.count()}
    remove_bulk_orders()
    if connection.vendor == "sqlite":
        warm_page_cache(Path(connection.settings_dict["NAME"]))
    else:
        warm_postgresql()
    connection.close()  # the server has the database to itself while we measure

    server, port = start_server(args, data_dir)
    results: dict[str, Any] = {}
    try:
        api = Api(port, agent_token)
        status, body = api.request("GET", "/api/v1/screenpop?phone=" + quote(numbers[0]))
        if status != 200:
            raise SystemExit(f"/api/v1/screenpop answered {status}: {body[:500]!r}")
        # Until each of the server's threads has compiled its statements (core.prepared) and
        # each pooled connection has prepared them on PostgreSQL (after five runs): a server
        # that has been answering calls for a while, as the page cache above.
        for number in numbers[:WARM_UP_POPS]:
            api.request("GET", "/api/v1/screenpop?phone=" + quote(number))
        samples, matched = [], 0
        for number in numbers:
            t0 = time.perf_counter()
            status, body = api.request("GET", "/api/v1/screenpop?phone=" + quote(number))
            samples.append((time.perf_counter() - t0) * 1000)
            if status != 200:
                raise SystemExit(f"/api/v1/screenpop answered {status}: {body[:500]!r}")
            matched += bool(json.loads(body).get("matched"))
        results["screenpop_http"] = {**contacts_bench._summary(samples), "matched": matched}
        # What any request costs here (uvicorn and the middleware, no token check): the floor under the pop.
        samples = []
        for _ in range(len(numbers)):
            t0 = time.perf_counter()
            api.request("GET", "/api/v1/health")
            samples.append((time.perf_counter() - t0) * 1000)
        results["health_http"] = contacts_bench._summary(samples)
        results["screenpop_example"] = json.loads(api.request("GET", "/api/v1/screenpop?phone=" + quote(numbers[1]))[1])
        results.update(measure_bulk(args, port, integration_token, max_id))
    finally:
        server.terminate()
        server.wait(timeout=30)

    figures = {
        "screenpop_median_ms": results["screenpop_http"]["median"],
        "screenpop_p99_ms": results["screenpop_http"]["p99"],
        "bulk_orders_per_second": results["bulk_new"]["orders_per_second"],
        "bulk_orders_per_second_concurrent": results["bulk_new_concurrent"]["orders_per_second"],
    }
    meets = {
        "screenpop_median_ms": figures["screenpop_median_ms"] <= TARGETS["screenpop_median_ms"],
        "screenpop_p99_ms": figures["screenpop_p99_ms"] <= TARGETS["screenpop_p99_ms"],
        "bulk_orders_per_second": figures["bulk_orders_per_second"] >= TARGETS["bulk_orders_per_second"],
        "bulk_orders_per_second_concurrent": figures["bulk_orders_per_second_concurrent"] >= TARGETS["bulk_orders_per_second"],
    }
    return {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count()},
        "database": {"vendor": connection.vendor, "version": contacts_bench._db_version(connection),
                     "size_mb": contacts_bench._db_size_mb(connection)},
        **totals, "seeding": seeded, "results": results, "figures": figures, "targets": TARGETS, "meets_targets": meets,
    }


def order_record(n: int, contact_id: int, run: str) -> dict[str, Any]:
    """One order as a point of sale would send it: three lines, the customer by Kliyan id."""
    lines = []
    for position in range(3):
        product = 1 + (n * 3 + position) % 4_000
        lines.append({"sku": f"SKU-{product:06d}", "quantity": str(1 + position), "unit_price": "125.50"})
    return {
        "source": BULK_SOURCE, "external_id": f"{run}-{n}", "number": f"POS-{run}-{n:08d}",
        "updated_at": "2026-06-01T10:00:00Z", "ordered_at": "2026-06-01T09:58:00Z",
        "contact_id": contact_id, "sales_channel": "shop", "status": "paid", "currency": "HTG", "lines": lines,
    }


def _bulk_bodies(args: argparse.Namespace, rng: random.Random, max_id: int, run: str, first: int) -> list[bytes]:
    bodies = []
    for r in range(args.bulk_requests):
        start = first + r * args.bulk_size
        records = [order_record(start + i, rng.randint(1, max_id), run) for i in range(args.bulk_size)]
        bodies.append("\n".join(json.dumps(rec) for rec in records).encode())
    return bodies


def _send(port: int, token: str, bodies: list[bytes]) -> list[dict[str, Any]]:
    """Send the bodies one after the other on one kept-alive connection; return the answers."""
    api = Api(port, token)
    answers = []
    for body in bodies:
        status, answer = api.request("POST", "/api/v1/ingest/orders/bulk", body, {"Content-Type": "application/x-ndjson"})
        if status != 200:
            raise SystemExit(f"/api/v1/ingest/orders/bulk answered {status}: {answer[:1000]!r}")
        answers.append(json.loads(answer))
    return answers


def _round(label: str, port: int, token: str, senders: list[list[bytes]]) -> dict[str, Any]:
    """Time the senders running at once (each its own connection, as separate systems would)."""
    from concurrent.futures import ThreadPoolExecutor

    t0 = time.perf_counter()
    with ThreadPoolExecutor(len(senders)) as pool:
        answers = [a for batch in pool.map(lambda bodies: _send(port, token, bodies), senders) for a in batch]
    seconds = time.perf_counter() - t0
    orders = sum(a.get("received", 0) for a in answers)
    summary = {k: sum(a.get(k, 0) for a in answers) for k in ("received", "created", "updated", "unchanged", "stale", "failed")}
    result = {"orders": orders, "senders": len(senders), "requests": sum(len(b) for b in senders),
              "seconds": round(seconds, 2), "orders_per_second": round(orders / seconds), **summary}
    log(f"{label}: {result}")
    return result


def measure_bulk(args: argparse.Namespace, port: int, token: str, max_id: int) -> dict[str, Any]:
    """Bulk NDJSON ingestion: one sender, the same orders sent again, then several senders at once."""
    rng = random.Random(args.seed + 4)
    run = dt.datetime.now(dt.UTC).strftime("%Y%m%d%H%M%S")  # new keys on every run, also with --reuse
    bodies = _bulk_bodies(args, rng, max_id, run, 0)
    concurrent = [
        _bulk_bodies(args, rng, max_id, run, (1 + n) * args.bulk_requests * args.bulk_size) for n in range(args.bulk_clients)
    ]
    results = {
        "bulk_new": _round("bulk_new", port, token, [bodies]),
        "bulk_resent": _round("bulk_resent", port, token, [bodies]),
        "bulk_new_concurrent": _round("bulk_new_concurrent", port, token, concurrent),
    }
    remove_bulk_orders()
    return results


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    temporary = not args.data_dir
    data_dir = Path(args.data_dir) if args.data_dir else Path(tempfile.mkdtemp(prefix="kliyan-bench-commerce-"))
    data_dir.mkdir(parents=True, exist_ok=True)
    try:
        contact_args = contacts_bench.parse_args([
            "--contacts", str(args.contacts), "--interactions-per-contact", str(args.interactions_per_contact),
            "--seed", str(args.seed), *(["--database-url", args.database_url] if args.database_url else []),
        ])
        contacts_bench.setup_django(contact_args, data_dir)
        from kliyan.commerce.models import Order
        from kliyan.contacts.models import Contact

        if args.reuse and Order.objects.exists():
            from kliyan.analytics.models import ProductPair

            seeded: dict[str, Any] = {"reused": True}
            if not ProductPair.objects.exists():
                seeded["recommendations"] = build_recommendations()
        else:
            if Contact.objects.exists():
                raise SystemExit("The bench database already holds contacts; use --reuse or a fresh --data-dir.")
            seeded = {"contacts": contacts_bench.seed(contact_args)}
            seeded["commerce"] = seed_commerce(args, args.contacts)
            seeded["recommendations"] = build_recommendations()
            seeded["vacuum_seconds"] = vacuum()
        report = measure(args, data_dir, seeded)
        print(json.dumps(report, indent=2, ensure_ascii=False, default=str))
        return 0
    finally:
        if temporary and not args.keep:
            shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
