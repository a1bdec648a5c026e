"""SOP-KEU-01 Simpanan Pokok, Wajib dan Sukarela."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest

from engine.errors import PermissionDeniedError, ValidationError
from engine.services import Services
from tests.integration.workflows.helpers import Files, act, pdfs, refused, reimport, start, state

WF = "simpanan_anggota"
WAJIB = "Simpanan wajib"
SUKARELA = "Simpanan sukarela"
PER_MONTH = 10_000  # simpanan_wajib_per_bulan (default)
LIMIT = 2_000_000  # batas_penarikan_sukarela (default)


def entry(kind: str, amount: int, **changes: object) -> dict[str, object]:
    return {"nomor_anggota": "KKMP-STN-0007", "nama_anggota": "Siti Maemunah", "jenis_simpanan": kind,
            "tanggal_transaksi": "2026-11-24", "jumlah": amount, **changes}


def drafted(services: Services, files: Files, kind: str, amount: int, by: str = "fajar", **changes: object) -> str:
    return start(services, WF, by, entry(kind, amount, **changes), pdfs(files, "bukti_transaksi"))


def deposit(services: Services, files: Files, amount: int = 3 * PER_MONTH, months: int = 3, by: str = "fajar") -> str:
    number = drafted(services, files, WAJIB, amount, by, jumlah_bulan=months, periode_wajib="Oktober–Desember 2026")
    act(services, number, "catat_setoran", by)
    return number


def withdrawal(services: Services, files: Files, amount: int, balance: int = 5_000_000, by: str = "fajar") -> str:
    number = drafted(services, files, SUKARELA, amount, by, saldo_sukarela=balance)
    act(services, number, "ajukan_penarikan", by)
    return number


def paid_out(services: Services, files: Files, number: str, by: str = "fajar") -> None:
    act(services, number, "bayarkan", by, values={"tanggal_pembayaran": "2026-11-25"},
        files=pdfs(files, "bukti_pembayaran"))


def test_a_simpanan_wajib_deposit_is_recorded_and_booked_by_the_bendahara(services: Services, files) -> None:
    number = deposit(services, files)
    assert state(services, number) == "verifikasi_setoran"
    act(services, number, "bukukan", "sri")
    view = services.show(number, None)
    assert view.summary.state == "tercatat"
    assert [e.action for e in view.history] == ["mulai", "catat_setoran", "bukukan"]


def test_a_simpanan_sukarela_deposit_of_any_amount_is_booked(services: Services, files) -> None:
    number = drafted(services, files, SUKARELA, 1)
    act(services, number, "catat_setoran", "fajar")
    act(services, number, "bukukan", "sri")
    assert state(services, number) == "tercatat"


def test_simpanan_wajib_is_exactly_the_monthly_amount_times_the_months(services: Services, files) -> None:
    outcome = {}
    for amount in (3 * PER_MONTH - 1, 3 * PER_MONTH, 3 * PER_MONTH + 1):
        number = drafted(services, files, WAJIB, amount, jumlah_bulan=3, periode_wajib="Oktober–Desember 2026")
        with contextlib.suppress(ValidationError):
            act(services, number, "catat_setoran", "fajar")
        outcome[amount] = state(services, number)
    assert outcome == {29_999: "pencatatan", 30_000: "verifikasi_setoran", 30_001: "pencatatan"}


def test_simpanan_wajib_needs_its_months_and_they_are_at_most_a_year(services: Services, files) -> None:
    number = drafted(services, files, WAJIB, PER_MONTH)
    error = refused(services, number, "catat_setoran", "fajar", ValidationError)
    assert "jumlah_bulan" in str(error) and "wajib diisi" in str(error)
    with pytest.raises(ValidationError, match="maksimal 12"):
        drafted(services, files, WAJIB, 13 * PER_MONTH, jumlah_bulan=13, periode_wajib="Setahun lebih")


def test_the_monthly_simpanan_wajib_comes_from_the_cooperatives_settings(
        services: Services, files, tmp_path: Path) -> None:
    reimport(services, tmp_path, settings={"simpanan_wajib_per_bulan": 25_000})
    refused_number = drafted(services, files, WAJIB, 20_000, jumlah_bulan=2, periode_wajib="November–Desember 2026")
    refused(services, refused_number, "catat_setoran", "fajar", ValidationError, "tidak terpenuhi")
    number = deposit(services, files, 50_000, months=2)
    assert state(services, number) == "verifikasi_setoran"


def test_simpanan_pokok_is_not_a_choice_here(services: Services, files) -> None:
    with pytest.raises(ValidationError, match="pilihan tidak dikenal"):
        drafted(services, files, "Simpanan pokok", 100_000)


def test_simpanan_wajib_cannot_be_withdrawn(services: Services, files) -> None:
    number = drafted(services, files, WAJIB, 100_000, saldo_sukarela=500_000)
    refused(services, number, "ajukan_penarikan", "fajar", ValidationError, "tidak terpenuhi")


def test_a_withdrawal_may_not_exceed_the_balance(services: Services, files) -> None:
    outcome = {}
    for amount in (499_999, 500_000, 500_001):
        number = drafted(services, files, SUKARELA, amount, saldo_sukarela=500_000)
        with contextlib.suppress(ValidationError):
            act(services, number, "ajukan_penarikan", "fajar")
        outcome[amount] = state(services, number)
    assert outcome == {499_999: "verifikasi_penarikan", 500_000: "verifikasi_penarikan", 500_001: "pencatatan"}


def test_a_withdrawal_up_to_the_limit_is_verified_by_the_bendahara_and_paid(services: Services, files) -> None:
    number = withdrawal(services, files, LIMIT)
    act(services, number, "verifikasi", "sri")
    assert state(services, number) == "pembayaran"
    paid_out(services, files, number)
    view = services.show(number, None)
    assert view.summary.state == "dibayarkan"
    assert [e.action for e in view.history] == ["mulai", "ajukan_penarikan", "verifikasi", "bayarkan"]


def test_one_rupiah_above_the_limit_needs_the_ketua(services: Services, files) -> None:
    outcome = {}
    for amount in (LIMIT - 1, LIMIT, LIMIT + 1):
        number = withdrawal(services, files, amount)
        act(services, number, "verifikasi", "sri")
        outcome[amount] = state(services, number)
    assert outcome == {LIMIT - 1: "pembayaran", LIMIT: "pembayaran", LIMIT + 1: "persetujuan_ketua"}


def test_a_large_withdrawal_approved_by_the_ketua_is_paid_by_the_bendahara(services: Services, files) -> None:
    number = withdrawal(services, files, LIMIT + 1)
    act(services, number, "verifikasi", "sri")
    refused(services, number, "bayarkan", "sri", ValidationError, "tidak dapat dilakukan saat", values={"tanggal_pembayaran": "2026-11-25"},
            files=pdfs(files, "bukti_pembayaran"))  # not before the ketua approves
    act(services, number, "setujui", "bambang")
    assert state(services, number) == "pembayaran"
    paid_out(services, files, number, by="sri")
    assert state(services, number) == "dibayarkan"


def test_the_withdrawal_limit_comes_from_the_cooperatives_settings(
        services: Services, files, tmp_path: Path) -> None:
    reimport(services, tmp_path, settings={"batas_penarikan_sukarela": 500_000})
    outcome = {}
    for amount in (500_000, 500_001):
        number = withdrawal(services, files, amount)
        act(services, number, "verifikasi", "sri")
        outcome[amount] = state(services, number)
    assert outcome == {500_000: "pembayaran", 500_001: "persetujuan_ketua"}


def test_returns_rejections_and_a_cancelled_payout_end_or_reopen_the_case(services: Services, files) -> None:
    returned = deposit(services, files)
    act(services, returned, "kembalikan", "sri", comment="Slip setoran belum ditandatangani anggota")
    assert state(services, returned) == "pencatatan"
    act(services, returned, "catat_setoran", "fajar")
    assert state(services, returned) == "verifikasi_setoran"

    refused(services, deposit(services, files), "tolak", "sri", ValidationError, "wajib diisi")  # a reason
    rejected = deposit(services, files)
    act(services, rejected, "tolak", "sri", comment="Uang tidak ada di laci kas")
    assert state(services, rejected) == "ditolak"

    by_ketua = withdrawal(services, files, LIMIT + 1)
    act(services, by_ketua, "verifikasi", "sri")
    act(services, by_ketua, "kembalikan", "bambang", comment="Saldo di kartu simpanan berbeda")
    assert state(services, by_ketua) == "pencatatan"
    act(services, by_ketua, "ajukan_penarikan", "fajar")
    act(services, by_ketua, "verifikasi", "sri")
    act(services, by_ketua, "tolak", "bambang", comment="Kas belum cukup; ajukan lagi bulan depan")
    assert state(services, by_ketua) == "ditolak"

    cancelled = withdrawal(services, files, 100_000)
    act(services, cancelled, "verifikasi", "sri")
    act(services, cancelled, "batalkan", "fajar", comment="Anggota tidak jadi menarik")
    assert state(services, cancelled) == "dibatalkan"


def test_the_bendahara_does_not_record_at_the_counter(services: Services, files) -> None:
    with pytest.raises(PermissionDeniedError, match="hanya dapat dimulai oleh Kasir"):
        deposit(services, files, by="sri")


def test_whoever_records_a_deposit_does_not_verify_it(services: Services, files, tmp_path: Path) -> None:
    reimport(services, tmp_path, roles=[{"person": "sri", "role": "kasir", "start": "2026-11-01"}])
    number = deposit(services, files, by="sri")
    refused(services, number, "bukukan", "sri", PermissionDeniedError, "mengajukan")
    refused(services, number, "bukukan", "fajar", PermissionDeniedError, "hanya untuk Bendahara")
    refused(services, number, "bukukan", "wahyu", PermissionDeniedError, "berakhir 31 Desember 2025")


def test_whoever_records_a_withdrawal_does_not_verify_it(services: Services, files, tmp_path: Path) -> None:
    reimport(services, tmp_path, roles=[{"person": "sri", "role": "kasir", "start": "2026-11-01"}])
    number = withdrawal(services, files, 100_000, by="sri")
    refused(services, number, "verifikasi", "sri", PermissionDeniedError, "mengajukan")
    refused(services, number, "verifikasi", "bambang", PermissionDeniedError, "hanya untuk Bendahara")


def test_the_ketua_does_not_approve_a_withdrawal_he_recorded(services: Services, files, tmp_path: Path) -> None:
    reimport(services, tmp_path, roles=[{"person": "bambang", "role": "kasir", "start": "2026-11-01"}])
    number = withdrawal(services, files, LIMIT + 1, by="bambang")
    act(services, number, "verifikasi", "sri")
    refused(services, number, "setujui", "bambang", PermissionDeniedError, "sendiri")
    refused(services, number, "setujui", "sri", PermissionDeniedError, "hanya untuk Ketua")
    assert state(services, number) == "persetujuan_ketua"
