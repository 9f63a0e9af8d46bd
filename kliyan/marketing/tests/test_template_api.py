"""API v1 message templates: agents read and preview, managers and admins write; bad texts are refused by field."""

from __future__ import annotations

import pytest
from django.test import Client

from kliyan.accounts.services import token_create
from kliyan.contacts.services import contact_create
from kliyan.core.models import AuditEntry, Organisation
from kliyan.marketing.models import MessageTemplate, TemplateText
from kliyan.marketing.template_services import template_create

pytestmark = pytest.mark.django_db
JSON = "application/json"
URL = "/api/v1/message-templates"


def bearer(user, scope: str = "write") -> Client:
    _token, secret = token_create(actor=user, user=user, name="test", scope=scope)
    return Client(headers={"Authorization": f"Bearer {secret}"})


def state():
    return (
        list(MessageTemplate.objects.order_by("pk").values_list("pk", "name", "channel", "active")),
        list(TemplateText.objects.order_by("pk").values_list("pk", "language", "subject", "body")),
        AuditEntry.objects.filter(object_type="marketing.messagetemplate").count(),
    )


def errors(response) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for error in response.json().get("errors", []):
        found.setdefault(error["field"], []).append(error["message"])
    return found


@pytest.fixture
def birthday(manager):
    return template_create(actor=manager, data={
        "name": "Birthday", "channel": "sms",
        "texts": {"en": {"body": "Happy birthday {{ greeting_name }}! {{ coupon_code }}"},
                  "fr": {"body": "Joyeux anniversaire {{ greeting_name }} ! {{ coupon_code }}"}},
    })


@pytest.fixture
def ana(agent):
    return contact_create(actor=agent, data={"first_name": "Ana", "last_name": "Pierre", "language": "fr"})


NEW = {
    "name": "Welcome", "channel": "email", "purpose": "transactional",
    "texts": {"en": {"subject": "Welcome, {{ first_name }}", "body": "Hello {{ first_name|default:'there' }}"},
              "ro": {"subject": "Bun venit", "body": "Salut {{ first_name }}"}},
}


def test_viewers_may_not_read_preview_or_write_templates(viewer, birthday, ana):
    client = bearer(viewer)
    before = state()

    assert client.get(URL).status_code == 403
    assert client.get(f"{URL}/{birthday.pk}").status_code == 403
    assert client.get(f"{URL}/placeholders").status_code == 403
    assert client.post(f"{URL}/{birthday.pk}/preview", {"contact_id": ana.pk}, content_type=JSON).status_code == 403
    assert client.post(f"{URL}/check", {"channel": "sms", "body": "Hi"}, content_type=JSON).status_code == 403
    assert client.post(URL, NEW, content_type=JSON).status_code == 403
    assert state() == before


def test_agents_read_and_preview_but_may_not_write(agent, birthday, ana):
    client = bearer(agent)
    before = state()

    assert client.get(URL).status_code == 200
    assert client.get(f"{URL}/{birthday.pk}").status_code == 200
    assert client.post(f"{URL}/{birthday.pk}/preview", {"contact_id": ana.pk}, content_type=JSON).status_code == 200
    assert client.post(f"{URL}/check", {"channel": "sms", "body": "Hi"}, content_type=JSON).status_code == 200
    assert client.post(URL, NEW, content_type=JSON).status_code == 403
    assert client.patch(f"{URL}/{birthday.pk}", {"active": False}, content_type=JSON).status_code == 403
    assert client.delete(f"{URL}/{birthday.pk}").status_code == 403
    assert state() == before


def test_anonymous_callers_are_refused_and_read_tokens_only_read(manager, birthday):
    assert Client().get(URL).status_code == 401
    read = bearer(manager, scope="read")
    before = state()

    assert read.get(URL).status_code == 200
    assert read.post(URL, NEW, content_type=JSON).status_code == 403
    assert state() == before


@pytest.mark.parametrize("role", ["manager", "admin"])
def test_managers_and_admins_create_a_template_with_its_texts_audited(role, users):
    response = bearer(users[role]).post(URL, NEW, content_type=JSON)

    assert response.status_code == 201
    body = response.json()
    assert {k: body[k] for k in ("name", "channel", "purpose", "provider_template", "active", "languages")} == {
        "name": "Welcome", "channel": "email", "purpose": "transactional", "provider_template": "", "active": True,
        "languages": ["en", "ro"],
    }
    assert [(t["language"], t["subject"], t["placeholders"]) for t in body["texts"]] == [
        ("en", "Welcome, {{ first_name }}", ["first_name"]), ("ro", "Bun venit", ["first_name"]),
    ]
    entry = AuditEntry.objects.get(object_type="marketing.messagetemplate", object_id=str(body["id"]))
    assert entry.action == "create" and entry.actor == users[role]
    assert entry.after["texts"]["ro"] == {"subject": "Bun venit", "body": "Salut {{ first_name }}"}


def test_a_bad_text_is_refused_naming_the_language_and_field_and_nothing_is_written(manager):
    before = state()
    bad = {**NEW, "texts": {"en": {"subject": "", "body": "Hi {{ frist_name }}"}, "fr": {"subject": "Salut", "body": "{% for x in y %}{% endfor %}"}}}

    response = bearer(manager).post(URL, bad, content_type=JSON)

    assert response.status_code == 422
    assert errors(response) == {
        "texts.en.subject": ["An e-mail needs a subject."],
        "texts.en.body": ["Line 1: Unknown placeholder {{ frist_name }}: did you mean {{ first_name }}?"],
        "texts.fr.body": ["Line 1: {% for %} is not allowed: only {% if %}, {% elif %}, {% else %} and {% endif %}."],
    }
    assert state() == before


@pytest.mark.parametrize("payload, field", [
    ({**NEW, "channel": "fax"}, "channel"),
    ({**NEW, "texts": {}}, "texts"),
    ({**NEW, "texts": {"xx": {"subject": "a", "body": "b"}}}, "texts"),
    ({**NEW, "name": "  "}, "name"),
    ({**NEW, "provider_template": "welcome_1"}, "provider_template"),
    ({**NEW, "channel": "whatsapp", "provider_template": "Welcome Template", "texts": {"en": {"body": "Hi"}}}, "provider_template"),
    ({**NEW, "colour": "red"}, "colour"),
])
def test_bad_fields_are_named(manager, payload, field):
    before = state()

    response = bearer(manager).post(URL, payload, content_type=JSON)

    assert response.status_code == 422 and field in errors(response)
    assert state() == before


def test_the_same_name_twice_on_one_channel_is_refused_on_another_channel_allowed(manager, birthday):
    client = bearer(manager)
    same = {"name": "birthday", "channel": "sms", "texts": {"en": {"body": "Hi"}}}

    refused = client.post(URL, same, content_type=JSON)
    allowed = client.post(URL, {**same, "channel": "whatsapp"}, content_type=JSON)

    assert refused.status_code == 422 and list(errors(refused)) == ["name"]
    assert allowed.status_code == 201


def test_patch_changes_named_languages_removes_null_ones_and_keeps_the_rest(manager, birthday):
    client = bearer(manager)

    response = client.patch(
        f"{URL}/{birthday.pk}", {"active": False, "texts": {"fr": None, "ht": {"body": "Bòn fèt {{ first_name }}"}}}, content_type=JSON,
    )

    assert response.status_code == 200
    body = response.json()
    assert body["active"] is False and body["languages"] == ["en", "ht"]
    assert body["texts"][0]["body"] == "Happy birthday {{ greeting_name }}! {{ coupon_code }}"
    entry = AuditEntry.objects.filter(object_type="marketing.messagetemplate", action="update").get()
    assert sorted(entry.before["texts"]) == ["en", "fr"] and sorted(entry.after["texts"]) == ["en", "ht"]


def test_changing_the_channel_checks_every_text_again(manager, birthday):
    before = state()

    response = bearer(manager).patch(f"{URL}/{birthday.pk}", {"channel": "email"}, content_type=JSON)

    assert response.status_code == 422
    assert errors(response) == {"texts.en.subject": ["An e-mail needs a subject."], "texts.fr.subject": ["An e-mail needs a subject."]}
    assert state() == before


def test_removing_the_last_text_is_refused(manager, birthday):
    response = bearer(manager).patch(f"{URL}/{birthday.pk}", {"texts": {"en": None, "fr": None}}, content_type=JSON)

    assert response.status_code == 422 and errors(response) == {"texts": ["Write the text in at least one language."]}
    assert birthday.texts.count() == 2


def test_delete_removes_the_template_and_its_texts_audited(manager, birthday):
    response = bearer(manager).delete(f"{URL}/{birthday.pk}")

    assert response.status_code == 204
    assert not MessageTemplate.objects.exists() and not TemplateText.objects.exists()
    entry = AuditEntry.objects.get(object_type="marketing.messagetemplate", action="delete")
    assert entry.before["name"] == "Birthday"
    assert bearer(manager).delete(f"{URL}/{birthday.pk}").status_code == 404


def test_list_filters_by_channel_and_activity(agent, manager, birthday):
    template_create(actor=manager, data={"name": "Promo", "channel": "whatsapp", "active": False, "texts": {"en": {"body": "Hi"}}})
    client = bearer(agent)

    assert [t["name"] for t in client.get(URL).json()["items"]] == ["Birthday", "Promo"]
    assert [t["name"] for t in client.get(URL, {"channel": "whatsapp"}).json()["items"]] == ["Promo"]
    assert [t["name"] for t in client.get(URL, {"active": "true"}).json()["items"]] == ["Birthday"]
    bad = client.get(URL, {"channel": "fax"})
    assert bad.status_code == 422 and list(errors(bad)) == ["channel"]


def test_the_list_reads_every_template_and_text_in_constant_queries(agent, manager, django_assert_num_queries):
    client = bearer(agent)
    for i in range(5):
        template_create(actor=manager, data={"name": f"T{i}", "channel": "sms", "texts": {"en": {"body": "Hi"}, "fr": {"body": "Salut"}}})
    client.get(URL)

    with django_assert_num_queries(3):  # the token with its user, the templates, their texts
        response = client.get(URL)

    assert len(response.json()["items"]) == 5


def test_preview_renders_for_a_real_contact_in_their_language(agent, birthday, ana):
    response = bearer(agent).post(f"{URL}/{birthday.pk}/preview", {"contact_id": ana.pk}, content_type=JSON)

    assert response.json() == {
        "subject": "", "body": "Joyeux anniversaire Ana ! [coupon code]", "language": "fr", "chosen_because": "contact",
    }


def test_preview_in_a_chosen_language_with_the_callers_values(agent, birthday, ana):
    payload = {"contact_id": ana.pk, "language": "en", "extra": {"coupon_code": "BDAY10"}}

    response = bearer(agent).post(f"{URL}/{birthday.pk}/preview", payload, content_type=JSON)

    assert response.json() == {"subject": "", "body": "Happy birthday Ana! BDAY10", "language": "en", "chosen_because": "asked"}


def test_preview_falls_back_to_the_organisations_language(agent, manager, ana):
    Organisation.objects.update_or_create(pk=1, defaults={"language": "ht"})
    template = template_create(actor=manager, data={"name": "Hi", "channel": "sms", "texts": {"en": {"body": "Hi"}, "ht": {"body": "Bonjou"}}})

    response = bearer(agent).post(f"{URL}/{template.pk}/preview", {"contact_id": ana.pk}, content_type=JSON)

    assert response.json()["language"] == "ht" and response.json()["chosen_because"] == "organisation"


@pytest.mark.parametrize("payload, status, field", [
    ({"language": "ro"}, 422, "language"),
    ({"language": "klingon"}, 422, "language"),
    ({"extra": {"first_name": "Bob"}}, 422, "extra"),
])
def test_preview_refuses_what_it_cannot_show_by_field(agent, birthday, ana, payload, status, field):
    response = bearer(agent).post(f"{URL}/{birthday.pk}/preview", {"contact_id": ana.pk, **payload}, content_type=JSON)

    assert response.status_code == status and field in errors(response)


def test_preview_of_an_unknown_contact_or_template_is_not_found(agent, birthday, ana):
    client = bearer(agent)

    assert client.post(f"{URL}/{birthday.pk}/preview", {"contact_id": 10**9}, content_type=JSON).status_code == 404
    assert client.post(f"{URL}/{10**9}/preview", {"contact_id": ana.pk}, content_type=JSON).status_code == 404
    assert client.get(f"{URL}/{10**9}").status_code == 404


def test_check_validates_a_text_without_saving_it(agent):
    client = bearer(agent)
    before = state()

    good = client.post(f"{URL}/check", {"channel": "whatsapp", "body": "Hi {{ first_name }}, {{ coupon_code }}"}, content_type=JSON)
    bad = client.post(f"{URL}/check", {"channel": "sms", "body": "Hi\n{% if frist_name %}x{% endif %}"}, content_type=JSON)

    assert good.json() == {"valid": True, "placeholders": ["first_name", "coupon_code"]}
    assert bad.status_code == 422
    assert errors(bad) == {"body": ["Line 2: Unknown placeholder {{ frist_name }}: did you mean {{ first_name }}?"]}
    assert state() == before


def test_the_placeholders_are_listed_with_their_descriptions(agent):
    items = bearer(agent).get(f"{URL}/placeholders").json()["items"]

    assert items[0] == {"name": "first_name", "description": "First name", "given_by_caller": False}
    assert {i["name"] for i in items if i["given_by_caller"]} == {"coupon_code", "unsubscribe_url", "survey_url"}
