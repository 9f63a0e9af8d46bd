from django.urls import include, path

app_name = "marketing"
urlpatterns = [
    path("templates/", include("kliyan.marketing.template_urls")),
    path("messages/", include("kliyan.marketing.message_urls")),
    path("segments/", include("kliyan.marketing.segment_urls")),
    path("campaigns/", include("kliyan.marketing.campaign_urls")),
    path("automations/", include("kliyan.marketing.automation_urls")),
]
