"""Create the full-text index on contacts.search_text (FTS5 on SQLite, GIN on PostgreSQL)."""

from django.db import migrations

SQLITE_FORWARD = [
    """CREATE VIRTUAL TABLE contacts_contact_fts USING fts5(
        search_text, content='contacts_contact', content_rowid='id',
        tokenize='unicode61 remove_diacritics 2', prefix='2 3 4'
    )""",
    """CREATE TRIGGER contacts_contact_fts_ai AFTER INSERT ON contacts_contact BEGIN
        INSERT INTO contacts_contact_fts(rowid, search_text) VALUES (new.id, new.search_text);
    END""",
    """CREATE TRIGGER contacts_contact_fts_ad AFTER DELETE ON contacts_contact BEGIN
        INSERT INTO contacts_contact_fts(contacts_contact_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text);
    END""",
    """CREATE TRIGGER contacts_contact_fts_au AFTER UPDATE OF search_text ON contacts_contact
       WHEN old.search_text IS NOT new.search_text BEGIN
        INSERT INTO contacts_contact_fts(contacts_contact_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text);
        INSERT INTO contacts_contact_fts(rowid, search_text) VALUES (new.id, new.search_text);
    END""",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS contacts_contact_fts_au",
    "DROP TRIGGER IF EXISTS contacts_contact_fts_ad",
    "DROP TRIGGER IF EXISTS contacts_contact_fts_ai",
    "DROP TABLE IF EXISTS contacts_contact_fts",
]
POSTGRES_FORWARD = [
    "CREATE INDEX IF NOT EXISTS contacts_contact_search_gin ON contacts_contact USING gin (to_tsvector('simple', search_text))",
]
POSTGRES_BACKWARD = ["DROP INDEX IF EXISTS contacts_contact_search_gin"]


def forward(apps, schema_editor):
    statements = {"sqlite": SQLITE_FORWARD, "postgresql": POSTGRES_FORWARD}.get(schema_editor.connection.vendor, [])
    for sql in statements:
        schema_editor.execute(sql)


def backward(apps, schema_editor):
    statements = {"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRES_BACKWARD}.get(schema_editor.connection.vendor, [])
    for sql in statements:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("contacts", "0001_initial")]
    operations = [migrations.RunPython(forward, backward)]
