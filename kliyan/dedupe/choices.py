"""Choices of the duplicates app: the state of a pair and of a scan, and why two contacts look alike."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class PairStatus(models.TextChoices):
    OPEN = "open", _("To review")
    DISMISSED = "dismissed", _("Not duplicates")
    MERGED = "merged", _("Merged")


class ScanStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class ScanPhase(models.TextChoices):
    WAITING = "", _("Waiting")
    EMAILS = "emails", _("Comparing e-mails")
    PHONES = "phones", _("Comparing phone numbers")
    NAMES = "names", _("Comparing names")
    SAVING = "saving", _("Saving the pairs")


class Reason(models.TextChoices):
    """Why a pair was found. The score table is in kliyan.dedupe.finding."""

    EMAIL = "email", _("same e-mail")
    PHONE = "phone", _("same phone")
    NAME_BIRTHDAY = "name_birthday", _("same name and birthday")
    NAME_COMPANY = "name_company", _("same name, same company")
    NAME = "name", _("same name")
    SIMILAR_NAME_COMPANY = "similar_name_company", _("similar name, same company")
    SIMILAR_NAME = "similar_name", _("similar name")
    # Not a reason to merge but a reason to doubt: it lowers a name-based score.
    OTHER_BIRTHDAY = "other_birthday", _("different birthdays")
