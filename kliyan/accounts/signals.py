"""Put sign-ins, sign-outs and failed sign-ins in the audit log.

These are Django's own authentication signals: the only place those events surface.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from kliyan.core.audit import audit_context, record
from kliyan.core.models import AuditAction


def _ip(request: Any) -> str | None:
    return request.META.get("REMOTE_ADDR") if request is not None else None


@receiver(user_logged_in)
def audit_login(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    with audit_context(via="web", ip_address=_ip(request)):
        record(actor=user, action=AuditAction.LOGIN, instance=user, label=user.get_username())


@receiver(user_logged_out)
def audit_logout(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is None:
        return
    with audit_context(via="web", ip_address=_ip(request)):
        record(actor=user, action=AuditAction.LOGOUT, instance=user, label=user.get_username())


@receiver(user_login_failed)
def audit_login_failed(sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any) -> None:
    username = str(credentials.get("username", ""))[:150]
    user = get_user_model().objects.filter(username=username).first()
    with audit_context(via="web", ip_address=_ip(request)):
        record(
            actor=None,
            action=AuditAction.LOGIN_FAILED,
            object_type_label="accounts.user",
            object_id=str(user.pk) if user else "",
            label=username,
        )
