"""The one family of application errors: a code, a message and, per field, what is wrong.

Pages render `field_errors` next to each field; the API renders the same error as an
RFC 9457 problem document (kliyan.core.api_errors).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _


class KliyanError(Exception):
    """A request that cannot be carried out; nothing has been changed."""

    status = 400
    code = "bad_request"
    default_message = _("The request cannot be carried out.")

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        field_errors: dict[str, list[str]] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        self.message = str(message or self.default_message)
        if code:
            self.code = code
        self.field_errors = {k: [str(m) for m in v] for k, v in (field_errors or {}).items()}
        self.extra = extra or {}
        super().__init__(self.message)


class ValidationFailed(KliyanError):
    status = 422
    code = "validation_failed"
    default_message = _("Some fields are not valid.")


class NotFound(KliyanError):
    status = 404
    code = "not_found"
    default_message = _("Not found.")


class AccessDenied(KliyanError):
    status = 403
    code = "forbidden"
    default_message = _("You do not have permission to do this.")


class Conflict(KliyanError):
    status = 409
    code = "conflict"
    default_message = _("This conflicts with existing data.")


class FieldErrors:
    """Collect errors field by field, then raise them all at once."""

    def __init__(self) -> None:
        self.errors: dict[str, list[str]] = {}

    def add(self, field: str, message: str) -> None:
        self.errors.setdefault(field, []).append(str(message))

    def __bool__(self) -> bool:
        return bool(self.errors)

    def raise_if_any(self) -> None:
        if self.errors:
            raise ValidationFailed(field_errors=self.errors)
