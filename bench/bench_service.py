"""Seed the service desk's large workload and measure the agent queue and the ticket page over HTTP.

    python bench/bench_service.py [--tickets 200000] [--contacts 100000] [--database-url URL]
                                  [--data-dir DIR] [--keep] [--reuse] [--samples 400]

Contacts (with their phones, e-mails and interactions) are seeded by bench_contacts.py's
`seed`; this script adds staff (agents in teams, each team with a manager), a category tree,
products, SLA policies on office hours, and tickets spread over the past year with the
statuses a working desk has (most old tickets closed, recent ones new, open or waiting),
their messages (the customer's, replies, internal notes), their history, their SLA due times
(computed with the real business-hours arithmetic) and the SLA notices already sent. Rows are
written in bulk (executemany on SQLite, COPY on PostgreSQL), column by column from the models'
own field list, so the script keeps working as columns are added.

It then starts `kliyan serve` on a free loopback port and, signed in as an agent (a session
cookie, as a browser holds), times `GET /service/?tab=mine|team|unassigned|breaching` (the
queue's first page) and `GET /service/tickets/<id>/` (random tickets), several hundred requests
each over one kept-alive connection. Prints one JSON document on stdout; progress on stderr.
Like the other benches it never reads the DATABASE_URL of the shell nor your data directory.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import platform
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_commerce as commerce_bench  # noqa: E402
import bench_contacts as contacts_bench  # noqa: E402

BATCH = 20_000
TARGETS_MS = {
    "queue_mine": ("p95", 50.0), "queue_team": ("p95", 50.0), "queue_unassigned": ("p95", 50.0),
    "queue_breaching": ("p95", 50.0), "ticket_page": ("p95", 50.0),
}
CATEGORY_TREE = {
    "Delivery": ["Late delivery", "Damaged parcel", "Wrong address"],
    "Billing": ["Wrong invoice", "Refund", "Payment failed"],
    "Product": ["Defect", "Missing part", "How to use"],
    "Account": ["Password", "Loyalty points"],
    "Store": ["Opening hours", "Staff"],
}
SUBJECTS = ["Colis pas arrivé", "Livrare întârziată", "Fatura gabim", "Kettle stopped working", "Remboursement svp",
            "Pa resevwa kòmand mwen", "Ndalandira katundu", "Wrong size sent", "Cum schimb adresa?", "Points missing"]
BODIES = ["Bonjour, ma commande n'est toujours pas arrivée.", "Comanda nu a sosit încă.", "Fatura ka një shumë të gabuar.",
          "The kettle stopped after two days.", "Mwen poko resevwa anyen.", "Ndikupempha thandizo.", "Can you help me?"]
REPLIES = ["We are looking into it and will write back today.", "Nous avons relancé le transporteur.",
           "Am trimis o nouă factură.", "Mwen voye yon lòt koli jodi a."]
PRIORITIES = ["low"] * 20 + ["normal"] * 55 + ["high"] * 20 + ["urgent"] * 5
KINDS = ["complaint", "question", "request"]
CHANNELS = ["email", "phone", "whatsapp", "store", "website", "facebook", "instagram", "sms"]
OFFICE = {"time_zone": "America/Port-au-Prince",
          "weekly_hours": {day: [["08:00", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri")} | {"sat": [["09:00", "13:00"]]},
          "holidays": ["2026-01-01", "2026-01-02", "2026-12-25"]}


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=200_000, help="tickets to seed (default 200000)")
    parser.add_argument("--contacts", type=int, default=100_000, help="contacts to seed (default 100000)")
    parser.add_argument("--interactions-per-contact", type=int, default=2, help="default 2")
    parser.add_argument("--teams", type=int, default=6, help="teams, each with a manager (default 6)")
    parser.add_argument("--agents-per-team", type=int, default=10, help="default 10")
    parser.add_argument("--database-url", default="", help="PostgreSQL URL; default: SQLite in the data dir")
    parser.add_argument("--data-dir", default="", help="data directory (default: a temporary one, deleted afterwards)")
    parser.add_argument("--samples", type=int, default=400, help="timed requests per page (default 400)")
    parser.add_argument("--server-workers", type=int, default=2, help="kliyan serve --workers (default 2)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary data directory")
    parser.add_argument("--reuse", action="store_true", help="skip seeding if the database already holds tickets")
    parser.add_argument("--seed", type=int, default=7, help="random seed")
    return parser.parse_args(argv)


log = commerce_bench.log


# --- Seeding ---------------------------------------------------------------------------


class Table:
    """Insert rows into a model's table, every concrete column named; unset columns take the field's default."""

    def __init__(self, model: Any, *, with_id: bool = False) -> None:
        from django.db import connection

        # Without ids the database numbers the rows (its sequence stays right on PostgreSQL).
        self.fields = [f for f in model._meta.concrete_fields if with_id or not f.primary_key]
        self.names = [f.attname for f in self.fields]
        self.defaults = {f.attname: (f.get_default() if f.has_default() or not f.null else None) for f in self.fields}
        self.adapt = {
            f.attname: connection.ops.adapt_datetimefield_value for f in self.fields if f.get_internal_type() == "DateTimeField"
        }
        json_fields = [f.attname for f in self.fields if f.get_internal_type() == "JSONField"]
        for name in json_fields:
            self.adapt[name] = json.dumps
        self.sql = (
            f"INSERT INTO {model._meta.db_table} ({', '.join(connection.ops.quote_name(f.column) for f in self.fields)}) "
            f"VALUES ({', '.join(['%s'] * len(self.fields))})"
        )
        self.rows: list[tuple] = []

    def add(self, **values: Any) -> None:
        row = []
        for name in self.names:
            value = values[name] if name in values else self.defaults[name]
            adapt = self.adapt.get(name)
            row.append(adapt(value) if adapt is not None and value is not None else value)
        self.rows.append(tuple(row))

    def flush(self, cursor: Any) -> int:
        count = len(self.rows)
        contacts_bench.insert_rows(cursor, self.sql, self.rows)
        self.rows = []
        return count


def _staff(args: argparse.Namespace) -> dict[str, Any]:
    from kliyan.accounts.models import Role, Team, User

    agent = User.objects.get(username="bench-agent")
    teams, agents, team_of = [], [agent.pk], {}
    for t in range(args.teams):
        manager = User.objects.create_user(username=f"bench-manager-{t + 1}", email=f"manager{t + 1}@example.org", role=Role.MANAGER)
        team = Team.objects.create(name=f"Desk {t + 1}", manager=manager)
        members = [agent] if t == 0 else []
        for a in range(args.agents_per_team - len(members)):
            members.append(User.objects.create_user(username=f"bench-agent-{t + 1}-{a + 1}", email=f"a{t}{a}@example.org",
                                                    role=Role.AGENT))
        team.members.set(members)
        teams.append(team.pk)
        for member in members:
            team_of[member.pk] = team.pk
            if member.pk != agent.pk:
                agents.append(member.pk)
    return {"agent": agent, "teams": teams, "agents": agents, "team_of": team_of}


def _catalogue(rng: random.Random) -> tuple[list[int], list[int]]:
    from kliyan.commerce.models import Product
    from kliyan.service.models import TicketCategory

    leaves = []
    for parent_name, children in CATEGORY_TREE.items():
        parent = TicketCategory.objects.create(name=parent_name)
        for child in children:
            leaves.append(TicketCategory.objects.create(name=child, parent=parent).pk)
    products = Product.objects.bulk_create([
        Product(sku=f"SVC-{i:04d}", name=f"Product {i}", price=rng.randrange(100, 50_000), currency="HTG") for i in range(1, 301)
    ])
    return leaves, [p.pk for p in products]


def _policies() -> dict[str, Any]:
    from kliyan.service import sla

    made = {
        "normal": sla.sla_policy_create(actor=None, data={
            "name": "Standard", "is_default": True, "first_response_minutes": 240, "resolution_minutes": 2400,
            "calendar": OFFICE, "warn_at_percent": 80}),
        "high": sla.sla_policy_create(actor=None, data={
            "name": "High", "priority": "high", "first_response_minutes": 60, "resolution_minutes": 960,
            "calendar": OFFICE, "warn_at_percent": 80}),
        "urgent": sla.sla_policy_create(actor=None, data={
            "name": "Urgent", "priority": "urgent", "first_response_minutes": 30, "resolution_minutes": 480,
            "calendar": OFFICE, "warn_at_percent": 80}),
    }
    made["low"] = made["normal"]
    return made


def _status_for(age: dt.timedelta, rng: random.Random) -> str:
    r = rng.random()
    if age < dt.timedelta(days=2):
        return "new" if r < 0.3 else "open" if r < 0.7 else "waiting" if r < 0.9 else "resolved"
    if age < dt.timedelta(days=14):
        return ("open" if r < 0.2 else "waiting" if r < 0.3 else "reopened" if r < 0.32 else "resolved" if r < 0.7
                else "closed")
    return "closed" if r < 0.9 else "resolved" if r < 0.99 else "open"


def seed_service(args: argparse.Namespace, contact_count: int) -> dict[str, Any]:
    from django.db import connection, transaction
    from django.utils import timezone

    from kliyan.service import business_hours as bh
    from kliyan.service import sla
    from kliyan.service.models import SLAEvent, Ticket, TicketEvent, TicketMessage

    rng = random.Random(args.seed + 5)
    started = time.perf_counter()
    staff = _staff(args)
    leaves, products = _catalogue(rng)
    policies = _policies()
    calendar = sla.calendar_of(policies["normal"])
    # Tickets are dated from now back, so the queue's "breaching soon" and the ages are as on a live desk.
    now = timezone.now().replace(microsecond=0)
    tickets, messages, events, notices = Table(Ticket, with_id=True), Table(TicketMessage), Table(TicketEvent), Table(SLAEvent)
    counts = {"tickets": 0, "messages": 0, "events": 0, "sla_events": 0}
    by_status: dict[str, int] = {}
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA synchronous=OFF")
    agent_names = {pk: f"agent {pk}" for pk in staff["agents"]}
    for ticket_id in range(1, args.tickets + 1):
        age = dt.timedelta(minutes=int(365 * 24 * 60 * rng.random() ** 2))
        created = now - age
        status = _status_for(age, rng)
        by_status[status] = by_status.get(status, 0) + 1
        priority = rng.choice(PRIORITIES)
        policy = policies[priority]
        unassigned = status == "new" and rng.random() < 0.5 or rng.random() < 0.02
        assignee = None if unassigned else rng.choice(staff["agents"])
        team = staff["team_of"][assignee] if assignee else (rng.choice(staff["teams"]) if rng.random() < 0.8 else None)
        responded = None
        if status != "new":
            responded = min(now, created + dt.timedelta(minutes=rng.randrange(5, 8 * 60)))
        resolved = closed = waiting_since = None
        if status in ("resolved", "closed"):
            resolved = min(now, (responded or created) + dt.timedelta(minutes=rng.randrange(30, 10 * 24 * 60)))
            closed = min(now, resolved + dt.timedelta(days=3)) if status == "closed" else None
        if status == "waiting":
            waiting_since = min(now, (responded or created) + dt.timedelta(minutes=rng.randrange(1, 600)))
        pauses = [(waiting_since, None)] if waiting_since else []
        first_due = bh.add_business_time(calendar, created, policy.first_response_within)
        resolution_due = bh.due_at(calendar, created, policy.resolution_within, pauses)
        channel = rng.choice(CHANNELS)
        tickets.add(
            id=ticket_id, kind=rng.choice(KINDS), subject=f"{rng.choice(SUBJECTS)} #{ticket_id}",
            contact_id=rng.randint(1, contact_count), company_id=None,
            category_id=rng.choice(leaves) if rng.random() < 0.8 else None,
            product_id=rng.choice(products) if rng.random() < 0.4 else None,
            priority=priority, status=status, channel=channel, assignee_id=assignee, team_id=team, follow_up_of_id=None,
            created_by_id=None, created_at=created, updated_at=max(filter(None, (created, responded, resolved, closed))),
            first_responded_at=responded, resolved_at=resolved, closed_at=closed, waiting_since=waiting_since,
            first_response_due=first_due, resolution_due=resolution_due, sla_policy_id=policy.pk,
            first_response_warn_at=bh.add_business_time(calendar, created, policy.first_response_within * 0.8),
            resolution_warn_at=bh.due_at(calendar, created, policy.resolution_within * 0.8, pauses),
            first_response_business_seconds=int(bh.business_time_between(calendar, created, responded).total_seconds())
            if responded else None,
            resolution_business_seconds=int(bh.business_time_between(calendar, created, resolved).total_seconds())
            if resolved else None,
        )
        counts["tickets"] += 1
        # The conversation and the history a ticket in this status has.
        messages.add(ticket_id=ticket_id, kind="customer", body=rng.choice(BODIES), channel=channel, created_at=created,
                     message_id=None)
        events.add(ticket_id=ticket_id, kind="created", new_value="new", at=created)
        if responded:
            messages.add(ticket_id=ticket_id, kind="reply", body=rng.choice(REPLIES), author_id=assignee, channel=channel,
                         from_name=agent_names.get(assignee, ""), created_at=responded, message_id=None,
                         mail_status="sent" if channel == "email" else "", mail_sent_at=responded if channel == "email" else None)
            events.add(ticket_id=ticket_id, kind="reply", actor_id=assignee, at=responded)
            events.add(ticket_id=ticket_id, kind="status", actor_id=assignee, old_value="new", new_value="open", at=responded)
        if rng.random() < 0.2:
            note_at = min(now, created + dt.timedelta(minutes=rng.randrange(1, 600)))
            messages.add(ticket_id=ticket_id, kind="note", body="Checked with the courier.", author_id=assignee,
                         created_at=note_at, message_id=None)
            events.add(ticket_id=ticket_id, kind="note", actor_id=assignee, at=note_at)
        if waiting_since:
            events.add(ticket_id=ticket_id, kind="status", actor_id=assignee, old_value="open", new_value="waiting", at=waiting_since)
        if resolved:
            events.add(ticket_id=ticket_id, kind="status", actor_id=assignee, old_value="open", new_value="resolved", at=resolved)
        if closed:
            events.add(ticket_id=ticket_id, kind="status", actor_id=assignee, old_value="resolved", new_value="closed", at=closed)
        if status == "reopened":
            messages.add(ticket_id=ticket_id, kind="customer", body="Still not solved.", channel=channel, created_at=now - age / 2,
                         message_id=None)
        late = (responded or now) > first_due
        if late and status in ("new", "open", "reopened", "waiting", "resolved", "closed"):
            notices.add(ticket_id=ticket_id, target="first_response", kind="breach", due=first_due, at=first_due,
                        notified_at=first_due)
        if ticket_id % BATCH == 0 or ticket_id == args.tickets:
            with transaction.atomic(), connection.cursor() as cursor:
                counts["tickets_flushed"] = counts.get("tickets_flushed", 0) + tickets.flush(cursor)
                counts["messages"] += messages.flush(cursor)
                counts["events"] += events.flush(cursor)
                counts["sla_events"] += notices.flush(cursor)
            log(f"seeded {ticket_id:,} tickets in {time.perf_counter() - started:.0f} s")
    counts.pop("tickets_flushed", None)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT setval(pg_get_serial_sequence('service_ticket', 'id'), (SELECT MAX(id) FROM service_ticket))")
        else:
            cursor.execute("PRAGMA synchronous=NORMAL")
            # Full statistics, as `PRAGMA optimize` (the nightly optimize_database job) gathers: with
            # sampled ones SQLite misjudges the status index and skips the partial indexes of the queue.
            cursor.execute("PRAGMA analysis_limit=0")
        cursor.execute("ANALYZE")
    seconds = time.perf_counter() - started
    rows = sum(counts.values())
    return {**counts, "by_status": by_status, "seconds": round(seconds, 1), "rows_per_second": round(rows / seconds)}


# --- Measuring -------------------------------------------------------------------------


class Browser:
    """One kept-alive HTTP connection carrying a signed-in agent's session cookie."""

    def __init__(self, port: int, cookie: str) -> None:
        self.headers = {"Cookie": cookie, "Accept-Language": "en"}
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)

    def get(self, path: str) -> tuple[int, bytes]:
        self.connection.request("GET", path, headers=self.headers)
        response = self.connection.getresponse()
        return response.status, response.read()


def session_cookie(user: Any) -> str:
    """Sign `user` in the way the login page does and return the Cookie header a browser would send."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}"


def _time_pages(browser: Browser, paths: list[str], expect: bytes) -> dict[str, Any]:
    for path in paths[:20]:
        status, body = browser.get(path)
        if status != 200:
            raise SystemExit(f"{path} answered {status}: {body[:500]!r}")
    samples, sizes = [], []
    for path in paths:
        t0 = time.perf_counter()
        status, body = browser.get(path)
        samples.append((time.perf_counter() - t0) * 1000)
        if status != 200 or expect not in body:
            raise SystemExit(f"{path} answered {status} without {expect!r}")
        sizes.append(len(body))
    return {**contacts_bench._summary(samples), "bytes_median": sorted(sizes)[len(sizes) // 2]}


def measure(args: argparse.Namespace, data_dir: Path, seeded: dict[str, Any]) -> dict[str, Any]:
    from django.db import connection

    from kliyan.accounts.models import User
    from kliyan.contacts.models import Contact
    from kliyan.service.choices import UNRESOLVED
    from kliyan.service.models import Ticket, TicketEvent, TicketMessage

    rng = random.Random(args.seed + 6)
    agent = User.objects.get(username="bench-agent")
    cookie = session_cookie(agent)
    max_id = Ticket.objects.order_by("-id").values_list("id", flat=True).first()
    ticket_ids = [rng.randint(1, max_id) for _ in range(args.samples)]
    totals = {
        "contacts": Contact.objects.count(), "tickets": Ticket.objects.count(),
        "unresolved": Ticket.objects.filter(status__in=UNRESOLVED).count(),
        "messages": TicketMessage.objects.count(), "events": TicketEvent.objects.count(),
        "agent_open_tickets": Ticket.objects.filter(status__in=UNRESOLVED, assignee=agent).count(),
    }
    if connection.vendor == "sqlite":
        commerce_bench.warm_page_cache(Path(connection.settings_dict["NAME"]))
    connection.close()

    server, port = commerce_bench.start_server(args, data_dir)
    results: dict[str, Any] = {}
    try:
        browser = Browser(port, cookie)
        for tab in ("mine", "team", "unassigned", "breaching"):
            results[f"queue_{tab}"] = _time_pages(browser, [f"/service/?tab={tab}"] * args.samples, b"ticket-row")
            log(f"queue_{tab}: {results[f'queue_{tab}']}")
        results["ticket_page"] = _time_pages(browser, [f"/service/tickets/{pk}/" for pk in ticket_ids], b"Service level")
        log(f"ticket_page: {results['ticket_page']}")
        samples = []
        for _ in range(args.samples):
            t0 = time.perf_counter()
            browser.get("/api/v1/health")
            samples.append((time.perf_counter() - t0) * 1000)
        results["health_http"] = contacts_bench._summary(samples)
    finally:
        server.terminate()
        server.wait(timeout=30)
    meets = {name: results[name][stat] <= limit for name, (stat, limit) in TARGETS_MS.items()}
    return {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count(),
                    "load_average": os.getloadavg()},
        "database": {"vendor": connection.vendor, "version": contacts_bench._db_version(connection),
                     "size_mb": contacts_bench._db_size_mb(connection)},
        **totals, "seeding": seeded, "results_ms": results,
        "targets_ms": {name: {stat: limit} for name, (stat, limit) in TARGETS_MS.items()}, "meets_targets": meets,
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    temporary = not args.data_dir
    data_dir = Path(args.data_dir) if args.data_dir else Path(tempfile.mkdtemp(prefix="kliyan-bench-service-"))
    data_dir.mkdir(parents=True, exist_ok=True)
    try:
        contact_args = contacts_bench.parse_args([
            "--contacts", str(args.contacts), "--interactions-per-contact", str(args.interactions_per_contact),
            "--seed", str(args.seed), *(["--database-url", args.database_url] if args.database_url else []),
        ])
        contacts_bench.setup_django(contact_args, data_dir)
        from kliyan.contacts.models import Contact
        from kliyan.service.models import Ticket

        if args.reuse and Ticket.objects.exists():
            seeded: dict[str, Any] = {"reused": True}
        else:
            if Contact.objects.exists():
                raise SystemExit("The bench database already holds contacts; use --reuse or a fresh --data-dir.")
            seeded = {"contacts": contacts_bench.seed(contact_args)}
            seeded["service"] = seed_service(args, args.contacts)
            seeded["vacuum_seconds"] = commerce_bench.vacuum()
        report = measure(args, data_dir, seeded)
        print(json.dumps(report, indent=2, ensure_ascii=False, default=str))
        return 0
    finally:
        if temporary and not args.keep:
            shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
