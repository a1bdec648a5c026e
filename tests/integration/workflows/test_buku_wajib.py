"""SOP-KEL-08 Penyelenggaraan 16 Buku Wajib dan Arsip."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from pathlib import Path

from engine.errors import PermissionDeniedError, ValidationError
from engine.services import Services
from tests.conftest import Clock
from tests.integration.workflows.helpers import Files, act, checklist, pdfs, refused, reimport, start, state

WF = "buku_wajib"
CHECK = {"tahun_pemeriksaan": 2026, "jenis_periode": "Triwulanan", "periode": "Triwulan IV 2026",
         "tanggal_pemeriksaan": "2026-11-23", "hasil_pemeriksaan": "Semua buku mutakhir"}
GAPS = {**CHECK, "hasil_pemeriksaan": "Ada buku yang belum mutakhir", "jumlah_buku_belum_mutakhir": 2,
        "uraian_kekurangan": "Buku Tamu belum diisi sejak Oktober; Buku Inventaris belum mencatat timbangan baru",
        "rencana_perbaikan": "Sekretaris melengkapi Buku Tamu; manajer mencatat inventaris dari BAST",
        "batas_perbaikan": "2026-12-04"}
REVIEW = {"catatan_pengawas": "Lima catatan Buku Daftar Anggota dicocokkan dengan formulir; sesuai"}


def reported(services: Services, files: Files, values: dict[str, object] | None = None) -> str:
    values = values or CHECK
    number = start(services, WF, "rina", values, pdfs(files, "laporan_pemeriksaan"))
    all_current = values["hasil_pemeriksaan"] == "Semua buku mutakhir"
    act(services, number, "ajukan", "rina", checks=None if all_current else ["daftar_anggota", "daftar_pengurus"])
    return number


def reviewed(services: Services, files: Files, values: dict[str, object] | None = None) -> str:
    number = reported(services, files, values)
    act(services, number, "setujui", "heru", values=REVIEW)
    return number


def test_a_quarter_with_every_book_current_is_reviewed_and_filed(services: Services, files) -> None:
    number = reviewed(services, files)
    assert state(services, number) == "pengarsipan"
    act(services, number, "arsipkan", "rina", values={"usulan_pemusnahan": "Tidak ada"})
    view = services.show(number, None)
    assert view.summary.state == "selesai" and view.summary.final
    assert [e.action for e in view.history] == ["mulai", "ajukan", "setujui", "arsipkan"]


def test_the_check_lists_the_sixteen_buku_wajib(services: Services, files) -> None:
    number = start(services, WF, "rina", CHECK, pdfs(files, "laporan_pemeriksaan"))
    assert len(checklist(services, number)) == 16


def test_every_book_must_be_ticked_to_report_them_all_current(services: Services, files) -> None:
    number = start(services, WF, "rina", CHECK, pdfs(files, "laporan_pemeriksaan"))
    refused(services, number, "ajukan", "rina", ValidationError, "inventaris",
            checks=[c for c in checklist(services, number) if c != "inventaris"])
    act(services, number, "ajukan", "rina")
    assert state(services, number) == "penelaahan_pengawas"


def test_the_period_must_be_the_one_the_ad_sets(services: Services, files, tmp_path: Path) -> None:
    monthly = {**CHECK, "jenis_periode": "Bulanan", "periode": "November 2026"}
    number = start(services, WF, "rina", monthly, pdfs(files, "laporan_pemeriksaan"))
    refused(services, number, "ajukan", "rina", ValidationError, "Triwulanan")
    reimport(services, tmp_path, settings={"periode_pemeriksaan_buku": "Bulanan"})
    number = reported(services, files, monthly)
    assert state(services, number) == "penelaahan_pengawas"


def test_books_behind_are_reported_with_a_plan_and_a_deadline(services: Services, files) -> None:
    outcome = {}
    for count, deadline in ((0, "2026-12-04"), (1, "2026-11-23"), (1, "2026-11-24")):
        number = start(services, WF, "rina", {**GAPS, "jumlah_buku_belum_mutakhir": count, "batas_perbaikan": deadline},
                       pdfs(files, "laporan_pemeriksaan"))
        with contextlib.suppress(ValidationError):
            act(services, number, "ajukan", "rina", checks=[])
        outcome[(count, deadline)] = state(services, number)
    assert outcome == {(0, "2026-12-04"): "pemeriksaan", (1, "2026-11-23"): "pemeriksaan",
                       (1, "2026-11-24"): "penelaahan_pengawas"}
    without_plan = {name: value for name, value in GAPS.items() if name != "rencana_perbaikan"}
    number = start(services, WF, "rina", without_plan, pdfs(files, "laporan_pemeriksaan"))
    error = refused(services, number, "ajukan", "rina", ValidationError, checks=[])
    assert "rencana_perbaikan" in str(error)


def test_books_behind_are_completed_and_checked_by_the_pengawas(services: Services, files) -> None:
    number = reviewed(services, files, GAPS)
    assert state(services, number) == "tindak_lanjut"
    act(services, number, "catat_perbaikan", "rina", files=pdfs(files, "bukti_perbaikan"))
    refused(services, number, "nyatakan_tuntas", "rina", PermissionDeniedError, "hanya untuk Pengawas")
    act(services, number, "kembalikan", "nuraini", comment="Buku Inventaris belum mencantumkan nomor BAST")
    assert state(services, number) == "tindak_lanjut"
    act(services, number, "catat_perbaikan", "rina", files=pdfs(files, "bukti_perbaikan"))
    act(services, number, "nyatakan_tuntas", "heru")
    act(services, number, "arsipkan", "rina", values={"usulan_pemusnahan": "Tidak ada"})
    assert state(services, number) == "selesai"


def test_the_secretary_cannot_approve_her_own_report_even_as_pengawas(
        services: Services, files, tmp_path: Path) -> None:
    number = reported(services, files)
    refused(services, number, "setujui", "bambang", PermissionDeniedError, "hanya untuk Pengawas", values=REVIEW)
    reimport(services, tmp_path, roles=[{"person": "rina", "role": "pengawas", "start": "2026-11-01"}])
    error = refused(services, number, "setujui", "rina", PermissionDeniedError, values=REVIEW)
    assert error.rule == "pemisahan_tugas"
    act(services, number, "kembalikan", "agus", comment="Buku Tamu ternyata kosong sejak Oktober")
    assert state(services, number) == "pemeriksaan"


def test_the_secretary_cannot_pass_her_own_repairs_even_as_pengawas(
        services: Services, files, tmp_path: Path) -> None:
    number = reviewed(services, files, GAPS)
    refused(services, number, "catat_perbaikan", "fajar", PermissionDeniedError, "hanya untuk Sekretaris",
            files=pdfs(files, "bukti_perbaikan"))
    act(services, number, "catat_perbaikan", "rina", files=pdfs(files, "bukti_perbaikan"))
    reimport(services, tmp_path, roles=[{"person": "rina", "role": "pengawas", "start": "2026-11-01"}])
    error = refused(services, number, "nyatakan_tuntas", "rina", PermissionDeniedError)
    assert error.rule == "pemisahan_tugas"
    act(services, number, "nyatakan_tuntas", "nuraini")
    assert state(services, number) == "pengarsipan"


def test_repairs_that_stall_are_raised_to_the_ketua_and_the_ketua_pengawas(
        services: Services, files, clock: Clock) -> None:
    number = reviewed(services, files, GAPS)
    clock.now = datetime(2027, 1, 15, 3, 0, tzinfo=UTC)  # long past 10 + 5 working days
    report = services.tick()
    assert [(d.do, d.to_role) for d in report.done if d.case == number] == [
        ("ingatkan", None), ("naikkan", "ketua"), ("naikkan", "ketua_pengawas")]


def test_old_archives_may_be_destroyed_only_after_the_retention_period(services: Services, files) -> None:
    outcome = {}
    for year in (2017, 2016, 2015):  # the check is in 2026; retention is 10 years
        number = reviewed(services, files)
        with contextlib.suppress(ValidationError):
            act(services, number, "arsipkan", "rina",
                values={"usulan_pemusnahan": "Ada arsip yang melewati masa simpan", "tahun_arsip_dimusnahkan": year},
                files=pdfs(files, "daftar_arsip_dimusnahkan"))
        outcome[year] = state(services, number)
    assert outcome == {2017: "pengarsipan", 2016: "persetujuan_pemusnahan", 2015: "persetujuan_pemusnahan"}


def test_only_the_ketua_approves_destroying_archives_with_a_berita_acara(services: Services, files) -> None:
    proposal = {"usulan_pemusnahan": "Ada arsip yang melewati masa simpan", "tahun_arsip_dimusnahkan": 2015}
    number = reviewed(services, files)
    act(services, number, "arsipkan", "rina", values=proposal, files=pdfs(files, "daftar_arsip_dimusnahkan"))
    refused(services, number, "setujui_pemusnahan", "rina", PermissionDeniedError,
            files=pdfs(files, "berita_acara_pemusnahan"))
    error = refused(services, number, "setujui_pemusnahan", "bambang", ValidationError)
    assert "berita_acara_pemusnahan" in str(error)
    act(services, number, "setujui_pemusnahan", "bambang", files=pdfs(files, "berita_acara_pemusnahan"))
    assert state(services, number) == "selesai"

    number = reviewed(services, files)
    act(services, number, "arsipkan", "rina", values=proposal, files=pdfs(files, "daftar_arsip_dimusnahkan"))
    act(services, number, "tolak_pemusnahan", "bambang", comment="Bukti kas 2015 masih diperlukan untuk sengketa")
    assert state(services, number) == "selesai"
