"""Import a large contacts CSV into a database that already holds many contacts, and time it.

    python bench/bench_import.py [--contacts 1000000] [--rows 1000000] [--database-url URL]
                                 [--data-dir DIR] [--keep] [--reuse] [--on-duplicate skip]

Existing contacts (with their phones and e-mails; no interactions) are seeded by
bench_contacts.py's `seed`. The script then writes a CSV of --rows people the way a
spreadsheet export looks (names with accents, phones in E.164, international and national
forms, e-mails, companies, cities, birthdays, tags) in which some rows match existing
contacts by e-mail, some by phone only, some by a similar name at the same company, some
repeat an earlier row of the file, and about 1 % are bad (an invalid e-mail, phone or date,
no name). It runs the import through the real code path, `kliyan import FILE` in its own
process, and prints one JSON document: rows/s, peak memory, the counts, the load average.

With --reuse the seeded database is used again: on SQLite a copy of the freshly seeded file
is kept in the data directory and restored before each run; on PostgreSQL the rows that an
earlier run added are deleted first. Like the other benches it never reads the DATABASE_URL
of the shell nor your data directory.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_contacts as contacts_bench  # noqa: E402

TARGET_ROWS_PER_SECOND = 20_000
TARGET_PEAK_MB = 500
HEADER = ["Prénom", "Nom", "Courriel", "Téléphone", "Entreprise", "Ville", "Date de naissance", "Étiquettes"]
CITIES = ["Port-au-Prince", "Pétion-Ville", "Cap-Haïtien", "Lilongwe", "Blantyre", "Tiranë", "Durrës", "București",
          "Cluj-Napoca", "Iași", "Lyon", "Besançon", ""]
TAGS = ["VIP", "Grossiste", "Klyan fidèl", "Shitje", "Fidel"]
# Shares of the rows (the rest are new people).
EMAIL_MATCH, PHONE_MATCH, NAME_MATCH, FILE_REPEAT, BAD = 0.08, 0.04, 0.02, 0.01, 0.01


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=1_000_000, help="existing contacts to seed (default 1000000)")
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows in the CSV to import (default 1000000)")
    parser.add_argument("--database-url", default="", help="PostgreSQL URL; default: SQLite in the data dir")
    parser.add_argument("--data-dir", default="", help="data directory (default: a temporary one, deleted afterwards)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary data directory")
    parser.add_argument("--reuse", action="store_true", help="reuse the seeded database (and the CSV) of an earlier --keep run")
    parser.add_argument("--on-duplicate", choices=("skip", "update", "create"), default="skip", help="default skip")
    parser.add_argument("--batch-size", type=int, default=0, help="rows per committed batch (default: the CLI's)")
    parser.add_argument("--seed", type=int, default=7, help="random seed")
    return parser.parse_args(argv)


# --- The file ----------------------------------------------------------------------------

def _existing_sample(count: int, rng: random.Random) -> list[dict[str, Any]]:
    """Return `count` random existing contacts with their e-mail, phone and company name."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT MAX(id) FROM contacts_contact")
        top = cursor.fetchone()[0] or 0
    if not top or not count:
        return []
    ids = sorted({rng.randint(1, top) for _ in range(count)})
    found: list[dict[str, Any]] = []
    with connection.cursor() as cursor:
        for start in range(0, len(ids), 5000):
            part = ids[start:start + 5000]
            cursor.execute(
                "SELECT c.first_name, c.last_name, c.primary_email, c.primary_phone, co.name FROM contacts_contact c"
                " LEFT JOIN contacts_company co ON co.id = c.company_id"
                f" WHERE c.id IN ({', '.join(['%s'] * len(part))})", part,
            )
            found += [dict(zip(("first", "last", "email", "phone", "company"), row, strict=True)) for row in cursor.fetchall()]
    rng.shuffle(found)
    return found


def _company_sample(count: int, rng: random.Random) -> list[str]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM contacts_company ORDER BY id LIMIT %s", [max(count, 1)])
        names = [row[0] for row in cursor.fetchall()]
    rng.shuffle(names)
    return names


def _typo(name: str, rng: random.Random) -> str:
    """Return the name as someone else might have typed it: another case, a lost accent, swapped words."""
    import unicodedata

    choice = rng.randrange(3)
    if choice == 0:
        return name.upper()
    if choice == 1:
        return "".join(c for c in unicodedata.normalize("NFD", name) if not unicodedata.combining(c))
    return name + "e" if len(name) > 6 else name.lower()


def _phone_forms(e164: str, rng: random.Random) -> str:
    """Return the number as people type it into a spreadsheet."""
    if e164.startswith("+509") and rng.random() < 0.5:
        national = e164[4:]
        return f"{national[:4]} {national[4:]}" if rng.random() < 0.5 else f"{national[:2]}-{national[2:4]}-{national[4:]}"
    kind = rng.randrange(3)
    if kind == 0:
        return e164
    if kind == 1:
        return "00" + e164[1:]
    code = 3 if e164[1:4] in ("509", "265", "355") else 2
    rest = e164[1 + code:]
    return f"+{e164[1:1 + code]} {rest[:3]} {rest[3:6]} {rest[6:]}"


NEW_PREFIXES = [("+5094", 7), ("+26588", 7), ("+35569", 7), ("+4073", 7), ("+3365", 7)]


def _new_phone(n: int) -> str:
    # Prefixes the seeded contacts never use (bench_contacts: +5093, +26599, +35567, +4072, +3360).
    prefix, width = NEW_PREFIXES[n % len(NEW_PREFIXES)]
    return f"{prefix}{contacts_bench._scramble(n // len(NEW_PREFIXES), 10 ** width):0{width}d}"


def write_csv(path: Path, args: argparse.Namespace) -> dict[str, int]:
    """Write the CSV to import; return how many rows of each kind it holds."""
    rng = random.Random(args.seed + 11)
    rows = args.rows
    existing = _existing_sample(int(rows * (EMAIL_MATCH + PHONE_MATCH)) + 1, rng)
    with_company = [e for e in _existing_sample(int(rows * NAME_MATCH * 8) + 1, rng) if e["company"]]
    companies = _company_sample(max(rows // 40, 1), rng)
    new_companies = [f"{rng.choice(contacts_bench.COMPANY_WORDS)} Import {i}" for i in range(max(rows // 200, 1))]
    counts = {"new": 0, "email_match": 0, "phone_match": 0, "name_match": 0, "file_repeat": 0, "bad": 0}
    earlier: list[list[str]] = []
    tmp = path.with_suffix(".part")
    with tmp.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, delimiter=";")
        writer.writerow(HEADER)
        for n in range(rows):
            draw = rng.random()
            person = contacts_bench._person(n + 3_000_000, rng)
            first, last = person["first"], person["last"]
            email = f"{person['email'].split('@')[0]}.imp@example.org"
            phone = _phone_forms(_new_phone(n), rng)
            company = ""
            if rng.random() < 0.3:
                company = rng.choice(companies) if companies and rng.random() < 0.5 else rng.choice(new_companies)
            city = rng.choice(CITIES) if rng.random() < 0.5 else ""
            birthday = f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/{rng.randint(1950, 2005)}" if rng.random() < 0.3 else ""
            tags = rng.choice(TAGS) if rng.random() < 0.1 else ""
            kind = "new"
            if draw < EMAIL_MATCH and existing:
                match = existing.pop()
                first, last, email = match["first"], match["last"], match["email"].upper() if rng.random() < 0.3 else match["email"]
                kind = "email_match"
            elif draw < EMAIL_MATCH + PHONE_MATCH and existing:
                match = existing.pop()
                first, last, phone = match["first"], match["last"], _phone_forms(match["phone"], rng)
                kind = "phone_match"
            elif draw < EMAIL_MATCH + PHONE_MATCH + NAME_MATCH and with_company:
                match = with_company.pop()
                first, last, company = _typo(match["first"], rng), match["last"], match["company"]
                if rng.random() < 0.5:
                    company = company.lower()
                kind = "name_match"
            elif draw < EMAIL_MATCH + PHONE_MATCH + NAME_MATCH + FILE_REPEAT and earlier:
                first, last, email, phone, company, city, birthday, tags = rng.choice(earlier)
                kind = "file_repeat"
            elif draw < EMAIL_MATCH + PHONE_MATCH + NAME_MATCH + FILE_REPEAT + BAD:
                bad = rng.randrange(4)
                if bad == 0:
                    email = email.replace("@", " at ")
                elif bad == 1:
                    phone = "12"
                elif bad == 2:
                    birthday = "31/02/1990"
                else:
                    first = last = ""
                kind = "bad"
            row = [first, last, email, phone, company, city, birthday, tags]
            if kind == "new" and len(earlier) < 10_000 and rng.random() < 0.05:
                earlier.append(row)
            counts[kind] += 1
            writer.writerow(row)
    tmp.replace(path)
    return counts


# --- Resetting -----------------------------------------------------------------------------

def _sqlite_file() -> Path:
    from django.db import connection

    return Path(connection.settings_dict["NAME"])


def snapshot_seeded(data_dir: Path) -> dict[str, int]:
    """Remember the seeded state: a copy of the SQLite file, or the highest ids on PostgreSQL."""
    from django.db import connection

    tops = _top_ids()
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        connection.close()
        shutil.copyfile(_sqlite_file(), data_dir / "seeded.sqlite3")
    (data_dir / "seeded.json").write_text(json.dumps(tops))
    return tops


TABLES = ("contacts_contact", "contacts_company", "contacts_emailaddress", "contacts_phonenumber", "contacts_address",
          "contacts_contact_tags", "core_auditentry", "imports_import", "imports_importproblem", "imports_importedrecord")


def _top_ids() -> dict[str, int]:
    from django.db import connection

    tops = {}
    with connection.cursor() as cursor:
        for table in TABLES:
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")
            tops[table] = int(cursor.fetchone()[0])
    return tops


def restore_seeded(data_dir: Path) -> None:
    """Put the database back as it was seeded (an earlier run imported into it)."""
    from django.db import connection

    if connection.vendor == "sqlite":
        connection.close()
        target = _sqlite_file()
        for suffix in ("-wal", "-shm"):
            Path(str(target) + suffix).unlink(missing_ok=True)
        shutil.copyfile(data_dir / "seeded.sqlite3", target)
        _migrate()  # the code may have gained migrations since the copy was taken
        return
    tops = json.loads((data_dir / "seeded.json").read_text())
    with connection.cursor() as cursor:
        for table in reversed(TABLES):
            cursor.execute(f"DELETE FROM {table} WHERE id > %s", [tops[table]])
        cursor.execute("VACUUM ANALYZE")
    _migrate()


def _migrate() -> None:
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


# --- Running ------------------------------------------------------------------------------

def _tree_rss_mb(pid: int) -> tuple[float, float]:
    """Return the resident memory of a process and its children together, and of the largest one, in MB (Linux /proc)."""
    total = largest = 0
    pids = [pid]
    while pids:
        current = pids.pop()
        try:
            with open(f"/proc/{current}/status", encoding="ascii") as status:
                for line in status:
                    if line.startswith("VmRSS:"):
                        rss = int(line.split()[1])
                        total += rss
                        largest = max(largest, rss)
            with open(f"/proc/{current}/task/{current}/children", encoding="ascii") as children:
                pids += [int(p) for p in children.read().split()]
        except (OSError, ValueError):
            continue
    return total / 1024, largest / 1024


def run_import(args: argparse.Namespace, data_dir: Path, csv_path: Path) -> dict[str, Any]:
    """Run `kliyan import` in its own process; return its time, memory and the import's counts."""
    env = {**os.environ, "KLIYAN_DATA_DIR": str(data_dir)}
    env.pop("DATABASE_URL", None)
    if args.database_url:
        env["DATABASE_URL"] = args.database_url
    command = [sys.executable, "-m", "kliyan", "import", str(csv_path), "--user", "bench-agent", "--on-duplicate", args.on_duplicate,
               "--report", str(data_dir / "report.csv")]
    if args.batch_size:
        command += ["--batch-size", str(args.batch_size)]
    load_before = os.getloadavg()
    started = time.perf_counter()
    log = (data_dir / "import.log").open("w")
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=log, text=True,
                               cwd=str(Path(__file__).resolve().parent.parent))
    peak_tree = peak_one = 0.0
    while process.poll() is None:
        tree, one = _tree_rss_mb(process.pid)
        peak_tree, peak_one = max(peak_tree, tree), max(peak_one, one)
        time.sleep(0.2)
    seconds = time.perf_counter() - started
    log.close()
    out = process.stdout.read() if process.stdout else ""
    from kliyan.imports.models import Import

    imported = Import.objects.order_by("-id").first()
    if imported is None:
        raise SystemExit(f"The import did not start; see {data_dir / 'import.log'}")
    run_seconds = (imported.finished_at - imported.started_at).total_seconds() if imported.finished_at and imported.started_at else seconds
    return {
        "command": " ".join(command[1:]), "exit_status": process.returncode, "output": out.strip(),
        "status": imported.status, "rows": imported.rows_read, "created": imported.created, "updated": imported.updated,
        "skipped": imported.skipped, "failed": imported.failed, "matched_by": getattr(imported, "matches", None),
        "seconds_process": round(seconds, 1), "seconds_run": round(run_seconds, 1),
        "rows_per_second": round(imported.rows_read / run_seconds) if run_seconds else None,
        "rows_per_second_process": round(imported.rows_read / seconds) if seconds else None,
        # Sampled every 0.2 s. Not ru_maxrss: on Linux a child's counts the memory of this process
        # when it forked (a gigabyte after seeding), not only its own.
        "peak_rss_mb_largest_process": round(peak_one, 1),
        "peak_rss_mb_all_processes": round(peak_tree, 1),
        "load_average_before": [round(v, 2) for v in load_before], "load_average_after": [round(v, 2) for v in os.getloadavg()],
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    temporary = not args.data_dir
    data_dir = Path(args.data_dir) if args.data_dir else Path(tempfile.mkdtemp(prefix="kliyan-bench-import-"))
    data_dir.mkdir(parents=True, exist_ok=True)
    try:
        contact_args = contacts_bench.parse_args([
            "--contacts", str(args.contacts), "--interactions-per-contact", "0", "--seed", str(args.seed),
            *(["--database-url", args.database_url] if args.database_url else []),
        ])
        contacts_bench.setup_django(contact_args, data_dir)
        from kliyan.contacts.models import Contact

        if args.reuse and (data_dir / "seeded.json").exists():
            restore_seeded(data_dir)
            seeded: dict[str, Any] = {"reused": True}
        else:
            if Contact.objects.exists():
                raise SystemExit("The bench database already holds contacts; use --reuse or a fresh --data-dir.")
            seeded = contacts_bench.seed(contact_args)
            snapshot_seeded(data_dir)
        csv_path = data_dir / f"import-{args.rows}-{args.contacts}-{args.seed}.csv"
        file_rows: dict[str, int] | None = None
        if not csv_path.exists():
            print(f"writing {args.rows:,} rows to {csv_path}", file=sys.stderr)
            file_rows = write_csv(csv_path, args)
            (csv_path.with_suffix(".json")).write_text(json.dumps(file_rows))
        else:
            file_rows = json.loads(csv_path.with_suffix(".json").read_text())
        from django.db import connection

        connection.close()
        print(f"importing {csv_path.name} ({csv_path.stat().st_size / 1e6:.0f} MB)", file=sys.stderr)
        result = run_import(args, data_dir, csv_path)
        report = {
            "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "machine": {"python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count()},
            "database": {"vendor": connection.vendor, "version": contacts_bench._db_version(connection),
                         "size_mb": contacts_bench._db_size_mb(connection)},
            "existing_contacts": args.contacts, "file": {"rows": args.rows, "mb": round(csv_path.stat().st_size / 1e6, 1), **file_rows},
            "seeding": seeded, "import": result,
            "targets": {"rows_per_second": TARGET_ROWS_PER_SECOND, "peak_rss_mb": TARGET_PEAK_MB},
            "meets_targets": {
                "rows_per_second": (result["rows_per_second"] or 0) >= TARGET_ROWS_PER_SECOND,
                "peak_rss_mb": result["peak_rss_mb_all_processes"] <= TARGET_PEAK_MB,
            },
        }
        print(json.dumps(report, indent=2, ensure_ascii=False, default=str))
        return 0
    finally:
        if temporary and not args.keep:
            shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
