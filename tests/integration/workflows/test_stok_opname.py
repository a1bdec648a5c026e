"""SOP-USH-04 Stok Opname dan Penghapusan Barang Rusak atau Kedaluwarsa."""

from __future__ import annotations

from pathlib import Path

from engine.errors import PermissionDeniedError, ValidationError
from engine.services import Services
from tests.integration.workflows.helpers import Files, act, pdfs, refused, reimport, start, state

WF = "stok_opname"
BOOK = 42_000_000


def count(write_off: int, *, physical: int | None = None) -> dict[str, object]:
    return {"periode": "November 2026", "tanggal_opname": "2026-11-30", "lokasi": "Gerai sembako Jl. Empunala",
            "saksi": "Heru Wibowo (pengawas)", "nilai_stok_buku": BOOK,
            "nilai_stok_fisik": BOOK - write_off if physical is None else physical,
            "nilai_penghapusan": write_off, "penjelasan_selisih": "Minyak goreng bocor 12 pouch; roti kedaluwarsa"}


def counted(services: Services, files: Files, write_off: int, **kwargs: int) -> str:
    number = start(services, WF, "fajar", count(write_off, **kwargs),
                   pdfs(files, "lembar_hitung", "daftar_barang_rusak"))
    act(services, number, "ajukan", "fajar")
    return number


def verified(services: Services, files: Files, write_off: int) -> str:
    number = counted(services, files, write_off)
    act(services, number, "verifikasi", "sri")
    return number


def test_a_count_without_losses_is_closed_by_the_bendahara_and_any_loss_goes_to_the_ketua(
        services: Services, files) -> None:
    outcome = {}
    for write_off in (0, 1):
        number = counted(services, files, write_off)
        act(services, number, "verifikasi", "sri")
        outcome[write_off] = state(services, number)
    assert outcome == {0: "selesai", 1: "menunggu_ketua"}


def test_damaged_goods_are_approved_destroyed_and_written_off(services: Services, files) -> None:
    number = verified(services, files, 350_000)
    assert state(services, number) == "menunggu_ketua"
    act(services, number, "setujui", "bambang")
    act(services, number, "catat_penghapusan", "sri", values={"cara_penghapusan": "Dimusnahkan"},
        files=pdfs(files, "ba_penghapusan"))
    view = services.show(number, None)
    assert view.summary.state == "selesai"
    assert [e.action for e in view.history] == ["mulai", "ajukan", "verifikasi", "setujui", "catat_penghapusan"]


def test_the_write_off_must_equal_book_minus_physical_value(services: Services, files) -> None:
    number = start(services, WF, "fajar", count(350_000, physical=BOOK - 350_001),
                   pdfs(files, "lembar_hitung", "daftar_barang_rusak"))
    refused(services, number, "ajukan", "fajar", ValidationError, "tidak terpenuhi")
    number = start(services, WF, "fajar", count(0, physical=BOOK - 1), pdfs(files, "lembar_hitung"))
    refused(services, number, "ajukan", "fajar", ValidationError, "tidak terpenuhi")


def test_a_write_off_needs_the_list_of_goods_and_an_explanation(services: Services, files) -> None:
    values = {k: v for k, v in count(350_000).items() if k != "penjelasan_selisih"}
    number = start(services, WF, "fajar", values, pdfs(files, "lembar_hitung"))
    error = refused(services, number, "ajukan", "fajar", ValidationError)
    assert "daftar_barang_rusak" in str(error) and "penjelasan_selisih" in str(error)


def test_the_ketua_approval_routes_by_the_write_off_limit(services: Services, files) -> None:
    outcome = {}
    for write_off in (999_999, 1_000_000, 1_000_001):
        number = verified(services, files, write_off)
        act(services, number, "setujui", "bambang")
        outcome[write_off] = state(services, number)
    assert outcome == {999_999: "pelaksanaan_penghapusan", 1_000_000: "pelaksanaan_penghapusan",
                       1_000_001: "menunggu_pengawas"}


def test_the_write_off_limit_comes_from_the_cooperatives_settings(
        services: Services, files, tmp_path: Path) -> None:
    reimport(services, tmp_path, settings={"batas_penghapusan_ketua": 250_000})
    number = verified(services, files, 250_001)
    act(services, number, "setujui", "bambang")
    assert state(services, number) == "menunggu_pengawas"


def test_a_large_write_off_needs_exactly_the_configured_number_of_pengawas(services: Services, files) -> None:
    number = verified(services, files, 2_500_000)
    act(services, number, "setujui", "bambang")
    assert not act(services, number, "setujui_pengawas", "heru").fired
    assert state(services, number) == "menunggu_pengawas"
    assert act(services, number, "setujui_pengawas", "agus").fired
    assert state(services, number) == "pelaksanaan_penghapusan"


def test_the_bendahara_the_ketua_and_the_pengawas_can_ask_for_a_recount(services: Services, files) -> None:
    number = counted(services, files, 2_500_000)
    act(services, number, "kembalikan", "sri", comment="Rak minuman belum dihitung")
    assert state(services, number) == "penghitungan"
    act(services, number, "ajukan", "fajar")
    act(services, number, "verifikasi", "sri")
    act(services, number, "kembalikan", "bambang", comment="Hitung ulang dengan disaksikan pengawas")
    assert state(services, number) == "penghitungan"
    act(services, number, "ajukan", "fajar")
    act(services, number, "verifikasi", "sri")
    act(services, number, "setujui", "bambang")
    act(services, number, "kembalikan", "nuraini", comment="Kerusakan berulang tiap bulan; periksa FEFO")
    assert state(services, number) == "penghitungan"


def test_a_former_bendahara_cannot_check_the_count(services: Services, files) -> None:
    number = counted(services, files, 0)
    refused(services, number, "verifikasi", "wahyu", PermissionDeniedError, "berakhir 31 Desember 2025")


def test_whoever_approved_as_ketua_cannot_approve_again_as_pengawas(services: Services, files, tmp_path: Path) -> None:
    reimport(services, tmp_path, roles=[{"person": "heru", "role": "ketua", "start": "2026-11-01"}],
             ended={("bambang", "ketua"): "2026-10-31"})
    number = verified(services, files, 2_500_000)
    act(services, number, "setujui", "heru")
    refused(services, number, "setujui_pengawas", "heru", PermissionDeniedError, "sudah memutuskan")
