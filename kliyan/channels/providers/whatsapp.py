"""WhatsApp Business Cloud API: session (free text) and template messages.

POST {base}/{phone number id}/messages with the system user's Bearer token. Within 24
hours of the customer's last message a business may write freely ("text"); after that
only a template Meta approved ("template", with its language and body parameters) may
open the conversation again. Meta answers {"messages": [{"id": "wamid…"}]}; statuses
come back through the webhook, with the outbox id we pass as biz_opaque_callback_data.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from kliyan.channels import queries
from kliyan.channels.providers import http, meta
from kliyan.channels.senders import Outgoing, ProviderError, Result
from kliyan.core.choices import Channel
from kliyan.core.phones import digits


def outside_window_error() -> ProviderError:
    """Return the refusal of free text outside the 24-hour window when no approved template is named."""
    return ProviderError(
        _(
            "WhatsApp allows free text only within 24 hours of the customer's last message; "
            "this template has no approved WhatsApp template to send instead."
        ),
        retryable=False,
    )


@dataclass(frozen=True)
class WhatsAppSender:
    token: str
    phone_number_id: str
    base_url: str
    # The template language when a message has none (Meta's codes: "en", "fr", "ro", "sq", …).
    default_language: str = "en"
    # Kliyan's language → the code the template is approved under at Meta (ht and ny have none).
    template_languages: Mapping[str, str] = field(default_factory=dict)

    def send_many(self, messages: Sequence[Outgoing]) -> Iterator[Result]:
        # One query for the whole batch: when did each recipient last write to us?
        last_inbound = queries.last_inbound_by_handle(Channel.WHATSAPP, [digits(m.recipient) for m in messages])
        for message in messages:
            try:
                yield message.message_id, self._send(message, queries.window_is_open(last_inbound.get(digits(message.recipient))))
            except ProviderError as error:
                yield message.message_id, error

    def payload(self, message: Outgoing, *, window_open: bool) -> dict[str, Any]:
        """Return the JSON Meta expects: free text inside the 24-hour window, else the approved template."""
        base: dict[str, Any] = {
            "messaging_product": "whatsapp", "recipient_type": "individual", "to": digits(message.recipient),
            "biz_opaque_callback_data": str(message.message_id),
        }
        if window_open:
            return {**base, "type": "text", "text": {"body": message.body, "preview_url": False}}
        if not message.provider_template:
            raise outside_window_error()
        language = message.language or self.default_language
        template: dict[str, Any] = {
            "name": message.provider_template, "language": {"code": self.template_languages.get(language, language)},
        }
        if message.template_params:
            template["components"] = [
                {"type": "body", "parameters": [{"type": "text", "text": value} for value in message.template_params]},
            ]
        return {**base, "type": "template", "template": template}

    def _send(self, message: Outgoing, window_open: bool) -> str:
        answer = http.post_json(
            f"{self.base_url.rstrip('/')}/{self.phone_number_id}/messages", self.payload(message, window_open=window_open),
            headers={"Authorization": f"Bearer {self.token}"},
        )
        payload = answer.json()
        if answer.ok and isinstance(payload, dict):
            sent = payload.get("messages") or []
            if sent and isinstance(sent[0], dict) and sent[0].get("id"):
                return str(sent[0]["id"])
        raise meta.error_from(answer, "WhatsApp")


def sender() -> WhatsAppSender | None:
    """Return the Cloud API sender from settings, or None if WhatsApp is not set up."""
    if not (settings.KLIYAN_WHATSAPP_TOKEN and settings.KLIYAN_WHATSAPP_PHONE_NUMBER_ID):
        return None
    return WhatsAppSender(
        token=settings.KLIYAN_WHATSAPP_TOKEN, phone_number_id=settings.KLIYAN_WHATSAPP_PHONE_NUMBER_ID,
        base_url=settings.KLIYAN_WHATSAPP_BASE_URL, default_language=settings.LANGUAGE_CODE.split("-")[0],
        template_languages=settings.KLIYAN_WHATSAPP_TEMPLATE_LANGUAGES,
    )
