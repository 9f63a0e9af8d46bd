"""Survey links on staff pages: who may see them, and the address shown to copy."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from kliyan.accounts.access import Perm, can
from kliyan.feedback.choices import ANSWERABLE
from kliyan.feedback.models import SurveyInvitation
from kliyan.feedback.outbox import survey_url


def may_hand_out_links(user: Any) -> bool:
    """Staff who work with customers (Agent and up) see survey links; a link lets anyone answer as the customer."""
    return can(user, Perm.EDIT_CUSTOMERS)


def link_for(request: HttpRequest, invitation: SurveyInvitation) -> str:
    """Return the link to show staff, or "" once it is of no use (answered, expired).

    It points at KLIYAN_PUBLIC_URL when set (where customers reach us), else at the
    address the member of staff is using.
    """
    if invitation.status not in ANSWERABLE or invitation.is_expired:
        return ""
    base = settings.KLIYAN_PUBLIC_URL or request.build_absolute_uri("/")
    return survey_url(invitation, base=base)
