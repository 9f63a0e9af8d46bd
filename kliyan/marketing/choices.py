"""Choices of the messaging outbox, its templates and segments."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class MessageChannel(models.TextChoices):
    """The channels a message can go out on (values shared with core.choices.Channel and ConsentChannel)."""

    EMAIL = "email", _("E-mail")
    SMS = "sms", _("SMS")
    WHATSAPP = "whatsapp", _("WhatsApp")
    FACEBOOK = "facebook", _("Facebook Messenger")
    INSTAGRAM = "instagram", _("Instagram")


class Purpose(models.TextChoices):
    """Marketing needs consent for the channel; a transactional message (a receipt, a reply) does not."""

    MARKETING = "marketing", _("Marketing")
    TRANSACTIONAL = "transactional", _("Service (transactional)")


class MessageStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    DELIVERED = "delivered", _("Delivered")
    OPENED = "opened", _("Opened")
    CLICKED = "clicked", _("Clicked")
    FAILED = "failed", _("Failed")
    BOUNCED = "bounced", _("Bounced")
    NOT_SENT = "not_sent", _("Not sent")


class NotSentReason(models.TextChoices):
    """Why a message was stored but never handed to a provider (shown with its date, see Message.reason_at)."""

    NO_CONSENT = "no_consent", _("no consent for this channel")
    CONSENT_WITHDRAWN = "withdrawn", _("consent withdrawn")
    NO_ADDRESS = "no_address", _("no address for this channel")
    WEEKLY_CAP = "weekly_cap", _("weekly limit of marketing messages reached")
    ARCHIVED = "archived", _("contact archived")
    GAVE_UP = "gave_up", _("the provider refused it too many times")
    # Messenger and Instagram carry only answers to a customer who wrote first (Meta's rules).
    REPLIES_ONLY = "replies_only", _("this channel only carries replies")
    # The campaign was cancelled before this message left.
    CANCELLED = "cancelled", _("campaign cancelled")


class CampaignStatus(models.TextChoices):
    """A campaign's life: written, waiting for its hour, storing its messages, all stored, or called off."""

    DRAFT = "draft", _("Draft")
    SCHEDULED = "scheduled", _("Scheduled")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    CANCELLED = "cancelled", _("Cancelled")


class AutomationTrigger(models.TextChoices):
    """What makes an automation send (marketing.automation_running finds who is due for each)."""

    BIRTHDAY = "birthday", _("Birthday")
    ANNIVERSARY = "anniversary", _("Anniversary of the first purchase")
    AFTER_PURCHASE = "after_purchase", _("Days after a purchase")
    WIN_BACK = "win_back", _("No purchase for a number of days (win-back)")
    # A purchase from the category (or one below it): contacts.Interest links carry no date,
    # so "interest shown" is read from orders, which say when.
    CATEGORY_PURCHASE = "category", _("Interest shown in a category (a purchase from it)")
    TICKET_RESOLVED = "ticket_resolved", _("Ticket resolved")
