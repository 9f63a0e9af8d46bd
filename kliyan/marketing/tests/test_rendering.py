"""The template language: what a text may say, how it is checked, the language chosen, the values filled in."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kliyan.commerce.tests.builders import make_order, make_product, make_rate
from kliyan.contacts.models import Company
from kliyan.contacts.services import contact_create
from kliyan.core.choices import Country
from kliyan.core.errors import ValidationFailed
from kliyan.core.models import Organisation
from kliyan.marketing import rendering
from kliyan.marketing.models import MessageTemplate, TemplateText
from kliyan.marketing.rendering import (
    PLACEHOLDERS,
    choose_text,
    contexts_for,
    empty_context,
    placeholder_names,
    render,
    validate_text,
)


def errors_of(**kwargs: str) -> dict[str, list[str]]:
    with pytest.raises(ValidationFailed) as caught:
        validate_text(**kwargs)
    return caught.value.field_errors


def text(body: str, *, subject: str = "", language: str = "en", pk: int | None = None) -> TemplateText:
    return TemplateText(pk=pk, language=language, subject=subject, body=body, updated_at=timezone.now())


# --- Checking ---------------------------------------------------------------------------

@pytest.mark.parametrize("channel", ["sms", "whatsapp", "facebook", "instagram"])
def test_a_text_with_placeholders_conditions_and_filters_is_accepted(channel):
    body = "Bonjou {{ first_name|default:'zanmi' }}!\n{% if coupon_code %}Kòd: {{ coupon_code|upper }}{% elif company %}{{ company }}{% else %}Mèsi{% endif %}"

    assert validate_text(channel=channel, subject="", body=body) is None


def test_an_unknown_placeholder_is_named_with_its_line_and_the_likely_one():
    errors = errors_of(channel="sms", subject="", body="Hello\n{{ frist_name }}")

    assert errors == {"body": ["Line 2: Unknown placeholder {{ frist_name }}: did you mean {{ first_name }}?"]}


def test_an_unknown_placeholder_with_nothing_close_lists_every_placeholder():
    [message] = errors_of(channel="sms", subject="", body="{{ zzz }}")["body"]

    assert message.startswith("Line 1: Unknown placeholder {{ zzz }}: use one of first_name, last_name")
    assert all(name in message for name in PLACEHOLDERS)


@pytest.mark.parametrize("body, problem", [
    ("{% if shoe_size > 40 %}big{% endif %}", "Unknown placeholder {{ shoe_size }}"),
    ("{% if first_name %}a{% elif x %}b{% endif %}", "Unknown placeholder {{ x }}"),
    ("{{ first_name|default:nickname }}", "Unknown placeholder {{ nickname }}"),
    ("{{ first_name.upper }}", "Unknown placeholder {{ first_name.upper }}"),
])
def test_variables_in_conditions_and_filter_arguments_are_checked_too(body, problem):
    [message] = errors_of(channel="sms", subject="", body=body)["body"]

    assert problem in message


@pytest.mark.parametrize("body, message", [
    ("a\n{% for x in y %}{% endfor %}", "Line 2: {% for %} is not allowed: only {% if %}, {% elif %}, {% else %} and {% endif %}."),
    ("{% load static %}", "Line 1: {% load %} is not allowed: only {% if %}, {% elif %}, {% else %} and {% endif %}."),
    ("{% include 'base.html' %}", "Line 1: {% include %} is not allowed: only {% if %}, {% elif %}, {% else %} and {% endif %}."),
    ("one\ntwo\n{% if first_name %}hi", "Line 3: This {% if %} has no {% endif %}."),
    ("{% endif %}", "Line 1: {% endif %} without an {% if %} before it."),
    ("{{ first_name|safe }}", "Line 1: Unknown filter |safe: use one of default, upper, lower, title, date."),
    ("{{ }}", "Line 1: Empty {{ }}: write the name of a placeholder between the braces."),
    ("{% if first_name == %}x{% endif %}", "Line 1: Unexpected end of expression in if tag."),
])
def test_a_syntax_error_gives_its_line_and_what_is_wrong(body, message):
    assert errors_of(channel="whatsapp", subject="", body=body) == {"body": [message]}


def test_an_email_needs_a_one_line_subject_which_is_checked_like_the_body():
    assert errors_of(channel="email", subject=" ", body="Hi") == {"subject": ["An e-mail needs a subject."]}
    assert errors_of(channel="email", subject="a\nb", body="Hi") == {"subject": ["Write the subject on one line."]}
    assert errors_of(channel="email", subject="For {{ nmae }}", body="{% for %}") == {
        "subject": ["Line 1: Unknown placeholder {{ nmae }}: did you mean {{ name }}?"],
        "body": ["Line 1: {% for %} is not allowed: only {% if %}, {% elif %}, {% else %} and {% endif %}."],
    }


def test_only_emails_have_a_subject():
    assert errors_of(channel="sms", subject="Hello", body="Hi") == {"subject": ["Only e-mails have a subject: leave it empty."]}


@pytest.mark.parametrize("channel, limit", [("sms", 1_600), ("whatsapp", 4_096), ("instagram", 1_000)])
def test_a_body_longer_than_the_channel_carries_is_refused(channel, limit):
    assert validate_text(channel=channel, subject="", body="x" * limit) is None

    [message] = errors_of(channel=channel, subject="", body="x" * (limit + 1))["body"]

    assert f"at most {limit:,} characters; this one has {limit + 1:,}" in message


def test_an_empty_body_and_an_unknown_channel_are_named():
    assert errors_of(channel="sms", subject="", body="  \n") == {"body": ["Write the text of the message."]}
    assert list(errors_of(channel="pigeon", subject="", body="Hi")) == ["channel"]


hostile = st.one_of(
    st.text(max_size=80),
    st.lists(st.sampled_from([
        "{{", "}}", "{%", "%}", "{#", "#}", "if", "elif", "else", "endif", "for", "first_name", "name", "|", ":",
        "date", "default", "upper", '"', "'", " ", "\n", "_(", ")", "not", "and", "==", "in", "1e999", ".", "0", "x",
        "%", "{", "}", "__class__", "é", "\x00", "block", "load",
    ]), max_size=30).map("".join),
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=hostile, subject=hostile, channel=st.sampled_from(["email", "sms", "whatsapp", "facebook", "instagram"]))
def test_any_text_either_validates_and_renders_or_is_refused_naming_the_field(body, subject, channel):
    subject = subject if channel == "email" else ""
    try:
        validate_text(channel=channel, subject=subject, body=body)
    except ValidationFailed as error:
        assert error.field_errors and set(error.field_errors) <= {"subject", "body"}
        assert all(isinstance(m, str) and m for messages in error.field_errors.values() for m in messages)
        return
    rendered = render(text(body, subject=subject), {**empty_context(), "first_name": "<Ana> & co"})
    assert isinstance(rendered.body, str) and "\n" not in rendered.subject


# --- Placeholders of a body ---------------------------------------------------------------

def test_placeholder_names_are_those_printed_in_order_of_first_appearance():
    body = "{% if company %}{{ company }}{% endif %} {{ first_name|default:name }}, {{ coupon_code }} {{ company }}"

    assert placeholder_names(body) == ["company", "first_name", "coupon_code"]


# --- Choosing the language ------------------------------------------------------------------

@pytest.fixture
def template(db):
    return MessageTemplate.objects.create(name="Birthday", channel="sms")


def add_texts(template, *languages):
    for language in languages:
        TemplateText.objects.create(template=template, language=language, body=f"text {language}")


@pytest.mark.parametrize("written, contact_language, organisation_language, chosen", [
    (["en", "fr", "ro"], "ro", "fr", "ro"),  # the contact's own
    (["en", "fr"], "ro", "fr", "fr"),        # else the organisation's
    (["en", "ht"], "ro", "fr", "en"),        # else English
    (["ht", "sq"], "ro", "fr", "ht"),        # else any (the first by code)
    (["en", "fr"], "", "fr", "fr"),          # a contact without a language: the organisation's
])
def test_the_text_is_the_contacts_language_else_the_organisations_else_english_else_any(
    template, written, contact_language, organisation_language, chosen,
):
    Organisation.objects.update_or_create(pk=1, defaults={"language": organisation_language})
    add_texts(template, *written)

    assert choose_text(template, contact_language).language == chosen


def test_a_template_without_text_has_none_to_choose(template):
    assert choose_text(template, "fr") is None


# --- Values of the placeholders ---------------------------------------------------------------

@pytest.fixture
def customers(db, agent, manager):
    Organisation.objects.update_or_create(pk=1, defaults={"name": "Boutik Lakay", "currency": "HTG", "timezone": "UTC"})
    company = Company.objects.create(name="Rhum & Co")
    ana = contact_create(actor=agent, data={
        "first_name": "Ana", "last_name": "Pierre", "company_id": company.pk, "job_title": "Chef", "birthday": "1990-07-14",
        "language": "fr", "owner_id": manager.pk,
        "addresses": [{"city": "Jacmel", "country": "HT", "is_primary": True}],
    })
    bare = contact_create(actor=agent, data={"last_name": "Nobody"})
    return ana, bare


def test_a_contacts_values_come_from_their_record_address_and_purchases(customers, manager):
    ana, _bare = customers
    manager.first_name, manager.last_name = "Rose", "Manager"
    manager.save()
    rum = make_product("Rhum Barbancourt 15 ans")
    make_rate("USD", "2020-01-01", "130")
    make_order(contact=ana, total="1000", ordered_at=dt.datetime(2021, 5, 3, 15, tzinfo=dt.UTC))
    make_order(contact=ana, total="10", currency="USD", ordered_at=dt.datetime(2024, 2, 1, 15, tzinfo=dt.UTC))
    latest = make_order(contact=ana, total="500", ordered_at=dt.datetime(2025, 1, 20, 15, tzinfo=dt.UTC), number="SO-LAST")
    latest.lines.update(product=rum)
    make_order(contact=ana, total="9999", status="cancelled", ordered_at=timezone.now())  # not a purchase

    values = contexts_for([ana.pk])[ana.pk]

    assert values == {
        **empty_context(),
        "first_name": "Ana", "last_name": "Pierre", "name": "Ana Pierre", "greeting_name": "Ana",
        "company": "Rhum & Co", "job_title": "Chef", "city": "Jacmel", "country": values["country"],
        "birthday": dt.date(1990, 7, 14), "organisation": "Boutik Lakay", "owner_name": "Rose Manager",
        "last_product": "Rhum Barbancourt 15 ans", "last_order_number": "SO-LAST",
        "last_order_date": dt.date(2025, 1, 20), "first_purchase_date": dt.date(2021, 5, 3),
        "customer_years": values["customer_years"], "order_count": 3,
        "lifetime_spend": rendering.Amount(Decimal("2800.0000"), "HTG"),
    }
    assert str(values["country"]) == "Haiti"
    today = timezone.now().date()
    assert values["customer_years"] == today.year - 2021 - ((today.month, today.day) < (5, 3))


def test_a_contact_with_nothing_on_record_has_empty_values_never_none(customers):
    _ana, bare = customers

    values = contexts_for([bare.pk])[bare.pk]

    assert values["greeting_name"] == "Nobody" and values["first_name"] == ""
    assert all(value is not None for value in values.values())
    assert render(text("[{{ first_name }}][{{ last_order_date|date:'Y' }}][{{ lifetime_spend }}]"), values).body == "[][][]"


def test_the_values_of_many_contacts_take_the_same_four_queries_as_one(customers, agent, django_assert_num_queries):
    ana, bare = customers
    others = [contact_create(actor=agent, data={"first_name": f"P{i}", "addresses": [{"city": "Cap"}]}) for i in range(6)]
    for person in others:
        make_order(contact=person, lines=[("Soap", "1", "5")])
    ids = [ana.pk, bare.pk, *[p.pk for p in others]]
    contexts_for([ana.pk])  # the organisation, read once and cached

    with django_assert_num_queries(4):
        values = contexts_for(ids + [ids[0], 10**9])

    assert sorted(values) == sorted(ids)
    assert {values[p.pk]["last_product"] for p in others} == {"Soap"}


# --- Rendering ---------------------------------------------------------------------------------

def test_missing_values_print_nothing_and_default_fills_them():
    rendered = render(text("Hi {{ first_name|default:'friend' }}{{ company }}!"), {})

    assert rendered.body == "Hi friend!"


def test_nothing_is_html_escaped_the_messages_are_plain_text():
    rendered = render(text("{{ company }} — {{ first_name|upper }}", subject="For {{ name }}"), {"company": "Rhum & <Co>", "first_name": "o'neil", "name": "A & B"})

    assert rendered == rendering.Rendered(subject="For A & B", body="Rhum & <Co> — O'NEIL")


def test_dates_money_and_countries_come_out_in_the_texts_language():
    values = {
        "last_order_date": dt.date(2026, 3, 2), "lifetime_spend": rendering.Amount(Decimal("12500"), "HTG"),
        "country": dict(Country.choices)["HT"],
    }
    body = "{{ last_order_date|date:'j F Y' }} · {{ lifetime_spend }} · {{ country }}"

    assert render(text(body, language="fr"), values).body == "2 mars 2026 · 12\u202f500,00\xa0HTG · Haïti"
    assert render(text(body, language="en"), values).body == "2 March 2026 · HTG12,500.00 · Haiti"


def test_extra_values_from_the_caller_fill_coupon_and_links():
    body = "{{ greeting_name }}: {{ coupon_code }} {{ unsubscribe_url }}"

    rendered = render(text(body), {"greeting_name": "Ana"}, {"coupon_code": "BDAY10", "unsubscribe_url": "https://x.test/u/1"})

    assert rendered.body == "Ana: BDAY10 https://x.test/u/1"


def test_a_subject_is_one_line_and_a_body_has_no_blank_edges():
    rendered = render(text("\n{% if first_name %}\nHi {{ first_name }}\n{% endif %}\n", subject="Hi\t{{ first_name }}"), {"first_name": "Ana\nB"})

    assert rendered.subject == "Hi Ana B"
    assert rendered.body == "Hi Ana\nB"


def test_a_saved_text_is_compiled_once_per_version(template):
    saved = TemplateText.objects.create(template=template, language="en", body="One {{ first_name }}")

    first = rendering._templates_of(saved)
    assert rendering._templates_of(TemplateText.objects.get(pk=saved.pk)) is first

    saved.body = "Two {{ first_name }}"
    saved.save()

    assert render(saved, {"first_name": "Ana"}).body == "Two Ana"


def test_placeholder_values_are_the_printed_values_in_order_formatted_in_the_texts_language():
    values = {"first_name": "Ana", "last_order_date": dt.date(2026, 3, 2), "lifetime_spend": rendering.Amount(Decimal("10"), "HTG")}
    saved = text("{{ first_name }}, {{ last_order_date }} {{ lifetime_spend }} {{ first_name }} {{ coupon_code }}", language="fr")

    assert rendering.placeholder_values(saved, values, {"coupon_code": "X1"}) == ("Ana", "2 mars 2026", "10,00 HTG", "X1")
