from django.urls import path

from kliyan.core import views

app_name = "core"
urlpatterns = [
    path("", views.home, name="home"),
    path("language/", views.set_language, name="set_language"),
    path("settings/", views.organisation_settings, name="settings"),
    path("audit/", views.audit_log, name="audit_log"),
]
