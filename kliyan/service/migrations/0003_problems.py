"""Problems (root causes) with their corrective actions and history, tickets linked to them,
knowledge articles linked to tickets, and the full-text index that finds similar tickets.

The index (FTS5 on SQLite, GIN on PostgreSQL) reads Ticket.search_text, which is filled here
for tickets that already exist. On SQLite the FTS5 table is kept in step by triggers on
service_ticket: a later migration that rebuilds that table must create them again (as
contacts/0003 does for contacts).
"""

import re
import unicodedata

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

TABLE = "service_ticket"
SQLITE_FORWARD = [
    f"""CREATE VIRTUAL TABLE {TABLE}_fts USING fts5(
        search_text, content='{TABLE}', content_rowid='id',
        tokenize='unicode61 remove_diacritics 2', prefix='2 3 4 5'
    )""",
    f"""CREATE TRIGGER {TABLE}_fts_ai AFTER INSERT ON {TABLE} BEGIN
        INSERT INTO {TABLE}_fts(rowid, search_text) VALUES (new.id, new.search_text);
    END""",
    f"""CREATE TRIGGER {TABLE}_fts_ad AFTER DELETE ON {TABLE} BEGIN
        INSERT INTO {TABLE}_fts({TABLE}_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text);
    END""",
    f"""CREATE TRIGGER {TABLE}_fts_au AFTER UPDATE OF search_text ON {TABLE}
       WHEN old.search_text IS NOT new.search_text BEGIN
        INSERT INTO {TABLE}_fts({TABLE}_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text);
        INSERT INTO {TABLE}_fts(rowid, search_text) VALUES (new.id, new.search_text);
    END""",
    f"INSERT INTO {TABLE}_fts({TABLE}_fts) VALUES ('rebuild')",
]
SQLITE_BACKWARD = [
    f"DROP TRIGGER IF EXISTS {TABLE}_fts_au",
    f"DROP TRIGGER IF EXISTS {TABLE}_fts_ad",
    f"DROP TRIGGER IF EXISTS {TABLE}_fts_ai",
    f"DROP TABLE IF EXISTS {TABLE}_fts",
]
# The expression must be the one kliyan.service.ticket_search queries with.
POSTGRES_FORWARD = [
    f"CREATE INDEX IF NOT EXISTS service_ticket_search_gin ON {TABLE} USING gin (to_tsvector('simple', search_text))",
]
POSTGRES_BACKWARD = ["DROP INDEX IF EXISTS service_ticket_search_gin"]
BODY_CHARS = 1500
BATCH = 1000
_EXTRA_FOLDS = str.maketrans({"ø": "o", "đ": "d", "ł": "l", "ß": "ss", "æ": "ae", "œ": "oe", "ı": "i"})


def _words(text):
    # A frozen copy of kliyan.core.text.fold + ticket_search.words: a migration must not change
    # when the app's code does.
    decomposed = unicodedata.normalize("NFKD", (text or "").casefold())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).translate(_EXTRA_FOLDS)
    return [w for w in re.split(r"[\W_]+", stripped) if w]


def fill_search_text(apps, schema_editor):
    Ticket = apps.get_model("service", "Ticket")
    TicketMessage = apps.get_model("service", "TicketMessage")
    last = 0
    while True:
        batch = list(Ticket.objects.filter(pk__gt=last).order_by("pk").values_list("pk", "subject")[:BATCH])
        if not batch:
            return
        first_bodies = {}
        messages = TicketMessage.objects.filter(ticket_id__in=[pk for pk, _ in batch], kind="customer").order_by("created_at", "id")
        for ticket_id, body in messages.values_list("ticket_id", "body"):
            first_bodies.setdefault(ticket_id, body)
        for pk, subject in batch:
            text = " ".join(_words(subject) + _words((first_bodies.get(pk) or "")[:BODY_CHARS]))
            Ticket.objects.filter(pk=pk).update(search_text=text)
        last = batch[-1][0]


def create_index(apps, schema_editor):
    statements = {"sqlite": SQLITE_FORWARD, "postgresql": POSTGRES_FORWARD}.get(schema_editor.connection.vendor, [])
    for sql in statements:
        schema_editor.execute(sql)


def drop_index(apps, schema_editor):
    statements = {"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRES_BACKWARD}.get(schema_editor.connection.vendor, [])
    for sql in statements:
        schema_editor.execute(sql)


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0002_team'),
        ('commerce', '0003_order_foreign_keys_without_own_index'),
        ('contacts', '0003_search_performance'),
        ('service', '0002_sla'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='ProblemEvent',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('created', 'Problem recorded'), ('changed', 'Changed'), ('status', 'Status'), ('ticket_linked', 'Ticket linked'), ('ticket_unlinked', 'Ticket unlinked'), ('action_added', 'Action added'), ('action_changed', 'Action changed'), ('action_verified', 'Action checked')], max_length=20, verbose_name='what')),
                ('field', models.CharField(blank=True, max_length=40, verbose_name='field')),
                ('old_value', models.CharField(blank=True, max_length=255, verbose_name='before')),
                ('new_value', models.CharField(blank=True, max_length=255, verbose_name='after')),
                ('actor_label', models.CharField(blank=True, max_length=200, verbose_name='who')),
                ('at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='when')),
            ],
            options={
                'verbose_name': 'problem event',
                'verbose_name_plural': 'problem events',
                'ordering': ['at', 'id'],
            },
        ),
        migrations.CreateModel(
            name='TicketArticle',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('article_id', models.PositiveBigIntegerField(verbose_name='article')),
                ('linked_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='linked at')),
            ],
            options={
                'verbose_name': 'linked article',
                'verbose_name_plural': 'linked articles',
                'ordering': ['linked_at', 'id'],
            },
        ),
        migrations.AddField(
            model_name='ticket',
            name='search_text',
            field=models.TextField(blank=True, default='', editable=False),
        ),
        migrations.AlterField(
            model_name='ticketevent',
            name='kind',
            field=models.CharField(choices=[('created', 'Created'), ('status', 'Status'), ('assignee', 'Assignee'), ('team', 'Team'), ('priority', 'Priority'), ('category', 'Category'), ('product', 'Product'), ('kind', 'Type'), ('subject', 'Subject'), ('customer_message', 'Customer wrote'), ('reply', 'Reply sent'), ('note', 'Internal note'), ('attachment', 'Attachment'), ('sla_policy', 'SLA policy'), ('sla_warning', 'SLA warning'), ('sla_breach', 'SLA breached'), ('problem', 'Problem'), ('article', 'Knowledge article')], max_length=20, verbose_name='what'),
        ),
        migrations.CreateModel(
            name='Problem',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('title', models.CharField(max_length=200, verbose_name='title')),
                ('description', models.TextField(blank=True, verbose_name='description')),
                ('root_cause', models.TextField(blank=True, verbose_name='root cause')),
                ('status', models.CharField(choices=[('open', 'Open'), ('investigating', 'Investigating'), ('fixing', 'Fix in progress'), ('resolved', 'Resolved'), ('closed', 'Closed')], default='open', max_length=16, verbose_name='status')),
                ('customer_message', models.TextField(blank=True, help_text='In your own words, what agents say to a customer who has this problem.', verbose_name='what to tell the customer')),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='created at')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated at')),
                ('resolved_at', models.DateTimeField(blank=True, null=True, verbose_name='resolved at')),
                ('closed_at', models.DateTimeField(blank=True, null=True, verbose_name='closed at')),
                ('search_text', models.TextField(blank=True, default='', editable=False)),
                ('category', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='problems', to='service.ticketcategory', verbose_name='category')),
                ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('owner', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='owned_problems', to=settings.AUTH_USER_MODEL, verbose_name='owner')),
                ('product', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='problems', to='commerce.product', verbose_name='product')),
            ],
            options={
                'verbose_name': 'problem',
                'verbose_name_plural': 'problems',
                'ordering': ['-created_at', '-id'],
            },
        ),
        migrations.CreateModel(
            name='CorrectiveAction',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('description', models.CharField(max_length=500, verbose_name='what')),
                ('due_date', models.DateField(blank=True, null=True, verbose_name='due')),
                ('status', models.CharField(choices=[('todo', 'To do'), ('doing', 'In progress'), ('done', 'Done')], default='todo', max_length=8, verbose_name='status')),
                ('done_at', models.DateTimeField(blank=True, null=True, verbose_name='done at')),
                ('verified', models.BooleanField(blank=True, null=True, verbose_name='did it work?')),
                ('verified_at', models.DateTimeField(blank=True, null=True, verbose_name='checked at')),
                ('verification_note', models.TextField(blank=True, verbose_name='how it was checked')),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='created at')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated at')),
                ('owner', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='corrective_actions', to=settings.AUTH_USER_MODEL, verbose_name='owner')),
                ('verified_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='checked by')),
                ('problem', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='actions', to='service.problem', verbose_name='problem')),
            ],
            options={
                'verbose_name': 'corrective action',
                'verbose_name_plural': 'corrective actions',
                'ordering': ['created_at', 'id'],
            },
        ),
        migrations.AddField(
            model_name='ticket',
            name='problem',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='tickets', to='service.problem', verbose_name='problem'),
        ),
        migrations.AddIndex(
            model_name='ticket',
            index=models.Index(condition=models.Q(('problem__isnull', False)), fields=['problem'], name='ticket_problem_idx'),
        ),
        migrations.AddIndex(
            model_name='ticket',
            index=models.Index(fields=['category', 'status'], name='ticket_category_status_idx'),
        ),
        migrations.AddIndex(
            model_name='ticket',
            index=models.Index(fields=['product', 'status'], name='ticket_product_status_idx'),
        ),
        migrations.AddField(
            model_name='problemevent',
            name='action',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='service.correctiveaction'),
        ),
        migrations.AddField(
            model_name='problemevent',
            name='actor',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='who'),
        ),
        migrations.AddField(
            model_name='problemevent',
            name='problem',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='events', to='service.problem', verbose_name='problem'),
        ),
        migrations.AddField(
            model_name='problemevent',
            name='ticket',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='service.ticket'),
        ),
        migrations.AddField(
            model_name='ticketarticle',
            name='linked_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='ticketarticle',
            name='ticket',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='article_links', to='service.ticket', verbose_name='ticket'),
        ),
        migrations.AddIndex(
            model_name='problem',
            index=models.Index(fields=['status', 'created_at', 'id'], name='problem_status_idx'),
        ),
        migrations.AddIndex(
            model_name='problemevent',
            index=models.Index(fields=['problem', 'at', 'id'], name='problemevent_problem_idx'),
        ),
        migrations.AddConstraint(
            model_name='ticketarticle',
            constraint=models.UniqueConstraint(fields=('ticket', 'article_id'), name='ticketarticle_once'),
        ),
        migrations.RunPython(fill_search_text, migrations.RunPython.noop),
        migrations.RunPython(create_index, drop_index),
    ]
