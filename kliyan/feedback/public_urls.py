"""The public survey page: /s/<token>/ (no login; the token is the key)."""

from django.urls import path

from kliyan.feedback import public_views

app_name = "survey"
urlpatterns = [
    path("<str:token>/", public_views.answer, name="answer"),
]
