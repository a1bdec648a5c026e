"""Typed values: money, dates, choices as people type them."""

from __future__ import annotations

import pytest

from engine.domain.definitions.model import FieldDef
from engine.domain.values import format_rupiah, format_value, parse_value, validate_value

MONEY = FieldDef(type="money", label="Jumlah", min=1)
DATE = FieldDef(type="date", label="Tanggal")
CHOICE = FieldDef(type="choice", label="Pos", options=["Alat tulis kantor", "Transportasi"])
NIK = FieldDef(type="text", label="NIK", pattern="^[0-9]{16}$", pattern_hint="NIK terdiri atas 16 angka")


@pytest.mark.parametrize("typed", ["1250000", "1.250.000", "Rp 1.250.000", "Rp1.250.000", "rp. 1.250.000",
                                   "1.250.000,00", " 1250000 "])
def test_money_is_understood_as_people_type_it(typed: str) -> None:
    assert parse_value("jumlah", MONEY, typed, {}) == 1_250_000


@pytest.mark.parametrize("typed", ["1,5 juta", "12.50", "1.25.000", "abc", "-5000", "1.250.000,50"])
def test_money_that_is_not_whole_rupiah_is_refused(typed: str) -> None:
    with pytest.raises(Exception, match="jumlah uang tidak dikenali"):
        parse_value("jumlah", MONEY, typed, {})


def test_money_is_shown_the_indonesian_way() -> None:
    assert format_rupiah(1_250_000) == "Rp 1.250.000"
    assert format_value(MONEY, 5_000_000) == "Rp 5.000.000"


def test_money_below_the_minimum_is_invalid() -> None:
    problem = validate_value("jumlah", MONEY, 0, {})
    assert problem is not None and "minimal Rp 1" in problem.message


@pytest.mark.parametrize("typed", ["2026-11-28", "28-11-2026", "28/11/2026"])
def test_dates_are_understood(typed: str) -> None:
    assert parse_value("tanggal", DATE, typed, {}) == "2026-11-28"
    assert format_value(DATE, "2026-11-28") == "28 November 2026"


def test_impossible_dates_are_refused() -> None:
    with pytest.raises(Exception, match="tanggal tidak dikenali"):
        parse_value("tanggal", DATE, "31-02-2026", {})


def test_choices_match_case_insensitively_or_by_number() -> None:
    assert parse_value("pos", CHOICE, "alat tulis kantor", {}) == "Alat tulis kantor"
    assert parse_value("pos", CHOICE, "2", {}) == "Transportasi"
    with pytest.raises(Exception, match="pilihan tidak dikenal"):
        parse_value("pos", CHOICE, "Lain-lain", {})


def test_choices_can_come_from_the_cooperatives_settings() -> None:
    field = FieldDef(type="choice", label="Pos", options_setting="pos_rapb")
    assert parse_value("pos", field, "ATK", {"pos_rapb": ["ATK", "Sewa"]}) == "ATK"


def test_text_patterns_give_the_hint() -> None:
    problem = validate_value("nik", NIK, "35760145", {})
    assert problem is not None and problem.message == "NIK terdiri atas 16 angka"
    assert validate_value("nik", NIK, "3576014507800003", {}) is None


def test_money_and_dates_read_exactly_as_babel_writes_them_for_id_ID() -> None:
    """The screens format without loading Babel's locale data; the documents use Babel: both must agree."""
    from datetime import date, timedelta

    from babel.dates import format_date
    from babel.numbers import format_decimal

    from engine.domain.values import format_date_id

    for amount in (0, 1, 12, 999, 1_000, 12_345, 800_000, 1_250_000, 18_750_000, 10**12 + 7, 10**15, -1, -5_000,
                   -1_234_567):
        assert format_rupiah(amount) == "Rp " + format_decimal(amount, format="#,##0", locale="id_ID")
    day = date(2025, 12, 25)
    while day < date(2027, 1, 10):
        assert format_date_id(day) == format_date(day, format="d MMMM y", locale="id_ID")
        day += timedelta(days=3)
    for far in (date(1, 1, 1), date(999, 9, 9), date(9999, 12, 31)):
        assert format_date_id(far) == format_date(far, format="d MMMM y", locale="id_ID")
