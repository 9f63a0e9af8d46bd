"""API v1: one's own API tokens. The secret is shown once, at creation; only its hash is kept."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from pydantic import Field

from kliyan.accounts.access import Perm, can
from kliyan.accounts.models import ApiToken
from kliyan.accounts.services import token_create, token_revoke
from kliyan.contacts.schemas import Input
from kliyan.core.api_auth import actor, via_session
from kliyan.core.errors import AccessDenied, NotFound

router = Router(tags=["tokens"])


class TokenIn(Input):
    name: str
    scope: str = Field("read", description="read or write")


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    scope: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None


class NewTokenOut(TokenOut):
    token: str = Field(..., description="The secret: shown this once, never again")


class TokenList(Schema):
    items: list[TokenOut]


def _own_token(request: HttpRequest, token_id: int) -> ApiToken:
    user = actor(request, Perm.USE_API_TOKENS)
    token = ApiToken.objects.filter(pk=token_id).first()
    # Someone else's token is "not found" unless one manages users: its id is not theirs to probe.
    if token is None or (token.user_id != user.pk and not can(user, Perm.MANAGE_USERS)):
        raise NotFound(_("There is no token with id %(id)s.") % {"id": token_id})
    return token


@router.get("/tokens", response=TokenList, summary="List my API tokens")
def token_list(request: HttpRequest) -> dict[str, Any]:
    user = actor(request, Perm.USE_API_TOKENS)
    return {"items": list(ApiToken.objects.filter(user=user).order_by("-created_at", "-id"))}


@router.post("/tokens", response={201: NewTokenOut}, summary="Create an API token (log in to do this)")
def token_new(request: HttpRequest, payload: TokenIn) -> Status[dict[str, Any]]:
    user = actor(request, Perm.USE_API_TOKENS)
    # A leaked token must not be able to mint more tokens that outlive its own revocation.
    if not via_session(request):
        raise AccessDenied(_("Create tokens while logged in, not with another token."))
    token, raw = token_create(actor=user, user=user, name=payload.name, scope=payload.scope)
    return Status(201, {**TokenOut.from_orm(token).model_dump(), "token": raw})


@router.post("/tokens/{int:token_id}/revoke", response=TokenOut, summary="Revoke an API token")
def token_revoke_post(request: HttpRequest, token_id: int) -> ApiToken:
    token = _own_token(request, token_id)
    return token_revoke(actor=request.auth, token_id=token.pk)  # type: ignore[attr-defined]


@router.delete("/tokens/{int:token_id}", response=TokenOut, summary="Revoke an API token")
def token_revoke_delete(request: HttpRequest, token_id: int) -> ApiToken:
    token = _own_token(request, token_id)
    return token_revoke(actor=request.auth, token_id=token.pk)  # type: ignore[attr-defined]
