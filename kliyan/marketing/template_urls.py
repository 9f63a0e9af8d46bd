from django.urls import path

from kliyan.marketing import template_views

urlpatterns = [
    path("", template_views.template_list, name="template_list"),
    path("new/", template_views.template_create, name="template_create"),
    path("<int:pk>/", template_views.template_detail, name="template_detail"),
    path("<int:pk>/delete/", template_views.template_delete, name="template_delete"),
]
