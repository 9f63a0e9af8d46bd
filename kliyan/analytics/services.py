"""Writes of the analytics app: count who bought what together, and each customer's purchases, fully or for a few.

How the numbers are made (all set-based SQL, so 5,000,000 orders never pass through Python):

1. CustomerProduct: the purchase lines of purchase orders (status in PURCHASE_STATUSES,
   with a contact and a product), grouped to one row per distinct (customer, product) with
   the last time it was bought, and ranked per customer by recency (a window function).
2. ProductStat: per product, the number of customers who bought it.
3. ProductPair: a self-join of CustomerProduct on the customer, grouped by product pair.
4. CustomerSummary: per customer, the number of purchase orders, the spend, the first and
   last purchase (analytics.summaries), which the segments read.

The cap. A customer who bought n products contributes n(n-1)/2 pairs, so one wholesaler
with 5,000 products would add 12.5 million rows to the join by itself and dominate every
score. Only a customer's BASKET_CAP most recently bought products count towards stats
and pairs (at most 1,225 pairs each); what people buy now is also the better signal.
A customer's full history still counts as "already bought" when recommending.

Incremental refresh. An order change marks its customer pending (PendingCustomer, written
in the writer's transaction). `refresh_pending` then, for a chunk of pending customers,
subtracts what their stored baskets contributed, recounts their baskets from the orders,
adds the new contribution back, and scores again the pairs whose counts changed (and
all pairs of a product whose customer count has drifted by more than SCORE_DRIFT).
Recounting a customer's whole basket (rather than adding "new products × old products")
also handles cancelled and refunded orders and the cap moving, and makes a refresh of
any customer any number of times give the same counts as a full rebuild. A pending
customer's summary is counted again from their orders in the same transaction.

The full rebuild and the refresh never interleave: both take the same lock (a
transaction-level advisory lock on PostgreSQL; SQLite's IMMEDIATE transactions already
let one writer in at a time, so on SQLite order writes wait while a rebuild runs). The
rebuild replaces the tables inside one transaction, so readers (the screen pop) see the
old numbers until it commits, never half-built ones. It leaves the pending marks alone:
recounting a customer again is harmless, while deleting a mark whose order it did not
see would lose that order until the next night.

What no order event reports (a contact erased, a product deleted) is set right by the
nightly rebuild; a merge marks the contacts involved (analytics.events.on_contacts_merged).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection, transaction
from django.db.models import F, Max, QuerySet
from django.utils import timezone

from kliyan.analytics.models import (
    CustomerProduct,
    CustomerSummary,
    PendingCustomer,
    ProductPair,
    ProductStat,
    RecommendationRun,
    RunStatus,
)
from kliyan.analytics.summaries import write_summaries
from kliyan.commerce.choices import PURCHASE_STATUSES
from kliyan.commerce.models import Order, OrderLine
from kliyan.core.audit import record
from kliyan.core.models import AuditAction

logger = logging.getLogger(__name__)

# Products per customer that count towards pairs (see the module docstring).
BASKET_CAP = 50
# Pending customers recounted per statement batch: keeps the IN (…) lists of product ids
# (at most 2 × CHUNK × BASKET_CAP) below SQLite's limit of 32,766 parameters.
CHUNK = 100
# A product's customer count may move by this fraction of the count its pairs were last
# all scored with before they are all scored again. Scores go with 1/sqrt(count), so a
# score is then off by roughly this fraction at worst (typically much less). Rescoring
# every pair of a product at each new customer would rewrite most of the table on every
# refresh (bestsellers pair with almost everything); pairs whose own counts change are
# always scored exactly, and the nightly rebuild makes every score exact again.
SCORE_DRIFT = 0.1
ABANDONED_AFTER = dt.timedelta(hours=6)
# An arbitrary constant naming "the recommendation tables" for pg_advisory_xact_lock.
LOCK_KEY = 7_305_001

CP = CustomerProduct._meta.db_table
SUMMARY = CustomerSummary._meta.db_table
STAT = ProductStat._meta.db_table
PAIR = ProductPair._meta.db_table


def _placeholders(values: Sequence[Any]) -> str:
    return ", ".join(["%s"] * len(values))


def _lock(cursor: Any) -> None:
    """Wait until no other rebuild or refresh holds the recommendation tables."""
    if connection.vendor == "postgresql":
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])


def _analyze(cursor: Any, *tables: str) -> None:
    """Give PostgreSQL's planner fresh statistics of tables just refilled (autovacuum comes later)."""
    if connection.vendor == "postgresql":
        for table in tables:
            cursor.execute(f"ANALYZE {table}")


def purchases(contact_ids: Sequence[int] | None = None) -> QuerySet:
    """Return (buyer_id, item_id, last_bought_at) for each distinct purchase, optionally of some customers."""
    lines = OrderLine.objects.filter(
        order__status__in=PURCHASE_STATUSES, order__contact__isnull=False, product__isnull=False,
    )
    if contact_ids is not None:
        lines = lines.filter(order__contact_id__in=list(contact_ids))
    return (
        lines.values(buyer_id=F("order__contact_id"), item_id=F("product_id"))
        .annotate(last_bought_at=Max("order__ordered_at"))
        .order_by()
    )


def _insert_customer_products(cursor: Any, contact_ids: Sequence[int] | None) -> None:
    """Write the distinct purchases (of everyone, or of `contact_ids`) with their recency ranks."""
    inner, params = purchases(contact_ids).query.sql_with_params()
    cursor.execute(
        f"INSERT INTO {CP} (contact_id, product_id, last_bought_at, recency_rank) "
        "SELECT buyer_id, item_id, last_bought_at, "
        "ROW_NUMBER() OVER (PARTITION BY buyer_id ORDER BY last_bought_at DESC, item_id DESC) "
        f"FROM ({inner}) bought",
        params,
    )


def _pairs_sql(where: str) -> tuple[str, str]:
    """Return a WITH clause and a SELECT of (a, b, n): each product pair in both directions, and its customers."""
    # Each unordered pair is counted once (x < y), then emitted in both directions.
    with_clause = (
        "WITH together AS ("
        " SELECT x.product_id AS a, y.product_id AS b, COUNT(*) AS n"
        f" FROM {CP} x JOIN {CP} y ON y.contact_id = x.contact_id AND y.product_id > x.product_id"
        f" WHERE x.recency_rank <= %s AND y.recency_rank <= %s {where}"
        " GROUP BY x.product_id, y.product_id)"
    )
    return with_clause, "SELECT a, b, n FROM together UNION ALL SELECT b, a, n FROM together"


def rebuild_all() -> dict[str, int]:
    """Recount every customer's basket, product and pair from the orders; return the counts."""
    with transaction.atomic(), connection.cursor() as cursor:
        _lock(cursor)
        if connection.vendor == "postgresql":
            # The pair count groups and sorts millions of rows: in memory rather than on disk.
            cursor.execute("SET LOCAL work_mem = '256MB'")
        # DELETE, not TRUNCATE: TRUNCATE would lock readers out until the commit.
        for table in (PAIR, STAT, CP, SUMMARY):
            cursor.execute(f"DELETE FROM {table}")
        write_summaries(cursor, None)
        _insert_customer_products(cursor, None)
        _analyze(cursor, CP, SUMMARY)
        cursor.execute(
            f"INSERT INTO {STAT} (product_id, customers, customers_root, scored_customers) "
            f"SELECT product_id, COUNT(*), 0, COUNT(*) FROM {CP} WHERE recency_rank <= %s GROUP BY product_id",
            [BASKET_CAP],
        )
        cursor.execute(f"UPDATE {STAT} SET customers_root = SQRT(customers)")
        with_clause, select = _pairs_sql("")
        cursor.execute(
            f"{with_clause} INSERT INTO {PAIR} (product_a_id, product_b_id, co_count, score) "
            f"SELECT p.a, p.b, p.n, p.n / (sa.customers_root * sb.customers_root) FROM ({select}) p "
            f"JOIN {STAT} sa ON sa.product_id = p.a JOIN {STAT} sb ON sb.product_id = p.b "
            # In key order, so the indexes grow at their ends rather than everywhere.
            "ORDER BY p.a, p.b",
            [BASKET_CAP, BASKET_CAP],
        )
        _analyze(cursor, STAT, PAIR)
        pairs = ProductPair.objects.count() // 2
        customers = CustomerProduct.objects.filter(recency_rank=1).count()
    return {"customers": customers, "pairs": pairs}


def rebuild_summaries() -> int:
    """Count every customer's purchase summary again, alone (the recommendation tables are left as they are).

    For an installation whose summaries were never built (the nightly rebuild_all builds them
    too); returns how many customers have one.
    """
    with transaction.atomic(), connection.cursor() as cursor:
        _lock(cursor)
        cursor.execute(f"DELETE FROM {SUMMARY}")
        write_summaries(cursor, None)
        _analyze(cursor, SUMMARY)
    return CustomerSummary.objects.count()


def _basket_products(cursor: Any, contact_ids: Sequence[int]) -> set[int]:
    cursor.execute(
        f"SELECT DISTINCT product_id FROM {CP} WHERE recency_rank <= %s AND contact_id IN ({_placeholders(contact_ids)})",
        [BASKET_CAP, *contact_ids],
    )
    return {row[0] for row in cursor.fetchall()}


def _subtract_contribution(cursor: Any, contact_ids: Sequence[int]) -> None:
    """Take the stored baskets of `contact_ids` out of the stats and pair counts."""
    ids = _placeholders(contact_ids)
    cursor.execute(
        f"UPDATE {STAT} AS s SET customers = s.customers - d.n FROM ("
        f" SELECT product_id, COUNT(*) AS n FROM {CP} WHERE recency_rank <= %s AND contact_id IN ({ids})"
        " GROUP BY product_id) d WHERE s.product_id = d.product_id",
        [BASKET_CAP, *contact_ids],
    )
    with_clause, select = _pairs_sql(f"AND x.contact_id IN ({ids})")
    cursor.execute(
        f"{with_clause} UPDATE {PAIR} AS p SET co_count = p.co_count - d.n, score = -1 FROM ({select}) d"
        " WHERE p.product_a_id = d.a AND p.product_b_id = d.b",
        [BASKET_CAP, BASKET_CAP, *contact_ids],
    )


def _add_contribution(cursor: Any, contact_ids: Sequence[int]) -> None:
    """Add the (freshly counted) baskets of `contact_ids` to the stats and pair counts."""
    ids = _placeholders(contact_ids)
    # "WHERE true" before ON CONFLICT: SQLite's documented cure for the parsing ambiguity
    # between an upsert's ON and a join's ON.
    cursor.execute(
        f"INSERT INTO {STAT} (product_id, customers, customers_root, scored_customers) "
        f"SELECT product_id, COUNT(*), 0, 0 FROM {CP} WHERE recency_rank <= %s AND contact_id IN ({ids}) "
        "GROUP BY product_id "
        f"ON CONFLICT (product_id) DO UPDATE SET customers = {STAT}.customers + excluded.customers",
        [BASKET_CAP, *contact_ids],
    )
    with_clause, select = _pairs_sql(f"AND x.contact_id IN ({ids})")
    cursor.execute(
        f"{with_clause} INSERT INTO {PAIR} (product_a_id, product_b_id, co_count, score) "
        f"SELECT a, b, n, -1 FROM ({select}) d WHERE true "
        f"ON CONFLICT (product_a_id, product_b_id) DO UPDATE SET co_count = {PAIR}.co_count + excluded.co_count, score = -1",
        [BASKET_CAP, BASKET_CAP, *contact_ids],
    )


def _rescore(cursor: Any, product_ids: Sequence[int]) -> None:
    """Drop emptied rows, then score the pairs whose counts changed (marked -1) and those of drifted products."""
    ids = _placeholders(product_ids)
    cursor.execute(f"DELETE FROM {PAIR} WHERE score < 0 AND co_count <= 0")
    cursor.execute(f"DELETE FROM {STAT} WHERE customers <= 0 AND product_id IN ({ids})", product_ids)
    cursor.execute(f"UPDATE {STAT} SET customers_root = SQRT(customers) WHERE product_id IN ({ids})", product_ids)
    score = (
        f"co_count / ((SELECT customers_root FROM {STAT} WHERE product_id = product_a_id)"
        f" * (SELECT customers_root FROM {STAT} WHERE product_id = product_b_id))"
    )
    cursor.execute(f"UPDATE {PAIR} SET score = {score} WHERE score < 0")
    cursor.execute(
        f"SELECT product_id FROM {STAT} WHERE product_id IN ({ids}) "
        "AND ABS(customers - scored_customers) > %s * scored_customers",
        [*product_ids, SCORE_DRIFT],
    )
    drifted = [row[0] for row in cursor.fetchall()]
    if drifted:
        moved = _placeholders(drifted)
        cursor.execute(f"UPDATE {PAIR} SET score = {score} WHERE product_a_id IN ({moved})", drifted)
        cursor.execute(f"UPDATE {PAIR} SET score = {score} WHERE product_b_id IN ({moved}) AND product_a_id NOT IN ({moved})", [*drifted, *drifted])
        cursor.execute(f"UPDATE {STAT} SET scored_customers = customers WHERE product_id IN ({moved})", drifted)


def refresh_customers(contact_ids: Iterable[int]) -> int:
    """Recount the baskets and purchase summaries of `contact_ids` and everything they contribute; return how many."""
    ids = sorted(set(contact_ids))
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start:start + CHUNK]
        with transaction.atomic(), connection.cursor() as cursor:
            _lock(cursor)
            touched = _basket_products(cursor, chunk)
            _subtract_contribution(cursor, chunk)
            cursor.execute(f"DELETE FROM {CP} WHERE contact_id IN ({_placeholders(chunk)})", chunk)
            _insert_customer_products(cursor, chunk)
            write_summaries(cursor, chunk)
            touched |= _basket_products(cursor, chunk)
            _add_contribution(cursor, chunk)
            if touched:
                _rescore(cursor, sorted(touched))
    return len(ids)


def refresh_pending(limit: int = 10_000) -> int:
    """Recount the customers whose orders changed (up to `limit` marks); return how many customers."""
    marks = list(PendingCustomer.objects.order_by("id").values_list("id", "contact_id")[:limit])
    if not marks:
        return 0
    done = refresh_customers(contact_id for _, contact_id in marks)
    # Only the marks read above: a mark written meanwhile waits for the next refresh.
    PendingCustomer.objects.filter(id__in=[mark_id for mark_id, _ in marks]).delete()
    return done


def mark_orders_changed(order_ids: Iterable[int]) -> int:
    """Mark the customers of these orders pending, in the caller's transaction; return how many marks.

    Called from the order events, inside the writer's transaction: the mark commits or
    rolls back with the order. The refresh is queued once the transaction commits.
    """
    ids = [int(pk) for pk in order_ids]
    if not ids:
        return 0
    return mark_customers_changed(Order.objects.filter(pk__in=ids, contact__isnull=False).values_list("contact_id", flat=True))


def mark_customers_changed(contact_ids: Iterable[int]) -> int:
    """Mark these customers pending, in the caller's transaction; return how many marks."""
    contact_ids = {int(pk) for pk in contact_ids}
    if not contact_ids:
        return 0
    # Plain SQL: a bulk ingestion marks a thousand customers a chunk, and bulk_create would
    # build and prepare a model instance for each.
    quote = connection.ops.quote_name
    marked_at = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {quote(PendingCustomer._meta.db_table)} ({quote('contact_id')}, {quote('marked_at')}) VALUES (%s, %s)",
            [(pk, marked_at) for pk in sorted(contact_ids)],
        )
    # robust: the order is committed by then; a queue that is down must not turn the
    # writer's answer into an error (the five-minute schedule picks the marks up).
    transaction.on_commit(_enqueue_refresh, robust=True)
    return len(contact_ids)


def _enqueue_refresh() -> None:
    from kliyan.analytics.tasks import refresh_recommendations

    refresh_recommendations.enqueue()


def rebuild_request(*, actor: Any) -> tuple[RecommendationRun, bool]:
    """Queue a full rebuild unless one is already queued or running; return the run and whether it is new."""
    with transaction.atomic():
        # A run that has been queued or running for hours lost its worker: it blocks no one.
        active = RecommendationRun.objects.filter(
            status__in=[RunStatus.QUEUED, RunStatus.RUNNING], enqueued_at__gte=timezone.now() - ABANDONED_AFTER,
        ).first()
        if active is not None:
            return active, False
        run = RecommendationRun.objects.create(requested_by=actor)
        record(actor=actor, action=AuditAction.CREATE, instance=run, label="recommendations rebuild")
        transaction.on_commit(lambda: _enqueue_rebuild(run.pk))
    return run, True


def _enqueue_rebuild(run_id: int) -> None:
    from kliyan.analytics.tasks import rebuild_recommendations

    rebuild_recommendations.enqueue(run_id)


def rebuild_run(run_id: int | None = None) -> RecommendationRun:
    """Run a full rebuild, recording its start, end and outcome on a RecommendationRun."""
    run = RecommendationRun.objects.filter(pk=run_id).first() if run_id else None
    if run is None:
        run = RecommendationRun.objects.create()
    if run.status in (RunStatus.DONE, RunStatus.FAILED):
        return run  # a retried task: this run already happened
    run.status, run.started_at = RunStatus.RUNNING, timezone.now()
    run.save(update_fields=["status", "started_at"])
    try:
        counts = rebuild_all()
    except Exception as error:
        logger.exception("Rebuilding the recommendations failed")
        run.status, run.error = RunStatus.FAILED, f"{type(error).__name__}: {error}"[:2000]
        run.finished_at = timezone.now()
        run.save(update_fields=["status", "error", "finished_at"])
        raise
    run.status, run.finished_at = RunStatus.DONE, timezone.now()
    run.customers, run.pairs = counts["customers"], counts["pairs"]
    run.save(update_fields=["status", "finished_at", "customers", "pairs"])
    return run
