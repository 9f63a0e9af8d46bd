from django.urls import path

from kliyan.feedback import views

app_name = "feedback"
urlpatterns = [
    path("", views.results, name="results"),
    path("campaigns/", views.campaign_list, name="campaign_list"),
    path("campaigns/<int:pk>/", views.campaign_detail, name="campaign_detail"),
    path("campaigns/<int:pk>/progress/", views.campaign_progress, name="campaign_progress"),
    path("campaigns/<int:pk>/resume/", views.campaign_resume, name="campaign_resume"),
]
