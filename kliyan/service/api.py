"""API v1 of the service desk: tickets, their messages and files, categories, teams, and e-mail in.

Endpoints parse, check the permission, call a service or query, and render.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import File, Query, Router, Status
from ninja.decorators import decorate_view
from ninja.files import UploadedFile

from kliyan.accounts import teams as team_services
from kliyan.accounts.access import Perm
from kliyan.contacts.api import LIMIT, UPDATED_SINCE
from kliyan.core.api_auth import BearerTokenAuth, actor
from kliyan.core.api_errors import problem_response
from kliyan.core.api_json import json_page
from kliyan.core.api_types import MAX_ID, ApiDateTime, ObjectId
from kliyan.core.errors import KliyanError, NotFound, ValidationFailed
from kliyan.core.idempotency import HEADER as IDEMPOTENCY_HEADER
from kliyan.core.pagination import keyset_page
from kliyan.service import categories, mail_in, queries, services
from kliyan.service.attachments import attachment_upload
from kliyan.service.attachments import max_bytes as attachment_max_bytes
from kliyan.service.choices import UNRESOLVED, Priority, TicketKind, TicketStatus
from kliyan.service.downloads import download
from kliyan.service.models import TicketAttachment, TicketCategory
from kliyan.service.schemas import (
    AttachmentOut,
    CategoryIn,
    CategoryList,
    CategoryOut,
    MailOut,
    MessageIn,
    MessageOut,
    ReplyIn,
    TeamIn,
    TeamList,
    TeamOut,
    TicketCreate,
    TicketDetailOut,
    TicketPage,
    TicketUpdate,
    attachment_out,
    category_out,
    event_out,
    message_out,
    team_out,
    ticket_out,
)

router = Router(tags=["service"])
TICKET_ORDERING = ["-created_at", "-id"]
MAIL_TYPES = frozenset({"message/rfc822"})
# Multipart framing around an uploaded file.
UPLOAD_OVERHEAD = 64 * 1024


class UnsupportedMediaType(KliyanError):
    status = 415
    code = "unsupported_media_type"


def body_limit(limit: Callable[[], int]) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Hold a request body to its own limit instead of the global one (DATA_UPLOAD_MAX_MEMORY_SIZE).

    A raw e-mail or a file may be larger than `request.body` allows. Only a request with an
    Idempotency-Key is read whole here, because the key's fingerprint covers the body (and a
    multipart upload's stream is spent once its file has been parsed); the others are read
    by the endpoint once the caller is known (`raw_body`).
    """

    def decorator(run: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @functools.wraps(run)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            most = limit()
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            if length > most:
                return _too_large(request, most)
            if request.headers.get(IDEMPOTENCY_HEADER) and not hasattr(request, "_body"):
                body = request.read(most + 1)
                if len(body) > most:
                    return _too_large(request, most)
                request._body = body  # type: ignore[attr-defined]
                request._stream = io.BytesIO(body)  # type: ignore[attr-defined]
            return run(request, *args, **kwargs)

        return wrapper

    return decorator


class TooLarge(KliyanError):
    status = 413
    code = "too_large"


def raw_body(request: HttpRequest, limit: int) -> bytes:
    """Return the request body, read from the stream up to `limit` bytes (413 beyond)."""
    body = request._body if hasattr(request, "_body") else request.read(limit + 1)  # type: ignore[attr-defined]
    if len(body) > limit:
        raise TooLarge(_("The request is too large."), extra={"detail": _("Send at most %(limit)d bytes.") % {"limit": limit}})
    return body


def _too_large(request: HttpRequest, limit: int) -> HttpResponse:
    return problem_response(
        request, status=413, code="too_large", title=_("The request is too large."),
        detail=_("Send at most %(limit)d bytes.") % {"limit": limit},
    )


def _ticket(pk: int) -> Any:
    ticket = queries.ticket_for_page(pk) if 0 < pk <= MAX_ID else None
    if ticket is None:
        raise NotFound(_("There is no ticket with id %(id)s.") % {"id": pk})
    return ticket


def _detail(pk: int) -> dict[str, Any]:
    ticket = _ticket(pk)
    return {
        **ticket_out(ticket),
        "messages": [message_out(m) for m in queries.conversation(ticket)],
        "attachments": [attachment_out(a) for a in queries.loose_attachments(ticket)],
        "history": [event_out(e) for e in queries.history(ticket)],
    }


def _choice(value: str, allowed: list[str], field: str) -> str:
    if value and value not in allowed:
        raise ValidationFailed(field_errors={field: [_("“%(value)s” is not a valid choice.") % {"value": value}]})
    return value


def _assignee_filter(request: HttpRequest, assignee: str) -> int | None:
    if not assignee:
        return None
    if assignee == "me":
        return request.auth.pk  # type: ignore[attr-defined]
    if assignee.isdigit() and 0 < int(assignee) <= MAX_ID:
        return int(assignee)
    raise ValidationFailed(field_errors={"assignee": [_("Use “me” or a user id.")]})


# --- Tickets ----------------------------------------------------------------------------


@router.get("/tickets", response=TicketPage, summary="List tickets, newest first")
def ticket_list(
    request: HttpRequest,
    status: str = Query("open", description="open (not yet resolved: new, open, waiting, reopened), all, or one status"),
    assignee: str = Query("", description="me, or a user id"),
    team: ObjectId | None = None,
    unassigned: bool = Query(False, description="Only tickets nobody is assigned to"),
    contact: ObjectId | None = None,
    category: ObjectId | None = Query(None, description="A category id; its subcategories are included"),
    priority: str = Query("", description="low, normal, high or urgent"),
    kind: str = Query("", description="complaint, question or request"),
    updated_since: ApiDateTime | None = UPDATED_SINCE,
    cursor: str | None = None,
    limit: int = LIMIT,
) -> HttpResponse:
    actor(request, Perm.VIEW_TICKETS)
    _choice(status, ["open", "all", *TicketStatus.values], "status")
    filters = queries.TicketFilters(
        statuses=tuple(UNRESOLVED) if status == "open" else (() if status == "all" else (status,)),
        assignee_id=_assignee_filter(request, assignee.strip()),
        unassigned=unassigned,
        team_ids=(team,) if team else None,
        contact_id=contact,
        category_ids=queries.category_with_descendants(category) if category else (),
        priority=_choice(priority, Priority.values, "priority"),
        kind=_choice(kind, TicketKind.values, "kind"),
        updated_since=updated_since,
    )
    page = keyset_page(queries.list_tickets(filters).select_related("company", "product"), ordering=TICKET_ORDERING,
                       cursor=cursor, size=limit)
    return json_page([ticket_out(t) for t in page.items], page.next_cursor)


@router.post("/tickets", response={201: TicketDetailOut}, summary="Open a ticket for a contact")
def ticket_create(request: HttpRequest, payload: TicketCreate) -> Status[dict[str, Any]]:
    user = actor(request, Perm.WORK_TICKETS)
    ticket = services.ticket_create(actor=user, data=payload.model_dump(exclude_unset=True))
    return Status(201, _detail(ticket.pk))


@router.get("/tickets/{int:ticket_id}", response=TicketDetailOut, summary="Read a ticket with its messages and history")
def ticket_detail(request: HttpRequest, ticket_id: int) -> dict[str, Any]:
    actor(request, Perm.VIEW_TICKETS)
    return _detail(ticket_id)


@router.patch("/tickets/{int:ticket_id}", response=TicketDetailOut, summary="Change a ticket's status, priority, assignee, …")
def ticket_update(request: HttpRequest, ticket_id: int, payload: TicketUpdate) -> dict[str, Any]:
    user = actor(request, Perm.WORK_TICKETS)
    services.ticket_update(actor=user, ticket=_ticket(ticket_id), data=payload.model_dump(exclude_unset=True))
    return _detail(ticket_id)


@router.post("/tickets/{int:ticket_id}/reply", response={201: MessageOut}, summary="Reply to the customer (e-mailed)")
def ticket_reply(request: HttpRequest, ticket_id: int, payload: ReplyIn) -> Status[dict[str, Any]]:
    user = actor(request, Perm.WORK_TICKETS)
    message = services.ticket_reply(
        actor=user, ticket=_ticket(ticket_id), body=payload.body, attachment_ids=payload.attachments or [],
        status=payload.status or "",
    )
    return Status(201, message_out(message))


@router.post("/tickets/{int:ticket_id}/notes", response={201: MessageOut}, summary="Add an internal note (staff only)")
def ticket_note(request: HttpRequest, ticket_id: int, payload: MessageIn) -> Status[dict[str, Any]]:
    user = actor(request, Perm.WORK_TICKETS)
    message = services.ticket_add_note(
        actor=user, ticket=_ticket(ticket_id), body=payload.body, attachment_ids=payload.attachments or [],
    )
    return Status(201, message_out(message))


@router.post(
    "/tickets/{int:ticket_id}/attachments", response={201: AttachmentOut},
    summary="Upload a file to a ticket (multipart/form-data, field `file`); send its id with a reply or note",
)
@decorate_view(body_limit(lambda: attachment_max_bytes() + UPLOAD_OVERHEAD))
def ticket_attachment_upload(
    request: HttpRequest, ticket_id: int, file: UploadedFile | None = File(None),
) -> Status[dict[str, Any]]:
    user = actor(request, Perm.WORK_TICKETS)
    attachment = attachment_upload(actor=user, ticket=_ticket(ticket_id), upload=file)
    return Status(201, attachment_out(attachment))


@router.get(
    "/ticket-attachments/{int:attachment_id}/content", url_name="ticket_attachment_content",
    summary="Download an attachment",
)
def ticket_attachment_content(request: HttpRequest, attachment_id: int) -> HttpResponse:
    actor(request, Perm.VIEW_TICKETS)
    attachment = TicketAttachment.objects.filter(pk=attachment_id).first() if attachment_id <= MAX_ID else None
    if attachment is None:
        raise NotFound(_("There is no attachment with id %(id)s.") % {"id": attachment_id})
    return download(attachment)


# --- Categories and teams ---------------------------------------------------------------


@router.get("/ticket-categories", response=CategoryList, summary="List ticket categories in tree order")
def category_list(request: HttpRequest) -> dict[str, Any]:
    actor(request, Perm.VIEW_TICKETS)
    return {"items": [category_out(node.category, node.path) for node in queries.category_tree()]}


def _category_path(pk: int) -> dict[str, Any]:
    node = next(node for node in queries.category_tree() if node.category.pk == pk)
    return category_out(node.category, node.path)


@router.post("/ticket-categories", response={201: CategoryOut}, summary="Create a ticket category")
def category_create(request: HttpRequest, payload: CategoryIn) -> Status[dict[str, Any]]:
    user = actor(request, Perm.MANAGE_SERVICE)
    category = categories.category_create(actor=user, data=payload.model_dump(exclude_unset=True))
    return Status(201, _category_path(category.pk))


@router.patch("/ticket-categories/{int:category_id}", response=CategoryOut, summary="Rename, move or switch off a category")
def category_update(request: HttpRequest, category_id: int, payload: CategoryIn) -> dict[str, Any]:
    user = actor(request, Perm.MANAGE_SERVICE)
    category = TicketCategory.objects.filter(pk=category_id).first() if category_id <= MAX_ID else None
    if category is None:
        raise NotFound(_("There is no ticket category with id %(id)s.") % {"id": category_id})
    categories.category_update(actor=user, category=category, data=payload.model_dump(exclude_unset=True))
    return _category_path(category.pk)


@router.get("/teams", response=TeamList, tags=["teams"], summary="List teams with their members")
def team_list(request: HttpRequest) -> dict[str, Any]:
    actor(request, Perm.VIEW_TICKETS)
    return {"items": [team_out(team) for team in team_services.teams()]}


@router.post("/teams", response={201: TeamOut}, tags=["teams"], summary="Create a team")
def team_create(request: HttpRequest, payload: TeamIn) -> Status[dict[str, Any]]:
    user = actor(request, Perm.MANAGE_SERVICE)
    team = team_services.team_create(actor=user, data=payload.model_dump(exclude_unset=True))
    return Status(201, team_out(team_services.get_team(team.pk)))


@router.patch("/teams/{int:team_id}", response=TeamOut, tags=["teams"], summary="Change a team's name, manager or members")
def team_update(request: HttpRequest, team_id: int, payload: TeamIn) -> dict[str, Any]:
    user = actor(request, Perm.MANAGE_SERVICE)
    team = team_services.get_team(team_id) if team_id <= MAX_ID else None
    if team is None:
        raise NotFound(_("There is no team with id %(id)s.") % {"id": team_id})
    team_services.team_update(actor=user, team=team, data=payload.model_dump(exclude_unset=True))
    return team_out(team_services.get_team(team_id))


# --- E-mail in ------------------------------------------------------------------------------


def _mail_body() -> dict[str, Any]:
    return {"requestBody": {"required": True, "content": {"message/rfc822": {"schema": {
        "type": "string", "format": "binary", "description": "The raw e-mail (RFC 5322), as received",
    }}}}}


@router.post(
    "/service/mail", response={200: MailOut, 201: MailOut}, auth=[BearerTokenAuth()], openapi_extra=_mail_body(),
    summary="Take in a raw e-mail (a new ticket, or a reply to one); needs a write token",
)
@decorate_view(body_limit(mail_in.max_bytes))
def mail_receive(request: HttpRequest) -> Status[dict[str, Any]]:
    """File the e-mail in the body (Content-Type: message/rfc822).

    Answers 201 when it made a ticket or added to one, 200 when it had been received before
    (same Message-ID) or was ignored (our own address); 422 if it is not an e-mail.
    """
    user = actor(request, Perm.WORK_TICKETS)
    if (request.content_type or "") not in MAIL_TYPES:
        raise UnsupportedMediaType(
            _("Send the raw e-mail with Content-Type: message/rfc822."),
            field_errors={"Content-Type": [_("Use message/rfc822.")]},
        )
    receipt = mail_in.receive(raw_body(request, mail_in.max_bytes()), actor=user)
    ticket = receipt.ticket
    answer = {
        "outcome": receipt.outcome, "ticket": ticket.pk if ticket else None, "reference": ticket.reference if ticket else None,
        "message": receipt.message.pk if receipt.message else None,
    }
    return Status(201 if receipt.outcome in {"created", "added"} else 200, answer)

