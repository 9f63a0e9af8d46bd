"""Remove an attachment's file once its row is gone.

A ticket's rows also disappear when its contact is erased (contacts.contact_delete, a
customer's erasure request): the contacts app cannot call the service desk, and the
database cascade is the only thing that reaches the attachments. Django's post_delete
signal fires for cascaded rows too, so it is the one place that sees every deletion.
The file goes after the commit: a rolled-back deletion keeps its file.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver

from kliyan.service.models import TicketAttachment


@receiver(post_delete, sender=TicketAttachment)
def delete_attachment_file(sender: Any, instance: TicketAttachment, **kwargs: Any) -> None:
    if not instance.file:
        return
    storage, name = instance.file.storage, instance.file.name
    transaction.on_commit(lambda: storage.delete(name))
