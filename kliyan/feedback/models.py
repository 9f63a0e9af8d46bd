"""Customer feedback: survey invitations (CSAT after a ticket, NPS from a campaign), the answers, campaigns.

An invitation keeps only the SHA-256 of its link's token (see tokens.py) and copies the
ticket's category, product, agent and team when it is created, so the results stay what
they were even if the ticket is changed afterwards.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kliyan.accounts.models import Team
from kliyan.commerce.models import Product
from kliyan.contacts.models import Contact
from kliyan.feedback.choices import Audience, CampaignStatus, InvitationStatus, SurveyChannel, SurveyKind
from kliyan.service.models import Ticket, TicketCategory, reference_for


class NpsCampaign(models.Model):
    """A manager's request to ask a set of contacts how likely they are to recommend us.

    The invitations are created in batches by a background task; `cursor` is the last
    contact id done, so a task that is retried or resumed carries on where it stopped.
    """

    name = models.CharField(_("name"), max_length=200)
    audience = models.CharField(_("who is asked"), max_length=20, choices=Audience.choices)
    # The contact ids asked when the audience is a list (sorted, without repeats).
    contact_ids = models.JSONField(_("contacts"), default=list, blank=True)
    # When the audience is a segment: which one, and its rule as the campaign started (the run
    # asks who matches it then; the segment may be changed or deleted meanwhile).
    segment = models.ForeignKey(
        "marketing.Segment", verbose_name=_("segment"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
    )
    segment_rule = models.JSONField(_("segment rule"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=CampaignStatus.choices, default=CampaignStatus.QUEUED)
    total = models.PositiveIntegerField(_("contacts to ask"), default=0)
    processed = models.PositiveIntegerField(_("contacts done"), default=0)
    invited = models.PositiveIntegerField(_("invitations created"), default=0)
    cursor = models.BigIntegerField(default=0)
    error = models.CharField(_("error"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    # Moved by every batch: a run that stops moving has died and may be resumed.
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("NPS campaign")
        verbose_name_plural = _("NPS campaigns")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.name

    @property
    def percent_done(self) -> int:
        if self.status == CampaignStatus.DONE:
            return 100
        return min(99, self.processed * 100 // self.total) if self.total else 0

    @property
    def is_active(self) -> bool:
        return self.status in (CampaignStatus.QUEUED, CampaignStatus.RUNNING)


class SurveyInvitation(models.Model):
    """One customer asked one survey: a link of their own, its way out, and what became of it."""

    kind = models.CharField(_("survey"), max_length=4, choices=SurveyKind.choices)
    contact = models.ForeignKey(Contact, verbose_name=_("contact"), on_delete=models.CASCADE, related_name="survey_invitations")
    ticket = models.ForeignKey(
        Ticket, verbose_name=_("ticket"), null=True, blank=True, on_delete=models.CASCADE, related_name="survey_invitations",
    )
    campaign = models.ForeignKey(
        NpsCampaign, verbose_name=_("campaign"), null=True, blank=True, on_delete=models.SET_NULL, related_name="invitations",
    )
    # SHA-256 (hex) of the link's token: what a request's token is looked up by.
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    # The random input the token is derived from with the secret key (tokens.py).
    token_nonce = models.CharField(max_length=32, editable=False)
    language = models.CharField(_("language"), max_length=8)
    channel = models.CharField(_("channel"), max_length=10, choices=SurveyChannel.choices)
    status = models.CharField(_("status"), max_length=10, choices=InvitationStatus.choices, default=InvitationStatus.QUEUED)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    expires_at = models.DateTimeField(_("link expires at"))
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    opened_at = models.DateTimeField(_("opened at"), null=True, blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    expired_at = models.DateTimeField(_("expired at"), null=True, blank=True)
    # The sending side (today: e-mail; issue 5's outbox for SMS and WhatsApp).
    send_attempts = models.PositiveSmallIntegerField(_("send attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    send_error = models.CharField(_("send error"), max_length=500, blank=True)
    # What the answer is counted under, copied from the ticket when the invitation is created.
    category = models.ForeignKey(
        TicketCategory, verbose_name=_("category"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
    )
    product = models.ForeignKey(Product, verbose_name=_("product"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("agent"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
    )
    team = models.ForeignKey(Team, verbose_name=_("team"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("survey invitation")
        verbose_name_plural = _("survey invitations")
        ordering = ["-created_at", "-id"]
        constraints = [
            # One CSAT survey per ticket, however often it is resolved (docs/decisions/0008).
            models.UniqueConstraint(fields=["ticket"], condition=Q(ticket__isnull=False), name="survey_one_per_ticket"),
            models.UniqueConstraint(fields=["campaign", "contact"], condition=Q(campaign__isnull=False), name="survey_one_per_campaign_contact"),
        ]
        indexes = [
            models.Index(fields=["contact", "-created_at", "-id"], name="survey_contact_idx"),
            models.Index(fields=["kind", "created_at"], name="survey_kind_created_idx"),
            models.Index(fields=["agent", "kind", "created_at"], name="survey_agent_idx"),
            models.Index(fields=["campaign", "status"], name="survey_campaign_idx"),
            # The outbox's question: what is waiting to go out on this channel, oldest first.
            models.Index(
                fields=["channel", "next_attempt_at"], condition=Q(status="queued"), name="survey_queued_idx",
            ),
            models.Index(fields=["status", "expires_at"], name="survey_expiry_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.contact_id} · {self.created_at:%Y-%m-%d}"

    @property
    def ticket_reference(self) -> str:
        return reference_for(self.ticket_id) if self.ticket_id else ""

    @property
    def is_expired(self) -> bool:
        return self.status == InvitationStatus.EXPIRED or (
            self.status != InvitationStatus.ANSWERED and self.expires_at <= timezone.now()
        )


class SurveyResponse(models.Model):
    """A customer's answer: a score and a comment, one per invitation, never changed."""

    invitation = models.OneToOneField(
        SurveyInvitation, verbose_name=_("invitation"), on_delete=models.CASCADE, related_name="response",
    )
    # Copied from the invitation: the screen pop and the timeline read answers by contact.
    contact = models.ForeignKey(Contact, verbose_name=_("contact"), on_delete=models.CASCADE, related_name="survey_responses")
    kind = models.CharField(_("survey"), max_length=4, choices=SurveyKind.choices)
    score = models.PositiveSmallIntegerField(_("score"))
    comment = models.TextField(_("comment"), blank=True)
    language = models.CharField(_("language"), max_length=8, blank=True)
    answered_at = models.DateTimeField(_("answered at"), default=timezone.now)

    class Meta:
        verbose_name = _("survey answer")
        verbose_name_plural = _("survey answers")
        ordering = ["-answered_at", "-id"]
        indexes = [
            models.Index(fields=["contact", "-answered_at", "-id"], name="surveyresponse_contact_idx"),
            models.Index(fields=["contact", "kind", "-answered_at"], name="surveyresponse_kind_idx"),
            models.Index(fields=["kind", "-answered_at"], name="surveyresponse_latest_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.score}"
