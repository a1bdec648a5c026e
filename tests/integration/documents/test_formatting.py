"""Indonesian formatting of amounts, words, dates and percentages on paper."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from engine.adapters.render.formatting import hari
from engine.services.documents import angka, persen, porsi, rupiah, tanggal, tanggal_waktu, terbilang


def test_amounts_print_as_rupiah_with_dots() -> None:
    assert rupiah(1_250_000) == "Rp 1.250.000"
    assert rupiah(0) == "Rp 0"
    assert rupiah(-5_000) == "-Rp 5.000"
    assert angka(2_095_300_000) == "2.095.300.000"


@pytest.mark.parametrize(("amount", "words"), [
    (1_250_000, "satu juta dua ratus lima puluh ribu rupiah"),
    (1_000, "seribu rupiah"),
    (1_001_500, "satu juta seribu lima ratus rupiah"),
    (21_000, "dua puluh satu ribu rupiah"),
    (101_000, "seratus satu ribu rupiah"),
    (18_750_000, "delapan belas juta tujuh ratus lima puluh ribu rupiah"),
    (2_500_000_000, "dua miliar lima ratus juta rupiah"),
    (0, "nol rupiah"),
])
def test_terbilang_writes_amounts_in_words_as_indonesians_do(amount: int, words: str) -> None:
    assert terbilang(amount) == words


def test_dates_and_times_are_written_in_indonesian() -> None:
    assert tanggal(date(2026, 11, 24)) == "24 November 2026"
    assert hari(date(2026, 11, 24)) == "Selasa"
    when = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)
    assert tanggal_waktu(when, ZoneInfo("Asia/Jakarta")) == "24 November 2026 pukul 10.00 WIB"


def test_percentages_use_a_decimal_comma_and_show_the_sign_of_a_change() -> None:
    assert persen(Decimal("12.5")) == "+12,5%"
    assert persen(Decimal("-30.6")) == "-30,6%"
    assert persen(None) == "—"
    assert porsi(30) == "30%" and porsi(Decimal("2.5")) == "2,5%"


def test_the_footer_and_its_qr_code_carry_the_number_log_size_and_root() -> None:
    import base64

    from engine.adapters.render.qr import qr_data_uri
    from engine.services.documents import Evidence, LogEvidence

    root = "ab" * 32
    evidence = Evidence("BA-KAS-2026-0001", "berita_acara", "Berita Acara", "kkmp-sentanan", "KAS/2026/0001",
                        LogEvidence("tatakelola/kkmp-sentanan", 12, root, "note\n", "key"))
    assert evidence.footer_prefix == "Dokumen No. BA-KAS-2026-0001 · Halaman "
    assert evidence.footer_suffix == f" · Jejak: 12 catatan, akar {root[:32]}"
    assert evidence.qr_text == f"Dokumen No. BA-KAS-2026-0001 · Jejak tatakelola/kkmp-sentanan: 12 catatan, akar {root}"
    svg = base64.b64decode(qr_data_uri(evidence.qr_text).split(",", 1)[1])
    assert svg.startswith(b"<svg") and b'width="17' in svg
