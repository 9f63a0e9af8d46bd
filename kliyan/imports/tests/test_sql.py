"""Rows written as tuples: every column filled (defaults for the others), ids back in order, any number of rows."""

from __future__ import annotations

import pytest
from kliyan.imports import sql
from kliyan.imports.choices import RecordAction, RecordKind
from kliyan.imports.models import Import, ImportedRecord
from kliyan.imports.sql import Table

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("count", [1, 37, 2000 + 293])
def test_ids_come_back_in_the_order_of_the_rows_whatever_their_number(count):
    run = Import.objects.create(original_name="x.csv", file="x.csv", file_format="csv")
    rows = [(run.pk, n, RecordKind.CONTACT, 10_000 + n, RecordAction.CREATED) for n in range(count)]

    ids = Table(ImportedRecord, ("import_run_id", "row", "kind", "object_id", "action")).insert_returning_ids(rows)

    stored = dict(ImportedRecord.objects.values_list("id", "row"))
    assert [stored[pk] for pk in ids] == list(range(count))
    assert ImportedRecord.objects.filter(changes__isnull=True).count() == count  # a column left out takes its default


@pytest.mark.parametrize("count", [1, 5, 33, 290, 1365, 1366, 4999])
def test_only_a_few_statement_shapes_are_ever_prepared(count):
    sizes = sql.statement_sizes(count, 1365)

    assert sum(sizes) == count
    assert set(sizes) <= {1365, *sql.REMAINDER_SIZES}
