"""The public knowledge base: /kb/, /kb/<lang>/, /kb/<lang>/<slug>/ (no login)."""

from django.urls import path

from kliyan.knowledge import public_views

app_name = "kb"
urlpatterns = [
    path("", public_views.kb_index, name="index"),
    path("<str:language>/", public_views.kb_index, name="index_in"),
    path("<str:language>/<slug:slug>/", public_views.kb_article, name="article"),
]
