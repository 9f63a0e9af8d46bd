"""The one NinjaAPI under /api/v1/; each app adds its router here."""

from __future__ import annotations

from django.db import connection
from ninja import NinjaAPI, Schema

from kliyan.core.api_errors import install_problem_handlers

api = NinjaAPI(
    title="Kliyan API",
    version="1",
    description="The customer database and its cross-channel timeline. Errors are RFC 9457 problem details.",
    docs_url="/docs",
    openapi_url="/openapi.json",
    urls_namespace="api-v1",
)
install_problem_handlers(api)


class Health(Schema):
    status: str
    database: str


@api.get("/health", response=Health, auth=None, tags=["health"], summary="Is the service up?")
def health(request) -> Health:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return Health(status="ok", database=connection.vendor)
