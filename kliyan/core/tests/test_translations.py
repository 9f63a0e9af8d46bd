"""Every catalogue (en, fr, ht, ny, sq, ro) is complete, compiled and up to date with the code."""

from __future__ import annotations

import gettext
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from django.conf import settings
from django.utils import translation

LOCALE = Path(settings.BASE_DIR) / "locale"
LANGUAGES = [code for code, _name in settings.LANGUAGES]


def _catalog(code: str):
    with open(LOCALE / code / "LC_MESSAGES" / "django.po", "rb") as handle:
        return read_po(handle, locale=code)


def _untranslated(catalog) -> list[str]:
    missing = []
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if not all(s.strip() for s in strings):
            missing.append(str(message.id))
    return missing


@pytest.mark.parametrize("code", LANGUAGES)
def test_catalogue_has_no_untranslated_or_fuzzy_message(code: str) -> None:
    catalog = _catalog(code)
    assert len(catalog) > 50
    assert _untranslated(catalog) == []
    assert [str(m.id) for m in catalog if m.id and m.fuzzy] == []


@pytest.mark.parametrize("code", LANGUAGES)
def test_compiled_catalogue_matches_the_po_file(code: str) -> None:
    with open(LOCALE / code / "LC_MESSAGES" / "django.mo", "rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    for message in _catalog(code):
        if message.id and not message.pluralizable:
            assert compiled.gettext(message.id) == message.string, message.id


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="GNU gettext (xgettext) is not installed")
def test_catalogues_contain_every_string_marked_in_the_code(tmp_path: Path) -> None:
    """Extract the strings again from a copy of the code and compare with the English catalogue."""
    copy = tmp_path / "kliyan"
    shutil.copytree(settings.BASE_DIR, copy, ignore=shutil.ignore_patterns("locale", "__pycache__", "tests*", "static"))
    (copy / "locale").mkdir()
    subprocess.run(
        [sys.executable, "-m", "django", "makemessages", "-l", "en", "--no-location", "--no-wrap"],
        cwd=copy, check=True, capture_output=True,
        env={"DJANGO_SETTINGS_MODULE": "kliyan.config.settings_test", "PATH": "/usr/bin:/bin", "PYTHONPATH": str(Path(settings.BASE_DIR).parent)},
    )
    with open(copy / "locale" / "en" / "LC_MESSAGES" / "django.po", "rb") as handle:
        extracted = {str(m.id if not m.pluralizable else m.id[0]) for m in read_po(handle) if m.id}
    committed = {str(m.id if not m.pluralizable else m.id[0]) for m in _catalog("en") if m.id}
    assert sorted(extracted - committed) == []


@pytest.mark.parametrize("code", ["fr", "ht", "ny", "sq", "ro"])
def test_each_language_activates_and_translates(code: str) -> None:
    with translation.override(code):
        assert translation.get_language() == code
        assert translation.gettext("Contacts") != "Contacts"
