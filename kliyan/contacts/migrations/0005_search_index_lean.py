"""A full-text index that merges its segments less often and keeps no text lengths.

Every new contact adds its words to the newest segment of the FTS5 index, and FTS5 merges
segments as they pile up: four at a time by default, which over an import of a million
contacts rewrote the index again and again. Sixteen at a time (`automerge`) roughly halves
what a new contact costs the index; searches read a few more segments and are as fast as
before (measured at a million contacts: docs/performance.md, issue 6). The lengths of the
texts (`columnsize`) serve only ranking, which search does not use. Word positions stay
(`detail=full`): without them FTS5 answered a word held by most contacts ("example" in
every e-mail of the bench) four times slower. The table is rebuilt: a few seconds per
100,000 contacts.
"""

from django.db import migrations

FTS_TRIGGERS = ("contacts_contact_fts_ai", "contacts_contact_fts_ad", "contacts_contact_fts_au")
LEAN = ", columnsize=0"
AUTOMERGE = 16


def _fts_statements(options: str, automerge: int) -> list[str]:
    return [
        *(f"DROP TRIGGER IF EXISTS {name}" for name in FTS_TRIGGERS),
        "DROP TABLE IF EXISTS contacts_contact_fts",
        f"""CREATE VIRTUAL TABLE contacts_contact_fts USING fts5(
            search_text, content='contacts_contact', content_rowid='id',
            tokenize='unicode61 remove_diacritics 2', prefix='1 2 3 4'{options}
        )""",
        f"INSERT INTO contacts_contact_fts(contacts_contact_fts, rank) VALUES ('automerge', {automerge})",
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
        "INSERT INTO contacts_contact_fts(contacts_contact_fts) VALUES ('rebuild')",
    ]


def _rebuild(options: str, automerge: int):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "sqlite":
            for sql in _fts_statements(options, automerge):
                schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("contacts", "0004_contact_merged_into")]
    operations = [migrations.RunPython(_rebuild(LEAN, AUTOMERGE), _rebuild("", 4))]
