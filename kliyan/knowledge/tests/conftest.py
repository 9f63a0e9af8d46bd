"""Articles for the knowledge-base tests, written through the services."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from kliyan.knowledge.models import Article
from kliyan.knowledge.services import article_create, translation_publish, translation_save


@pytest.fixture
def make_article(admin) -> Callable[..., Article]:
    """Return a maker: texts {lang: (title, body)} or {lang: (title, body, slug)}; publish lists languages."""

    def make(
        texts: dict[str, tuple[str, ...]], *, publish: tuple[str, ...] = (), internal: bool = False,
        category: str = "", tags: tuple[str, ...] = (), actor: Any = None,
    ) -> Article:
        who = actor or admin
        (language, first), *rest = texts.items()
        article = article_create(actor=who, data={
            "language": language, "title": first[0], "body": first[1], "slug": first[2] if len(first) > 2 else "",
            "category": category, "tags": list(tags), "internal": internal,
        })
        for code, text in rest:
            translation_save(actor=who, article=article, language=code, data={
                "title": text[0], "body": text[1], "slug": text[2] if len(text) > 2 else "",
            })
        for translation in article.translations.filter(language__in=publish):
            translation_publish(actor=admin, translation=translation)
        return article

    return make


@pytest.fixture
def kb(make_article) -> dict[str, Article]:
    """A small knowledge base: public, draft-only, internal, and one public article with a draft language."""
    return {
        "delivery": make_article(
            {"en": ("Delivery times", "We deliver in **2 days** in town.", "delivery-times"),
             "fr": ("Délais de livraison", "Nous livrons en 2 jours en ville.", "delais-de-livraison"),
             "ht": ("Delè livrezon", "Nou livre nan 2 jou lavil.", "dele-livrezon")},
            publish=("en", "fr", "ht"), category="Delivery", tags=("delivery",),
        ),
        "returns": make_article(
            {"en": ("Returns", "Bring the item back within 14 days; delivery costs are refunded.", "returns"),
             "fr": ("Retours", "Rapportez l'article sous 14 jours.", "retours")},
            publish=("en",), category="Orders", tags=("returns", "refunds"),
        ),
        "draft": make_article({"en": ("Secret draft about delivery", "Not ready yet: delivery by drone.", "drone-delivery")}),
        "internal": make_article(
            {"en": ("Refunds at the till (staff)", "Internal delivery refund steps.", "refunds-at-the-till")},
            publish=("en",), internal=True, tags=("refunds",),
        ),
    }
