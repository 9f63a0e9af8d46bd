"""The public survey page (/s/<token>/): no login, one invitation, nothing about any other.

Plain HTML and a form POST (with CSRF): it works without JavaScript on a cheap phone.
The page speaks the invitation's language unless the customer picks another
(`?lang=fr`). An unknown or malformed token is a plain 404, the same for every token.
Opening the page marks the invitation opened; an answered one thanks the customer
again and changes nothing; an expired one says so (410).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from kliyan.core.choices import Language
from kliyan.core.errors import ValidationFailed
from kliyan.feedback.choices import InvitationStatus, SurveyKind
from kliyan.feedback.models import SurveyInvitation
from kliyan.feedback.services import AlreadyAnswered, LinkExpired, find_invitation, invitation_opened, response_submit

# Score, the mouth of its face (an SVG path: phones without emoji fonts draw it too), its name.
CSAT_OPTIONS = (
    (1, "M7.5 17.5Q12 12 16.5 17.5", _("Very dissatisfied")),
    (2, "M8 16.5Q12 14 16 16.5", _("Dissatisfied")),
    (3, "M8 15.5H16", _("Neither satisfied nor dissatisfied")),
    (4, "M8 14.5Q12 17 16 14.5", _("Satisfied")),
    (5, "M7.5 14Q12 19.5 16.5 14", _("Very satisfied")),
)


def _language(request: HttpRequest, invitation: SurveyInvitation) -> str:
    chosen = request.GET.get("lang", "")
    return chosen if chosen in Language.values else invitation.language


def _url(request: HttpRequest, language: str, **extra: str) -> str:
    query = {"lang": language, **extra} if language else extra
    return f"{request.path}?{urlencode(query)}" if query else request.path


def _options(kind: str) -> list[dict[str, Any]]:
    if kind == SurveyKind.CSAT:
        return [{"value": n, "mouth": mouth, "label": label} for n, mouth, label in CSAT_OPTIONS]
    return [{"value": n, "mouth": "", "label": ""} for n in range(0, 11)]


def _page(request: HttpRequest, invitation: SurveyInvitation, language: str, state: str, *,
          status: int = 200, errors: dict[str, list[str]] | None = None, values: dict[str, str] | None = None) -> HttpResponse:
    context = {
        "invitation": invitation, "state": state, "language": language, "options": _options(invitation.kind),
        "errors": errors or {}, "values": values or {}, "action": _url(request, language),
        "switcher": [
            {"code": code, "name": name, "url": _url(request, code)} for code, name in Language.choices
        ],
    }
    with translation.override(language):
        response = render(request, "feedback/public/survey.html", context, status=status)
    response.headers["Content-Language"] = language
    # The link is the key: keep it out of caches, search engines and other sites' Referer.
    # ("no-referrer" would also make browsers send "Origin: null" with the form, which the
    # CSRF check rightly refuses; "same-origin" keeps the Origin and tells no other site.)
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def answer(request: HttpRequest, token: str) -> HttpResponse:
    invitation = find_invitation(token)
    if invitation is None:
        raise Http404
    language = _language(request, invitation)
    if request.method == "POST":
        values = {"score": request.POST.get("score", ""), "comment": request.POST.get("comment", "")}
        try:
            response_submit(invitation=invitation, score=values["score"], comment=values["comment"], language=language)
        except AlreadyAnswered:
            return _page(request, invitation, language, "already")
        except LinkExpired:
            return _page(request, invitation, language, "expired", status=410)
        except ValidationFailed as error:
            return _page(request, invitation, language, "form", status=422, errors=error.field_errors, values=values)
        return HttpResponseRedirect(_url(request, language, done="1"))
    if request.method == "GET":
        invitation_opened(invitation)
    if invitation.status == InvitationStatus.ANSWERED:
        return _page(request, invitation, language, "thanks" if request.GET.get("done") else "already")
    if invitation.status == InvitationStatus.EXPIRED or invitation.is_expired:
        return _page(request, invitation, language, "expired", status=410)
    return _page(request, invitation, language, "form")
