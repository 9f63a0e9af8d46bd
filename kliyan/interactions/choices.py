from django.db import models
from django.utils.translation import gettext_lazy as _


class Direction(models.TextChoices):
    INBOUND = "inbound", _("From the customer")
    OUTBOUND = "outbound", _("To the customer")


class Outcome(models.TextChoices):
    ANSWERED = "answered", _("Question answered")
    FOLLOW_UP = "follow_up", _("Needs a follow-up")
    SALE = "sale", _("Sale made")
    QUOTE = "quote", _("Quote or offer sent")
    COMPLAINT = "complaint", _("Complaint")
    NO_ANSWER = "no_answer", _("No answer")
    NOT_INTERESTED = "not_interested", _("Not interested")
    OTHER = "other", _("Other")


class TaskStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")
