from django.urls import path

from kliyan.channels import views, webhooks

app_name = "channels"
urlpatterns = [
    path("pop/", views.pop_page, name="pop"),
    path("pop/stream", views.pop_stream, name="pop_stream"),
    path("channels/twilio/voice", views.twilio_voice, name="twilio_voice"),
    path("channels/asterisk/incoming", views.asterisk_incoming, name="asterisk_incoming"),
    # Messaging providers (docs/messaging.md).
    path("channels/twilio/message", webhooks.twilio_message, name="twilio_message"),
    path("channels/twilio/message-status", webhooks.twilio_message_status, name="twilio_message_status"),
    path("channels/africastalking/<str:secret>/message", webhooks.africastalking_message, name="africastalking_message"),
    path("channels/africastalking/<str:secret>/delivery", webhooks.africastalking_delivery, name="africastalking_delivery"),
    path("channels/sms-gateway/message", webhooks.gateway_message, name="gateway_message"),
    path("channels/sms-gateway/receipt", webhooks.gateway_receipt, name="gateway_receipt"),
    # One handler for all of Meta's products; each product's settings in Meta take its own URL.
    path("channels/whatsapp", webhooks.meta_webhook, name="whatsapp_webhook"),
    path("channels/messenger", webhooks.meta_webhook, name="messenger_webhook"),
]
