"""Marketing on a phone (360 px): the segment rule builder, message templates, automations; agents kept out."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from kliyan.accounts.models import Role, User
from kliyan.contacts.models import Tag
from kliyan.contacts.services import contact_create
from kliyan.marketing.models import Automation, MessageTemplate, Segment
from kliyan.tests_browser.pages import PASSWORD, fits, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def open_menu_item(page, name: str) -> None:
    page.locator("details.menu summary").click()
    page.get_by_role("link", name=name, exact=True).click()


def condition(page, path: str):
    """The builder's row for the condition at `path` ("rule.all[1].any[0]"); rows are redrawn, so ask each time."""
    return page.locator(f'li.segment-condition[data-path="{path}"]')


def set_condition(page, path: str, field: str, op: str, value: str | None = None, *, choose: bool = False) -> None:
    """Pick the field, the operator and the value of a condition as a person does, one control after the other."""
    condition(page, path).get_by_label("Field").select_option(label=field)
    condition(page, path).get_by_label("Operator").select_option(label=op)
    if value is None:
        return
    box = condition(page, path).get_by_label("Value")
    if choose:
        box.select_option(label=value)
    else:
        box.fill(value)


def test_a_manager_builds_a_segment_with_a_nested_any_group_on_a_phone(live_server, phone) -> None:
    manager = User.objects.create_user(username="mirlande", password=PASSWORD, role=Role.MANAGER)
    vip = Tag.objects.create(name="VIP")
    for first_name, city, tags in (("Ana", "Jacmel", ["VIP"]), ("Bruno", "Cap-Haïtien", ["VIP"]),
                                   ("Carla", "Jacmel", []), ("Didier", "Les Cayes", ["VIP"])):
        contact_create(actor=manager, data={"first_name": first_name, "tags": tags,
                                            "addresses": [{"city": city, "country": "HT"}]})
    page = phone
    log_in(page, live_server.url, "mirlande")

    open_menu_item(page, "Segments")
    page.wait_for_url(re.compile(r"/marketing/segments/$"))
    assert fits(page, 360)
    page.get_by_role("link", name="New segment").click()
    page.wait_for_url(re.compile(r"/marketing/segments/new/$"))
    count = page.locator("#segment-count")
    page.fill("input[name=name]", "VIPs of Jacmel or named Bru…")

    # Everyone tagged VIP: Ana, Bruno, Didier.
    outer = page.locator("#segment-builder > fieldset.segment-group")
    outer.locator(":scope > .segment-group__actions").get_by_role("button", name="Add a condition").click()
    set_condition(page, "rule.all[0]", "Tag", "has", "VIP", choose=True)
    expect(count).to_have_text("3 contacts")
    assert fits(page, 360)

    # … and any of: living in Jacmel, a first name starting with "Bru".
    outer.locator(":scope > .segment-group__actions").get_by_role("button", name="Add a group").click()
    inner = page.locator('fieldset.segment-group[data-path="rule.all[1]"]')
    expect(inner.get_by_label("Match")).to_have_value("any")  # a new group is an "any" group
    expect(count).to_have_text("0 contacts")  # an empty "any" group takes no one
    inner.get_by_role("button", name="Add a condition").click()
    set_condition(page, "rule.all[1].any[0]", "City", "is", "Jacmel")
    expect(count).to_have_text("1 contact")
    expect(page.locator("#segment-preview")).to_have_text(re.compile(r"^Ana$"))
    inner.get_by_role("button", name="Add a condition").click()
    set_condition(page, "rule.all[1].any[1]", "First name", "starts with")
    # Left empty, the value is a mistake: the live count says so, on the condition at fault.
    expect(count).to_have_text("Could not count: the rule has mistakes.")
    expect(condition(page, "rule.all[1].any[1]").locator(".segment-node-error")).to_have_text("A value is required.")
    assert fits(page, 360)

    # Saving it anyway is refused with the same words, and nothing is saved.
    page.get_by_role("button", name="Save").click()
    summary = page.locator("#segment-rule-summary")
    expect(summary).to_be_visible()
    expect(summary).to_have_text("The rule has mistakes; they are shown next to each condition.")
    expect(condition(page, "rule.all[1].any[1]").locator(".segment-node-error")).to_have_text("A value is required.")
    assert not Segment.objects.exists()
    assert fits(page, 360)

    # The builder kept what was built; the value is filled in and the count follows.
    condition(page, "rule.all[1].any[1]").get_by_label("Value").fill("Bru")
    expect(count).to_have_text("2 contacts")
    expect(page.locator("#segment-preview li")).to_have_text(["Ana", "Bruno"])
    expect(summary).to_be_hidden()
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(re.compile(r"/marketing/segments/\d+/$"))
    segment = Segment.objects.get()
    assert segment.name == "VIPs of Jacmel or named Bru…"
    assert segment.rule == {"all": [
        {"field": "tag", "op": "has", "value": vip.pk},
        {"any": [{"field": "city", "op": "is", "value": "Jacmel"}, {"field": "first_name", "op": "starts_with", "value": "Bru"}]},
    ]}
    expect(count).to_have_text("2 contacts")  # the saved segment counts again when opened
    assert fits(page, 360)


def test_a_manager_writes_templates_previews_one_with_a_customer_and_sees_mistakes_on_a_phone(live_server, phone) -> None:
    manager = User.objects.create_user(username="mirlande", password=PASSWORD, role=Role.MANAGER)
    contact_create(actor=manager, data={"first_name": "Ana", "last_name": "Ionescu", "language": "en",
                                        "emails": [{"email": "ana@example.ro"}]})
    page = phone
    log_in(page, live_server.url, "mirlande")

    open_menu_item(page, "Message templates")
    page.wait_for_url(re.compile(r"/marketing/templates/$"))
    assert fits(page, 360)
    page.get_by_role("link", name="New template").first.click()  # the header's (the empty list offers one too)
    page.wait_for_url(re.compile(r"/marketing/templates/new/$"))
    page.fill("input[name=name]", "Welcome")
    page.select_option("select[name=channel]", label="E-mail")
    page.fill("input[name=subject_en]", "Welcome, {{ first_name }}")
    page.fill("textarea[name=body_en]", "Hello {{ first_name }},\nthank you for shopping with us.")
    assert fits(page, 360)
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(re.compile(r"/marketing/templates/\d+/$"))
    welcome = MessageTemplate.objects.get()
    assert (welcome.name, welcome.channel) == ("Welcome", "email")
    assert list(welcome.texts.values_list("language", "subject", "body")) == [
        ("en", "Welcome, {{ first_name }}", "Hello {{ first_name }},\nthank you for shopping with us.")]
    assert fits(page, 360)

    # The preview: find a real customer, see the message as she would get it.
    page.fill("#tpl-q", "Ionescu")
    page.locator(".tpl-found").get_by_role("link", name="Ana Ionescu").click()
    expect(page.locator(".tpl-preview__subject")).to_have_text("Subject: Welcome, Ana")
    expect(page.locator(".tpl-preview .tpl-body")).to_have_text("Hello Ana,\nthank you for shopping with us.")
    assert "In English, the customer's language." in page.inner_text("#tpl-preview")
    assert fits(page, 360)

    # An SMS template: a mistyped placeholder, then an {% if %} left open, are named; nothing is saved.
    page.goto(f"{live_server.url}/marketing/templates/new/")
    page.fill("input[name=name]", "Parcel ready")
    page.select_option("select[name=channel]", label="SMS")
    expect(page.locator("input[name=subject_en]")).to_be_hidden()  # SMS has no subject
    page.fill("textarea[name=body_en]", "Your parcel is ready, {{ frist_name }}.")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#id_body_en_error")).to_have_text(
        "Line 1: Unknown placeholder {{ frist_name }}: did you mean {{ first_name }}?")
    assert MessageTemplate.objects.count() == 1
    assert fits(page, 360)
    page.fill("textarea[name=body_en]", "{% if company %}Your parcel is ready at {{ company }}.")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#id_body_en_error")).to_contain_text("This {% if %} has no {% endif %}.")
    assert MessageTemplate.objects.count() == 1
    page.fill("textarea[name=body_en]", "Your parcel is ready, {{ first_name }}.")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(re.compile(r"/marketing/templates/\d+/$"))
    parcel = MessageTemplate.objects.get(name="Parcel ready")
    assert parcel.channel == "sms"
    assert list(parcel.texts.values_list("language", "subject", "body")) == [("en", "", "Your parcel is ready, {{ first_name }}.")]
    assert fits(page, 360)


def test_a_manager_sets_up_a_birthday_automation_on_a_phone(live_server, phone) -> None:
    from kliyan.marketing.template_services import template_create

    manager = User.objects.create_user(username="mirlande", password=PASSWORD, role=Role.MANAGER)
    template = template_create(actor=manager, data={
        "name": "Happy birthday", "channel": "email",
        "texts": {"en": {"subject": "Happy birthday!", "body": "Happy birthday, {{ first_name }}!"}}})
    vips = Segment.objects.create(name="VIPs", rule={"all": []}, created_by=manager)
    page = phone
    log_in(page, live_server.url, "mirlande")

    open_menu_item(page, "Automations")
    page.wait_for_url(re.compile(r"/marketing/automations/$"))
    assert "No automations yet." in page.inner_text("main") and fits(page, 360)
    page.get_by_role("link", name="New automation").click()
    page.fill("input[name=name]", "Birthday wishes")
    page.select_option("select[name=trigger]", label="Birthday")
    page.fill("input[name=local_hour]", "8")
    page.select_option("select[name=channel]", label="E-mail")
    page.select_option("select[name=template_id]", label="Happy birthday (E-mail)")
    page.select_option("select[name=segment_id]", label="VIPs")
    assert fits(page, 360)
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(re.compile(r"/marketing/automations/\d+/$"))
    automation = Automation.objects.get()
    assert (automation.name, automation.trigger, automation.local_hour, automation.channel, automation.active) == (
        "Birthday wishes", "birthday", 8, "email", True)
    assert (automation.template_id, automation.segment_id) == (template.pk, vips.pk)
    assert fits(page, 360)

    page.goto(f"{live_server.url}/marketing/automations/")
    row = page.locator(f"#automation-{automation.pk}")
    expect(row.get_by_role("link", name="Birthday wishes")).to_be_visible()
    expect(row).to_contain_text("Birthday")
    expect(row).to_contain_text("VIPs")
    expect(row).to_contain_text("Active")
    assert fits(page, 360)


def test_an_agent_may_look_at_segments_but_not_write_segments_or_campaigns(live_server, phone) -> None:
    User.objects.create_user(username="agent", password=PASSWORD, role=Role.AGENT)
    segment = Segment.objects.create(name="Everyone", rule={"all": []})
    page = phone
    log_in(page, live_server.url, "agent")

    page.goto(f"{live_server.url}/marketing/segments/")
    assert page.get_by_role("link", name="New segment").count() == 0 and fits(page, 360)
    for url in ("/marketing/segments/new/", "/marketing/campaigns/new/"):
        answer = page.goto(f"{live_server.url}{url}")
        assert answer.status == 403, url
        assert fits(page, 360)
    # The saved segment opens read-only: no save button, no control to change the rule.
    page.goto(f"{live_server.url}/marketing/segments/{segment.pk}/")
    expect(page.locator("#segment-count")).to_have_text("0 contacts")
    assert page.get_by_role("button", name="Save").count() == 0
    assert page.get_by_role("button", name="Add a condition").count() == 0
    assert fits(page, 360)
