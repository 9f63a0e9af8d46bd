"""`kliyan ingest KIND FILE`: the same ingestion from a file or standard input, with a summary and an exit status."""

from __future__ import annotations

import io
import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from kliyan.cli import main
from kliyan.commerce.models import Product
from kliyan.core.models import AuditEntry

T1 = "2026-11-01T10:00:00Z"


def line(sku: str, **extra: object) -> str:
    return json.dumps({"external_id": f"p-{sku}", "updated_at": T1, "sku": sku, "name": sku, "price": "1.50",
                       "currency": "MWK", **extra})


def test_ingest_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ingest", "--help"]) == 0

    out = capsys.readouterr().out
    assert out.startswith("usage: kliyan ingest")
    assert "--source" in out


@pytest.mark.django_db
def test_ingest_stores_a_file_and_prints_a_summary(tmp_path: Path, manager, capsys: pytest.CaptureFixture[str]) -> None:
    file = tmp_path / "products.ndjson"
    file.write_text(line("A") + "\n" + line("B") + "\n")

    status = main(["ingest", "products", str(file), "--source", "shop", "--user", "manager"])

    assert status == 0
    assert sorted(Product.objects.values_list("source", "sku")) == [("shop", "A"), ("shop", "B")]
    assert "2 received: 2 created, 0 updated, 0 unchanged, 0 stale, 0 failed." in capsys.readouterr().out
    entry = AuditEntry.objects.filter(object_type="commerce.product").first()
    assert (entry.via, entry.actor_id) == ("cli", manager.pk)


@pytest.mark.django_db
def test_a_failed_line_is_printed_and_the_exit_status_is_not_zero(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    file = tmp_path / "products.ndjson"
    file.write_text(line("A") + "\n" + line("B", price="-2") + "\n{broken\n")

    status = main(["ingest", "products", str(file), "--source", "shop"])

    assert status == 1
    captured = capsys.readouterr()
    assert "line 2 (p-B): price: May not be negative." in captured.err
    assert "line 3 (-): json: The line is not valid JSON" in captured.err
    assert "3 received: 1 created" in captured.out
    assert list(Product.objects.values_list("sku", flat=True)) == ["A"]


@pytest.mark.django_db
def test_ingest_reads_standard_input(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr("sys.stdin", SimpleNamespace(buffer=io.BytesIO((line("A", source="pos") + "\n").encode())))

    assert main(["ingest", "products", "-"]) == 0

    assert Product.objects.get().source == "pos"


@pytest.mark.django_db
def test_a_missing_file_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ingest", "products", str(tmp_path / "nope.ndjson")]) == 1

    assert "Cannot read" in capsys.readouterr().err


def test_an_unknown_kind_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ingest", "widgets", "x.ndjson"]) == 2
