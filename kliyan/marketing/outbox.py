"""The outbox: every outbound message is a Message row before it is sent (docs/decisions/0011).

Storing: `queue_message` (one message: the API, the contact page) and `queue_many` (a
campaign's or an automation's thousands, a fixed number of queries per batch). Each message
is checked by marketing.policy when stored: one that may not go is kept "not sent" with its
reason; quiet hours move its `send_after`. The idempotency key makes storing twice store once.

Delivering: `deliver_due` (the worker's every-minute sweep, and a task enqueued as soon as
messages are stored) claims due messages of a channel with a conditional UPDATE, checks the
policy again (consent may have been withdrawn meanwhile), hands them to the channel's sender
(kliyan.channels.senders) a batch at a time and writes each answer as soon as the sender
yields it: "sent" with the provider's id, or a retry after 1 min, 5 min, 30 min, 2 h, 6 h,
then "failed". A worker killed mid-batch lets its claims lapse; the next sweep sends the rest.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import hashlib
import logging
import random
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from email.utils import parseaddr
from itertools import islice
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Case, F, Q, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from kliyan.channels.senders import Outgoing, ProviderError, Sender, sender_for
from kliyan.contacts.models import Contact
from kliyan.core.audit import record
from kliyan.core.errors import FieldErrors, ValidationFailed
from kliyan.core.models import AuditAction
from kliyan.marketing import policy, receipts
from kliyan.marketing.choices import MessageChannel, MessageStatus, NotSentReason, Purpose
from kliyan.marketing.models import Message, MessageTemplate
from kliyan.marketing.unsubscribe import unsubscribe_headers, unsubscribe_url

logger = logging.getLogger(__name__)

RETRY_DELAYS = (
    dt.timedelta(minutes=1), dt.timedelta(minutes=5), dt.timedelta(minutes=30), dt.timedelta(hours=2), dt.timedelta(hours=6),
)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
# A sweep stops starting new batches after this long, so one task never holds a worker for
# minutes; the next minute's sweep (or another worker) carries on.
SWEEP_SECONDS = 50.0
QUEUE_BATCH = 1000
# What a provider accepts in one message (SMS: ten segments; WhatsApp and Messenger: their limits).
BODY_LIMITS = {
    MessageChannel.EMAIL: 100_000, MessageChannel.SMS: 1_600, MessageChannel.WHATSAPP: 4_096,
    MessageChannel.FACEBOOK: 2_000, MessageChannel.INSTAGRAM: 1_000,
}
SUBJECT_LIMIT = 200
# Channels whose providers call back with delivery receipts (e-mail has none to wait for).
RECEIPT_CHANNELS = frozenset(MessageChannel.values) - {MessageChannel.EMAIL}
STATUS_INDEX = "message_status_idx"  # Message.Meta's (status, -created_at): the claim's way to the oldest due
# Below this many messages SQLite's plans without statistics cost nothing worth an ANALYZE.
ANALYZE_FROM_ROWS = 5_000


def claim_seconds() -> dt.timedelta:
    """How long a worker holds the messages it is sending: longer than a batch takes to hand over."""
    return dt.timedelta(seconds=int(settings.KLIYAN_OUTBOX_CLAIM_SECONDS))


def batch_size() -> int:
    return max(1, int(settings.KLIYAN_OUTBOX_BATCH))


# --- Storing ----------------------------------------------------------------------------

def _check_request(
    *, channel: str, purpose: str, body: str, subject: str, template: MessageTemplate | None, errors: FieldErrors,
) -> None:
    if channel not in MessageChannel.values:
        errors.add("channel", _("Choose one of: %(choices)s.") % {"choices": ", ".join(MessageChannel.values)})
    if purpose not in Purpose.values:
        errors.add("purpose", _("Choose one of: %(choices)s.") % {"choices": ", ".join(Purpose.values)})
    if template is not None:
        if body.strip() or subject.strip():
            errors.add("body", _("Write a text or choose a template, not both."))
        if channel in MessageChannel.values and template.channel != channel:
            errors.add("template_id", _("This template is for %(channel)s.") % {"channel": template.get_channel_display()})
        if not template.active:
            errors.add("template_id", _("This template is switched off."))
        return
    if not body.strip():
        errors.add("body", _("Write a text or choose a template."))
    limit = BODY_LIMITS.get(channel)
    if limit is not None and len(body) > limit:
        errors.add("body", _("At most %(limit)d characters on this channel (this text has %(count)d).") % {
            "limit": limit, "count": len(body),
        })
    if channel == MessageChannel.EMAIL and not subject.strip():
        errors.add("subject", _("An e-mail needs a subject."))
    if len(subject) > SUBJECT_LIMIT:
        errors.add("subject", _("At most %(limit)d characters.") % {"limit": SUBJECT_LIMIT})
    if "\x00" in body or "\x00" in subject:
        errors.add("body", _("Text may not contain the NUL character."))


def _organisation_language() -> str:
    from kliyan.core.organisation import get_organisation

    return get_organisation().language


def _contents(
    contact_ids: Sequence[int], *, languages: Mapping[int, str], channel: str, purpose: str,
    template: MessageTemplate | None, subject: str, body: str, language: str,
    extra_for: Callable[[int], Mapping[str, Any]] | None,
) -> dict[int, tuple[str, str, str]]:
    """Return {contact id: (subject, body, language)}: the template rendered for each, or the text as written."""
    fallback = _organisation_language()
    if template is None:
        return {cid: (subject.strip(), body.strip(), language or languages.get(cid) or fallback) for cid in contact_ids}
    from kliyan.marketing import rendering

    contexts = rendering.contexts_for(contact_ids)
    texts: dict[str, Any] = {}
    contents = {}
    for cid in contact_ids:
        wanted = language or languages.get(cid) or fallback
        if wanted not in texts:
            texts[wanted] = rendering.choose_text(template, wanted)
        text = texts[wanted]
        if text is None:
            raise ValidationFailed(field_errors={"template_id": [_("This template has no text yet.")]})
        extra: dict[str, Any] = {}
        if purpose == Purpose.MARKETING:
            extra["unsubscribe_url"] = unsubscribe_url(contact_id=cid, channel=channel)
        if extra_for is not None:
            extra.update(extra_for(cid))
        rendered = rendering.render(text, contexts.get(cid, {}), extra)
        contents[cid] = (rendered.subject[:SUBJECT_LIMIT], rendered.body, text.language)
    return contents


def _new_message(
    *, contact_id: int, recipient: policy.Recipient | None, verdict: policy.Verdict, content: tuple[str, str, str],
    channel: str, purpose: str, template: MessageTemplate | None, key: str, created_by: Any, now: dt.datetime,
) -> Message:
    subject, body, language = content
    return Message(
        contact_id=contact_id, channel=channel, purpose=purpose, template=template, language=language,
        recipient=policy.address_for(recipient, channel)[:254] if recipient else "", subject=subject, body=body,
        status=MessageStatus.QUEUED if verdict.may_send else MessageStatus.NOT_SENT,
        reason=verdict.reason, reason_at=verdict.reason_at, send_after=verdict.send_after or now,
        idempotency_key=key[:200], created_by=created_by if getattr(created_by, "is_authenticated", False) else None,
    )


def queue_message(
    *, actor: Any, contact: Contact, channel: str, purpose: str, idempotency_key: str,
    body: str = "", subject: str = "", template: MessageTemplate | None = None, language: str = "",
    send_after: dt.datetime | None = None, extra: Mapping[str, Any] | None = None,
) -> Message:
    """Store one message to `contact` (a text, or a template rendered for them); the same key again returns the first.

    A message the rules refuse is stored too, "not sent" with its reason; bad input stores nothing.
    """
    errors = FieldErrors()
    _check_request(channel=channel, purpose=purpose, body=body, subject=subject, template=template, errors=errors)
    errors.raise_if_any()
    existing = Message.objects.filter(idempotency_key=idempotency_key[:200]).first()
    if existing is not None:
        return existing
    now = timezone.now()
    recipient = policy.recipients_for([contact.pk], channel=channel, now=now, count_queued=True).get(contact.pk)
    verdict = policy.check(recipient, channel=channel, purpose=purpose, at=send_after or now, now=now)
    content = _contents(
        [contact.pk], languages={contact.pk: contact.language}, channel=channel, purpose=purpose, template=template,
        subject=subject, body=body, language=language, extra_for=(lambda _cid: extra) if extra else None,
    )[contact.pk]
    message = _new_message(
        contact_id=contact.pk, recipient=recipient, verdict=verdict, content=content, channel=channel, purpose=purpose,
        template=template, key=idempotency_key, created_by=actor, now=now,
    )
    try:
        with transaction.atomic():
            message.save()
            record(
                actor=actor, action=AuditAction.CREATE, instance=message, contact_id=contact.pk, label=str(contact),
                after={
                    "channel": channel, "purpose": purpose, "template": template.pk if template else None,
                    "status": message.status, "reason": message.reason, "send_after": message.send_after,
                },
            )
    except IntegrityError:
        # Another request with the same key won the race: it is the message.
        return Message.objects.get(idempotency_key=message.idempotency_key)
    if message.status == MessageStatus.QUEUED:
        deliver_soon()
    return message


def _chunks(ids: Iterable[int], size: int) -> Iterable[list[int]]:
    iterator = iter(ids)
    while chunk := list(islice(iterator, size)):
        yield chunk


def queue_many(
    *, contact_ids: Iterable[int], channel: str, purpose: str, key_for: Callable[[int], str],
    template: MessageTemplate | None = None, subject: str = "", body: str = "", send_after: dt.datetime | None = None,
    created_by: Any = None, extra_for: Callable[[int], Mapping[str, Any]] | None = None, chunk: int = QUEUE_BATCH,
) -> int:
    """Store one message per contact (campaigns, automations); return how many were new.

    `key_for(contact_id)` gives each message's idempotency key ("campaign:7:1234"): a contact
    whose key is already stored is skipped before anything is rendered, and the insert ignores
    a key another worker stored meanwhile, so a restarted run stores each message once. Each
    batch costs a fixed number of queries, whatever its size.
    """
    errors = FieldErrors()
    _check_request(channel=channel, purpose=purpose, body=body, subject=subject, template=template, errors=errors)
    errors.raise_if_any()
    if template is not None:
        template = MessageTemplate.objects.prefetch_related("texts").get(pk=template.pk)
    stored = 0
    for ids in _chunks(contact_ids, chunk):
        keys = {cid: key_for(cid)[:200] for cid in ids}
        known = set(Message.objects.filter(idempotency_key__in=list(keys.values())).values_list("idempotency_key", flat=True))
        todo = [cid for cid in dict.fromkeys(ids) if keys[cid] not in known]
        if not todo:
            continue
        now = timezone.now()
        recipients = policy.recipients_for(todo, channel=channel, now=now, count_queued=True)
        todo = [cid for cid in todo if cid in recipients]  # contacts deleted meanwhile
        contents = _contents(
            todo, languages={cid: recipients[cid].language for cid in todo}, channel=channel, purpose=purpose,
            template=template, subject=subject, body=body, language="", extra_for=extra_for,
        )
        let_through: Counter[int] = Counter()
        rows = []
        for cid in todo:
            verdict = policy.check(
                recipients[cid], channel=channel, purpose=purpose, at=send_after or now, now=now, sent_in_batch=let_through,
            )
            if verdict.may_send and purpose == Purpose.MARKETING:
                let_through[cid] += 1
            rows.append(_new_message(
                contact_id=cid, recipient=recipients[cid], verdict=verdict, content=contents[cid], channel=channel,
                purpose=purpose, template=template, key=keys[cid], created_by=created_by, now=now,
            ))
        Message.objects.bulk_create(rows, batch_size=500, ignore_conflicts=True)
        stored += len(rows)
    if stored:
        deliver_soon()
    return stored


def deliver_soon() -> None:
    """Enqueue a delivery once the stored messages are committed: they leave in seconds, not at the next minute."""
    from kliyan.marketing.tasks import deliver_messages

    transaction.on_commit(deliver_messages.enqueue)


# --- Delivering -------------------------------------------------------------------------

def claim_due(channel: str, limit: int, *, now: dt.datetime | None = None) -> list[Message]:
    """Take up to `limit` due messages of `channel` for sending; the ones another worker holds are left to it.

    The claim is a conditional UPDATE that writes a claim time unique to this call, so the
    rows read back afterwards are exactly those this call won, on every database.
    """
    now = now or timezone.now()
    free = Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
    due = Message.objects.filter(free, status=MessageStatus.QUEUED, channel=channel, send_after__lte=now)
    ids = _oldest_ids(due, limit)
    if not ids:
        return []
    mine = now + claim_seconds() + dt.timedelta(microseconds=random.randrange(1, 1_000_000))  # noqa: S311 - a tag, not a secret
    # Only ids and the claim time in the WHERE clauses, so both statements go by primary key. With
    # `status = 'queued'` there, SQLite (before ANALYZE has seen a campaign) walked message_status_idx
    # over every queued row, checking each against the 100 ids: 30 ms a batch with 100,000 queued,
    # more than sending them. A message that left the queue since the SELECT keeps its claim time
    # (CASE), so it is not read back as ours.
    Message.objects.filter(free, pk__in=ids).update(
        claimed_until=Case(When(status=MessageStatus.QUEUED, then=Value(mine)), default=F("claimed_until")),
    )
    claimed = Message.objects.filter(pk__in=ids, claimed_until=mine).select_related("template").order_by("created_at", "id")
    return [message for message in claimed if message.status == MessageStatus.QUEUED]


def _oldest_ids(due: QuerySet[Message], limit: int) -> list[int]:
    """Return the ids of the `limit` oldest stored messages of `due`.

    Along message_status_idx (status, -created_at), the database reads the first `limit` rows and
    stops. SQLite leaves that index once ANALYZE has seen a campaign's queue (all "queued": the
    status looks unselective) for message_due_idx, then sorts every due message by age for each
    batch (31 ms with 100,000 queued); before ANALYZE, ordering by send_after sorted them all
    too. So on SQLite the index is named (INDEXED BY); PostgreSQL's planner finds it itself.
    """
    oldest = due.order_by("created_at", "id").values_list("pk", flat=True)[:limit]
    if connection.vendor != "sqlite":
        return list(oldest)
    sql, params = oldest.query.sql_with_params()
    table = connection.ops.quote_name(Message._meta.db_table)
    sql = sql.replace(f"FROM {table}", f"FROM {table} INDEXED BY {connection.ops.quote_name(STATUS_INDEX)}", 1)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


_analysed_at_rows = 0  # this process's last ANALYZE of the message table: its highest id then


def _refresh_statistics() -> None:
    """On SQLite, ANALYZE the message table when it has no statistics or grew tenfold since (about 50 ms at 100,000).

    Without them SQLite takes `status IN ('sent', …)` for a rare condition, and the policy's count
    of this week's marketing messages (run for every batch) walked message_status_idx over every
    message sent so far: 50 to 90 ms a batch once 100,000 had gone, instead of 1 ms by contact.
    A campaign's or automation's messages are stored in one go, so the first sweep after sees the
    table grown. The nightly optimize_database keeps statistics fresh otherwise.
    """
    global _analysed_at_rows  # noqa: PLW0603 - a per-process memo, so a table with many deleted rows is not analysed every sweep
    if connection.vendor != "sqlite":
        return
    table = Message._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT MAX(id) FROM {connection.ops.quote_name(table)}")  # noqa: S608 - the model's own table name
        highest = cursor.fetchone()[0] or 0
        if highest < ANALYZE_FROM_ROWS or highest < 2 * _analysed_at_rows:
            return
        cursor.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_stat1'")
        if cursor.fetchone() is not None:  # the table exists once anything was ever analysed
            cursor.execute("SELECT stat FROM sqlite_stat1 WHERE tbl = %s AND idx = %s", [table, STATUS_INDEX])
            row = cursor.fetchone()
            if row is not None and highest < 10 * int(row[0].split()[0]):
                return
        cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")
    _analysed_at_rows = highest


def due_channels(*, now: dt.datetime | None = None) -> list[str]:
    now = now or timezone.now()
    due = Message.objects.filter(status=MessageStatus.QUEUED, send_after__lte=now)
    return list(due.order_by("channel").values_list("channel", flat=True).distinct())


def deliver_due(*, limit: int | None = None, seconds: float = SWEEP_SECONDS) -> int:
    """Send what is due on every channel that has a sender, a batch at a time; return how many left."""
    started = time.monotonic()
    sent = handled = 0
    channels = due_channels()
    if channels:
        _refresh_statistics()
    with _commits_without_waiting_for_the_disk():
        for channel in channels:
            sender = sender_for(channel)
            if sender is None:
                logger.info("Messages wait on %s: no sender is set up for it.", channel)
                continue
            while time.monotonic() - started < seconds and (limit is None or handled < limit):
                size = batch_size() if limit is None else min(batch_size(), limit - handled)
                batch = claim_due(channel, size)
                if not batch:
                    break
                handled += len(batch)
                sent += deliver_batch(channel, sender, batch)
    return sent


@contextlib.contextmanager
def _commits_without_waiting_for_the_disk() -> Iterator[None]:
    """On PostgreSQL, let this sweep's commits (claims, "sent") return before their WAL reaches the disk.

    Each message's "sent" is its own commit (a dead worker re-sends at most the message in
    flight), and waiting for the disk at each one halved the delivery rate. The write is still
    made and seen at once; only a crash of the database server itself within about half a
    second could forget the last "sent" marks, and those messages would go out again. A worker
    killed at any moment loses nothing (test_crash.py).
    """
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO OFF")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET synchronous_commit")


def deliver_batch(channel: str, sender: Sender, batch: Sequence[Message]) -> int:
    """Check the rules again, hand the claimed messages to `sender`, write each answer as it comes; return how many left."""
    now = timezone.now()
    recipients = policy.recipients_for([m.contact_id for m in batch], channel=channel, now=now, count_queued=False)
    let_through: Counter[int] = Counter()
    going: list[Message] = []
    for message in batch:
        verdict = policy.check(
            recipients.get(message.contact_id), channel=channel, purpose=message.purpose, at=now, now=now,
            sent_in_batch=let_through,
        )
        if not verdict.may_send:
            _mark_not_sent(message.pk, verdict)
        elif verdict.send_after and verdict.send_after > now:
            Message.objects.filter(pk=message.pk, status=MessageStatus.QUEUED).update(
                send_after=verdict.send_after, claimed_until=None, updated_at=now,
            )
        else:
            if message.purpose == Purpose.MARKETING:
                let_through[message.contact_id] += 1
            going.append(message)
    if not going:
        return 0
    Message.objects.filter(pk__in=[m.pk for m in going]).update(attempts=F("attempts") + 1)
    attempts = {m.pk: m.attempts + 1 for m in going}
    outgoing = [_outgoing(message) for message in going]
    answered: set[int] = set()
    sent = 0
    try:
        for message_id, result in sender.send_many(outgoing):
            if message_id not in attempts or message_id in answered:
                continue
            answered.add(message_id)
            if isinstance(result, ProviderError):
                _mark_failed(message_id, result, attempts[message_id])
            else:
                _mark_sent(message_id, str(result))
                if channel in RECEIPT_CHANNELS:
                    # A receipt that came before this write waited for it (marketing.receipts).
                    receipts.apply_pending(channel, str(result))
                sent += 1
    except Exception as error:  # noqa: BLE001 - a sender's bug must not leave messages claimed and unanswered
        logger.exception("The %s sender failed mid-batch", channel)
        unanswered_error = ProviderError(f"{type(error).__name__}: {error}")
    else:
        unanswered_error = ProviderError("The sender gave no answer for this message.")
    for message_id in attempts.keys() - answered:
        _mark_failed(message_id, unanswered_error, attempts[message_id])
    return sent


@functools.lru_cache(maxsize=8)
def _domain_of(address: str) -> str:
    # Parsing the address costs about 40 µs; a batch of e-mails asks for the same one every time.
    return parseaddr(address)[1].rpartition("@")[2] or "kliyan.invalid"


def message_id_header(message: Message) -> str:
    """Return the e-mail Message-ID of an outbox row: the same every time it is sent (a resend is the same message)."""
    domain = _domain_of(settings.DEFAULT_FROM_EMAIL)
    digest = hashlib.sha256(message.idempotency_key.encode()).hexdigest()[:16]
    return f"<kliyan.{message.pk}.{digest}@{domain}>"


def _outgoing(message: Message) -> Outgoing:
    headers: dict[str, str] = {}
    if message.channel == MessageChannel.EMAIL:
        headers["Message-ID"] = message_id_header(message)
        if message.language:
            headers["Content-Language"] = message.language
        if message.purpose == Purpose.MARKETING:
            headers.update(unsubscribe_headers(contact_id=message.contact_id, message_id=message.pk))
        elif message.created_by_id is None:
            # A message no person wrote (a receipt, an automation): no out-of-office answers, please.
            # An agent's reply is a person writing, and an answer to it is welcome.
            headers["Auto-Submitted"] = "auto-generated"
    provider_template, params = "", ()
    if message.template is not None and message.template.provider_template:
        provider_template, params = message.template.provider_template, _template_params(message)
    return Outgoing(
        message_id=message.pk, channel=message.channel, recipient=message.recipient, body=message.body,
        subject=message.subject, language=message.language, headers=headers,
        provider_template=provider_template, template_params=params,
    )


def _template_params(message: Message) -> tuple[str, ...]:
    """The values of the template's placeholders, in order: what an approved WhatsApp template is sent with."""
    from kliyan.marketing import rendering

    text = rendering.choose_text(message.template, message.language)
    if text is None:
        return ()
    return rendering.placeholder_values(text, rendering.contexts_for([message.contact_id]).get(message.contact_id, {}))


@functools.lru_cache(maxsize=4)
def _mark_sent_sql(vendor: str) -> str:
    quote = connection.ops.quote_name
    column = {name: quote(Message._meta.get_field(name).column) for name in (
        "id", "status", "provider_id", "sent_at", "claimed_until", "error", "updated_at",
    )}
    return (
        f"UPDATE {quote(Message._meta.db_table)} SET {column['status']} = %s, {column['provider_id']} = %s, "
        f"{column['sent_at']} = %s, {column['claimed_until']} = NULL, {column['error']} = '', {column['updated_at']} = %s "
        f"WHERE {column['id']} = %s AND {column['status']} = %s"
    )


def _mark_sent(message_id: int, provider_id: str) -> None:
    """Write "sent" for one message the provider has just taken, in its own statement and commit.

    One message at a time, never a batch: a worker that dies between the provider's answer and
    this write sends only that message again (decision 0011, test_crash.py). Writing every N
    answers together would make it N. The statement is written once rather than built by the
    ORM for every message, which cost twice the UPDATE itself (a campaign writes 100,000 of them).
    """
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(_mark_sent_sql(connection.vendor), [
            MessageStatus.SENT.value, provider_id[:128], now, now, message_id, MessageStatus.QUEUED.value,
        ])


def _mark_not_sent(message_id: int, verdict: policy.Verdict) -> None:
    Message.objects.filter(pk=message_id, status=MessageStatus.QUEUED).update(
        status=MessageStatus.NOT_SENT, reason=verdict.reason, reason_at=verdict.reason_at, claimed_until=None,
        updated_at=timezone.now(),
    )


def retry_delay(attempts: int) -> dt.timedelta:
    """Return the wait after the `attempts`-th failed attempt (1 min, 5 min, 30 min, 2 h, 6 h; ±10 %)."""
    base = RETRY_DELAYS[min(max(attempts, 1), len(RETRY_DELAYS)) - 1]
    return base * random.uniform(0.9, 1.1)  # noqa: S311 - spreading load, not security


def _mark_failed(message_id: int, error: ProviderError, attempts: int) -> None:
    now = timezone.now()
    text = str(error)[:500]
    queued = Message.objects.filter(pk=message_id, status=MessageStatus.QUEUED)
    if not error.retryable:
        queued.update(status=MessageStatus.FAILED, error=text, claimed_until=None, updated_at=now)
    elif attempts >= MAX_ATTEMPTS:
        queued.update(
            status=MessageStatus.FAILED, reason=NotSentReason.GAVE_UP, reason_at=now, error=text, claimed_until=None,
            updated_at=now,
        )
    else:
        queued.update(send_after=now + retry_delay(attempts), error=text, claimed_until=None, updated_at=now)


def new_key(prefix: str) -> str:
    """Return a fresh idempotency key (a request that sent none: it can only be stored once anyway)."""
    return f"{prefix}:{uuid.uuid4().hex}"
