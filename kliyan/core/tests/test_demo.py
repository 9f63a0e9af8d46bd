"""Demo data: realistic, valid, across five countries and every channel, loaded once."""

from __future__ import annotations

import re

import pytest
from django.db.models import Count

from kliyan.accounts.models import Role, User
from kliyan.cli import main
from kliyan.contacts.models import Address, Company, Consent, Contact, PhoneNumber
from kliyan.contacts.queries import birthdays_on
from kliyan.core.choices import Channel
from kliyan.core.demo import DEMO_ADMIN, DemoAlreadyLoaded, demo_today, load_demo
from kliyan.core.demo.data import COUNTRIES
from kliyan.core.models import AuditEntry
from kliyan.core.phones import parse_phone
from kliyan.interactions.choices import TaskStatus
from kliyan.interactions.models import Interaction, Note, Task

CALLING_CODES = {"HT": "+509", "MW": "+265", "AL": "+355", "RO": "+40", "FR": "+33"}
E164 = re.compile(r"^\+[1-9]\d{7,14}$")


@pytest.mark.django_db
def test_the_full_demo_is_realistic_and_complete() -> None:
    summary = load_demo()
    today = demo_today()

    assert Contact.objects.count() == 200
    assert Company.objects.count() == 40
    assert summary.people == 200 and summary.companies == 40

    # Purchases through the ingestion path: orders, balances, credit and suggestions to show.
    from kliyan.analytics.recommendations import recommendations_for
    from kliyan.commerce.models import CreditTerms, Invoice, Order, Payment, Product

    assert summary.orders == Order.objects.count() > 150
    assert Product.objects.filter(stock_on_hand__gt=0).exists()
    assert Invoice.objects.filter(status="open").exists() and Payment.objects.exists()
    assert CreditTerms.objects.filter(contact__isnull=False).exists() and CreditTerms.objects.filter(company__isnull=False).exists()
    buyers = Order.objects.filter(status="fulfilled").values_list("contact_id", flat=True).distinct()[:30]
    assert any(recommendations_for(pk) for pk in buyers)

    # Phones: valid E.164 numbers from each of the five countries.
    numbers = list(PhoneNumber.objects.values_list("e164", flat=True))
    assert all(E164.match(n) and parse_phone(n).e164 == n for n in numbers)
    for code, prefix in CALLING_CODES.items():
        assert sum(n.startswith(prefix) for n in numbers) >= 40, code
    assert len(numbers) == len(set(numbers))

    # Real towns and names with their diacritics.
    cities = set(Address.objects.values_list("city", flat=True))
    assert {"Port-au-Prince", "Lilongwe", "Tirana", "București", "Lyon"} <= cities
    firsts = set(Contact.objects.values_list("first_name", flat=True))
    assert {"Ștefan", "Arbër", "Céline", "Chikondi"} & firsts
    assert set(Address.objects.values_list("country", flat=True)) == set(CALLING_CODES)

    # Every channel; questions in the country's language.
    assert set(Interaction.objects.values_list("channel", flat=True)) == set(Channel.values)
    romanian = {q for q, _a in next(c for c in COUNTRIES if c.code == "RO").conversations}
    asked_in_romania = Interaction.objects.filter(contact__addresss__country="RO").values_list("question", flat=True)
    assert asked_in_romania and set(asked_in_romania) <= romanian

    # My day has something to show: overdue and today's tasks, birthdays today.
    admin = User.objects.get(username=DEMO_ADMIN)
    assert admin.role == Role.ADMIN
    mine = Task.objects.filter(assignee=admin, status=TaskStatus.OPEN)
    assert mine.filter(due_date__lt=today).exists()
    assert mine.filter(due_date=today).exists()
    assert birthdays_on(today).count() >= 3
    assert Task.objects.filter(status=TaskStatus.DONE).exists()

    assert Consent.objects.values("channel").distinct().count() == 5
    assert Note.objects.exists()
    assert Contact.objects.filter(company__isnull=False).exists()
    assert Contact.objects.annotate(n=Count("tags")).filter(n__gt=0).exists()
    assert Contact.objects.annotate(n=Count("interests")).filter(n__gt=0).count() == 200

    # Written through the services: each contact has its audit entry, marked as from the CLI.
    assert AuditEntry.objects.filter(object_type="contacts.contact", action="create", via="cli").count() == 200


@pytest.mark.django_db
def test_loading_the_demo_twice_changes_nothing() -> None:
    load_demo(people=10, companies=5)
    counts = (Contact.objects.count(), Company.objects.count(), Interaction.objects.count(), AuditEntry.objects.count())

    with pytest.raises(DemoAlreadyLoaded):
        load_demo(people=10, companies=5)

    assert (Contact.objects.count(), Company.objects.count(), Interaction.objects.count(), AuditEntry.objects.count()) == counts


@pytest.mark.django_db
def test_the_same_seed_gives_the_same_people() -> None:
    load_demo(people=8, companies=2, seed=7)
    first = list(Contact.objects.order_by("id").values_list("display_name", "primary_phone"))
    Contact.objects.all().delete()
    Company.objects.all().delete()
    AuditEntry.objects.all().delete()

    load_demo(people=8, companies=2, seed=7)

    assert list(Contact.objects.order_by("id").values_list("display_name", "primary_phone")) == first


@pytest.mark.django_db
def test_kliyan_demo_prints_the_login_then_skips_when_loaded(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--people", "10", "--companies", "5", "--seed", "3"]) == 0
    out = capsys.readouterr().out
    password = re.search(r"Log in as “demo” with the password “([^”]+)”", out).group(1)
    assert User.objects.get(username="demo").check_password(password)
    assert "Loaded 10 people, 5 companies" in out

    assert main(["demo", "--people", "10"]) == 0

    assert "already loaded" in capsys.readouterr().out
    assert Contact.objects.count() == 10


def test_kliyan_demo_rejects_a_negative_count(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--people", "-3"]) == 2

    assert "must be 0 or more" in capsys.readouterr().err
