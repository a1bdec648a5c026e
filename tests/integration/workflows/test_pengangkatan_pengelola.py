"""SOP-KEL-07 Pengangkatan Pengelola dan Karyawan."""

from __future__ import annotations

import contextlib
from pathlib import Path

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

WF = "pengangkatan_pengelola"
MEMBERS = 200
#: Two cashiers at Rp 2.500.000 for the 6 months left of the year: exactly the Rp 30.000.000 left in the RAPB.
KASIR = {"jenis_jabatan": "Karyawan", "nama_jabatan": "Kasir gerai sembako",
         "alasan_kebutuhan": "Gerai buka 07.00-21.00; satu kasir tidak cukup untuk dua giliran", "jumlah_formasi": 2,
         "gaji_per_bulan": 2_500_000, "bulan_tersisa": 6, "sisa_anggaran_gaji": 30_000_000}
MANAJER = {**KASIR, "jenis_jabatan": "Manajer / Pengelola", "nama_jabatan": "Manajer koperasi",
           "alasan_kebutuhan": "Perjanjian kerja manajer berakhir Agustus 2027", "jumlah_formasi": 1,
           "gaji_per_bulan": 4_000_000, "bulan_tersisa": 5}
SELECTION = {"jumlah_pelamar": 9, "nama_calon": "Ayu Kartika", "nilai_seleksi": 78}
CONTRACT = {"tanggal_mulai_kerja": "2027-01-04", "masa_kontrak_bulan": 12}


def hadir(count: int) -> dict[str, str]:
    return {"daftar_hadir": present(f"KKMP-STN-{n:04d}" for n in range(1001, 1001 + count))}


def proposed(services: Services, files: Files, values: dict[str, object] | None = None, by: str = "fajar") -> str:
    number = start(services, WF, by, values or KASIR, pdfs(files, "uraian_tugas"))
    act(services, number, "ajukan", by)
    return number


def selecting(services: Services, files: Files, values: dict[str, object] | None = None, by: str = "fajar") -> str:
    number = proposed(services, files, values, by)
    act(services, number, "verifikasi", "sri")
    return number


def before_pengurus(services: Services, files: Files, values: dict[str, object] | None = None,
                    by: str = "fajar") -> str:
    number = selecting(services, files, values, by)
    act(services, number, "usulkan_calon", by, values=SELECTION, files=pdfs(files, "berkas_seleksi"))
    return number


def decided(services: Services, files: Files, values: dict[str, object] | None = None, by: str = "fajar") -> str:
    number = before_pengurus(services, files, values, by)
    for pengurus in ("bambang", "dwi", "endang"):
        act(services, number, "setujui_pengurus", pengurus)
    return number


def test_a_cashier_is_proposed_budgeted_selected_approved_and_contracted(services: Services, files) -> None:
    number = decided(services, files)
    assert state(services, number) == "perjanjian_kerja"
    act(services, number, "tandatangani", "bambang", values=CONTRACT, files=pdfs(files, "perjanjian_kerja"))
    view = services.show(number, None)
    assert view.summary.state == "diangkat" and view.summary.final
    assert [e.action for e in view.history] == [
        "mulai", "ajukan", "verifikasi", "usulkan_calon", "setujui_pengurus", "setujui_pengurus", "setujui_pengurus",
        "tandatangani"]


def test_the_salaries_must_fit_in_what_is_left_of_the_rapb(services: Services, files) -> None:
    outcome = {}
    for left in (29_999_999, 30_000_000, 30_000_001):
        number = start(services, WF, "fajar", {**KASIR, "sisa_anggaran_gaji": left}, pdfs(files, "uraian_tugas"))
        with contextlib.suppress(ValidationError):
            act(services, number, "ajukan", "fajar")
        outcome[left] = state(services, number)
    assert outcome == {29_999_999: "identifikasi", 30_000_000: "verifikasi_anggaran",
                       30_000_001: "verifikasi_anggaran"}


def test_the_bendahara_checks_the_budget_and_refuses_what_the_rapb_cannot_pay(services: Services, files) -> None:
    number = proposed(services, files)
    refused(services, number, "verifikasi", "fajar", PermissionDeniedError, "hanya untuk Bendahara")
    refused(services, number, "verifikasi", "sri", ValidationError, "tidak terpenuhi",
            values={"sisa_anggaran_gaji": 29_999_999})
    act(services, number, "tolak", "sri", comment="Realisasi pos gaji sudah Rp 12 juta; ajukan revisi RAPB dulu")
    view = services.show(number, None)
    assert view.summary.state == "ditolak" and view.summary.final


def test_a_candidate_needs_the_minimum_selection_score(services: Services, files) -> None:
    outcome = {}
    for score in (69, 70, 71):
        number = selecting(services, files)
        with contextlib.suppress(ValidationError):
            act(services, number, "usulkan_calon", "fajar", values={**SELECTION, "nilai_seleksi": score},
                files=pdfs(files, "berkas_seleksi"))
        outcome[score] = state(services, number)
    assert outcome == {69: "seleksi", 70: "keputusan_pengurus", 71: "keputusan_pengurus"}


def test_a_selection_without_a_suitable_candidate_leaves_the_post_unfilled(services: Services, files) -> None:
    number = selecting(services, files)
    act(services, number, "nyatakan_gagal", "fajar", values={"jumlah_pelamar": 2},
        files=pdfs(files, "berkas_seleksi"), comment="Dua pelamar, nilai tertinggi 55")
    view = services.show(number, None)
    assert view.summary.state == "tidak_terisi" and view.summary.final


def test_the_pengurus_decide_by_the_ad_quorum_without_those_who_proposed(services: Services, files) -> None:
    number = before_pengurus(services, files, by="rina")  # the sekretaris proposed the need and the candidate
    refused(services, number, "setujui_pengurus", "rina", PermissionDeniedError)
    refused(services, number, "setujui_pengurus", "sri", PermissionDeniedError)  # verified the budget
    refused(services, number, "setujui_pengurus", "fajar", PermissionDeniedError)  # the manajer is not pengurus
    first = act(services, number, "setujui_pengurus", "bambang")
    assert (first.fired, first.votes, first.needed) == (False, 1, 3)
    assert not act(services, number, "setujui_pengurus", "dwi").fired
    assert act(services, number, "setujui_pengurus", "endang").fired
    assert state(services, number) == "perjanjian_kerja"


def test_the_pengurus_refuse_by_the_same_quorum(services: Services, files) -> None:
    number = before_pengurus(services, files)
    for pengurus in ("bambang", "dwi"):
        assert not act(services, number, "tolak", pengurus, comment="Calon tidak sesuai uraian tugas").fired
    assert act(services, number, "tolak", "rina", comment="Setuju menolak").fired
    assert state(services, number) == "ditolak"


def test_a_manajer_needs_the_approval_of_the_rapat_anggota_with_its_quorum(services: Services, files) -> None:
    members(services, MEMBERS)
    number = decided(services, files, MANAJER, by="rina")
    assert state(services, number) == "persetujuan_rapat_anggota"
    meeting = {"tanggal_rapat_anggota": "2027-01-16", "panggilan_rapat": "Rapat pertama"}
    refused(services, number, "setujui_rapat_anggota", "joko", ValidationError, "minimal 101",
            values={**meeting, **hadir(100)}, files=pdfs(files, "berita_acara_ra"))
    refused(services, number, "setujui_rapat_anggota", "bambang", PermissionDeniedError, "hanya untuk",
            values={**meeting, **hadir(101)}, files=pdfs(files, "berita_acara_ra"))
    act(services, number, "setujui_rapat_anggota", "joko", values={**meeting, **hadir(101)},
        files=pdfs(files, "berita_acara_ra"))
    assert state(services, number) == "perjanjian_kerja"


def test_a_recalled_rapat_anggota_approves_with_the_second_quorum(services: Services, files) -> None:
    members(services, MEMBERS)
    outcome = {}
    for attending in (39, 40):
        number = decided(services, files, MANAJER, by="rina")
        with contextlib.suppress(ValidationError):
            act(services, number, "setujui_rapat_anggota", "joko",
                values={"tanggal_rapat_anggota": "2027-01-30", "panggilan_rapat": "Rapat kedua setelah penundaan",
                        **hadir(attending)}, files=pdfs(files, "berita_acara_ra"))
        outcome[attending] = state(services, number)
    assert outcome == {39: "persetujuan_rapat_anggota", 40: "perjanjian_kerja"}


def test_the_rapat_anggota_may_refuse_or_ask_for_another_candidate(services: Services, files) -> None:
    number = decided(services, files, MANAJER, by="rina")
    act(services, number, "kembalikan", "joko", comment="Rapat meminta calon yang berdomisili di Sentanan")
    assert state(services, number) == "seleksi"
    number = decided(services, files, MANAJER, by="rina")
    act(services, number, "tolak", "joko", values={"tanggal_rapat_anggota": "2027-01-16"},
        files=pdfs(files, "berita_acara_ra"), comment="Rapat Anggota menolak calon")
    assert state(services, number) == "ditolak"


def test_an_ad_that_leaves_the_manajer_to_the_pengurus_skips_the_rapat_anggota(
        services: Services, files, tmp_path: Path) -> None:
    reimport(services, tmp_path, settings={"jabatan_disetujui_rapat_anggota": []})
    number = decided(services, files, MANAJER, by="rina")
    assert state(services, number) == "perjanjian_kerja"


def test_the_contract_may_not_run_longer_than_the_persus_allows(services: Services, files) -> None:
    outcome = {}
    for months in (23, 24, 25):
        number = decided(services, files)
        with contextlib.suppress(ValidationError):
            act(services, number, "tandatangani", "rina", values={**CONTRACT, "masa_kontrak_bulan": months},
                files=pdfs(files, "perjanjian_kerja"))
        outcome[months] = state(services, number)
    assert outcome == {23: "diangkat", 24: "diangkat", 25: "perjanjian_kerja"}


def test_a_candidate_who_withdraws_before_signing_leaves_the_post_unfilled(services: Services, files) -> None:
    number = decided(services, files)
    refused(services, number, "batalkan", "fajar", PermissionDeniedError, comment="Mundur")
    act(services, number, "batalkan", "bambang", comment="Calon diterima bekerja di tempat lain")
    assert state(services, number) == "tidak_terisi"
