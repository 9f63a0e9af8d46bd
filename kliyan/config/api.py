"""The one NinjaAPI under /api/v1/; each app adds its router here."""

from __future__ import annotations

from django.db import connection
from django.utils.translation import gettext as _
from ninja import Router, Schema

from kliyan.accounts.api import router as accounts_router
from kliyan.analytics.api import router as analytics_router
from kliyan.backup.api import router as backup_router
from kliyan.channels.api import router as channels_router
from kliyan.commerce.api import router as commerce_router
from kliyan.commerce.api_ingest import router as commerce_ingest_router
from kliyan.contacts.api import router as contacts_router
from kliyan.core.api_auth import api_auth
from kliyan.core.api_errors import ProblemAPI, install_problem_handlers
from kliyan.core.errors import NotFound
from kliyan.core.idempotency import claim_key, store_answer
from kliyan.dedupe.api import router as dedupe_router
from kliyan.feedback.api import router as feedback_router
from kliyan.imports.api import router as imports_router
from kliyan.imports.export_api import router as exports_router
from kliyan.interactions.api import router as interactions_router
from kliyan.knowledge.api import public_router as knowledge_public_router
from kliyan.knowledge.api import router as knowledge_router
from kliyan.marketing.automation_api import router as automation_router
from kliyan.marketing.campaign_api import router as campaign_router
from kliyan.marketing.message_api import router as message_router
from kliyan.marketing.segment_api import router as segment_router
from kliyan.marketing.template_api import router as template_router
from kliyan.service.api import router as service_router
from kliyan.service.problem_api import router as problem_router
from kliyan.service.sla_api import router as service_sla_router
from kliyan.webhooks.api import router as webhooks_router

api = ProblemAPI(
    title="Kliyan API",
    version="1",
    description=(
        "The customer database and its cross-channel timeline.\n\n"
        "Authenticate with `Authorization: Bearer <token>` (a read token may only read) or, from the browser, "
        "the session cookie plus the `X-CSRFToken` header on writes. Lists are paged with `cursor`/`next_cursor` "
        "and accept `updated_since` for syncing. Send `Idempotency-Key` on a POST to make retries safe: a repeat "
        "of the same request replays the first answer (header `Idempotent-Replayed: true`). "
        "Errors are RFC 9457 problem details (`application/problem+json`) naming each bad field."
    ),
    docs_url="/docs",
    openapi_url="/openapi.json",
    urls_namespace="api-v1",
    auth=api_auth(),
)
install_problem_handlers(api)
# Every POST honours Idempotency-Key: the claim is made once the caller is known and the
# body valid; the answer is stored once it is rendered.
api.add_decorator(claim_key, mode="operation")
api.add_decorator(store_answer, mode="view")
api.add_router("", contacts_router)
api.add_router("", interactions_router)
api.add_router("", accounts_router)
api.add_router("", commerce_router)
api.add_router("", commerce_ingest_router)
api.add_router("", webhooks_router)
api.add_router("", channels_router)
api.add_router("", analytics_router)
api.add_router("", imports_router)
api.add_router("", knowledge_router)
api.add_router("", knowledge_public_router)
api.add_router("", service_router)
api.add_router("", problem_router)
api.add_router("", service_sla_router)
api.add_router("", feedback_router)
api.add_router("", dedupe_router)
api.add_router("", exports_router)
api.add_router("", backup_router)
api.add_router("", template_router)
api.add_router("", message_router)
api.add_router("", segment_router)
api.add_router("", campaign_router)
api.add_router("", automation_router)

# Last, so it only answers what no endpoint matched (e.g. /contacts/abc): in the API's
# error format, not the HTML "page not found".
unmatched = Router()


@unmatched.api_operation(["GET", "POST", "PUT", "PATCH", "DELETE"], "/{path:rest}", auth=None, include_in_schema=False)
def not_found(request, rest: str) -> None:
    raise NotFound(_("There is no API endpoint at this address."))


api.add_router("", unmatched)


class Health(Schema):
    status: str
    database: str


@api.get("/health", response=Health, auth=None, tags=["health"], summary="Is the service up?")
def health(request) -> Health:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return Health(status="ok", database=connection.vendor)
