from django.urls import include, path

from kliyan.config.api import api

urlpatterns = [
    path("api/v1/", api.urls),
    path("", include("kliyan.core.urls")),
    path("accounts/", include("kliyan.accounts.urls")),
    path("contacts/duplicates/", include("kliyan.dedupe.urls")),
    path("contacts/", include("kliyan.contacts.urls")),
    path("", include("kliyan.interactions.urls")),
    path("commerce/", include("kliyan.commerce.urls")),
    path("webhooks/", include("kliyan.webhooks.urls")),
    path("", include("kliyan.channels.urls")),
    path("analytics/", include("kliyan.analytics.urls")),
    path("imports/", include("kliyan.imports.urls")),
    path("knowledge/", include("kliyan.knowledge.urls")),
    path("kb/", include("kliyan.knowledge.public_urls")),
    path("service/", include("kliyan.service.urls")),
    path("feedback/", include("kliyan.feedback.urls")),
    path("s/", include("kliyan.feedback.public_urls")),
    path("m/", include("kliyan.marketing.public_urls")),
    path("backups/", include("kliyan.backup.urls")),
    path("marketing/", include("kliyan.marketing.urls")),
]
