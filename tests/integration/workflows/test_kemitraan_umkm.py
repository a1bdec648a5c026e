"""SOP-USH-06 Kemitraan dan Konsinyasi Produk UMKM."""

from __future__ import annotations

import contextlib
from pathlib import Path

from engine.errors import PermissionDeniedError, ValidationError
from engine.services import Services
from tests.integration.workflows.helpers import Files, act, pdfs, refused, reimport, start, state

WF = "kemitraan_umkm"
PARTNER = {"nama_usaha": "Keripik Tempe Bu Lilik", "nama_pemilik": "Lilik Suryani",
           "status_keanggotaan": "Anggota koperasi", "nomor_anggota": "KKMP-STN-0033", "nib": "9120301234567",
           "produk": "Keripik tempe 200 g, harga jual Rp12.000", "izin_produk": "P-IRT 2063576010123-30",
           "pola_kerja_sama": "Konsinyasi (titip jual)", "komisi_persen": 15, "jangka_waktu_bulan": 6}


def drafted(services: Services, files: Files, by: str = "fajar", **changes: object) -> str:
    return start(services, WF, by, {**PARTNER, **changes}, pdfs(files, "berkas_pendaftaran"))


def curated(services: Services, files: Files) -> str:
    number = drafted(services, files)
    act(services, number, "ajukan", "fajar")
    act(services, number, "kurasi", "dwi")
    return number


def test_a_members_product_is_curated_approved_and_the_agreement_recorded(services: Services, files) -> None:
    number = curated(services, files)
    act(services, number, "setujui", "bambang")
    assert state(services, number) == "perjanjian"
    act(services, number, "catat_perjanjian", "rina", values={"nomor_perjanjian": "PKS-07/KKMP-STN/XI/2026",
                                                                "tanggal_mulai": "2026-12-01"},
        files=pdfs(files, "perjanjian"))
    view = services.show(number, None)
    assert view.summary.state == "berlaku" and view.summary.final


def test_the_consignment_commission_may_not_be_below_the_minimum(services: Services, files) -> None:
    outcome = {}
    for commission in (9, 10, 11):
        number = drafted(services, files, komisi_persen=commission)
        with contextlib.suppress(ValidationError):
            act(services, number, "ajukan", "fajar")
        outcome[commission] = state(services, number)
    assert outcome == {9: "pendaftaran", 10: "kurasi", 11: "kurasi"}


def test_an_agreement_may_not_run_longer_than_the_maximum_term(services: Services, files) -> None:
    outcome = {}
    for months in (11, 12, 13):
        number = drafted(services, files, jangka_waktu_bulan=months)
        with contextlib.suppress(ValidationError):
            act(services, number, "ajukan", "fajar")
        outcome[months] = state(services, number)
    assert outcome == {11: "kurasi", 12: "kurasi", 13: "pendaftaran"}


def test_an_outright_purchase_needs_no_commission_and_the_limits_come_from_settings(
        services: Services, files, tmp_path: Path) -> None:
    values = {k: v for k, v in PARTNER.items() if k != "komisi_persen"}
    number = start(services, WF, "fajar", {**values, "pola_kerja_sama": "Beli putus"}, pdfs(files, "berkas_pendaftaran"))
    act(services, number, "ajukan", "fajar")
    assert state(services, number) == "kurasi"
    reimport(services, tmp_path, settings={"jangka_kemitraan_maksimal_bulan": 3})
    number = drafted(services, files, jangka_waktu_bulan=4)
    refused(services, number, "ajukan", "fajar", ValidationError, "tidak terpenuhi")


def test_curation_and_the_ketua_can_return_or_reject(services: Services, files) -> None:
    number = drafted(services, files)
    act(services, number, "ajukan", "fajar")
    act(services, number, "kembalikan", "dwi", comment="Foto label kemasan belum ada")
    assert state(services, number) == "pendaftaran"
    act(services, number, "ajukan", "fajar")
    act(services, number, "tolak", "dwi", comment="Izin P-IRT pada kemasan berbeda dengan berkas")
    assert state(services, number) == "ditolak"
    number = curated(services, files)
    act(services, number, "kembalikan", "bambang", comment="Jangka waktu 3 bulan dulu")
    assert state(services, number) == "pendaftaran"
    number = curated(services, files)
    act(services, number, "tolak", "bambang", comment="Produk sejenis sudah ada dari anggota lain")
    assert state(services, number) == "ditolak"


def test_whoever_registered_the_partner_cannot_curate_the_product(services: Services, files) -> None:
    number = drafted(services, files, by="dwi")
    act(services, number, "ajukan", "dwi")
    refused(services, number, "kurasi", "dwi", PermissionDeniedError, "mengajukan")


def test_a_curator_whose_term_ended_is_refused(services: Services, files, tmp_path: Path) -> None:
    reimport(services, tmp_path, roles=[{"person": "lilik", "role": "wakil_ketua_usaha", "start": "2025-01-01",
                                         "end": "2025-06-30"}])
    number = drafted(services, files)
    act(services, number, "ajukan", "fajar")
    refused(services, number, "kurasi", "lilik", PermissionDeniedError, "berakhir 30 Juni 2025")
