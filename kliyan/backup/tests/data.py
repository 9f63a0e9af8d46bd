"""A database with records in (nearly) every table: the demo, plus what the demo does not make.

Most rows come through the services or the real pages and API, as in production. A few are
made by hand on purpose: keys that point *forward* (a category under a newer one, a contact
referred by a newer one), values at the edges of each type (binary bytes that are not text,
durations, micro-seconds, non-Latin text) and rows the services only write on a schedule.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
from typing import Any

from django.contrib.auth.models import Group, Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kliyan.accounts.models import Role, User
from kliyan.accounts.services import token_create
from kliyan.core.demo import DEMO_ADMIN, load_demo

# Tables that stay empty in the filled database, and why.
ALLOWED_EMPTY = {
    "dedupe.duplicatepair": "the demo's people have no duplicates to find",
}
ATTACHMENT = b"%PDF-1.4\n\x00\xff\xfe binary \xe2\x82\xac\n"


def _forward_references(admin: User) -> None:
    """Make keys that point at a row with a higher id, which the restore must set after loading it."""
    from kliyan.commerce.models import ProductCategory
    from kliyan.contacts.models import Contact
    from kliyan.service.models import TicketCategory

    child = ProductCategory.objects.create(name="Sandales d'enfant", source="backup-test", external_id="child")
    parent = ProductCategory.objects.create(name="Chaussures", source="backup-test", external_id="parent")
    ProductCategory.objects.filter(pk=child.pk).update(parent=parent)
    older = TicketCategory.objects.create(name="Livrezon an reta")
    newer = TicketCategory.objects.create(name="Livrezon")
    TicketCategory.objects.filter(pk=older.pk).update(parent=newer)
    first, last = Contact.objects.order_by("pk").first(), Contact.objects.order_by("pk").last()
    Contact.objects.filter(pk=first.pk).update(referred_by=last)


def _accounts(admin: User) -> str:
    """Groups and permissions (which point at content types) and a token; return the token."""
    group = Group.objects.create(name="Contabilitate")
    group.permissions.add(*Permission.objects.order_by("pk")[:3])
    admin.groups.add(group)
    admin.user_permissions.add(Permission.objects.order_by("-pk").first())
    _token, raw = token_create(actor=admin, user=admin, name="shop ✓", scope="write")
    return raw


def _logins() -> None:
    """A failed and a successful sign-in: axes' attempt, failure and access logs."""
    User.objects.create_user(username="gate", password="correct horse battery", role=Role.AGENT)
    url = reverse("accounts:login")
    Client(REMOTE_ADDR="203.0.113.7").post(url, {"username": "gate", "password": "wrong"})
    Client(REMOTE_ADDR="2001:db8::7").post(url, {"username": "gate", "password": "correct horse battery"})
    # Axes writes these only when settings ask for them (a failure log, expiring attempts).
    from axes.models import AccessAttempt, AccessAttemptExpiration, AccessFailureLog

    AccessFailureLog.objects.create(user_agent="curl", ip_address="203.0.113.7", username="gate", http_accept="*/*",
                                    path_info=url, locked_out=True)
    AccessAttemptExpiration.objects.create(access_attempt=AccessAttempt.objects.get(),
                                           expires_at=timezone.now() + dt.timedelta(minutes=15))


def _api_with_idempotency(token: str) -> None:
    """A POST with an Idempotency-Key: the stored answer is binary (core.IdempotencyRecord)."""
    client = Client(REMOTE_ADDR="198.51.100.4")
    body = {"first_name": "Chikondi", "last_name": "Banda", "emails": [{"email": "chikondi@example.mw"}]}
    response = client.post("/api/v1/contacts", json.dumps(body), content_type="application/json",
                           HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_IDEMPOTENCY_KEY="backup-test-1")
    assert response.status_code == 201, response.content


def _service(admin: User) -> None:
    from kliyan.knowledge.models import Article
    from kliyan.service.models import SLAEvent, SLAPolicy, Ticket
    from kliyan.service.services import ticket_create
    from kliyan.service.ticket_articles import ticket_link_article

    SLAPolicy.objects.create(
        name="Urgent – 4 h", priority="urgent", first_response_within=dt.timedelta(minutes=30),
        resolution_within=dt.timedelta(days=1, hours=3, microseconds=7), warn_at_percent=80,
    )
    first = Ticket.objects.order_by("pk").first()
    ticket = ticket_create(
        actor=admin, contact=first.contact, follow_up_of=first,
        data={"subject": "Facture en double — ș ë ç 🧾", "description": "Voir la pièce jointe."},
        files=[SimpleUploadedFile("facture.pdf", ATTACHMENT, content_type="application/pdf")],
    )
    SLAEvent.objects.create(ticket=ticket, target="resolution", kind="warning", due=timezone.now())
    ticket_link_article(actor=admin, ticket=ticket, article=Article.objects.order_by("pk").first().pk)


def _imports(admin: User) -> None:
    from kliyan.imports.tests.conftest import run_file

    run_file(admin, "Prenume;Nume;Telefon;E-mail\nIoana;Popa;+40 744 000 111;ioana.popa@example.ro\nIon;Ionescu;12;ion@\n",
             "oameni.csv")


def _webhooks_channels_analytics(admin: User) -> None:
    from kliyan.analytics.services import rebuild_request
    from kliyan.channels.services import call_received
    from kliyan.contacts.models import PhoneNumber
    from kliyan.webhooks.services import endpoint_create, record_event

    endpoint_create(actor=admin, data={"url": "https://hooks.example.org/kliyan", "all_events": True, "description": "ERP"})
    record_event("contact.updated", [{"id": 1, "note": "după"}])
    number = PhoneNumber.objects.order_by("pk").first().e164
    call_received(actor=admin, data={"provider": "generic", "call_id": "call-1", "from": number, "to": "100",
                                     "agent": admin.username, "status": "ringing"})
    rebuild_request(actor=admin)


def _core(admin: User) -> None:
    from kliyan.contacts.services import custom_field_create
    from kliyan.core.models import ScheduledRun

    ScheduledRun.objects.create(job="optimize_database", slot=dt.datetime(2026, 3, 1, 3, 30, 0, 123456, tzinfo=dt.UTC))
    custom_field_create(actor=admin, data={"target": "contact", "key": "shoe_size", "label": "Pointure", "field_type": "number"})


def _dedupe(admin: User) -> None:
    from django.apps import apps

    if not apps.is_installed("kliyan.dedupe"):
        return
    try:  # another part of Kliyan, still changing as this was written: its rows are welcome, not required
        from kliyan.dedupe import services

        scan, _new = services.scan_request(actor=admin)
        services.run_scan(scan_id=scan.pk)
    except (ImportError, AttributeError, TypeError):
        return


def _messaging(admin: User) -> None:
    """A template in two languages, a segment, a message, a campaign with its variant, someone who wrote on WhatsApp."""
    from kliyan.channels.inbound import receive
    from kliyan.contacts.models import Contact
    from kliyan.marketing.automation_services import automation_create
    from kliyan.marketing.campaign_sending import expand
    from kliyan.marketing.campaign_services import campaign_create, campaign_schedule
    from kliyan.marketing.outbox import queue_message
    from kliyan.marketing.receipts import record_status
    from kliyan.marketing.segment_services import segment_create
    from kliyan.marketing.template_services import template_create

    template = template_create(actor=admin, data={"name": "Mèsi", "channel": "email", "texts": {
        "ht": {"subject": "Mèsi {{ first_name }}!", "body": "Kòd ou: {{ coupon_code }}"},
        "ro": {"subject": "Mulțumim, {{ first_name }}!", "body": "Codul tău: {{ coupon_code }}"},
    }})
    segment = segment_create(actor=admin, data={"name": "Tout moun", "rule": {"all": []}})
    contact = Contact.objects.order_by("pk").first()
    queue_message(actor=admin, contact=contact, channel="email", purpose="transactional", idempotency_key="backup:1",
                  subject="Ou komand ou", body="Komand ou pare.")
    campaign = campaign_create(actor=admin, data={
        "name": "Fèt", "segment_id": segment.pk, "channel": "email", "coupon_code": "FET10",
        "variants": [{"template_id": template.pk, "share": 100}],
    })
    expand(campaign_schedule(actor=admin, campaign=campaign).pk)
    automation_create(actor=admin, data={
        "name": "Bòn fèt", "trigger": "birthday", "channel": "email", "template_id": template.pk, "local_hour": 9,
    })
    receive(channel="whatsapp", handle="50937001122", text="Bonjou, èske nou louvri?", external_id="wamid.backup-1", name="Wolf")
    # A receipt that came before the worker wrote the provider's id.
    record_status(channel="whatsapp", provider_id="wamid.not-yet", status="delivered")


def fill_every_app(capture_on_commit: Any) -> dict[str, Any]:
    """Fill the database, running what the services leave for after the commit; return a few facts."""
    from kliyan.analytics.models import PendingCustomer
    from kliyan.commerce.models import Product
    from kliyan.contacts.models import Contact

    with capture_on_commit(execute=True):
        load_demo(people=16, companies=4, seed=11)
        admin = User.objects.get(username=DEMO_ADMIN)
        token = _accounts(admin)
        _logins()
        _api_with_idempotency(token)
        _forward_references(admin)
        _service(admin)
        _imports(admin)
        _webhooks_channels_analytics(admin)
        _core(admin)
        _dedupe(admin)
        _messaging(admin)
    # What a task consumes at once: left as a worker that has not run yet would leave it.
    PendingCustomer.objects.create(contact_id=Contact.objects.order_by("pk").first().pk)
    Product.objects.filter(pk=Product.objects.order_by("pk").first().pk).update(price=decimal.Decimal("1234567.89"))
    return {"admin": admin}
