"""Commerce reads: lifetime spend with exchange rates, balance, credit, recent orders, query counts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from kliyan.commerce import listings, queries
from kliyan.commerce.queries import Customer
from kliyan.commerce.tests.builders import (
    at,
    make_category,
    make_invoice,
    make_order,
    make_payment,
    make_product,
    make_rate,
    make_terms,
)
from kliyan.contacts.services import company_create, contact_create
from kliyan.core.models import Organisation
from kliyan.core.organisation import get_organisation

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 6, 15)


@pytest.fixture
def person(agent):
    return contact_create(actor=agent, data={"first_name": "Marie", "last_name": "Joseph"})


@pytest.fixture
def firm(agent):
    return company_create(actor=agent, data={"name": "Kafe Lakay"})


# --- Lifetime spend -------------------------------------------------------------------


def test_lifetime_spend_converts_each_order_at_the_rate_of_its_day(person) -> None:
    make_rate("USD", "2026-01-01", "130")
    make_rate("USD", "2026-03-01", "132.5")
    make_order(contact=person, total="1000", currency="HTG", ordered_at=at("2026-02-10"))
    make_order(contact=person, total="10", currency="USD", ordered_at=at("2026-02-20"))  # 1300
    make_order(contact=person, total="20", currency="USD", ordered_at=at("2026-03-01"))  # 2650
    life = queries.lifetime_value(Customer.of_contact(person.pk))
    assert life.currency == "HTG"
    assert life.spend == Decimal("4950.0000")
    assert life.order_count == 3
    assert life.unconverted == {}
    assert (life.first_purchase_at, life.last_purchase_at) == (at("2026-02-10"), at("2026-03-01"))


def test_the_rate_day_is_the_organisations_day_not_utcs(person) -> None:
    """00:30 UTC on 1 March is still 28 February in Port-au-Prince: February's rate applies."""
    make_rate("USD", "2026-01-01", "130")
    make_rate("USD", "2026-03-01", "200")
    make_order(contact=person, total="1", currency="USD", ordered_at=at("2026-03-01", hour=0))
    assert queries.lifetime_value(Customer.of_contact(person.pk)).spend == Decimal("130.0000")


def test_a_currency_without_a_rate_is_reported_unconverted_not_dropped(person) -> None:
    make_rate("EUR", "2026-05-01", "150")
    make_order(contact=person, total="500", currency="HTG", ordered_at=at("2026-04-01"))
    make_order(contact=person, total="7.5", currency="EUR", ordered_at=at("2026-04-02"))  # before the first EUR rate
    make_order(contact=person, total="2", currency="EUR", ordered_at=at("2026-05-02"))
    make_order(contact=person, total="40", currency="RON", ordered_at=at("2026-05-03"))
    life = queries.lifetime_value(Customer.of_contact(person.pk))
    assert life.spend == Decimal("800.0000")
    assert life.unconverted == {"EUR": Decimal("7.5000"), "RON": Decimal("40.0000")}
    assert life.order_count == 4


def test_cancelled_refunded_and_draft_orders_are_not_purchases(person) -> None:
    make_order(contact=person, total="100", ordered_at=at("2026-01-05"))
    make_order(contact=person, total="200", status="paid", ordered_at=at("2026-01-06"))
    make_order(contact=person, total="300", status="fulfilled", ordered_at=at("2026-01-07"))
    for status in ("cancelled", "refunded", "draft"):
        make_order(contact=person, total="9999", status=status, ordered_at=at("2026-02-01"))
    life = queries.lifetime_value(Customer.of_contact(person.pk))
    assert (life.spend, life.order_count, life.last_purchase_at) == (Decimal("600.0000"), 3, at("2026-01-07"))


def test_a_customer_without_orders_has_nothing(person) -> None:
    life = queries.lifetime_value(Customer.of_contact(person.pk))
    assert (life.spend, life.order_count, life.first_purchase_at, life.unconverted) == (Decimal("0"), 0, None, {})


def test_the_organisation_currency_is_the_reporting_currency(person) -> None:
    Organisation.objects.update_or_create(pk=1, defaults={"currency": "USD"})
    make_rate("HTG", "2026-01-01", "0.0075")
    make_order(contact=person, total="1000", currency="HTG", ordered_at=at("2026-02-01"))
    make_order(contact=person, total="5", currency="USD", ordered_at=at("2026-02-01"))
    life = queries.lifetime_value(Customer.of_contact(person.pk))
    assert (life.currency, life.spend) == ("USD", Decimal("12.5000"))


def test_company_lifetime_counts_the_orders_billed_to_the_company(person, firm) -> None:
    make_order(company=firm, contact=person, total="100")
    make_order(company=firm, total="50")
    make_order(contact=person, total="7")
    assert queries.lifetime_value(Customer.of_company(firm.pk)).spend == Decimal("150.0000")
    assert queries.lifetime_value(Customer.of_contact(person.pk)).spend == Decimal("107.0000")


# --- Balance --------------------------------------------------------------------------


def test_balance_is_open_invoices_minus_unapplied_payments_and_overdue_is_past_due(person) -> None:
    make_invoice(contact=person, total="500", paid="100", due_on=TODAY - dt.timedelta(days=1))  # 400, overdue
    make_invoice(contact=person, total="300", due_on=TODAY)  # 300, due today: not overdue
    make_invoice(contact=person, total="999", status="paid", paid="999")
    make_invoice(contact=person, total="888", status="void")
    make_payment(contact=person, amount="50")  # unapplied
    invoice = make_invoice(contact=person, total="10", paid="10", status="paid")
    make_payment(contact=person, amount="10", invoice=invoice)  # applied: already in amount_paid
    balance = queries.open_balance(Customer.of_contact(person.pk), today=TODAY)
    assert (balance.currency, balance.due, balance.overdue) == ("HTG", Decimal("650.0000"), Decimal("400.0000"))
    assert (balance.open_invoices, balance.overdue_invoices, balance.unconverted) == (2, 1, {})


def test_balance_never_goes_below_zero_and_overdue_never_exceeds_due(person) -> None:
    make_invoice(contact=person, total="100", due_on=TODAY - dt.timedelta(days=10))
    make_payment(contact=person, amount="80")
    balance = queries.open_balance(Customer.of_contact(person.pk), today=TODAY)
    assert (balance.due, balance.overdue) == (Decimal("20.0000"), Decimal("20.0000"))
    make_payment(contact=person, amount="500")
    balance = queries.open_balance(Customer.of_contact(person.pk), today=TODAY)
    assert (balance.due, balance.overdue) == (Decimal("0"), Decimal("0"))


def test_an_overpaid_open_invoice_counts_as_nothing_due(person) -> None:
    make_invoice(contact=person, total="100", paid="130")
    make_invoice(contact=person, total="100")
    assert queries.open_balance(Customer.of_contact(person.pk), today=TODAY).due == Decimal("100.0000")


def test_balance_in_one_foreign_currency_stays_in_it(person) -> None:
    make_invoice(contact=person, total="75.50", currency="USD")
    balance = queries.open_balance(Customer.of_contact(person.pk), today=TODAY)
    assert (balance.currency, balance.due) == ("USD", Decimal("75.5000"))


def test_balance_in_several_currencies_converts_at_todays_rate(person) -> None:
    make_rate("USD", "2026-01-01", "100")
    make_rate("USD", "2026-06-01", "130")
    make_rate("USD", "2026-07-01", "999")  # not yet valid
    make_invoice(contact=person, total="10", currency="USD")
    make_invoice(contact=person, total="200", currency="HTG")
    make_invoice(contact=person, total="5", currency="EUR")  # no EUR rate
    balance = queries.open_balance(Customer.of_contact(person.pk), today=TODAY)
    assert (balance.currency, balance.due) == ("HTG", Decimal("1500.0000"))
    assert balance.unconverted == {"EUR": Decimal("5.0000")}


# --- Credit ---------------------------------------------------------------------------


def test_available_credit_is_the_limit_minus_the_open_balance(person) -> None:
    make_terms(contact=person, limit="1000", days=45)
    make_invoice(contact=person, total="300")
    make_invoice(contact=person, total="200", paid="50")
    credit = queries.credit_position(Customer.of_contact(person.pk), today=TODAY)
    assert (credit.limit, credit.open_balance, credit.available) == (Decimal("1000"), Decimal("450.0000"), Decimal("550.0000"))
    assert (credit.payment_terms_days, credit.on_hold, credit.holder) == (45, False, "contact")


def test_available_credit_never_goes_below_zero(person) -> None:
    make_terms(contact=person, limit="100", on_hold=True)
    make_invoice(contact=person, total="300")
    credit = queries.credit_position(Customer.of_contact(person.pk), today=TODAY)
    assert (credit.available, credit.on_hold) == (Decimal("0"), True)


def test_credit_in_another_currency_converts_the_balance(person) -> None:
    make_rate("USD", "2026-01-01", "130")
    make_terms(contact=person, limit="100", currency="USD")
    make_invoice(contact=person, total="2600", currency="HTG")  # 20 USD
    credit = queries.credit_position(Customer.of_contact(person.pk), today=TODAY)
    assert (credit.open_balance, credit.available) == (Decimal("20.0000"), Decimal("80.0000"))


def test_available_credit_is_unknown_when_the_balance_cannot_be_converted(person) -> None:
    make_terms(contact=person, limit="100", currency="USD")
    make_invoice(contact=person, total="2600", currency="HTG")
    credit = queries.credit_position(Customer.of_contact(person.pk), today=TODAY)
    assert (credit.open_balance, credit.available, credit.unconverted) == (None, None, {"HTG": Decimal("2600.0000")})


def test_a_contact_without_terms_uses_their_companys(agent, firm) -> None:
    worker = contact_create(actor=agent, data={"first_name": "Jean", "company_id": firm.pk})
    make_terms(company=firm, limit="5000")
    make_invoice(company=firm, total="1200")
    make_invoice(contact=worker, total="1")  # the person's own invoice is not the company's account
    summary = queries.contact_commerce_summary(worker, today=TODAY)
    assert (summary.credit.holder, summary.credit.holder_id, summary.credit.available) == ("company", firm.pk, Decimal("3800.0000"))
    assert summary.balance.due == Decimal("1.0000")


def test_a_contacts_own_terms_win_over_their_companys(agent, firm) -> None:
    worker = contact_create(actor=agent, data={"first_name": "Jean", "company_id": firm.pk})
    make_terms(company=firm, limit="5000")
    make_terms(contact=worker, limit="10")
    assert queries.contact_commerce_summary(worker, today=TODAY).credit.limit == Decimal("10")


def test_no_terms_means_no_credit(person) -> None:
    assert queries.credit_position(Customer.of_contact(person.pk)) is None
    assert queries.contact_commerce_summary(person).credit is None


# --- Recent orders and the summary's cost ---------------------------------------------


def test_recent_orders_are_the_newest_five_with_their_lines(person) -> None:
    for day in range(1, 9):
        make_order(contact=person, ordered_at=at(f"2026-01-0{day}"), status="cancelled" if day == 8 else "placed",
                   lines=[("Coffee", "2", "50"), ("Mug", "1.5", "10")])
    orders = queries.recent_orders(Customer.of_contact(person.pk))
    assert [o.ordered_at.day for o in orders] == [8, 7, 6, 5, 4]
    assert queries.items_summary(orders[0]) == "2 × Coffee, 1.5 × Mug"


def test_items_summary_shortens_long_orders(person) -> None:
    order = make_order(contact=person, lines=[(f"Thing {n}", "1", "1") for n in range(5)])
    order = queries.recent_orders(Customer.of_contact(person.pk))[0]
    assert queries.items_summary(order) == "1 × Thing 0, 1 × Thing 1, 1 × Thing 2, …"


def test_summary_query_count_does_not_grow_with_orders(person, django_assert_num_queries) -> None:
    make_terms(contact=person)
    make_order(contact=person)
    make_invoice(contact=person, total="10")
    get_organisation()  # cached in real use
    with django_assert_num_queries(1 + 2) as few:  # balance, credit and lifetime; the orders and their lines
        queries.contact_commerce_summary(person, today=TODAY)
    for n in range(30):
        make_order(contact=person, currency="USD" if n % 2 else "HTG", lines=[("A", "1", "1"), ("B", "2", "2")])
        make_invoice(contact=person, total="5", currency="EUR" if n % 3 else "HTG")
        make_payment(contact=person, amount="1")
    with django_assert_num_queries(len(few.captured_queries) + 1):  # + the rates, now that currencies mix
        summary = queries.contact_commerce_summary(person, today=TODAY)
    assert summary.lifetime.order_count == 31
    assert len(summary.recent_orders) == 5


def test_company_summary(firm) -> None:
    make_terms(company=firm, limit="900")
    make_order(company=firm, total="250")
    make_invoice(company=firm, total="250")
    summary = queries.company_commerce_summary(firm.pk, today=TODAY)
    assert (summary.lifetime.spend, summary.balance.due, summary.credit.available) == (
        Decimal("250.0000"), Decimal("250.0000"), Decimal("650.0000"))
    assert [o.total for o in summary.recent_orders] == [Decimal("250")]


def test_purchased_product_ids_are_the_products_of_purchases(person) -> None:
    coffee, mug = make_product("Coffee"), make_product("Mug")
    order = make_order(contact=person)
    order.lines.update(product=coffee)
    cancelled = make_order(contact=person, status="cancelled")
    cancelled.lines.update(product=mug)
    assert queries.purchased_product_ids(Customer.of_contact(person.pk)) == {coffee.pk}


# --- Lists ----------------------------------------------------------------------------


def test_category_filter_includes_subcategories(db) -> None:
    shoes = make_category("Shoes")
    kids = make_category("Children's shoes", parent=shoes)
    make_product("Sandal", category=kids)
    make_product("Boot", category=shoes)
    make_product("Hat", category=make_category("Hats"))
    page = listings.product_page(listings.ProductFilters(category_id=shoes.pk), cursor=None, size=10)
    assert [p.name for p in page.items] == ["Boot", "Sandal"]
    labels = [label for _pk, label in listings.category_choices()]
    assert labels == ["Hats", "Shoes", "Shoes › Children's shoes"]


def test_product_search_matches_name_or_sku(db) -> None:
    make_product("Blue mug", sku="MUG-1")
    make_product("Coffee", sku="COF-1")
    found = listings.product_page(listings.ProductFilters(q="mug"), cursor=None, size=10).items
    assert [p.sku for p in found] == ["MUG-1"]
    assert [p.sku for p in listings.product_page(listings.ProductFilters(q="cof-"), cursor=None, size=10).items] == ["COF-1"]


def test_timeline_orders_carry_their_first_line_and_line_count_in_one_query(person, django_assert_num_queries) -> None:
    make_order(contact=person, ordered_at=at("2026-01-01"), lines=[("Coffee", "2", "5"), ("Mug", "1", "3")])
    make_order(contact=person, ordered_at=at("2026-01-02"), lines=[("", "1", "5")])
    with django_assert_num_queries(1):
        orders = queries.orders_for_timeline(person.pk, limit=10, before=None)
    assert [(o.first_label, o.first_quantity, o.line_count) for o in orders] == [
        ("L0", Decimal("1"), 1), ("Coffee", Decimal("2"), 2),
    ]


def test_timeline_orders_before_a_time_are_the_older_ones(person) -> None:
    for day in range(1, 6):
        make_order(contact=person, number=f"SO-{day}", ordered_at=at(f"2026-01-0{day}"))
    older = queries.orders_for_timeline(person.pk, limit=2, before=at("2026-01-04"))
    assert [o.number for o in older] == ["SO-3", "SO-2"]
    assert [o.number for o in queries.orders_for_timeline(person.pk, limit=2, before=None)] == ["SO-5", "SO-4"]


def test_prepared_reads_follow_each_customer_and_day(person, agent) -> None:
    """The SQL is compiled once; each call still reads its own customer and its own day."""
    other = contact_create(actor=agent, data={"first_name": "Jean"})
    make_invoice(contact=person, total="10", due_on=dt.date(2026, 6, 1))
    make_invoice(contact=other, total="99", due_on=dt.date(2026, 6, 20))
    assert queries.open_balance(Customer.of_contact(person.pk), today=TODAY).overdue == Decimal("10.0000")
    assert queries.open_balance(Customer.of_contact(other.pk), today=TODAY).overdue == Decimal("0")
    assert queries.open_balance(Customer.of_contact(other.pk), today=dt.date(2026, 7, 1)).overdue == Decimal("99.0000")
