from django.urls import path

from kliyan.channels import views

app_name = "channels"
urlpatterns = [
    path("pop/", views.pop_page, name="pop"),
    path("pop/stream", views.pop_stream, name="pop_stream"),
    path("channels/twilio/voice", views.twilio_voice, name="twilio_voice"),
    path("channels/asterisk/incoming", views.asterisk_incoming, name="asterisk_incoming"),
]
