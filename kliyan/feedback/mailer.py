"""E-mail out for survey invitations (SMS and WhatsApp go through the messaging outbox: texting.py).

A CSAT invitation asks for its own e-mail once the resolution commits (`send_after_commit`);
the every-minute sweep sends the rest (an NPS campaign's thousands, a lost task, retries)
a batch at a time over one SMTP connection. Each e-mail is sent after `outbox.claim`, so a
retried task or two workers never send one twice.
"""

from __future__ import annotations

import logging
from email.utils import make_msgid, parseaddr

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from kliyan.core.organisation import get_organisation
from kliyan.feedback import outbox
from kliyan.feedback.choices import SurveyChannel, SurveyKind
from kliyan.feedback.models import SurveyInvitation

logger = logging.getLogger(__name__)
# E-mails per sweep: at one a minute, 100,000 invitations go out in under four hours
# without one task holding a worker for long.
SWEEP_BATCH = 500


def _from_address() -> str:
    address = settings.DEFAULT_FROM_EMAIL
    if parseaddr(address)[0]:
        return address
    return f"{get_organisation().name} <{parseaddr(address)[1]}>"


def build_email(invitation: SurveyInvitation) -> EmailMessage:
    """Return the invitation's e-mail, in the invitation's language, with its link."""
    organisation = get_organisation()
    address = parseaddr(_from_address())[1]
    with translation.override(invitation.language):
        context = {
            "invitation": invitation, "url": outbox.survey_url(invitation), "organisation": organisation,
            "reference": invitation.ticket.reference if invitation.ticket_id else "",
            "subject_line": invitation.ticket.subject if invitation.ticket_id else "",
            "name": invitation.contact.first_name or invitation.contact.display_name,
            "days": (invitation.expires_at - invitation.created_at).days,
        }
        if invitation.kind == SurveyKind.CSAT:
            subject = _("How did we do? One question about your request")
        else:
            subject = _("Would you recommend %(organisation)s?") % {"organisation": organisation.name}
        body = render_to_string("feedback/email/invitation.txt", context)
    return EmailMessage(
        subject=subject, body=body, from_email=_from_address(), to=[invitation.contact.primary_email],
        headers={
            "Message-ID": make_msgid(idstring="survey", domain=address.rpartition("@")[2] or "kliyan.invalid"),
            # Mail programs and list managers: an automatic message, please no out-of-office answers.
            "Auto-Submitted": "auto-generated", "X-Auto-Response-Suppress": "All",
        },
    )


def send_one(invitation_id: int, *, connection: object | None = None) -> bool:
    """Claim and e-mail one invitation; return whether it left. A failure is recorded for a retry."""
    if not outbox.claim(invitation_id):
        return False
    invitation = SurveyInvitation.objects.select_related("contact", "ticket").get(pk=invitation_id)
    if not invitation.contact.primary_email:
        outbox.mark_failed(invitation_id, _("The contact has no e-mail address any more."))
        return False
    try:
        message = build_email(invitation)
        message.connection = connection
        message.send(fail_silently=False)
    except Exception as error:  # noqa: BLE001 - any failure of the mail server is a retry, never a crash
        logger.warning("Survey invitation %s was not e-mailed: %s", invitation_id, error)
        outbox.mark_failed(invitation_id, error)
        return False
    outbox.mark_sent(invitation_id)
    return True


def send_due(limit: int = SWEEP_BATCH) -> int:
    """E-mail every invitation due on the e-mail channel (up to `limit`) over one connection."""
    due = [invitation.pk for invitation in outbox.invitations_to_send(channel=SurveyChannel.EMAIL, limit=limit)]
    if not due:
        return 0
    sent = 0
    connection = get_connection(fail_silently=False)
    try:
        for invitation_id in due:
            sent += send_one(invitation_id, connection=connection)
    finally:
        try:
            connection.close()
        except Exception:  # noqa: BLE001 - a broken connection is already recorded per invitation
            logger.debug("Closing the SMTP connection failed", exc_info=True)
    return sent


def send_after_commit(invitation_id: int) -> None:
    from kliyan.feedback.tasks import send_survey_email

    transaction.on_commit(lambda: send_survey_email.enqueue(invitation_id))
