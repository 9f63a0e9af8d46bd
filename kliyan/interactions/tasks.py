"""Background work: task reminders (claimed by the periodic schedule, then e-mailed)."""

from __future__ import annotations

from django.core.mail import send_mail
from django.utils import translation
from django.utils.translation import gettext as _
from django_tasks import task

from kliyan.core.organisation import get_organisation
from kliyan.interactions.models import Task
from kliyan.interactions.services import claim_due_reminders


@task()
def send_task_reminder(task_id: int) -> bool:
    """E-mail the assignee of a task that their reminder is due. Return whether a mail left."""
    item = Task.objects.select_related("assignee", "contact").filter(pk=task_id).first()
    if item is None or item.assignee is None or not item.assignee.email:
        return False
    language = item.assignee.language or get_organisation().language
    with translation.override(language):
        subject = _("Reminder: %(title)s") % {"title": item.title}
        lines = [item.title, _("Due: %(date)s") % {"date": item.due_date.isoformat()}]
        if item.contact:
            lines.append(_("Customer: %(name)s") % {"name": item.contact.display_name})
        if item.description:
            lines.append(item.description)
    send_mail(subject, "\n\n".join(lines), None, [item.assignee.email])
    return True


@task()
def queue_due_reminders() -> int:
    """Claim every due reminder once and enqueue its e-mail (run by the worker's schedule)."""
    claimed = claim_due_reminders()
    for task_id in claimed:
        send_task_reminder.enqueue(task_id)
    return len(claimed)
