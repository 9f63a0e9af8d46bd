from django.urls import path

from kliyan.backup import views

app_name = "backup"
urlpatterns = [
    path("", views.backup_list, name="list"),
    path("start/", views.backup_start, name="start"),
    path("<int:pk>/download/", views.backup_download, name="download"),
]
