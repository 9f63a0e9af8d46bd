"""Demo service desk: categories, a team, and tickets in every state, in each customer's language.

Written through the services, like everything else in the demo (validated, audited, with
their history). The demo's customers are fictional, so their replies are marked as sent
rather than e-mailed. Samples in the customers' languages are data, not interface text.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from kliyan.accounts.models import Team
from kliyan.accounts.teams import team_create
from kliyan.contacts.models import Contact
from kliyan.service import categories, problems, services
from kliyan.service.choices import MailStatus, TicketStatus
from kliyan.service.models import Problem, Ticket, TicketCategory, TicketMessage

CATEGORIES = {
    "Delivery": ("Late delivery", "Damaged parcel"),
    "Billing": ("Wrong amount", "Payment not recorded"),
    "Product": ("Defect", "How to use"),
    "Returns": (),
}
# (kind, category path, subject, what the customer wrote, our answer), per language.
SAMPLES: dict[str, tuple[tuple[str, str, str, str, str], ...]] = {
    "ht": (
        ("complaint", "Delivery/Late delivery", "Kòmand mwen an poko rive",
         "Bonjou, mwen te pase kòmand lan depi lendi, li poko rive. Kilè l ap vini ?",
         "Bonjou, kòmand ou a soti nan depo a jodi a; l ap rive demen maten."),
        ("question", "Product/How to use", "Kijan pou m chaje telefòn lan",
         "Mwen achte telefòn nan, men li pa vle chaje ak chajè a.", "Eseye chajè USB-C a, epi kenbe bouton an 10 segonn."),
    ),
    "fr": (
        ("complaint", "Billing/Wrong amount", "Facture incorrecte",
         "Bonjour, la facture indique deux sacs d'engrais alors que j'en ai acheté un seul.",
         "Bonjour, vous avez raison : nous vous envoyons une facture corrigée aujourd'hui."),
        ("request", "Returns", "Retour d'une paire de chaussures",
         "Les chaussures sont trop petites, puis-je les échanger contre une pointure 42 ?",
         "Bien sûr, passez en boutique avec le ticket de caisse, l'échange est gratuit."),
    ),
    "ny": (
        ("complaint", "Delivery/Damaged parcel", "Thumba la feteleza linang'ambika",
         "Moni, thumba limodzi la feteleza linafika litang'ambika.", "Pepani kwambiri, tikutumizirani thumba lina mawa."),
        ("question", "Product/How to use", "Funso lokhudza mbewu",
         "Kodi ndingathire feteleza wa NPK liti pa chimanga?", "Thirani NPK pobzala, kenako urea patatha milungu inayi."),
    ),
    "sq": (
        ("complaint", "Product/Defect", "Produkti i dëmtuar",
         "Përshëndetje, kutia erdhi e thyer dhe byzylyku ka një gërvishtje.",
         "Na vjen keq! Ju dërgojmë një byzylyk të ri këtë javë."),
        ("request", "Billing/Payment not recorded", "Pagesa nuk duket në llogari",
         "Pagova faturën dje me transfertë, por llogaria ime ende tregon borxh.",
         "Faleminderit, pagesa u regjistrua sot. Llogaria juaj është në rregull."),
    ),
    "ro": (
        ("complaint", "Delivery/Late delivery", "Livrare întârziată",
         "Bună ziua, comanda mea nu a sosit nici după o săptămână.", "Bună ziua, coletul a plecat azi din depozit."),
        ("question", "Product/How to use", "Cum folosesc râșnița de cafea?",
         "Râșnița nu macină fin, ce setare recomandați pentru espresso?", "Rotiți butonul până la treapta 2 pentru espresso."),
    ),
}
# Where each demo ticket ends up, in order; the queue shows every state.
PLAN = (
    TicketStatus.NEW, TicketStatus.NEW, TicketStatus.OPEN, TicketStatus.WAITING, TicketStatus.OPEN, TicketStatus.RESOLVED,
    TicketStatus.REOPENED, TicketStatus.CLOSED, TicketStatus.NEW, TicketStatus.OPEN, TicketStatus.WAITING,
    TicketStatus.RESOLVED, TicketStatus.OPEN, TicketStatus.NEW, TicketStatus.CLOSED, TicketStatus.OPEN,
)
CHANNELS = ("email", "phone", "whatsapp", "store", "email", "website")
DEMO_TEAM = "Service desk"


def _category(actor: Any, name: str, parent: int | None) -> int:
    """Return the demo category's id, creating it unless an earlier demo load left it there."""
    existing = TicketCategory.objects.filter(name=name, parent_id=parent).values_list("pk", flat=True).first()
    return existing or categories.category_create(actor=actor, data={"name": name, "parent": parent}).pk


def _categories(actor: Any) -> dict[str, int]:
    ids: dict[str, int] = {}
    for parent, children in CATEGORIES.items():
        ids[parent] = _category(actor, parent, None)
        for child in children:
            ids[f"{parent}/{child}"] = _category(actor, child, ids[parent])
    return ids


def _team(actor: Any, staff: list[Any]) -> Team:
    existing = Team.objects.filter(name=DEMO_TEAM).first()
    return existing or team_create(actor=actor, data={"name": DEMO_TEAM, "manager": actor.pk, "members": [u.pk for u in staff]})


def _mark_replies_sent(ticket: Ticket, now: dt.datetime) -> None:
    TicketMessage.objects.filter(ticket=ticket, mail_status=MailStatus.PENDING).update(
        mail_status=MailStatus.SENT, mail_sent_at=now, mail_next_attempt_at=None,
    )


def load_demo_service(*, actor: Any, staff: list[Any], contacts: list[Contact], rng: random.Random, now: dt.datetime) -> int:
    """Create the demo's categories, team and tickets; return how many tickets."""
    if not contacts:
        return 0
    categories = _categories(actor)
    team = _team(actor, staff)
    agents = [actor, *staff]
    people = [c for c in contacts if c.language in SAMPLES] or contacts
    made = 0
    for n, target in enumerate(PLAN):
        contact = people[(n * 7) % len(people)]
        kind, category, subject, asked, answer = rng.choice(SAMPLES.get(contact.language, SAMPLES["fr"]))
        assignee = None if target == TicketStatus.NEW and n % 2 == 0 else rng.choice(agents)
        ticket = services.ticket_create(actor=rng.choice(agents), contact=contact, data={
            "kind": kind, "subject": subject, "description": asked, "channel": CHANNELS[n % len(CHANNELS)],
            "priority": ("normal", "normal", "high", "low", "urgent")[n % 5], "category": categories[category],
            "assignee": assignee.pk if assignee else None, "team": team.pk if n % 3 else None,
        })
        made += 1
        worker = assignee or actor
        if target == TicketStatus.NEW:
            continue
        if n % 4 == 0:
            services.ticket_add_note(actor=worker, ticket=ticket, body="Checked with the warehouse before answering.")
        to = TicketStatus.WAITING if target == TicketStatus.WAITING else ""
        services.ticket_reply(actor=worker, ticket=ticket, body=answer, status=to)
        _mark_replies_sent(ticket, now)
        if target in (TicketStatus.RESOLVED, TicketStatus.REOPENED, TicketStatus.CLOSED):
            services.ticket_change_status(actor=worker, ticket=ticket, status=TicketStatus.RESOLVED)
        if target == TicketStatus.REOPENED:
            services.ticket_customer_message(actor=None, ticket=ticket, body=asked, channel=ticket.channel,
                                             from_name=contact.display_name, moves_status=True)
        if target == TicketStatus.CLOSED:
            services.ticket_change_status(actor=worker, ticket=ticket, status=TicketStatus.CLOSED)
    _due_times(now)
    _demo_problem(actor, staff, categories[DEMO_PROBLEM_CATEGORY])
    return made


def _due_times(now: dt.datetime) -> None:
    """Give some open tickets due times, so "breaching soon" has something to show.

    The SLA policies set these in a real installation; the demo has none yet.
    """
    open_ids = list(Ticket.objects.filter(status__in=(TicketStatus.NEW, TicketStatus.OPEN)).order_by("id").values_list("pk", flat=True))
    for pk, offset in zip(open_ids, (-20, 30, 45, 240, 600)):
        Ticket.objects.filter(pk=pk).update(
            first_response_due=now + dt.timedelta(minutes=offset), resolution_due=now + dt.timedelta(minutes=offset + 1440),
        )


DEMO_PROBLEM_CATEGORY = "Delivery/Late delivery"
DEMO_PROBLEM = {
    "title": "Northern route: parcels held at the Cap-Haïtien depot",
    "description": "Since the road closure, parcels for the north wait at the depot for several days.",
    "root_cause": "Our courier has one truck for the north; it cannot take the mountain road while it is closed.",
    "customer_message": "Your parcel is safe at our depot. A second courier takes it this week; "
                        "we will send you the tracking number by SMS.",
    "status": "fixing",
}
DEMO_ACTIONS = (
    ("Hire a second courier for the northern route", "doing", None),
    ("Send an SMS with a new delivery date to every customer waiting", "done", True),
)


def _demo_problem(actor: Any, staff: list[Any], category_id: int) -> Problem | None:
    """Record the demo's open problem, with a two-step plan, linked to the late-delivery tickets (once)."""
    if Problem.objects.filter(title=DEMO_PROBLEM["title"]).exists():
        return None
    owner = staff[0] if staff else actor
    problem = problems.problem_create(actor=actor, data={**DEMO_PROBLEM, "category": category_id, "owner": owner.pk})
    for description, status, verified in DEMO_ACTIONS:
        data: dict[str, Any] = {"description": description, "owner": owner.pk, "status": status}
        if verified is not None:
            data.update(verified=verified, verification_note="Every waiting customer answered or called back.")
        problems.action_create(actor=actor, problem=problem, data=data)
    for ticket in Ticket.objects.filter(category_id=category_id, problem__isnull=True).order_by("id")[:3]:
        problems.problem_link_ticket(actor=actor, problem=problem, ticket=ticket)
    return problem
