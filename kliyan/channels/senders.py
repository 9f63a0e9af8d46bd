"""The contract between the messaging outbox (marketing.outbox) and the channels' providers.

The outbox stores a message, then hands due messages of one channel to that channel's
sender a batch at a time. A sender talks to its provider (an SMTP server, Twilio, Africa's
Talking, a generic HTTP gateway, WhatsApp's Cloud API, …) and answers each message as
soon as the provider has answered it, so the outbox can write "sent" (with the provider's
id) right away: the window in which a crash leaves a message sent but not marked is one
provider call wide, never a batch wide.

A sender is chosen by channel from settings (KLIYAN_SMS_PROVIDER, …) and registered by
the module that implements it (`register_sender`), so the outbox imports no provider.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol


class ProviderError(Exception):
    """The provider refused or could not be reached. `retryable`: worth trying again later."""

    def __init__(self, message: str, *, retryable: bool = True) -> None:
        super().__init__(message)
        self.retryable = retryable


@dataclass(frozen=True)
class Outgoing:
    """One message as a sender needs it (no model instance crosses the contract)."""

    message_id: int
    channel: str
    recipient: str  # an e-mail address, an E.164 number, or the channel's id of the person
    body: str
    subject: str = ""
    language: str = ""
    # E-mail headers (List-Unsubscribe, Message-ID, …); ignored by other channels.
    headers: dict[str, str] = field(default_factory=dict)
    # WhatsApp outside the 24-hour window: the approved template's name and its parameters.
    provider_template: str = ""
    template_params: tuple[str, ...] = ()


# What a sender answers for each message, in any order: the provider's id or the error.
Result = tuple[int, "str | ProviderError"]


class Sender(Protocol):
    def send_many(self, messages: Sequence[Outgoing]) -> Iterator[Result]: ...


_senders: dict[str, Callable[[], Sender | None]] = {}


def register_sender(channel: str, factory: Callable[[], Sender | None]) -> None:
    """Make `factory()` the sender of `channel` (None: not set up); the channel's module registers it at start-up."""
    _senders[channel] = factory


def sender_for(channel: str) -> Sender | None:
    """Return the sender configured for `channel`, or None when the channel is not set up."""
    factory = _senders.get(channel)
    return factory() if factory is not None else None
