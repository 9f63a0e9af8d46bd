"""Time realistic segments (kliyan.marketing.segments) on the large workload.

    python bench/bench_segments.py [--contacts 1000000] [--orders-per-contact 5]
                                   [--database-url URL] [--data-dir DIR] [--keep] [--reuse] [--runs 5]

Reuses the database bench_commerce.py seeded (`--data-dir` / `--database-url` and `--reuse`),
or seeds one the same way (bench_contacts.py's contacts, bench_commerce.py's products, category
tree and orders; no interactions, which no segment reads). It then adds what segments ask about
and the commerce workload has not: tags, interests, consent per channel and tickets with
categories (once; a rerun finds them), and counts the customers' purchase summaries, which the
spend, order count and purchase date conditions read, as the nightly rebuild does, when that table
is empty (timed; a rerun finds them). Each segment is counted `--runs` times after one warm-up
run; the median is compared with the target (2 s on 1,000,000 contacts / 5,000,000 orders). With
`--explain` the plan of each count is printed too.

Prints one JSON document on stdout; progress goes to stderr. Like the other scripts it never reads
the DATABASE_URL of the shell nor your data directory.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_commerce as commerce_bench  # noqa: E402
import bench_contacts as contacts_bench  # noqa: E402

TARGET_MS = 2_000.0
# Segments are counted as of the day bench_commerce.py's orders end, so that "in the last 90 days"
# finds the workload's recent buyers (counted today, it would find none and time an empty branch).
CLOCK = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
TAGS = {"bench-vip": 0.10, "bench-regular": 0.30, "bench-wholesale": 0.02}
INTERESTS = {"bench-coffee": 0.20, "bench-school": 0.15}
# channel → (share granted, share withdrawn); the rest never answered.
CONSENT = {"email": (0.55, 0.10), "sms": (0.40, 0.05), "whatsapp": (0.35, 0.05)}
TICKET_SHARE = 0.05
BATCH = 50_000


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=1_000_000, help="contacts to seed (default 1000000)")
    parser.add_argument("--orders-per-contact", type=int, default=5, help="default 5")
    parser.add_argument("--products", type=int, default=5_000, help="default 5000")
    parser.add_argument("--database-url", default="", help="PostgreSQL URL; default: SQLite in the data dir")
    parser.add_argument("--data-dir", default="", help="data directory (default: a temporary one, deleted afterwards)")
    parser.add_argument("--runs", type=int, default=5, help="timed counts per segment, after one warm-up (default 5)")
    parser.add_argument("--explain", action="store_true", help="print each count's query plan to stderr")
    parser.add_argument("--only", default="", help="time only the segments whose name contains this")
    parser.add_argument("--keep", action="store_true", help="keep the temporary data directory")
    parser.add_argument("--reuse", action="store_true", help="skip seeding if the database already holds orders")
    parser.add_argument("--seed", type=int, default=7, help="random seed")
    return parser.parse_args(argv)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- Seeding what segments ask about -------------------------------------------------------------

def seed_marketing(args: argparse.Namespace) -> dict[str, Any]:
    """Add tags, interests, consent and tickets to the seeded contacts (bulk SQL; skipped if there)."""
    from django.db import connection, transaction
    from django.utils import timezone

    from kliyan.contacts.models import Contact, Interest, Tag
    from kliyan.service.models import Ticket, TicketCategory

    if Tag.objects.filter(name__in=TAGS).exists():
        return {"reused": True}
    started = time.perf_counter()
    rng = random.Random(args.seed + 11)
    insert = contacts_bench.insert_rows
    ids = list(Contact.objects.order_by("pk").values_list("pk", flat=True))
    now = timezone.now()
    stamp = connection.ops.adapt_datetimefield_value(now)
    counts = dict.fromkeys(("tag_links", "interest_links", "consents", "tickets"), 0)
    with transaction.atomic(), connection.cursor() as cursor:
        tags = {name: Tag.objects.create(name=name).pk for name in TAGS}
        interests = {name: Interest.objects.create(name=name).pk for name in INTERESTS}
        delivery = TicketCategory.objects.create(name="bench-delivery")
        categories = [TicketCategory.objects.create(name=f"bench-delivery-{n}", parent=delivery).pk for n in range(3)]
        categories.append(TicketCategory.objects.create(name="bench-billing").pk)
        for start in range(0, len(ids), BATCH):
            part = ids[start:start + BATCH]
            tag_rows = [(pk, tags[name]) for pk in part for name, share in TAGS.items() if rng.random() < share]
            interest_rows = [(pk, interests[name]) for pk in part for name, share in INTERESTS.items() if rng.random() < share]
            consent_rows = []
            for pk in part:
                for channel, (granted, withdrawn) in CONSENT.items():
                    draw = rng.random()
                    if draw < granted + withdrawn:
                        consent_rows.append((pk, channel, "granted" if draw < granted else "withdrawn", stamp))
            insert(cursor, "INSERT INTO contacts_contact_tags (contact_id, tag_id) VALUES (%s, %s)", tag_rows)
            insert(cursor, "INSERT INTO contacts_contact_interests (contact_id, interest_id) VALUES (%s, %s)", interest_rows)
            insert(cursor, "INSERT INTO contacts_consent (contact_id, channel, status, updated_at) VALUES (%s, %s, %s, %s)",
                   consent_rows)
            tickets = [
                Ticket(contact_id=pk, subject="Bench ticket", category_id=rng.choice(categories),
                       status=rng.choice(["new", "open", "waiting", "resolved", "closed", "closed", "closed", "resolved"]),
                       created_at=now - dt.timedelta(days=rng.randrange(730)))
                for pk in part if rng.random() < TICKET_SHARE
            ]
            Ticket.objects.bulk_create(tickets, batch_size=5_000)
            for key, rows in (("tag_links", tag_rows), ("interest_links", interest_rows), ("consents", consent_rows),
                              ("tickets", tickets)):
                counts[key] += len(rows)
            log(f"segments: seeded {start + len(part):,} of {len(ids):,} contacts' tags, consent and tickets")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {**counts, "seconds": round(time.perf_counter() - started, 1)}


def build_summaries() -> dict[str, Any]:
    """Count every customer's purchase summary as the nightly rebuild does, unless it is there; time it."""
    from kliyan.analytics.models import CustomerSummary
    from kliyan.analytics.services import rebuild_summaries

    if CustomerSummary.objects.exists():
        return {"reused": True}
    log("segments: counting the customers' purchase summaries …")
    started = time.perf_counter()
    customers = rebuild_summaries()
    return {"customers": customers, "seconds": round(time.perf_counter() - started, 1)}


# --- The segments ---------------------------------------------------------------------------------

def segments() -> dict[str, dict[str, Any]]:
    """Return the rules timed, named after what a marketer would call them."""
    from kliyan.commerce.models import Product, ProductCategory
    from kliyan.contacts.models import Interest, Tag
    from kliyan.service.models import TicketCategory

    vip = Tag.objects.get(name="bench-vip").pk
    coffee = Interest.objects.get(name="bench-coffee").pk
    shoes = ProductCategory.objects.filter(parent__isnull=True).order_by("pk").values_list("pk", flat=True)[1]
    product = Product.objects.order_by("pk").values_list("pk", flat=True)[0]
    delivery = TicketCategory.objects.get(name="bench-delivery").pk

    def condition(field: str, op: str, value: Any = None, **extra: Any) -> dict[str, Any]:
        return {"field": field, "op": op, **({} if value is None else {"value": value}), **extra}

    return {
        "birthday_this_month_and_email_consent": {"all": [
            condition("birthday", "this_month"), condition("consent", "granted", "email")]},
        "bought_category_90_days_or_spent_50000": {"any": [
            condition("purchased_category", "bought_in_last_days", shoes, days=90),
            condition("total_spend", "gte", 50_000)]},
        "no_purchase_180_days_and_tag": {"all": [
            condition("last_purchase", "more_than_days_ago", 180), condition("tag", "has", vip)]},
        "win_back_sms": {"all": [
            condition("order_count", "gte", 3), condition("last_purchase", "more_than_days_ago", 365),
            condition("consent", "granted", "sms")]},
        "product_30_days_interest_french": {"all": [
            condition("purchased_product", "bought_in_last_days", product, days=30),
            {"any": [condition("interest", "has", coffee), condition("language", "is", "fr")]}]},
        "open_ticket_or_delivery_ticket_whatsapp": {"all": [
            {"any": [condition("ticket", "has_open"), condition("ticket", "in_category", delivery)]},
            condition("consent", "granted", "whatsapp")]},
        "big_spenders_never_withdrew_email": {"all": [
            condition("total_spend", "gte", 100_000),
            {"any": [condition("consent", "granted", "email"), condition("consent", "never", "email")]}]},
        "birthday_next_7_days_no_open_ticket": {"all": [
            condition("birthday", "next_days", 7), {"any": [condition("ticket", "none"), condition("ticket", "had_in_last_days", 365)]}]},
    }


def measure(args: argparse.Namespace, seeded: dict[str, Any]) -> dict[str, Any]:
    from django.db import connection

    from kliyan.commerce.models import Order
    from kliyan.contacts.models import Contact
    from kliyan.marketing.segments import contacts_in, count, validate_rule

    results: dict[str, Any] = {}
    for name, rule in segments().items():
        if args.only not in name:
            continue
        validate_rule(rule)
        if args.explain:
            log(f"--- {name}\n{contacts_in(rule, now=CLOCK).order_by().explain()}")
        found = count(rule, now=CLOCK)  # warm-up: the pages the plan reads are in memory after it
        times = []
        for _run in range(args.runs):
            t0 = time.perf_counter()
            count(rule, now=CLOCK)
            times.append((time.perf_counter() - t0) * 1000)
        median = statistics.median(times)
        results[name] = {"count": found, "median_ms": round(median, 1), "runs_ms": [round(t, 1) for t in times],
                         "within_target": median <= TARGET_MS}
        log(f"{name}: {found:,} contacts, median {median:.0f} ms")
    return {
        "database": connection.vendor, "python": platform.python_version(), "machine": platform.machine(),
        "contacts": Contact.objects.count(), "orders": Order.objects.count(), "seeded": seeded,
        "target_ms": TARGET_MS, "segments": results,
        "all_within_target": all(r["within_target"] for r in results.values()),
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    temporary = not args.data_dir
    data_dir = Path(args.data_dir) if args.data_dir else Path(tempfile.mkdtemp(prefix="kliyan-bench-segments-"))
    data_dir.mkdir(parents=True, exist_ok=True)
    try:
        contact_args = contacts_bench.parse_args([
            "--contacts", str(args.contacts), "--interactions-per-contact", "0", "--seed", str(args.seed),
            *(["--database-url", args.database_url] if args.database_url else []),
        ])
        contacts_bench.setup_django(contact_args, data_dir)
        from kliyan.commerce.models import Order
        from kliyan.contacts.models import Contact

        seeded: dict[str, Any]
        if args.reuse and Order.objects.exists():
            seeded = {"reused": True}
        else:
            if Contact.objects.exists():
                raise SystemExit("The bench database already holds contacts; use --reuse or a fresh --data-dir.")
            seeded = {"contacts": contacts_bench.seed(contact_args), "commerce": commerce_bench.seed_commerce(args, args.contacts)}
        seeded["marketing"] = seed_marketing(args)
        seeded["summaries"] = build_summaries()
        if not seeded["marketing"].get("reused"):
            seeded["vacuum_seconds"] = commerce_bench.vacuum()
        print(json.dumps(measure(args, seeded), indent=2, ensure_ascii=False, default=str))
        return 0
    finally:
        if temporary and not args.keep:
            shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
