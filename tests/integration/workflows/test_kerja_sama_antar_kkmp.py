"""SOP-USH-13 Kerja Sama Usaha antar-Koperasi Merah Putih."""

from __future__ import annotations

from pathlib import Path

from engine.errors import PermissionDeniedError
from engine.services import Services
from tests.integration.workflows.helpers import Files, act, pdfs, refused, reimport, start, state

WF = "kerja_sama_antar_kkmp"
PLAN = {"nama_koperasi_mitra": "KDMP Sumbertebu", "wilayah_mitra": "Desa Sumbertebu, Kabupaten Mojokerto",
        "badan_hukum_mitra": "AHU-0012345.AH.01.29.TAHUN 2025", "bidang_kerja_sama": "Pemasokan barang",
        "uraian": "KDMP Sumbertebu memasok beras petani anggotanya ke gerai Sentanan setiap minggu",
        "pembagian_hasil": "Harga beli tetap Rp12.000/kg, ongkos angkut ditanggung pemasok",
        "nilai_kerja_sama": 60_000_000, "jangka_waktu_bulan": 12}
PARTNER_SIGNED = {"nomor_perjanjian": "PKS-03/KKMP-STN/XII/2026", "tanggal_mulai": "2027-01-02"}


def submitted(services: Services, files: Files, value: int = 60_000_000) -> str:
    number = start(services, WF, "dwi", {**PLAN, "nilai_kerja_sama": value}, pdfs(files, "rancangan_perjanjian"))
    act(services, number, "ajukan", "dwi")
    return number


def approved_by_pengurus(services: Services, files: Files, value: int = 60_000_000) -> str:
    number = submitted(services, files, value)
    for pengurus in ("bambang", "rina", "sri"):
        act(services, number, "setujui_pengurus", pengurus)
    return number


def approved_by_pengawas(services: Services, files: Files, value: int = 60_000_000) -> str:
    number = approved_by_pengurus(services, files, value)
    act(services, number, "setujui_pengawas", "agus")
    act(services, number, "setujui_pengawas", "nuraini")
    return number


def test_a_cooperation_approved_by_pengurus_and_pengawas_starts_once_the_partner_signs(
        services: Services, files) -> None:
    number = approved_by_pengawas(services, files)
    assert state(services, number) == "persetujuan_mitra"
    act(services, number, "catat_persetujuan_mitra", "rina", values=PARTNER_SIGNED,
        files=pdfs(files, "keputusan_mitra", "perjanjian_ditandatangani"))
    view = services.show(number, None)
    assert view.summary.state == "berlaku" and view.summary.final


def test_a_cooperation_above_the_limit_also_needs_the_members_meeting(services: Services, files) -> None:
    outcome = {}
    for value in (99_999_999, 100_000_000, 100_000_001):
        outcome[value] = state(services, approved_by_pengawas(services, files, value))
    assert outcome == {99_999_999: "persetujuan_mitra", 100_000_000: "persetujuan_mitra",
                       100_000_001: "rapat_anggota"}


def test_the_meeting_approves_or_rejects_a_large_cooperation(services: Services, files) -> None:
    number = approved_by_pengawas(services, files, 250_000_000)
    act(services, number, "setujui_ra", "joko", values={"tanggal_rapat_anggota": "2026-12-12"},
        files=pdfs(files, "berita_acara_ra"))
    assert state(services, number) == "persetujuan_mitra"
    number = approved_by_pengawas(services, files, 250_000_000)
    act(services, number, "tolak", "joko", comment="Rapat menilai risikonya terlalu besar")
    assert state(services, number) == "ditolak"


def test_the_board_decides_by_exactly_the_configured_number_and_the_proposer_does_not_vote(
        services: Services, files, tmp_path: Path) -> None:
    number = submitted(services, files)
    refused(services, number, "setujui_pengurus", "dwi", PermissionDeniedError, "mengajukan")
    refused(services, number, "setujui_pengurus", "wahyu", PermissionDeniedError, "berakhir")
    assert not act(services, number, "setujui_pengurus", "bambang").fired
    assert not act(services, number, "setujui_pengurus", "endang").fired
    assert act(services, number, "setujui_pengurus", "sri").fired
    assert state(services, number) == "persetujuan_pengawas"
    reimport(services, tmp_path, settings={"kuorum_pengawas": 3})
    for pengawas in ("agus", "heru"):
        assert not act(services, number, "setujui_pengawas", pengawas).fired
    assert act(services, number, "setujui_pengawas", "nuraini").fired


def test_the_board_can_reject_by_quorum_or_return(services: Services, files) -> None:
    number = submitted(services, files)
    for pengurus in ("bambang", "endang"):
        assert not act(services, number, "tolak", pengurus, comment="Harga beras di atas pasar").fired
    assert act(services, number, "tolak", "rina", comment="Setuju").fired
    assert state(services, number) == "ditolak"
    number = submitted(services, files)
    act(services, number, "kembalikan", "bambang", comment="Tambahkan klausul mutu beras")
    assert state(services, number) == "rancangan"


def test_the_pengawas_can_return_or_reject(services: Services, files) -> None:
    number = approved_by_pengurus(services, files)
    act(services, number, "kembalikan", "heru", comment="Penyelesaian sengketa belum diatur")
    assert state(services, number) == "rancangan"
    number = approved_by_pengurus(services, files)
    act(services, number, "tolak", "agus", comment="Mitra belum berbadan hukum")
    assert state(services, number) == "ditolak"


def test_a_change_asked_by_the_partner_must_be_approved_again_from_the_start(services: Services, files) -> None:
    number = approved_by_pengawas(services, files)
    act(services, number, "kembalikan", "rina", comment="Mitra minta harga Rp12.500/kg")
    assert state(services, number) == "rancangan"
    act(services, number, "ajukan", "dwi", values={"pembagian_hasil": "Harga beli tetap Rp12.500/kg"})
    assert state(services, number) == "pembahasan_pengurus"
    view = services.show(number, "bambang")
    option = next(o for o in view.options if o.id == "setujui_pengurus")
    assert option.allowed and (option.votes, option.needed) == (0, 3)


def test_the_partner_can_decline(services: Services, files) -> None:
    number = approved_by_pengawas(services, files)
    act(services, number, "mitra_menolak", "dwi", comment="Rapat pengurus KDMP Sumbertebu menolak")
    assert state(services, number) == "ditolak"
