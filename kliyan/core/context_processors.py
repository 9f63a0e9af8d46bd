from typing import Any

from django.http import HttpRequest


def kliyan(request: HttpRequest) -> dict[str, Any]:
    from kliyan.accounts.access import permissions_of
    from kliyan.core.organisation import get_organisation

    user = getattr(request, "user", None)
    return {"organisation": get_organisation(), "perms_of_user": {str(p) for p in permissions_of(user)}}
