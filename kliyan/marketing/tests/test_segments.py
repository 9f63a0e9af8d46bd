"""Segment rules: each kind of condition on a small data set, nesting, one query per count, and bad rules."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kliyan.analytics.services import mark_customers_changed, rebuild_all, refresh_pending
from kliyan.commerce.models import ExchangeRate
from kliyan.commerce.tests.builders import make_category, make_order, make_product
from kliyan.contacts.models import Contact, CustomFieldDefinition, Interest, Tag
from kliyan.contacts.services import consent_set, contact_archive, contact_create
from kliyan.core.errors import ValidationFailed
from kliyan.core.organisation import get_organisation
from kliyan.marketing import segments
from kliyan.marketing.segments import contacts_in, count, validate_rule
from kliyan.service.models import Ticket, TicketCategory

# Noon UTC on a Wednesday in March; the organisation is in Port-au-Prince (UTC-4 then).
NOW = dt.datetime(2026, 3, 11, 16, 0, tzinfo=dt.UTC)


def days_ago(days: int) -> dt.datetime:
    return NOW - dt.timedelta(days=days)


def person(agent: Any, first: str, **data: Any) -> Contact:
    return contact_create(actor=agent, data={"first_name": first, "last_name": data.pop("last_name", "Test"), **data})


@pytest.fixture
def world(db: Any, agent: Any, manager: Any) -> dict[str, Any]:
    """Five people with different histories (named after what sets them apart)."""
    get_organisation()
    vip, regular = Tag.objects.create(name="VIP"), Tag.objects.create(name="Regular")
    coffee_lover = Interest.objects.create(name="Coffee")
    CustomFieldDefinition.objects.create(key="shoe_size", label="Shoe size", field_type="number")
    CustomFieldDefinition.objects.create(key="member", label="Member", field_type="boolean")
    CustomFieldDefinition.objects.create(key="tier", label="Tier", field_type="choice", choices=["gold", "silver"])
    CustomFieldDefinition.objects.create(key="joined", label="Joined", field_type="date")
    shoes = make_category("Shoes")
    trainers = make_category("Trainers", parent=shoes)
    running = make_category("Running", parent=trainers)
    food = make_category("Food")
    runner = make_product("Runner 2", category=running)
    rice = make_product("Rice", category=food)
    delivery = TicketCategory.objects.create(name="Delivery")
    late = TicketCategory.objects.create(name="Late delivery", parent=delivery)

    ana = person(agent, "Ana", birthday="1990-03-20", language="fr", tags=["VIP"], interests=["Coffee"],
                 addresses=[{"city": "Jacmel", "country": "HT"}], source="walk_in",
                 custom_fields={"shoe_size": 38, "member": True, "tier": "gold", "joined": "2020-05-01"},
                 owner=manager.pk)
    bruno = person(agent, "Bruno", birthday="1985-04-02", language="", tags=["Regular"],
                   addresses=[{"city": "Cap-Haïtien", "country": "HT"}], custom_fields={"shoe_size": 44, "member": False})
    chloe = person(agent, "Chloé", birthday="1980-02-29", language="ro", addresses=[{"city": "Iași", "country": "RO"}])
    dan = person(agent, "Dan", language="en")
    eve = person(agent, "Eve", language="en", tags=["VIP"])
    contact_archive(actor=agent, contact=eve)

    consent_set(actor=agent, contact=ana, channel="email", status="granted", method="verbal")
    consent_set(actor=agent, contact=bruno, channel="email", status="withdrawn", method="verbal")
    consent_set(actor=agent, contact=chloe, channel="sms", status="granted", method="verbal")

    # Ana: running shoes 20 days ago and rice a year ago; Bruno: rice 200 days ago, big spender;
    # Chloé: one cancelled order (not a purchase). Dan: nothing.
    make_order(contact=ana, total="3000", ordered_at=days_ago(20), lines=[("Runner", "1", "3000")])
    make_order(contact=ana, total="500", ordered_at=days_ago(365), lines=[("Rice", "5", "100")])
    make_order(contact=bruno, total="9000", ordered_at=days_ago(200), status="paid", lines=[("Rice", "90", "100")])
    make_order(contact=bruno, total="100", currency="USD", ordered_at=days_ago(300), status="fulfilled")
    make_order(contact=chloe, total="7000", ordered_at=days_ago(5), status="cancelled", lines=[("Runner", "2", "3500")])
    _link_products({"Runner": runner, "Rice": rice})
    ExchangeRate.objects.create(currency="USD", valid_from=dt.date(2020, 1, 1), rate="130")

    Ticket.objects.create(contact=ana, subject="Where is my parcel?", category=late, status="open", created_at=days_ago(3))
    Ticket.objects.create(contact=bruno, subject="Thanks", status="closed", created_at=days_ago(100))
    # Spend, order counts and purchase dates are read from the purchase summaries (the nightly count).
    rebuild_all()
    return {
        "ana": ana, "bruno": bruno, "chloe": chloe, "dan": dan, "eve": eve, "vip": vip, "regular": regular,
        "coffee": coffee_lover, "shoes": shoes, "trainers": trainers, "food": food, "runner": runner, "rice": rice,
        "delivery": delivery, "late": late,
    }


def _link_products(products: dict[str, Any]) -> None:
    from kliyan.commerce.models import OrderLine

    for label, product in products.items():
        OrderLine.objects.filter(description=label).update(product=product)


def names(rule: dict) -> list[str]:
    return sorted(contacts_in(rule, now=NOW).values_list("first_name", flat=True))


def where(*conditions: dict) -> dict:
    return {"all": list(conditions)}


def test_an_empty_all_group_selects_every_active_contact_but_not_archived_ones(world: dict) -> None:
    assert names({"all": []}) == ["Ana", "Bruno", "Chloé", "Dan"]
    assert names({"any": []}) == []


@pytest.mark.parametrize(("condition", "expected"), [
    ({"field": "first_name", "op": "is", "value": "ana"}, ["Ana"]),
    ({"field": "first_name", "op": "is_not", "value": "ana"}, ["Bruno", "Chloé", "Dan"]),
    ({"field": "first_name", "op": "contains", "value": "RU"}, ["Bruno"]),
    ({"field": "first_name", "op": "starts_with", "value": "ch"}, ["Chloé"]),
    ({"field": "last_name", "op": "is_empty"}, []),
    ({"field": "city", "op": "is", "value": "jacmel"}, ["Ana"]),
    ({"field": "city", "op": "is_not", "value": "Jacmel"}, ["Bruno", "Chloé", "Dan"]),
    ({"field": "city", "op": "is_empty"}, ["Dan"]),
    ({"field": "country", "op": "is", "value": "HT"}, ["Ana", "Bruno"]),
    ({"field": "country", "op": "in", "value": ["RO", "FR"]}, ["Chloé"]),
    ({"field": "source", "op": "is", "value": "walk_in"}, ["Ana"]),
    ({"field": "status", "op": "is", "value": "archived"}, ["Eve"]),
    ({"field": "status", "op": "is", "value": "active"}, ["Ana", "Bruno", "Chloé", "Dan"]),
    ({"field": "created_at", "op": "before", "value": "2020-01-01"}, []),
    ({"field": "created_at", "op": "after", "value": "2020-01-01"}, ["Ana", "Bruno", "Chloé", "Dan"]),
])
def test_contact_field_conditions_select_the_matching_people(world: dict, condition: dict, expected: list[str]) -> None:
    assert names(where(condition)) == expected


def test_language_falls_back_to_the_organisations_for_contacts_without_one(world: dict) -> None:
    assert get_organisation().language == "en"
    assert names(where({"field": "language", "op": "is", "value": "en"})) == ["Bruno", "Dan"]
    assert names(where({"field": "language", "op": "is_not", "value": "en"})) == ["Ana", "Chloé"]
    assert names(where({"field": "language", "op": "in", "value": ["fr", "ro"]})) == ["Ana", "Chloé"]
    assert names(where({"field": "language", "op": "is_empty"})) == ["Bruno"]


def test_owner_and_company_conditions(world: dict, manager: Any) -> None:
    assert names(where({"field": "owner", "op": "is", "value": manager.pk})) == ["Ana"]
    assert names(where({"field": "owner", "op": "is_not", "value": manager.pk})) == ["Bruno", "Chloé", "Dan"]
    assert names(where({"field": "company", "op": "is_empty"})) == ["Ana", "Bruno", "Chloé", "Dan"]


def test_tags_interests_and_consent(world: dict) -> None:
    vip, coffee = world["vip"].pk, world["coffee"].pk
    assert names(where({"field": "tag", "op": "has", "value": vip})) == ["Ana"]
    assert names(where({"field": "tag", "op": "has_not", "value": vip})) == ["Bruno", "Chloé", "Dan"]
    assert names(where({"field": "interest", "op": "has", "value": coffee})) == ["Ana"]
    assert names(where({"field": "interest", "op": "has_not", "value": coffee})) == ["Bruno", "Chloé", "Dan"]
    assert names(where({"field": "consent", "op": "granted", "value": "email"})) == ["Ana"]
    assert names(where({"field": "consent", "op": "withdrawn", "value": "email"})) == ["Bruno"]
    assert names(where({"field": "consent", "op": "never", "value": "email"})) == ["Chloé", "Dan"]


def test_birthdays_by_month_and_in_the_next_days(world: dict) -> None:
    assert names(where({"field": "birthday", "op": "this_month"})) == ["Ana"]
    assert names(where({"field": "birthday", "op": "in_month", "value": 2})) == ["Chloé"]
    # 11 March (Port-au-Prince) + 10 days reaches Ana's 20 March, not Bruno's 2 April.
    assert names(where({"field": "birthday", "op": "next_days", "value": 10})) == ["Ana"]
    assert names(where({"field": "birthday", "op": "next_days", "value": 30})) == ["Ana", "Bruno"]
    assert names(where({"field": "birthday", "op": "is_empty"})) == ["Dan"]


def test_a_29_february_birthday_is_kept_on_the_28th_in_a_common_year(world: dict) -> None:
    feb_27 = dt.datetime(2026, 2, 27, 16, 0, tzinfo=dt.UTC)
    assert "Chloé" in contacts_in(where({"field": "birthday", "op": "next_days", "value": 1}), now=feb_27).values_list(
        "first_name", flat=True)


def test_purchases_of_a_category_include_its_subcategories_and_ignore_cancelled_orders(world: dict) -> None:
    shoes, food, runner = world["shoes"].pk, world["food"].pk, world["runner"].pk
    assert names(where({"field": "purchased_category", "op": "bought", "value": shoes})) == ["Ana"]
    assert names(where({"field": "purchased_category", "op": "bought_in_last_days", "value": shoes, "days": 30})) == ["Ana"]
    assert names(where({"field": "purchased_category", "op": "bought_in_last_days", "value": food, "days": 250})) == ["Bruno"]
    assert names(where({"field": "purchased_category", "op": "not_bought_in_last_days", "value": food, "days": 250})) == [
        "Ana", "Chloé", "Dan"]
    assert names(where({"field": "purchased_category", "op": "never_bought", "value": food})) == ["Chloé", "Dan"]
    assert names(where({"field": "purchased_product", "op": "bought_in_last_days", "value": runner, "days": 10})) == []
    assert names(where({"field": "purchased_product", "op": "bought", "value": runner})) == ["Ana"]


def test_total_spend_is_in_the_organisations_currency_at_each_orders_rate(world: dict) -> None:
    # Bruno: 9,000 HTG + 100 USD × 130 = 22,000 HTG; Ana: 3,500 HTG; Chloé's order was cancelled.
    assert names(where({"field": "total_spend", "op": "gte", "value": 22000})) == ["Bruno"]
    assert names(where({"field": "total_spend", "op": "gte", "value": "3500.00"})) == ["Ana", "Bruno"]
    assert names(where({"field": "total_spend", "op": "lte", "value": 3500})) == ["Ana", "Chloé", "Dan"]
    assert names(where({"field": "total_spend", "op": "gte", "value": 0})) == ["Ana", "Bruno", "Chloé", "Dan"]


def test_number_of_orders_and_last_purchase(world: dict) -> None:
    assert names(where({"field": "order_count", "op": "gte", "value": 2})) == ["Ana", "Bruno"]
    assert names(where({"field": "order_count", "op": "lte", "value": 0})) == ["Chloé", "Dan"]
    assert names(where({"field": "order_count", "op": "lte", "value": 1})) == ["Chloé", "Dan"]
    assert names(where({"field": "last_purchase", "op": "within_days", "value": 30})) == ["Ana"]
    assert names(where({"field": "last_purchase", "op": "more_than_days_ago", "value": 180})) == ["Bruno"]
    assert names(where({"field": "last_purchase", "op": "before", "value": "2026-01-01"})) == ["Bruno"]
    assert names(where({"field": "last_purchase", "op": "after", "value": "2026-01-01"})) == ["Ana"]
    assert names(where({"field": "last_purchase", "op": "none"})) == ["Chloé", "Dan"]


@pytest.mark.parametrize(("rule", "expected"), [
    # Conditions of one group on the summary are asked of the one row together.
    ({"all": [{"field": "total_spend", "op": "gte", "value": 3000}, {"field": "order_count", "op": "gte", "value": 2},
              {"field": "last_purchase", "op": "within_days", "value": 30}]}, ["Ana"]),
    ({"all": [{"field": "total_spend", "op": "gte", "value": 3000}, {"field": "order_count", "op": "lte", "value": 1}]}, []),
    ({"all": [{"field": "first_purchase", "op": "more_than_days_ago", "value": 200},
              {"field": "last_purchase", "op": "more_than_days_ago", "value": 100}]}, ["Bruno"]),
    # Parts of an "any" group on the summary, its absence, and other tables.
    ({"any": [{"field": "total_spend", "op": "gte", "value": 22000}, {"field": "order_count", "op": "lte", "value": 0}]},
     ["Bruno", "Chloé", "Dan"]),
    ({"any": [{"field": "last_purchase", "op": "within_days", "value": 30}, {"field": "ticket", "op": "had_in_last_days",
                                                                              "value": 150}]}, ["Ana", "Bruno"]),
])
def test_several_purchase_figures_in_one_group(world: dict, rule: dict, expected: list[str]) -> None:
    assert names(rule) == expected


def test_first_purchase(world: dict) -> None:
    # Ana first bought a year ago (2025-03-11), Bruno 300 days ago (2025-05-15); Chloé only cancelled.
    assert names(where({"field": "first_purchase", "op": "within_days", "value": 320})) == ["Bruno"]
    assert names(where({"field": "first_purchase", "op": "more_than_days_ago", "value": 320})) == ["Ana"]
    assert names(where({"field": "first_purchase", "op": "before", "value": "2025-04-01"})) == ["Ana"]
    assert names(where({"field": "first_purchase", "op": "after", "value": "2025-04-01"})) == ["Bruno"]
    assert names(where({"field": "first_purchase", "op": "none"})) == ["Chloé", "Dan"]


def test_spend_and_order_figures_follow_a_new_order_once_its_customer_is_recounted(world: dict) -> None:
    """The figures come from the purchase summaries (recounted every five minutes); what was bought is read at once."""
    with transaction.atomic():
        make_order(contact=world["dan"], total="25000", ordered_at=days_ago(1), lines=[("Runner", "1", "25000")])
        _link_products({"Runner": world["runner"]})
        mark_customers_changed([world["dan"].pk])
    spenders = where({"field": "total_spend", "op": "gte", "value": 22000})
    assert names(spenders) == ["Bruno"]
    assert names(where({"field": "purchased_product", "op": "bought_in_last_days", "value": world["runner"].pk,
                        "days": 7})) == ["Dan"]

    refresh_pending()

    assert names(spenders) == ["Bruno", "Dan"]
    assert names(where({"field": "last_purchase", "op": "within_days", "value": 7})) == ["Dan"]
    assert names(where({"field": "order_count", "op": "lte", "value": 0})) == ["Chloé"]


def test_purchases_of_a_product_are_exact_before_and_after_the_recount(world: dict) -> None:
    """Counted purchases are read for customers not pending; a pending customer's orders are read instead."""
    from kliyan.commerce.models import Order

    shoes = {"field": "purchased_category", "op": "bought", "value": world["shoes"].pk}
    not_lately = {"field": "purchased_category", "op": "not_bought_in_last_days", "value": world["shoes"].pk, "days": 30}
    with transaction.atomic():
        Order.objects.filter(contact=world["ana"], total=3000).update(status="cancelled")
        make_order(contact=world["bruno"], total="3000", ordered_at=days_ago(2), lines=[("Runner", "1", "3000")])
        _link_products({"Runner": world["runner"]})
        mark_customers_changed([world["ana"].pk, world["bruno"].pk])

    assert names(where(shoes)) == ["Bruno"]
    assert names(where(not_lately)) == ["Ana", "Chloé", "Dan"]
    refresh_pending()
    assert names(where(shoes)) == ["Bruno"]
    assert names(where(not_lately)) == ["Ana", "Chloé", "Dan"]


def test_ticket_history(world: dict) -> None:
    assert names(where({"field": "ticket", "op": "has_open"})) == ["Ana"]
    assert names(where({"field": "ticket", "op": "had_in_last_days", "value": 150})) == ["Ana", "Bruno"]
    assert names(where({"field": "ticket", "op": "in_category", "value": world["delivery"].pk})) == ["Ana"]
    assert names(where({"field": "ticket", "op": "none"})) == ["Chloé", "Dan"]


@pytest.mark.parametrize(("condition", "expected"), [
    ({"field": "custom.shoe_size", "op": "gte", "value": 40}, ["Bruno"]),
    ({"field": "custom.shoe_size", "op": "lt", "value": 40}, ["Ana"]),
    ({"field": "custom.shoe_size", "op": "eq", "value": 38}, ["Ana"]),
    ({"field": "custom.shoe_size", "op": "is_empty"}, ["Chloé", "Dan"]),
    ({"field": "custom.member", "op": "is_true"}, ["Ana"]),
    ({"field": "custom.member", "op": "is_false"}, ["Bruno"]),
    ({"field": "custom.tier", "op": "is", "value": "gold"}, ["Ana"]),
    ({"field": "custom.tier", "op": "is_not", "value": "gold"}, []),
    ({"field": "custom.tier", "op": "in", "value": ["gold", "silver"]}, ["Ana"]),
    ({"field": "custom.joined", "op": "before", "value": "2021-01-01"}, ["Ana"]),
    ({"field": "custom.joined", "op": "after", "value": "2021-01-01"}, []),
    ({"field": "custom.joined", "op": "on", "value": "2020-05-01"}, ["Ana"]),
])
def test_custom_field_conditions_follow_the_fields_type(world: dict, condition: dict, expected: list[str]) -> None:
    validate_rule(where(condition))
    assert names(where(condition)) == expected


def test_nested_any_and_all_groups(world: dict) -> None:
    rule = {"all": [
        {"any": [
            {"field": "purchased_category", "op": "bought_in_last_days", "value": world["shoes"].pk, "days": 90},
            {"field": "total_spend", "op": "gte", "value": 20000},
        ]},
        {"any": [
            {"field": "consent", "op": "granted", "value": "email"},
            {"all": [{"field": "tag", "op": "has", "value": world["regular"].pk}, {"field": "ticket", "op": "none"}]},
        ]},
    ]}
    assert names(rule) == ["Ana"]
    rule["all"][1]["any"][1]["all"][1] = {"field": "ticket", "op": "had_in_last_days", "value": 365}
    assert names(rule) == ["Ana", "Bruno"]


def test_counting_the_whole_rule_is_one_query(world: dict, django_assert_num_queries: Any) -> None:
    rule = {"any": [
        {"all": [{"field": "birthday", "op": "this_month"}, {"field": "consent", "op": "granted", "value": "email"}]},
        {"all": [
            {"field": "purchased_category", "op": "bought_in_last_days", "value": world["shoes"].pk, "days": 90},
            {"field": "total_spend", "op": "gte", "value": 1000},
            {"field": "order_count", "op": "lte", "value": 5},
        ]},
        {"all": [{"field": "last_purchase", "op": "more_than_days_ago", "value": 180},
                 {"field": "tag", "op": "has", "value": world["vip"].pk}]},
        {"field": "ticket", "op": "in_category", "value": world["delivery"].pk},
        {"field": "custom.shoe_size", "op": "gte", "value": 40},
        {"field": "language", "op": "is", "value": "en"},
    ]}
    with django_assert_num_queries(1):
        assert count(rule, now=NOW) == 3


def test_merged_contacts_are_never_in_a_segment(world: dict) -> None:
    Contact.objects.filter(pk=world["dan"].pk).update(merged_into=world["ana"])
    assert names({"all": []}) == ["Ana", "Bruno", "Chloé"]
    assert "Dan" not in names(where({"field": "status", "op": "is", "value": "archived"}))


# --- Bad rules ---------------------------------------------------------------------------------


def errors_of(rule: Any) -> dict[str, list[str]]:
    with pytest.raises(ValidationFailed) as caught:
        validate_rule(rule)
    return caught.value.field_errors


@pytest.mark.parametrize(("rule", "path", "words"), [
    ([], "rule", "group"),
    ({"all": [], "any": []}, "rule", "group"),
    ({"all": "x"}, "rule.all", "list"),
    ({"all": [{"field": "shoe", "op": "is", "value": 1}]}, "rule.all[0].field", "no field “shoe”"),
    ({"all": [{"field": "tag", "op": "gte", "value": 1}]}, "rule.all[0].op", "“gte” cannot be used with “Tag”"),
    ({"all": [{"field": "birthday", "op": "in_month", "value": 13}]}, "rule.all[0].value", "month from 1 to 12"),
    ({"all": [{"field": "first_name", "op": "is", "value": 5}]}, "rule.all[0].value", "text"),
    ({"all": [{"field": "total_spend", "op": "gte", "value": -1}]}, "rule.all[0].value", "0 or more"),
    ({"all": [{"field": "created_at", "op": "before", "value": "2026-02-30"}]}, "rule.all[0].value", "not a date"),
    ({"all": [{"field": "ticket", "op": "has_open", "value": 3}]}, "rule.all[0].value", "no value"),
    ({"all": [{"field": "country", "op": "is", "value": "XX"}]}, "rule.all[0].value", "not one of the choices"),
    ({"all": [{"field": "purchased_category", "op": "bought_in_last_days", "value": 1}]}, "rule.all[0].days", "days"),
    ({"all": [{"field": "tag", "op": "has", "value": 1, "colour": "red"}]}, "rule.all[0].colour", "no “colour”"),
    ({"all": [{"any": [{"field": "tag", "op": "has", "value": True}]}]}, "rule.all[0].any[0].value", "id of a tag"),
    ({"all": [{"all": [{"all": [{"all": [{"all": [{"all": []}]}]}]}]}]}, "rule.all[0].all[0].all[0].all[0].all[0]",
     "at most 5 deep"),
])
def test_a_bad_rule_is_refused_naming_the_node_and_the_problem(db: Any, rule: Any, path: str, words: str) -> None:
    errors = errors_of(rule)
    assert path in errors, errors
    assert words in " ".join(errors[path])


def test_unknown_records_and_custom_fields_are_named(world: dict) -> None:
    errors = errors_of({"any": [
        {"field": "tag", "op": "has", "value": 999_999},
        {"field": "purchased_category", "op": "bought", "value": 999_998},
        {"field": "purchased_product", "op": "bought", "value": world["rice"].pk},
        {"field": "custom.height", "op": "gte", "value": 3},
        {"field": "custom.member", "op": "gte", "value": 3},
        {"field": "custom.tier", "op": "is", "value": "bronze"},
        {"field": "owner", "op": "is", "value": 999_997},
    ]})
    assert errors == {
        "rule.any[0].value": ["There is no tag with id 999999."],
        "rule.any[1].value": ["There is no product category with id 999998."],
        "rule.any[3].field": ["There is no custom field “height” for people."],
        "rule.any[4].op": ["“gte” cannot be used with “Member”; use one of: is_true, is_false, is_empty."],
        "rule.any[5].value": ["“bronze” is not one of the choices: gold, silver."],
        "rule.any[6].value": ["There is no user with id 999997."],
    }


def test_contacts_in_refuses_a_malformed_rule_before_any_query(db: Any, django_assert_num_queries: Any) -> None:
    with django_assert_num_queries(0), pytest.raises(ValidationFailed):
        contacts_in({"all": [{"field": "tag"}]})


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-2**70, max_value=2**70) | st.floats() | st.text(max_size=12)
    | st.sampled_from(["all", "any", "field", "op", "value", "days", "tag", "is", "custom.x", "birthday", "2026-01-01"]),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(
        st.sampled_from(["all", "any", "field", "op", "value", "days", "x"]), children, max_size=4),
    max_leaves=20,
)
fields = st.sampled_from([*segments.FIELDS, "custom.shoe_size", "custom.nope", "nope"])
ops = st.sampled_from([*segments.OPS, "nope"])
conditions = st.fixed_dictionaries(
    {"field": fields, "op": ops}, optional={"value": json_values, "days": json_values})
rules = st.recursive(
    conditions,
    lambda children: st.dictionaries(st.sampled_from(["all", "any"]), st.lists(children, max_size=4), min_size=1, max_size=1),
    max_leaves=12,
)


@pytest.mark.django_db
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(rule=st.one_of(rules, json_values))
def test_any_json_either_compiles_or_is_refused_naming_a_path(rule: Any) -> None:
    try:
        validate_rule(rule)
    except ValidationFailed as error:
        assert error.field_errors
        assert all(path == "rule" or path.startswith("rule.") for path in error.field_errors)
        return
    with CaptureQueriesContext(connection):
        count(rule)


def test_an_interest_shown_in_a_recent_interaction(world: dict, agent: Any) -> None:
    from kliyan.interactions.models import Interaction
    from kliyan.interactions.services import interaction_archive, interaction_log

    coffee = world["coffee"].pk
    interaction_log(actor=agent, contact=world["bruno"], data={
        "channel": "whatsapp", "question": "Do you sell coffee beans?", "interests": ["coffee"], "occurred_at": days_ago(10)})
    interaction_log(actor=agent, contact=world["chloe"], data={
        "channel": "phone", "question": "Coffee?", "interests": ["Coffee"], "occurred_at": days_ago(60)})
    shown = interaction_log(actor=agent, contact=world["dan"], data={
        "channel": "store", "question": "Coffee?", "interests": ["Coffee"], "occurred_at": days_ago(2)})
    interaction_archive(actor=agent, interaction=shown)
    recent = {"field": "interest", "op": "shown_in_last_days", "value": coffee, "days": 30}
    # Ana was given the interest on her record, not in an interaction; Dan's was archived.
    assert names(where(recent)) == ["Bruno"]
    assert names(where({**recent, "days": 90})) == ["Bruno", "Chloé"]
    # Showing an interest gives it to the contact: "has" follows every interaction.
    assert names(where({"field": "interest", "op": "has", "value": coffee})) == ["Ana", "Bruno", "Chloé", "Dan"]
    assert Interaction.interests.through.objects.count() == 3
    with pytest.raises(ValidationFailed) as refused:
        validate_rule(where({"field": "interest", "op": "shown_in_last_days", "value": coffee}))
    assert "rule.all[0].days" in refused.value.field_errors
