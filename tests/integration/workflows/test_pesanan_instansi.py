"""SOP-USH-12 Pesanan Instansi melalui e-Katalog."""

from __future__ import annotations

import contextlib
from pathlib import Path

from engine.errors import PermissionDeniedError, ValidationError
from engine.services import Services
from tests.integration.workflows.helpers import Files, act, pdfs, refused, reimport, start, state

WF = "pesanan_instansi"
AMOUNT = 10_000_000


def order(amount: int = AMOUNT) -> dict[str, object]:
    return {"instansi": "Kantor Kecamatan Prajurit Kulon", "nomor_pesanan": "EPURCH-2026-11-000481",
            "tanggal_pesanan": "2026-11-23", "batas_waktu_kirim": "2026-12-02",
            "uraian_barang": "Kue kering nastar 500 g, 100 toples", "nilai_pesanan": amount,
            "anggota_pemasok": "Siti Maemunah (KKMP-STN-0007)"}


def submitted(services: Services, files: Files, amount: int = AMOUNT, by: str = "fajar") -> str:
    number = start(services, WF, by, order(amount), pdfs(files, "dokumen_pesanan"))
    act(services, number, "ajukan", by)
    return number


def accepted(services: Services, files: Files, amount: int = AMOUNT) -> str:
    number = submitted(services, files, amount)
    act(services, number, "terima_pesanan", "dwi")
    return number


def invoiced(services: Services, files: Files, amount: int = AMOUNT) -> str:
    number = accepted(services, files, amount)
    act(services, number, "stok_siap", "fajar", values={"tanggal_siap": "2026-11-28"}, files=pdfs(files, "ba_terima_anggota"))
    act(services, number, "kirim", "fajar", values={"tanggal_kirim": "2026-11-30"}, files=pdfs(files, "bast_instansi"))
    act(services, number, "tagih", "sri", values={"nomor_tagihan": "INV-2026-031", "nilai_tagihan": amount},
        files=pdfs(files, "tagihan"))
    return number


def paid(services: Services, files: Files) -> str:
    number = invoiced(services, files)
    act(services, number, "catat_pembayaran", "sri", values={"tanggal_diterima": "2026-12-15", "nilai_diterima": 9_750_000,
                                                             "potongan_pajak": 250_000},
        files=pdfs(files, "bukti_penerimaan"))
    return number


def allocation(member: int, coop: int) -> dict[str, int]:
    return {"bagian_anggota": member, "bagian_koperasi": coop}


def test_an_order_is_confirmed_delivered_invoiced_paid_and_passed_on_to_the_member(services: Services, files) -> None:
    number = paid(services, files)
    assert state(services, number) == "alokasi"
    act(services, number, "hitung_alokasi", "sri", values=allocation(9_262_500, 487_500), files=pdfs(files, "lembar_alokasi"))
    act(services, number, "periksa_alokasi", "bambang")
    act(services, number, "bayar_anggota", "sri", files=pdfs(files, "bukti_bayar_anggota"))
    view = services.show(number, None)
    assert view.summary.state == "selesai"
    assert [e.action for e in view.history] == [
        "mulai", "ajukan", "terima_pesanan", "stok_siap", "kirim", "tagih", "catat_pembayaran", "hitung_alokasi",
        "periksa_alokasi", "bayar_anggota"]


def test_the_confirmation_routes_by_the_order_limit(services: Services, files) -> None:
    outcome = {}
    for amount in (49_999_999, 50_000_000, 50_000_001):
        number = submitted(services, files, amount)
        act(services, number, "terima_pesanan", "bambang")
        outcome[amount] = state(services, number)
    assert outcome == {49_999_999: "persiapan_stok", 50_000_000: "persiapan_stok",
                       50_000_001: "keputusan_rapat_pengurus"}


def test_a_large_order_needs_exactly_the_configured_number_of_pengurus(
        services: Services, files, tmp_path: Path) -> None:
    number = submitted(services, files, 80_000_000)
    act(services, number, "terima_pesanan", "bambang")
    refused(services, number, "setujui_rapat", "bambang", PermissionDeniedError, "sudah memutuskan")
    assert not act(services, number, "setujui_rapat", "dwi").fired
    assert not act(services, number, "setujui_rapat", "endang").fired
    assert act(services, number, "setujui_rapat", "rina").fired
    assert state(services, number) == "persiapan_stok"
    reimport(services, tmp_path, settings={"kuorum_keputusan_pengurus": 2, "batas_pesanan_ketua": 5_000_000})
    number = submitted(services, files, AMOUNT)
    act(services, number, "terima_pesanan", "bambang")
    assert not act(services, number, "setujui_rapat", "dwi").fired
    assert act(services, number, "setujui_rapat", "sri").fired


def test_an_order_can_be_returned_or_rejected_at_confirmation_or_by_the_board(services: Services, files) -> None:
    number = submitted(services, files)
    act(services, number, "kembalikan", "dwi", comment="Nomor pesanan salah ketik")
    assert state(services, number) == "pesanan_masuk"
    act(services, number, "ajukan", "fajar")
    act(services, number, "tolak", "dwi", comment="Anggota tidak sanggup 100 toples dalam seminggu")
    assert state(services, number) == "ditolak"
    number = submitted(services, files, 80_000_000)
    act(services, number, "terima_pesanan", "dwi")
    for pengurus in ("bambang", "endang"):
        assert not act(services, number, "tolak", pengurus, comment="Modal kerja tidak cukup").fired
    assert act(services, number, "tolak", "sri", comment="Modal kerja tidak cukup").fired
    assert state(services, number) == "ditolak"


def test_an_order_that_cannot_be_fulfilled_is_cancelled_before_or_after_the_goods_are_ready(
        services: Services, files) -> None:
    number = accepted(services, files)
    act(services, number, "batalkan", "dwi", comment="Bahan baku mentega langka")
    assert state(services, number) == "dibatalkan"
    number = accepted(services, files)
    act(services, number, "stok_siap", "fajar", values={"tanggal_siap": "2026-11-28"}, files=pdfs(files, "ba_terima_anggota"))
    act(services, number, "batalkan", "bambang", comment="Instansi membatalkan pesanan di INAPROC")
    assert state(services, number) == "dibatalkan"


def test_the_invoice_may_not_exceed_the_order(services: Services, files) -> None:
    number = accepted(services, files)
    act(services, number, "stok_siap", "fajar", values={"tanggal_siap": "2026-11-28"}, files=pdfs(files, "ba_terima_anggota"))
    act(services, number, "kirim", "fajar", values={"tanggal_kirim": "2026-11-30"}, files=pdfs(files, "bast_instansi"))
    refused(services, number, "tagih", "sri", ValidationError, "tidak terpenuhi",
            values={"nomor_tagihan": "INV-1", "nilai_tagihan": AMOUNT + 1}, files=pdfs(files, "tagihan"))
    act(services, number, "tagih", "sri", values={"nomor_tagihan": "INV-1", "nilai_tagihan": AMOUNT},
        files=pdfs(files, "tagihan"))
    assert state(services, number) == "menunggu_pembayaran"


def test_money_received_plus_tax_withheld_must_equal_the_invoice(services: Services, files) -> None:
    number = invoiced(services, files)
    for received in (9_749_999, 9_750_001):
        refused(services, number, "catat_pembayaran", "sri", ValidationError, "tidak terpenuhi",
                values={"tanggal_diterima": "2026-12-15", "nilai_diterima": received, "potongan_pajak": 250_000},
                files=pdfs(files, "bukti_penerimaan"))
    act(services, number, "catat_pembayaran", "sri", values={"tanggal_diterima": "2026-12-15", "nilai_diterima": 9_750_000,
                                                             "potongan_pajak": 250_000}, files=pdfs(files, "bukti_penerimaan"))
    assert state(services, number) == "alokasi"


def test_the_cooperatives_share_may_not_be_below_the_minimum(services: Services, files) -> None:
    limit = 9_750_000 * 5 // 100  # 487.500
    outcome = {}
    for share in (limit - 1, limit, limit + 1):
        number = paid(services, files)
        with contextlib.suppress(ValidationError):
            act(services, number, "hitung_alokasi", "sri", values=allocation(9_750_000 - share, share),
                files=pdfs(files, "lembar_alokasi"))
        outcome[share] = state(services, number)
    assert outcome == {limit - 1: "alokasi", limit: "pemeriksaan_alokasi", limit + 1: "pemeriksaan_alokasi"}


def test_an_allocation_that_does_not_add_up_is_refused_and_a_checked_one_can_be_sent_back(
        services: Services, files) -> None:
    number = paid(services, files)
    refused(services, number, "hitung_alokasi", "sri", ValidationError, "tidak terpenuhi",
            values=allocation(9_262_500, 487_499), files=pdfs(files, "lembar_alokasi"))
    act(services, number, "hitung_alokasi", "sri", values=allocation(9_262_500, 487_500), files=pdfs(files, "lembar_alokasi"))
    act(services, number, "kembalikan", "dwi", comment="Ongkos kirim belum dipotong sesuai perjanjian")
    assert state(services, number) == "alokasi"


def test_the_submitter_cannot_confirm_and_a_former_bendahara_cannot_invoice(services: Services, files) -> None:
    number = submitted(services, files, by="dwi")
    refused(services, number, "terima_pesanan", "dwi", PermissionDeniedError, "mengajukan")
    act(services, number, "terima_pesanan", "bambang")
    act(services, number, "stok_siap", "fajar", values={"tanggal_siap": "2026-11-28"}, files=pdfs(files, "ba_terima_anggota"))
    act(services, number, "kirim", "fajar", values={"tanggal_kirim": "2026-11-30"}, files=pdfs(files, "bast_instansi"))
    refused(services, number, "tagih", "wahyu", PermissionDeniedError, "berakhir 31 Desember 2025",
            values={"nomor_tagihan": "INV-1", "nilai_tagihan": AMOUNT}, files=pdfs(files, "tagihan"))
