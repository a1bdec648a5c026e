"""SOP-USH-14 Titipan, Penjualan dan Penyelesaian Konsinyasi UMKM."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest

from engine.errors import PermissionDeniedError, ValidationError
from engine.services import Services
from tests.integration.workflows.helpers import Files, act, pdfs, refused, reimport, start, state

WF = "penyelesaian_konsinyasi"
MANAGER_LIMIT = 2_000_000  # batas_penyelesaian_konsinyasi_manajer (default)
WAKIL_LIMIT = 10_000_000  # batas_penyelesaian_konsinyasi_wakil (default)
STAFF = [{"person": "wahyu", "role": "karyawan", "start": "2026-11-01"}]


def consignment(**changes: object) -> dict[str, object]:
    return {"nomor_kasus_kemitraan": "KMT/2026/0004", "nama_mitra": "Keripik Tempe Bu Sumi",
            "nomor_perjanjian": "015/KMT/KKMP-STN/XI/2026", "komisi_persen": 20, "tanggal_titipan": "2026-11-02",
            "akhir_periode": "2026-11-30", "jumlah_titipan": 200, "nilai_titipan": 50_000_000,
            "barang_pangan": "Ya", "kedaluwarsa_terdekat": "2027-01-15", **changes}


def recap(sold: int, returned: int, sales: int, percent: int = 20, **changes: object) -> dict[str, object]:
    commission = sales * percent // 100
    return {"jumlah_terjual": sold, "jumlah_dikembalikan": returned, "nilai_penjualan": sales,
            "komisi": commission, "hak_umkm": sales - commission, **changes}


def sales_for(share: int, percent: int = 20) -> int:
    """The sales value whose UMKM share (sales minus the commission rounded down) is exactly ``share``."""
    guess = share * 100 // (100 - percent)
    return next(s for s in range(guess - 3, guess + 4) if s - s * percent // 100 == share)


def drafted(services: Services, files: Files, by: str = "fajar", **changes: object) -> str:
    return start(services, WF, by, consignment(**changes), pdfs(files, "tanda_terima_titipan"))


def selling(services: Services, files: Files, by: str = "fajar", **changes: object) -> str:
    number = drafted(services, files, by, **changes)
    act(services, number, "catat_titipan", by)
    return number


def recapped(services: Services, files: Files, sales: int, sold: int = 200, returned: int = 0,
             by: str = "fajar") -> str:
    number = selling(services, files, by)
    act(services, number, "ajukan_rekap", by, values=recap(sold, returned, sales), files=pdfs(files, "rekap_penjualan"))
    return number


def verified(services: Services, files: Files, sales: int, by: str = "fajar") -> str:
    number = recapped(services, files, sales, by=by)
    act(services, number, "verifikasi", "sri")
    return number


def returned_goods(services: Services, files: Files, number: str, by: str = "fajar") -> None:
    act(services, number, "catat_retur", by, values={"alasan_retur": "Tidak laku sampai akhir periode",
                                                     "tanggal_retur": "2026-11-30"}, files=pdfs(files, "ba_retur"))


def paid(services: Services, files: Files, number: str, amount: int) -> None:
    act(services, number, "bayar", "sri", values={"tanggal_pembayaran": "2026-12-03", "jumlah_dibayar": amount},
        files=pdfs(files, "bukti_pembayaran"))


def test_a_period_with_returned_goods_runs_from_titipan_to_payment(services: Services, files) -> None:
    number = selling(services, files)
    assert state(services, number) == "masa_penjualan"
    act(services, number, "ajukan_rekap", "fajar", values=recap(150, 50, 1_500_000),
        files=pdfs(files, "rekap_penjualan"))
    assert state(services, number) == "pengembalian_barang"
    returned_goods(services, files, number)
    assert state(services, number) == "verifikasi_bendahara"
    act(services, number, "verifikasi", "sri")
    assert state(services, number) == "persetujuan_manajer"
    refused(services, number, "setujui", "fajar", PermissionDeniedError, "sendiri")  # he drafted the titipan
    act(services, number, "setujui", "dwi")
    paid(services, files, number, 1_200_000)
    view = services.show(number, None)
    assert view.summary.state == "selesai"
    assert [e.action for e in view.history] == [
        "mulai", "catat_titipan", "ajukan_rekap", "catat_retur", "verifikasi", "setujui", "bayar"]


def test_a_recap_drafted_by_staff_is_approved_by_the_manajer(services: Services, files, tmp_path: Path) -> None:
    reimport(services, tmp_path, roles=STAFF)
    number = verified(services, files, 1_000_000, by="wahyu")
    assert state(services, number) == "persetujuan_manajer"
    act(services, number, "setujui", "fajar")
    assert state(services, number) == "pembayaran"


def test_a_period_with_nothing_sold_is_closed_with_a_nil_payment(services: Services, files) -> None:
    number = selling(services, files)
    refused(services, number, "ajukan_rekap", "fajar", ValidationError, "nilai penjualan harus Rp 0",
            values=recap(0, 200, 10_000), files=pdfs(files, "rekap_penjualan"))
    act(services, number, "ajukan_rekap", "fajar", values=recap(0, 200, 0), files=pdfs(files, "rekap_penjualan"))
    returned_goods(services, files, number)
    act(services, number, "verifikasi", "sri")
    act(services, number, "setujui", "dwi")
    paid(services, files, number, 0)
    assert state(services, number) == "selesai"


def test_the_commission_must_lie_in_the_band_of_the_peraturan_khusus(services: Services, files) -> None:
    outcome = {}
    for percent in (9, 10, 30, 31):
        number = drafted(services, files, komisi_persen=percent)
        with contextlib.suppress(ValidationError):
            act(services, number, "catat_titipan", "fajar")
        outcome[percent] = state(services, number)
    assert outcome == {9: "penerimaan_titipan", 10: "masa_penjualan", 30: "masa_penjualan", 31: "penerimaan_titipan"}
    number = drafted(services, files, komisi_persen=35)
    refused(services, number, "catat_titipan", "fajar", ValidationError, "di luar rentang Peraturan Khusus")


def test_a_period_is_at_most_the_configured_number_of_days(services: Services, files) -> None:
    outcome = {}
    for end in ("2026-12-03", "2026-12-04"):  # 31 and 32 days after 2 November
        number = drafted(services, files, akhir_periode=end)
        with contextlib.suppress(ValidationError):
            act(services, number, "catat_titipan", "fajar")
        outcome[end] = state(services, number)
    assert outcome == {"2026-12-03": "masa_penjualan", "2026-12-04": "penerimaan_titipan"}
    backwards = drafted(services, files, akhir_periode="2026-11-01")
    refused(services, backwards, "catat_titipan", "fajar", ValidationError, "harus sesudah tanggal titipan")


def test_food_close_to_its_expiry_date_is_not_taken_in(services: Services, files) -> None:
    outcome = {}
    for expiry in ("2026-12-01", "2026-12-02", "2026-12-03"):  # 29, 30 and 31 days after 2 November
        number = drafted(services, files, kedaluwarsa_terdekat=expiry)
        with contextlib.suppress(ValidationError):
            act(services, number, "catat_titipan", "fajar")
        outcome[expiry] = state(services, number)
    assert outcome == {"2026-12-01": "penerimaan_titipan", "2026-12-02": "masa_penjualan",
                       "2026-12-03": "masa_penjualan"}
    undated = start(services, WF, "fajar", {k: v for k, v in consignment().items() if k != "kedaluwarsa_terdekat"},
                    pdfs(files, "tanda_terima_titipan"))
    refused(services, undated, "catat_titipan", "fajar", ValidationError, "isi tanggal kedaluwarsa")
    crafts = start(services, WF, "fajar", {**{k: v for k, v in consignment().items() if k != "kedaluwarsa_terdekat"},
                                           "barang_pangan": "Tidak"}, pdfs(files, "tanda_terima_titipan"))
    act(services, crafts, "catat_titipan", "fajar")
    assert state(services, crafts) == "masa_penjualan"


def test_the_recap_arithmetic_is_checked(services: Services, files) -> None:
    number = selling(services, files)
    attach = pdfs(files, "rekap_penjualan")
    refused(services, number, "ajukan_rekap", "fajar", ValidationError, "harus sama dengan barang titipan",
            values=recap(150, 49, 1_500_000), files=attach)
    refused(services, number, "ajukan_rekap", "fajar", ValidationError, "Komisi harus 20%",
            values=recap(200, 0, 1_500_000, komisi=299_999, hak_umkm=1_200_001), files=attach)
    refused(services, number, "ajukan_rekap", "fajar", ValidationError, "Hak UMKM harus",
            values=recap(200, 0, 1_500_000, hak_umkm=1_200_001), files=attach)
    refused(services, number, "ajukan_rekap", "fajar", ValidationError, "tidak mungkin melebihi",
            values=recap(200, 0, 50_000_001), files=attach)
    act(services, number, "ajukan_rekap", "fajar", values=recap(200, 0, 50_000_000), files=attach)
    assert state(services, number) == "verifikasi_bendahara"


def test_the_commission_is_rounded_down_in_favour_of_the_umkm(services: Services, files) -> None:
    number = selling(services, files, komisi_persen=15)
    act(services, number, "ajukan_rekap", "fajar", values=recap(200, 0, 1_000_003, percent=15),  # 150.000,45
        files=pdfs(files, "rekap_penjualan"))
    assert services.show(number, None).summary.state == "verifikasi_bendahara"


def test_who_approves_follows_the_manajer_limit(services: Services, files) -> None:
    outcome = {}
    for share in (MANAGER_LIMIT - 1, MANAGER_LIMIT, MANAGER_LIMIT + 1):
        outcome[share] = state(services, verified(services, files, sales_for(share)))
    assert outcome == {MANAGER_LIMIT - 1: "persetujuan_manajer", MANAGER_LIMIT: "persetujuan_manajer",
                       MANAGER_LIMIT + 1: "persetujuan_wakil"}


def test_above_the_wakil_limit_the_ketua_also_approves(services: Services, files) -> None:
    outcome = {}
    for share in (WAKIL_LIMIT - 1, WAKIL_LIMIT, WAKIL_LIMIT + 1):
        number = verified(services, files, sales_for(share))
        act(services, number, "setujui", "dwi")
        outcome[share] = state(services, number)
    assert outcome == {WAKIL_LIMIT - 1: "pembayaran", WAKIL_LIMIT: "pembayaran", WAKIL_LIMIT + 1: "persetujuan_ketua"}
    number = verified(services, files, sales_for(WAKIL_LIMIT + 1))
    act(services, number, "setujui", "dwi")
    refused(services, number, "setujui", "dwi", PermissionDeniedError, "hanya untuk Ketua")
    act(services, number, "setujui", "bambang")
    paid(services, files, number, WAKIL_LIMIT + 1)
    assert state(services, number) == "selesai"


def test_the_limits_come_from_the_cooperatives_settings(services: Services, files, tmp_path: Path) -> None:
    reimport(services, tmp_path, settings={"batas_penyelesaian_konsinyasi_manajer": 500_000,
                                           "komisi_konsinyasi_maksimal_persen": 20})
    assert state(services, verified(services, files, sales_for(500_001))) == "persetujuan_wakil"
    number = drafted(services, files, komisi_persen=21)
    refused(services, number, "catat_titipan", "fajar", ValidationError, "di luar rentang")


def test_the_payment_is_exactly_the_approved_share(services: Services, files) -> None:
    number = verified(services, files, 1_000_000)
    act(services, number, "setujui", "dwi")
    for wrong in (799_999, 800_001):
        refused(services, number, "bayar", "sri", ValidationError, "harus sama dengan hak UMKM",
                values={"tanggal_pembayaran": "2026-12-03", "jumlah_dibayar": wrong},
                files=pdfs(files, "bukti_pembayaran"))
    refused(services, number, "bayar", "fajar", PermissionDeniedError, "hanya untuk Bendahara",
            values={"tanggal_pembayaran": "2026-12-03", "jumlah_dibayar": 800_000},
            files=pdfs(files, "bukti_pembayaran"))
    paid(services, files, number, 800_000)
    assert state(services, number) == "selesai"


def test_a_wrong_recap_goes_back_and_is_corrected(services: Services, files) -> None:
    number = recapped(services, files, 1_000_000)
    refused(services, number, "kembalikan", "sri", ValidationError, "wajib diisi")  # a reason
    act(services, number, "kembalikan", "sri", comment="Nilai penjualan tidak cocok dengan setoran kasir 28/11")
    assert state(services, number) == "masa_penjualan"
    act(services, number, "ajukan_rekap", "fajar", values=recap(200, 0, 990_000), files=pdfs(files, "rekap_penjualan"))
    act(services, number, "verifikasi", "sri")
    act(services, number, "kembalikan", "dwi", comment="Lampirkan catatan kasir per hari")
    assert state(services, number) == "masa_penjualan"


def test_the_agreement_is_named_by_its_kmt_case_number(services: Services, files) -> None:
    with pytest.raises(ValidationError, match="KMT/TAHUN/NOMOR"):
        drafted(services, files, nomor_kasus_kemitraan="KMT-2026-4")


def test_whoever_drafts_the_recap_does_not_check_it(services: Services, files, tmp_path: Path) -> None:
    reimport(services, tmp_path, roles=[{"person": "sri", "role": "kasir", "start": "2026-11-01"}])
    number = recapped(services, files, 1_000_000, by="sri")
    refused(services, number, "verifikasi", "sri", PermissionDeniedError, "mengajukan")
    refused(services, number, "verifikasi", "fajar", PermissionDeniedError, "hanya untuk Bendahara")


def test_the_bendahara_and_the_pengurus_do_not_take_in_goods(services: Services, files) -> None:
    for person in ("sri", "dwi"):
        with pytest.raises(PermissionDeniedError, match="hanya dapat dimulai oleh"):
            drafted(services, files, by=person)


def test_the_wakil_does_not_approve_a_recap_he_drafted_as_staff(services: Services, files, tmp_path: Path) -> None:
    reimport(services, tmp_path, roles=[{"person": "dwi", "role": "karyawan", "start": "2026-11-01"}])
    number = verified(services, files, sales_for(MANAGER_LIMIT + 1), by="dwi")
    assert state(services, number) == "persetujuan_wakil"
    refused(services, number, "setujui", "dwi", PermissionDeniedError, "sendiri")
    refused(services, number, "setujui", "fajar", PermissionDeniedError, "hanya untuk Wakil Ketua")
