"""Recommendations: which products go well together, learnt from who bought what.

The numbers are derived data, rebuilt from the orders at any time (see recommendations_build.py):

- CustomerProduct: each distinct (customer, product) purchase, the base everything else is
  counted from, with the customer's recency rank of the product;
- ProductStat: how many customers bought each product;
- ProductPair: how many customers bought both products of a pair, and the pair's score;
- CustomerSummary: each customer's number of purchases, spend and first and last purchase
  (what segments ask of the orders);
- PendingCustomer: customers whose orders changed since their numbers were last counted;
- RecommendationRun: the history of full rebuilds, for the managers' page.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from kliyan.commerce.models import Product
from kliyan.contacts.models import Contact


class CustomerProduct(models.Model):
    """One product one customer has bought (in any number of purchase orders)."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="+", db_index=False)
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="+")
    last_bought_at = models.DateTimeField()
    # 1 = the product this customer bought most recently. Only the first BASKET_CAP
    # products of a customer count towards pairs (see recommendations_build).
    recency_rank = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["contact", "product"], name="analytics_customerproduct_unique"),
        ]
        indexes = [
            models.Index(fields=["contact", "recency_rank"], name="analytics_custprod_recent_idx"),
            # Segments: who bought these products (since a day), read from the index alone.
            models.Index(fields=["product", "last_bought_at", "contact"], name="analytics_custprod_bought_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.contact_id} bought {self.product_id}"


class ProductStat(models.Model):
    """How many customers bought a product (counted over their capped baskets)."""

    product = models.OneToOneField(Product, on_delete=models.CASCADE, primary_key=True, related_name="+")
    # Plain integers, no CHECK >= 0: the incremental refresh adds negative deltas.
    customers = models.IntegerField()
    # sqrt(customers), kept so the pair score is plain arithmetic in SQL (on SQLite a
    # SQRT call per pair would be a Python function call per pair).
    customers_root = models.FloatField(default=0.0)
    # `customers` when all this product's pairs were last scored (see services.SCORE_DRIFT).
    scored_customers = models.IntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.product_id}: {self.customers}"


class ProductPair(models.Model):
    """Two products bought by the same customers, and how strongly they go together.

    The score is the cosine similarity of the two products' sets of customers:

        score = co_count / sqrt(customers_a × customers_b)

    It is the classic item-to-item measure (Amazon's "customers who bought this also
    bought", Linden, Smith & York 2003). Dividing by both products' popularity is what
    keeps bestsellers from being everyone's top partner: a product bought by everybody
    shares many customers with everything, but its large count pulls its score down. Lift
    (co_count × N / (customers_a × customers_b)) would do that too, but it swings wildly for
    rare products and depends on N, the number of all customers; cosine stays within 0–1
    and is symmetric, so one number serves both directions.

    Each pair is stored in both directions ((a, b) and (b, a), same numbers), so "the best
    partners of product a" is one walk down the (product_a, -score) index.
    """

    # No database constraint: the rebuild writes millions of rows at once, and checking two
    # foreign keys per row at commit took longer than the rest of the rebuild on PostgreSQL.
    # The rows come from CustomerProduct, whose keys are checked; Django still deletes a
    # product's pairs with it, and the reads join Product, so a stray row is never shown.
    product_a = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False)
    product_b = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="+", db_constraint=False)
    co_count = models.IntegerField(_("customers who bought both"))
    score = models.FloatField(_("score"), default=0.0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["product_a", "product_b"], name="analytics_productpair_unique"),
        ]
        indexes = [
            # (product_b last: the tie-break of the ORDER BY, and the walk reads no table row.)
            models.Index(F("product_a"), F("score").desc(), F("product_b"), name="analytics_pair_partners_idx"),
            # The managers' page: pairs bought together by the most customers, each pair once.
            models.Index(
                F("co_count").desc(), F("score").desc(), name="analytics_pair_top_idx",
                condition=Q(product_a__lt=F("product_b")),
            ),
            # Rows whose counts changed in the running refresh wait here (score -1) to be
            # scored again; the index holds only those few.
            models.Index(fields=["score"], name="analytics_pair_stale_idx", condition=Q(score__lt=0)),
        ]

    def __str__(self) -> str:
        return f"{self.product_a_id} + {self.product_b_id}: {self.co_count} ({self.score:.3f})"


class CustomerSummary(models.Model):
    """What one customer has bought, counted from their purchase orders (derived data, like CustomerProduct).

    Segments read it instead of grouping every order at each count (kliyan.marketing.segments).
    Only customers with at least one purchase have a row; no row means no purchase. The spend
    is in the organisation's currency, each order at the rate of its day, as lifetime spend
    counts it: an order without a rate for its day adds nothing (it still counts as an order).
    """

    contact = models.OneToOneField(Contact, on_delete=models.CASCADE, primary_key=True, related_name="+")
    order_count = models.PositiveIntegerField()
    # Wider than an order total: it adds them up.
    spend = models.DecimalField(max_digits=24, decimal_places=4)
    first_purchase_at = models.DateTimeField()
    last_purchase_at = models.DateTimeField()

    class Meta:
        # One per kind of segment condition: each reads a range of one column.
        indexes = [
            models.Index(fields=["spend"], name="analytics_summary_spend_idx"),
            models.Index(fields=["order_count"], name="analytics_summary_count_idx"),
            models.Index(fields=["first_purchase_at"], name="analytics_summary_first_idx"),
            models.Index(fields=["last_purchase_at"], name="analytics_summary_last_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.contact_id}: {self.order_count} orders, {self.spend}"


class PendingCustomer(models.Model):
    """A customer whose purchases changed and whose numbers must be counted again.

    One row per change (not one per customer): the refresh deletes exactly the rows it
    read, so a change committed while it runs leaves its own row for the next refresh.
    """

    contact_id = models.BigIntegerField(db_index=True)
    marked_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return str(self.contact_id)


class RunStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class RecommendationRun(models.Model):
    """One full rebuild of the recommendation numbers: who asked, when, how it went."""

    status = models.CharField(_("status"), max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    enqueued_at = models.DateTimeField(_("asked at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    customers = models.PositiveIntegerField(_("customers"), default=0)
    pairs = models.PositiveIntegerField(_("product pairs"), default=0)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.pk} {self.status}"

    @property
    def seconds(self) -> float | None:
        if self.started_at is None or self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()
