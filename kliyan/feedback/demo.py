"""Demo customer feedback: answered CSAT surveys on the demo's resolved tickets and a small NPS campaign.

Written through the services (validated, audited). The demo's customers are fictional, so
their invitations are marked as sent rather than e-mailed. Comments in the customers'
languages are data, not interface text.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from kliyan.contacts.models import Contact
from kliyan.feedback.campaigns import campaign_create, campaign_run
from kliyan.feedback.choices import InvitationStatus, SurveyChannel, SurveyKind
from kliyan.feedback.models import SurveyInvitation
from kliyan.feedback.services import response_submit

DEMO_CAMPAIGN = "NPS — demo"
NPS_PEOPLE = 14
# (score, comment) per language; CSAT scores 1–5, NPS 0–10.
CSAT_SAMPLES: dict[str, tuple[tuple[int, str], ...]] = {
    "ht": ((5, "Mèsi anpil, sa te rapid!"), (4, ""), (2, "Mwen te tann twòp.")),
    "fr": ((5, "Réponse rapide et aimable, merci."), (3, "Correct, mais il a fallu relancer."), (4, "")),
    "ny": ((4, "Zikomo kwambiri."), (5, ""), (1, "Sindinathandizidwe.")),
    "sq": ((5, "Shërbim i shkëlqyer!"), (2, "Zgjati shumë."), (4, "")),
    "ro": ((5, "Foarte amabili, mulțumesc!"), (4, "Bine, dar a durat două zile."), (2, "Curierul a întârziat din nou.")),
    "en": ((5, "Quick and friendly, thank you."), (3, ""), (2, "Took too long.")),
}
NPS_SAMPLES: dict[str, tuple[tuple[int, str], ...]] = {
    "ht": ((10, "Pri yo bon e livrezon an rapid."), (8, ""), (4, "Livrezon yo twò long.")),
    "fr": ((9, "Je recommande, bon service."), (7, ""), (5, "Les prix ont augmenté.")),
    "ny": ((10, "Katundu wabwino."), (6, "Mitengo yakwera."), (9, "")),
    "sq": ((9, "Gjithmonë të sjellshëm."), (10, ""), (3, "Dyqani shpesh është i mbyllur.")),
    "ro": ((10, "Cel mai bun magazin din cartier."), (8, ""), (6, "Prețuri cam mari.")),
    "en": ((9, "Great shop."), (7, ""), (2, "Not impressed.")),
}


def _mark_sent(ids: list[int], now: dt.datetime) -> None:
    SurveyInvitation.objects.filter(pk__in=ids, status=InvitationStatus.QUEUED).exclude(channel=SurveyChannel.LINK).update(
        status=InvitationStatus.SENT, sent_at=now, next_attempt_at=None,
    )


def _answer(invitations: list[SurveyInvitation], samples: dict[str, tuple[tuple[int, str], ...]], rng: random.Random,
            share: float) -> int:
    answered = 0
    for invitation in invitations:
        if rng.random() >= share:
            continue
        score, comment = rng.choice(samples.get(invitation.language, samples["en"]))
        response_submit(invitation=invitation, score=score, comment=comment)
        answered += 1
    return answered


def load_demo_feedback(*, actor: Any, contacts: list[Contact], rng: random.Random, now: dt.datetime) -> int:
    """Answer most of the demo tickets' CSAT surveys and run a small NPS campaign; return how many answers."""
    csat = list(SurveyInvitation.objects.filter(kind=SurveyKind.CSAT).order_by("id"))
    _mark_sent([i.pk for i in csat], now)
    answered = _answer(csat, CSAT_SAMPLES, rng, share=0.8)
    chosen = sorted({c.pk for c in contacts if c.primary_email})[:NPS_PEOPLE]
    if not chosen:
        return answered
    campaign = campaign_create(actor=actor, data={"name": DEMO_CAMPAIGN, "audience": "contacts", "contact_ids": chosen})
    campaign_run(campaign_id=campaign.pk)  # at once: the demo shows results without a worker
    nps = list(SurveyInvitation.objects.filter(campaign=campaign).order_by("id"))
    _mark_sent([i.pk for i in nps], now)
    return answered + _answer(nps, NPS_SAMPLES, rng, share=0.7)
