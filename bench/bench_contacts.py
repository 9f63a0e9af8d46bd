"""Seed N contacts and measure caller ID, search, the contact page and the API list.

    python bench/bench_contacts.py [--contacts 100000] [--interactions-per-contact 10]
                                   [--database-url URL] [--data-dir DIR] [--samples 400]

Runs against its own data directory (a fresh temporary one unless --data-dir is given, deleted
afterwards unless --keep) and never reads the DATABASE_URL of the shell: PostgreSQL is used
only when --database-url names it. Prints one JSON document on stdout.

Seeding writes rows in large transactions (executemany on SQLite, COPY on PostgreSQL), filling the same derived
columns the services fill (display_name, birthday_md, primary_email, primary_phone,
caller_key, search_text built by kliyan.contacts.search); on SQLite the FTS5 index is
rebuilt once at the end instead of row by row through the migration's triggers.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

BATCH = 20_000

# Names and numbers from the five countries of the demo data, accents included.
PEOPLE: dict[str, dict[str, Any]] = {
    "HT": {
        "first": ["Marie", "Jean", "Wisly", "Nadège", "Fabienne", "Jérôme", "Roselène", "Dieudonné", "Mirlande",
                  "Ketly", "Frantz", "Guerline", "Réginald", "Stéphanie", "Widlyne", "Jacques", "Esther", "Fritznel"],
        "last": ["Joseph", "Pierre", "Jean-Baptiste", "Louis", "Charles", "Désir", "Étienne", "Augustin", "Célestin",
                 "Toussaint", "Dorélien", "Saint-Fleur", "Noël", "Alexis", "Bélizaire", "Lafortune", "Métellus"],
        "tld": "ht", "lang": "ht", "prefix": "509", "national": lambda n: f"3{n:07d}",
    },
    "MW": {
        "first": ["Chikondi", "Tiyamike", "Kondwani", "Thoko", "Mphatso", "Chisomo", "Takondwa", "Limbani",
                  "Madalitso", "Yamikani", "Dalitso", "Tawonga", "Ulemu", "Khumbo", "Pemphero", "Zione"],
        "last": ["Banda", "Phiri", "Mwale", "Chirwa", "Nyirenda", "Kamanga", "Mbewe", "Gondwe", "Msiska",
                 "Kumwenda", "Chiumia", "Mhango", "Moyo", "Mkandawire", "Chibwana", "Kachale"],
        "tld": "mw", "lang": "ny", "prefix": "265", "national": lambda n: f"99{n:07d}",
    },
    "AL": {
        "first": ["Arbër", "Elira", "Ardit", "Blerta", "Dritan", "Ermira", "Gëzim", "Jonida", "Klodian", "Lindita",
                  "Marsela", "Përparim", "Rezarta", "Shpëtim", "Valbona", "Xhesika"],
        "last": ["Hoxha", "Shehu", "Dervishi", "Çela", "Kola", "Leka", "Meta", "Gjoka", "Prifti", "Rama", "Bushati",
                 "Dibra", "Këlliçi", "Marku", "Vata", "Zeqiri"],
        "tld": "al", "lang": "sq", "prefix": "355", "national": lambda n: f"67{n:07d}",
    },
    "RO": {
        "first": ["Ștefan", "Ioana", "Andrei", "Mădălina", "Răzvan", "Ileana", "Bogdan", "Cătălina", "Țicu",
                  "Florin", "Oana", "Mihai", "Roxana", "Sorin", "Alexandra", "Gheorghe"],
        "last": ["Popescu", "Ionescu", "Dumitrescu", "Stănescu", "Constantinescu", "Răducanu", "Țăranu",
                 "Munteanu", "Ciobanu", "Rusu", "Stoica", "Matei", "Lungu", "Nistor", "Bălan", "Șerban"],
        "tld": "ro", "lang": "ro", "prefix": "40", "national": lambda n: f"72{n:07d}",
    },
    "FR": {
        "first": ["Céline", "François", "Hélène", "Benoît", "Joëlle", "Amélie", "Loïc", "Gaëlle", "Théo",
                  "Élodie", "Jérémy", "Noémie", "Raphaël", "Maëlys", "Zoé", "Grégoire"],
        "last": ["Dubois", "Lefèvre", "Moreau", "Girard", "Fournier", "Lemaître", "Bérard", "Gauthier", "Chevalier",
                 "Mercier", "Rousseau", "Faure", "André", "Lévêque", "Brûlé", "Pâris"],
        "tld": "fr", "lang": "fr", "prefix": "33", "national": lambda n: f"6{n:08d}",
    },
}
COUNTRIES = sorted(PEOPLE)
COMPANY_WORDS = ["Magazen", "Boutik", "Sitolo", "Dyqani", "Magazin", "Atelier", "Kreyòl", "Lakay", "Chitsime",
                 "Shpresa", "Dacia", "Soleil", "Mango", "Kafe", "Tonton", "Nyanja", "Iliria", "Carpați", "Lumière"]
CHANNELS = ["instagram", "whatsapp", "facebook", "sms", "email", "phone", "store", "website", "chat", "meeting"]
OUTCOMES = ["answered", "follow_up", "sale", "quote", "complaint", "no_answer", ""]
QUESTIONS = ["Do you have this dress in size M?", "Kilè boutik la ouvri dimanch?", "Ndikufuna kudziwa mtengo wa shuga.",
             "A keni pako për Tiranë?", "Cât costă livrarea la Cluj?", "Is the order ready for pick-up?",
             "Puis-je payer en trois fois ?", "Can I change the delivery address?"]
ANSWERS = ["Yes, two left in store; held until Friday.", "Wi, de 9è rive 1è.", "Mtengo ndi 1,500 kwacha.",
           "Po, çdo të martë.", "Livrarea costă 15 lei.", "Ready since this morning.", "Oui, sans frais.", "Done."]

TARGETS_MS = {"caller_id": ("p99", 5.0), "search": ("p95", 50.0), "contact_page": ("p95", 50.0), "api_list": ("p95", 30.0)}


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=100_000, help="contacts to seed (default 100000)")
    parser.add_argument("--interactions-per-contact", type=int, default=10, help="default 10")
    parser.add_argument("--database-url", default="", help="PostgreSQL (or SQLite) URL; default: SQLite in the data dir")
    parser.add_argument("--data-dir", default="", help="data directory (default: a temporary one, deleted afterwards)")
    parser.add_argument("--samples", type=int, default=400, help="timed calls per measurement (default 400)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary data directory")
    parser.add_argument("--reuse", action="store_true", help="skip seeding if the database already holds contacts")
    parser.add_argument("--seed", type=int, default=7, help="random seed")
    return parser.parse_args(argv)


def setup_django(args: argparse.Namespace, data_dir: Path) -> None:
    os.environ["KLIYAN_DATA_DIR"] = str(data_dir)
    os.environ.pop("DATABASE_URL", None)
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
    os.environ["KLIYAN_ALLOWED_HOSTS"] = "testserver"
    os.environ.pop("KLIYAN_DEBUG", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "kliyan.config.settings"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    # Pages render through the production (manifest) static storage, as `kliyan serve` does.
    call_command("collectstatic", verbosity=0, interactive=False)


# --- Seeding ---------------------------------------------------------------------------

def _scramble(n: int, space: int) -> int:
    """Return a distinct pseudo-random number below `space` for each n below `space`."""
    return (n * 7_368_787 + 1_234_567) % space  # 7368787 is prime, so coprime with 10**k


def _person(n: int, rng: random.Random) -> dict[str, Any]:
    country = COUNTRIES[n % len(COUNTRIES)]
    pool = PEOPLE[country]
    first, last = rng.choice(pool["first"]), rng.choice(pool["last"])
    national = pool["national"](_scramble(n // len(COUNTRIES), 10_000_000))
    phones = [f"+{pool['prefix']}{national}"]
    if n % 4 == 0:  # a quarter have a second (WhatsApp) number from another country
        other = PEOPLE[COUNTRIES[(n + 2) % len(COUNTRIES)]]
        phones.append(f"+{other['prefix']}{other['national'](_scramble(n // len(COUNTRIES) + 5_000_000, 10_000_000))}")
    local = f"{first}.{last}".lower().replace(" ", "")
    email = f"{local}{n}@example.{pool['tld']}".encode("ascii", "ignore").decode()
    return {"country": country, "first": first, "last": last, "phones": phones, "email": email}


_INSERT = re.compile(r"INSERT INTO (\w+) \(([^)]*)\) VALUES", re.S)


def insert_rows(cursor: Any, sql: str, rows: list[tuple]) -> None:
    """Insert rows: executemany on SQLite, COPY on PostgreSQL (about ten times faster there)."""
    from django.db import connection

    if not rows:
        return
    if connection.vendor != "postgresql":
        cursor.executemany(sql, rows)
        return
    table, columns = _INSERT.match(sql).groups()
    with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def _timestamps(connection: Any, start: dt.datetime, count: int, step: dt.timedelta) -> Iterator[Any]:
    for i in range(count):
        yield connection.ops.adapt_datetimefield_value(start + i * step)


def seed(args: argparse.Namespace) -> dict[str, Any]:
    from django.db import connection, transaction

    from kliyan.accounts.models import Role, User
    from kliyan.contacts.search import company_search_text, contact_search_text
    from kliyan.core.models import Organisation
    from kliyan.core.phones import caller_key

    rng = random.Random(args.seed)
    Organisation.objects.update_or_create(pk=1, defaults={"name": "Bench", "country": "HT"})
    agent, _ = User.objects.get_or_create(username="bench-agent", defaults={"role": Role.AGENT, "email": "agent@example.org"})
    adapt = connection.ops.adapt_datetimefield_value
    sqlite = connection.vendor == "sqlite"
    started = time.perf_counter()
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)

    with connection.cursor() as cursor:
        if sqlite:
            cursor.execute("PRAGMA synchronous=OFF")
            cursor.execute("PRAGMA cache_size=-1000000")
            # Row-by-row FTS maintenance is the slowest part of bulk loading; rebuild once at the end.
            for trigger in ("contacts_contact_fts_ai", "contacts_contact_fts_ad", "contacts_contact_fts_au"):
                cursor.execute(f"DROP TRIGGER IF EXISTS {trigger}")

    companies = max(1, args.contacts // 20)
    company_names: list[str] = []
    with transaction.atomic(), connection.cursor() as cursor:
        rows = []
        for i in range(companies):
            name = f"{rng.choice(COMPANY_WORDS)} {rng.choice(COMPANY_WORDS)} {i + 1}"
            company_names.append(name)
            stamp = adapt(now + dt.timedelta(seconds=i))
            rows.append((i + 1, name, "", "", agent.pk, "", "", "{}", "", "", company_search_text(name=name, emails=[], phones=[]), None, stamp, stamp))
        insert_rows(
            cursor,
            "INSERT INTO contacts_company (id, name, website, industry, owner_id, source, notes, custom_fields, primary_email,"
            " primary_phone, search_text, archived_at, created_at, updated_at) VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)",
            rows,
        )

    per = args.interactions_per_contact
    contact_sql = (
        "INSERT INTO contacts_contact (id, first_name, last_name, display_name, company_id, job_title, birthday, birthday_md,"
        " language, preferred_channel, owner_id, source, source_detail, referred_by_id, notes, custom_fields, primary_email,"
        " primary_phone, search_text, archived_at, created_by_id, created_at, updated_at)"
        " VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)"
    )
    phone_sql = "INSERT INTO contacts_phonenumber (contact_id, company_id, is_primary, e164, caller_key, kind) VALUES (%s,%s,%s,%s,%s,%s)"
    email_sql = "INSERT INTO contacts_emailaddress (contact_id, company_id, is_primary, email, kind) VALUES (%s,%s,%s,%s,%s)"
    interaction_sql = (
        "INSERT INTO interactions_interaction (contact_id, company_id, channel, direction, occurred_at, staff_id, question,"
        " answer, outcome, external_id, archived_at, created_at, updated_at) VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)"
    )
    counts = {"contacts": 0, "phones": 0, "emails": 0, "interactions": 0, "companies": companies}
    for batch_start in range(0, args.contacts, BATCH):
        contacts, phones, emails, interactions = [], [], [], []
        for n in range(batch_start, min(args.contacts, batch_start + BATCH)):
            pk = n + 1
            p = _person(n, rng)
            company_id = (n % companies) + 1 if n % 5 == 0 else None
            display = f"{p['first']} {p['last']}"
            birthday = dt.date(1950 + n % 55, 1 + n % 12, 1 + n % 28)
            search_text = contact_search_text(
                name=display, company=company_names[company_id - 1] if company_id else "", emails=[p["email"]], phones=p["phones"],
            )
            stamp = adapt(now + dt.timedelta(milliseconds=n))
            archived = adapt(now) if n % 50 == 49 else None  # 2 % archived
            contacts.append((
                pk, p["first"], p["last"], display, company_id, "", connection.ops.adapt_datefield_value(birthday),
                birthday.strftime("%m-%d"), PEOPLE[p["country"]]["lang"], "whatsapp", agent.pk, "walk_in", "", None, "", "{}",
                p["email"], p["phones"][0], search_text, archived, agent.pk, stamp, stamp,
            ))
            for k, e164 in enumerate(p["phones"]):
                phones.append((pk, None, k == 0, e164, caller_key(e164), "mobile" if k == 0 else "whatsapp"))
            emails.append((pk, None, True, p["email"], "personal"))
            for j in range(per):
                when = adapt(now - dt.timedelta(days=rng.randrange(730), minutes=rng.randrange(1440)))
                interactions.append((
                    pk, company_id, CHANNELS[(n + j) % len(CHANNELS)], "inbound" if j % 3 else "outbound", when, agent.pk,
                    QUESTIONS[(n + j) % len(QUESTIONS)], ANSWERS[(n + j) % len(ANSWERS)], OUTCOMES[(n * 3 + j) % len(OUTCOMES)],
                    "", None, stamp, stamp,
                ))
        with transaction.atomic(), connection.cursor() as cursor:
            insert_rows(cursor, contact_sql, contacts)
            insert_rows(cursor, phone_sql, phones)
            insert_rows(cursor, email_sql, emails)
            insert_rows(cursor, interaction_sql, interactions)
        counts["contacts"] += len(contacts)
        counts["phones"] += len(phones)
        counts["emails"] += len(emails)
        counts["interactions"] += len(interactions)
        print(f"seeded {counts['contacts']:,} contacts in {time.perf_counter() - started:.0f} s", file=sys.stderr)

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for table in ("contacts_contact", "contacts_company"):
                cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))")
        if sqlite:
            cursor.execute("INSERT INTO contacts_contact_fts(contacts_contact_fts) VALUES ('rebuild')")
            _restore_fts_triggers(cursor)
            cursor.execute("PRAGMA synchronous=NORMAL")
            # Sampled statistics, as `PRAGMA optimize` gathers them: seconds instead of minutes.
            cursor.execute("PRAGMA analysis_limit=1000")
        cursor.execute("ANALYZE")
    seconds = time.perf_counter() - started
    rows = sum(v for k, v in counts.items())
    return {
        **counts, "seconds": round(seconds, 1), "contacts_per_second": round(counts["contacts"] / seconds),
        "rows_per_second": round(rows / seconds),
    }


def _restore_fts_triggers(cursor: Any) -> None:
    import importlib

    migration = importlib.import_module("kliyan.contacts.migrations.0002_search_index")
    for sql in migration.SQLITE_FORWARD:
        if sql.lstrip().upper().startswith("CREATE TRIGGER"):
            cursor.execute(sql)


# --- Measuring -------------------------------------------------------------------------

def _summary(samples_ms: list[float]) -> dict[str, float]:
    ordered = sorted(samples_ms)

    def pct(p: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))], 3)

    return {"n": len(ordered), "median": round(statistics.median(ordered), 3), "p95": pct(95), "p99": pct(99), "max": round(ordered[-1], 3)}


def _time(calls: list[Callable[[], Any]], warmup: int = 20) -> dict[str, float]:
    for call in calls[:warmup]:
        call()
    samples = []
    for call in calls:
        t0 = time.perf_counter()
        call()
        samples.append((time.perf_counter() - t0) * 1000)
    return _summary(samples)


def _typed_forms(e164: str, rng: random.Random) -> str:
    """Return the number as someone or some phone system might send it."""
    import phonenumbers

    number = phonenumbers.parse(e164, None)
    fmt = phonenumbers.PhoneNumberFormat
    return rng.choice([
        e164, "00" + e164[1:], phonenumbers.format_number(number, fmt.INTERNATIONAL),
        phonenumbers.format_number(number, fmt.NATIONAL), str(number.national_number),
    ])


def measure(args: argparse.Namespace, seeded: dict[str, Any]) -> dict[str, Any]:
    from django.db import connection
    from django.test import Client
    from django.urls import NoReverseMatch, reverse

    from kliyan.accounts.models import User
    from kliyan.accounts.services import token_create
    from kliyan.contacts.models import Contact, PhoneNumber
    from kliyan.contacts.queries import ContactFilters, caller_id, contact_for_page, contact_page, search_contacts
    from kliyan.core.registry import contact_timeline

    rng = random.Random(args.seed + 1)
    total = Contact.objects.count()
    max_id = Contact.objects.order_by("-id").values_list("id", flat=True).first()
    ids = [rng.randint(1, max_id) for _ in range(args.samples)]
    people = {c.pk: c for c in Contact.objects.filter(pk__in=ids).only("id", "first_name", "last_name", "primary_phone")}
    sample = [people[i] for i in ids if i in people]
    agent = User.objects.get(username="bench-agent")
    notes: list[str] = []
    results: dict[str, Any] = {}
    # Measure a process in the state `kliyan serve` leaves it before its first request.
    from kliyan.config.warmup import warm_up

    warm_up()

    # Caller ID: the stored number in the forms a phone system sends, plus unknown callers.
    from kliyan.core.models import Organisation

    org = Organisation.objects.get(pk=1)
    numbers = []
    for contact in sample:
        if contact.primary_phone.startswith("+509"):
            numbers.append(_typed_forms(contact.primary_phone, rng))  # national forms read as Haitian
        else:
            numbers.append(rng.choice([contact.primary_phone, "00" + contact.primary_phone[1:]]))
    numbers += [f"+50948{rng.randrange(10**6):06d}" for _ in range(len(numbers) // 10)]  # nobody has these
    assert org.country == "HT"
    hits = sum(1 for number in numbers[:50] if caller_id(number).contacts)
    results["caller_id"] = _time([lambda number=number: caller_id(number) for number in numbers])
    results["caller_id"]["found_in_first_50"] = hits

    # Search: name fragments, accent-free full names, e-mail parts, phone fragments and full phones.
    from kliyan.core.text import fold

    queries: dict[str, list[str]] = {"name_fragment": [], "accent_free_name": [], "email": [], "phone_fragment": [], "phone_full": []}
    for contact in sample:
        queries["name_fragment"].append(f"{contact.first_name[:4]} {contact.last_name[:3]}")
        queries["accent_free_name"].append(fold(f"{contact.first_name} {contact.last_name}"))
        queries["email"].append(f"{fold(contact.first_name).split()[0]}.{fold(contact.last_name).split()[0]}")
        digits = contact.primary_phone[1:]
        queries["phone_fragment"].append(f"{digits[-8:-4]} {digits[-4:-2]}")
        queries["phone_full"].append(_typed_forms(contact.primary_phone, rng) if contact.primary_phone.startswith("+509") else contact.primary_phone)
    all_search = []
    for kind, items in queries.items():
        calls = [lambda q=q: search_contacts(q) for q in items]
        results[f"search_{kind}"] = _time(calls, warmup=5)
        all_search += calls
    rng.shuffle(all_search)
    results["search"] = _time(all_search[: args.samples * 2], warmup=0)

    # Contact 360° page, as a logged-in agent.
    client = Client()
    client.force_login(agent)
    try:
        reverse("contacts:contact_detail", args=[1])
        page_ok = client.get(reverse("contacts:contact_detail", args=[sample[0].pk])).status_code == 200
    except NoReverseMatch:
        page_ok = False
    if page_ok:
        calls = [lambda pk=c.pk: _expect(client.get(reverse("contacts:contact_detail", args=[pk])), 200) for c in sample]
        results["contact_page"] = _time(calls)
    else:
        notes.append("contact_page: the page did not answer 200; measured contact_for_page + contact_timeline instead")
        results["contact_page"] = _time([lambda pk=c.pk: (contact_for_page(pk), contact_timeline(pk)) for c in sample])

    # API list, first page and deeper pages, with a Bearer token.
    _token, raw = token_create(actor=agent, user=agent, name="bench")
    api = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    first = api.get("/api/v1/contacts", {"limit": 50})
    if first.status_code == 200:
        calls = [lambda: _expect(api.get("/api/v1/contacts", {"limit": 50}), 200) for _ in range(args.samples)]
        results["api_list"] = _time(calls)
        # Few pages: each deeper page costs what the keyset query costs, see docs/performance.md.
        cursors = _api_cursors(api, first.json(), pages=5)
        if cursors:
            results["api_list_next_pages"] = _time(
                [lambda c=c: _expect(api.get("/api/v1/contacts", {"limit": 50, "cursor": c}), 200) for c in cursors], warmup=1,
            )
    else:
        notes.append(f"api_list: GET /api/v1/contacts answered {first.status_code}; measured contact_page(size=50) instead")
        results["api_list"] = _time([lambda: contact_page(ContactFilters(), cursor=None, size=50) for _ in range(args.samples)])

    meets = {name: results[name][stat] <= limit for name, (stat, limit) in TARGETS_MS.items()}
    return {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count(),
                    "processor": platform.processor() or platform.machine()},
        "database": {"vendor": connection.vendor, "version": _db_version(connection), "size_mb": _db_size_mb(connection)},
        "contacts": total, "seeding": seeded, "results_ms": results,
        "targets_ms": {name: {stat: limit} for name, (stat, limit) in TARGETS_MS.items()}, "meets_targets": meets,
        "notes": notes,
    }


def _expect(response: Any, status: int) -> Any:
    if response.status_code != status:
        raise RuntimeError(f"{response.request['PATH_INFO']} answered {response.status_code}")
    return response


def _api_cursors(api: Any, body: Any, pages: int) -> list[str]:
    cursors = []
    cursor = body.get("next_cursor") if isinstance(body, dict) else None
    while cursor and len(cursors) < pages:
        cursors.append(cursor)
        cursor = api.get("/api/v1/contacts", {"limit": 50, "cursor": cursor}).json().get("next_cursor")
    return cursors


def _db_version(connection: Any) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT sqlite_version()" if connection.vendor == "sqlite" else "SHOW server_version")
        return str(cursor.fetchone()[0])


def _db_size_mb(connection: Any) -> float | None:
    if connection.vendor == "sqlite":
        path = Path(connection.settings_dict["NAME"])
        return round(sum(p.stat().st_size for p in path.parent.glob(path.name + "*")) / 1e6, 1)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_database_size(current_database())")
        return round(cursor.fetchone()[0] / 1e6, 1)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    temporary = not args.data_dir
    data_dir = Path(args.data_dir) if args.data_dir else Path(tempfile.mkdtemp(prefix="kliyan-bench-"))
    data_dir.mkdir(parents=True, exist_ok=True)
    try:
        setup_django(args, data_dir)
        from kliyan.contacts.models import Contact

        if args.reuse and Contact.objects.exists():
            seeded: dict[str, Any] = {"reused": True}
        else:
            if Contact.objects.exists():
                raise SystemExit("The bench database already holds contacts; use --reuse or a fresh --data-dir.")
            seeded = seed(args)
        report = measure(args, seeded)
        print(json.dumps(report, indent=2))
        return 0
    finally:
        if temporary and not args.keep:
            shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
