"""Staff pages: who sees and does what, the editor, history and restore, publishing, query counts."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from kliyan.core.models import AuditEntry
from kliyan.knowledge.choices import ArticleStatus
from kliyan.knowledge.models import Article, ArticleTranslation, ArticleVersion

pytestmark = pytest.mark.django_db
ROLES = ["admin", "manager", "agent", "viewer"]


def state() -> tuple:
    translations = tuple(ArticleTranslation.objects.order_by("id").values_list("title", "body", "status", "version"))
    articles = tuple(Article.objects.order_by("id").values_list("internal", "category_id"))
    return translations, articles, ArticleVersion.objects.count(), AuditEntry.objects.count()


def reading_pages(kb) -> list[str]:
    pk = kb["delivery"].pk
    return [
        reverse("knowledge:article_list"), reverse("knowledge:article_list") + "?q=livraison&status=published",
        reverse("knowledge:article_edit", args=[pk, "en"]), reverse("knowledge:article_edit", args=[pk, "sq"]),
        reverse("knowledge:translation_history", args=[pk, "fr"]),
        reverse("knowledge:article_edit", args=[kb["internal"].pk, "en"]),
    ]


def writes(kb) -> list[tuple[str, dict]]:
    delivery, draft = kb["delivery"].pk, kb["draft"].pk
    text = {"title": "Changed", "body": "Changed text", "slug": ""}
    return [
        (reverse("knowledge:article_create"), {"language": "en", **text}),
        (reverse("knowledge:article_edit", args=[draft, "en"]), {**text, "base_version": 1}),
        (reverse("knowledge:article_edit", args=[delivery, "ro"]), text),
        (reverse("knowledge:article_settings", args=[delivery]), {"category": "Other", "tags": "x", "language": "en"}),
        (reverse("knowledge:translation_publish", args=[draft, "en"]), {}),
        (reverse("knowledge:translation_unpublish", args=[delivery, "en"]), {}),
        (reverse("knowledge:translation_delete", args=[delivery, "ht"]), {}),
        (reverse("knowledge:version_restore", args=[draft, "en", 1]), {}),
        (reverse("knowledge:article_delete", args=[draft]), {}),
    ]


@pytest.mark.parametrize("role", ROLES)
def test_every_role_reads_the_staff_pages_drafts_and_internal_articles(role, users, client_as, kb) -> None:
    client = client_as(users[role])
    for url in reading_pages(kb):
        assert client.get(url).status_code == 200, url
    body = client.get(reverse("knowledge:article_list")).content.decode()
    assert "Secret draft about delivery" in body and "Refunds at the till (staff)" in body


def test_anonymous_visitors_are_sent_to_log_in_and_change_nothing(kb) -> None:
    before = state()
    for url in reading_pages(kb) + [reverse("knowledge:article_create")]:
        response = Client().get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login")), url
    for url, data in writes(kb):
        assert Client().post(url, data).status_code == 302, url
    assert state() == before


def test_viewers_can_change_nothing(viewer, client_as, kb) -> None:
    client = client_as(viewer)
    before = state()
    for url, data in writes(kb):
        assert client.post(url, data).status_code == 403, url
    assert client.get(reverse("knowledge:article_create")).status_code == 403
    assert state() == before
    editor = client.get(reverse("knowledge:article_edit", args=[kb["draft"].pk, "en"])).content.decode()
    assert "<textarea" not in editor and "Not ready yet" in editor


def test_agents_cannot_publish_unpublish_delete_or_change_published_text(agent, client_as, kb) -> None:
    client = client_as(agent)
    delivery = kb["delivery"].pk
    before = state()
    denied = [
        (reverse("knowledge:translation_publish", args=[kb["draft"].pk, "en"]), {}),
        (reverse("knowledge:translation_unpublish", args=[delivery, "en"]), {}),
        (reverse("knowledge:article_delete", args=[kb["draft"].pk]), {}),
        (reverse("knowledge:translation_delete", args=[delivery, "ht"]), {}),
        (reverse("knowledge:article_edit", args=[delivery, "en"]), {"title": "Delivery", "body": "Tomorrow!", "base_version": 1}),
        (reverse("knowledge:article_settings", args=[kb["internal"].pk]), {"internal": "", "language": "en"}),
    ]
    for url, data in denied:
        assert client.post(url, data).status_code == 403, url
    assert state() == before
    assert client.get(reverse("knowledge:article_delete", args=[kb["draft"].pk])).status_code == 403
    editor = client.get(reverse("knowledge:article_edit", args=[delivery, "en"])).content.decode()
    assert "<textarea" not in editor and "a manager changes it" in editor
    assert reverse("knowledge:translation_publish", args=[delivery, "en"]) not in editor


def test_an_agent_writes_an_article_and_a_translation_as_drafts(agent, client_as) -> None:
    client = client_as(agent)
    response = client.post(reverse("knowledge:article_create"), {
        "language": "fr", "title": "Horaires d'ouverture", "body": "Ouvert de **8 h** à 17 h.", "category": "Magasin", "tags": "horaires, magasin",
    })
    article = Article.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("knowledge:article_edit", args=[article.pk, "fr"])
    assert article.category.name == "Magasin" and sorted(t.name for t in article.tags.all()) == ["horaires", "magasin"]
    response = client.post(reverse("knowledge:article_edit", args=[article.pk, "ht"]), {"title": "Lè louvri", "body": "Nou louvri 8è."})
    assert response.status_code == 302
    assert sorted(article.translations.values_list("language", "status")) == [("fr", "draft"), ("ht", "draft")]
    page = client.get(reverse("knowledge:article_edit", args=[article.pk, "fr"])).content.decode()
    assert "<strong>8 h</strong>" in page  # the preview is rendered


def test_bad_input_is_shown_next_to_the_field_and_nothing_is_written(agent, client_as, kb) -> None:
    client = client_as(agent)
    before = state()
    response = client.post(reverse("knowledge:article_create"), {"language": "en", "title": "", "body": "x"})
    assert response.status_code == 422 and response.context["form"].errors.keys() == {"title"}
    response = client.post(reverse("knowledge:article_create"), {"language": "en", "title": "T", "body": "x", "slug": "Bad Slug", "tags": "x" * 60})
    assert response.status_code == 422 and response.context["form"].errors.keys() == {"slug", "tags"}
    assert 'id="id_slug_error"' in response.content.decode()
    response = client.post(reverse("knowledge:article_edit", args=[kb["draft"].pk, "en"]), {
        "title": "Secret draft about delivery", "body": "x", "slug": "delivery-times", "base_version": 1,
    })
    assert response.status_code == 422 and "slug" in response.context["form"].errors
    assert state() == before


def test_saving_over_a_newer_version_is_refused_and_keeps_the_typed_text(agent, manager, client_as, kb) -> None:
    url = reverse("knowledge:article_edit", args=[kb["draft"].pk, "en"])
    agent_client = client_as(agent)
    client_as(manager).post(url, {"title": "Secret draft about delivery", "body": "Manager's text", "base_version": 1})
    before = state()
    response = agent_client.post(url, {"title": "Secret draft about delivery", "body": "Agent's text", "base_version": 1})
    assert response.status_code == 422
    assert "Agent&#x27;s text" in response.content.decode() and "version 2" in response.content.decode()
    assert state() == before


def test_history_lists_every_version_and_restore_saves_an_old_one_again(agent, client_as, kb) -> None:
    client = client_as(agent)
    draft = kb["draft"]
    client.post(reverse("knowledge:article_edit", args=[draft.pk, "en"]), {"title": "Drone delivery", "body": "Ready: **drones**.", "base_version": 1})
    history = client.get(reverse("knowledge:translation_history", args=[draft.pk, "en"])).content.decode()
    assert "Version 2" in history and "Version 1" in history and "<strong>drones</strong>" in history
    assert reverse("knowledge:version_restore", args=[draft.pk, "en", 1]) in history
    response = client.post(reverse("knowledge:version_restore", args=[draft.pk, "en", 1]))
    assert response.status_code == 302
    translation = draft.translations.get()
    assert (translation.version, translation.title, translation.body) == (3, "Secret draft about delivery", "Not ready yet: delivery by drone.")
    assert client.post(reverse("knowledge:version_restore", args=[draft.pk, "en", 42])).status_code == 404


def test_a_manager_publishes_and_unpublishes_from_the_editor(manager, client_as, kb) -> None:
    client = client_as(manager)
    draft = kb["draft"]
    editor = client.get(reverse("knowledge:article_edit", args=[draft.pk, "en"])).content.decode()
    assert reverse("knowledge:translation_publish", args=[draft.pk, "en"]) in editor
    client.post(reverse("knowledge:translation_publish", args=[draft.pk, "en"]))
    assert draft.translations.get().status == ArticleStatus.PUBLISHED
    assert Client().get("/kb/en/drone-delivery/").status_code == 200
    client.post(reverse("knowledge:translation_unpublish", args=[draft.pk, "en"]))
    assert Client().get("/kb/en/drone-delivery/").status_code == 404


def test_a_manager_deletes_an_article_after_confirming(manager, client_as, kb) -> None:
    client = client_as(manager)
    url = reverse("knowledge:article_delete", args=[kb["draft"].pk])
    assert "Secret draft about delivery" in client.get(url).content.decode()
    assert client.post(url).status_code == 302
    assert not Article.objects.filter(pk=kb["draft"].pk).exists()


def test_the_list_filters_searches_and_answers_htmx_with_the_results_only(viewer, client_as, kb) -> None:
    client = client_as(viewer)
    url = reverse("knowledge:article_list")

    def titles(query: str) -> list[str]:
        return [row["shown"].title for row in client.get(url + query).context["rows"]]

    assert titles("?missing=fr") == ["Refunds at the till (staff)", "Secret draft about delivery"]
    assert titles("?q=livraison") == ["Delivery times"]  # shown in the reader's language (en)
    assert titles(f"?category={kb['returns'].category_id}") == ["Returns"]
    assert titles("?tag=refunds&status=published") == ["Refunds at the till (staff)", "Returns"]
    assert titles("?status=bogus") == titles("")  # a bad filter is ignored, not an error
    fragment = client.get(url + "?q=drone", HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in fragment and "Secret draft about delivery" in fragment


def test_the_phone_gets_a_language_select_and_the_desktop_tabs(agent, client_as, kb) -> None:
    page = client_as(agent).get(reverse("knowledge:article_edit", args=[kb["delivery"].pk, "en"])).content.decode()
    assert 'class="tabs kb-tabs"' in page and 'class="kb-lang-picker"' in page
    assert page.count('<option value="') >= 6 and "not written yet" in page


def test_the_menu_links_to_the_knowledge_base_for_every_staff_role(users, client_as) -> None:
    for user in users.values():
        assert reverse("knowledge:article_list").encode() in client_as(user).get(reverse("accounts:password_change")).content


def test_list_query_count_does_not_grow_with_articles(admin, client_as, make_article, django_assert_max_num_queries) -> None:
    client = client_as(admin)
    make_article({"en": ("First", "a")}, category="A", tags=("x",))
    with django_assert_max_num_queries(12) as few:
        client.get(reverse("knowledge:article_list"))
    list_count = len(few.captured_queries)  # read now: the next request clears Django's query log
    for n in range(10):
        make_article({"en": (f"Article {n}", "b"), "fr": (f"Article {n} fr", "c")}, publish=("en",), category=f"C{n}", tags=(f"t{n}", "u"))
    with django_assert_max_num_queries(list_count):
        response = client.get(reverse("knowledge:article_list"))
    assert len(response.context["rows"]) == 11
    with django_assert_max_num_queries(list_count + 1):  # + the search itself
        client.get(reverse("knowledge:article_list") + "?q=article")


def test_editor_and_history_query_counts_do_not_grow(admin, client_as, make_article, django_assert_max_num_queries) -> None:
    client = client_as(admin)
    small = make_article({"en": ("Small", "a")})
    with django_assert_max_num_queries(12) as editor:
        client.get(reverse("knowledge:article_edit", args=[small.pk, "en"]))
    editor_count = len(editor.captured_queries)  # read now: the next request clears Django's query log
    with django_assert_max_num_queries(8) as history:
        client.get(reverse("knowledge:translation_history", args=[small.pk, "en"]))
    history_count = len(history.captured_queries)
    big = make_article({code: (f"Big {code}", "x") for code in ("en", "fr", "ht", "ny", "sq", "ro")}, tags=("a", "b", "c"), category="K")
    for n in range(6):
        client.post(reverse("knowledge:article_edit", args=[big.pk, "en"]), {"title": "Big en", "body": f"version {n}"})
    with django_assert_max_num_queries(editor_count):
        assert client.get(reverse("knowledge:article_edit", args=[big.pk, "en"])).status_code == 200
    with django_assert_max_num_queries(history_count):
        assert client.get(reverse("knowledge:translation_history", args=[big.pk, "en"])).status_code == 200


def test_addresses_with_impossible_ids_or_languages_are_not_found(admin, client_as, kb) -> None:
    client = client_as(admin)
    huge = 10**20
    for url in (f"/knowledge/{huge}/", f"/knowledge/{huge}/en/", f"/knowledge/{huge}/en/history/", "/knowledge/1/xx/",
                f"/knowledge/{kb['delivery'].pk}/zz/history/"):
        assert client.get(url).status_code == 404, url
    for url in (f"/knowledge/{huge}/en/publish/", f"/knowledge/{kb['delivery'].pk}/%00/publish/", f"/knowledge/{huge}/settings/"):
        assert client.post(url).status_code == 404, url
