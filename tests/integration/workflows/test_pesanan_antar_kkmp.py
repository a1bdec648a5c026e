"""SOP-USH-16 Pesanan dan Penyelesaian Dagang antar-KKMP."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import pytest

from engine.errors import PermissionDeniedError, ValidationError
from engine.services import Services
from tests.integration.workflows.helpers import Files, act, pdfs, refused, reimport, start, state

WF = "pesanan_antar_kkmp"
LIMIT = 10_000_000  # batas_pesanan_antar_kkmp_wakil (default)
LINES = [{"barang": "Beras medium 5 kg", "satuan": "karung", "kuantitas": 100, "harga_satuan": 62_000,
          "jumlah": 6_200_000},
         {"barang": "Minyak goreng 1 L", "satuan": "botol", "kuantitas": 200, "harga_satuan": 15_500,
          "jumlah": 3_100_000}]
TOTAL = 9_300_000


def order(lines: list[dict[str, object]] | None = None, total: int = TOTAL, **changes: object) -> dict[str, object]:
    return {"nomor_kasus_kerja_sama": "KSA/2026/0002", "nama_koperasi_mitra": "KKMP Kranggan",
            "jenis_pesanan": "Pembelian dari koperasi mitra", "tanggal_pesanan": "2026-11-24",
            "rincian_pesanan": json.dumps(LINES if lines is None else lines), "nilai_pesanan": total,
            "tanggal_kirim_rencana": "2026-11-30", "tempo_bayar_hari": 14, **changes}


def single(amount: int, **changes: object) -> dict[str, object]:
    return order([{"barang": "Gula pasir 1 kg", "satuan": "paket", "kuantitas": 1, "harga_satuan": amount,
                   "jumlah": amount}], amount, **changes)


def drafted(services: Services, files: Files, values: dict[str, object] | None = None, by: str = "fajar") -> str:
    return start(services, WF, by, values or order(), pdfs(files, "surat_pesanan"))


def submitted(services: Services, files: Files, values: dict[str, object] | None = None, by: str = "fajar") -> str:
    number = drafted(services, files, values, by)
    act(services, number, "ajukan", by)
    return number


def confirmed(services: Services, files: Files, values: dict[str, object] | None = None) -> str:
    number = submitted(services, files, values)
    act(services, number, "setujui", "dwi")
    act(services, number, "catat_konfirmasi", "fajar", values={"nomor_kasus_mitra": "PAK/2026/0017"},
        files=pdfs(files, "konfirmasi_mitra"))
    return number


def delivered(services: Services, files: Files, number: str, value: int, by: str = "fajar") -> None:
    act(services, number, "catat_bast", by, values={"tanggal_serah_terima": "2026-11-30", "nilai_bast": value},
        files=pdfs(files, "bast"))


def invoiced(services: Services, files: Files, number: str, value: int, due: str = "2026-12-14") -> None:
    act(services, number, "catat_faktur", "fajar", values={"nomor_faktur": "INV/KRG/XI/0042", "nilai_tagihan": value,
                                                           "jatuh_tempo_bayar": due}, files=pdfs(files, "faktur"))


def agreed(value: int) -> dict[str, object]:
    return {"nilai_disepakati": value}


def test_an_order_runs_from_approval_to_delivery_invoice_and_payment(services: Services, files) -> None:
    number = submitted(services, files)
    assert state(services, number) == "persetujuan_wakil"
    act(services, number, "setujui", "dwi")
    assert state(services, number) == "konfirmasi_mitra"
    act(services, number, "catat_konfirmasi", "fajar", values={"nomor_kasus_mitra": "PAK/2026/0017"},
        files=pdfs(files, "konfirmasi_mitra"))
    delivered(services, files, number, TOTAL)
    assert state(services, number) == "penagihan"
    invoiced(services, files, number, TOTAL)
    assert state(services, number) == "pelunasan"
    act(services, number, "catat_pelunasan", "sri", values={"tanggal_pelunasan": "2026-12-10", "jumlah_dibayar": TOTAL},
        files=pdfs(files, "bukti_pembayaran"))
    view = services.show(number, None)
    assert view.summary.state == "selesai"
    assert [e.action for e in view.history] == [
        "mulai", "ajukan", "setujui", "catat_konfirmasi", "catat_bast", "catat_faktur", "catat_pelunasan"]
    assert dict((name, value) for name, _, value in view.fields)["nomor_kasus_mitra"] == "PAK/2026/0017"


def test_the_order_lines_and_terms_are_checked(services: Services, files) -> None:
    wrong_line = drafted(services, files, order([LINES[0], {**LINES[1], "jumlah": 3_100_001}], TOTAL + 1))
    refused(services, wrong_line, "ajukan", "fajar", ValidationError, "Baris 2 \\(Minyak goreng 1 L\\)")
    wrong_total = drafted(services, files, order(total=TOTAL - 1))
    refused(services, wrong_total, "ajukan", "fajar", ValidationError, "jumlah seluruh baris")
    early = drafted(services, files, order(tanggal_kirim_rencana="2026-11-23"))
    refused(services, early, "ajukan", "fajar", ValidationError, "tidak boleh sebelum tanggal pesanan")
    outcome = {}
    for days in (30, 31):
        number = drafted(services, files, order(tempo_bayar_hari=days))
        with contextlib.suppress(ValidationError):
            act(services, number, "ajukan", "fajar")
        outcome[days] = state(services, number)
    assert outcome == {30: "persetujuan_wakil", 31: "penyusunan"}


def test_above_the_wakil_limit_the_ketua_also_approves(services: Services, files) -> None:
    outcome = {}
    for amount in (LIMIT - 1, LIMIT, LIMIT + 1):
        number = submitted(services, files, single(amount))
        act(services, number, "setujui", "dwi")
        outcome[amount] = state(services, number)
    assert outcome == {LIMIT - 1: "konfirmasi_mitra", LIMIT: "konfirmasi_mitra", LIMIT + 1: "persetujuan_ketua"}
    number = submitted(services, files, single(LIMIT + 1))
    act(services, number, "setujui", "dwi")
    refused(services, number, "setujui", "dwi", PermissionDeniedError, "hanya untuk Ketua")
    act(services, number, "setujui", "bambang")
    assert state(services, number) == "konfirmasi_mitra"


def test_the_limits_come_from_the_cooperatives_settings(services: Services, files, tmp_path: Path) -> None:
    reimport(services, tmp_path, settings={"batas_pesanan_antar_kkmp_wakil": 5_000_000,
                                           "tempo_pembayaran_antar_kkmp_maksimal_hari": 7})
    number = submitted(services, files, single(5_000_001, tempo_bayar_hari=7))
    act(services, number, "setujui", "dwi")
    assert state(services, number) == "persetujuan_ketua"
    refused(services, drafted(services, files, order(tempo_bayar_hari=8)), "ajukan", "fajar", ValidationError,
            "melebihi batas 7 hari")


def test_a_short_delivery_is_settled_with_a_berita_acara_selisih(services: Services, files) -> None:
    number = confirmed(services, files)
    delivered(services, files, number, 8_990_000)
    assert state(services, number) == "selisih"
    refused(services, number, "setujui", "dwi", ValidationError, "tidak boleh melebihi nilai pesanan",
            values=agreed(TOTAL + 1), files=pdfs(files, "ba_selisih"))
    act(services, number, "setujui", "dwi", values=agreed(8_990_000), files=pdfs(files, "ba_selisih"))
    assert state(services, number) == "penagihan"
    invoiced(services, files, number, 8_990_000)
    assert state(services, number) == "pelunasan"


def test_the_missing_goods_may_still_be_delivered(services: Services, files) -> None:
    number = confirmed(services, files)
    delivered(services, files, number, 8_990_000)
    act(services, number, "kirim_kekurangan", "dwi", comment="Mitra mengirim 5 karung beras kurang pada 2 Desember")
    assert state(services, number) == "pengiriman"
    delivered(services, files, number, TOTAL)
    assert state(services, number) == "penagihan"


def test_an_invoice_that_differs_goes_to_the_selisih_path(services: Services, files) -> None:
    number = confirmed(services, files)
    delivered(services, files, number, TOTAL)
    invoiced(services, files, number, TOTAL + 50_000)  # a higher price than agreed
    assert state(services, number) == "selisih"
    act(services, number, "setujui", "dwi", values=agreed(TOTAL), files=pdfs(files, "ba_selisih"))
    invoiced(services, files, number, TOTAL + 50_000)
    assert state(services, number) == "selisih"  # the corrected invoice must match the agreed value
    act(services, number, "setujui", "dwi", values=agreed(TOTAL), files=pdfs(files, "ba_selisih"))
    invoiced(services, files, number, TOTAL)
    assert state(services, number) == "pelunasan"


def test_the_invoice_due_date_follows_the_agreed_payment_term(services: Services, files) -> None:
    number = confirmed(services, files)
    delivered(services, files, number, TOTAL)
    refused(services, number, "catat_faktur", "fajar", ValidationError, "melebihi tempo pembayaran",
            values={"nomor_faktur": "INV/1", "nilai_tagihan": TOTAL, "jatuh_tempo_bayar": "2026-12-15"},
            files=pdfs(files, "faktur"))
    invoiced(services, files, number, TOTAL, due="2026-12-14")  # 14 days after 30 November
    assert state(services, number) == "pelunasan"


def test_a_dispute_is_decided_by_the_pengurus_quorum(services: Services, files) -> None:
    number = confirmed(services, files)
    delivered(services, files, number, 8_000_000)
    act(services, number, "ajukan_sengketa", "dwi",
        values={"uraian_sengketa": "Mitra menyatakan 20 karung sudah dikirim; BAST kita mencatat kurang."})
    assert state(services, number) == "sengketa"
    refused(services, number, "putuskan", "dwi", PermissionDeniedError, "sudah memutuskan", values=agreed(8_500_000),
            files=pdfs(files, "ba_selisih"))
    refused(services, number, "putuskan", "fajar", PermissionDeniedError, "hanya untuk Pengurus",
            values=agreed(8_500_000), files=pdfs(files, "ba_selisih"))
    for person in ("bambang", "endang"):
        act(services, number, "putuskan", person, values=agreed(8_500_000), files=pdfs(files, "ba_selisih"))
        assert state(services, number) == "sengketa"
    act(services, number, "putuskan", "rina", values=agreed(8_500_000), files=pdfs(files, "ba_selisih"))
    assert state(services, number) == "penagihan"
    invoiced(services, files, number, 8_500_000)
    assert state(services, number) == "pelunasan"


def test_an_unpaid_invoice_may_go_to_the_pengurus_who_may_cancel_the_order(services: Services, files) -> None:
    number = confirmed(services, files, order(jenis_pesanan="Penjualan kepada koperasi mitra"))
    delivered(services, files, number, TOTAL)
    invoiced(services, files, number, TOTAL)
    act(services, number, "ajukan_sengketa", "dwi",
        values={"uraian_sengketa": "Mitra belum membayar 30 hari sesudah jatuh tempo dan menyanggah mutu beras."})
    for person in ("bambang", "endang", "rina"):
        act(services, number, "batalkan_pesanan", person, comment="Barang ditarik kembali dengan BAST retur")
    assert state(services, number) == "dibatalkan"


def test_declined_and_rejected_orders_end_the_case(services: Services, files) -> None:
    declined = submitted(services, files)
    act(services, declined, "setujui", "dwi")
    act(services, declined, "mitra_menolak", "rina", comment="Stok mitra habis sampai Januari")
    assert state(services, declined) == "dibatalkan"
    rejected = submitted(services, files)
    refused(services, rejected, "tolak", "dwi", ValidationError, "wajib diisi")
    act(services, rejected, "tolak", "dwi", comment="Harga lebih mahal dari pemasok setempat")
    assert state(services, rejected) == "ditolak"
    returned = submitted(services, files, single(LIMIT + 1))
    act(services, returned, "setujui", "dwi")
    act(services, returned, "kembalikan", "bambang", comment="Pecah menjadi dua pengiriman")
    assert state(services, returned) == "penyusunan"


def test_the_counterparts_case_number_is_recorded_on_confirmation(services: Services, files) -> None:
    number = submitted(services, files)
    act(services, number, "setujui", "dwi")
    refused(services, number, "catat_konfirmasi", "fajar", ValidationError, "wajib diisi",
            files=pdfs(files, "konfirmasi_mitra"))
    refused(services, number, "catat_konfirmasi", "fajar", ValidationError, "nomor kasus mitra",
            values={"nomor_kasus_mitra": "#"}, files=pdfs(files, "konfirmasi_mitra"))
    with pytest.raises(ValidationError, match="KSA/TAHUN/NOMOR"):
        drafted(services, files, order(nomor_kasus_kerja_sama="KSA 2"))


def test_the_payment_is_exactly_the_invoice_and_recorded_by_the_bendahara(
        services: Services, files, tmp_path: Path) -> None:
    reimport(services, tmp_path, roles=[{"person": "sri", "role": "karyawan", "start": "2026-11-01"}])
    number = confirmed(services, files)
    delivered(services, files, number, TOTAL, by="sri")
    invoiced(services, files, number, TOTAL)
    paid = {"tanggal_pelunasan": "2026-12-10", "jumlah_dibayar": TOTAL}
    refused(services, number, "catat_pelunasan", "sri", PermissionDeniedError, "mengajukan", values=paid,
            files=pdfs(files, "bukti_pembayaran"))  # she recorded the BAST
    refused(services, number, "catat_pelunasan", "fajar", PermissionDeniedError, "hanya untuk Bendahara",
            values=paid, files=pdfs(files, "bukti_pembayaran"))


def test_the_payment_must_equal_the_invoice(services: Services, files) -> None:
    number = confirmed(services, files)
    delivered(services, files, number, TOTAL)
    invoiced(services, files, number, TOTAL)
    for wrong in (TOTAL - 1, TOTAL + 1):
        refused(services, number, "catat_pelunasan", "sri", ValidationError, "harus sama dengan nilai faktur",
                values={"tanggal_pelunasan": "2026-12-10", "jumlah_dibayar": wrong},
                files=pdfs(files, "bukti_pembayaran"))


def test_whoever_drafts_an_order_does_not_approve_it(services: Services, files, tmp_path: Path) -> None:
    reimport(services, tmp_path, roles=[{"person": "dwi", "role": "karyawan", "start": "2026-11-01"}])
    number = submitted(services, files, by="dwi")
    refused(services, number, "setujui", "dwi", PermissionDeniedError, "sendiri")
    refused(services, number, "setujui", "fajar", PermissionDeniedError, "hanya untuk Wakil Ketua")
    with pytest.raises(PermissionDeniedError, match="hanya dapat dimulai oleh"):
        drafted(services, files, by="sri")
