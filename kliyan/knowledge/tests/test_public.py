"""The public help centre and its API: no login, published public articles only, languages and caching."""

from __future__ import annotations

import pytest
from django.test import Client

from kliyan.core.models import Organisation
from kliyan.knowledge.services import article_update, translation_publish

pytestmark = pytest.mark.django_db
HIDDEN = ("Secret draft about delivery", "drone", "Refunds at the till", "Rapportez")


@pytest.fixture
def visitor() -> Client:
    return Client()


@pytest.fixture(params=["anonymous", "viewer", "agent", "manager", "admin"])
def anyone(request, users, client_as) -> Client:
    """Every kind of reader: the public pages and API answer them all the same."""
    return Client() if request.param == "anonymous" else client_as(users[request.param])


def test_the_index_lists_only_published_public_articles_for_everyone(anyone, kb) -> None:
    body = anyone.get("/kb/en/").content.decode()
    assert "Delivery times" in body and "Returns" in body
    for hidden in HIDDEN:
        assert hidden not in body


def test_public_pages_never_show_drafts_or_internal_articles(anyone, kb) -> None:
    for url in ("/kb/en/drone-delivery/", "/kb/en/refunds-at-the-till/", "/kb/fr/retours/", "/kb/en/no-such-article/", "/kb/de/delivery-times/"):
        assert anyone.get(url).status_code == 404, url
    for hidden in HIDDEN:
        assert hidden not in anyone.get("/kb/?q=delivery").content.decode()
        assert hidden not in anyone.get("/kb/en/?q=rapportez").content.decode()


def test_an_article_page_in_its_language_with_a_switcher_to_the_others(visitor, kb) -> None:
    response = visitor.get("/kb/fr/delais-de-livraison/")
    body = response.content.decode()
    assert response.status_code == 200 and response["Content-Language"] == "fr"
    assert '<html lang="fr">' in body and "<h1>Délais de livraison</h1>" in body
    assert 'href="/kb/en/delivery-times/"' in body and 'href="/kb/ht/dele-livrezon/"' in body
    assert 'rel="canonical" href="/kb/fr/delais-de-livraison/"' in body


def test_another_languages_slug_redirects_to_this_languages_address(visitor, kb) -> None:
    response = visitor.get("/kb/ht/delivery-times/")
    assert response.status_code == 301 and response["Location"] == "/kb/ht/dele-livrezon/"


def test_a_missing_language_falls_back_to_the_organisations_and_says_so(visitor, kb) -> None:
    Organisation.objects.update_or_create(pk=1, defaults={"language": "fr"})
    body = visitor.get("/kb/ro/delivery-times/").content.decode()
    assert '<html lang="ro">' in body  # the page speaks the reader's language…
    assert '<article class="card kb-article" lang="fr">' in body and "<h1>Délais de livraison</h1>" in body  # …the text is French
    notice = body.split('class="message message--info">')[1].split("</p>")[0]
    assert "Română" in notice and "Français" in notice


def test_article_text_is_rendered_safely(visitor, make_article) -> None:
    make_article({"en": ("Safe", "**Bold** <script>alert(1)</script> [x](javascript:alert(1))", "safe")}, publish=("en",))
    body = visitor.get("/kb/en/safe/").content.decode()
    assert "<strong>Bold</strong>" in body and "&lt;script&gt;" in body
    assert "<script>alert" not in body and 'href="javascript' not in body


def test_the_public_pages_work_without_a_login_in_few_queries(visitor, kb, django_assert_max_num_queries) -> None:
    visitor.get("/kb/")
    with django_assert_max_num_queries(3):
        assert visitor.get("/kb/en/").status_code == 200
    with django_assert_max_num_queries(3):
        assert visitor.get("/kb/en/delivery-times/").status_code == 200
    with django_assert_max_num_queries(4):
        assert visitor.get("/kb/en/?q=delivery").status_code == 200


def test_public_page_query_counts_do_not_grow_with_articles(visitor, kb, make_article, django_assert_max_num_queries) -> None:
    visitor.get("/kb/")
    with django_assert_max_num_queries(3) as few:
        visitor.get("/kb/en/")
    count = len(few.captured_queries)
    for n in range(10):
        make_article({"en": (f"More {n}", "text"), "fr": (f"Plus {n}", "texte")}, publish=("en", "fr"), category=f"C{n % 3}", tags=("t",))
    with django_assert_max_num_queries(count):
        body = visitor.get("/kb/en/").content.decode()
    assert "More 9" in body


# --- The public API ---------------------------------------------------------------------------

def test_the_public_api_lists_only_published_public_articles_without_authentication(anyone, kb) -> None:
    response = anyone.get("/api/v1/kb/articles?lang=fr")
    assert response.status_code == 200
    data = response.json()
    assert data["language"] == "fr"
    assert [(a["title"], a["language"]) for a in data["items"]] == [("Délais de livraison", "fr"), ("Returns", "en")]
    assert data["items"][0]["url"] == "http://testserver/kb/fr/delais-de-livraison/"
    assert data["items"][0]["languages"] == ["en", "fr", "ht"]
    for query in ("delivery", "drone", "rapportez", "till"):
        text = anyone.get(f"/api/v1/kb/articles?q={query}&lang=en").content.decode()
        for hidden in HIDDEN:
            assert hidden not in text


def test_the_public_api_searches_in_the_readers_language_first(visitor, kb) -> None:
    items = visitor.get("/api/v1/kb/articles?q=livraison&lang=ht").json()["items"]
    assert [(i["title"], i["language"]) for i in items] == [("Delè livrezon", "ht")]


def test_the_public_api_reads_an_article_with_fallback_and_its_translations(visitor, kb) -> None:
    data = visitor.get("/api/v1/kb/articles/delivery-times?lang=ht").json()
    assert (data["language"], data["title"], data["fallback"], data["slug"]) == ("ht", "Delè livrezon", False, "dele-livrezon")
    assert data["html"] == "<p>Nou livre nan 2 jou lavil.</p>" and data["tags"] == ["delivery"]
    assert [t["language"] for t in data["translations"]] == ["en", "fr", "ht"]
    Organisation.objects.update_or_create(pk=1, defaults={"language": "en"})
    fallback = visitor.get("/api/v1/kb/articles/returns?lang=sq").json()
    assert (fallback["language"], fallback["requested_language"], fallback["fallback"]) == ("en", "sq", True)
    for slug in ("drone-delivery", "refunds-at-the-till", "retours", "nothing", "a%00b", "x" * 300, "%C8%99"):
        response = visitor.get(f"/api/v1/kb/articles/{slug}?lang=fr")
        assert response.status_code == 404 and response["Content-Type"] == "application/problem+json", slug


def test_the_public_api_is_cacheable_and_revalidates_with_the_etag(visitor, kb) -> None:
    first = visitor.get("/api/v1/kb/articles/delivery-times?lang=en")
    assert first["Cache-Control"] == "public, max-age=300" and first["ETag"].startswith('W/"')
    again = visitor.get("/api/v1/kb/articles/delivery-times?lang=en", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304 and again.content == b"" and again["ETag"] == first["ETag"]
    strong = first["ETag"].removeprefix("W/")
    assert visitor.get("/api/v1/kb/articles/delivery-times?lang=en", HTTP_IF_NONE_MATCH=strong).status_code == 304
    listing = visitor.get("/api/v1/kb/articles?lang=en")
    assert visitor.get("/api/v1/kb/articles?lang=en", HTTP_IF_NONE_MATCH=listing["ETag"]).status_code == 304


def test_a_change_gives_a_new_etag(visitor, kb, admin) -> None:
    etag = visitor.get("/api/v1/kb/articles?lang=en")["ETag"]
    article_update(actor=admin, article=kb["internal"], data={"internal": False})
    changed = visitor.get("/api/v1/kb/articles?lang=en", HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag
    assert "Refunds at the till (staff)" in changed.content.decode()
    translation_publish(actor=admin, translation=kb["draft"].translations.get())
    assert "drone-delivery" in visitor.get("/api/v1/kb/articles/drone-delivery?lang=en").json()["url"]


def test_the_public_api_names_a_bad_language(visitor, kb) -> None:
    for url in ("/api/v1/kb/articles?lang=klingon", "/api/v1/kb/articles/delivery-times?lang=xx"):
        response = visitor.get(url)
        assert response.status_code == 422 and [e["field"] for e in response.json()["errors"]] == ["lang"], url
    assert visitor.get("/api/v1/kb/articles?q=" + "x" * 201).status_code == 422


def test_the_public_api_answers_in_a_fixed_number_of_queries(visitor, kb, make_article, django_assert_max_num_queries) -> None:
    visitor.get("/api/v1/kb/articles")
    for n in range(8):
        make_article({"en": (f"Delivery {n}", "delivery"), "fr": (f"Livraison {n}", "livraison")}, publish=("en", "fr"), tags=("a", "b"))
    with django_assert_max_num_queries(3):
        assert len(visitor.get("/api/v1/kb/articles?lang=en").json()["items"]) == 10
    with django_assert_max_num_queries(3):
        assert visitor.get("/api/v1/kb/articles?q=delivery&lang=en").status_code == 200
    with django_assert_max_num_queries(3):
        assert visitor.get("/api/v1/kb/articles/delivery-times?lang=fr").status_code == 200
