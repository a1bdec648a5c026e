"""SOP-KEL-09 Pembuatan, Perubahan dan Pencabutan SOP."""

from __future__ import annotations

import contextlib

import pytest

from engine.errors import PermissionDeniedError, ValidationError
from engine.services import Services
from tests.integration.workflows.helpers import Files, act, pdfs, refused, start, state

WF = "revisi_sop"
CHANGE = {"nomor_sop": "SOP-KEU-03", "judul_sop": "Persetujuan Pengeluaran Kas", "jenis_perubahan": "Perubahan SOP",
          "versi_berlaku": 1, "versi_baru": 2,
          "alasan": "Temuan pengawas: pembelian ATK kecil menumpuk di meja ketua",
          "uraian_perubahan": "Sebelum: semua di atas Rp500.000 ke ketua. Sesudah: batas manajer Rp750.000."}


def proposed(services: Services, files: Files, by: str = "dwi", **changes: object) -> str:
    number = start(services, WF, by, {**CHANGE, **changes}, pdfs(files, "rancangan"))
    act(services, number, "ajukan", by)
    return number


def decided(services: Services, files: Files) -> str:
    number = proposed(services, files)
    act(services, number, "telaah", "rina")
    for pengurus in ("bambang", "endang", "sri"):
        act(services, number, "setujui", pengurus)
    return number


def test_a_change_is_proposed_reviewed_decided_acknowledged_and_recorded(services: Services, files) -> None:
    number = decided(services, files)
    assert state(services, number) == "tanggapan_pengawas"
    act(services, number, "ketahui", "heru")
    act(services, number, "tetapkan", "rina", values={"nomor_sk": "05/SK/KKMP-STN/XI/2026", "tanggal_efektif": "2026-12-01"},
        files=pdfs(files, "sk_penetapan"))
    view = services.show(number, None)
    assert view.summary.state == "berlaku" and view.summary.final
    assert [e.action for e in view.history] == [
        "mulai", "ajukan", "telaah", "setujui", "setujui", "setujui", "ketahui", "tetapkan"]


def test_the_new_version_must_be_exactly_one_above_the_current_one(services: Services, files) -> None:
    outcome = {}
    for new in (1, 2, 3):
        number = start(services, WF, "dwi", {**CHANGE, "versi_baru": new}, pdfs(files, "rancangan"))
        with contextlib.suppress(ValidationError):
            act(services, number, "ajukan", "dwi")
        outcome[new] = state(services, number)
    assert outcome == {1: "usulan", 2: "telaah_sekretaris", 3: "usulan"}


def test_a_new_sop_starts_at_version_one_and_a_revocation_keeps_the_version(services: Services, files) -> None:
    number = proposed(services, files, jenis_perubahan="SOP baru", nomor_sop="SOP-USH-05", versi_berlaku=0,
                      versi_baru=1)
    assert state(services, number) == "telaah_sekretaris"
    number = proposed(services, files, jenis_perubahan="Pencabutan SOP", versi_berlaku=2, versi_baru=2)
    assert state(services, number) == "telaah_sekretaris"
    with pytest.raises(ValidationError, match="Tulis seperti SOP-KEU-03"):
        start(services, WF, "dwi", {**CHANGE, "nomor_sop": "KEU-3"}, pdfs(files, "rancangan"))


def test_the_board_decision_needs_exactly_the_configured_number_of_pengurus(services: Services, files) -> None:
    number = proposed(services, files)
    act(services, number, "telaah", "rina")
    refused(services, number, "setujui", "dwi", PermissionDeniedError, "mengajukan")
    refused(services, number, "setujui", "rina", PermissionDeniedError, "sudah memutuskan")
    refused(services, number, "setujui", "wahyu", PermissionDeniedError, "berakhir")
    assert not act(services, number, "setujui", "bambang").fired
    assert not act(services, number, "setujui", "endang").fired
    assert act(services, number, "setujui", "sri").fired


def test_a_proposal_by_the_sekretaris_is_reviewed_by_the_ketua(services: Services, files) -> None:
    number = proposed(services, files, by="rina")
    refused(services, number, "telaah", "rina", PermissionDeniedError, "mengajukan")
    act(services, number, "telaah", "bambang")
    assert state(services, number) == "pembahasan_pengurus"
    refused(services, number, "setujui", "bambang", PermissionDeniedError, "sudah memutuskan")


def test_the_review_can_return_or_reject_the_proposal(services: Services, files) -> None:
    number = proposed(services, files)
    act(services, number, "kembalikan", "rina", comment="Keterkaitan dengan SOP-USH-01 belum disebut")
    assert state(services, number) == "usulan"
    act(services, number, "ajukan", "dwi")
    act(services, number, "tolak", "rina", comment="Menyangkut batas wewenang dalam AD; bawa ke Rapat Anggota")
    assert state(services, number) == "ditolak"


def test_the_board_rejects_by_the_configured_number_of_votes_or_returns(services: Services, files) -> None:
    number = proposed(services, files)
    act(services, number, "telaah", "rina")
    assert not act(services, number, "tolak", "bambang", comment="Batas baru terlalu longgar").fired
    assert not act(services, number, "tolak", "endang", comment="Setuju dengan ketua").fired
    assert act(services, number, "tolak", "sri", comment="Setuju").fired
    assert state(services, number) == "ditolak"
    number = proposed(services, files)
    act(services, number, "telaah", "rina")
    act(services, number, "kembalikan", "bambang", comment="Lengkapi dampak pada SOP-USH-01")
    assert state(services, number) == "usulan"


def test_the_pengawas_can_object(services: Services, files) -> None:
    number = decided(services, files)
    act(services, number, "kembalikan", "agus", comment="Pemisahan tugas bendahara melemah")
    assert state(services, number) == "usulan"
