"""SOP-USH-07 Pendaftaran Produk Anggota di e-Katalog."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest

from engine.errors import PermissionDeniedError, ValidationError
from engine.services import Services
from tests.integration.workflows.helpers import Files, act, pdfs, refused, reimport, start, state

WF = "ekatalog_pendaftaran"
PRODUCT = {"nama_anggota": "Siti Maemunah", "nomor_anggota": "KKMP-STN-0007",
           "skema": "Koperasi sebagai agregator penyedia", "nib": "9120207654321", "kbli": "10793",
           "npwp": "0123456789012345", "status_pkp": "Non-PKP", "nama_produk": "Kue kering nastar 500 g",
           "kategori_katalog": "Makanan ringan / kudapan rapat", "spesifikasi": "Toples plastik 500 g, 60 butir",
           "harga_satuan": 85_000, "kapasitas_per_bulan": 300, "jenis_katalog": "Katalog lokal (Pemerintah Daerah)"}
CHECKED = {"kbli_sesuai": "Ya", "status_kswp": "Valid", "umur_bukti_kswp_hari": 7}


def submitted(services: Services, files: Files, by: str = "fajar") -> str:
    number = start(services, WF, by, PRODUCT, pdfs(files, "berkas_persyaratan"))
    act(services, number, "ajukan", by)
    return number


def recommended(services: Services, files: Files) -> str:
    number = submitted(services, files)
    act(services, number, "verifikasi", "rina", values=CHECKED)
    act(services, number, "rekomendasikan", "bambang", values={"nomor_rekomendasi": "12/REK/KKMP-STN/XI/2026"},
        files=pdfs(files, "surat_rekomendasi"))
    return number


def test_a_members_product_is_checked_endorsed_uploaded_and_goes_live(services: Services, files) -> None:
    number = recommended(services, files)
    assert state(services, number) == "pengunggahan"
    act(services, number, "unggah", "fajar", values={"tanggal_unggah": "2026-11-26"}, files=pdfs(files, "bukti_unggah"))
    act(services, number, "catat_tayang", "fajar", values={"tautan_produk": "https://katalog.inaproc.id/produk/123"})
    view = services.show(number, None)
    assert view.summary.state == "tayang" and view.summary.final


@pytest.mark.parametrize(("checks", "why"), [
    ({**CHECKED, "kbli_sesuai": "Tidak"}, "KBLI does not match the category"),
    ({**CHECKED, "status_kswp": "Tidak valid"}, "KSWP is not valid"),
])
def test_a_product_with_a_mismatched_kbli_or_invalid_kswp_cannot_pass(
        services: Services, files, checks: dict, why: str) -> None:
    number = submitted(services, files)
    refused(services, number, "verifikasi", "rina", ValidationError, "tidak terpenuhi", values=checks)


def test_proof_of_kswp_may_not_be_older_than_the_limit(services: Services, files) -> None:
    outcome = {}
    for days in (29, 30, 31):
        number = submitted(services, files)
        with contextlib.suppress(ValidationError):
            act(services, number, "verifikasi", "rina", values={**CHECKED, "umur_bukti_kswp_hari": days})
        outcome[days] = state(services, number)
    assert outcome == {29: "rekomendasi_pengurus", 30: "rekomendasi_pengurus", 31: "verifikasi_persyaratan"}


def test_the_kswp_age_limit_comes_from_the_cooperatives_settings(services: Services, files, tmp_path: Path) -> None:
    reimport(services, tmp_path, settings={"kswp_maksimal_hari": 7})
    number = submitted(services, files)
    refused(services, number, "verifikasi", "rina", ValidationError, "tidak terpenuhi",
            values={**CHECKED, "umur_bukti_kswp_hari": 8})


def test_ids_are_checked_for_their_shape(services: Services, files) -> None:
    with pytest.raises(ValidationError, match="NIB terdiri atas 13 angka"):
        start(services, WF, "fajar", {**PRODUCT, "nib": "912020765432"})
    with pytest.raises(ValidationError, match="KBLI terdiri atas 5 angka"):
        start(services, WF, "fajar", {**PRODUCT, "kbli": "1079"})


def test_the_checker_the_ketua_and_the_curator_can_send_it_back_and_the_ketua_can_reject(
        services: Services, files) -> None:
    number = submitted(services, files)
    act(services, number, "kembalikan", "rina", comment="Tambahkan KBLI 10793 di OSS")
    assert state(services, number) == "pengajuan"
    act(services, number, "ajukan", "fajar")
    act(services, number, "verifikasi", "rina", values=CHECKED)
    act(services, number, "kembalikan", "bambang", comment="Kapasitas 300 toples per bulan terlalu tinggi")
    assert state(services, number) == "pengajuan"
    number = recommended(services, files)
    act(services, number, "unggah", "fajar", values={"tanggal_unggah": "2026-11-26"}, files=pdfs(files, "bukti_unggah"))
    act(services, number, "kurasi_ditolak", "fajar", comment="Kurator: foto produk harus berlatar putih")
    assert state(services, number) == "pengajuan"
    number = submitted(services, files)
    act(services, number, "verifikasi", "rina", values=CHECKED)
    act(services, number, "tolak", "bambang", comment="Produk belum punya izin edar")
    assert state(services, number) == "ditolak"


def test_whoever_submitted_cannot_check_the_requirements(services: Services, files) -> None:
    number = submitted(services, files, by="dwi")
    refused(services, number, "verifikasi", "dwi", PermissionDeniedError, "mengajukan", values=CHECKED)
    act(services, number, "verifikasi", "rina", values=CHECKED)
    assert state(services, number) == "rekomendasi_pengurus"


def test_only_the_ketua_endorses(services: Services, files) -> None:
    number = submitted(services, files)
    act(services, number, "verifikasi", "rina", values=CHECKED)
    refused(services, number, "rekomendasikan", "wahyu", PermissionDeniedError, "hanya untuk Ketua",
            values={"nomor_rekomendasi": "12/REK"}, files=pdfs(files, "surat_rekomendasi"))
