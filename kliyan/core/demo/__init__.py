"""Demo data: people and companies from Haiti, Malawi, Albania, Romania and France.

Everything is written through the services, so demo data is validated, normalised and
audited exactly like data typed by staff. The load ends with an audit entry of type
`core.demo`, which is how a second load knows the demo is already there.
"""

from __future__ import annotations

import datetime as dt
import random
import re
import secrets
import zoneinfo
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from kliyan.accounts.models import Role, User
from kliyan.accounts.services import user_create
from kliyan.contacts.choices import ConsentChannel, ConsentMethod, ConsentStatus, Source
from kliyan.contacts.models import Company, Contact
from kliyan.contacts.services import company_create, consent_set, contact_create
from kliyan.core.audit import audit_context, record
from kliyan.core.choices import Channel
from kliyan.core.demo.data import COUNTRIES, INTERESTS, STAFF, TAGS, CountryData
from kliyan.core.models import AuditAction, AuditEntry
from kliyan.core.organisation import get_organisation
from kliyan.core.phones import InvalidPhone, parse_phone
from kliyan.core.text import fold
from kliyan.interactions.choices import Direction, Outcome
from kliyan.interactions.services import interaction_log, note_add, task_create, task_update

DEMO_MARKER = "core.demo"
DEMO_ADMIN = "demo"
DEMO_PASSWORD_FILE = "demo_admin_password"
DEFAULT_SEED = 509
STAFF_EMAIL_DOMAIN = "kliyan.example"
# Leap years, for people born on a 29 February when today is one.
LEAP_YEARS = tuple(range(1964, 2008, 4))


class DemoAlreadyLoaded(Exception):
    """The demo data is in the database already."""


@dataclass(frozen=True)
class DemoLogin:
    username: str
    password: str | None  # None when the password was set before and is no longer known


@dataclass
class DemoSummary:
    people: int = 0
    companies: int = 0
    interactions: int = 0
    tasks: int = 0
    notes: int = 0
    consents: int = 0
    orders: int = 0
    articles: int = 0
    tickets: int = 0
    surveys: int = 0
    birthdays_today: list[str] = field(default_factory=list)


def demo_loaded() -> bool:
    return AuditEntry.objects.filter(object_type=DEMO_MARKER).exists()


def demo_today() -> dt.date:
    """Return today's date where the organisation is (what "My day" shows)."""
    try:
        tz = zoneinfo.ZoneInfo(get_organisation().timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        tz = dt.UTC
    return timezone.localdate(timezone=tz)


# --- Staff ------------------------------------------------------------------------------

def _password_file() -> Path:
    return Path(settings.DATA_DIR) / DEMO_PASSWORD_FILE


def ensure_demo_admin() -> DemoLogin:
    """Create the demo administrator with a generated password, kept in the data directory.

    The password is generated rather than documented, so a demo left listening on a
    network is not open to anyone who has read the README.
    """
    path = _password_file()
    if User.objects.filter(username=DEMO_ADMIN).exists():
        password = path.read_text(encoding="utf-8").strip() if path.exists() else None
        return DemoLogin(DEMO_ADMIN, password)
    password = secrets.token_urlsafe(9)
    with audit_context(via="cli"):
        user_create(
            actor=None, username=DEMO_ADMIN, password=password, email=f"{DEMO_ADMIN}@{STAFF_EMAIL_DOMAIN}",
            role=Role.ADMIN, first_name="Demo", last_name="Admin", check_password=False,
        )
    path.write_text(password + "\n", encoding="utf-8")
    path.chmod(0o600)
    return DemoLogin(DEMO_ADMIN, password)


def _ensure_staff(admin: User) -> dict[str, User]:
    """Return the demo staff by country code, creating them (they log in only after a reset)."""
    staff = {}
    for (username, first, last, language, role), country in zip(STAFF, COUNTRIES):
        user = User.objects.filter(username=username).first()
        if user is None:
            user = user_create(
                actor=admin, username=username, password=secrets.token_urlsafe(24), email=f"{username}@{STAFF_EMAIL_DOMAIN}",
                role=role, first_name=first, last_name=last, language=language, check_password=False,
            )
        staff[country.code] = user
    return staff


# --- Generators --------------------------------------------------------------------------

class _Generator:
    """Random but reproducible values (one seed gives one demo), unique where they must be."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.used_phones: set[str] = set()
        self.used_emails: set[str] = set()

    def phone(self, country: CountryData) -> str:
        """Return a valid mobile number of `country`, typed the way people type them."""
        while True:
            prefix = self.rng.choice(country.mobile_prefixes)
            rest = "".join(str(self.rng.randint(0, 9)) for _ in range(country.subscriber_digits))
            typed = self._typed(prefix, rest)
            try:
                e164 = parse_phone(typed).e164
            except InvalidPhone:
                continue
            if e164 not in self.used_phones:
                self.used_phones.add(e164)
                return typed

    def _typed(self, prefix: str, rest: str) -> str:
        style = self.rng.randrange(3)
        if style == 0:
            return f"{prefix} {rest[:3]} {rest[3:]}"
        if style == 1:
            return "00" + prefix[1:].replace(" ", "") + rest
        return f"{prefix}-{'-'.join(re.findall('..?', rest))}"

    def email(self, first: str, last: str, domain: str) -> str:
        base = re.sub(r"[^a-z0-9]+", ".", fold(f"{first} {last}")).strip(".")
        candidate, n = f"{base}@{domain}", 1
        while candidate in self.used_emails:
            n += 1
            candidate = f"{base}{n}@{domain}"
        self.used_emails.add(candidate)
        return candidate

    def address(self, country: CountryData, kind: str = "home") -> dict[str, str]:
        town = self.rng.choice(country.towns)
        return {
            "street": f"{self.rng.randint(1, 180)} {self.rng.choice(country.streets)}",
            "city": town.name, "region": town.region, "postal_code": town.postal_code,
            "country": country.code, "kind": kind,
        }

    def birthday(self, today: dt.date, *, on_today: bool) -> dt.date:
        if on_today:
            years = LEAP_YEARS if (today.month, today.day) == (2, 29) else tuple(range(1955, 2005))
            return today.replace(year=self.rng.choice(years))
        return dt.date(self.rng.randint(1950, 2005), 1, 1) + dt.timedelta(days=self.rng.randrange(365))

    def moment(self, now: dt.datetime, *, max_days: int) -> dt.datetime:
        """Return a time in the last `max_days` days, during opening hours-ish."""
        return now - dt.timedelta(days=self.rng.randrange(max_days), minutes=self.rng.randrange(30, 600))


# --- Loading ----------------------------------------------------------------------------

def _companies(gen: _Generator, count: int, admin: User, staff: dict[str, User]) -> dict[str, list[Company]]:
    by_country: dict[str, list[Company]] = {c.code: [] for c in COUNTRIES}
    for n in range(count):
        country = COUNTRIES[n % len(COUNTRIES)]
        name, industry = country.companies[(n // len(COUNTRIES)) % len(country.companies)]
        if n >= len(COUNTRIES) * len(country.companies):
            name = f"{name} {gen.rng.choice(country.towns).name}"
        slug = re.sub(r"[^a-z0-9]+", "-", fold(name)).strip("-")
        company = company_create(actor=admin, data={
            "name": name, "industry": industry, "website": f"https://{slug}.{country.email_domain}",
            "owner": staff[country.code].pk, "source": gen.rng.choice(Source.values),
            "emails": [{"email": f"contact@{slug}.{country.email_domain}", "kind": "work"}],
            "phones": [{"number": gen.phone(country), "kind": "work"}],
            "addresses": [gen.address(country, kind="work")],
            "tags": gen.rng.sample(("Wholesale", "VIP", "Supplier", "Partner"), k=gen.rng.randint(0, 2)),
        })
        by_country[country.code].append(company)
    return by_country


def _person_data(
    gen: _Generator, country: CountryData, *, company: Company | None, birthday: dt.date,
    owner: User, referred_by: Contact | None,
) -> dict[str, Any]:
    rng = gen.rng
    first, last = rng.choice(country.first_names), rng.choice(country.last_names)
    phones = [{"number": gen.phone(country), "kind": "mobile"}]
    if rng.random() < 0.3:
        phones.append({"number": gen.phone(country), "kind": rng.choice(("whatsapp", "work", "home"))})
    source = Source.REFERRAL if referred_by else rng.choice(Source.values)
    return {
        "first_name": first, "last_name": last,
        "company": company.pk if company else None,
        "job_title": rng.choice(("", "", "Owner", "Manager", "Buyer", "Accountant")) if company else "",
        "birthday": birthday,
        "language": rng.choice(country.languages),
        "preferred_channel": rng.choice((Channel.WHATSAPP, Channel.PHONE, Channel.SMS, Channel.EMAIL, Channel.INSTAGRAM, Channel.FACEBOOK)),
        "owner": owner.pk,
        "source": source,
        "referred_by": referred_by.pk if referred_by else None,
        "emails": [{"email": gen.email(first, last, country.email_domain), "kind": "personal"}],
        "phones": phones,
        "addresses": [gen.address(country)],
        "tags": rng.sample(TAGS, k=rng.choice((0, 1, 1, 2))),
        "interests": rng.sample(INTERESTS, k=rng.randint(1, 3)),
    }


def _consents(gen: _Generator, *, actor: User, contact: Contact, now: dt.datetime) -> int:
    rng = gen.rng
    written = 0
    for channel in rng.sample(ConsentChannel.values, k=rng.randint(1, 3)):
        granted_at = gen.moment(now, max_days=400)
        consent_set(
            actor=actor, contact=contact, channel=channel, status=ConsentStatus.GRANTED,
            method=rng.choice((ConsentMethod.VERBAL, ConsentMethod.WRITTEN, ConsentMethod.WEB_FORM, ConsentMethod.MESSAGE)),
            at=granted_at,
        )
        written += 1
        if rng.random() < 0.1:
            consent_set(
                actor=actor, contact=contact, channel=channel, status=ConsentStatus.WITHDRAWN,
                method=ConsentMethod.UNSUBSCRIBE, at=granted_at + (now - granted_at) / 2,
            )
            written += 1
    return written


def _interactions(
    gen: _Generator, *, country: CountryData, contact: Contact, agent: User, admin: User, today: dt.date,
    now: dt.datetime, channels: list[str],
) -> tuple[int, int]:
    """Log a few interactions; return (interactions, follow-up tasks)."""
    rng = gen.rng
    logged = tasks = 0
    for _ in range(rng.randint(1, 6)):
        # Take channels from the shared list first, so every channel appears in the demo.
        channel = channels.pop() if channels else rng.choice(Channel.values)
        question, answer = rng.choice(country.conversations)
        outcome = rng.choice(Outcome.values)
        data: dict[str, Any] = {
            "channel": channel, "direction": rng.choice(Direction.values), "occurred_at": gen.moment(now, max_days=180),
            "question": question, "answer": answer, "outcome": outcome,
        }
        if outcome == Outcome.FOLLOW_UP:
            data["follow_up"] = {
                "title": rng.choice(country.task_titles),
                "due_date": today + dt.timedelta(days=rng.randint(-10, 14)),
                "assignee": rng.choice((agent, admin)).pk,
            }
            tasks += 1
        if logged == 0 and contact.pk % 2 == 0:
            # The customer asked about something they care about: one of their own interests, so the
            # demo's random draws (and the contacts' interests) stay as they were.
            data["interests"] = [interest.name for interest in contact.interests.all()[:1]]
        interaction_log(actor=agent, contact=contact, data=data)
        logged += 1
    return logged, tasks


def _my_day_tasks(gen: _Generator, *, admin: User, staff: dict[str, User], people: list[tuple[Contact, CountryData]], today: dt.date, now: dt.datetime) -> int:
    """Give the demo admin and each agent overdue, today's, later and finished tasks."""
    rng = gen.rng
    made = 0
    plan = [(-9, 3), (-1, 3), (0, 4), (3, 3), (10, 2)]  # (days from today, how many)
    for assignee in [admin, *staff.values()]:
        for offset, count in plan:
            for _ in range(count):
                contact, country = rng.choice(people)
                data: dict[str, Any] = {
                    "title": rng.choice(country.task_titles), "contact": contact.pk, "assignee": assignee.pk,
                    "due_date": today + dt.timedelta(days=offset),
                }
                if offset >= 0 and rng.random() < 0.5:
                    data["remind_at"] = now + dt.timedelta(hours=rng.randint(1, 48))
                task = task_create(actor=admin, data=data)
                made += 1
                if offset < 0 and rng.random() < 0.3:
                    task_update(actor=assignee, task=task, data={"status": "done"})
    return made


def load_demo(*, people: int = 200, companies: int = 40, seed: int = DEFAULT_SEED) -> DemoSummary:
    """Load the demo in one transaction; raise DemoAlreadyLoaded if it is there already."""
    with audit_context(via="cli"), transaction.atomic():
        if demo_loaded():
            raise DemoAlreadyLoaded()
        ensure_demo_admin()
        admin = User.objects.get(username=DEMO_ADMIN)
        staff = _ensure_staff(admin)
        gen = _Generator(seed)
        today, now = demo_today(), timezone.now()
        summary = DemoSummary()
        by_country = _companies(gen, companies, admin, staff)
        summary.companies = companies
        channels = list(reversed(Channel.values))
        everyone: list[tuple[Contact, CountryData]] = []
        # A few birthdays today, spread over the countries.
        birthday_slots = set(range(3, people, max(people // 6, 1)))
        for n in range(people):
            country = COUNTRIES[n % len(COUNTRIES)]
            agent = staff[country.code]
            pool = by_country[country.code]
            company = gen.rng.choice(pool) if pool and gen.rng.random() < 0.45 else None
            earlier = [c for c, k in everyone[-40:] if k is country]
            referred_by = gen.rng.choice(earlier) if earlier and gen.rng.random() < 0.15 else None
            data = _person_data(
                gen, country, company=company, owner=agent, referred_by=referred_by,
                birthday=gen.birthday(today, on_today=n in birthday_slots),
            )
            contact = contact_create(actor=agent, data=data)
            everyone.append((contact, country))
            if n in birthday_slots:
                summary.birthdays_today.append(contact.display_name)
            summary.consents += _consents(gen, actor=agent, contact=contact, now=now)
            logged, follow_ups = _interactions(
                gen, country=country, contact=contact, agent=agent, admin=admin, today=today, now=now, channels=channels,
            )
            summary.interactions += logged
            summary.tasks += follow_ups
            if gen.rng.random() < 0.25:
                note_add(actor=agent, contact=contact, body=gen.rng.choice(country.notes))
                summary.notes += 1
        summary.people = people
        if everyone:
            summary.tasks += _my_day_tasks(gen, admin=admin, staff=staff, people=everyone, today=today, now=now)
        # Imported here: core must not need the apps built on it at import time.
        from kliyan.analytics.services import rebuild_all
        from kliyan.commerce.demo import load_demo_commerce

        bought = load_demo_commerce(
            actor=admin, contacts=[c for c, _k in everyone], companies=[c for pool in by_country.values() for c in pool],
            rng=gen.rng, now=now,
        )
        summary.orders = bought["orders"]
        from kliyan.knowledge.demo import load_demo_knowledge

        summary.articles = load_demo_knowledge(actor=admin)
        from kliyan.service.demo import load_demo_service

        summary.tickets = load_demo_service(
            actor=admin, staff=list(staff.values()), contacts=[c for c, _k in everyone], rng=gen.rng, now=now,
        )
        from kliyan.feedback.demo import load_demo_feedback

        summary.surveys = load_demo_feedback(actor=admin, contacts=[c for c, _k in everyone], rng=gen.rng, now=now)
        # The nightly job would score the demo's purchases; the demo shows suggestions at once.
        rebuild_all()
        record(
            actor=admin, action=AuditAction.CREATE, object_type_label=DEMO_MARKER, object_id="demo",
            label=f"Demo data: {people} people, {companies} companies",
        )
    return summary


__all__ = [
    "DEMO_ADMIN", "DemoAlreadyLoaded", "DemoLogin", "DemoSummary", "demo_loaded", "demo_today",
    "ensure_demo_admin", "load_demo",
]
