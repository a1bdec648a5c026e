"""SOP-KEL-05 Penyusunan dan Pengesahan Rencana Kerja dan RAPB."""

from __future__ import annotations

import contextlib
from datetime import date
from pathlib import Path

import pytest

from engine.errors import PermissionDeniedError, TatakelolaError, ValidationError
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

WF = "rk_rapb"
PLAN = {"tahun_anggaran": 2027, "jenis": "Rencana awal", "target_pendapatan": 1_450_000_000,
        "rencana_biaya": 100_000_000, "rencana_investasi": 75_000_000}
REVISION = {**PLAN, "jenis": "Revisi", "rujukan_pengesahan": "RKRAPB/2026/0001",
            "alasan_revisi": "Harga beras naik; pos pembelian sembako digeser dari pos pemeliharaan"}
MEMBERS = 200  # in the Buku Daftar Anggota on the day of the Rapat Anggota


def hadir(count: int) -> str:
    """The daftar hadir of ``count`` members (KKMP-STN-1001 …)."""
    return present(f"KKMP-STN-{n:04d}" for n in range(1001, 1001 + count))


MEETING = {"tanggal_rapat_anggota": "2026-12-12", "panggilan_rapat": "Rapat pertama", "daftar_hadir": hadir(140)}


@pytest.fixture(autouse=True)
def register(services: Services) -> list[str]:
    """The register the Rapat Anggota counts its quorum against."""
    return members(services, MEMBERS)


def submitted(services: Services, files: Files, values: dict | None = None) -> str:
    number = start(services, WF, "sri", values or PLAN, pdfs(files, "dokumen_rk", "dokumen_rapb"))
    act(services, number, "ajukan", "sri")
    return number


def approved_by_pengurus(services: Services, files: Files, values: dict | None = None) -> str:
    number = submitted(services, files, values)
    for pengurus in ("bambang", "dwi", "endang"):
        act(services, number, "setujui_pengurus", pengurus)
    return number


def at_the_meeting(services: Services, files: Files) -> str:
    number = approved_by_pengurus(services, files)
    act(services, number, "setujui_pengawas", "agus")
    act(services, number, "setujui_pengawas", "heru")
    return number


def test_a_plan_is_drafted_approved_reviewed_and_ratified(services: Services, files) -> None:
    number = at_the_meeting(services, files)
    assert state(services, number) == "pengesahan_rapat_anggota"
    act(services, number, "sahkan", "joko", values=MEETING, files=pdfs(files, "berita_acara_ra"))
    view = services.show(number, "sri")
    assert view.summary.state == "disahkan" and view.summary.final and view.options == []


def test_a_ratified_plan_is_locked(services: Services, files) -> None:
    number = at_the_meeting(services, files)
    act(services, number, "sahkan", "joko", values=MEETING, files=pdfs(files, "berita_acara_ra"))
    refused(services, number, "ajukan", "sri", TatakelolaError, "Disahkan", values={"rencana_biaya": "200000000"})
    refused(services, number, "kembalikan", "joko", TatakelolaError, "Disahkan", comment="Ubah lagi")


def test_the_pengurus_decision_needs_exactly_the_configured_number_and_not_the_drafter(
        services: Services, files) -> None:
    number = submitted(services, files)
    refused(services, number, "setujui_pengurus", "sri", PermissionDeniedError, "mengajukan")
    refused(services, number, "setujui_pengurus", "wahyu", PermissionDeniedError, "berakhir")
    assert not act(services, number, "setujui_pengurus", "bambang").fired
    assert not act(services, number, "setujui_pengurus", "rina").fired
    assert state(services, number) == "pembahasan_pengurus"
    assert act(services, number, "setujui_pengurus", "dwi").fired
    assert state(services, number) == "penelaahan_pengawas"


def test_the_pengawas_review_needs_exactly_the_configured_number(services: Services, files) -> None:
    number = approved_by_pengurus(services, files)
    assert not act(services, number, "setujui_pengawas", "nuraini").fired
    assert state(services, number) == "penelaahan_pengawas"
    assert act(services, number, "setujui_pengawas", "agus").fired


def test_a_revision_must_name_the_ratified_plan_and_its_reason(services: Services, files) -> None:
    number = start(services, WF, "sri", {**PLAN, "jenis": "Revisi"}, pdfs(files, "dokumen_rk", "dokumen_rapb"))
    error = refused(services, number, "ajukan", "sri", ValidationError)
    for name in ("rujukan_pengesahan", "alasan_revisi", "nilai_perubahan"):
        assert name in str(error)


def test_a_small_revision_is_settled_by_pengurus_and_pengawas_and_a_larger_one_goes_to_the_meeting(
        services: Services, files) -> None:
    limit = PLAN["rencana_biaya"] * 10 // 100
    outcome = {}
    for change in (limit - 1, limit, limit + 1):
        number = approved_by_pengurus(services, files, {**REVISION, "nilai_perubahan": change})
        act(services, number, "setujui_pengawas", "agus")
        act(services, number, "setujui_pengawas", "nuraini")
        outcome[change] = state(services, number)
    assert outcome == {limit - 1: "disahkan", limit: "disahkan", limit + 1: "pengesahan_rapat_anggota"}


def test_a_cooperative_whose_ad_reserves_every_revision_to_the_meeting(
        services: Services, files, tmp_path: Path) -> None:
    reimport(services, tmp_path, settings={"batas_revisi_tanpa_rapat_anggota_persen": 0})
    number = approved_by_pengurus(services, files, {**REVISION, "nilai_perubahan": 1})
    act(services, number, "setujui_pengawas", "agus")
    act(services, number, "setujui_pengawas", "nuraini")
    assert state(services, number) == "pengesahan_rapat_anggota"


def test_ratification_needs_the_quorum_of_the_ad_on_first_and_second_call(services: Services, files) -> None:
    outcome = {}
    for call, attending in (("Rapat pertama", 100), ("Rapat pertama", 101),
                          ("Rapat kedua setelah penundaan", 39), ("Rapat kedua setelah penundaan", 40),
                          ("Rapat kedua setelah penundaan", 41)):
        number = at_the_meeting(services, files)
        with contextlib.suppress(ValidationError):
            act(services, number, "sahkan", "joko",
                values={**MEETING, "panggilan_rapat": call, "daftar_hadir": hadir(attending)},
                files=pdfs(files, "berita_acara_ra"))
        outcome[(call[:11], attending)] = state(services, number)
    assert outcome == {("Rapat perta", 100): "pengesahan_rapat_anggota", ("Rapat perta", 101): "disahkan",
                       ("Rapat kedua", 39): "pengesahan_rapat_anggota", ("Rapat kedua", 40): "disahkan",
                       ("Rapat kedua", 41): "disahkan"}


def test_each_organ_can_send_the_plan_back_for_changes(services: Services, files) -> None:
    number = submitted(services, files)
    refused(services, number, "kembalikan", "sri", PermissionDeniedError, "mengajukan", comment="Tarik")
    act(services, number, "kembalikan", "bambang", comment="Target gerai terlalu tinggi")
    assert state(services, number) == "penyusunan"
    number = approved_by_pengurus(services, files)
    act(services, number, "kembalikan", "heru", comment="Biaya RAT belum dianggarkan")
    assert state(services, number) == "penyusunan"
    number = at_the_meeting(services, files)
    act(services, number, "kembalikan", "joko", comment="Rapat minta pos pendidikan anggota ditambah")
    assert state(services, number) == "penyusunan"


def test_the_meeting_can_reject_the_plan(services: Services, files) -> None:
    number = at_the_meeting(services, files)
    act(services, number, "tolak", "joko", comment="Rencana pinjaman bank ditolak rapat")
    assert services.show(number, None).summary.state == "ditolak"


def test_ratification_counts_the_register_on_the_day_of_the_meeting(services: Services, files) -> None:
    members(services, 20, first=3001, joined=date(2026, 12, 13))  # joined after the meeting
    number = at_the_meeting(services, files)
    refused(services, number, "sahkan", "joko", ValidationError,
            r"Hadir 100 dari 200 anggota; kuorum kehadiran memerlukan lebih dari 50% \(minimal 101\)",
            values={**MEETING, "daftar_hadir": hadir(100)}, files=pdfs(files, "berita_acara_ra"))
    refused(services, number, "sahkan", "joko", ValidationError, "bukan anggota pada 12 Desember 2026",
            values={**MEETING, "daftar_hadir": hadir(101) + ",KKMP-STN-3001"}, files=pdfs(files, "berita_acara_ra"))
    act(services, number, "sahkan", "joko", values={**MEETING, "daftar_hadir": hadir(101)},
        files=pdfs(files, "berita_acara_ra"))
    assert state(services, number) == "disahkan"
