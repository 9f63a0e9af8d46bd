"""Dates, numbers and money are written the way the active language writes them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils import translation

from kliyan.core.templatetags.kliyan import kdate, kmoney, knumber

NBSP, NNBSP = "\u00a0", "\u202f"


@pytest.mark.parametrize(
    ("code", "date", "number"),
    [
        ("en", "Mar 12, 2026", "1,234,567.5"),
        ("fr", "12 mars 2026", f"1{NNBSP}234{NNBSP}567,5"),
        ("ht", "12 mars 2026", f"1{NNBSP}234{NNBSP}567,5"),
        ("ny", "2026 Mal 12", "1,234,567.5"),
        ("sq", "12 mar 2026", f"1{NBSP}234{NBSP}567,5"),
        ("ro", "12 mar. 2026", "1.234.567,5"),
    ],
)
def test_dates_and_numbers_follow_the_active_language(code: str, date: str, number: str) -> None:
    with translation.override(code):
        assert kdate(dt.date(2026, 3, 12)) == date
        assert knumber(Decimal("1234567.5")) == number


def test_money_keeps_each_currency_s_own_decimals() -> None:
    with translation.override("sq"):
        assert kmoney(Decimal("1500"), "ALL") == f"1{NBSP}500{NBSP}Lekë"
    with translation.override("ht"):
        assert kmoney(Decimal("1500.5"), "HTG") == f"1{NNBSP}500,50{NBSP}G"


def test_templates_use_the_filters_without_loading_a_library() -> None:
    with translation.override("ro"):
        rendered = Template("{{ day|kdate }}").render(Context({"day": dt.date(2026, 3, 12)}))
    assert rendered == "12 mar. 2026"
