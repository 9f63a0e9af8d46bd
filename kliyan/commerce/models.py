"""Products, stock, orders, invoices, payments and credit terms, as other systems send them.

Every record that comes from another system (accounting, stock, sales, e-shop, point of
sale) carries `source` (which system) and `external_id` (its id there): the pair is
unique, so sending the same record twice stores it once, and `source_updated_at` (the
other system's own last-change time) lets an older version be recognised and ignored.
Records typed into Kliyan itself have an empty `source`.

Amounts are Decimal with an ISO 4217 currency beside them; four decimal places cover
every currency (most have 2, HTG/MWK/RON/EUR 2, ALL 0 in practice, some 3).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kliyan.commerce.choices import InvoiceStatus, OrderStatus, PaymentMethod, SalesChannel
from kliyan.contacts.models import Company, Contact

MONEY = {"max_digits": 18, "decimal_places": 4}
QUANTITY = {"max_digits": 14, "decimal_places": 3}
ZERO = Decimal("0")


class ExternalRecord(models.Model):
    """Fields every record that another system sends us has."""

    source = models.CharField(_("source system"), max_length=50, blank=True, help_text=_("Which system sent it, e.g. “pos” or “accounting”."))
    external_id = models.CharField(_("external id"), max_length=100, blank=True)
    source_updated_at = models.DateTimeField(_("changed in the source at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True, db_index=True)

    class Meta:
        abstract = True
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"], condition=~Q(external_id=""), name="%(app_label)s_%(class)s_external_key",
            ),
        ]


class ProductCategory(ExternalRecord):
    """A node of the category tree ("Shoes" › "Children's shoes")."""

    name = models.CharField(_("name"), max_length=120)
    parent = models.ForeignKey("self", verbose_name=_("parent category"), null=True, blank=True, on_delete=models.PROTECT, related_name="children")

    class Meta(ExternalRecord.Meta):
        verbose_name = _("product category")
        verbose_name_plural = _("product categories")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class Product(ExternalRecord):
    sku = models.CharField(_("SKU"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    category = models.ForeignKey(ProductCategory, verbose_name=_("category"), null=True, blank=True, on_delete=models.SET_NULL, related_name="products")
    price = models.DecimalField(_("price"), **MONEY, default=ZERO)
    currency = models.CharField(_("currency"), max_length=3)
    cost = models.DecimalField(_("cost"), **MONEY, null=True, blank=True)
    active = models.BooleanField(_("active"), default=True)
    # The sum of the product's StockLevel rows, kept by the stock service.
    stock_on_hand = models.DecimalField(_("stock on hand"), **QUANTITY, default=ZERO)

    class Meta(ExternalRecord.Meta):
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["name", "id"], name="commerce_product_name_idx")]

    def __str__(self) -> str:
        return f"{self.name} ({self.sku})"

    @property
    def margin(self) -> Decimal | None:
        return None if self.cost is None else self.price - self.cost


class StockLevel(ExternalRecord):
    """How many of a product one location holds (a shop, a warehouse)."""

    product = models.ForeignKey(Product, verbose_name=_("product"), on_delete=models.CASCADE, related_name="stock_levels")
    location = models.CharField(_("location"), max_length=100, blank=True)
    quantity = models.DecimalField(_("quantity"), **QUANTITY, default=ZERO)

    class Meta:
        verbose_name = _("stock level")
        verbose_name_plural = _("stock levels")
        constraints = [
            models.UniqueConstraint(fields=["product", "location"], name="commerce_stocklevel_product_location"),
        ]

    def __str__(self) -> str:
        return f"{self.product_id} @ {self.location}: {self.quantity}"


class Order(ExternalRecord):
    # Every index costs each of the thousands of orders a second that ingestion writes, so
    # the foreign keys carry no index of their own: (contact, -ordered_at) and (company,
    # -ordered_at) below serve every lookup by customer, and orders are never looked up
    # by who keyed them in (users are deactivated, not deleted).
    number = models.CharField(_("number"), max_length=64)
    contact = models.ForeignKey(
        Contact, verbose_name=_("contact"), null=True, blank=True, on_delete=models.SET_NULL, related_name="orders", db_index=False,
    )
    company = models.ForeignKey(
        Company, verbose_name=_("company"), null=True, blank=True, on_delete=models.SET_NULL, related_name="orders", db_index=False,
    )
    sales_channel = models.CharField(_("sold through"), max_length=20, choices=SalesChannel.choices, default=SalesChannel.SHOP)
    ordered_at = models.DateTimeField(_("ordered at"))
    status = models.CharField(_("status"), max_length=20, choices=OrderStatus.choices, default=OrderStatus.PLACED)
    currency = models.CharField(_("currency"), max_length=3)
    subtotal = models.DecimalField(_("subtotal"), **MONEY, default=ZERO)
    discount_total = models.DecimalField(_("discounts"), **MONEY, default=ZERO)
    tax_total = models.DecimalField(_("tax"), **MONEY, default=ZERO)
    total = models.DecimalField(_("total"), **MONEY, default=ZERO)
    note = models.TextField(_("note"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False,
    )

    class Meta(ExternalRecord.Meta):
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-ordered_at", "-id"]
        indexes = [
            models.Index(fields=["contact", "-ordered_at"], name="commerce_order_contact_idx"),
            models.Index(fields=["company", "-ordered_at"], name="commerce_order_company_idx"),
            models.Index(fields=["-ordered_at", "-id"], name="commerce_order_recent_idx"),
            # Invoices sent from accounting name their order by number.
            models.Index(fields=["source", "number"], name="commerce_order_number_idx"),
        ]

    def __str__(self) -> str:
        return self.number


class OrderLine(models.Model):
    order = models.ForeignKey(Order, verbose_name=_("order"), on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField(_("position"), default=0)
    product = models.ForeignKey(Product, verbose_name=_("product"), null=True, blank=True, on_delete=models.SET_NULL, related_name="order_lines")
    sku = models.CharField(_("SKU"), max_length=64, blank=True)
    description = models.CharField(_("description"), max_length=255, blank=True)
    quantity = models.DecimalField(_("quantity"), **QUANTITY)
    unit_price = models.DecimalField(_("unit price"), **MONEY)
    discount = models.DecimalField(_("discount"), **MONEY, default=ZERO, help_text=_("An amount off the line, not a percentage."))
    line_total = models.DecimalField(_("line total"), **MONEY)

    class Meta:
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        ordering = ["order", "position", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="commerce_orderline_quantity_positive"),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="commerce_orderline_price_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.sku or self.description}"


class Invoice(ExternalRecord):
    number = models.CharField(_("number"), max_length=64)
    contact = models.ForeignKey(Contact, verbose_name=_("contact"), null=True, blank=True, on_delete=models.SET_NULL, related_name="invoices")
    company = models.ForeignKey(Company, verbose_name=_("company"), null=True, blank=True, on_delete=models.SET_NULL, related_name="invoices")
    order = models.ForeignKey(Order, verbose_name=_("order"), null=True, blank=True, on_delete=models.SET_NULL, related_name="invoices")
    issued_on = models.DateField(_("issued on"))
    due_on = models.DateField(_("due on"))
    currency = models.CharField(_("currency"), max_length=3)
    total = models.DecimalField(_("total"), **MONEY)
    # The sum of the payments applied to this invoice, kept by the payment service.
    amount_paid = models.DecimalField(_("amount paid"), **MONEY, default=ZERO)
    status = models.CharField(_("status"), max_length=10, choices=InvoiceStatus.choices, default=InvoiceStatus.OPEN)

    class Meta(ExternalRecord.Meta):
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        ordering = ["-issued_on", "-id"]
        indexes = [
            models.Index(fields=["contact", "status"], name="commerce_invoice_contact_idx"),
            models.Index(fields=["company", "status"], name="commerce_invoice_company_idx"),
            # Payments sent from accounting name their invoice by number.
            models.Index(fields=["source", "number"], name="commerce_invoice_number_idx"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def amount_due(self) -> Decimal:
        return ZERO if self.status == InvoiceStatus.VOID else max(self.total - self.amount_paid, ZERO)


class Payment(ExternalRecord):
    contact = models.ForeignKey(Contact, verbose_name=_("contact"), null=True, blank=True, on_delete=models.SET_NULL, related_name="payments")
    company = models.ForeignKey(Company, verbose_name=_("company"), null=True, blank=True, on_delete=models.SET_NULL, related_name="payments")
    invoice = models.ForeignKey(Invoice, verbose_name=_("invoice"), null=True, blank=True, on_delete=models.SET_NULL, related_name="payments")
    received_at = models.DateTimeField(_("received at"))
    amount = models.DecimalField(_("amount"), **MONEY)
    currency = models.CharField(_("currency"), max_length=3)
    method = models.CharField(_("method"), max_length=20, choices=PaymentMethod.choices, default=PaymentMethod.OTHER)
    reference = models.CharField(_("reference"), max_length=100, blank=True)

    class Meta(ExternalRecord.Meta):
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-received_at", "-id"]
        indexes = [
            models.Index(fields=["contact", "-received_at"], name="commerce_payment_contact_idx"),
            models.Index(fields=["company", "-received_at"], name="commerce_payment_company_idx"),
        ]
        constraints = [
            *ExternalRecord.Meta.constraints,
            models.CheckConstraint(condition=Q(amount__gt=0), name="commerce_payment_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"


class CreditTerms(models.Model):
    """What the credit department allows one customer (a person or a company)."""

    contact = models.OneToOneField(Contact, verbose_name=_("contact"), null=True, blank=True, on_delete=models.CASCADE, related_name="credit_terms")
    company = models.OneToOneField(Company, verbose_name=_("company"), null=True, blank=True, on_delete=models.CASCADE, related_name="credit_terms")
    credit_limit = models.DecimalField(_("credit limit"), **MONEY, default=ZERO)
    currency = models.CharField(_("currency"), max_length=3)
    payment_terms_days = models.PositiveIntegerField(_("payment terms (days)"), default=0)
    on_hold = models.BooleanField(_("on hold"), default=False, help_text=_("No more sales on credit until this is lifted."))
    note = models.TextField(_("note"), blank=True)
    source = models.CharField(_("source system"), max_length=50, blank=True)
    source_updated_at = models.DateTimeField(_("changed in the source at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("credit terms")
        verbose_name_plural = _("credit terms")
        constraints = [
            models.CheckConstraint(
                condition=(Q(contact__isnull=False) & Q(company__isnull=True)) | (Q(contact__isnull=True) & Q(company__isnull=False)),
                name="commerce_creditterms_one_customer",
            ),
            models.CheckConstraint(condition=Q(credit_limit__gte=0), name="commerce_creditterms_limit_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.credit_limit} {self.currency}"


class ExchangeRate(models.Model):
    """How much one unit of `currency` is worth in the organisation's currency, from a day on."""

    currency = models.CharField(_("currency"), max_length=3)
    valid_from = models.DateField(_("valid from"))
    rate = models.DecimalField(_("rate"), max_digits=20, decimal_places=8)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("exchange rate")
        verbose_name_plural = _("exchange rates")
        ordering = ["currency", "-valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["currency", "valid_from"], name="commerce_exchangerate_currency_day"),
            models.CheckConstraint(condition=Q(rate__gt=0), name="commerce_exchangerate_rate_positive"),
        ]

    def __str__(self) -> str:
        return f"1 {self.currency} = {self.rate} ({self.valid_from})"

