"""Scans in the background, pairs kept across scans, "not duplicates" that stays, audited decisions."""

from __future__ import annotations

import pytest

from kliyan.contacts.services import contact_update
from kliyan.core.errors import Conflict
from kliyan.core.models import AuditAction, AuditEntry
from kliyan.dedupe import services
from kliyan.dedupe.choices import PairStatus, ScanStatus
from kliyan.dedupe.models import DuplicatePair, DuplicateScan

pytestmark = pytest.mark.django_db


def scan(actor, capture) -> DuplicateScan:
    with capture(execute=True):
        made, created = services.scan_request(actor=actor)
    assert created
    made.refresh_from_db()
    return made


def test_a_scan_runs_in_the_background_and_keeps_its_pairs(person, manager, django_capture_on_commit_callbacks):
    a = person("Marie", "Joseph", emails=["marie@example.ht"])
    b = person("Marie", "Joseph", emails=["marie@example.ht"])
    person("Someone", "Else")

    done = scan(manager, django_capture_on_commit_callbacks)

    assert (done.status, done.percent, done.contacts, done.pairs, done.new_pairs) == (ScanStatus.DONE, 100, 3, 1, 1)
    assert done.requested_by == manager and done.started_at and done.finished_at
    pair = DuplicatePair.objects.get()
    assert (pair.contact_a_id, pair.contact_b_id, pair.score, pair.status) == (a.pk, b.pk, 100, PairStatus.OPEN)
    assert AuditEntry.objects.filter(object_type="dedupe.duplicatescan", action=AuditAction.CREATE, actor=manager).count() == 1


def test_only_one_scan_is_queued_at_a_time(manager):
    first, created = services.scan_request(actor=manager)
    again, created_again = services.scan_request(actor=manager)

    assert created and not created_again and again.pk == first.pk
    assert DuplicateScan.objects.count() == 1


def test_a_scan_already_run_is_not_run_again(person, manager, django_capture_on_commit_callbacks):
    done = scan(manager, django_capture_on_commit_callbacks)
    person("Marie", "Joseph", emails=["m@example.ht"]), person("Marie", "Joseph", emails=["m@example.ht"])

    again = services.run_scan(scan_id=done.pk)

    assert again.status == ScanStatus.DONE and again.pairs == 0 and not DuplicatePair.objects.exists()


def test_dismissed_pairs_stay_dismissed_across_scans(person, manager, django_capture_on_commit_callbacks):
    person("Marie", "Joseph", emails=["marie@example.ht"]), person("Marie", "Joseph", emails=["marie@example.ht"])
    scan(manager, django_capture_on_commit_callbacks)
    pair = services.pair_dismiss(actor=manager, pair=DuplicatePair.objects.get())

    later = scan(manager, django_capture_on_commit_callbacks)

    pair.refresh_from_db()
    assert pair.status == PairStatus.DISMISSED and pair.decided_by == manager
    assert (later.pairs, later.new_pairs) == (1, 0) and DuplicatePair.objects.count() == 1


def test_a_new_scan_rescores_open_pairs_and_drops_those_it_no_longer_finds(person, agent, manager, django_capture_on_commit_callbacks):
    a, b = person("Marie", "Joseph", phones=["+509 3712 3456"]), person("Marie", "Joseph", phones=["+509 3712 3456"])
    c, d = person("Jean", "Pierre", emails=["jp@example.ht"]), person("Paul", "Lafortune", emails=["jp@example.ht"])
    scan(manager, django_capture_on_commit_callbacks)
    kept = DuplicatePair.objects.get(contact_a=a)
    assert kept.score == 95
    contact_update(actor=agent, contact=b, data={"first_name": "Mari"})  # still the same phone; the name now only similar
    contact_update(actor=agent, contact=d, data={"emails": [{"email": "paul@example.ht"}]})

    later = scan(manager, django_capture_on_commit_callbacks)

    kept.refresh_from_db()
    assert kept.score == 95 and [r["code"] for r in kept.reasons] == ["phone", "similar_name"]
    assert not DuplicatePair.objects.filter(contact_a=c).exists()
    assert later.pairs == 1


def test_a_failed_scan_ends_failed_and_says_why(person, manager, monkeypatch, django_capture_on_commit_callbacks):
    def broken(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(services, "find_pairs", broken)

    failed = scan(manager, django_capture_on_commit_callbacks)

    assert failed.status == ScanStatus.FAILED and "disk full" in failed.error and failed.finished_at


def test_dismissing_is_audited_on_both_contacts_and_can_be_undone(person, manager):
    a, b = person("Ana", "Ionescu"), person("Ana", "Ionescu")
    pair = DuplicatePair.objects.create(contact_a=a, contact_b=b, score=60, reasons=[{"code": "name", "value": ""}])

    services.pair_dismiss(actor=manager, pair=pair)
    services.pair_reopen(actor=manager, pair=pair)

    pair.refresh_from_db()
    assert pair.status == PairStatus.OPEN
    entries = AuditEntry.objects.filter(object_type="dedupe.duplicatepair").order_by("id")
    assert [(e.contact_id, e.before["status"], e.after["status"]) for e in entries] == [
        (a.pk, "open", "dismissed"), (b.pk, "open", "dismissed"), (a.pk, "dismissed", "open"), (b.pk, "dismissed", "open"),
    ]


def test_a_merged_pair_cannot_be_dismissed(person, manager):
    a, b = person("Ana", "Ionescu"), person("Ana", "Ionescu")
    pair = DuplicatePair.objects.create(contact_a=a, contact_b=b, score=60, reasons=[], status=PairStatus.MERGED)

    with pytest.raises(Conflict):
        services.pair_dismiss(actor=manager, pair=pair)

    pair.refresh_from_db()
    assert pair.status == PairStatus.MERGED and not AuditEntry.objects.filter(object_type="dedupe.duplicatepair").exists()
