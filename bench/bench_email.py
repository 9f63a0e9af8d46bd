"""Render, store and deliver personalised marketing e-mails to a local SMTP server (issue 5, item 8).

    python bench/bench_email.py [--messages 100000] [--database-url URL] [--data-dir DIR] [--keep]
                                [--worker-interval 0.2] [--no-pipelining]

Seeds `--messages` contacts (bench_contacts.py's `seed` without interactions; none archived),
each with e-mail consent, and seven in ten with a purchase (so "last product" has a value),
plus a marketing template in English and French using the first name, the last product, the
coupon code and the unsubscribe link. Then, as a campaign does, it stores one message per
contact with `kliyan.marketing.outbox.queue_many`, a transaction per 1,000 contacts (timed:
"render and store"). Each chunk enqueues the delivery task, as in production.

Delivery is the real thing: an aiosmtpd server in its own process (counting messages and
distinct Message-IDs, keeping no bodies; it offers PIPELINING, as Postfix and Exim do, unless
`--no-pipelining`) and a `kliyan worker` subprocess, which runs the
enqueued `deliver_messages` tasks (outbox.deliver_due → the e-mail sender, one SMTP connection
per batch of KLIYAN_OUTBOX_BATCH). Delivery is timed from the first message received to the
last; the worker's resident memory is sampled every 0.2 s and noted when 10 %, 10,000, half
and all of the messages have arrived. Quiet hours are switched off (KLIYAN_QUIET_HOURS=""),
otherwise messages would wait for the morning of each contact's time zone, and the schedule's
current slots are marked as run before the worker starts (`settle_schedule`), as on a site whose
worker has been running: a fresh database would start every nightly job at the worker's first tick.

Like the other scripts it never reads the DATABASE_URL of the shell nor your data directory.
Prints one JSON document on stdout; progress goes to stderr.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import datetime as dt
import json
import os
import platform
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

TARGET_PER_SECOND = 500.0
STORE_CHUNK = 1_000  # what a campaign stores per transaction (campaign_sending.CHUNK)
PRODUCTS = 40
FROM_EMAIL = "Boutik Lakay <news@boutik.example>"
PUBLIC_URL = "https://crm.boutik.example"
SUBJECTS = {
    "en": "{{ greeting_name }}, 15 % off for you this week",
    "fr": "{{ greeting_name }}, 15 % de remise pour vous cette semaine",
}
BODIES = {
    "en": (
        "Hello {{ first_name|default:\"there\" }},\n\n"
        "{% if last_product %}Thank you for buying {{ last_product }} on {{ last_order_date|date:\"j F Y\" }}.\n"
        "{% endif %}This week only, the code {{ coupon_code }} takes 15 % off everything at {{ organisation }}.\n\n"
        "See you soon,\n{{ organisation }}\n\n"
        "Stop these e-mails: {{ unsubscribe_url }}\n"
    ),
    "fr": (
        "Bonjour {{ first_name|default:\"à vous\" }},\n\n"
        "{% if last_product %}Merci pour votre achat de {{ last_product }} le {{ last_order_date|date:\"j F Y\" }}.\n"
        "{% endif %}Cette semaine seulement, le code {{ coupon_code }} vous offre 15 % sur tout chez {{ organisation }}.\n\n"
        "À bientôt,\n{{ organisation }}\n\n"
        "Ne plus recevoir ces e-mails : {{ unsubscribe_url }}\n"
    ),
}


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=100_000, help="contacts seeded and e-mails sent (default 100000)")
    parser.add_argument("--database-url", default="", help="PostgreSQL URL; default: SQLite in the data dir")
    parser.add_argument("--data-dir", default="", help="data directory (default: a temporary one, deleted afterwards)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary data directory")
    parser.add_argument("--worker-interval", type=float, default=0.2, help="kliyan worker --interval (default 0.2 s)")
    parser.add_argument("--timeout", type=float, default=1_800.0, help="give up delivering after this many seconds")
    parser.add_argument("--seed", type=int, default=7, help="random seed")
    parser.add_argument("--overlap", action="store_true",
                        help="start the worker before storing, as a second worker would deliver a campaign's first "
                             "chunks while the next are stored (PostgreSQL; SQLite serialises the two)")
    parser.add_argument("--no-pipelining", action="store_true",
                        help="the SMTP server does not offer PIPELINING: one command at a time, four waits per e-mail")
    parser.add_argument("--smtp-server", default="", help=argparse.SUPPRESS)  # internal: run the SMTP server process
    return parser.parse_args(argv)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- The SMTP server process -----------------------------------------------------------------

_MESSAGE_ID = re.compile(rb"^Message-ID:\s*(<[^>]+>)", re.IGNORECASE | re.MULTILINE)


def serve_smtp(stats_path: Path, *, pipelining: bool = True) -> None:
    """Run an aiosmtpd server on a free loopback port; write its counts to `stats_path` every 0.1 s until SIGTERM.

    It offers PIPELINING (RFC 2920) in its EHLO answer unless told not to, as Postfix, Exim and the
    large providers do; aiosmtpd reads commands one after the other from its buffer, so commands
    sent together are answered as if sent one by one.
    """
    import logging

    from aiosmtpd.controller import Controller

    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every session at INFO

    class Counter:
        def __init__(self) -> None:
            self.count = 0
            self.ids: set[bytes] = set()
            self.first = self.last = 0.0
            self.lock = threading.Lock()

        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's hook name
            found = _MESSAGE_ID.search(envelope.content)
            now = time.time()
            with self.lock:
                self.count += 1
                self.ids.add(found.group(1) if found else b"")
                self.first = self.first or now
                self.last = now
            return "250 Message accepted for delivery"

        async def handle_EHLO(self, server: Any, session: Any, envelope: Any, hostname: str,  # noqa: N802 - aiosmtpd's hook
                              responses: list[str]) -> list[str]:
            session.host_name = hostname
            return [*responses[:-1], "250-PIPELINING", responses[-1]] if pipelining else responses

    class LocalController(Controller):
        def _trigger_server(self) -> None:
            self.port = self.server.sockets[0].getsockname()[1]
            super()._trigger_server()

    counter = Counter()
    controller = LocalController(counter, hostname="127.0.0.1", port=0)
    controller.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())

    def write() -> None:
        with counter.lock:
            stats = {"port": controller.port, "count": counter.count, "distinct_message_ids": len(counter.ids),
                     "first": counter.first, "last": counter.last}
        partial = stats_path.with_suffix(".tmp")
        partial.write_text(json.dumps(stats))
        partial.replace(stats_path)

    try:
        while not stop.wait(0.1):
            write()
    finally:
        write()
        controller.stop()


class SmtpProcess:
    def __init__(self, data_dir: Path, *, pipelining: bool = True) -> None:
        self.stats_path = data_dir / "smtp-stats.json"
        self.process = subprocess.Popen([
            sys.executable, __file__, "--smtp-server", str(self.stats_path), *([] if pipelining else ["--no-pipelining"]),
        ])
        deadline = time.monotonic() + 30
        while not self.stats_path.exists():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("The SMTP server process did not start.")
            time.sleep(0.05)
        self.port = int(self.stats()["port"])

    def stats(self) -> dict[str, Any]:
        while True:
            try:
                return json.loads(self.stats_path.read_text())
            except (OSError, ValueError):  # replaced while being read
                time.sleep(0.01)

    def stop(self) -> dict[str, Any]:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=30)
        return self.stats()


# --- Seeding ---------------------------------------------------------------------------------

def setup_django(args: argparse.Namespace, data_dir: Path, smtp_port: int) -> dict[str, str]:
    """Set up Django in this process and return the environment of the worker (the same settings)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KLIYAN_", "DJANGO_", "DATABASE_URL"))}
    env.update(
        DJANGO_SETTINGS_MODULE="kliyan.config.settings", KLIYAN_DATA_DIR=str(data_dir), PYTHONUNBUFFERED="1",
        KLIYAN_EMAIL_HOST="127.0.0.1", KLIYAN_EMAIL_PORT=str(smtp_port), KLIYAN_FROM_EMAIL=FROM_EMAIL,
        KLIYAN_PUBLIC_URL=PUBLIC_URL, KLIYAN_QUIET_HOURS="", KLIYAN_LOG_LEVEL="WARNING", KLIYAN_ALLOWED_HOSTS="testserver",
    )
    if args.database_url:
        env["DATABASE_URL"] = args.database_url
    for key in [k for k in os.environ if k.startswith(("KLIYAN_", "DJANGO_", "DATABASE_URL"))]:
        del os.environ[key]
    os.environ.update({k: v for k, v in env.items() if k.startswith(("KLIYAN_", "DJANGO_", "DATABASE_URL"))})
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    return env


def seed(args: argparse.Namespace) -> dict[str, Any]:
    """Contacts with e-mail consent, a purchase for seven in ten, and the campaign's template."""
    import bench_commerce
    import bench_contacts
    from django.db import connection, transaction

    from kliyan.core.organisation import get_organisation
    from kliyan.marketing.models import MessageTemplate, TemplateText

    started = time.perf_counter()
    contacts_args = argparse.Namespace(contacts=args.messages, interactions_per_contact=0, seed=args.seed)
    seeded = bench_contacts.seed(contacts_args)
    rng = random.Random(args.seed + 3)
    adapt = connection.ops.adapt_datetimefield_value
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    stamp = adapt(now)
    currency = get_organisation().currency
    ext = ("source", "external_id", "source_updated_at", "created_at", "updated_at")
    order_cols = ("id", *ext, "number", "contact_id", "company_id", "sales_channel", "ordered_at", "status", "currency", "subtotal",
                  "discount_total", "tax_total", "total", "note", "created_by_id")
    line_cols = ("order_id", "position", "product_id", "sku", "description", "quantity", "unit_price", "discount", "line_total")
    names = ["Rice 25 kg", "Solar lamp", "School shoes", "Wax print dress", "Coffee 1 kg", "Phone charger", "Bed sheets",
             "Maize seed", "Cooking oil 5 l", "Exercise books"]
    with transaction.atomic(), connection.cursor() as cursor:
        # Every contact reachable: bench_contacts archives one in fifty.
        cursor.execute("UPDATE contacts_contact SET archived_at = NULL")
        products = [(i, "bench", f"p-{i}", stamp, stamp, stamp, f"SKU-{i:06d}", f"{names[i % len(names)]} ({i})",
                     Decimal(100 + 37 * i), currency, Decimal(60 + 20 * i), True, Decimal(100)) for i in range(1, PRODUCTS + 1)]
        bench_contacts.insert_rows(cursor, bench_commerce._sql("commerce_product", (
            "id", *ext, "sku", "name", "price", "currency", "cost", "active", "stock_on_hand")), products)
    orders = 0
    for batch_start in range(1, args.messages + 1, 20_000):
        consents, order_rows, lines = [], [], []
        for contact_id in range(batch_start, min(args.messages, batch_start + 19_999) + 1):
            consents.append((contact_id, "email", "granted", stamp))
            if contact_id % 10 < 7:
                orders += 1
                product = products[rng.randrange(PRODUCTS)]
                when = adapt(now - dt.timedelta(days=rng.randrange(700), minutes=rng.randrange(1_440)))
                order_rows.append((orders, "bench", f"o-{orders}", when, stamp, stamp, f"B{orders:08d}", contact_id, None,
                                   "shop", when, "fulfilled", currency, product[8], 0, 0, product[8], "", None))
                lines.append((orders, 0, product[0], product[6], "", Decimal(1), product[8], 0, product[8]))
        with transaction.atomic(), connection.cursor() as cursor:
            bench_contacts.insert_rows(
                cursor, "INSERT INTO contacts_consent (contact_id, channel, status, updated_at) VALUES (%s,%s,%s,%s)", consents,
            )
            bench_contacts.insert_rows(cursor, bench_commerce._sql("commerce_order", order_cols), order_rows)
            bench_contacts.insert_rows(cursor, bench_commerce._sql("commerce_orderline", line_cols), lines)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for table in ("commerce_product", "commerce_order"):
                cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))")
        cursor.execute("ANALYZE")
    template = MessageTemplate.objects.create(name="Bench: weekly offer", channel="email", purpose="marketing")
    for language in ("en", "fr"):
        TemplateText.objects.create(template=template, language=language, subject=SUBJECTS[language], body=BODIES[language])
    seconds = time.perf_counter() - started
    log(f"seeded {args.messages:,} contacts, consents and {orders:,} orders in {seconds:.0f} s")
    return {"contacts": seeded["contacts"], "orders": orders, "seconds": round(seconds, 1), "template_id": template.pk}


# --- Measuring -------------------------------------------------------------------------------

def store(args: argparse.Namespace, template_id: int) -> dict[str, Any]:
    """Store one message per contact as a campaign does: queue_many, a transaction per chunk."""
    from django.db import transaction

    from kliyan.contacts.models import Contact
    from kliyan.marketing.models import MessageTemplate
    from kliyan.marketing.outbox import queue_many

    template = MessageTemplate.objects.get(pk=template_id)
    ids = list(Contact.objects.order_by("pk").values_list("pk", flat=True))
    coupon = {"coupon_code": "LAKAY15"}
    started = time.perf_counter()
    stored = 0
    for start in range(0, len(ids), STORE_CHUNK):
        with transaction.atomic():
            stored += queue_many(
                contact_ids=ids[start:start + STORE_CHUNK], channel="email", purpose="marketing", template=template,
                key_for=lambda cid: f"campaign:bench:{cid}", extra_for=lambda _cid: coupon,
            )
        if (start // STORE_CHUNK + 1) % 10 == 0:
            log(f"stored {stored:,} messages in {time.perf_counter() - started:.1f} s")
    seconds = time.perf_counter() - started
    return {"messages": stored, "seconds": round(seconds, 2), "per_second": round(stored / seconds, 1)}


def store_beside_the_worker(args: argparse.Namespace, template_id: int) -> dict[str, Any]:
    """Store in a thread of its own (its own database connection) while the worker delivers."""
    from django.db import connection

    try:
        return store(args, template_id)
    finally:
        connection.close()


def settle_schedule() -> list[str]:
    """Mark the schedule's current slots as run, as on a site whose worker has been running all along.

    A fresh database has run nothing, so the worker's first tick would start every job at once
    (the nightly duplicate scan and recommendation rebuild over all the contacts) in the middle
    of the delivery. The slots are claimed here and those tasks dropped unrun; the jobs come
    back at their next slot (the every-minute ones within the run)."""
    from django_tasks_db.models import DBTaskResult

    from kliyan.core import schedule

    claimed = schedule.tick()
    paths = {job.task_path for job in schedule.SCHEDULE if job.name in claimed and job.name != "deliver_messages"}
    DBTaskResult.objects.filter(task_path__in=paths, status="READY").delete()
    return claimed


def _memory_mb(pid: int) -> dict[str, float]:
    """Return a process's resident memory in MB (Linux /proc): now (VmRSS), its peak (VmHWM), and now without
    the file pages it maps (RssAnon: the Python heap; SQLite's 256 MB memory map of the database counts in VmRSS)."""
    values = {}
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(("VmRSS:", "VmHWM:", "RssAnon:")):
                values[line.split(":")[0]] = round(int(line.split()[1]) / 1024, 1)
    return {"rss": values.get("VmRSS", 0.0), "peak": values.get("VmHWM", 0.0), "anon": values.get("RssAnon", 0.0)}


def deliver(args: argparse.Namespace, env: dict[str, str], smtp: SmtpProcess, expected: int, data_dir: Path) -> dict[str, Any]:
    """Start `kliyan worker`, wait until the SMTP server has every message, sample the worker's memory meanwhile."""
    worker_log = data_dir / "worker.log"
    marks = {"10%": max(1, expected // 10), "10000": 10_000, "50%": max(1, expected // 2), "100%": expected}
    marks = {name: at for name, at in marks.items() if at <= expected}
    rss_at: dict[str, dict[str, Any]] = {}
    samples: list[float] = []
    load_before = os.getloadavg()
    started_wall = time.time()
    with worker_log.open("ab") as out:
        worker = subprocess.Popen(
            [sys.executable, "-m", "kliyan", "worker", "--interval", str(args.worker_interval)],
            env=env, stdout=out, stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + args.timeout
        last_log = 0
        while True:
            count = smtp.stats()["count"]
            memory = _memory_mb(worker.pid)
            samples.append(memory)
            for name, at in marks.items():
                if name not in rss_at and count >= at:
                    rss_at[name] = {"received": count, "rss_mb": memory["rss"], "anon_mb": memory["anon"]}
            if count // 10_000 > last_log:
                last_log = count // 10_000
                log(f"received {count:,} e-mails, worker RSS {memory['rss']} MB (heap {memory['anon']} MB)")
            if count >= expected:
                break
            if worker.poll() is not None:
                raise RuntimeError(f"The worker stopped:\n{worker_log.read_text(errors='replace')[-3000:]}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"Only {count:,} of {expected:,} e-mails in {args.timeout:.0f} s.")
            time.sleep(0.2)
        time.sleep(1.0)  # let the worker write its last answers before reading them back
        peak = _memory_mb(worker.pid)["peak"]
    finally:
        if worker.poll() is None:
            worker.send_signal(signal.SIGINT)
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()
    stats = smtp.stats()
    seconds = stats["last"] - stats["first"]
    return {
        "received": stats["count"], "distinct_message_ids": stats["distinct_message_ids"],
        "seconds_first_to_last": round(seconds, 2), "per_second": round((stats["count"] - 1) / seconds, 1) if seconds else None,
        "seconds_worker_start_to_last": round(stats["last"] - started_wall, 2),
        "worker_rss_mb_at": rss_at, "worker_rss_mb_sampled_max": max(m["rss"] for m in samples),
        "worker_anon_mb_sampled_max": max(m["anon"] for m in samples),
        # VmHWM covers the worker's whole life, the other scheduled tasks it ran included (worker_tasks).
        "worker_peak_rss_mb_vmhwm": peak,
        "load_average_before": [round(v, 2) for v in load_before],
        "load_average_after": [round(v, 2) for v in os.getloadavg()],
    }


def outbox_counts() -> dict[str, Any]:
    from django.db.models import Count

    from kliyan.marketing.models import Message

    statuses = dict(Message.objects.values_list("status").annotate(n=Count("id")).order_by())
    providers = Message.objects.exclude(provider_id="").values("provider_id").distinct().count()
    return {"by_status": statuses, "distinct_provider_ids": providers}


def worker_tasks() -> dict[str, int]:
    """Return how many of each task the worker ran: the deliveries, and whatever the schedule started meanwhile."""
    from django.db.models import Count
    from django_tasks_db.models import DBTaskResult

    return dict(DBTaskResult.objects.values_list("task_path").annotate(n=Count("id")).order_by())


def _db_version() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT sqlite_version()" if connection.vendor == "sqlite" else "SHOW server_version")
        return f"{connection.vendor} {cursor.fetchone()[0]}"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.smtp_server:
        serve_smtp(Path(args.smtp_server), pipelining=not args.no_pipelining)
        return 0
    temporary = not args.data_dir
    data_dir = Path(args.data_dir) if args.data_dir else Path(tempfile.mkdtemp(prefix="kliyan-bench-email-"))
    data_dir.mkdir(parents=True, exist_ok=True)
    smtp = SmtpProcess(data_dir, pipelining=not args.no_pipelining)
    try:
        env = setup_django(args, data_dir, smtp.port)
        from kliyan.contacts.models import Contact

        if Contact.objects.exists():
            raise SystemExit("The bench database already holds contacts; use a fresh --data-dir.")
        seeded = seed(args)
        if args.overlap:
            # The worker delivers each chunk once it is committed, while the next ones are stored:
            # end to end runs from the first chunk's storing (the worker's start) to the last e-mail.
            settle_schedule()
            with concurrent.futures.ThreadPoolExecutor(1) as pool:
                storing = pool.submit(store_beside_the_worker, args, seeded["template_id"])
                delivered = deliver(args, env, smtp, args.messages, data_dir)
                stored = storing.result()
            end_to_end = delivered["seconds_worker_start_to_last"]
        else:
            stored = store(args, seeded["template_id"])
            log(f"stored {stored['messages']:,} messages: {stored['per_second']:,.0f}/s; delivering")
            settle_schedule()
            delivered = deliver(args, env, smtp, stored["messages"], data_dir)
            end_to_end = stored["seconds"] + delivered["seconds_worker_start_to_last"]
        counts = outbox_counts()
        from django.conf import settings

        report = {
            "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "machine": {"python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count()},
            "database": _db_version(),
            "messages": args.messages, "outbox_batch": settings.KLIYAN_OUTBOX_BATCH,
            "smtp_server_offers_pipelining": not args.no_pipelining, "storing_beside_the_worker": args.overlap,
            "seeding": seeded,
            "render_and_store": stored, "delivery": delivered,
            "end_to_end": {"seconds": round(end_to_end, 2), "per_second": round(stored["messages"] / end_to_end, 1)},
            "outbox": counts, "worker_tasks": worker_tasks(),
            "target_per_second": TARGET_PER_SECOND,
            "meets_target": {
                "render_and_store": stored["per_second"] >= TARGET_PER_SECOND,
                "delivery": (delivered["per_second"] or 0) >= TARGET_PER_SECOND,
                "end_to_end": stored["messages"] / end_to_end >= TARGET_PER_SECOND,
                "every_message_once": delivered["distinct_message_ids"] == stored["messages"] == delivered["received"]
                and counts["by_status"].get("sent") == stored["messages"],
            },
        }
        print(json.dumps(report, indent=2))
        return 0
    finally:
        smtp.stop()
        if temporary and not args.keep:
            shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
