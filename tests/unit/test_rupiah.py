"""The rupiah notations Indonesians type are understood; ambiguous ones are refused with a reason."""

from __future__ import annotations

import pytest

from engine.domain.rupiah import RupiahError, format_rp, parse_rupiah


@pytest.mark.parametrize(("text", "amount"), [
    ("1250000", 1_250_000),
    ("1.250.000", 1_250_000),
    ("Rp 1.250.000", 1_250_000),
    ("Rp1.250.000", 1_250_000),
    ("Rp. 1.000.000,-", 1_000_000),
    ("rp.1.000.000,-", 1_000_000),
    ("IDR 1.250.000,00", 1_250_000),
    ("1 250 000", 1_250_000),
    ("1\u00a0250\u00a0000", 1_250_000),  # non-breaking spaces (Excel/LibreOffice id_ID)
    ("Rp\u00a01\u202f250\u202f000", 1_250_000),  # narrow no-break spaces
    ("1.250.000,00", 1_250_000),
    ("1.250.000,0", 1_250_000),
    ("1.500", 1_500),
    ("  Rp 500  ", 500),
    ("0", 0),
    ("-5.000", -5_000),  # the caller refuses negatives with its own message
])
def test_common_notations_are_understood(text: str, amount: int) -> None:
    assert parse_rupiah(text) == amount


@pytest.mark.parametrize("text", ["1,5", "1.5", "1,500", "12,50"])
def test_ambiguous_decimals_are_refused_as_ambiguous(text: str) -> None:
    with pytest.raises(RupiahError, match="bermakna ganda"):
        parse_rupiah(text)


def test_sen_are_refused() -> None:
    with pytest.raises(RupiahError, match="berisi sen"):
        parse_rupiah("1.250,75")


@pytest.mark.parametrize("text", ["12.50.000", "1.250 000", "1.2500", "satu juta", "Rp", "1.250.000 rupiah", "1e6"])
def test_other_text_is_refused_with_the_way_to_write_it(text: str) -> None:
    with pytest.raises(RupiahError, match="bukan angka rupiah"):
        parse_rupiah(text)


def test_messages_show_amounts_the_indonesian_way() -> None:
    assert format_rp(10_476_500) == "Rp 10.476.500" and format_rp(-5_000) == "-Rp 5.000"
