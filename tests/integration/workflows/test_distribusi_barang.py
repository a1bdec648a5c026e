"""SOP-USH-09 Logistik dan Distribusi Barang."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest

from engine.errors import PermissionDeniedError, ValidationError
from engine.services import Services
from tests.integration.workflows.helpers import Files, act, pdfs, refused, reimport, start, state

WF = "distribusi_barang"
LIMIT = 500_000  # batas_biaya_angkut_manajer (default)
SENT = 100


def order(cost: int, **changes: object) -> dict[str, object]:
    return {"jenis_referensi": "Pesanan instansi", "nomor_referensi": "PSN/2026/0004",
            "penerima": "Bagian Umum Kantor Kecamatan Prajurit Kulon", "alamat_tujuan": "Jl. Surodinawan 5, Mojokerto",
            "uraian_barang": "Beras SPHP 5 kg, 100 karung", "jumlah_dikirim": SENT, "tanggal_kirim": "2026-11-25",
            "kendaraan": "Kendaraan sewa", "nomor_polisi": "S 1234 AB", "pengemudi": "Sugeng Riyadi",
            "biaya_angkut": cost, **changes}


def drafted(services: Services, files: Files, cost: int = 150_000, by: str = "fajar", **changes: object) -> str:
    return start(services, WF, by, order(cost, **changes), pdfs(files, "surat_jalan"))


def submitted(services: Services, files: Files, cost: int = 150_000, by: str = "fajar") -> str:
    number = drafted(services, files, cost, by)
    act(services, number, "ajukan", by)
    return number


def on_the_road(services: Services, files: Files, cost: int = 150_000) -> str:
    number = submitted(services, files, cost)
    act(services, number, "periksa_muatan", "dwi", files=pdfs(files, "daftar_muatan"))
    return number


def handed_over(services: Services, files: Files, number: str, received: int, by: str = "fajar") -> None:
    values: dict[str, object] = {"tanggal_serah": "2026-11-25", "jumlah_diterima": received}
    if received == SENT:
        act(services, number, "serahkan", by, values=values, files=pdfs(files, "bast"))
    else:
        values["alasan_tidak_terkirim"] = "Lima karung basah kena hujan, ditolak penerima"
        act(services, number, "serahkan_sebagian", by, values=values, files=pdfs(files, "bast"))


def returned(services: Services, files: Files, number: str, back: int, lost: int, by: str = "fajar") -> None:
    act(services, number, "catat_retur", by, values={"jumlah_kembali": back, "jumlah_rusak_hilang": lost},
        files=pdfs(files, "formulir_retur"))


def test_a_delivery_is_loaded_checked_handed_over_with_bast_and_closed(services: Services, files) -> None:
    number = on_the_road(services, files)
    assert state(services, number) == "pengiriman"
    handed_over(services, files, number, SENT)
    assert state(services, number) == "pemeriksaan_akhir"
    act(services, number, "tutup", "bambang")
    view = services.show(number, None)
    assert view.summary.state == "terkirim"
    assert [e.action for e in view.history] == ["mulai", "ajukan", "periksa_muatan", "serahkan", "tutup"]


def test_transport_cost_above_the_limit_needs_the_bendahara(services: Services, files) -> None:
    outcome = {}
    for cost in (LIMIT - 1, LIMIT, LIMIT + 1):
        outcome[cost] = state(services, submitted(services, files, cost))
    assert outcome == {LIMIT - 1: "pemeriksaan_muatan", LIMIT: "pemeriksaan_muatan", LIMIT + 1: "persetujuan_bendahara"}
    number = submitted(services, files, 750_000)
    refused(services, number, "periksa_muatan", "dwi", ValidationError, "tidak dapat dilakukan saat",
            files=pdfs(files, "daftar_muatan"))  # not loaded before the bendahara approves the cost
    refused(services, number, "setujui_biaya", "bambang", PermissionDeniedError, "hanya untuk Bendahara")
    act(services, number, "setujui_biaya", "sri")
    assert state(services, number) == "pemeriksaan_muatan"


def test_the_cost_limit_comes_from_the_cooperatives_settings(services: Services, files, tmp_path: Path) -> None:
    reimport(services, tmp_path, settings={"batas_biaya_angkut_manajer": 100_000})
    outcome = {cost: state(services, submitted(services, files, cost)) for cost in (100_000, 100_001)}
    assert outcome == {100_000: "pemeriksaan_muatan", 100_001: "persetujuan_bendahara"}


def test_the_bendahara_returns_or_rejects_a_costly_delivery(services: Services, files) -> None:
    number = submitted(services, files, 900_000)
    act(services, number, "kembalikan", "sri", comment="Cari angkutan lain, tarif ini di atas pasaran")
    assert state(services, number) == "surat_jalan_draf"
    act(services, number, "ajukan", "fajar", values={"biaya_angkut": 400_000})
    assert state(services, number) == "pemeriksaan_muatan"
    number = submitted(services, files, 900_000)
    refused(services, number, "tolak", "sri", ValidationError, "wajib diisi")  # a reason
    act(services, number, "tolak", "sri", comment="Pos transportasi RAPB habis")
    assert state(services, number) == "ditolak"


def test_whoever_writes_the_delivery_order_does_not_check_the_load(services: Services, files,
                                                                   tmp_path: Path) -> None:
    number = submitted(services, files)
    refused(services, number, "periksa_muatan", "fajar", PermissionDeniedError, "mengajukan",
            files=pdfs(files, "daftar_muatan"))
    refused(services, number, "periksa_muatan", "sri", PermissionDeniedError, "hanya untuk",
            files=pdfs(files, "daftar_muatan"))
    refused(services, number, "periksa_muatan", "dwi", ValidationError, "wajib diisi")  # the signed checklist
    reimport(services, tmp_path, roles=[{"person": "sri", "role": "karyawan", "start": "2026-11-01"}])
    by_staff = submitted(services, files, by="sri")
    act(services, by_staff, "periksa_muatan", "fajar", files=pdfs(files, "daftar_muatan"))
    assert state(services, by_staff) == "pengiriman"


def test_the_delivery_order_needs_a_real_plate_number(services: Services, files) -> None:
    with pytest.raises(ValidationError, match="pelat nomor"):
        drafted(services, files, nomor_polisi="truk sugeng")


def test_a_full_handover_needs_every_item_received_and_the_bast(services: Services, files) -> None:
    number = on_the_road(services, files)
    refused(services, number, "serahkan", "fajar", ValidationError, "tidak terpenuhi",
            values={"tanggal_serah": "2026-11-25", "jumlah_diterima": SENT - 1}, files=pdfs(files, "bast"))
    refused(services, number, "serahkan", "fajar", ValidationError, "wajib diisi",
            values={"tanggal_serah": "2026-11-25", "jumlah_diterima": SENT})
    refused(services, number, "serahkan", "fajar", ValidationError, "tidak terpenuhi",
            values={"tanggal_serah": "2026-11-24", "jumlah_diterima": SENT}, files=pdfs(files, "bast"))
    handed_over(services, files, number, SENT)
    assert state(services, number) == "pemeriksaan_akhir"


def test_a_partial_delivery_accounts_for_every_item_and_closes_as_partial(services: Services, files) -> None:
    number = on_the_road(services, files)
    handed_over(services, files, number, 95)
    assert state(services, number) == "penanganan_retur"
    outcome = {}
    for back, lost in ((4, 0), (5, 1), (4, 1)):
        with contextlib.suppress(ValidationError):
            returned(services, files, number, back, lost)
        outcome[(back, lost)] = state(services, number)
    assert outcome == {(4, 0): "penanganan_retur", (5, 1): "penanganan_retur", (4, 1): "pemeriksaan_akhir"}
    refused(services, number, "tutup", "fajar", PermissionDeniedError)
    act(services, number, "tutup", "dwi")
    assert state(services, number) == "terkirim_sebagian"


def test_a_delivery_refused_outright_comes_back_to_the_warehouse(services: Services, files) -> None:
    number = on_the_road(services, files)
    handed_over(services, files, number, 0)
    returned(services, files, number, SENT, 0)
    act(services, number, "tutup", "dwi")
    assert state(services, number) == "terkirim_sebagian"


def test_whoever_recorded_the_handover_does_not_close_it(services: Services, files, tmp_path: Path) -> None:
    reimport(services, tmp_path, roles=[{"person": "dwi", "role": "karyawan", "start": "2026-11-01"}])
    number = on_the_road(services, files)
    handed_over(services, files, number, SENT, by="dwi")
    refused(services, number, "tutup", "dwi", PermissionDeniedError)
    act(services, number, "kembalikan", "bambang", comment="Tanda tangan penerima tidak terbaca")
    assert state(services, number) == "pengiriman"
    handed_over(services, files, number, SENT)
    act(services, number, "tutup", "bambang")
    assert state(services, number) == "terkirim"


def test_a_delivery_can_be_sent_back_or_cancelled_before_it_leaves(services: Services, files) -> None:
    number = submitted(services, files)
    act(services, number, "kembalikan", "dwi", comment="Jumlah di surat jalan tidak sama dengan pesanan")
    assert state(services, number) == "surat_jalan_draf"
    act(services, number, "ajukan", "fajar")
    refused(services, number, "batalkan", "fajar", PermissionDeniedError, "hanya untuk")
    act(services, number, "batalkan", "dwi", comment="Instansi menunda penerimaan barang")
    assert state(services, number) == "dibatalkan"
