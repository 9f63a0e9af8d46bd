"""The messaging outbox, message templates and saved segments.

Every outbound message is a Message row before anything is sent (docs/decisions/0011):
the row carries what was rendered, the idempotency key that makes a retried request or a
restarted campaign write it once, and its status as the provider reports it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kliyan.contacts.models import Contact
from kliyan.core.choices import Language
from kliyan.marketing.choices import AutomationTrigger, CampaignStatus, MessageChannel, MessageStatus, NotSentReason, Purpose


class MessageTemplate(models.Model):
    """A message for one channel, written once per language (TemplateText)."""

    name = models.CharField(_("name"), max_length=100)
    channel = models.CharField(_("channel"), max_length=10, choices=MessageChannel.choices)
    purpose = models.CharField(_("purpose"), max_length=13, choices=Purpose.choices, default=Purpose.MARKETING)
    # WhatsApp: outside the 24-hour window only a template Meta approved may be sent; its name there.
    provider_template = models.CharField(_("name at the provider"), max_length=100, blank=True)
    active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("message template")
        verbose_name_plural = _("message templates")
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["name", "channel"], name="template_unique_name_channel")]

    def __str__(self) -> str:
        return self.name


class TemplateText(models.Model):
    """A template in one language: the subject (e-mail only) and the body, with placeholders."""

    template = models.ForeignKey(MessageTemplate, on_delete=models.CASCADE, related_name="texts")
    language = models.CharField(_("language"), max_length=8, choices=Language.choices)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("text"))
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("template text")
        verbose_name_plural = _("template texts")
        ordering = ["language"]
        constraints = [models.UniqueConstraint(fields=["template", "language"], name="templatetext_one_per_language")]

    def __str__(self) -> str:
        return f"{self.template} ({self.language})"


class Message(models.Model):
    """One outbound message: stored before it is sent, then delivered by the worker."""

    contact = models.ForeignKey(Contact, verbose_name=_("contact"), on_delete=models.CASCADE, related_name="messages")
    channel = models.CharField(_("channel"), max_length=10, choices=MessageChannel.choices)
    purpose = models.CharField(_("purpose"), max_length=13, choices=Purpose.choices, default=Purpose.MARKETING)
    template = models.ForeignKey(
        MessageTemplate, verbose_name=_("template"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
    )
    language = models.CharField(_("language"), max_length=8, choices=Language.choices)
    # The e-mail address, the E.164 number or the channel's id of the person, as sent to.
    recipient = models.CharField(_("to"), max_length=254, blank=True)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("text"))
    status = models.CharField(_("status"), max_length=10, choices=MessageStatus.choices, default=MessageStatus.QUEUED)
    # Not sent: why, and since when that holds (the day consent was withdrawn, say).
    reason = models.CharField(_("reason"), max_length=12, choices=NotSentReason.choices, blank=True)
    reason_at = models.DateTimeField(_("reason since"), null=True, blank=True)
    error = models.CharField(_("last error"), max_length=500, blank=True)
    provider_id = models.CharField(_("provider id"), max_length=128, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    # Not before: a campaign's hour, the end of the contact's quiet hours, a retry's back-off.
    send_after = models.DateTimeField(_("send after"))
    # A worker sending it holds it until then; a worker that dies lets it lapse.
    claimed_until = models.DateTimeField(null=True, blank=True)
    # The same key twice is the same message (an API retry, a campaign restarted after a crash).
    idempotency_key = models.CharField(max_length=200, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("sent by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    opened_at = models.DateTimeField(_("opened at"), null=True, blank=True)
    clicked_at = models.DateTimeField(_("clicked at"), null=True, blank=True)
    # A campaign's message: its results are counted from the outbox (marketing.campaign_queries).
    campaign = models.ForeignKey(
        "marketing.Campaign", verbose_name=_("campaign"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="messages",
    )
    # Reads go through the campaign's index; the variant is only grouped by.
    variant = models.ForeignKey(
        "marketing.CampaignVariant", verbose_name=_("variant"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="messages", db_index=False,
    )
    # An automation's message: its page lists the latest ones (marketing.automation_queries).
    automation = models.ForeignKey(
        "marketing.Automation", verbose_name=_("automation"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="messages", db_index=False,
    )

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["-created_at", "-id"]
        indexes = [
            # The worker's sweep: queued messages that are due.
            models.Index(fields=["send_after"], condition=Q(status="queued"), name="message_due_idx"),
            models.Index(fields=["contact", "-created_at"], name="message_contact_idx"),
            # Delivery receipts and status callbacks name the provider's id.
            models.Index(fields=["channel", "provider_id"], condition=~Q(provider_id=""), name="message_provider_idx"),
            models.Index(fields=["status", "-created_at"], name="message_status_idx"),
            models.Index(fields=["automation", "-id"], condition=Q(automation__isnull=False), name="message_automation_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} → {self.recipient or self.contact_id}"


class PendingReceipt(models.Model):
    """A provider's receipt for an id no message has yet (marketing.receipts).

    A provider may call back before the worker has written the id it answered with (Meta and
    Twilio often do, within milliseconds): the receipt waits here and is applied when the id
    is written, instead of being lost. Receipts nobody claims are dropped after a week.
    """

    channel = models.CharField(_("channel"), max_length=20, choices=MessageChannel.choices)
    provider_id = models.CharField(_("provider id"), max_length=128)
    status = models.CharField(_("status"), max_length=20, choices=MessageStatus.choices)
    at = models.DateTimeField(_("at"))
    error = models.CharField(_("error"), max_length=500, blank=True)
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)

    class Meta:
        verbose_name = _("pending receipt")
        verbose_name_plural = _("pending receipts")
        indexes = [models.Index(fields=["channel", "provider_id"], name="pendingreceipt_provider_idx")]


class Segment(models.Model):
    """A saved rule (marketing.segments): who a campaign or an automation reaches."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    description = models.CharField(_("description"), max_length=255, blank=True)
    # The rule tree: {"all": [...]} / {"any": [...]} of conditions, see marketing.segments.
    rule = models.JSONField(_("rule"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("segment")
        verbose_name_plural = _("segments")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Campaign(models.Model):
    """One marketing message to a segment on a channel, now or at a set time, optionally in A/B variants.

    Sending stores one Message per contact (marketing.campaign_sending), a chunk at a time:
    `cursor` is the last contact id stored, saved with each chunk, so a crash resumes there.
    """

    name = models.CharField(_("name"), max_length=100)
    segment = models.ForeignKey(Segment, verbose_name=_("segment"), on_delete=models.PROTECT, related_name="campaigns")
    channel = models.CharField(_("channel"), max_length=10, choices=MessageChannel.choices)
    purpose = models.CharField(_("purpose"), max_length=13, choices=Purpose.choices, default=Purpose.MARKETING, editable=False)
    status = models.CharField(_("status"), max_length=10, choices=CampaignStatus.choices, default=CampaignStatus.DRAFT)
    # Null: as soon as it is scheduled.
    scheduled_at = models.DateTimeField(_("send at"), null=True, blank=True)
    # Orders and unsubscriptions this many days after a message left count towards the campaign.
    attribution_days = models.PositiveSmallIntegerField(_("attribution window (days)"), default=7)
    coupon_code = models.CharField(_("coupon code"), max_length=50, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    total = models.PositiveIntegerField(_("contacts in the segment"), default=0)
    queued = models.PositiveIntegerField(_("messages stored"), default=0)
    cursor = models.BigIntegerField(default=0)
    # The worker expanding it holds it until then; one that dies lets it lapse and the next run resumes.
    claimed_until = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "scheduled_at"], name="campaign_status_idx")]

    def __str__(self) -> str:
        return self.name


class CampaignVariant(models.Model):
    """One version of a campaign's message: a template and the share of contacts who get it (one variant: no A/B)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="variants")
    label = models.CharField(_("variant"), max_length=3)
    template = models.ForeignKey(MessageTemplate, verbose_name=_("template"), on_delete=models.PROTECT, related_name="+")
    share = models.PositiveSmallIntegerField(_("share (%)"))

    class Meta:
        verbose_name = _("campaign variant")
        verbose_name_plural = _("campaign variants")
        ordering = ["campaign", "label"]
        constraints = [models.UniqueConstraint(fields=["campaign", "label"], name="campaignvariant_unique_label")]

    def __str__(self) -> str:
        return f"{self.campaign} ({self.label})"


class Automation(models.Model):
    """A message that goes by itself when something happens to a contact (kliyan.marketing.automation_running).

    Nothing records who already got it: each message's idempotency key
    "auto:<automation>:<contact>:<occurrence>" (the birthday's year, the order, the ticket, …)
    makes a second run, or a run after a restart, store nothing twice.
    """

    name = models.CharField(_("name"), max_length=100)
    trigger = models.CharField(_("when"), max_length=16, choices=AutomationTrigger.choices)
    # The delay after the event (after a purchase, a ticket resolved, a category purchase) or
    # the length of the quiet spell (win-back); birthdays and anniversaries ignore it.
    days = models.PositiveSmallIntegerField(_("days"), default=0)
    # Birthdays and anniversaries go at this hour in the contact's time zone.
    local_hour = models.PositiveSmallIntegerField(_("local hour"), default=9)
    # The category trigger: purchases from this category or any below it.
    category = models.ForeignKey(
        "commerce.ProductCategory", verbose_name=_("category"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    channel = models.CharField(_("channel"), max_length=10, choices=MessageChannel.choices)
    template = models.ForeignKey(MessageTemplate, verbose_name=_("template"), on_delete=models.PROTECT, related_name="+")
    # Optional condition: only the contacts of this segment at the time of the run.
    segment = models.ForeignKey(
        Segment, verbose_name=_("only contacts in"), null=True, blank=True, on_delete=models.PROTECT, related_name="+",
    )
    active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    last_run_at = models.DateTimeField(_("last run"), null=True, blank=True)
    # Messages stored by all runs together (new ones only: a key already stored is not counted).
    stored = models.PositiveIntegerField(_("messages stored"), default=0)

    class Meta:
        verbose_name = _("automation")
        verbose_name_plural = _("automations")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name
