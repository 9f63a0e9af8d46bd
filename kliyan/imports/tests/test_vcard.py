"""vCard files as Android and iPhone export them: several cards, folding, quoted-printable, photos skipped."""

from __future__ import annotations

import io

import pytest

from kliyan.imports.readers import inspect_file, read_rows
from kliyan.imports.tests.conftest import FIXTURES
from kliyan.imports.vcard import parse_line, read_cards, split_structured, unfold


def rows_of(name: str) -> list:
    with open(FIXTURES / name, "rb") as stream:
        info = inspect_file(stream, name)
        return list(read_rows(stream, info))


def test_an_android_export_gives_one_row_per_card_with_quoted_printable_names_decoded():
    rows = rows_of("android_export.vcf")

    assert [r.number for r in rows] == [1, 2, 3, 4]
    assert all(not r.problems for r in rows)
    jean, stefan, arber, mbuyiselo = (r.values for r in rows)
    assert (jean["First name"], jean["Last name"], jean["Company"]) == ("Jean-Baptiste", "Pélissier", "Boulangerie Lakay Pétion-Ville")
    assert (jean["Mobile"], jean["Home phone"], jean["Birthday"]) == ("+509 3712 3456", "2940-1234", "1985-03-14")
    assert stefan["First name"] == "Ștefan"
    # A quoted-printable value longer than a line continues after "=" soft breaks.
    assert stefan["Notes"].endswith("nu dimineața devreme, mulțumesc frumos.")
    assert (arber["Work phone"], arber["City"], arber["Country"]) == ("+355 4 222 3333", "Tiranë", "Shqipëri")
    assert (mbuyiselo["Full name"], mbuyiselo["Mobile"]) == ("Mbuyiselo", "0999 123 456")


def test_an_iphone_export_reads_groups_types_escapes_and_skips_the_photo():
    rows = rows_of("iphone_export.vcf")

    marie, ioana, engjell = (r.values for r in rows)
    assert (marie["E-mail"], marie["Mobile"], marie["Work phone"]) == ("mc.joseph@example.ht", "+509 3456 7890", "+509 2940 1234")
    assert (marie["Street"], marie["City"], marie["Region"], marie["Postal code"]) == ("12 Rue Capois", "Port-au-Prince", "Ouest", "HT6110")
    assert marie["Notes"] == "Préfère WhatsApp\nCliente fidèle, depuis 2019"
    assert marie["Tags"] == "VIP, Boulangerie"
    assert not any("/9j/" in value for value in marie.values())
    assert (ioana["First name"], ioana["Last name"], ioana["Company"]) == ("Ioana Maria", "Ștefănescu", "Cofetăria Dulce")
    assert engjell["Birthday"] == "--0314"


def test_a_vcard_4_phone_given_as_a_tel_uri_keeps_its_number():
    (row,) = rows_of("contacts_v4.vcf")

    assert (row.values["Mobile"], row.values["E-mail"], row.values["Birthday"]) == ("+265-999-123-456", "chikondi.banda@example.mw", "19920105")


def test_folded_lines_are_joined_and_the_first_space_of_each_fold_removed():
    lines = ["NOTE:Une longue", "  note pliée", "\tsur trois lignes", "TEL:1"]

    assert [line for line, _cut in unfold(lines)] == ["NOTE:Une longue note pliéesur trois lignes", "TEL:1"]


def test_bare_v21_parameters_and_quoted_v4_types_are_both_types():
    assert parse_line("TEL;CELL;PREF:0999").types() == {"cell", "pref"}
    assert parse_line('TEL;VALUE=uri;TYPE="cell,voice":tel:+1').types() == {"cell", "voice"}
    assert parse_line("item1.EMAIL;type=INTERNET:a@b.c").name == "EMAIL"
    assert parse_line("no colon here") is None


def test_quoted_printable_in_windows_1252_is_decoded_with_its_charset():
    prop = parse_line("FN;CHARSET=WINDOWS-1252;ENCODING=QUOTED-PRINTABLE:C=E9line")

    assert prop.value == "Céline"


def test_escaped_separators_stay_inside_their_component():
    assert split_structured(r"Rue 12\; app 3;Port-au-Prince\, Ouest") == ["Rue 12; app 3", "Port-au-Prince, Ouest"]


@pytest.mark.parametrize(("text", "message"), [
    ("BEGIN:VCARD\nFN:Ana\n", "no END:VCARD"),
    ("BEGIN:VCARD\nFN:Ana\ngarbage without colon\nEND:VCARD\n", "cannot be read"),
])
def test_a_broken_card_is_reported_not_dropped(text, message):
    (card,) = list(read_cards(io.StringIO(text)))

    assert any(message in p[2] for p in card.problems)
