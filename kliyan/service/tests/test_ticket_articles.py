"""Knowledge articles linked to tickets: on the ticket page with the address to send the customer,
in the API, audited, once only, and refused by name when the article does not exist."""

from __future__ import annotations

import pytest
from django.urls import reverse

from kliyan.core.models import AuditEntry
from kliyan.knowledge.services import article_create, article_delete, translation_publish, translation_save
from kliyan.service.models import TicketArticle, TicketEvent
from kliyan.service.ticket_articles import linked_articles, ticket_link_article, ticket_unlink_article

pytestmark = pytest.mark.django_db
JSON = "application/json"


@pytest.fixture
def public(admin):
    article = article_create(actor=admin, data={
        "language": "ro", "title": "Termene de livrare", "body": "Livrăm în 2 zile lucrătoare.", "slug": "termene-de-livrare",
    })
    translation_save(actor=admin, article=article, language="fr", data={
        "title": "Délais de livraison", "body": "Nous livrons en 2 jours ouvrés.", "slug": "delais-de-livraison",
    })
    for translation in article.translations.all():
        translation_publish(actor=admin, translation=translation)
    return article


@pytest.fixture
def draft(admin):
    return article_create(actor=admin, data={"language": "ro", "title": "Retururi (ciornă)", "body": "În lucru.", "slug": "retururi"})


def test_linking_an_article_is_audited_in_the_history_and_happens_once(agent, ticket, public) -> None:
    assert ticket_link_article(actor=agent, ticket=ticket, article=public.pk, language="ro") is True
    assert ticket_link_article(actor=agent, ticket=ticket, article=public.pk, language="ro") is False
    assert TicketArticle.objects.count() == 1
    assert TicketEvent.objects.filter(ticket=ticket, kind="article", new_label="Termene de livrare").count() == 1
    assert AuditEntry.objects.filter(object_type="service.ticketarticle", action="create", contact_id=ticket.contact_id).count() == 1
    [link] = linked_articles(ticket, "fr")
    assert (link.hit.title, link.hit.public_url) == ("Délais de livraison", "/kb/fr/delais-de-livraison/")
    assert ticket_unlink_article(actor=agent, ticket=ticket, article_id=public.pk) is True
    assert ticket_unlink_article(actor=agent, ticket=ticket, article_id=public.pk) is False
    assert not TicketArticle.objects.exists()


def test_an_unknown_article_is_named_and_nothing_is_written(agent, ticket) -> None:
    from kliyan.core.errors import ValidationFailed

    for value in (999999, "abc", None):
        with pytest.raises(ValidationFailed) as excinfo:
            ticket_link_article(actor=agent, ticket=ticket, article=value)
        assert set(excinfo.value.field_errors) == {"article"}
    assert not TicketArticle.objects.exists()


def test_the_ticket_page_shows_linked_articles_with_the_address_for_the_customer(agent, viewer, ticket, public, draft,
                                                                                client_as) -> None:
    client = client_as(agent)
    found = client.get(reverse("service:ticket_article_find", args=[ticket.pk]), {"q": "livrare"}).content.decode()
    assert "Termene de livrare" in found and f'name="article" value="{public.pk}"' in found
    assert client.post(reverse("service:ticket_article_link", args=[ticket.pk]), {"article": public.pk}).status_code == 302
    assert client.post(reverse("service:ticket_article_link", args=[ticket.pk]), {"article": draft.pk}).status_code == 302
    page = client.get(reverse("service:ticket_detail", args=[ticket.pk])).content.decode()
    box = page.split('id="articles"', 1)[1].split("</section>", 1)[0]
    # The agent reads the title in their language (English falls back to French here); the address to
    # paste is the customer's (Romanian) published version.
    assert "Délais de livraison" in box and 'value="http://testserver/kb/ro/termene-de-livrare/"' in box
    assert "Retururi (ciornă)" in box and "Not published yet" in box
    assert client.post(reverse("service:ticket_article_link", args=[ticket.pk]), {"article": 999999}).status_code == 422
    viewer_page = client_as(viewer).get(reverse("service:ticket_detail", args=[ticket.pk])).content.decode()
    assert "Délais de livraison" in viewer_page and reverse("service:ticket_article_unlink", args=[ticket.pk, public.pk]) not in viewer_page
    assert client_as(viewer).post(reverse("service:ticket_article_link", args=[ticket.pk]), {"article": public.pk}).status_code == 403
    assert client.post(reverse("service:ticket_article_unlink", args=[ticket.pk, public.pk])).status_code == 302
    assert list(TicketArticle.objects.values_list("article_id", flat=True)) == [draft.pk]


def test_suggested_articles_come_from_the_ticket_itself(agent, contact, public, client_as) -> None:
    from kliyan.service import services

    ticket = services.ticket_create(actor=agent, data={"contact": contact.pk, "subject": "Termen de livrare depășit"})
    found = client_as(agent).get(reverse("service:ticket_article_find", args=[ticket.pk])).content.decode()
    assert "Termene de livrare" in found


def test_a_deleted_article_stays_listed_as_gone(agent, admin, ticket, public, client_as) -> None:
    ticket_link_article(actor=agent, ticket=ticket, article=public.pk)
    article_delete(actor=admin, article=public)
    [link] = linked_articles(ticket, "ro")
    assert link.hit is None
    assert "no longer in the knowledge base" in client_as(agent).get(reverse("service:ticket_detail", args=[ticket.pk])).content.decode()


def test_the_api_lists_links_and_unlinks_articles(agent, viewer, ticket, public, client_as, client) -> None:
    api = client_as(agent)
    created = api.post(f"/api/v1/tickets/{ticket.pk}/articles?lang=fr", {"article": public.pk}, content_type=JSON)
    assert created.status_code == 201
    [item] = created.json()["items"]
    assert (item["title"], item["public_url"], item["public_language"], item["available"]) == (
        "Délais de livraison", "http://testserver/kb/ro/termene-de-livrare/", "ro", True,  # the customer reads Romanian
    )
    assert api.post(f"/api/v1/tickets/{ticket.pk}/articles", {"article": public.pk}, content_type=JSON).status_code == 200
    bad = api.post(f"/api/v1/tickets/{ticket.pk}/articles", {"article": 999999}, content_type=JSON)
    assert bad.status_code == 422 and [e["field"] for e in bad.json()["errors"]] == ["article"]
    assert client_as(viewer).get(f"/api/v1/tickets/{ticket.pk}/articles").json()["items"][0]["article_id"] == public.pk
    assert client_as(viewer).post(f"/api/v1/tickets/{ticket.pk}/articles", {"article": public.pk}, content_type=JSON).status_code == 403
    assert client.get(f"/api/v1/tickets/{ticket.pk}/articles").status_code == 401
    assert api.delete(f"/api/v1/tickets/{ticket.pk}/articles/{public.pk}").status_code == 204
    assert api.delete(f"/api/v1/tickets/{ticket.pk}/articles/{public.pk}").status_code == 204
    assert api.get(f"/api/v1/tickets/{ticket.pk}/articles").json()["items"] == []
    assert api.get("/api/v1/tickets/999999/articles").status_code == 404
