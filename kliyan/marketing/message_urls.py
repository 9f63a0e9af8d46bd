from django.urls import path  # noqa: F401

from kliyan.marketing import message_views  # noqa: F401

urlpatterns: list = []
