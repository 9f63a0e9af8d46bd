"""Search and reads: accents and case ignored, title and reader's language first, drafts and internal kept from the public."""

from __future__ import annotations

import pytest

from kliyan.core.errors import ValidationFailed
from kliyan.core.models import Organisation
from kliyan.knowledge import queries
from kliyan.knowledge.queries import ArticleFilters, article_summaries, article_summary, search_articles

pytestmark = pytest.mark.django_db


def ids(hits) -> list[int]:
    return [h.article_id for h in hits]


@pytest.mark.parametrize("query", ["livrezon", "LIVRÈZON", "delè", "Dele livr", "livr"])
def test_search_ignores_accents_and_case_and_matches_word_prefixes(kb, query) -> None:
    assert ids(search_articles(query, "ht", public_only=True)) == [kb["delivery"].pk]


def test_every_word_must_match(kb) -> None:
    assert search_articles("drone 14 days", "en", public_only=False) == []
    assert ids(search_articles("14 days", "en", public_only=False)) == [kb["returns"].pk]


def test_the_public_never_finds_drafts_or_internal_articles_staff_do(kb) -> None:
    public = ids(search_articles("delivery", "en", public_only=True))
    staff = ids(search_articles("delivery", "en", public_only=False))
    assert kb["draft"].pk not in public and kb["internal"].pk not in public
    assert {kb["draft"].pk, kb["internal"].pk} <= set(staff)
    # A published article's draft language is not public either.
    assert search_articles("rapportez", "fr", public_only=True) == []
    assert ids(search_articles("rapportez", "fr", public_only=False)) == [kb["returns"].pk]


def test_a_title_match_ranks_before_a_match_in_the_text_only(kb) -> None:
    hits = search_articles("delivery", "en", public_only=True)
    assert ids(hits) == [kb["delivery"].pk, kb["returns"].pk]
    assert [h.title_match for h in hits] == [True, False]


def test_matches_in_the_readers_language_come_first_and_show_in_that_language(make_article) -> None:
    english_title = make_article({"en": ("MonCash payments", "How to pay.")}, publish=("en",))
    french_text = make_article({"fr": ("Payer par téléphone", "Avec MonCash ou NatCash.")}, publish=("fr",))
    both = make_article({"en": ("Refunds", "Refunds by MonCash."), "fr": ("Remboursements", "Par virement.")}, publish=("en", "fr"))
    in_french = search_articles("moncash", "fr", public_only=True)
    assert ids(in_french) == [french_text.pk, english_title.pk, both.pk]
    # The refund article matched in English, but the reader gets its French text.
    assert [(h.language, h.matched_language) for h in in_french] == [("fr", "fr"), ("en", "en"), ("fr", "en")]
    assert ids(search_articles("moncash", "en", public_only=True)) == [english_title.pk, both.pk, french_text.pk]


def test_search_results_are_summaries_with_links(kb) -> None:
    [hit] = search_articles("délais", "fr", public_only=True)
    assert (hit.title, hit.language, hit.slug, hit.category) == ("Délais de livraison", "fr", "delais-de-livraison", "Delivery")
    assert hit.url == hit.public_url == "/kb/fr/delais-de-livraison/"
    assert hit.summary == "Nous livrons en 2 jours en ville." and hit.languages == ["en", "fr", "ht"]
    assert hit.tags == ["delivery"]
    [draft] = search_articles("drone", "en", public_only=False)
    assert draft.public_url is None and draft.url == f"/knowledge/{kb['draft'].pk}/en/"


def test_search_runs_in_a_fixed_number_of_queries(kb, make_article, django_assert_max_num_queries) -> None:
    for n in range(8):
        make_article({"en": (f"Delivery note {n}", "delivery"), "fr": (f"Note {n}", "livraison")}, publish=("en", "fr"), tags=("a", "b"))
    Organisation.objects.get_or_create(pk=1)
    queries.fallback_languages("en")  # the organisation is cached from here on
    with django_assert_max_num_queries(3):
        assert len(search_articles("delivery", "en", public_only=True, limit=20)) == 10


def test_an_empty_query_finds_nothing_and_the_limit_holds(kb) -> None:
    assert search_articles("  ", "en", public_only=True) == []
    assert search_articles("!!", "en", public_only=True) == []
    assert len(search_articles("delivery", "en", public_only=False, limit=1)) == 1


def test_article_summary_falls_back_to_the_organisations_language(kb) -> None:
    Organisation.objects.update_or_create(pk=1, defaults={"language": "fr"})
    summary = article_summary(kb["delivery"].pk, "ro", public_only=True)
    assert (summary.language, summary.title) == ("fr", "Délais de livraison")
    assert article_summary(kb["returns"].pk, "fr", public_only=True).language == "en"  # the French text is a draft
    assert article_summary(kb["returns"].pk, "fr", public_only=False).language == "fr"
    assert article_summary(kb["draft"].pk, "en", public_only=True) is None
    assert article_summary(kb["internal"].pk, "en", public_only=True) is None
    assert article_summary(999_999, "en", public_only=False) is None
    assert set(article_summaries([kb["draft"].pk, kb["internal"].pk, kb["delivery"].pk], "en", public_only=False)) == {
        kb["draft"].pk, kb["internal"].pk, kb["delivery"].pk,
    }


def test_staff_filters_by_status_missing_language_category_and_tag(kb) -> None:
    def found(**filters) -> set[int]:
        return {a.pk for a in queries.filtered_articles(ArticleFilters(**filters))}

    assert found(status="draft") == {kb["draft"].pk, kb["returns"].pk}
    assert found(status="published") == {kb["delivery"].pk, kb["returns"].pk, kb["internal"].pk}
    assert found(missing="fr") == {kb["draft"].pk, kb["internal"].pk}
    assert found(category_id=kb["delivery"].category_id) == {kb["delivery"].pk}
    assert found(tag="Refunds") == {kb["returns"].pk, kb["internal"].pk}
    assert found(internal=True) == {kb["internal"].pk}
    with pytest.raises(ValidationFailed) as caught:
        queries.check_filters(ArticleFilters(status="gone", missing="xx"))
    assert set(caught.value.field_errors) == {"status", "missing"}


def test_the_public_index_groups_by_category_in_the_readers_language(kb) -> None:
    Organisation.objects.update_or_create(pk=1, defaults={"language": "en"})
    shelves = queries.public_index("fr")
    assert [(name, [(e.hit.title, e.fallback) for e in entries]) for name, entries in shelves] == [
        ("Delivery", [("Délais de livraison", False)]),
        ("Orders", [("Returns", True)]),
    ]


def test_a_public_article_is_found_by_any_languages_slug(kb) -> None:
    found = queries.public_article("delivery-times", "ht")
    assert (found.translation.language, found.fallback) == ("ht", False)
    assert [t.language for t in found.translations] == ["en", "fr", "ht"]
    assert queries.public_article("retours", "fr") is None  # a draft
    assert queries.public_article("refunds-at-the-till", "en") is None  # internal
    assert queries.public_article("drone-delivery", "en") is None
    fallback = queries.public_article("returns", "ro")
    assert (fallback.translation.language, fallback.fallback) == ("en", True)
