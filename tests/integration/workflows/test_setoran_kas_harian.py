"""SOP-KEU-02 Setoran Kas Harian dan Batas Kas di Tangan."""

from __future__ import annotations

import contextlib
from pathlib import Path

from engine.errors import PermissionDeniedError, ValidationError
from engine.services import Services
from tests.integration.workflows.helpers import Files, act, pdfs, refused, reimport, start, state

WF = "setoran_kas_harian"
SALES = 3_450_000
CAP = 5_000_000


def closing(cash: int = SALES, **changes: object) -> dict[str, object]:
    return {"tanggal_kas": "2026-11-24", "penjualan_tunai": SALES, "penjualan_anggota": 2_900_000,
            "penjualan_non_anggota": 550_000, "uang_disetor": cash, **changes}


def handed_over(services: Services, files: Files, cash: int = SALES, by: str = "fajar", **changes: object) -> str:
    number = start(services, WF, by, closing(cash, **changes), pdfs(files, "rekap_penjualan"))
    act(services, number, "serahkan", by)
    return number


def received(services: Services, files: Files) -> str:
    number = handed_over(services, files)
    act(services, number, "terima", "sri")
    return number


def test_the_days_cash_is_handed_over_counted_and_kept_in_the_safe(services: Services, files) -> None:
    number = received(services, files)
    assert state(services, number) == "penyimpanan_kas"
    act(services, number, "simpan", "sri", values={"saldo_kas_di_tangan": 4_200_000})
    view = services.show(number, None)
    assert view.summary.state == "selesai"
    assert [e.action for e in view.history] == ["mulai", "serahkan", "terima", "simpan"]


def test_member_and_non_member_sales_must_add_up(services: Services, files) -> None:
    number = start(services, WF, "fajar", closing(penjualan_non_anggota=549_999), pdfs(files, "rekap_penjualan"))
    refused(services, number, "serahkan", "fajar", ValidationError, "tidak terpenuhi")


def test_a_difference_above_the_tolerance_needs_an_explanation(services: Services, files) -> None:
    number = start(services, WF, "fajar", closing(SALES - 10_001), pdfs(files, "rekap_penjualan"))
    error = refused(services, number, "serahkan", "fajar", ValidationError)
    assert "penjelasan_selisih" in str(error)
    act(services, number, "serahkan", "fajar", values={"penjelasan_selisih": "Kembalian Rp10.000 salah diberikan"})
    assert state(services, number) == "penerimaan_bendahara"


def test_a_difference_routes_to_the_ketua_only_above_the_tolerance(services: Services, files) -> None:
    outcome = {}
    for short in (9_999, 10_000, 10_001):
        number = handed_over(services, files, SALES - short, penjelasan_selisih="Uang receh kurang")
        act(services, number, "terima", "sri")
        outcome[short] = state(services, number)
    assert outcome == {9_999: "penyimpanan_kas", 10_000: "penyimpanan_kas", 10_001: "klarifikasi_selisih"}


def test_an_overage_counts_like_a_shortage_and_the_tolerance_comes_from_settings(
        services: Services, files, tmp_path: Path) -> None:
    reimport(services, tmp_path, settings={"toleransi_selisih_kas": 0})
    number = handed_over(services, files, SALES + 1, penjelasan_selisih="Pembeli tidak mengambil kembalian")
    act(services, number, "terima", "sri")
    assert state(services, number) == "klarifikasi_selisih"


def test_the_ketua_decides_a_difference_or_orders_a_recount(services: Services, files) -> None:
    number = handed_over(services, files, SALES - 75_000, penjelasan_selisih="Tidak tahu")
    act(services, number, "terima", "sri")
    act(services, number, "kembalikan", "bambang", comment="Hitung ulang bersama struk hari ini")
    assert state(services, number) == "penutupan_kasir"
    act(services, number, "serahkan", "fajar")
    act(services, number, "terima", "sri")
    act(services, number, "putuskan_selisih", "bambang", values={"keputusan_selisih": "Kekurangan dibebankan kepada kasir"})
    assert state(services, number) == "penyimpanan_kas"


def test_the_bendahara_returns_a_wrong_count(services: Services, files) -> None:
    number = handed_over(services, files)
    act(services, number, "kembalikan", "sri", comment="Lembar hitung tidak ditandatangani")
    assert state(services, number) == "penutupan_kasir"


def test_cash_kept_in_the_office_may_not_exceed_the_cap(services: Services, files) -> None:
    outcome = {}
    for balance in (CAP - 1, CAP, CAP + 1):
        number = received(services, files)
        with contextlib.suppress(ValidationError):
            act(services, number, "simpan", "sri", values={"saldo_kas_di_tangan": balance})
        outcome[balance] = state(services, number)
    assert outcome == {CAP - 1: "selesai", CAP: "selesai", CAP + 1: "penyimpanan_kas"}


def test_the_excess_is_deposited_so_that_no_more_than_the_cap_stays(services: Services, files) -> None:
    number = received(services, files)
    refused(services, number, "setor_bank", "sri", ValidationError, "tidak terpenuhi",
            values={"saldo_kas_di_tangan": 7_300_000, "jumlah_setor_bank": 2_299_999}, files=pdfs(files, "bukti_setor_bank"))
    act(services, number, "setor_bank", "sri", values={"saldo_kas_di_tangan": 7_300_000, "jumlah_setor_bank": 2_300_000},
        files=pdfs(files, "bukti_setor_bank"))
    assert state(services, number) == "selesai"


def test_the_cash_cap_comes_from_the_cooperatives_settings(services: Services, files, tmp_path: Path) -> None:
    reimport(services, tmp_path, settings={"batas_kas_di_tangan": 2_000_000})
    number = received(services, files)
    refused(services, number, "simpan", "sri", ValidationError, "paling banyak Rp 2.000.000",
            values={"saldo_kas_di_tangan": 2_000_001})


def test_nobody_receives_their_own_handover_and_a_former_bendahara_receives_nothing(
        services: Services, files, tmp_path: Path) -> None:
    reimport(services, tmp_path, roles=[{"person": "sri", "role": "kasir", "start": "2026-11-01"}])
    number = handed_over(services, files, by="sri")
    refused(services, number, "terima", "sri", PermissionDeniedError, "mengajukan")
    refused(services, number, "terima", "wahyu", PermissionDeniedError, "berakhir 31 Desember 2025")
