from django.urls import path

from kliyan.marketing import campaign_views

urlpatterns = [
    path("", campaign_views.campaign_list, name="campaign_list"),
    path("new/", campaign_views.campaign_create, name="campaign_create"),
    path("report/", campaign_views.campaign_report, name="campaign_report"),
    path("<int:pk>/", campaign_views.campaign_detail, name="campaign_detail"),
    path("<int:pk>/edit/", campaign_views.campaign_edit, name="campaign_edit"),
    path("<int:pk>/schedule/", campaign_views.campaign_schedule, name="campaign_schedule"),
    path("<int:pk>/cancel/", campaign_views.campaign_cancel, name="campaign_cancel"),
    path("<int:pk>/delete/", campaign_views.campaign_delete, name="campaign_delete"),
]
