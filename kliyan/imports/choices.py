from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportTarget(models.TextChoices):
    CONTACTS = "contacts", _("People")
    COMPANIES = "companies", _("Companies")
    PRODUCTS = "products", _("Products")
    ORDERS = "orders", _("Orders (a row per order line)")


# Written through the commerce ingestion (kliyan.imports.commerce), keyed by source and number.
COMMERCE_TARGETS = (ImportTarget.PRODUCTS, ImportTarget.ORDERS)


class FileFormat(models.TextChoices):
    CSV = "csv", _("CSV")
    XLSX = "xlsx", _("Excel (XLSX)")
    VCARD = "vcard", _("vCard")


class ImportStatus(models.TextChoices):
    UPLOADED = "uploaded", _("Waiting for the mapping")
    CHECKING = "checking", _("Checking")
    CHECKED = "checked", _("Checked")
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Importing")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")
    UNDOING = "undoing", _("Undoing")
    UNDONE = "undone", _("Undone")


class OnDuplicate(models.TextChoices):
    SKIP = "skip", _("Skip the row")
    UPDATE = "update", _("Update the existing record")
    CREATE = "create", _("Create a new record anyway")


class RecordKind(models.TextChoices):
    CONTACT = "contact", _("person")
    COMPANY = "company", _("company")
    PRODUCT = "product", _("product")
    ORDER = "order", _("order")


class RecordAction(models.TextChoices):
    CREATED = "created", _("created")
    UPDATED = "updated", _("updated")


class MatchReason(models.TextChoices):
    """Why a row was taken for an existing record (or an earlier row of the file)."""

    EMAIL = "email", _("Same e-mail address")
    PHONE = "phone", _("Same phone number")
    SIMILAR_NAME = "name", _("Similar name at the same company")
    SAME_NAME = "same_name", _("Same company name")
