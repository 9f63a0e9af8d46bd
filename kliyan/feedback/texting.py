"""SMS and WhatsApp out for survey invitations: handed to the messaging outbox (kliyan.marketing.outbox).

An invitation due on SMS or WhatsApp becomes one outbox message under the key
"survey:<invitation>", so a retried hand-over stores it once; the outbox then delivers it with
its own retries, receipts and quiet hours. The invitation counts as sent once the message is
stored: what became of it after that is on the message (the contact's Messages panel). A survey
is not marketing: it goes as a transactional message, without the marketing consent.
"""

from __future__ import annotations

import logging

from django.utils import translation
from django.utils.translation import gettext as _

from kliyan.core.errors import KliyanError
from kliyan.core.organisation import get_organisation
from kliyan.feedback import outbox
from kliyan.feedback.choices import SurveyChannel, SurveyKind
from kliyan.feedback.models import SurveyInvitation

logger = logging.getLogger(__name__)
TEXT_CHANNELS = (SurveyChannel.SMS, SurveyChannel.WHATSAPP)
SWEEP_BATCH = 500


def text_of(invitation: SurveyInvitation) -> str:
    """Return the invitation's message, short enough for one or two SMS, in the invitation's language."""
    organisation = get_organisation().name
    url = outbox.survey_url(invitation)
    with translation.override(invitation.language):
        if invitation.kind == SurveyKind.CSAT and invitation.ticket_id:
            return _("%(organisation)s: how did we do with your request %(reference)s? One question: %(url)s") % {
                "organisation": organisation, "reference": invitation.ticket_reference, "url": url,
            }
        return _("%(organisation)s: would you recommend us to a friend? One question: %(url)s") % {
            "organisation": organisation, "url": url,
        }


def hand_over(invitation_id: int) -> bool:
    """Claim an invitation due on SMS or WhatsApp and store its message in the outbox; return whether it was stored."""
    from kliyan.marketing.choices import Purpose
    from kliyan.marketing.outbox import queue_message

    if not outbox.claim(invitation_id):
        return False
    invitation = SurveyInvitation.objects.select_related("contact").get(pk=invitation_id)
    try:
        queue_message(
            actor=None, contact=invitation.contact, channel=invitation.channel, purpose=Purpose.TRANSACTIONAL,
            idempotency_key=f"survey:{invitation.pk}", body=text_of(invitation), language=invitation.language,
        )
    except KliyanError as error:  # the outbox refused the request itself (a channel it does not know, …)
        logger.warning("Survey invitation %s was not handed to the outbox: %s", invitation_id, error.message)
        outbox.mark_failed(invitation_id, error.message)
        return False
    outbox.mark_sent(invitation_id)
    return True


def hand_over_due(limit: int = SWEEP_BATCH) -> int:
    """Hand every invitation due on SMS or WhatsApp (up to `limit` each) to the outbox; return how many."""
    handed = 0
    for channel in TEXT_CHANNELS:
        for invitation in outbox.invitations_to_send(channel=channel, limit=limit):
            handed += hand_over(invitation.pk)
    return handed
