"""Create the full-text index on translations (FTS5 on SQLite, a weighted GIN index on PostgreSQL).

Title and text are two columns so a title match can weigh more (kliyan.knowledge.search).
"""

from django.db import migrations

TABLE = "knowledge_articletranslation"
SQLITE_FORWARD = [
    f"""CREATE VIRTUAL TABLE {TABLE}_fts USING fts5(
        search_title, search_body, content='{TABLE}', content_rowid='id',
        tokenize='unicode61 remove_diacritics 2', prefix='1 2 3 4'
    )""",
    f"""CREATE TRIGGER {TABLE}_fts_ai AFTER INSERT ON {TABLE} BEGIN
        INSERT INTO {TABLE}_fts(rowid, search_title, search_body) VALUES (new.id, new.search_title, new.search_body);
    END""",
    f"""CREATE TRIGGER {TABLE}_fts_ad AFTER DELETE ON {TABLE} BEGIN
        INSERT INTO {TABLE}_fts({TABLE}_fts, rowid, search_title, search_body)
        VALUES ('delete', old.id, old.search_title, old.search_body);
    END""",
    f"""CREATE TRIGGER {TABLE}_fts_au AFTER UPDATE OF search_title, search_body ON {TABLE}
       WHEN old.search_title IS NOT new.search_title OR old.search_body IS NOT new.search_body BEGIN
        INSERT INTO {TABLE}_fts({TABLE}_fts, rowid, search_title, search_body)
        VALUES ('delete', old.id, old.search_title, old.search_body);
        INSERT INTO {TABLE}_fts(rowid, search_title, search_body) VALUES (new.id, new.search_title, new.search_body);
    END""",
    f"INSERT INTO {TABLE}_fts({TABLE}_fts) VALUES ('rebuild')",
]
SQLITE_BACKWARD = [
    f"DROP TRIGGER IF EXISTS {TABLE}_fts_au",
    f"DROP TRIGGER IF EXISTS {TABLE}_fts_ad",
    f"DROP TRIGGER IF EXISTS {TABLE}_fts_ai",
    f"DROP TABLE IF EXISTS {TABLE}_fts",
]
# The expression must be the one kliyan.knowledge.search.PG_DOCUMENT queries with.
POSTGRES_FORWARD = [
    f"CREATE INDEX IF NOT EXISTS knowledge_translation_search_gin ON {TABLE} USING gin ("
    "(setweight(to_tsvector('simple', search_title), 'A') || setweight(to_tsvector('simple', search_body), 'B')))",
]
POSTGRES_BACKWARD = ["DROP INDEX IF EXISTS knowledge_translation_search_gin"]


def forward(apps, schema_editor):
    statements = {"sqlite": SQLITE_FORWARD, "postgresql": POSTGRES_FORWARD}.get(schema_editor.connection.vendor, [])
    for sql in statements:
        schema_editor.execute(sql)


def backward(apps, schema_editor):
    statements = {"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRES_BACKWARD}.get(schema_editor.connection.vendor, [])
    for sql in statements:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("knowledge", "0001_initial")]
    operations = [migrations.RunPython(forward, backward)]
