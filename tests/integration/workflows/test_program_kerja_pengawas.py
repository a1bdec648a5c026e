"""SOP-PWS-01 Penyusunan Program Kerja Pengawas."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from pathlib import Path

import pytest

from engine.errors import PermissionDeniedError, ValidationError
from engine.services import Services
from tests.conftest import Clock
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

WF = "program_kerja_pengawas"
MEMBERS = 200
PROGRAM = {"tahun_program": 2027, "jumlah_pemeriksaan_berkala": 4, "anggaran_pengawasan": 6_000_000,
           "pagu_pos_pengawasan": 6_000_000, "forum_penetapan": "Rapat Anggota", "tanggal_rapat_pengawas": "2026-11-20",
           "hadir_pengawas": "agus,heru,nuraini"}
MEETING = {"tanggal_rapat_anggota": "2026-12-19", "panggilan_rapat": "Rapat pertama"}


def hadir(count: int) -> dict[str, str]:
    return {"daftar_hadir": present(f"KKMP-STN-{n:04d}" for n in range(1001, 1001 + count))}


def drafted(services: Services, files: Files, **changes: object) -> str:
    return start(services, WF, "agus", {**PROGRAM, **changes}, pdfs(files, "dokumen_program", "notulen_rapat_pengawas"))


def submitted(services: Services, files: Files, **changes: object) -> str:
    number = drafted(services, files, **changes)
    act(services, number, "ajukan", "agus")
    return number


def agreed(services: Services, files: Files, **changes: object) -> str:
    number = submitted(services, files, **changes)
    act(services, number, "setujui", "heru")
    act(services, number, "setujui", "nuraini")
    return number


def test_the_programme_is_drafted_agreed_set_by_the_rapat_anggota_and_handed_to_the_pengurus(
        services: Services, files) -> None:
    members(services, MEMBERS)
    number = agreed(services, files)
    assert state(services, number) == "penetapan_rapat_anggota"
    act(services, number, "tetapkan", "joko", values={**MEETING, **hadir(120)}, files=pdfs(files, "berita_acara_ra"))
    act(services, number, "terima", "rina", values={"tanggal_diterima_pengurus": "2026-12-21"})
    view = services.show(number, None)
    assert view.summary.state == "berlaku" and view.summary.final
    assert [e.action for e in view.history] == ["mulai", "ajukan", "setujui", "setujui", "tetapkan", "terima"]


def test_only_the_ketua_pengawas_drafts_the_programme(services: Services, files) -> None:
    with pytest.raises(PermissionDeniedError):
        start(services, WF, "heru", PROGRAM, pdfs(files, "dokumen_program", "notulen_rapat_pengawas"))


def test_the_rapat_pengawas_needs_more_than_half_of_the_pengawas_present(services: Services, files) -> None:
    outcome = {}
    for present_ in ("agus", "agus,heru"):
        number = drafted(services, files, hadir_pengawas=present_)
        with contextlib.suppress(ValidationError):
            act(services, number, "ajukan", "agus")
        outcome[present_] = state(services, number)
    assert outcome == {"agus": "penyusunan", "agus,heru": "persetujuan_pengawas"}
    number = drafted(services, files, hadir_pengawas="agus")
    refused(services, number, "ajukan", "agus", ValidationError, "Hadir 1 dari 3")


def test_only_pengawas_present_vote_and_the_drafter_does_not(services: Services, files) -> None:
    number = submitted(services, files, hadir_pengawas="agus,heru")
    refused(services, number, "setujui", "nuraini", PermissionDeniedError, "tidak tercatat hadir")
    error = refused(services, number, "setujui", "agus", PermissionDeniedError)
    assert error.rule == "pemisahan_tugas"
    refused(services, number, "setujui", "bambang", PermissionDeniedError)
    first = act(services, number, "setujui", "heru")
    assert (first.fired, first.votes, first.needed) == (False, 1, 2)
    assert state(services, number) == "persetujuan_pengawas"


def test_the_programme_schedules_at_least_the_ad_number_of_examinations(services: Services, files) -> None:
    outcome = {}
    for count in (3, 4, 5):
        number = drafted(services, files, jumlah_pemeriksaan_berkala=count)
        with contextlib.suppress(ValidationError):
            act(services, number, "ajukan", "agus")
        outcome[count] = state(services, number)
    assert outcome == {3: "penyusunan", 4: "persetujuan_pengawas", 5: "persetujuan_pengawas"}


def test_the_budget_stays_within_the_rapb_line_for_supervision(services: Services, files) -> None:
    outcome = {}
    for budget in (5_999_999, 6_000_000, 6_000_001):
        number = drafted(services, files, anggaran_pengawasan=budget)
        with contextlib.suppress(ValidationError):
            act(services, number, "ajukan", "agus")
        outcome[budget] = state(services, number)
    assert outcome == {5_999_999: "persetujuan_pengawas", 6_000_000: "persetujuan_pengawas",
                       6_000_001: "penyusunan"}


def test_the_rapat_anggota_sets_the_programme_only_with_its_quorum(services: Services, files) -> None:
    members(services, MEMBERS)
    number = agreed(services, files)
    refused(services, number, "tetapkan", "joko", ValidationError, "minimal 101", values={**MEETING, **hadir(100)},
            files=pdfs(files, "berita_acara_ra"))
    refused(services, number, "tetapkan", "agus", PermissionDeniedError, "hanya untuk",
            values={**MEETING, **hadir(101)}, files=pdfs(files, "berita_acara_ra"))
    act(services, number, "tetapkan", "joko", values={**MEETING, **hadir(101)}, files=pdfs(files, "berita_acara_ra"))
    assert state(services, number) == "penyampaian_pengurus"


def test_a_recalled_rapat_anggota_uses_the_second_quorum(services: Services, files) -> None:
    members(services, MEMBERS)
    outcome = {}
    for attending in (39, 40):
        number = agreed(services, files)
        with contextlib.suppress(ValidationError):
            act(services, number, "tetapkan", "joko",
                values={"tanggal_rapat_anggota": "2027-01-09", "panggilan_rapat": "Rapat kedua setelah penundaan",
                        **hadir(attending)}, files=pdfs(files, "berita_acara_ra"))
        outcome[attending] = state(services, number)
    assert outcome == {39: "penetapan_rapat_anggota", 40: "penyampaian_pengurus"}


def test_an_ad_without_a_rapat_anggota_step_hands_the_programme_straight_to_the_pengurus(
        services: Services, files, tmp_path: Path) -> None:
    reimport(services, tmp_path, settings={"forum_penetapan_program_pengawas": "Disampaikan kepada pengurus"})
    number = drafted(services, files)  # still says "Rapat Anggota": not what this AD sets
    refused(services, number, "ajukan", "agus", ValidationError, "Disampaikan kepada pengurus")
    number = agreed(services, files, forum_penetapan="Disampaikan kepada pengurus")
    assert state(services, number) == "penyampaian_pengurus"
    for outsider in ("fajar", "heru"):
        refused(services, number, "terima", outsider, PermissionDeniedError, "hanya untuk Sekretaris",
                values={"tanggal_diterima_pengurus": "2026-11-25"})
    act(services, number, "terima", "rina", values={"tanggal_diterima_pengurus": "2026-11-25"})
    assert state(services, number) == "berlaku"


def test_the_pengawas_and_the_rapat_anggota_send_the_programme_back(services: Services, files) -> None:
    number = submitted(services, files)
    refused(services, number, "kembalikan", "agus", PermissionDeniedError, comment="Tambah pemeriksaan stok")
    act(services, number, "kembalikan", "heru", comment="Tambahkan pemeriksaan stok gerai setiap triwulan")
    assert state(services, number) == "penyusunan"
    number = agreed(services, files)
    act(services, number, "kembalikan", "joko", comment="Rapat meminta pemeriksaan kas mendadak dua kali setahun")
    assert state(services, number) == "penyusunan"


def test_a_pengurus_that_does_not_acknowledge_is_reported_to_the_ketua_pengawas(
        services: Services, files, tmp_path: Path, clock: Clock) -> None:
    reimport(services, tmp_path, settings={"forum_penetapan_program_pengawas": "Disampaikan kepada pengurus"})
    number = agreed(services, files, forum_penetapan="Disampaikan kepada pengurus")
    clock.now = datetime(2026, 12, 15, 3, 0, tzinfo=UTC)  # past 5 + 3 working days
    report = services.tick()
    assert [(d.do, d.to_role) for d in report.done if d.case == number] == [
        ("ingatkan", None), ("naikkan", "ketua_pengawas")]
