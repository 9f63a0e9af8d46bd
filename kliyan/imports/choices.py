from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportTarget(models.TextChoices):
    CONTACTS = "contacts", _("People")
    COMPANIES = "companies", _("Companies")


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


class RecordAction(models.TextChoices):
    CREATED = "created", _("created")
    UPDATED = "updated", _("updated")
