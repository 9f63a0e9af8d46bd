"""Similar tickets, problems and articles for a new ticket: realistic French, Haitian Creole and
Romanian texts, accents ignored both ways, the best match first, and why each was suggested."""

from __future__ import annotations

import pytest
from django.urls import reverse

from kliyan.contacts.services import contact_create
from kliyan.knowledge.services import article_create, translation_publish, translation_save
from kliyan.service import categories, problems, services, similar
from kliyan.service.models import Ticket

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}

TICKETS = {
    "fr_parcel": ("Colis jamais livré",
                  "Bonjour, ma commande n° 4521 n'a toujours pas été livrée, le suivi indique « en transit » depuis dix jours."),
    "fr_invoice": ("Facture erronée", "La facture de décembre compte deux sacs d'engrais alors que je n'en ai acheté qu'un."),
    "fr_screen": ("Écran du téléphone fissuré", "L'écran de mon téléphone s'est fissuré après deux jours, sans chute."),
    "ht_order": ("Kòmand mwen an poko rive", "Bonjou, mwen te pase kòmand lan depi lendi, li poko rive. Kilè l ap vini ?"),
    "ht_moncash": ("Peman MonCash pa pase", "Mwen peye ak MonCash, lajan an soti nan kont mwen men fakti a di m poko peye."),
    "ht_charger": ("Telefòn nan pa chaje", "Chajè a pa mache ak telefòn mwen an, batri a pa janm plen."),
    "ro_late": ("Livrare întârziată", "Comanda mea nu a sosit nici după o săptămână, curierul nu răspunde la telefon."),
    "ro_invoice": ("Factură greșită", "Factura arată suma greșită: am plătit 250 de lei, nu 350."),
    "ro_screen": ("Ecranul telefonului crăpat", "Ecranul s-a crăpat după două zile de folosire."),
}


@pytest.fixture
def desk(agent, contact):
    others = contact_create(actor=agent, data={"first_name": "Jean", "last_name": "Baptiste", "language": "ht"})
    return {
        key: services.ticket_create(actor=agent, data={
            "contact": (contact if key.startswith("ro") else others).pk, "subject": subject, "description": body,
        })
        for key, (subject, body) in TICKETS.items()
    }


def top(text: str, **context) -> list[int]:
    return [s.id for s in similar.suggest(text, articles=False, **context).tickets]


def test_haitian_creole_typed_without_accents_finds_the_order_that_has_not_arrived(desk) -> None:
    assert top("Komand mwen poko rive, mwen pase l depi semen pase")[0] == desk["ht_order"].pk


def test_romanian_without_diacritics_finds_the_late_delivery_and_the_reverse(desk, agent, contact) -> None:
    assert top("livrare intarziata, comanda nu a sosit")[0] == desk["ro_late"].pk
    plain = services.ticket_create(actor=agent, data={
        "contact": contact.pk, "subject": "Retur produs", "description": "Vreau sa returnez rasnita",
    })
    assert top("Vreau să returnez râșnița de cafea")[0] == plain.pk


def test_french_finds_the_parcel_and_not_the_invoice(desk) -> None:
    found = top("Je n'ai pas reçu mon colis, la commande n'est jamais livrée")
    assert found[0] == desk["fr_parcel"].pk and desk["fr_invoice"].pk not in found[:2]


def test_each_language_finds_its_own_invoice_and_screen(desk) -> None:
    assert top("Erreur sur la facture de décembre")[0] == desk["fr_invoice"].pk
    assert top("factura are suma gresita")[0] == desk["ro_invoice"].pk
    assert top("écran fissuré")[0] == desk["fr_screen"].pk
    assert top("ecranul crapat")[0] == desk["ro_screen"].pk


def test_why_names_the_words_in_common_as_the_other_ticket_wrote_them(desk) -> None:
    [first, *_rest] = similar.suggest("livrare intarziata", articles=False).tickets
    assert first.id == desk["ro_late"].pk
    assert first.shared_words == ["Livrare", "întârziată"]
    assert "words in common: Livrare, întârziată" in first.why


def test_the_same_category_product_and_customer_move_a_ticket_up(desk, manager, agent, contact) -> None:
    late = categories.category_create(actor=manager, data={"name": "Livrare"})
    twin = services.ticket_create(actor=agent, data={
        "contact": contact.pk, "subject": "Livrare întârziată", "category": late.pk,
        "description": "Comanda mea nu a sosit nici după o săptămână, curierul nu răspunde la telefon.",
    })
    ranked = similar.suggest("livrare intarziata", category_id=late.pk, articles=False).tickets
    assert [s.id for s in ranked[:2]] == [twin.pk, desk["ro_late"].pk]
    assert ranked[0].same_category and "same category" in ranked[0].why
    assert ranked[0].score > ranked[1].score


def test_only_open_tickets_are_suggested_and_resolving_takes_one_out(desk, agent) -> None:
    services.ticket_change_status(actor=agent, ticket=desk["ro_late"], status="resolved")
    assert desk["ro_late"].pk not in top("livrare intarziata")


def test_a_renamed_ticket_is_found_by_its_new_subject(desk, agent) -> None:
    services.ticket_update(actor=agent, ticket=desk["fr_screen"], data={"subject": "Garantie refusée"})
    assert top("garantie refusee")[0] == desk["fr_screen"].pk


def test_unrelated_text_suggests_nothing(desk) -> None:
    assert similar.suggest("zzz qqq", articles=False).tickets == []
    assert similar.suggest("  ,, !! ", articles=False).tickets == []


def test_open_problems_are_suggested_by_their_words(desk, manager) -> None:
    moncash = problems.problem_create(actor=manager, data={
        "title": "Peman MonCash pa anrejistre", "description": "Depi mizajou a, peman MonCash yo pa parèt sou fakti yo.",
        "customer_message": "Di kliyan an lajan an pa pèdi; n ap korije fakti a nan 48 è.",
    })
    resolved = problems.problem_create(actor=manager, data={"title": "Peman MonCash an reta"})
    problems.problem_change_status(actor=manager, problem=resolved, status="resolved")
    found = similar.suggest("Mwen peye ak moncash men fakti a pa chanje", articles=False)
    assert [p.id for p in found.problems] == [moncash.pk]
    assert found.problems[0].customer_message.startswith("Di kliyan an")
    assert found.tickets[0].id == desk["ht_moncash"].pk


def test_articles_are_suggested_in_the_agents_language(desk, admin) -> None:
    article = article_create(actor=admin, data={
        "language": "fr", "title": "Délais de livraison", "body": "Nous livrons en 2 jours en ville.", "slug": "delais-de-livraison",
    })
    translation_save(actor=admin, article=article, language="ht", data={"title": "Delè livrezon", "body": "Nou livre nan 2 jou."})
    for translation in article.translations.all():
        translation_publish(actor=admin, translation=translation)
    found = similar.suggest("Délai de livraison dépassé", language="fr")
    assert [(a.hit.article_id, a.hit.language) for a in found.articles] == [(article.pk, "fr")]
    found = similar.suggest("Dele livrezon an depase", language="ht")
    assert [(a.hit.article_id, a.hit.language) for a in found.articles] == [(article.pk, "ht")]


def test_suggestions_cost_a_bounded_number_of_queries(desk, django_assert_max_num_queries) -> None:
    # the ticket index, the candidate tickets, the open problems, two per article search (at most three)
    with django_assert_max_num_queries(3 + 2 * similar.ARTICLE_SEARCHES):
        similar.suggest("Komand mwen poko rive, mwen pase l depi semen pase")


def test_the_new_ticket_form_suggests_as_the_agent_types(desk, agent, viewer, contact, client_as) -> None:
    url = reverse("service:ticket_suggestions")
    response = client_as(agent).get(url, {"subject": "Livrare intarziata", "description": "", "contact": contact.pk}, **HTMX)
    page = response.content.decode()
    assert response.status_code == 200 and desk["ro_late"].reference in page and "same customer" in page
    assert client_as(viewer).get(url, {"subject": "x"}).status_code == 403


def test_the_similar_api_ranks_and_explains_and_names_bad_input(desk, agent, client_as, client) -> None:
    api = client_as(agent)
    body = api.get("/api/v1/service/similar", {"text": "komand poko rive"}).json()
    assert body["tickets"][0]["id"] == desk["ht_order"].pk
    assert body["tickets"][0]["shared_words"] and body["tickets"][0]["why"].startswith("words in common")
    response = api.get("/api/v1/service/similar", {"text": "x", "category": 0, "lang": "xx"})
    assert response.status_code == 422 and {e["field"] for e in response.json()["errors"]} >= {"category"}
    response = api.get("/api/v1/service/similar", {"text": "x", "lang": "xx"})
    assert response.status_code == 422 and {e["field"] for e in response.json()["errors"]} == {"lang"}
    assert api.get("/api/v1/service/similar").status_code == 422
    assert client.get("/api/v1/service/similar", {"text": "x"}).status_code == 401


def test_tickets_made_before_the_index_existed_are_found_after_the_migration_fills_them(desk) -> None:
    # The migration fills search_text for existing rows; the index follows every later change.
    Ticket.objects.filter(pk=desk["fr_invoice"].pk).update(search_text="facture erronee engrais")
    assert top("engrais")[0] == desk["fr_invoice"].pk
