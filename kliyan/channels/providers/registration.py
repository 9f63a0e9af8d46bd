"""Each channel's sender, chosen by settings each time the outbox asks (see kliyan.channels.senders)."""

from __future__ import annotations

import logging

from django.conf import settings

from kliyan.channels.providers import africastalking, gateway, messenger, twilio, whatsapp
from kliyan.channels.senders import Sender, register_sender
from kliyan.core.choices import Channel

logger = logging.getLogger(__name__)

SMS_PROVIDERS = ("twilio", "africastalking", "http")
WHATSAPP_PROVIDERS = ("cloud", "twilio")


def sms_sender() -> Sender | None:
    provider = settings.KLIYAN_SMS_PROVIDER
    if provider == "twilio":
        return twilio.sender(Channel.SMS)
    if provider == "africastalking":
        return africastalking.sender()
    if provider == "http":
        return gateway.sender()
    if provider:
        logger.warning("KLIYAN_SMS_PROVIDER=%r is not one of %s: SMS is not set up.", provider, ", ".join(SMS_PROVIDERS))
    return None


def whatsapp_sender() -> Sender | None:
    if settings.KLIYAN_WHATSAPP_PROVIDER == "twilio":
        return twilio.sender(Channel.WHATSAPP)
    return whatsapp.sender()


def messenger_sender() -> Sender | None:
    return messenger.sender(Channel.FACEBOOK)


def instagram_sender() -> Sender | None:
    return messenger.sender(Channel.INSTAGRAM)


def register() -> None:
    register_sender(Channel.SMS, sms_sender)
    register_sender(Channel.WHATSAPP, whatsapp_sender)
    register_sender(Channel.FACEBOOK, messenger_sender)
    register_sender(Channel.INSTAGRAM, instagram_sender)
