"""A large file is read and cleaned by a second process while this one writes: the same result as in one process."""

from __future__ import annotations

import pytest
from django.utils import translation

from kliyan.contacts.models import Contact
from kliyan.imports import pipeline
from kliyan.imports.choices import ImportStatus
from kliyan.imports.models import ImportProblem

from .conftest import run_file

pytestmark = pytest.mark.django_db

CONTENT = "Prénom;Nom;Courriel;Téléphone;Entreprise;Date de naissance\n" + "".join(
    f"Personne{n};Joseph;p{n}@example.ht;+509 3712 {n:04d};;{'31/02/1990' if n % 17 == 0 else ''}\n" for n in range(120)
) + "Personne5;Joseph;P5@EXAMPLE.HT;;;\nWisly;Désir;;;Kafe Tonton;\nWISLY;Desir;;;kafe tonton;\n"


def summary(imported):
    problems = list(ImportProblem.objects.filter(import_run=imported).order_by("row", "id").values_list("row", "column", "message"))
    people = sorted(Contact.objects.values_list("first_name", "primary_email", "primary_phone", "company__name", "search_text"))
    return (imported.status, imported.rows_read, imported.created, imported.skipped, imported.failed, imported.matches, problems, people)


def test_the_second_process_gives_what_one_process_gives(manager, monkeypatch):
    with translation.override("fr"):
        alone = summary(run_file(manager, CONTENT, batch_size=50))
        Contact.objects.all().delete()
        monkeypatch.setattr(pipeline, "PARALLEL_MIN_ROWS", 1)
        started = []
        real_popen = pipeline.subprocess.Popen
        monkeypatch.setattr(pipeline.subprocess, "Popen", lambda *a, **k: started.append(a) or real_popen(*a, **k))
        together = summary(run_file(manager, CONTENT, batch_size=50))

    assert started, "the file was not read by a second process"
    assert together == alone
    assert alone[:6] == (ImportStatus.DONE, 123, 113, 2, 8, {"email": 1, "name": 1})


def test_a_file_gone_before_the_run_fails_the_import_with_a_message(manager, monkeypatch):
    from django.core.files.base import ContentFile

    from kliyan.imports import services

    monkeypatch.setattr(pipeline, "PARALLEL_MIN_ROWS", 1)
    imported = services.import_create(actor=manager, upload=ContentFile(CONTENT.encode(), name="p.csv"), name="p.csv", enqueue=False)
    imported.file.storage.delete(imported.file.name)

    done = services.run_import(import_id=imported.pk, runner=imported.runner)

    assert done.status == ImportStatus.FAILED and done.error
    assert not Contact.objects.exists()
