"""Messages that really leave, in a real browser: an A/B campaign on a desktop, an agent's reply on a phone.

E-mail goes to a real SMTP server (aiosmtpd on 127.0.0.1). The test settings run tasks at once
(ImmediateBackend), so the campaign's worker and the outbox run in the live server's thread as
the button is pressed; the test then runs the same worker functions itself, as the minute's
sweep would, to show nothing is left waiting and nothing goes twice.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from kliyan.contacts.models import Tag
from kliyan.contacts.services import consent_set, contact_create
from kliyan.marketing import campaign_sending, outbox
from kliyan.marketing.models import Campaign, Message, Segment
from kliyan.marketing.template_services import template_create
from kliyan.marketing.tests.outbox_fixtures import outbox_settings, smtp  # noqa: F401 - fixtures
from kliyan.tests_browser.pages import fits, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("outbox_settings")]


def cell(row, label: str) -> str:
    return row.locator(f'td[data-label="{label}"]').inner_text().strip()


def test_a_manager_sends_an_ab_campaign_to_a_segment_and_reads_its_results_on_a_desktop(
    live_server, desktop, smtp, manager,  # noqa: F811 - fixtures
) -> None:
    vip = Tag.objects.create(name="VIP")
    for n in range(8):
        contact = contact_create(actor=manager, data={
            "first_name": f"Client{n}", "language": "en", "tags": ["VIP"], "emails": [{"email": f"client{n}@example.ht"}]})
        if n < 7:  # the eighth never agreed to e-mail: stored as "not sent", never sent
            consent_set(actor=manager, contact=contact, channel="email", status="granted", method="written",
                        at=timezone.now() - dt.timedelta(days=30))
    contact_create(actor=manager, data={"first_name": "Outsider", "emails": [{"email": "out@example.ht"}]})
    Segment.objects.create(name="VIPs", rule={"all": [{"field": "tag", "op": "has", "value": vip.pk}]}, created_by=manager)
    for label in "AB":
        template_create(actor=manager, data={"name": f"Spring {label}", "channel": "email", "texts": {
            "en": {"subject": f"Spring {label}", "body": f"Hello {{{{ first_name }}}}, use {{{{ coupon_code }}}} ({label})."}}})
    page = desktop
    log_in(page, live_server.url, "manager")

    page.goto(f"{live_server.url}/marketing/campaigns/")
    page.get_by_role("link", name="New campaign").click()
    page.fill("input[name=name]", "Spring sale")
    page.select_option("select[name=segment_id]", label="VIPs")
    page.select_option("select[name=channel]", label="E-mail")
    page.fill("input[name=coupon_code]", "SPRING20")
    page.select_option("select[name=template_A]", label="Spring A (E-mail)")
    page.fill("input[name=share_A]", "50")
    page.select_option("select[name=template_B]", label="Spring B (E-mail)")
    page.fill("input[name=share_B]", "50")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(re.compile(r"/marketing/campaigns/\d+/$"))
    campaign = Campaign.objects.get()
    assert list(campaign.variants.order_by("label").values_list("label", "template__name", "share")) == [
        ("A", "Spring A", 50), ("B", "Spring B", 50)]
    assert campaign.status == "draft" and fits(page, 1280)

    page.get_by_role("button", name="Send now").click()
    page.wait_for_url(re.compile(rf"/marketing/campaigns/{campaign.pk}/$"))
    # The minute's sweep finds nothing left: everything was stored and sent as the button was pressed.
    assert campaign_sending.run_campaigns() == 0 and outbox.deliver_due() == 0
    campaign.refresh_from_db()
    assert (campaign.status, campaign.total, campaign.queued) == ("sent", 8, 8)
    per_variant = {label: Message.objects.filter(campaign=campaign, variant__label=label, status="sent").count()
                   for label in "AB"}
    assert sum(per_variant.values()) == 7 and smtp.count() == 7
    assert Message.objects.get(campaign=campaign, status="not_sent").reason == "no_consent"
    for recipients, mail in smtp.messages:  # each got their variant's text, with their name and the coupon
        sent = Message.objects.select_related("contact", "variant").get(recipient=recipients[0])
        label = sent.variant.label
        assert mail["Subject"] == f"Spring {label}"
        assert mail.get_content().strip() == f"Hello {sent.contact.first_name}, use SPRING20 ({label})."

    # The results, per variant and in total, are what left.
    page.reload()
    expect(page.locator("#campaign-progress")).to_contain_text("8 of 8 messages stored")
    rows = page.locator("#campaign-results-title ~ .table-wrap tbody tr")
    expect(rows).to_have_count(3)
    for row, label in zip((rows.nth(0), rows.nth(1)), "AB", strict=True):
        assert row.locator("th").inner_text().startswith(label)
        assert cell(row, "Sent") == str(per_variant[label])
        assert int(cell(row, "Stored")) == Message.objects.filter(campaign=campaign, variant__label=label).count()
    total = rows.nth(2)
    assert (cell(total, "Stored"), cell(total, "Sent"), cell(total, "Orders")) == ("8", "7", "0")
    assert cell(total, "Not sent").splitlines()[0] == "1"
    assert fits(page, 1280)

    page.goto(f"{live_server.url}/marketing/campaigns/")
    page.get_by_role("link", name="Which promotion worked").click()
    report = page.locator("main tbody tr", has_text="Spring sale")
    expect(report.locator('td[data-label="Sent"]')).to_have_text("7")
    assert fits(page, 1280)


def test_an_agent_replies_by_email_from_the_contact_page_on_a_phone(live_server, phone, smtp, agent) -> None:  # noqa: F811
    customer = contact_create(actor=agent, data={"first_name": "Rose", "last_name": "Jean-Louis", "language": "ht",
                                                 "emails": [{"email": "rose@example.ht"}]})
    page = phone
    log_in(page, live_server.url, "agent")

    page.goto(f"{live_server.url}{customer.get_absolute_url()}")
    assert fits(page, 360)
    panel = page.locator("#messages")
    expect(panel).to_contain_text("No messages yet.")
    panel.locator("summary", has_text="Write to this contact").click()
    panel.get_by_label("Channel").select_option(label="E-mail")
    panel.get_by_label("Subject").fill("Your parcel")
    panel.get_by_label("Text").fill("Your parcel is at the shop in Jacmel.")
    assert fits(page, 360)
    panel.get_by_role("button", name="Send").click()
    page.wait_for_url(re.compile(rf"/contacts/{customer.pk}/.*#messages$"))
    expect(page.locator(".message--success")).to_have_text("Message stored: it goes out in a few seconds.")

    # It left by SMTP as the agent's reply: no consent asked, no unsubscribe link, not tracked.
    assert smtp.count() == 1
    recipients, mail = smtp.messages[0]
    assert recipients == ["rose@example.ht"] and mail["Subject"] == "Your parcel"
    assert mail.get_content().strip() == "Your parcel is at the shop in Jacmel." and mail["List-Unsubscribe"] is None
    message = Message.objects.get()
    assert (message.status, message.purpose, message.created_by, message.contact) == ("sent", "transactional", agent, customer)

    # … and it is on her timeline and in the panel, marked sent.
    page.reload()
    entry = page.locator("#timeline .timeline__item--message")
    expect(entry).to_have_count(1)
    expect(entry.locator(".timeline__title")).to_contain_text("E-mail: Your parcel")
    expect(entry.locator(".timeline__title .badge")).to_have_text("Sent")
    expect(entry.locator(".timeline__text")).to_have_text("Your parcel is at the shop in Jacmel.")
    expect(panel.locator(".list__item")).to_contain_text("Your parcel")
    assert fits(page, 360)
