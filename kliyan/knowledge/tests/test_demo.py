"""The demo's articles: useful texts in English, French and Haitian Creole, written through the services, once."""

from __future__ import annotations

import pytest
from django.test import Client

from kliyan.core.models import AuditEntry
from kliyan.knowledge.demo import ARTICLES, load_demo_knowledge
from kliyan.knowledge.models import Article, ArticleTranslation
from kliyan.knowledge.queries import search_articles
from kliyan.knowledge.rendering import render_body

pytestmark = pytest.mark.django_db


def test_the_demo_writes_published_articles_in_three_languages_an_internal_one_and_a_draft(admin) -> None:
    assert load_demo_knowledge(actor=admin) == len(ARTICLES) == Article.objects.count()
    published = ArticleTranslation.objects.filter(status="published", article__internal=False)
    assert sorted(set(published.values_list("language", flat=True))) == ["en", "fr", "ht"]
    assert published.count() == 9
    assert Article.objects.filter(internal=True).count() == 1
    assert ArticleTranslation.objects.filter(status="draft").count() == 1
    # The delivery article was corrected once: its history shows both versions.
    delivery = ArticleTranslation.objects.get(language="en", slug="delivery-times")
    assert list(delivery.versions.values_list("number", flat=True)) == [2, 1]
    assert AuditEntry.objects.filter(object_type="knowledge.articletranslation", actor=admin).exists()


def test_demo_articles_are_found_in_each_language_and_link_to_each_other(admin) -> None:
    load_demo_knowledge(actor=admin)
    assert search_articles("moncash", "ht", public_only=True)[0].title == "Kijan pou w peye ak MonCash oswa mobile money"
    assert search_articles("remboursement", "fr", public_only=True)[0].slug == "retours-et-echanges"
    assert search_articles("livrezon", "ht", public_only=True)[0].slug == "dele-livrezon"
    assert all(not hit.internal for hit in search_articles("refund", "en", public_only=True))
    client = Client()
    for translation in ArticleTranslation.objects.filter(status="published", article__internal=False):
        assert client.get(f"/kb/{translation.language}/{translation.slug}/").status_code == 200
        for link in str(render_body(translation.body)).split('href="')[1:]:
            target = link.split('"')[0]
            assert client.get(target).status_code == 200, (translation.slug, target)


def test_loading_the_demo_articles_twice_writes_nothing_more(admin) -> None:
    load_demo_knowledge(actor=admin)
    before = (Article.objects.count(), ArticleTranslation.objects.count(), AuditEntry.objects.count())
    assert load_demo_knowledge(actor=admin) == 0
    assert (Article.objects.count(), ArticleTranslation.objects.count(), AuditEntry.objects.count()) == before
