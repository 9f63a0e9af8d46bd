"""Writing articles: versions on every change, restore, publish rules, slugs, bad input, audit."""

from __future__ import annotations

import pytest

from kliyan.core.errors import AccessDenied, Conflict, NotFound, ValidationFailed
from kliyan.core.models import AuditAction, AuditEntry
from kliyan.knowledge.choices import ArticleStatus
from kliyan.knowledge.models import Article, ArticleTranslation, ArticleVersion, Category
from kliyan.knowledge.services import (
    article_create,
    article_delete,
    article_update,
    translation_delete,
    translation_publish,
    translation_save,
    translation_unpublish,
    version_restore,
)

pytestmark = pytest.mark.django_db


def counts() -> tuple[int, ...]:
    return (Article.objects.count(), ArticleTranslation.objects.count(), ArticleVersion.objects.count(), AuditEntry.objects.count())


def test_creating_an_article_makes_a_draft_version_1_with_category_tags_and_audit(agent) -> None:
    article = article_create(actor=agent, data={
        "language": "fr", "title": "  Délais   de livraison ", "body": "Nous livrons.\r\n", "category": "Livraison",
        "tags": ["Delivery", "delivery ", "MonCash"],
    })
    translation = article.translations.get()
    assert (translation.language, translation.title, translation.slug, translation.status, translation.version) == (
        "fr", "Délais de livraison", "delais-de-livraison", ArticleStatus.DRAFT, 1,
    )
    assert translation.body == "Nous livrons."
    assert translation.search_title == "delais de livraison"
    assert article.category.name == "Livraison" and sorted(t.name for t in article.tags.all()) == ["delivery", "moncash"]
    version = translation.versions.get()
    assert (version.number, version.title, version.body, version.created_by, version.created_by_label) == (
        1, "Délais de livraison", "Nous livrons.", agent, "agent",
    )
    entries = AuditEntry.objects.filter(actor=agent).order_by("id")
    assert [(e.action, e.object_type) for e in entries] == [
        (AuditAction.CREATE, "knowledge.article"), (AuditAction.CREATE, "knowledge.articletranslation"),
    ]
    assert entries[1].after == {"language": "fr", "title": "Délais de livraison", "slug": "delais-de-livraison", "status": "draft", "version": 1}


def test_a_category_typed_differently_is_the_same_category(agent) -> None:
    first = article_create(actor=agent, data={"language": "en", "title": "A", "body": "a", "category": "Livraison"})
    second = article_create(actor=agent, data={"language": "en", "title": "B", "body": "b", "category": "livraison "})
    assert first.category_id == second.category_id and Category.objects.count() == 1


@pytest.mark.parametrize(("data", "fields"), [
    ({"language": "de", "title": "T", "body": "b"}, {"language"}),
    ({"language": "en", "title": "", "body": ""}, {"title", "body"}),
    ({"language": "en", "title": "x" * 201, "body": "b"}, {"title"}),
    ({"language": "en", "title": "T", "body": "b", "slug": "Not A Slug!"}, {"slug"}),
    ({"language": "en", "title": "T", "body": "b", "tags": ["x" * 51]}, {"tags"}),
    ({"language": "en", "title": "T", "body": "b", "tags": [str(n) for n in range(21)]}, {"tags"}),
    ({"language": "en", "title": "T", "body": "b", "category": "c" * 101}, {"category"}),
    ({"language": "en", "title": "T", "body": "b", "colour": "red"}, {"colour"}),
])
def test_bad_input_names_each_field_and_writes_nothing(agent, data, fields) -> None:
    before = counts()
    with pytest.raises(ValidationFailed) as caught:
        article_create(actor=agent, data=data)
    assert set(caught.value.field_errors) == fields
    assert counts() == before


def test_slugs_are_unique_per_language_and_made_free_with_a_number(agent) -> None:
    one = article_create(actor=agent, data={"language": "en", "title": "Returns", "body": "a"})
    two = article_create(actor=agent, data={"language": "en", "title": "Returns!", "body": "b"})
    other_language = article_create(actor=agent, data={"language": "fr", "title": "Returns", "body": "c"})
    assert [a.translations.get().slug for a in (one, two, other_language)] == ["returns", "returns-2", "returns"]
    before = counts()
    with pytest.raises(ValidationFailed) as caught:
        translation_save(actor=agent, article=two, language="en", data={"title": "Returns!", "body": "b", "slug": "returns"})
    assert set(caught.value.field_errors) == {"slug"}
    assert counts() == before


def test_every_change_keeps_a_version_and_the_same_text_again_adds_none(agent) -> None:
    article = article_create(actor=agent, data={"language": "en", "title": "Delivery", "body": "Two days."})
    translation, created = translation_save(actor=agent, article=article, language="en", data={"title": "Delivery", "body": "Three days."})
    assert not created and translation.version == 2 and translation.slug == "delivery"
    before = counts()
    again, _created = translation_save(actor=agent, article=article, language="en", data={"title": "Delivery", "body": "Three days."})
    assert again.version == 2 and counts() == before
    assert list(translation.versions.values_list("number", "body")) == [(2, "Three days."), (1, "Two days.")]
    entry = AuditEntry.objects.filter(object_type="knowledge.articletranslation", action=AuditAction.UPDATE).get()
    assert (entry.before["version"], entry.after["version"]) == (1, 2)


def test_a_new_language_is_a_draft_translation_of_the_same_article(agent) -> None:
    article = article_create(actor=agent, data={"language": "en", "title": "Delivery", "body": "Two days."})
    translation, created = translation_save(actor=agent, article=article, language="ht", data={"title": "Delè livrezon", "body": "De jou."})
    assert created and translation.slug == "dele-livrezon" and translation.status == ArticleStatus.DRAFT
    assert sorted(article.translations.values_list("language", flat=True)) == ["en", "ht"]


def test_saving_over_someone_elses_newer_version_is_a_conflict_and_saves_nothing(agent, manager) -> None:
    article = article_create(actor=agent, data={"language": "en", "title": "Delivery", "body": "v1"})
    translation_save(actor=manager, article=article, language="en", data={"title": "Delivery", "body": "v2 by manager"}, base_version=1)
    before = counts()
    with pytest.raises(Conflict) as caught:
        translation_save(actor=agent, article=article, language="en", data={"title": "Delivery", "body": "v2 by agent"}, base_version=1)
    assert caught.value.code == "edit_conflict" and caught.value.extra == {"current_version": 2}
    assert counts() == before
    assert article.translations.get().body == "v2 by manager"


def test_restoring_an_old_version_saves_it_as_the_newest(agent) -> None:
    article = article_create(actor=agent, data={"language": "en", "title": "Delivery", "body": "Two days."})
    translation, _ = translation_save(actor=agent, article=article, language="en", data={"title": "Delivery (new)", "body": "Three days.", "slug": "delivery-new"})
    restored = version_restore(actor=agent, translation=translation, number=1)
    assert (restored.version, restored.title, restored.slug, restored.body) == (3, "Delivery", "delivery", "Two days.")
    newest = restored.versions.first()
    assert (newest.number, newest.restored_from) == (3, 1)
    assert restored.search_title == "delivery"
    entry = AuditEntry.objects.filter(action=AuditAction.RESTORE).get()
    assert entry.after["restored_from"] == 1 and entry.after["version"] == 3
    with pytest.raises(NotFound):
        version_restore(actor=agent, translation=restored, number=9)


def test_publishing_needs_a_publisher_and_is_idempotent(agent, manager) -> None:
    article = article_create(actor=agent, data={"language": "en", "title": "Delivery", "body": "Two days."})
    translation = article.translations.get()
    before = counts()
    with pytest.raises(AccessDenied):
        translation_publish(actor=agent, translation=translation)
    assert counts() == before and ArticleTranslation.objects.get().status == ArticleStatus.DRAFT
    published = translation_publish(actor=manager, translation=translation)
    assert published.status == ArticleStatus.PUBLISHED and published.published_at is not None
    audit = counts()
    translation_publish(actor=manager, translation=translation)
    assert counts() == audit  # a retried publish writes nothing
    assert translation_unpublish(actor=manager, translation=translation).status == ArticleStatus.DRAFT


def test_only_a_publisher_changes_restores_or_deletes_published_text(agent, manager) -> None:
    article = article_create(actor=agent, data={"language": "en", "title": "Delivery", "body": "Two days."})
    translation_save(actor=agent, article=article, language="fr", data={"title": "Livraison", "body": "Deux jours."})
    translation_save(actor=agent, article=article, language="en", data={"title": "Delivery", "body": "Three days."})
    english = article.translations.get(language="en")
    translation_publish(actor=manager, translation=english)
    before = counts()
    with pytest.raises(AccessDenied):
        translation_save(actor=agent, article=article, language="en", data={"title": "Delivery", "body": "Tomorrow!"})
    with pytest.raises(AccessDenied):
        version_restore(actor=agent, translation=english, number=1)
    with pytest.raises(AccessDenied):
        translation_delete(actor=agent, translation=english)
    assert counts() == before
    changed, _ = translation_save(actor=manager, article=article, language="en", data={"title": "Delivery", "body": "Tomorrow!"})
    assert changed.body == "Tomorrow!" and changed.status == ArticleStatus.PUBLISHED


def test_making_an_article_with_published_text_public_needs_a_publisher(agent, manager) -> None:
    article = article_create(actor=agent, data={"language": "en", "title": "Staff notes", "body": "x", "internal": True})
    translation_publish(actor=manager, translation=article.translations.get())
    before = counts()
    with pytest.raises(AccessDenied):
        article_update(actor=agent, article=article, data={"internal": False})
    assert counts() == before and Article.objects.get().internal
    article_update(actor=agent, article=article, data={"category": "Staff", "tags": ["till"]})  # other settings are fine
    assert article_update(actor=manager, article=article, data={"internal": False}).internal is False
    entry = AuditEntry.objects.filter(object_type="knowledge.article", action=AuditAction.UPDATE).order_by("id").last()
    assert entry.before["internal"] is True and entry.after["internal"] is False


def test_the_last_language_cannot_be_deleted_but_the_article_can_by_a_publisher(agent, manager) -> None:
    article = article_create(actor=agent, data={"language": "en", "title": "Delivery", "body": "x"})
    translation_save(actor=agent, article=article, language="fr", data={"title": "Livraison", "body": "y"})
    translation_delete(actor=agent, translation=article.translations.get(language="fr"))
    with pytest.raises(Conflict):
        translation_delete(actor=agent, translation=article.translations.get())
    with pytest.raises(AccessDenied):
        article_delete(actor=agent, article=article)
    article_delete(actor=manager, article=article)
    assert counts()[:3] == (0, 0, 0)
    entry = AuditEntry.objects.filter(object_type="knowledge.article", action=AuditAction.DELETE).get()
    assert entry.before["translations"][0]["title"] == "Delivery"
