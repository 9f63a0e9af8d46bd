"""Facebook Messenger and Instagram replies, through the Send API with the Facebook page's token.

Both let a business answer a person who wrote, within 24 hours of their last message,
and never start a conversation: a message to someone who has not written (or not lately)
is refused here, before any call, with the reason (not retried).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _

from kliyan.channels import queries
from kliyan.channels.providers import http, meta
from kliyan.channels.senders import Outgoing, ProviderError, Result
from kliyan.core.choices import Channel

LABELS = {Channel.FACEBOOK: "Messenger", Channel.INSTAGRAM: "Instagram"}


@dataclass(frozen=True)
class MessengerSender:
    channel: str
    page_token: str
    base_url: str

    def send_many(self, messages: Sequence[Outgoing]) -> Iterator[Result]:
        last_inbound = queries.last_inbound_by_handle(self.channel, [m.recipient for m in messages])
        for message in messages:
            try:
                yield message.message_id, self._send(message, last_inbound.get(message.recipient))
            except ProviderError as error:
                yield message.message_id, error

    def _send(self, message: Outgoing, last_inbound_at: dt.datetime | None) -> str:
        label = LABELS[self.channel]
        if last_inbound_at is None:
            raise ProviderError(
                _("%(channel)s lets a business answer people who wrote to it, not start a conversation.") % {"channel": label},
                retryable=False,
            )
        if not queries.window_is_open(last_inbound_at):
            raise ProviderError(
                _("%(channel)s allows answers only within 24 hours of the person's last message.") % {"channel": label},
                retryable=False,
            )
        answer = http.post_json(
            f"{self.base_url.rstrip('/')}/me/messages",
            {"recipient": {"id": message.recipient}, "message": {"text": message.body}, "messaging_type": "RESPONSE"},
            headers={"Authorization": f"Bearer {self.page_token}"},
        )
        payload = answer.json()
        if answer.ok and isinstance(payload, dict) and payload.get("message_id"):
            return str(payload["message_id"])
        raise meta.error_from(answer, label)


def sender(channel: str) -> MessengerSender | None:
    """Return the Messenger or Instagram sender from settings, or None without a page token."""
    if not settings.KLIYAN_MESSENGER_PAGE_TOKEN:
        return None
    return MessengerSender(channel=channel, page_token=settings.KLIYAN_MESSENGER_PAGE_TOKEN, base_url=settings.KLIYAN_MESSENGER_BASE_URL)
