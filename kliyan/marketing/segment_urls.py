from django.urls import path

from kliyan.marketing import segment_views

urlpatterns = [
    path("", segment_views.segment_list, name="segment_list"),
    path("new/", segment_views.segment_create, name="segment_create"),
    path("<int:pk>/", segment_views.segment_detail, name="segment_detail"),
    path("<int:pk>/count/", segment_views.segment_count, name="segment_count"),
    path("<int:pk>/delete/", segment_views.segment_delete, name="segment_delete"),
]
