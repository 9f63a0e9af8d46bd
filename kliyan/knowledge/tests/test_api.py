"""Staff API: roles, CRUD, translations, versions and restore, publishing, bad input named, retries safe."""

from __future__ import annotations

import pytest
from django.test import Client

from kliyan.accounts.services import token_create
from kliyan.core.models import AuditEntry
from kliyan.knowledge.models import Article, ArticleTranslation, ArticleVersion

pytestmark = pytest.mark.django_db
JSON = "application/json"


def state() -> tuple:
    return (
        tuple(ArticleTranslation.objects.order_by("id").values_list("title", "body", "status", "version")),
        tuple(Article.objects.order_by("id").values_list("internal", "category_id")),
        ArticleVersion.objects.count(), AuditEntry.objects.count(),
    )


def call(client: Client, method: str, url: str, body: dict | None = None, **headers):
    if body is None:
        return getattr(client, method)(url, **headers)
    return getattr(client, method)(url, body, content_type=JSON, **headers)


def fields_of(response) -> set[str]:
    assert response["Content-Type"] == "application/problem+json"
    return {e["field"] for e in response.json()["errors"]}


def reads(kb) -> list[str]:
    pk = kb["delivery"].pk
    return [
        "/api/v1/knowledge/articles", "/api/v1/knowledge/articles?q=livraison&lang=fr", f"/api/v1/knowledge/articles/{pk}",
        f"/api/v1/knowledge/articles/{pk}/translations/en/versions", "/api/v1/knowledge/categories",
    ]


def edits(kb) -> list[tuple[str, str, dict | None]]:
    draft = kb["draft"].pk
    return [
        ("post", "/api/v1/knowledge/articles", {"language": "en", "title": "New", "body": "Text"}),
        ("put", f"/api/v1/knowledge/articles/{draft}/translations/en", {"title": "Changed", "body": "Changed"}),
        ("put", f"/api/v1/knowledge/articles/{draft}/translations/fr", {"title": "Nouveau", "body": "Texte"}),
        ("patch", f"/api/v1/knowledge/articles/{draft}", {"category": "Other"}),
        ("post", f"/api/v1/knowledge/articles/{draft}/translations/en/versions/1/restore", None),
    ]


def publishing(kb) -> list[tuple[str, str, dict | None]]:
    draft, delivery = kb["draft"].pk, kb["delivery"].pk
    return [
        ("post", f"/api/v1/knowledge/articles/{draft}/translations/en/publish", None),
        ("post", f"/api/v1/knowledge/articles/{delivery}/translations/en/unpublish", None),
        ("put", f"/api/v1/knowledge/articles/{delivery}/translations/en", {"title": "Delivery times", "body": "Tomorrow!"}),
        ("delete", f"/api/v1/knowledge/articles/{delivery}/translations/ht", None),
        ("patch", f"/api/v1/knowledge/articles/{kb['internal'].pk}", {"internal": False}),
        ("delete", f"/api/v1/knowledge/articles/{draft}", None),
    ]


@pytest.mark.parametrize("role", ["admin", "manager", "agent", "viewer"])
def test_every_staff_role_reads_drafts_and_internal_articles(role, users, client_as, kb) -> None:
    client = client_as(users[role])
    for url in reads(kb):
        assert client.get(url).status_code == 200, url
    titles = {t["title"] for a in client.get("/api/v1/knowledge/articles").json()["items"] for t in a["translations"]}
    assert {"Secret draft about delivery", "Refunds at the till (staff)"} <= titles


def test_anonymous_callers_get_401_and_change_nothing(kb) -> None:
    before = state()
    for url in reads(kb):
        assert Client().get(url).status_code == 401, url
    for method, url, body in edits(kb) + publishing(kb):
        assert call(Client(), method, url, body).status_code == 401, url
    assert state() == before


def test_viewers_and_read_tokens_change_nothing(viewer, agent, client_as, kb) -> None:
    client = client_as(viewer)
    _token, secret = token_create(actor=agent, user=agent, name="read", scope="read")
    reader = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    before = state()
    for method, url, body in edits(kb) + publishing(kb):
        assert call(client, method, url, body).status_code == 403, url
        assert call(reader, method, url, body).status_code == 403, url
    assert state() == before
    assert reader.get(reads(kb)[2]).status_code == 200


def test_agents_write_drafts_but_cannot_publish_or_touch_published_text(agent, client_as, kb) -> None:
    client = client_as(agent)
    before = state()
    for method, url, body in publishing(kb):
        response = call(client, method, url, body)
        assert response.status_code == 403 and response["Content-Type"] == "application/problem+json", url
    assert state() == before
    for method, url, body in edits(kb):
        assert call(client, method, url, body).status_code in {200, 201}, url


def test_create_read_translate_publish_and_delete_an_article(agent, manager, client_as) -> None:
    writer, publisher = client_as(agent), client_as(manager)
    created = call(writer, "post", "/api/v1/knowledge/articles", {
        "language": "fr", "title": "Payer avec MonCash", "body": "Composez *202#.", "category": "Paiements", "tags": ["moncash"],
    })
    assert created.status_code == 201
    article = created.json()
    assert (article["category"], article["tags"], article["internal"]) == ("Paiements", ["moncash"], False)
    [french] = article["translations"]
    assert (french["language"], french["slug"], french["status"], french["version"], french["public_url"]) == (
        "fr", "payer-avec-moncash", "draft", 1, None,
    )
    assert french["html"] == "<p>Composez *202#.</p>" and french["updated_by"] == "agent"
    url = f"/api/v1/knowledge/articles/{article['id']}"
    ht = call(writer, "put", f"{url}/translations/ht", {"title": "Peye ak MonCash", "body": "Konpoze *202#."})
    assert ht.status_code == 201 and ht.json()["slug"] == "peye-ak-moncash"
    changed = call(writer, "put", f"{url}/translations/ht", {"title": "Peye ak MonCash", "body": "Konpoze *202# sou Digicel.", "base_version": 1})
    assert changed.status_code == 200 and changed.json()["version"] == 2
    published = call(publisher, "post", f"{url}/translations/ht/publish")
    assert published.json()["status"] == "published" and published.json()["public_url"] == "/kb/ht/peye-ak-moncash/"
    assert Client().get("/api/v1/kb/articles/peye-ak-moncash?lang=ht").status_code == 200
    versions = writer.get(f"{url}/translations/ht/versions").json()["items"]
    assert [(v["number"], v["created_by"]) for v in versions] == [(2, "agent"), (1, "agent")]
    assert call(writer, "delete", f"{url}/translations/fr").status_code == 204
    assert call(publisher, "delete", url).status_code == 204
    assert writer.get(url).status_code == 404


def test_restore_puts_an_old_version_back_as_the_newest(agent, client_as, kb) -> None:
    client = client_as(agent)
    url = f"/api/v1/knowledge/articles/{kb['draft'].pk}/translations/en"
    call(client, "put", url, {"title": "Drones", "body": "Ready."})
    restored = call(client, "post", f"{url}/versions/1/restore")
    assert restored.status_code == 200
    assert (restored.json()["version"], restored.json()["title"]) == (3, "Secret draft about delivery")
    assert call(client, "post", f"{url}/versions/99/restore").status_code == 404


@pytest.mark.parametrize(("method", "path", "body", "fields"), [
    ("post", "/api/v1/knowledge/articles", {"language": "xx", "title": "", "body": ""}, {"language", "title", "body"}),
    ("post", "/api/v1/knowledge/articles", {"language": "en", "title": "T", "body": "b", "colour": "red"}, {"colour"}),
    ("post", "/api/v1/knowledge/articles", {"language": "en", "title": "T", "body": "b", "slug": "delivery-times"}, {"slug"}),
    ("post", "/api/v1/knowledge/articles", {"language": "en", "title": "T\x00", "body": "b"}, {"title"}),
    ("put", "/api/v1/knowledge/articles/{draft}/translations/de", {"title": "T", "body": "b"}, {"lang"}),
    ("put", "/api/v1/knowledge/articles/{draft}/translations/en", {"title": "T"}, {"body"}),
    ("patch", "/api/v1/knowledge/articles/{draft}", {"tags": ["x" * 51]}, {"tags"}),
    ("get", "/api/v1/knowledge/articles?status=gone&missing=xx", None, {"status", "missing"}),
])
def test_bad_input_is_a_422_naming_each_field_and_nothing_is_written(agent, client_as, kb, method, path, body, fields) -> None:
    client = client_as(agent)
    before = state()
    response = call(client, method, path.format(draft=kb["draft"].pk), body)
    assert response.status_code == 422 and fields_of(response) == fields
    assert state() == before


def test_a_stale_base_version_is_a_409_and_saves_nothing(agent, client_as, kb) -> None:
    client = client_as(agent)
    url = f"/api/v1/knowledge/articles/{kb['draft'].pk}/translations/en"
    call(client, "put", url, {"title": "First", "body": "One", "base_version": 1})
    before = state()
    response = call(client, "put", url, {"title": "Second", "body": "Two", "base_version": 1})
    assert response.status_code == 409 and response.json()["code"] == "edit_conflict" and response.json()["current_version"] == 2
    assert state() == before


def test_retries_never_duplicate(agent, client_as) -> None:
    client = client_as(agent)
    body = {"language": "en", "title": "Returns", "body": "14 days."}
    first = call(client, "post", "/api/v1/knowledge/articles", body, HTTP_IDEMPOTENCY_KEY="kb-1")
    again = call(client, "post", "/api/v1/knowledge/articles", body, HTTP_IDEMPOTENCY_KEY="kb-1")
    assert first.status_code == again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert Article.objects.count() == 1
    url = f"/api/v1/knowledge/articles/{first.json()['id']}/translations/en"
    call(client, "put", url, {"title": "Returns", "body": "30 days."})
    before = state()
    assert call(client, "put", url, {"title": "Returns", "body": "30 days."}).json()["version"] == 2
    assert state() == before


def test_the_list_pages_with_a_cursor_and_filters(admin, client_as, make_article, kb) -> None:
    client = client_as(admin)
    for n in range(3):
        make_article({"en": (f"Extra {n}", "x")})
    first = client.get("/api/v1/knowledge/articles?limit=4").json()
    second = client.get(f"/api/v1/knowledge/articles?limit=4&cursor={first['next_cursor']}").json()
    assert len(first["items"]) == 4 and len(second["items"]) == 3 and second["next_cursor"] is None
    assert {a["id"] for a in first["items"]}.isdisjoint(a["id"] for a in second["items"])
    internal = client.get("/api/v1/knowledge/articles?internal=true").json()["items"]
    assert [a["id"] for a in internal] == [kb["internal"].pk]
    tagged = client.get("/api/v1/knowledge/articles?tag=refunds&missing=fr").json()["items"]
    assert [a["id"] for a in tagged] == [kb["internal"].pk]


def test_the_openapi_document_lists_the_knowledge_endpoints(client) -> None:
    paths = set(client.get("/api/v1/openapi.json").json()["paths"])
    assert {
        "/api/v1/knowledge/articles", "/api/v1/knowledge/articles/{article_id}",
        "/api/v1/knowledge/articles/{article_id}/translations/{lang}",
        "/api/v1/knowledge/articles/{article_id}/translations/{lang}/versions", "/api/v1/kb/articles", "/api/v1/kb/articles/{slug}",
    } <= paths
    spec = client.get("/api/v1/openapi.json").json()
    assert "security" not in spec["paths"]["/api/v1/kb/articles"]["get"]  # no authentication


def test_the_api_list_and_detail_use_a_fixed_number_of_queries(admin, client_as, make_article, django_assert_max_num_queries) -> None:
    client = client_as(admin)
    first = make_article({"en": ("One", "x")})
    client.get("/api/v1/knowledge/articles")
    with django_assert_max_num_queries(8) as few:
        client.get(f"/api/v1/knowledge/articles/{first.pk}")
    detail = len(few.captured_queries)
    big = make_article({code: (f"Big {code}", "x") for code in ("en", "fr", "ht", "ny")}, tags=("a", "b"), category="K")
    for n in range(6):
        make_article({"en": (f"More {n}", "y"), "fr": (f"Plus {n}", "z")}, tags=("t",))
    with django_assert_max_num_queries(detail):
        client.get(f"/api/v1/knowledge/articles/{big.pk}")
    with django_assert_max_num_queries(7):
        assert len(client.get("/api/v1/knowledge/articles").json()["items"]) == 8
