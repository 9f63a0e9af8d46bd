from django.urls import path  # noqa: F401

from kliyan.marketing import template_views  # noqa: F401

urlpatterns: list = []
