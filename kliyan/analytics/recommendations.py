"""Read the recommendations: products that go well with what a customer bought, and with a product.

`recommendations_for` is on the screen pop's path, so it is two statements of indexed
queries whatever the size of the data:

1. their RECENT_PRODUCTS most recently bought products (the (contact, recency_rank)
   index), whether they are pending a recount, and the PARTNERS_PER_PRODUCT best
   partners of each of those products (short walks down the (product_a, -score) index,
   at most 20 × 10 rows);
2. the best candidates' names, prices and whether the customer ever bought them (a
   second batch only when most of the first was bought already or is inactive).

A customer pending a recount costs two statements more: their products are read from the
orders, and the partners of those.

A candidate's score is the sum of its pair scores with the customer's products, so a
product that goes with several things they bought ranks above one that goes with one;
"because you bought X" names the product that contributed most.

A customer who bought nothing gets no recommendations: without purchases there is no
co-purchase signal, and a list of bestsellers would be the same for every caller, which
the agent can see elsewhere.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Exists, OuterRef, QuerySet

from kliyan.analytics.models import CustomerProduct, PendingCustomer, ProductPair
from kliyan.analytics.services import purchases
from kliyan.commerce.models import Product
from kliyan.core.prepared import run_prepared

# How many of the customer's latest products and of each one's partners are considered.
RECENT_PRODUCTS = 20
PARTNERS_PER_PRODUCT = 10
MAX_LIMIT = 20


@dataclass(frozen=True)
class Recommendation:
    product_id: int
    sku: str
    name: str
    price: Decimal
    currency: str
    score: float
    because_id: int
    because_name: str


@dataclass(frozen=True)
class Partner:
    product_id: int
    sku: str
    name: str
    price: Decimal
    currency: str
    co_count: int
    score: float


# Rows of _basket_and_partners, by their first column.
_RECENT, _PENDING, _PARTNER = 0, 1, 2


def _basket_and_partners_sql() -> str:
    """Return the SQL of the stored basket, the pending mark and the basket's partners, in one statement.

    Parameters: the contact id, twice, and once more per walk on SQLite.
    The sizes are written into the SQL: with them as parameters, PostgreSQL's generic plan
    of the prepared statement guessed thousands of rows, so it planned the statement anew
    at every call (0.4 ms) rather than reuse the plan.
    """
    basket, pending, pair = CustomerProduct._meta.db_table, PendingCustomer._meta.db_table, ProductPair._meta.db_table
    if connection.vendor == "postgresql":
        # The walks are typed first: PostgreSQL types a UNION's columns from its first arms.
        return (
            f"WITH recent AS (SELECT product_id, recency_rank FROM {basket} WHERE contact_id = %s"
            f" AND recency_rank <= {RECENT_PRODUCTS:d})"
            f" SELECT {_PARTNER}, r.product_id, t.product_b_id, t.score FROM recent AS r CROSS JOIN LATERAL"
            f" (SELECT product_b_id, score FROM {pair} WHERE product_a_id = r.product_id"
            f" ORDER BY score DESC, product_b_id LIMIT {PARTNERS_PER_PRODUCT:d}) AS t"
            f" UNION ALL SELECT {_RECENT}, product_id, recency_rank, NULL FROM recent"
            f" UNION ALL SELECT {_PENDING}, NULL, NULL, NULL WHERE EXISTS (SELECT 1 FROM {pending} WHERE contact_id = %s)"
        )
    # SQLite has no LATERAL: one walk per recency rank (ranks are 1, 2, 3, … per customer),
    # each starting from the product of that rank.
    walk = (
        f"SELECT * FROM (SELECT {_PARTNER}, product_a_id, product_b_id, score FROM {pair} WHERE product_a_id ="
        f" (SELECT product_id FROM {basket} WHERE contact_id = %s AND recency_rank = {{rank}})"
        f" ORDER BY score DESC, product_b_id LIMIT {PARTNERS_PER_PRODUCT:d})"
    )
    return " UNION ALL ".join([
        f"SELECT {_RECENT}, product_id, recency_rank, NULL FROM {basket} WHERE contact_id = %s AND recency_rank <= {RECENT_PRODUCTS:d}",
        f"SELECT {_PENDING}, NULL, NULL, NULL WHERE EXISTS (SELECT 1 FROM {pending} WHERE contact_id = %s)",
        *(walk.format(rank=rank) for rank in range(1, RECENT_PRODUCTS + 1)),
    ])


def _basket_and_partners(contact_id: int) -> tuple[list[int], set[int], list[tuple[int, int, float]]]:
    """Return the customer's latest products (newest first), those bought since the last recount, and their partners.

    One statement reads the stored basket, whether the customer is pending a recount, and
    the PARTNERS_PER_PRODUCT best partners of each basket product as (product, partner,
    score), in basket order then best first. A pending customer's stored basket may miss
    an order that has just come in, so theirs is read from the orders themselves (a few
    rows for a normal customer), and the partners of that.
    """
    walks = 0 if connection.vendor == "postgresql" else RECENT_PRODUCTS  # PostgreSQL walks them in one LATERAL join
    params = [contact_id] * (2 + walks)
    with connection.cursor() as cursor:
        cursor.execute(_basket_and_partners_sql(), params)
        rows = cursor.fetchall()
    if any(kind == _PENDING for kind, *_ in rows):
        bought = list(purchases([contact_id]).order_by("-last_bought_at", "-item_id").values_list("item_id", flat=True))
        recent = bought[:RECENT_PRODUCTS]
        return recent, set(bought), _partners_of(recent, PARTNERS_PER_PRODUCT)
    rank = {product_id: rank for kind, product_id, rank, _ in rows if kind == _RECENT}
    partners = sorted(
        ((a, b, float(score)) for kind, a, b, score in rows if kind == _PARTNER),
        key=lambda row: (rank[row[0]], -row[2], row[1]),
    )
    return sorted(rank, key=rank.__getitem__), set(), partners


def _partners_of(product_ids: list[int], per_product: int) -> list[tuple[int, int, float]]:
    """Return (product, partner, score) for the best `per_product` partners of each product."""
    if not product_ids:
        return []
    table = ProductPair._meta.db_table
    params: list[Any]
    if connection.vendor == "postgresql":
        # One statement whatever the number of products, so it is planned once and then
        # prepared (a union of twenty walks cost PostgreSQL more to plan than to run).
        sql = (
            f"SELECT p.product_a_id, t.product_b_id, t.score FROM unnest(%s::bigint[]) AS p(product_a_id)"
            f" CROSS JOIN LATERAL (SELECT product_b_id, score FROM {table} WHERE product_a_id = p.product_a_id"
            " ORDER BY score DESC, product_b_id LIMIT %s) AS t"
        )
        params = [list(product_ids), per_product]
    else:
        walk = (
            f"SELECT * FROM (SELECT product_a_id, product_b_id, score FROM {table}"
            " WHERE product_a_id = %s ORDER BY score DESC, product_b_id LIMIT %s) AS t{n}"
        )
        sql = " UNION ALL ".join(walk.format(n=n) for n in range(len(product_ids)))
        params = []
        for pk in product_ids:
            params += [pk, per_product]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [(a, b, float(score)) for a, b, score in cursor.fetchall()]


def recommendations_for(contact_id: int, limit: int = 5) -> list[Recommendation]:
    """Return up to `limit` active products the customer has not bought, best first, each with a reason."""
    limit = max(1, min(limit, MAX_LIMIT))
    recent, just_bought, partners = _basket_and_partners(contact_id)
    scores: dict[int, float] = defaultdict(float)
    best_reason: dict[int, tuple[float, int]] = {}
    for product_id, partner_id, score in partners:
        scores[partner_id] += score
        if partner_id not in best_reason or score > best_reason[partner_id][0]:
            best_reason[partner_id] = (score, product_id)
    for pk in set(recent) | just_bought:
        scores.pop(pk, None)
    ranked = sorted(scores, key=lambda pk: (-scores[pk], pk))
    result: list[Recommendation] = []
    # Look the best candidates up a few at a time: most are kept, so one batch is the
    # rule, and a batch of rows is cheaper to read than every candidate.
    batch = max(limit * 4, 20)
    for start in range(0, len(ranked), batch):
        result += _keep_buyable(contact_id, ranked[start:start + batch], scores, best_reason, limit - len(result))
        if len(result) >= limit:
            break
    return result


def _keep_buyable(
    contact_id: int, candidates: list[int], scores: dict[int, float],
    best_reason: dict[int, tuple[float, int]], wanted: int,
) -> list[Recommendation]:
    """Return up to `wanted` of `candidates` (best first) that are active and the customer never bought."""
    wanted_ids = sorted({*candidates, *(best_reason[pk][1] for pk in candidates)})
    ids = {f"product_{n}": pk for n, pk in enumerate(wanted_ids)}

    def build(contact_id: int, **product_ids: int) -> QuerySet:
        return (
            Product.objects.filter(pk__in=list(product_ids.values()))
            .annotate(bought=Exists(CustomerProduct.objects.filter(contact_id=contact_id, product_id=OuterRef("pk"))))
            .order_by().values_list("id", "sku", "name", "price", "currency", "active", "bought")
        )

    # On the screen pop's path: compiled once per connection and size (core.prepared).
    rows = {row[0]: row for row in run_prepared(("recommendations.products", len(ids)), build, contact_id=contact_id, **ids)}
    kept = []
    for pk in candidates:
        row = rows.get(pk)
        if row is None or not row[5] or row[6]:
            continue
        because_id = best_reason[pk][1]
        kept.append(Recommendation(
            product_id=pk, sku=row[1], name=row[2], price=row[3], currency=row[4], score=round(scores[pk], 6),
            because_id=because_id, because_name=rows[because_id][2] if because_id in rows else "",
        ))
        if len(kept) == wanted:
            break
    return kept


def goes_with(product_id: int, limit: int = 10) -> list[Partner]:
    """Return the active products bought most often with this one (by score), best first."""
    rows = (
        ProductPair.objects.filter(product_a_id=product_id, product_b__active=True)
        .select_related("product_b").only("co_count", "score", "product_b__sku", "product_b__name",
                                          "product_b__price", "product_b__currency")
        .order_by("-score", "product_b_id")[:limit]
    )
    return [
        Partner(product_id=r.product_b_id, sku=r.product_b.sku, name=r.product_b.name, price=r.product_b.price,
                currency=r.product_b.currency, co_count=r.co_count, score=round(r.score, 6))
        for r in rows
    ]
