from django.urls import path

from kliyan.marketing import automation_views

urlpatterns = [
    path("", automation_views.automation_list, name="automation_list"),
    path("new/", automation_views.automation_create, name="automation_create"),
    path("<int:pk>/", automation_views.automation_detail, name="automation_detail"),
    path("<int:pk>/edit/", automation_views.automation_edit, name="automation_edit"),
    path("<int:pk>/pause/", automation_views.automation_pause, name="automation_pause"),
    path("<int:pk>/resume/", automation_views.automation_resume, name="automation_resume"),
    path("<int:pk>/delete/", automation_views.automation_delete, name="automation_delete"),
]
