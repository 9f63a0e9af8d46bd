"""Finding likely duplicates: each reason, the scores and their order, the caps on large groups."""

from __future__ import annotations

import pytest

from kliyan.contacts.models import Company
from kliyan.contacts.services import contact_archive
from kliyan.dedupe.choices import Reason
from kliyan.dedupe.finding import Limits, block_keys, find_pairs, pair_score

pytestmark = pytest.mark.django_db


def found(limits: Limits | None = None) -> dict[tuple[int, int], tuple[int, list[str]]]:
    result = find_pairs(limits=limits)
    return {(p.contact_a, p.contact_b): (p.score, [r["code"] for r in p.reasons]) for p in result.pairs}


def key(a, b) -> tuple[int, int]:
    return (min(a.pk, b.pk), max(a.pk, b.pk))


def test_the_same_email_is_a_sure_pair(person):
    a = person("Marie", "Joseph", emails=["marie@example.ht"])
    b = person("M.", "Jozèf", emails=["Marie@Example.ht"])

    result = find_pairs()

    assert [(p.contact_a, p.contact_b, p.score) for p in result.pairs] == [(a.pk, b.pk, 100)]
    assert result.pairs[0].reasons == [{"code": "email", "value": "marie@example.ht"}]


def test_the_same_phone_is_a_likely_pair(person):
    a = person("Chikondi", "Banda", phones=["+265 999 123 456"])
    b = person("Thoko", "Phiri", phones=["+265 (999) 12-34-56"], birthday="1990-01-01")

    assert found() == {key(a, b): (90, [Reason.PHONE])}


def test_the_same_name_scores_higher_with_the_same_company_or_birthday(person):
    shop = Company.objects.create(name="Boutik Lakay")
    plain = [person("Jean", "Pierre"), person("Jean", "Pierre")]
    at_work = [person("Ardit", "Hoxha", company=shop.pk), person("Ardit", "Hoxha", company=shop.pk)]
    born = [person("Ioana", "Popescu", birthday="1985-03-14"), person("Ioana", "Popescu", birthday="1985-03-14")]

    pairs = found()

    assert pairs[key(*plain)] == (60, [Reason.NAME])
    assert pairs[key(*at_work)] == (85, [Reason.NAME_COMPANY])
    assert pairs[key(*born)] == (90, [Reason.NAME_BIRTHDAY])


def test_a_similar_name_counts_within_a_company_and_within_a_name_block(person):
    shop = Company.objects.create(name="Boutik Lakay")
    colleagues = [person("Jean-Pierre", "Dupont", company=shop.pk), person("Jean Piere", "Dupont", company=shop.pk)]
    strangers = [person("Stefan", "Popesku"), person("Ștefan", "Popescu")]
    different = [person("Jean", "Dupont"), person("Paul", "Dupont")]

    pairs = found()

    score, reasons = pairs[key(*colleagues)]
    assert reasons == [Reason.SIMILAR_NAME_COMPANY] and 60 <= score <= 80
    score, reasons = pairs[key(*strangers)]
    assert reasons == [Reason.SIMILAR_NAME] and 45 <= score < 60
    assert key(*different) not in pairs


def test_swapped_first_and_last_names_are_found(person):
    a, b = person("Ștefan", "Popescu"), person("Popescu", "Stefan")

    assert found()[key(a, b)][1] == [Reason.SIMILAR_NAME]


def test_different_birthdays_weaken_a_pair_found_by_name_only(person):
    twins = [person("Jean", "Pierre", birthday="1980-01-01"), person("Jean", "Pierre", birthday="1991-05-05")]
    same_phone = [person("Jean", "Baptiste", birthday="1980-01-01", phones=["+509 3712 3456"]),
                  person("Jean", "Baptiste", birthday="1991-05-05", phones=["+509 3712 3456"])]

    pairs = found()

    assert key(*twins) not in pairs  # 60 − 30: below the least score kept
    assert pairs[key(*same_phone)] == (95, [Reason.PHONE, Reason.NAME, Reason.OTHER_BIRTHDAY])


def test_pairs_come_best_first_with_every_reason_adding_a_little(person):
    a = person("Ana", "Ionescu", emails=["ana@example.ro"], phones=["+40 721 000 001"])
    b = person("Ana", "Ionescu", emails=["ana@example.ro"], phones=["+40 721 000 001"])
    c = person("Bogdan", "Rusu", phones=["+40 721 000 009"])
    d = person("Bogdan", "Ruse", phones=["+40 721 000 009"])
    e, f = person("Elira", "Shehu"), person("Elira", "Shehu")

    result = find_pairs()

    assert [(p.contact_a, p.contact_b, p.score) for p in result.pairs] == [
        (a.pk, b.pk, 100), (c.pk, d.pk, 95), (e.pk, f.pk, 60),
    ]
    assert [r["code"] for r in result.pairs[0].reasons] == [Reason.EMAIL, Reason.PHONE, Reason.NAME]


def test_archived_and_merged_contacts_are_left_out(person, manager):
    a = person("Marie", "Joseph", emails=["marie@example.ht"])
    b = person("Marie", "Joseph", emails=["marie@example.ht"])
    contact_archive(actor=manager, contact=b)

    assert find_pairs().pairs == []
    del a


def test_a_placeholder_email_or_phone_on_many_contacts_is_skipped_and_counted(person):
    for n in range(4):
        person(f"Client{n}", f"Nom{n}", emails=["noemail@shop.example"], phones=["+509 2222 0000"])

    result = find_pairs(limits=Limits(max_shared=3))

    assert result.pairs == []
    assert result.skipped == {Reason.EMAIL: 1, Reason.PHONE: 1}


def test_a_very_common_name_pairs_only_people_who_share_more(person):
    shop = Company.objects.create(name="Boutik Lakay")
    people = [person("Jean", "Pierre") for _ in range(4)]
    colleagues = [person("Jean", "Pierre", company=shop.pk), person("Jean", "Pierre", company=shop.pk)]

    result = find_pairs(limits=Limits(max_same_name=3, max_block=3))

    assert [(p.contact_a, p.contact_b) for p in result.pairs] == [key(*colleagues)]
    assert result.skipped["name"] == 1
    del people


def test_a_giant_name_block_is_skipped_not_compared(person):
    for last in ("Popescu", "Popesku", "Popescou", "Popesco"):
        person("Stefan", last)

    result = find_pairs(limits=Limits(max_block=3))

    assert result.pairs == []
    assert result.skipped["similar_name"] >= 1


def test_name_block_keys_survive_a_typo_in_any_one_word():
    assert block_keys("jean pierre dupont") & block_keys("jean piere dupont")
    assert block_keys("stefan popesku") & block_keys("stephan popescu")
    assert block_keys("marie") == set()


def test_the_score_is_the_best_reason_plus_five_for_each_other():
    assert pair_score({Reason.EMAIL: "a@b.c"}) == 100
    assert pair_score({Reason.PHONE: "+1", Reason.NAME: ""}) == 95
    assert pair_score({Reason.NAME: "", Reason.OTHER_BIRTHDAY: ""}) == 30
    assert pair_score({Reason.SIMILAR_NAME: 100}) == 60 and pair_score({Reason.SIMILAR_NAME: 88}) == 45
