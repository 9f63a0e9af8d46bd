"""Fixed lists of the commerce app (stored values are English identifiers)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class SalesChannel(models.TextChoices):
    """Where an order was taken."""

    SHOP = "shop", _("Shop")
    ONLINE = "online", _("Online shop")
    PHONE = "phone", _("Phone")
    WHATSAPP = "whatsapp", _("WhatsApp")
    FACEBOOK = "facebook", _("Facebook")
    INSTAGRAM = "instagram", _("Instagram")
    MARKETPLACE = "marketplace", _("Marketplace")
    FIELD = "field", _("Sales visit")
    OTHER = "other", _("Other")


class OrderStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PLACED = "placed", _("Placed")
    PAID = "paid", _("Paid")
    FULFILLED = "fulfilled", _("Delivered")
    CANCELLED = "cancelled", _("Cancelled")
    REFUNDED = "refunded", _("Refunded")


# Orders in these states count as purchases (lifetime spend, recommendations).
PURCHASE_STATUSES = (OrderStatus.PLACED, OrderStatus.PAID, OrderStatus.FULFILLED)


class InvoiceStatus(models.TextChoices):
    OPEN = "open", _("Open")
    PAID = "paid", _("Paid")
    VOID = "void", _("Void")


class PaymentMethod(models.TextChoices):
    CASH = "cash", _("Cash")
    CARD = "card", _("Card")
    BANK_TRANSFER = "bank_transfer", _("Bank transfer")
    MOBILE_MONEY = "mobile_money", _("Mobile money")
    CHEQUE = "cheque", _("Cheque")
    OTHER = "other", _("Other")
