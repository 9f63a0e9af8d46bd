"""The SQL floor of an import into SQLite: what the database alone costs for each new contact.

    python bench/bench_import_floor.py --data-dir /tmp/kbi [--contacts 100000] [--commit-rows 25000]

Works on a copy of the database bench_import.py left in its data directory (the seeded
million and what its last run imported) with plain sqlite3 and no Python per row: new contacts
are put in a temporary table first, then each commit's share goes into the real tables with
one `INSERT … SELECT` per table, as an import creates them: the contact (its indexes and the
full-text trigger), one e-mail, one phone, an address for half of them, the link to the import and the audit entry, after
the two lookups that match a batch (e-mails, phones). What it prints is the least time a
single SQLite writer on this machine needs per contact, whatever the Python around it does.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

NOW = "2026-11-30 10:00:00"
STEPS = ("lookups", "contact", "email", "phone", "address", "link", "audit", "commit")
NAMES = ["Jean", "Marie", "Pierre", "Rose", "Ioana", "Andrei", "Chikondi", "Thoko", "Arben", "Drita", "Élise", "Ștefan"]


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", required=True, help="bench_import.py's data directory (holds seeded.sqlite3)")
    parser.add_argument("--contacts", type=int, default=100_000, help="new contacts to create (default 100000)")
    parser.add_argument("--commit-rows", type=int, default=25_000, help="contacts per commit (default 25000)")
    parser.add_argument("--seed", type=int, default=3)
    return parser.parse_args(argv)


def staged(db: sqlite3.Connection, count: int, seed: int) -> None:
    rng = random.Random(seed)
    db.execute("CREATE TEMP TABLE staged (n INTEGER PRIMARY KEY, first TEXT, last TEXT, email TEXT, e164 TEXT, words TEXT, after TEXT,"
               " company_id INTEGER, birthday TEXT, city TEXT)")
    companies = db.execute("SELECT MAX(id) FROM contacts_company").fetchone()[0]
    rows = []
    for n in range(count):
        # As often as in bench_import.py's file: a company on a third of the rows, a birthday on 30 %, a city on 46 %.
        company_id = rng.randrange(1, companies + 1) if rng.random() < 0.32 else None
        birthday = f"19{rng.randrange(40, 99)}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}" if rng.random() < 0.3 else None
        city = rng.choice(["Port-au-Prince", "Lilongwe", "Tiranë", "București", "Lyon"]) if rng.random() < 0.46 else None
        first, last = rng.choice(NAMES), f"Floor{rng.randrange(100_000)}"
        email, e164 = f"{first.lower()}.{last.lower()}.{n}@example.com", f"+509{rng.randrange(10_000_000, 99_999_999)}"
        words = f"{first.lower()} {last.lower()} {first.lower()} {last.lower()} {n} example com {e164[1:]} {e164[4:]}"
        rows.append((n, first, last, email, e164, words, json.dumps({"first_name": first, "last_name": last, "emails": [email],
                                                                     "phones": [e164], "tags": [], "import": 1}), company_id, birthday, city))
    db.executemany("INSERT INTO staged VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)


def create(db: sqlite3.Connection, count: int, commit_rows: int) -> dict[str, float]:
    base = db.execute("SELECT MAX(id) FROM contacts_contact").fetchone()[0] + 1
    run = db.execute("SELECT MAX(id) FROM imports_import").fetchone()[0]
    if run is None:
        raise SystemExit("Run bench_import.py first: the floor is measured on the database it seeded and imported into.")
    statements = {
        "contact": "INSERT INTO contacts_contact (id, first_name, last_name, display_name, job_title, birthday, birthday_md, language,"
                   " preferred_channel, source, source_detail, notes, custom_fields, primary_email, primary_phone, search_text,"
                   f" created_at, updated_at, company_id) SELECT {base} + n, first, last, first || ' ' || last, '', birthday,"
                   " coalesce(substr(birthday, 6), ''), '', '', 'import',"
                   f" 'floor.csv', '', '{{}}', email, e164, words, '{NOW}', '{NOW}', company_id FROM staged WHERE n >= ? AND n < ?",
        "email": f"INSERT INTO contacts_emailaddress (is_primary, email, kind, contact_id) SELECT 1, email, 'personal', {base} + n"
                 " FROM staged WHERE n >= ? AND n < ?",
        "phone": "INSERT INTO contacts_phonenumber (is_primary, e164, caller_key, kind, contact_id)"
                 f" SELECT 1, e164, substr(e164, -8), 'mobile', {base} + n FROM staged WHERE n >= ? AND n < ?",
        "address": "INSERT INTO contacts_address (kind, is_primary, street, street2, city, region, postal_code, country, contact_id)"
                   f" SELECT 'home', 1, '', '', city, '', '', '', {base} + n FROM staged WHERE n >= ? AND n < ? AND city IS NOT NULL",
        "link": "INSERT INTO imports_importedrecord (row, kind, object_id, action, import_run_id)"
                f" SELECT n + 2, 'contact', {base} + n, 'created', {run} FROM staged WHERE n >= ? AND n < ?",
        "audit": "INSERT INTO core_auditentry (at, actor_label, action, object_type, object_id, object_label, contact_id, after, via)"
                 f" SELECT '{NOW}', 'bench', 'create', 'contacts.contact', CAST({base} + n AS TEXT), first || ' ' || last, {base} + n,"
                 " after, 'import' FROM staged WHERE n >= ? AND n < ?",
    }
    lookups = ("SELECT COUNT(*) FROM staged s JOIN contacts_emailaddress e ON e.email = s.email WHERE s.n >= ? AND s.n < ?",
               "SELECT COUNT(*) FROM staged s JOIN contacts_phonenumber p ON p.e164 = s.e164 WHERE s.n >= ? AND s.n < ?")
    seconds = dict.fromkeys(STEPS, 0.0)
    for start in range(0, count, commit_rows):
        span = (start, start + commit_rows)
        db.execute("BEGIN IMMEDIATE")
        began = time.perf_counter()
        for sql in lookups:
            db.execute(sql, span).fetchone()
        seconds["lookups"] += time.perf_counter() - began
        for step, sql in statements.items():
            began = time.perf_counter()
            db.execute(sql, span)
            seconds[step] += time.perf_counter() - began
        began = time.perf_counter()
        db.execute("COMMIT")
        seconds["commit"] += time.perf_counter() - began
    return seconds


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    seeded = Path(args.data_dir) / "kliyan.sqlite3"
    if not seeded.exists():
        raise SystemExit(f"No {seeded}: run bench_import.py --data-dir {args.data_dir} --keep first.")
    with tempfile.TemporaryDirectory(prefix="kliyan-floor-") as work:
        copy = Path(work) / "floor.sqlite3"
        source = sqlite3.connect(seeded)
        source.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        source.close()
        shutil.copyfile(seeded, copy)
        db = sqlite3.connect(copy, isolation_level=None)
        # As the import's connection has them (kliyan.config.settings, kliyan.imports.services).
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON", "cache_size=-64000", "mmap_size=0"):
            db.execute(f"PRAGMA {pragma}")
        staged(db, args.contacts, args.seed)
        seconds = create(db, args.contacts, args.commit_rows)
        db.close()
    total = sum(seconds.values())
    print(json.dumps({
        "machine": {"python": platform.python_version(), "sqlite": sqlite3.sqlite_version, "cpus": os.cpu_count()},
        "contacts": args.contacts, "commit_rows": args.commit_rows,
        "us_per_contact": {step: round(value / args.contacts * 1e6, 1) for step, value in seconds.items()},
        "us_per_contact_total": round(total / args.contacts * 1e6, 1),
        "contacts_per_second_at_most": round(args.contacts / total),
        "load_average": [round(v, 2) for v in os.getloadavg()],
    }, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
