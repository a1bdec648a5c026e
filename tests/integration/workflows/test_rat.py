"""SOP-KEL-04 Persiapan dan Pelaksanaan RAT."""

from __future__ import annotations

import contextlib
from datetime import date
from pathlib import Path

import pytest

from engine.errors import PermissionDeniedError, ValidationError
from engine.services import Services
from tests.integration.workflows.helpers import (
    Files,
    act,
    members,
    pdfs,
    present,
    refused,
    reimport,
    start,
    state,
)

WF = "rat"
MEMBERS = 200  # in the Buku Daftar Anggota on the day of the RAT
MATERIALS = {"tahun_buku": 2026, "tanggal_rat": "2027-03-20", "tempat_rat": "Balai Kelurahan Sentanan",
             "shu_tahun_buku": 48_500_000}
SHU = {"persen_cadangan": 30, "persen_jasa_usaha": 30, "persen_jasa_modal": 15,
       "persen_dana_pengurus_pengawas": 5, "persen_dana_karyawan": 5, "persen_dana_pendidikan": 5,
       "persen_dana_sosial": 5, "persen_dana_pembangunan_daerah": 5}
DECISIONS = {"keputusan_lpj_pengurus": "Diterima", "keputusan_lpj_pengawas": "Diterima",
             "keputusan_rk_rapb": "Disahkan dalam RAT ini", "metode_keputusan": "Musyawarah mufakat", **SHU}


@pytest.fixture(autouse=True)
def register(services: Services) -> list[str]:
    """The register the RAT counts its quorum against: 200 members who joined in January 2026."""
    return members(services, MEMBERS)


def hadir(count: int, first: int = 1001) -> dict[str, str]:
    """The daftar hadir of ``count`` members (KKMP-STN-1001 …)."""
    return {"daftar_hadir": present(f"KKMP-STN-{n:04d}" for n in range(first, first + count))}


def prepared(services: Services, files: Files) -> str:
    number = start(services, WF, "rina", MATERIALS, pdfs(files, "laporan_keuangan", "lpj_pengurus"))
    act(services, number, "ajukan", "rina")
    return number


def invited(services: Services, files: Files) -> str:
    number = prepared(services, files)
    act(services, number, "setujui_lpj_pengawas", "agus", files=pdfs(files, "lpj_pengawas"))
    act(services, number, "setujui_lpj_pengawas", "heru")
    act(services, number, "undang", "bambang", values={"tanggal_undangan": "2027-03-06"},
        files=pdfs(files, "undangan"))
    return number


def opened(services: Services, files: Files, attending: int = 150) -> str:
    number = invited(services, files)
    act(services, number, "buka_sidang", "rina", values=hadir(attending), files=pdfs(files, "daftar_hadir_ttd"))
    return number


def test_a_rat_is_prepared_held_decided_and_reported(services: Services, files) -> None:
    number = opened(services, files)
    assert state(services, number) == "sidang"
    act(services, number, "putuskan", "joko", values=DECISIONS)
    act(services, number, "catat_berita_acara", "rina", files=pdfs(files, "berita_acara_rat"))
    act(services, number, "laporkan", "rina", values={"tanggal_lapor": "2027-03-27"}, files=pdfs(files, "bukti_lapor"))
    view = services.show(number, None)
    assert view.summary.state == "selesai" and view.summary.final
    assert [e.action for e in view.history] == [
        "mulai", "ajukan", "setujui_lpj_pengawas", "setujui_lpj_pengawas", "undang", "buka_sidang", "putuskan",
        "catat_berita_acara", "laporkan"]


def test_the_lpj_pengawas_needs_exactly_the_configured_number_of_pengawas(
        services: Services, files, tmp_path: Path) -> None:
    number = prepared(services, files)
    first = act(services, number, "setujui_lpj_pengawas", "heru", files=pdfs(files, "lpj_pengawas"))
    assert (first.fired, first.votes, first.needed) == (False, 1, 2)
    assert state(services, number) == "penelaahan_pengawas"
    assert act(services, number, "setujui_lpj_pengawas", "nuraini").fired
    assert state(services, number) == "penetapan_jadwal"

    reimport(services, tmp_path, settings={"kuorum_pengawas": 3})
    number = prepared(services, files)
    for pengawas in ("heru", "nuraini"):
        assert not act(services, number, "setujui_lpj_pengawas", pengawas, files=pdfs(files, "lpj_pengawas")).fired
    assert act(services, number, "setujui_lpj_pengawas", "agus").fired


def test_the_rat_opens_only_with_more_than_the_quorum_of_the_ad(services: Services, files) -> None:
    limit = MEMBERS * 50 // 100  # default: more than half of the members
    outcome = {}
    for attending in (limit - 1, limit, limit + 1):
        number = invited(services, files)
        try:
            act(services, number, "buka_sidang", "rina", values=hadir(attending), files=pdfs(files, "daftar_hadir_ttd"))
        except ValidationError:
            act(services, number, "tunda", "rina", values=hadir(attending), files=pdfs(files, "daftar_hadir_ttd"))
        outcome[attending] = state(services, number)
    assert outcome == {limit - 1: "penundaan", limit: "penundaan", limit + 1: "sidang"}


def test_a_rat_below_the_quorum_cannot_open_and_must_be_postponed(services: Services, files) -> None:
    number = invited(services, files)
    refused(services, number, "buka_sidang", "rina", ValidationError,
            r"Hadir 100 dari 200 anggota; kuorum kehadiran memerlukan lebih dari 50% \(minimal 101\)",
            values=hadir(100), files=pdfs(files, "daftar_hadir_ttd"))
    act(services, number, "tunda", "rina", values=hadir(100), files=pdfs(files, "daftar_hadir_ttd"))
    assert state(services, number) == "penundaan"
    shown = {name: value for name, _, value in services.show(number, None).fields}
    assert shown["daftar_hadir"] == "100 hadir"  # the list of those present is kept, for the Berita Acara


def test_a_rat_that_reached_its_quorum_cannot_be_postponed_for_want_of_one(services: Services, files) -> None:
    number = invited(services, files)
    refused(services, number, "tunda", "rina", ValidationError, "tercapai, sedangkan 'Tunda rapat",
            values=hadir(101), files=pdfs(files, "daftar_hadir_ttd"))
    act(services, number, "buka_sidang", "rina", values=hadir(101), files=pdfs(files, "daftar_hadir_ttd"))
    assert state(services, number) == "sidang"


def test_only_members_on_the_register_on_the_day_of_the_rat_can_be_listed_present(
        services: Services, files) -> None:
    late = members(services, 1, joined=date(2027, 3, 21), first=2001)[0]  # joined the day after the RAT
    members(services, 1, joined=date(2026, 1, 5), first=2002)
    number = invited(services, files)
    listed = {"daftar_hadir": hadir(120)["daftar_hadir"] + f",{late},KKMP-STN-9999,KKMP-STN-1001"}
    error = refused(services, number, "buka_sidang", "rina", ValidationError,
                    "bukan anggota pada 20 Maret 2027 menurut Buku Daftar Anggota: KKMP-STN-2001, KKMP-STN-9999",
                    values=listed, files=pdfs(files, "daftar_hadir_ttd"))
    assert "tercatat lebih dari sekali: KKMP-STN-1001" in str(error)
    # the register counts 201 members that day, and a number typed in small letters is the member's number
    refused(services, number, "buka_sidang", "rina", ValidationError, "Hadir 100 dari 201 anggota",
            values={"daftar_hadir": hadir(99)["daftar_hadir"] + ",kkmp-stn-2002"}, files=pdfs(files, "daftar_hadir_ttd"))
    act(services, number, "buka_sidang", "rina", values={"daftar_hadir": hadir(100)["daftar_hadir"] + ",kkmp-stn-2002"},
        files=pdfs(files, "daftar_hadir_ttd"))
    assert state(services, number) == "sidang"


def test_an_ad_that_says_at_least_half_lets_exactly_half_open_the_rat(
        services: Services, files, tmp_path: Path) -> None:
    reimport(services, tmp_path, settings={"kuorum_rapat_anggota_lebih_dari": False})
    number = invited(services, files)
    refused(services, number, "tunda", "rina", ValidationError, "sekurang-kurangnya 50%, minimal 100", values=hadir(100),
            files=pdfs(files, "daftar_hadir_ttd"))
    act(services, number, "buka_sidang", "rina", values=hadir(100), files=pdfs(files, "daftar_hadir_ttd"))
    assert state(services, number) == "sidang"


def test_a_postponed_rat_is_called_again_with_the_second_quorum(services: Services, files) -> None:
    limit = MEMBERS * 20 // 100
    outcome = {}
    for attending in (limit - 1, limit, limit + 1):
        number = invited(services, files)
        act(services, number, "tunda", "rina", values=hadir(60), files=pdfs(files, "daftar_hadir_ttd"))
        assert state(services, number) == "penundaan"
        act(services, number, "jadwalkan_ulang", "rina", values={"tanggal_rat": "2027-04-03"},
            files=pdfs(files, "undangan"))
        try:
            act(services, number, "buka_sidang", "bambang", values=hadir(attending),
                files=pdfs(files, "daftar_hadir_ttd"))
        except ValidationError:
            act(services, number, "tunda", "bambang", values=hadir(attending), files=pdfs(files, "daftar_hadir_ttd"))
        outcome[attending] = state(services, number)
    assert outcome == {limit - 1: "penundaan", limit: "sidang", limit + 1: "sidang"}


def test_the_shu_split_must_add_up_to_one_hundred_percent(services: Services, files) -> None:
    number = opened(services, files)
    for social in (4, 6):
        refused(services, number, "putuskan", "joko", ValidationError, "tidak terpenuhi",
                values={**DECISIONS, "persen_dana_sosial": social})
    act(services, number, "putuskan", "joko", values=DECISIONS)
    assert state(services, number) == "berita_acara"


def test_the_reserve_may_not_fall_below_the_minimum_of_the_ad(services: Services, files) -> None:
    outcome = {}
    for reserve in (24, 25, 26):
        number = opened(services, files)
        values = {**DECISIONS, "persen_cadangan": reserve, "persen_jasa_usaha": 60 - reserve}
        with contextlib.suppress(ValidationError):
            act(services, number, "putuskan", "joko", values=values)
        outcome[reserve] = state(services, number)
    assert outcome == {24: "sidang", 25: "berita_acara", 26: "berita_acara"}


def test_a_vote_carries_only_with_more_than_half_of_those_present(services: Services, files) -> None:
    outcome = {}
    for yes in (49, 50, 51, 102):  # 102: more votes than members present
        number = opened(services, files, attending=101)
        values = {**DECISIONS, "metode_keputusan": "Pemungutan suara", "suara_setuju": yes}
        with contextlib.suppress(ValidationError):
            act(services, number, "putuskan", "joko", values=values)
        outcome[yes] = state(services, number)
    assert outcome == {49: "sidang", 50: "sidang", 51: "berita_acara", 102: "sidang"}


def test_the_pengawas_and_the_ketua_send_the_materials_back(services: Services, files) -> None:
    number = prepared(services, files)
    refused(services, number, "kembalikan", "heru", ValidationError, "catatan")
    act(services, number, "kembalikan", "heru", comment="PHU belum ditandatangani bendahara")
    assert state(services, number) == "persiapan"
    act(services, number, "ajukan", "rina")
    act(services, number, "setujui_lpj_pengawas", "agus", files=pdfs(files, "lpj_pengawas"))
    act(services, number, "setujui_lpj_pengawas", "nuraini")
    act(services, number, "kembalikan", "bambang", comment="Lampirkan rancangan RK/RAPB")
    assert state(services, number) == "persiapan"


def test_the_meeting_can_reject_the_lpj_or_adjourn(services: Services, files) -> None:
    number = opened(services, files)
    act(services, number, "skors", "joko", comment="Laporan arus kas diperbaiki, RAT dilanjutkan 2 minggu lagi")
    assert state(services, number) == "persiapan"
    number = opened(services, files)
    act(services, number, "tolak_lpj", "joko", comment="Selisih kas Rp 12 juta belum dijelaskan; RALB dalam 30 hari")
    view = services.show(number, None)
    assert view.summary.state == "lpj_ditolak" and view.summary.final


def test_only_the_pimpinan_rapat_in_office_records_the_decisions(services: Services, files, clock) -> None:
    number = opened(services, files)
    refused(services, number, "putuskan", "bambang", PermissionDeniedError, "hanya untuk Pimpinan Rapat",
            values=DECISIONS)
    clock.advance(days=40)  # joko's term as pimpinan rapat ended on 31 December 2026
    refused(services, number, "putuskan", "joko", PermissionDeniedError, "berakhir 31 Desember 2026",
            values=DECISIONS)


def test_the_ketua_who_convened_the_rat_cannot_record_its_decisions(
        services: Services, files, tmp_path: Path) -> None:
    reimport(services, tmp_path, roles=[{"person": "bambang", "role": "pimpinan_rapat", "start": "2026-11-02"}],
             ended={("joko", "pimpinan_rapat"): "2026-11-01"})
    number = opened(services, files)
    refused(services, number, "putuskan", "bambang", PermissionDeniedError, "sudah memutuskan", values=DECISIONS)
