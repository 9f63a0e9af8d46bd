"""Helpers for the import tests: run a file through the whole import, in process."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.files.base import ContentFile

from kliyan.imports import services
from kliyan.imports.models import Import

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> None:
    # Each test stores its uploads in its own directory.
    settings.MEDIA_ROOT = tmp_path / "media"


def run_file(
    actor: Any, content: bytes | str, name: str = "contacts.csv", *, target: str = "contacts", mapping: dict | None = None,
    on_duplicate: str | None = None, dry_run: bool = False, batch_size: int = 1000, source: str | None = None,
) -> Import:
    """Upload `content`, start it and run it to the end in this process; return the import."""
    data = content.encode("utf-8") if isinstance(content, str) else content
    imported = services.import_create(
        actor=actor, upload=ContentFile(data, name=name), target=target, name=name, mapping=mapping,
        on_duplicate=on_duplicate, dry_run=dry_run, enqueue=False, source=source,
    )
    return services.run_import(import_id=imported.pk, runner=imported.runner, batch_size=batch_size)


@pytest.fixture
def importer(manager: Any) -> Callable[..., Import]:
    def run(content: bytes | str, name: str = "contacts.csv", **options: Any) -> Import:
        return run_file(manager, content, name, **options)

    return run
