"""Pages of the outbox: the list of messages, one message, and writing to a contact (a reply, through the outbox).

They parse, call a service or a query, render; every view checks its permission.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from kliyan.accounts.access import Perm
from kliyan.contacts.models import Contact
from kliyan.core.errors import KliyanError
from kliyan.core.pagination import keyset_page
from kliyan.core.web import apply_errors, perm_required
from kliyan.marketing import message_queries as queries
from kliyan.marketing.choices import Purpose
from kliyan.marketing.message_forms import MessageFilterForm, WriteForm
from kliyan.marketing.message_services import message_send
from kliyan.marketing.policy import not_sent_text

PAGE_SIZE = 50


@perm_required(Perm.SEND_MESSAGES)
def message_list(request: HttpRequest) -> HttpResponse:
    """The outbox, newest first, filtered by status, channel and kind, a page at a time."""
    form = MessageFilterForm(request.GET or None)
    errors: dict[str, list[str]] = {}
    try:
        filters = queries.message_filters(request.GET)
    except KliyanError as error:
        errors = error.field_errors
        apply_errors(form, error)
        filters = queries.MessageFilters()
    cursor = request.GET.get("cursor") or None
    try:
        page = keyset_page(queries.filtered_messages(request.user, filters), ordering=queries.ORDERING, cursor=cursor, size=PAGE_SIZE)
    except KliyanError:
        cursor, page = None, keyset_page(queries.filtered_messages(request.user, filters), ordering=queries.ORDERING,
                                         cursor=None, size=PAGE_SIZE)
    context = {
        "form": form, "page": page, "cursor": cursor, "filter_query": urlencode(filters.as_query()),
        "rows": [{"message": m, "not_sent": not_sent_text(reason=m.reason, reason_at=m.reason_at, channel=m.channel)}
                 for m in page.items],
    }
    return render(request, "marketing/messages/list.html", context, status=422 if errors else 200)


@perm_required(Perm.SEND_MESSAGES)
def message_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One message: its text, where it went, what happened to it and when, and why it was not sent."""
    message = queries.message_for(request.user, pk)
    if message is None:
        raise Http404
    context = {
        "message": message,
        "not_sent": not_sent_text(reason=message.reason, reason_at=message.reason_at, channel=message.channel),
        "steps": [
            (_("Stored"), message.created_at), (_("Not before"), message.send_after), (_("Sent"), message.sent_at),
            (_("Delivered"), message.delivered_at), (_("Opened"), message.opened_at), (_("Clicked"), message.clicked_at),
        ],
    }
    return render(request, "marketing/messages/detail.html", context)


@perm_required(Perm.SEND_MESSAGES)
def message_write(request: HttpRequest, contact_id: int) -> HttpResponse:
    """Write to a contact on a channel they have an address on; the message is a reply (transactional)."""
    contact = Contact.objects.filter(pk=contact_id, merged_into__isnull=True).first()
    if contact is None:
        raise Http404
    form = WriteForm(request.POST or None, channels=queries.channels_for(contact))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            queued = message_send(
                actor=request.user, contact_id=contact.pk, channel=data["channel"], purpose=Purpose.TRANSACTIONAL,
                body=data["body"], subject=data["subject"], template_id=data["template"].pk if data["template"] else None,
                idempotency_key=f"page:{request.user.pk}:{data['key']}",
            )
        except KliyanError as error:
            apply_errors(form, error, {"template_id": "template"})
        else:
            if queued.message.status == "not_sent":
                messages.warning(request, not_sent_text(
                    reason=queued.message.reason, reason_at=queued.message.reason_at, channel=queued.message.channel,
                ))
            else:
                messages.success(request, _("Message stored: it goes out in a few seconds."))
            return redirect(contact.get_absolute_url() + "#messages")
    context: dict[str, Any] = {"contact": contact, "form": form}
    return render(request, "marketing/messages/write.html", context, status=422 if form.errors else 200)
