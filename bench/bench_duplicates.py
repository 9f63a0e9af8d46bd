"""Seed N contacts, plant known duplicates among them, and time the search for duplicates.

    python bench/bench_duplicates.py [--contacts 1000000] [--planted 0.01]
                                     [--database-url URL] [--data-dir DIR] [--keep] [--reuse]

Contacts come from bench_contacts.py's `seed` (no interactions: the search does not read them).
Then a fraction of them (`--planted`, 1 % by default) get a second record: a third with the same
e-mail typed in capitals, a third with the same phone, a third with the same name at the same
company. The search (kliyan.dedupe.finding) is timed, then the saving of its pairs; the JSON
on stdout says how long each took, the peak memory of the process, how many pairs were found,
how many of the planted ones, and how many groups were too large to compare.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import bench_contacts as contacts_bench  # noqa: E402


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=1_000_000, help="contacts to seed (default 1000000)")
    parser.add_argument("--planted", type=float, default=0.01, help="share of contacts given a duplicate (default 0.01)")
    parser.add_argument("--database-url", default="", help="PostgreSQL (or SQLite) URL; default: SQLite in the data dir")
    parser.add_argument("--data-dir", default="", help="data directory (default: a temporary one, deleted afterwards)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary data directory")
    parser.add_argument("--reuse", action="store_true", help="skip seeding if the database already holds contacts")
    parser.add_argument("--seed", type=int, default=7, help="random seed")
    args = parser.parse_args(argv)
    args.interactions_per_contact = 0
    return args


def plant(count: int, step: int) -> list[tuple[int, int]]:
    """Give every `step`-th seeded contact a second record; return the planted (original, copy) pairs."""
    from django.db import connection, transaction

    from kliyan.contacts.models import Contact, EmailAddress, PhoneNumber
    from kliyan.contacts.search import contact_search_text
    from kliyan.core.phones import caller_key

    originals = list(
        Contact.objects.filter(archived_at__isnull=True, pk__lte=count).order_by("pk")
        .values_list("pk", "first_name", "last_name", "company_id", "primary_email", "primary_phone", "birthday")[::step]
    )
    next_id = (Contact.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    planted = []
    contacts, emails, phones = [], [], []
    for n, (pk, first, last, company_id, email, phone, birthday) in enumerate(originals):
        copy = next_id + n
        kind = n % 3
        copy_first = first if kind else f"{first}a"  # the e-mail copy also has a typo in the first name
        display = f"{copy_first} {last}"
        contacts.append(Contact(
            pk=copy, first_name=copy_first, last_name=last, display_name=display,
            company_id=company_id if kind == 2 else None, birthday=birthday if kind == 2 else None,
            primary_email=email.upper() if kind == 0 else "", primary_phone=phone if kind == 1 else "",
            search_text=contact_search_text(name=display, company="", emails=[email] if kind == 0 else [], phones=[phone] if kind == 1 else []),
        ))
        if kind == 0:
            emails.append(EmailAddress(contact_id=copy, email=email, is_primary=True))
        elif kind == 1:
            phones.append(PhoneNumber(contact_id=copy, e164=phone, caller_key=caller_key(phone), is_primary=True))
        elif company_id is None:
            continue
        planted.append((pk, copy))
    with transaction.atomic():
        Contact.objects.bulk_create(contacts, batch_size=5000)
        EmailAddress.objects.bulk_create(emails, batch_size=5000)
        PhoneNumber.objects.bulk_create(phones, batch_size=5000)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT setval(pg_get_serial_sequence('contacts_contact', 'id'), (SELECT MAX(id) FROM contacts_contact))")
    return planted


def measure(planted: list[tuple[int, int]]) -> dict[str, Any]:
    from django.db import connection

    from kliyan.contacts.models import Contact
    from kliyan.dedupe.finding import find_pairs
    from kliyan.dedupe.models import DuplicatePair
    from kliyan.dedupe.services import save_pairs

    phases: dict[str, float] = {}
    started = time.perf_counter()

    def progress(phase: str, percent: int) -> None:
        phases[f"{percent:02d} {phase}"] = round(time.perf_counter() - started, 1)
        print(f"{phase} {percent} % after {time.perf_counter() - started:.0f} s", file=sys.stderr)

    result = find_pairs(progress=progress)
    find_seconds = time.perf_counter() - started
    find_peak_mb = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    DuplicatePair.objects.all().delete()
    saved = time.perf_counter()
    new = save_pairs(result.pairs)
    save_seconds = time.perf_counter() - saved
    found = {(p.contact_a, p.contact_b) for p in result.pairs}
    planted_found = sum(1 for pair in planted if pair in found)
    scores: dict[str, int] = {}
    for pair in result.pairs:
        band = f"{pair.score // 10 * 10}-{pair.score // 10 * 10 + 9}"
        scores[band] = scores.get(band, 0) + 1
    return {
        "database": connection.vendor,
        "contacts_in_database": Contact.objects.count(),
        "contacts_compared": result.contacts,
        "find_seconds": round(find_seconds, 1),
        "save_seconds": round(save_seconds, 1),
        "contacts_per_second": round(result.contacts / find_seconds) if find_seconds else None,
        "peak_memory_mb_after_find": find_peak_mb,
        "peak_memory_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "pairs": len(result.pairs),
        "pairs_saved": new,
        "pairs_by_score": dict(sorted(scores.items(), reverse=True)),
        "planted": len(planted),
        "planted_found": planted_found,
        "skipped_groups": result.skipped,
        "progress_seconds": phases,
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    temporary = not args.data_dir
    data_dir = Path(args.data_dir or tempfile.mkdtemp(prefix="kliyan-bench-dupes-"))
    data_dir.mkdir(parents=True, exist_ok=True)
    try:
        contacts_bench.setup_django(args, data_dir)
        from kliyan.contacts.models import Contact

        seeded: dict[str, Any] = {"reused": True}
        if not (args.reuse and Contact.objects.exists()):
            seeded = contacts_bench.seed(args)
            step = max(1, round(1 / args.planted)) if args.planted > 0 else 0
            started = time.perf_counter()
            seeded["planted_pairs"] = plant(args.contacts, step) if step else []
            seeded["plant_seconds"] = round(time.perf_counter() - started, 1)
            (data_dir / "planted.json").write_text(json.dumps(seeded["planted_pairs"]))
        planted = [tuple(p) for p in json.loads((data_dir / "planted.json").read_text())] if (data_dir / "planted.json").exists() else []
        report = {
            "python": platform.python_version(),
            "machine": platform.machine(),
            "seed": {k: v for k, v in seeded.items() if k != "planted_pairs"},
            "scan": measure(planted),
        }
        print(json.dumps(report, indent=2))
    finally:
        if temporary and not args.keep:
            shutil.rmtree(data_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
