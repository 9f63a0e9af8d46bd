"""Public addresses of the messaging outbox under /m/ (no login; the signed token is the key)."""

from django.urls import path

from kliyan.marketing import public_views

app_name = "marketing_public"
urlpatterns = [
    path("u/<str:token>/", public_views.unsubscribe, name="unsubscribe"),
    path("o/<str:token>/", public_views.opened, name="open"),
    path("c/<str:token>/", public_views.clicked, name="click"),
]
