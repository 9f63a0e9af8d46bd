"""Background work of customer feedback: e-mailing invitations, NPS campaigns, expiry. Tasks take ids."""

from __future__ import annotations

from django_tasks import task

from kliyan.core.audit import audit_context


@task()
def send_survey_email(invitation_id: int) -> bool:
    """E-mail one invitation if it is still due; return whether it left."""
    from kliyan.feedback import mailer

    return mailer.send_one(invitation_id)


@task()
def send_due_survey_emails() -> int:
    """E-mail the invitations due on the e-mail channel, a batch at a time (every minute by the schedule)."""
    from kliyan.feedback import mailer

    return mailer.send_due()


@task()
def send_due_survey_texts() -> int:
    """Hand the invitations due on SMS and WhatsApp to the messaging outbox (every minute by the schedule)."""
    from kliyan.feedback import texting
    from kliyan.marketing.tasks import deliver_messages

    handed = texting.hand_over_due()
    if handed:
        deliver_messages.enqueue()  # now, not at the outbox's next minute
    return handed


@task()
def expire_survey_invitations() -> int:
    """Mark unanswered invitations whose link has run out as expired (hourly by the schedule)."""
    from kliyan.feedback.services import expire_due_invitations

    return expire_due_invitations()


@task()
def run_nps_campaign(campaign_id: int) -> str:
    """Create the campaign's invitations in batches, carrying on where an earlier run stopped."""
    from kliyan.feedback.campaigns import campaign_run

    with audit_context(via="task"):
        status = campaign_run(campaign_id=campaign_id).status
    if status == "done":
        send_due_survey_emails.enqueue()  # the first e-mails now, not at the next minute
    return status
