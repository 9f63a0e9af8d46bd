from django.db import models
from django.utils.translation import gettext_lazy as _


class CallProvider(models.TextChoices):
    """Where a live call was announced from."""

    GENERIC = "generic", _("Phone system (API)")
    TWILIO = "twilio", _("Twilio")
    ASTERISK = "asterisk", _("Asterisk / FreePBX")


class CallDirection(models.TextChoices):
    INBOUND = "inbound", _("Incoming")
    OUTBOUND = "outbound", _("Outgoing")


class PopKind(models.TextChoices):
    INCOMING_CALL = "incoming_call", _("Incoming call")
