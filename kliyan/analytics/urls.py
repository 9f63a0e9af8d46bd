from django.urls import path

from kliyan.analytics import views

app_name = "analytics"
urlpatterns = [
    path("recommendations/", views.recommendations_page, name="recommendations"),
    path("recommendations/recompute/", views.recompute, name="recompute"),
]
