"""SOP-KEU-04 Pembukuan dan Jurnal Harian."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest

from engine.errors import AlreadyDecidedError, PermissionDeniedError, ValidationError
from engine.services import Services
from tests.integration.workflows.helpers import Files, act, pdfs, refused, reimport, start, state

WF = "pembukuan"
HARIAN = "Jurnal transaksi harian"
KOREKSI = "Jurnal penyesuaian atau koreksi"
TUTUP = "Penutupan jurnal bulanan"
LIMIT = 1_000_000  # batas_jurnal_penyesuaian_bendahara (default)
SAMPLE = 5  # uji_petik_minimal_bukti (default)


def entry(kind: str, debit: int, credit: int | None = None, **changes: object) -> dict[str, object]:
    values: dict[str, object] = {
        "jenis_jurnal": kind, "tanggal_awal": "2026-11-23", "tanggal_akhir": "2026-11-23",
        "nomor_bukti": "BKM 2026/0101-0134, BKK 2026/0055-0070", "jumlah_bukti": 50,
        "total_debet": debit, "total_kredit": debit if credit is None else credit}
    if kind == KOREKSI:
        values["uraian_penyesuaian"] = "Koreksi kode akun BKK 2026/0061: beban listrik, bukan beban ATK"
    if kind == TUTUP:
        values.update(tanggal_awal="2026-11-01", tanggal_akhir="2026-11-30", nomor_bukti="Seluruh bukti November 2026",
                      jumlah_bukti=120)
    return {**values, **changes}


def attachments(files: Files, kind: str) -> dict[str, Path]:
    names = ["bukti_transaksi", "jurnal"] + (["neraca_saldo"] if kind == TUTUP else [])
    return pdfs(files, *names)


def drafted(services: Services, files: Files, kind: str, debit: int, credit: int | None = None, by: str = "fajar",
            **changes: object) -> str:
    return start(services, WF, by, entry(kind, debit, credit, **changes), attachments(files, kind))


def submitted(services: Services, files: Files, kind: str = HARIAN, debit: int = 4_750_000, by: str = "fajar") -> str:
    number = drafted(services, files, kind, debit, by=by)
    act(services, number, "ajukan", by)
    return number


def closing_at_the_ketua(services: Services, files: Files) -> str:
    number = submitted(services, files, TUTUP, 86_400_000)
    act(services, number, "periksa", "sri")
    assert state(services, number) == "persetujuan_ketua"
    return number


def sample(services: Services, files: Files, number: str, count: int, result: str = "Sesuai", by: str = "heru",
           action: str = "catat_uji_petik", comment: str | None = None) -> None:
    act(services, number, action, by, values={"jumlah_sampel": count, "hasil_uji_petik": result},
        files=pdfs(files, "kertas_kerja_uji_petik"), comment=comment)


def test_a_days_journal_is_checked_by_the_bendahara_and_posted(services: Services, files) -> None:
    number = submitted(services, files)
    assert state(services, number) == "pemeriksaan_bendahara"
    act(services, number, "periksa", "sri")
    assert state(services, number) == "posting"
    act(services, number, "posting", "fajar", values={"tanggal_posting": "2026-11-24"})
    view = services.show(number, None)
    assert view.summary.state == "dibukukan" and view.summary.final
    assert [e.action for e in view.history] == ["mulai", "ajukan", "periksa", "posting"]


def test_debit_must_equal_credit_to_the_rupiah(services: Services, files) -> None:
    outcome = {}
    for credit in (4_749_999, 4_750_000, 4_750_001):
        number = drafted(services, files, HARIAN, 4_750_000, credit)
        with contextlib.suppress(ValidationError):
            act(services, number, "ajukan", "fajar")
        outcome[credit] = state(services, number)
    assert outcome == {4_749_999: "penjurnalan", 4_750_000: "pemeriksaan_bendahara", 4_750_001: "penjurnalan"}


def test_an_unbalanced_journal_is_refused_with_the_rule_in_words(services: Services, files) -> None:
    number = drafted(services, files, HARIAN, 4_750_000, 4_700_000)
    error = refused(services, number, "ajukan", "fajar", ValidationError, "tidak terpenuhi")
    assert "Jumlah debet" in str(error) and "Jumlah kredit" in str(error)


def test_the_period_must_not_end_before_it_starts(services: Services, files) -> None:
    number = drafted(services, files, HARIAN, 100_000, tanggal_awal="2026-11-24", tanggal_akhir="2026-11-23")
    refused(services, number, "ajukan", "fajar", ValidationError, "tidak terpenuhi")


def test_a_journal_needs_its_vouchers(services: Services, files) -> None:
    number = start(services, WF, "fajar", entry(HARIAN, 100_000), pdfs(files, "jurnal"))
    error = refused(services, number, "ajukan", "fajar", ValidationError, "wajib diisi")
    assert "bukti_transaksi" in str(error)


def test_an_adjusting_entry_needs_its_reason(services: Services, files) -> None:
    number = start(services, WF, "fajar", {**entry(KOREKSI, 200_000), "uraian_penyesuaian": ""},
                   attachments(files, KOREKSI))
    error = refused(services, number, "ajukan", "fajar", ValidationError, "wajib diisi")
    assert "uraian_penyesuaian" in str(error)


def test_an_adjusting_entry_above_the_limit_needs_the_ketua(services: Services, files) -> None:
    outcome = {}
    for amount in (LIMIT - 1, LIMIT, LIMIT + 1):
        number = submitted(services, files, KOREKSI, amount)
        act(services, number, "periksa", "sri")
        outcome[amount] = state(services, number)
    assert outcome == {LIMIT - 1: "posting", LIMIT: "posting", LIMIT + 1: "persetujuan_ketua"}


def test_a_large_adjusting_entry_approved_by_the_ketua_is_posted(services: Services, files) -> None:
    number = submitted(services, files, KOREKSI, LIMIT + 1)
    act(services, number, "periksa", "sri")
    refused(services, number, "posting", "fajar", ValidationError, "tidak dapat dilakukan saat",
            values={"tanggal_posting": "2026-11-25"})
    act(services, number, "setujui", "bambang")
    assert state(services, number) == "posting"
    refused(services, number, "posting", "sri", PermissionDeniedError, "hanya untuk")
    act(services, number, "posting", "fajar", values={"tanggal_posting": "2026-11-25"})
    assert state(services, number) == "dibukukan"


def test_the_ketua_may_reject_an_adjusting_entry(services: Services, files) -> None:
    number = submitted(services, files, KOREKSI, LIMIT + 1)
    act(services, number, "periksa", "sri")
    refused(services, number, "tolak", "bambang", ValidationError, "wajib diisi")
    act(services, number, "tolak", "bambang", comment="Bukti memorial tidak ditandatangani; koreksi tidak beralasan")
    assert state(services, number) == "ditolak"


def test_the_limit_for_adjusting_entries_comes_from_the_settings(services: Services, files, tmp_path: Path) -> None:
    reimport(services, tmp_path, settings={"batas_jurnal_penyesuaian_bendahara": 250_000})
    outcome = {}
    for amount in (250_000, 250_001):
        number = submitted(services, files, KOREKSI, amount)
        act(services, number, "periksa", "sri")
        outcome[amount] = state(services, number)
    assert outcome == {250_000: "posting", 250_001: "persetujuan_ketua"}


def test_the_month_is_closed_with_a_trial_balance_and_the_ketuas_approval(services: Services, files) -> None:
    number = closing_at_the_ketua(services, files)
    act(services, number, "setujui", "bambang")
    view = services.show(number, None)
    assert view.summary.state == "ditutup" and view.summary.final
    assert [e.action for e in view.history] == ["mulai", "ajukan", "periksa", "setujui"]


def test_a_closing_without_a_trial_balance_is_refused(services: Services, files) -> None:
    number = start(services, WF, "fajar", entry(TUTUP, 86_400_000), pdfs(files, "bukti_transaksi", "jurnal"))
    error = refused(services, number, "ajukan", "fajar", ValidationError, "wajib diisi")
    assert "neraca_saldo" in str(error)


def test_the_pengawas_may_sample_the_month_before_it_is_closed(services: Services, files) -> None:
    number = closing_at_the_ketua(services, files)
    act(services, number, "minta_uji_petik", "heru")
    assert state(services, number) == "uji_petik"
    refused(services, number, "setujui", "bambang", AlreadyDecidedError, "sudah diputuskan oleh heru")
    sample(services, files, number, SAMPLE)
    assert state(services, number) == "persetujuan_ketua"
    act(services, number, "setujui", "bambang")
    assert state(services, number) == "ditutup"


def test_a_sample_has_at_least_the_minimum_and_at_most_every_voucher(services: Services, files) -> None:
    number = closing_at_the_ketua(services, files)
    act(services, number, "minta_uji_petik", "nuraini")
    for count in (SAMPLE - 1, 121):  # 120 vouchers in the month
        with pytest.raises(ValidationError, match="tidak terpenuhi"):
            sample(services, files, number, count, by="nuraini")
        assert state(services, number) == "uji_petik"
    sample(services, files, number, SAMPLE, by="nuraini")
    assert state(services, number) == "persetujuan_ketua"


def test_a_month_with_fewer_vouchers_than_the_minimum_is_sampled_whole(services: Services, files) -> None:
    number = start(services, WF, "fajar", entry(TUTUP, 900_000, jumlah_bukti=3), attachments(files, TUTUP))
    act(services, number, "ajukan", "fajar")
    act(services, number, "periksa", "sri")
    act(services, number, "minta_uji_petik", "agus")
    with pytest.raises(ValidationError, match="tidak terpenuhi"):
        sample(services, files, number, 2, by="agus")
    sample(services, files, number, 3, by="agus")
    assert state(services, number) == "persetujuan_ketua"


def test_the_minimum_sample_comes_from_the_settings(services: Services, files, tmp_path: Path) -> None:
    reimport(services, tmp_path, settings={"uji_petik_minimal_bukti": 10})
    number = closing_at_the_ketua(services, files)
    act(services, number, "minta_uji_petik", "heru")
    with pytest.raises(ValidationError, match="tidak terpenuhi"):
        sample(services, files, number, 9)
    sample(services, files, number, 10)
    assert state(services, number) == "persetujuan_ketua"


def test_a_sample_with_differences_sends_the_month_back_for_correction(services: Services, files) -> None:
    number = closing_at_the_ketua(services, files)
    act(services, number, "minta_uji_petik", "heru")
    with pytest.raises(ValidationError, match="tidak terpenuhi"):  # a difference cannot be recorded as in order
        sample(services, files, number, SAMPLE, result="Ada selisih atau bukti tidak sah")
    with pytest.raises(ValidationError, match="wajib diisi"):
        sample(services, files, number, SAMPLE, result="Ada selisih atau bukti tidak sah", action="kembalikan")
    sample(services, files, number, SAMPLE, result="Ada selisih atau bukti tidak sah", action="kembalikan",
           comment="BKK 2026/0061 tanpa nota; selisih Rp 150.000 di akun beban listrik")
    assert state(services, number) == "penjurnalan"
    act(services, number, "ajukan", "fajar")
    assert state(services, number) == "pemeriksaan_bendahara"


def test_only_a_monthly_closing_is_sampled(services: Services, files) -> None:
    number = submitted(services, files, KOREKSI, LIMIT + 1)
    act(services, number, "periksa", "sri")
    refused(services, number, "minta_uji_petik", "heru", ValidationError, "tidak terpenuhi")
    refused(services, number, "minta_uji_petik", "bambang", PermissionDeniedError, "hanya untuk Pengawas")


def test_returns_and_rejections_by_the_bendahara(services: Services, files) -> None:
    number = submitted(services, files)
    refused(services, number, "kembalikan", "sri", ValidationError, "wajib diisi")
    act(services, number, "kembalikan", "sri", comment="BKM 2026/0117 dijurnal dua kali")
    assert state(services, number) == "penjurnalan"
    act(services, number, "ajukan", "fajar")
    act(services, number, "tolak", "sri", comment="Nota tanpa tanda tangan penjual; transaksi tidak dapat dibukukan")
    assert state(services, number) == "ditolak"

    closing = closing_at_the_ketua(services, files)
    refused(services, closing, "tolak", "bambang", ValidationError, "tidak terpenuhi",  # a closing is returned,
            comment="Tidak setuju")  # not rejected
    act(services, closing, "kembalikan", "bambang", comment="Neraca saldo belum memuat akun bank BRI")
    assert state(services, closing) == "penjurnalan"


def test_the_bendahara_does_not_journal(services: Services, files) -> None:
    with pytest.raises(PermissionDeniedError, match="hanya dapat dimulai oleh"):
        drafted(services, files, HARIAN, 100_000, by="sri")


def test_whoever_journals_does_not_check_the_journal(services: Services, files, tmp_path: Path) -> None:
    reimport(services, tmp_path, roles=[{"person": "sri", "role": "karyawan", "start": "2026-11-01"}])
    number = submitted(services, files, by="sri")
    refused(services, number, "periksa", "sri", PermissionDeniedError, "mengajukan")
    refused(services, number, "tolak", "sri", PermissionDeniedError, "mengajukan")
    refused(services, number, "periksa", "fajar", PermissionDeniedError, "hanya untuk Bendahara")
    refused(services, number, "periksa", "wahyu", PermissionDeniedError, "berakhir 31 Desember 2025")


def test_the_ketua_does_not_approve_an_entry_he_journaled(services: Services, files, tmp_path: Path) -> None:
    reimport(services, tmp_path, roles=[{"person": "bambang", "role": "karyawan", "start": "2026-11-01"}])
    number = submitted(services, files, KOREKSI, LIMIT + 1, by="bambang")
    act(services, number, "periksa", "sri")
    refused(services, number, "setujui", "bambang", PermissionDeniedError, "sendiri")
    refused(services, number, "setujui", "sri", PermissionDeniedError, "hanya untuk Ketua")
    refused(services, number, "setujui", "heru", PermissionDeniedError, "hanya untuk Ketua")
    assert state(services, number) == "persetujuan_ketua"
