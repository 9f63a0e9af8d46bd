"""Live calls announced by phone systems, the screen-pop events pushed to agents' pages, and
who people are on each messaging channel."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kliyan.channels.choices import CallDirection, CallProvider, PopKind
from kliyan.contacts.models import Contact
from kliyan.core.choices import Channel
from kliyan.interactions.models import Interaction


class CallEvent(models.Model):
    """One call a phone system told us about; a retry of the same call id is the same row."""

    provider = models.CharField(_("provider"), max_length=12, choices=CallProvider.choices)
    call_id = models.CharField(_("call id"), max_length=100)
    direction = models.CharField(_("direction"), max_length=10, choices=CallDirection.choices, default=CallDirection.INBOUND)
    from_number = models.CharField(_("from"), max_length=64)
    to_number = models.CharField(_("to"), max_length=64, blank=True)
    # The caller's number (the other party on an outgoing call) in E.164, when it parses.
    e164 = models.CharField(_("phone"), max_length=20, blank=True)
    status = models.CharField(_("status"), max_length=32, blank=True)
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("agent"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    contact = models.ForeignKey(
        Contact, verbose_name=_("contact"), null=True, blank=True, on_delete=models.SET_NULL, related_name="calls",
    )
    interaction = models.ForeignKey(
        Interaction, verbose_name=_("interaction"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("call")
        verbose_name_plural = _("calls")
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["provider", "call_id"], name="callevent_unique_call_id")]
        indexes = [models.Index(fields=["contact", "-created_at"], name="callevent_contact_idx")]

    def __str__(self) -> str:
        return f"{self.get_provider_display()} {self.call_id}"


class PopEvent(models.Model):
    """An event for agents' open pages, read by every server process's stream (an outbox).

    The stream of each open page polls `id > last seen`, so events cross processes and
    machines through the database and a reconnecting page resumes with Last-Event-ID.
    """

    kind = models.CharField(max_length=20, choices=PopKind.choices, default=PopKind.INCOMING_CALL)
    # None: every user who may see customers; else only this agent.
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    call = models.ForeignKey(CallEvent, null=True, blank=True, on_delete=models.CASCADE, related_name="pop_events")
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"


class ChannelIdentity(models.Model):
    """How one person is known on one messaging channel, linked to their contact.

    Channels do not all name people by phone: WhatsApp's `wa_id` is the number's digits
    (Twilio writes it "whatsapp:+E164"; both are stored as the digits), Messenger and
    Instagram give a page-scoped id that is no phone at all. A handle belongs to one
    contact; a merge of contacts moves it to the survivor like any other row.
    """

    contact = models.ForeignKey(Contact, verbose_name=_("contact"), on_delete=models.CASCADE, related_name="channel_identities")
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    handle = models.CharField(_("handle"), max_length=100)
    # The person's last message on this handle: WhatsApp, Messenger and Instagram let a
    # business write freely only within 24 hours of it.
    last_inbound_at = models.DateTimeField(_("last message from them"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("channel identity")
        verbose_name_plural = _("channel identities")
        ordering = ["channel", "handle"]
        constraints = [models.UniqueConstraint(fields=["channel", "handle"], name="channelidentity_unique_handle")]
        indexes = [models.Index(fields=["contact", "channel"], name="channelidentity_contact_idx")]

    def __str__(self) -> str:
        return f"{self.get_channel_display()}: {self.handle}"
