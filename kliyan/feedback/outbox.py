"""The hand-off between survey invitations and whatever carries them to the customer.

An invitation is created "queued" with the channel it is meant to go out on (e-mail, SMS,
WhatsApp, or "link" when staff hand it over). A sender — today the e-mail task in
`mailer.py`, later the messaging outbox of issue 5 — works like this:

    for invitation in invitations_to_send(channel="sms"):
        if not claim(invitation.pk):          # another worker has it, or it was opened meanwhile
            continue
        try:
            deliver(to=..., text=render(survey_url(invitation)))
        except ProviderError as error:
            mark_failed(invitation.pk, error)  # retried later with back-off, "failed" at the end
        else:
            mark_sent(invitation.pk)

`claim` is a conditional UPDATE, so two workers never send the same invitation, and a
worker that dies after claiming lets the claim lapse so the invitation goes out again.
Nothing here sends anything itself.
"""

from __future__ import annotations

import datetime as dt
import random

from django.conf import settings
from django.db.models import Case, DateTimeField, F, Q, Value, When
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from kliyan.feedback import tokens
from kliyan.feedback.choices import InvitationStatus, SurveyChannel
from kliyan.feedback.models import SurveyInvitation

# Longer than an SMTP conversation (EMAIL_TIMEOUT is 20 s) or a provider's HTTP call can take.
CLAIM_SECONDS = 120
RETRY_DELAYS = (dt.timedelta(minutes=5), dt.timedelta(minutes=30), dt.timedelta(hours=2), dt.timedelta(hours=6))
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
# Channels a machine carries; "link" invitations wait for staff to hand them over.
SENDABLE_CHANNELS = (SurveyChannel.EMAIL, SurveyChannel.SMS, SurveyChannel.WHATSAPP)


def public_base_url() -> str:
    """Return where customers reach this installation (KLIYAN_PUBLIC_URL, else the first allowed host)."""
    configured = (settings.KLIYAN_PUBLIC_URL or "").rstrip("/")
    if configured:
        return configured
    host = next((h for h in settings.ALLOWED_HOSTS if h and h != "*" and not h.startswith(".")), "localhost")
    return f"{'https' if settings.HTTPS else 'http'}://{host}"


def survey_path(invitation: SurveyInvitation) -> str:
    return reverse("survey:answer", args=[tokens.token_for(invitation.token_nonce)])


def survey_url(invitation: SurveyInvitation, *, base: str | None = None) -> str:
    """Return the public link of the invitation's survey (absolute, for e-mail, SMS and copying)."""
    return (base or public_base_url()).rstrip("/") + survey_path(invitation)


def invitations_to_send(
    *, channel: str, limit: int = 200, now: dt.datetime | None = None,
) -> list[SurveyInvitation]:
    """Return queued invitations due to go out on `channel` whose link still works, oldest first (contact loaded)."""
    now = now or timezone.now()
    return list(
        SurveyInvitation.objects.filter(
            status=InvitationStatus.QUEUED, channel=channel, next_attempt_at__lte=now, expires_at__gt=now,
        ).select_related("contact", "ticket").order_by("next_attempt_at", "id")[:limit]
    )


def claim(invitation_id: int, *, now: dt.datetime | None = None) -> bool:
    """Take a due invitation for sending; False if it is not due, opened meanwhile, or another worker has it."""
    now = now or timezone.now()
    return bool(
        SurveyInvitation.objects.filter(
            Q(pk=invitation_id), Q(status=InvitationStatus.QUEUED), Q(next_attempt_at__lte=now), Q(expires_at__gt=now),
        ).update(next_attempt_at=now + dt.timedelta(seconds=CLAIM_SECONDS), send_attempts=F("send_attempts") + 1)
    )


def mark_sent(invitation_id: int, *, now: dt.datetime | None = None) -> None:
    """Note that the invitation left (unless the customer opened it meanwhile: that status stays)."""
    now = now or timezone.now()
    SurveyInvitation.objects.filter(pk=invitation_id).update(
        status=Case(When(status=InvitationStatus.QUEUED, then=Value(InvitationStatus.SENT)), default=F("status")),
        sent_at=Coalesce(F("sent_at"), Value(now, output_field=DateTimeField())), next_attempt_at=None, send_error="",
    )


def retry_delay(attempts: int) -> dt.timedelta:
    base = RETRY_DELAYS[min(attempts, len(RETRY_DELAYS)) - 1]
    return base * random.uniform(0.9, 1.1)  # noqa: S311 - spreading load, not security


def mark_failed(invitation_id: int, error: Exception | str, *, now: dt.datetime | None = None) -> None:
    """Record a failed attempt: retried later with back-off, "not sent" after the last attempt."""
    now = now or timezone.now()
    text = (error if isinstance(error, str) else f"{type(error).__name__}: {error}")[:500]
    attempts = (
        SurveyInvitation.objects.filter(pk=invitation_id).values_list("send_attempts", flat=True).first() or MAX_ATTEMPTS
    )
    queued = SurveyInvitation.objects.filter(pk=invitation_id, status=InvitationStatus.QUEUED)
    if attempts >= MAX_ATTEMPTS:
        queued.update(status=InvitationStatus.FAILED, next_attempt_at=None, send_error=text)
    else:
        queued.update(next_attempt_at=now + retry_delay(attempts), send_error=text)
