"""Choices of customer feedback: the kinds of survey, where an invitation stands, campaigns."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class SurveyKind(models.TextChoices):
    CSAT = "csat", _("Satisfaction (CSAT)")
    NPS = "nps", _("Recommendation (NPS)")


# The scores each kind takes (inclusive).
SCORE_RANGE: dict[str, tuple[int, int]] = {SurveyKind.CSAT: (1, 5), SurveyKind.NPS: (0, 10)}
# CSAT: 4 and 5 count as "satisfied". NPS: 9–10 promoters, 0–6 detractors, 7–8 passives.
CSAT_SATISFIED = 4
NPS_PROMOTER = 9
NPS_DETRACTOR = 6


class InvitationStatus(models.TextChoices):
    """Where a survey invitation stands. Only "queued" ones are waiting for a channel to carry them."""

    QUEUED = "queued", _("Waiting to be sent")
    SENT = "sent", _("Sent")
    OPENED = "opened", _("Opened")
    ANSWERED = "answered", _("Answered")
    EXPIRED = "expired", _("Expired")
    FAILED = "failed", _("Not sent")


# An invitation in one of these can still be answered (unless its link has expired).
ANSWERABLE = (InvitationStatus.QUEUED, InvitationStatus.SENT, InvitationStatus.OPENED, InvitationStatus.FAILED)


class SurveyChannel(models.TextChoices):
    """How an invitation is meant to reach the customer (the same values as core.choices.Channel)."""

    EMAIL = "email", _("E-mail")
    SMS = "sms", _("SMS")
    WHATSAPP = "whatsapp", _("WhatsApp")
    LINK = "link", _("Link handed over by staff")


class CampaignStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Creating invitations")
    DONE = "done", _("Invitations created")
    FAILED = "failed", _("Failed")


class Audience(models.TextChoices):
    ALL_WITH_EMAIL = "all_with_email", _("Every active contact with an e-mail address")
    CONTACT_LIST = "contacts", _("A list of contacts")
    SEGMENT = "segment", _("The contacts of a saved segment")


class GroupBy(models.TextChoices):
    CATEGORY = "category", _("Category")
    PRODUCT = "product", _("Product")
    AGENT = "agent", _("Agent")
    TEAM = "team", _("Team")
