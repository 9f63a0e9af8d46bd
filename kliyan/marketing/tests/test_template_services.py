"""Template services: what is kept when nothing changed, and odd input refused by field with nothing written."""

from __future__ import annotations

import pytest

from kliyan.core.errors import NotFound, ValidationFailed
from kliyan.core.models import AuditEntry
from kliyan.marketing.models import MessageTemplate, TemplateText
from kliyan.marketing.template_services import get_template, template_create, template_update

pytestmark = pytest.mark.django_db


@pytest.fixture
def reminder(manager):
    return template_create(actor=manager, data={
        "name": "Reminder", "channel": "whatsapp", "provider_template": "order_reminder",
        "texts": {"en": {"body": "Hi {{ first_name }}"}, "fr": {"body": "Salut {{ first_name }}"}},
    })


def test_an_unchanged_text_keeps_its_version_so_its_compiled_form_is_reused(manager, reminder):
    before = dict(reminder.texts.values_list("language", "updated_at"))

    template_update(actor=manager, template=reminder, data={"texts": {"en": {"body": "Hi {{ first_name }}"}, "fr": {"body": "Coucou"}}})

    after = dict(reminder.texts.values_list("language", "updated_at"))
    assert after["en"] == before["en"] and after["fr"] > before["fr"]


def test_saving_without_a_change_writes_no_audit_entry(manager, reminder):
    template_update(actor=manager, template=reminder, data={"name": "Reminder", "texts": {"en": {"body": "Hi {{ first_name }}"}}})

    assert list(AuditEntry.objects.filter(object_type="marketing.messagetemplate").values_list("action", flat=True)) == ["create"]


def test_line_ends_are_stored_as_one_kind(manager, reminder):
    template_update(actor=manager, template=reminder, data={"texts": {"en": {"body": "Hi\r\nthere\rfriend"}}})

    assert reminder.texts.get(language="en").body == "Hi\nthere\nfriend"


@pytest.mark.parametrize("data, field", [
    ({"texts": ["en", "Hi"]}, "texts"),
    ({"texts": {"en": "Hi"}}, "texts.en"),
    ({"texts": {"en": {"body": "Hi\x00"}}}, "texts.en.body"),
    ({"channel": "sms"}, "provider_template"),
    ({"name": "x" * 101}, "name"),
    ({"purpose": "spam"}, "purpose"),
])
def test_odd_input_is_refused_by_field_and_nothing_changes(manager, reminder, data, field):
    before = (list(MessageTemplate.objects.values()), list(TemplateText.objects.values()), AuditEntry.objects.count())

    with pytest.raises(ValidationFailed) as caught:
        template_update(actor=manager, template=reminder, data=data)

    assert field in caught.value.field_errors
    assert (list(MessageTemplate.objects.values()), list(TemplateText.objects.values()), AuditEntry.objects.count()) == before


def test_an_unknown_id_is_not_found_naming_it():
    with pytest.raises(NotFound, match="no message template with id 42"):
        get_template(42)
