"""Pages of message templates: list, editor with six languages, preview with a real customer; who may do what."""

from __future__ import annotations

import pytest
from django.urls import reverse

from kliyan.contacts.services import contact_create
from kliyan.core.models import AuditEntry
from kliyan.marketing.models import MessageTemplate, TemplateText
from kliyan.marketing.rendering import PLACEHOLDERS
from kliyan.marketing.template_services import template_create

pytestmark = pytest.mark.django_db
LIST = reverse("marketing:template_list")
NEW = reverse("marketing:template_create")


def detail(template) -> str:
    return reverse("marketing:template_detail", args=[template.pk])


def state():
    return (
        list(MessageTemplate.objects.order_by("pk").values_list("pk", "name", "channel", "active")),
        list(TemplateText.objects.order_by("pk").values_list("pk", "language", "subject", "body")),
        AuditEntry.objects.filter(object_type="marketing.messagetemplate").count(),
    )


def form_data(**overrides: str) -> dict[str, str]:
    data = {"name": "Thank you", "channel": "sms", "purpose": "marketing", "provider_template": "", "active": "on"}
    for code in ("en", "fr", "ht", "ny", "sq", "ro"):
        data[f"subject_{code}"] = ""
        data[f"body_{code}"] = ""
    data.update(overrides)
    return data


@pytest.fixture
def birthday(manager):
    return template_create(actor=manager, data={
        "name": "Birthday", "channel": "sms",
        "texts": {"en": {"body": "Happy birthday {{ greeting_name }}!"}, "ro": {"body": "La mulți ani, {{ greeting_name }}!"}},
    })


@pytest.fixture
def ana(agent):
    return contact_create(actor=agent, data={"first_name": "Ana", "last_name": "Ionescu", "language": "ro"})


def test_anonymous_visitors_are_sent_to_log_in(client, birthday):
    for url in (LIST, NEW, detail(birthday)):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response["Location"]


def test_viewers_see_no_template_page(client_as, viewer, birthday):
    client = client_as(viewer)
    before = state()

    assert client.get(LIST).status_code == 403
    assert client.get(detail(birthday)).status_code == 403
    assert client.post(NEW, form_data()).status_code == 403
    assert state() == before


def test_agents_list_read_and_preview_but_do_not_change_templates(client_as, agent, birthday, ana):
    client = client_as(agent)
    before = state()

    listing = client.get(LIST)
    page = client.get(detail(birthday), {"contact": ana.pk})

    assert listing.status_code == 200 and "New template" not in listing.text
    assert page.status_code == 200 and "<textarea" not in page.text
    assert "La mulți ani, Ana!" in page.text
    assert client.get(NEW).status_code == 403
    assert client.post(detail(birthday), form_data(name="Hacked", body_en="x")).status_code == 403
    assert client.post(reverse("marketing:template_delete", args=[birthday.pk])).status_code == 403
    assert state() == before


@pytest.mark.parametrize("role", ["manager", "admin"])
def test_managers_and_admins_write_a_template_in_the_languages_they_fill(role, users, client_as):
    client = client_as(users[role])

    response = client.post(NEW, form_data(body_en="Thank you {{ first_name }}", body_ht="Mèsi {{ first_name }}"))

    template = MessageTemplate.objects.get()
    assert response.status_code == 302 and response["Location"] == detail(template)
    assert dict(template.texts.values_list("language", "body")) == {"en": "Thank you {{ first_name }}", "ht": "Mèsi {{ first_name }}"}
    assert AuditEntry.objects.filter(object_type="marketing.messagetemplate", action="create").count() == 1


def test_a_mistake_is_shown_next_to_the_languages_text_and_nothing_is_saved(client_as, manager):
    before = state()

    response = client_as(manager).post(NEW, form_data(body_en="Hello", body_fr="Bonjour\n{{ prenom }}"))

    assert response.status_code == 422
    assert response.context["form"].errors == {
        "body_fr": [f"Line 2: Unknown placeholder {{{{ prenom }}}}: use one of {', '.join(PLACEHOLDERS)}."],
    }
    assert state() == before


def test_an_email_without_a_subject_is_named_on_the_subject_of_that_language(client_as, manager):
    response = client_as(manager).post(NEW, form_data(channel="email", body_sq="Përshëndetje"))

    assert response.status_code == 422
    assert response.context["form"].errors == {"subject_sq": ["An e-mail needs a subject."]}


def test_emptying_a_language_in_the_editor_removes_it_and_changes_are_audited(client_as, manager, birthday):
    response = client_as(manager).post(detail(birthday), form_data(name="Birthday", body_en="Happy birthday {{ first_name }}!"))

    assert response.status_code == 302
    assert dict(birthday.texts.values_list("language", "body")) == {"en": "Happy birthday {{ first_name }}!"}
    entry = AuditEntry.objects.get(object_type="marketing.messagetemplate", action="update")
    assert sorted(entry.before["texts"]) == ["en", "ro"] and sorted(entry.after["texts"]) == ["en"]


def test_the_editor_shows_the_saved_texts_and_the_placeholders(client_as, manager, birthday):
    page = client_as(manager).get(detail(birthday))

    assert page.status_code == 200
    assert "La mulți ani, {{ greeting_name }}!" in page.text
    assert "{{ coupon_code }}" in page.text and "Product of their latest purchase" in page.text


def test_delete_asks_then_deletes(client_as, manager, birthday):
    client = client_as(manager)
    url = reverse("marketing:template_delete", args=[birthday.pk])

    assert client.get(url).status_code == 200 and MessageTemplate.objects.exists()
    response = client.post(url)

    assert response.status_code == 302 and response["Location"] == LIST
    assert not MessageTemplate.objects.exists()


def test_the_list_filters_by_channel(client_as, agent, manager, birthday):
    template_create(actor=manager, data={"name": "Offer", "channel": "whatsapp", "texts": {"en": {"body": "Hi"}}})
    client = client_as(agent)

    names = [row["template"].name for row in client.get(LIST, {"channel": "whatsapp"}).context["rows"]]
    everything = [row["template"].name for row in client.get(LIST, {"channel": "nonsense"}).context["rows"]]

    assert names == ["Offer"] and everything == ["Birthday", "Offer"]


def test_the_list_and_the_editor_pin_their_query_counts(client_as, manager, birthday, ana, django_assert_num_queries):
    client = client_as(manager)
    for i in range(4):
        template_create(actor=manager, data={"name": f"T{i}", "channel": "sms", "texts": {"en": {"body": "a"}, "fr": {"body": "b"}}})
    client.get(LIST)

    # session, user, the templates, their texts
    with django_assert_num_queries(4):
        assert client.get(LIST).status_code == 200
    # session, user, the template, its texts
    with django_assert_num_queries(4):
        assert client.get(detail(birthday)).status_code == 200
    # … and the customer, their language, their values (person, address, purchases)
    with django_assert_num_queries(9):
        assert client.get(detail(birthday), {"contact": ana.pk}).status_code == 200


def test_the_preview_finds_a_customer_and_shows_the_message_in_their_language(client_as, agent, birthday, ana):
    client = client_as(agent)

    found = client.get(detail(birthday), {"q": "Ionescu"})
    shown = client.get(detail(birthday), {"contact": ana.pk})
    english = client.get(detail(birthday), {"contact": ana.pk, "language": "en"})

    assert [c.pk for c in found.context["found"]] == [ana.pk]
    assert shown.context["preview"].rendered.body == "La mulți ani, Ana!"
    assert "In Română, the customer's language." in shown.text
    assert english.context["preview"].rendered.body == "Happy birthday Ana!"


def test_htmx_asks_only_for_the_preview(client_as, agent, birthday, ana):
    response = client_as(agent).get(detail(birthday), {"contact": ana.pk}, headers={"HX-Request": "true"})

    assert response.status_code == 200
    assert "<html" not in response.text and "La mulți ani, Ana!" in response.text


def test_a_preview_in_a_language_without_text_says_so(client_as, agent, birthday, ana):
    response = client_as(agent).get(detail(birthday), {"contact": ana.pk, "language": "fr"})

    assert response.context["preview"] is None
    assert response.context["problem"] == "This template has no text in Français."


def test_an_unknown_template_is_not_found(client_as, manager):
    assert client_as(manager).get(reverse("marketing:template_detail", args=[10**20])).status_code == 404
