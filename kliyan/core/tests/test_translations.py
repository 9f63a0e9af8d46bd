"""Every catalogue (en, fr, ht, ny, sq, ro) is complete, compiled and up to date with the code."""

from __future__ import annotations

import gettext
import shutil
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings
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
            found = compiled.pgettext(message.context, message.id) if message.context else compiled.gettext(message.id)
            assert found == message.string, message.id


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="GNU gettext (xgettext) is not installed")
def test_catalogues_contain_every_string_marked_in_the_code(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Extract the strings again from a copy of the code and compare with the English catalogue."""
    copy = tmp_path / "kliyan"
    shutil.copytree(settings.BASE_DIR, copy, ignore=shutil.ignore_patterns("locale", "__pycache__", "tests*", "static"))
    (copy / "locale").mkdir()
    monkeypatch.chdir(copy)
    # makemessages writes into LOCALE_PATHS[0]: point it at the copy, never at the real catalogues.
    with override_settings(LOCALE_PATHS=[copy / "locale"]):
        call_command("makemessages", locale=["en"], no_location=True, no_wrap=True, verbosity=0)
    with open(copy / "locale" / "en" / "LC_MESSAGES" / "django.po", "rb") as handle:
        extracted = {_key(m) for m in read_po(handle) if m.id}
    committed = {_key(m) for m in _catalog("en") if m.id}
    assert sorted(extracted - committed) == []


def _key(message) -> str:
    return str(message.id[0] if message.pluralizable else message.id)


@pytest.mark.parametrize("code", ["fr", "ht", "ny", "sq", "ro"])
def test_each_language_activates_and_translates(code: str) -> None:
    with translation.override(code):
        assert translation.get_language() == code
        assert translation.gettext("Companies") != "Companies"
