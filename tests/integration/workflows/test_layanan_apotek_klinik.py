"""SOP-USH-10 Layanan Apotek/Klinik melalui Mitra Berizin."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest

from engine.errors import AlreadyDecidedError, PermissionDeniedError, ValidationError
from engine.services import Services
from tests.integration.workflows.helpers import Files, act, pdfs, refused, reimport, start, state

WF = "layanan_apotek_klinik"
START = "2027-01-04"


def partner(**changes: object) -> dict[str, object]:
    return {"jenis_mitra": "Apotek", "nama_mitra": "Apotek Sehat Sentanan", "alamat_mitra": "Jl. Empunala 12, Mojokerto",
            "nib_mitra": "9120301234567", "nomor_izin": "503/0412/SIA/417.302/2025", "tanggal_berlaku_izin": "2030-03-01",
            "apoteker_pj": "apt. Ratna Dewi, S.Farm.", "nomor_sipa": "SIPA 3576/2024/0311",
            "tanggal_berlaku_sipa": "2029-05-31",
            "bentuk_layanan": "Gerai obat bebas dan resep di kantor koperasi, dilayani apoteker mitra",
            "imbal_jasa": "Sewa tempat Rp 750.000 per bulan; potongan 5% obat bebas untuk anggota",
            "jangka_waktu_bulan": 24, "tanggal_mulai": START, **changes}


def drafted(services: Services, files: Files, by: str = "fajar", **changes: object) -> str:
    return start(services, WF, by, partner(**changes), pdfs(files, "berkas_legalitas"))


def submitted(services: Services, files: Files, by: str = "fajar", **changes: object) -> str:
    number = drafted(services, files, by, **changes)
    act(services, number, "ajukan", by)
    return number


def decided(services: Services, files: Files, **changes: object) -> str:
    number = submitted(services, files, **changes)
    for pengawas in ("heru", "nuraini"):
        act(services, number, "nyatakan_layak", pengawas)
    for pengurus in ("bambang", "endang", "rina"):
        act(services, number, "setujui", pengurus)
    return number


def sign(services: Services, files: Files, number: str, on: str = "2026-12-20") -> None:
    act(services, number, "tandatangani_pks", "bambang", values={"nomor_pks": "PKS/KKMP-STN/012/XII/2026",
                                                                "tanggal_pks": on}, files=pdfs(files, "pks"))


def running(services: Services, files: Files, **changes: object) -> str:
    number = decided(services, files, **changes)
    sign(services, files, number)
    return number


def report(services: Services, files: Files, number: str, on: str, by: str = "fajar", **changes: object) -> None:
    act(services, number, "catat_laporan", by, values={"periode_laporan": "Januari 2027", "tanggal_laporan": on,
                                                       **changes}, files=pdfs(files, "laporan_mitra"))


def test_a_licensed_partner_is_reviewed_decided_signed_and_reports_monthly(services: Services, files) -> None:
    number = submitted(services, files)
    assert state(services, number) == "reviu_pengawas"
    assert not act(services, number, "nyatakan_layak", "heru").fired
    assert act(services, number, "nyatakan_layak", "agus").fired
    assert state(services, number) == "keputusan_pengurus"
    assert not act(services, number, "setujui", "bambang").fired
    assert not act(services, number, "setujui", "dwi").fired
    assert act(services, number, "setujui", "sri").fired
    assert state(services, number) == "penandatanganan"
    sign(services, files, number)
    assert state(services, number) == "berjalan"
    report(services, files, number, "2027-02-05")
    act(services, number, "terima_laporan", "dwi")
    assert state(services, number) == "berjalan"
    report(services, files, number, "2027-03-05", periode_laporan="Februari 2027")
    act(services, number, "terima_laporan", "bambang")
    act(services, number, "akhiri", "bambang", values={"tanggal_berakhir": "2028-12-31"},
        files=pdfs(files, "ba_pengakhiran"), comment="Jangka waktu PKS selesai")
    view = services.show(number, None)
    assert view.summary.state == "berakhir"
    assert [e.action for e in view.history].count("catat_laporan") == 2


@pytest.mark.parametrize(("field", "expiry", "expected"), [
    ("tanggal_berlaku_izin", "2027-01-03", "penjajakan"), ("tanggal_berlaku_izin", START, "penjajakan"),
    ("tanggal_berlaku_izin", "2027-01-05", "reviu_pengawas"),
    ("tanggal_berlaku_sipa", START, "penjajakan"), ("tanggal_berlaku_sipa", "2027-01-05", "reviu_pengawas"),
])
def test_a_licence_that_ends_by_the_start_date_is_refused(services: Services, files, field: str, expiry: str,
                                                           expected: str) -> None:
    number = drafted(services, files, **{field: expiry})
    with contextlib.suppress(ValidationError):
        act(services, number, "ajukan", "fajar")
    assert state(services, number) == expected


def test_the_licence_numbers_and_expiry_dates_are_required(services: Services, files) -> None:
    for missing in ("nomor_izin", "tanggal_berlaku_izin", "apoteker_pj", "nomor_sipa", "tanggal_berlaku_sipa"):
        number = drafted(services, files, **{missing: ""})
        error = refused(services, number, "ajukan", "fajar", ValidationError)
        assert missing in str(error), missing


def test_the_agreement_term_is_capped_by_the_settings(services: Services, files, tmp_path: Path) -> None:
    outcome = {}
    for months in (24, 25):
        number = drafted(services, files, jangka_waktu_bulan=months)
        with contextlib.suppress(ValidationError):
            act(services, number, "ajukan", "fajar")
        outcome[months] = state(services, number)
    assert outcome == {24: "reviu_pengawas", 25: "penjajakan"}
    reimport(services, tmp_path, settings={"jangka_pks_kesehatan_maksimal_bulan": 12})
    number = drafted(services, files, jangka_waktu_bulan=13)
    refused(services, number, "ajukan", "fajar", ValidationError, "tidak terpenuhi")


def test_the_pks_is_not_signed_when_a_licence_ends_by_the_signing_date(services: Services, files) -> None:
    number = decided(services, files, tanggal_berlaku_sipa="2027-01-10", tanggal_mulai="2027-01-05")
    refused(services, number, "tandatangani_pks", "bambang", ValidationError, "tidak terpenuhi",
            values={"nomor_pks": "PKS/012", "tanggal_pks": "2027-01-10"}, files=pdfs(files, "pks"))
    sign(services, files, number, on="2027-01-09")
    assert state(services, number) == "berjalan"


def test_only_the_ketua_signs_the_pks(services: Services, files) -> None:
    number = decided(services, files)
    for person in ("dwi", "fajar"):
        refused(services, number, "tandatangani_pks", person, PermissionDeniedError, "hanya untuk Ketua",
                values={"nomor_pks": "PKS/012", "tanggal_pks": "2026-12-20"}, files=pdfs(files, "pks"))


def test_the_pengawas_quorum_and_the_pengurus_quorum_come_from_the_settings(services: Services, files,
                                                                         tmp_path: Path) -> None:
    reimport(services, tmp_path, settings={"kuorum_pengawas": 3, "kuorum_keputusan_pengurus": 4})
    number = submitted(services, files)
    for pengawas in ("heru", "nuraini"):
        assert not act(services, number, "nyatakan_layak", pengawas).fired
    assert act(services, number, "nyatakan_layak", "agus").fired
    for pengurus in ("bambang", "dwi", "endang"):
        assert not act(services, number, "setujui", pengurus).fired
    assert act(services, number, "setujui", "rina").fired
    assert state(services, number) == "penandatanganan"


def test_the_pengurus_can_reject_by_quorum_or_send_it_back(services: Services, files) -> None:
    number = submitted(services, files)
    act(services, number, "kembalikan", "heru", comment="Salinan STR apoteker belum dilampirkan")
    assert state(services, number) == "penjajakan"
    act(services, number, "ajukan", "fajar")
    act(services, number, "nyatakan_layak", "heru")
    act(services, number, "nyatakan_layak", "nuraini")
    act(services, number, "kembalikan", "endang", comment="Runding ulang sewa tempat")
    assert state(services, number) == "penjajakan"
    act(services, number, "ajukan", "fajar")
    act(services, number, "nyatakan_layak", "heru")
    act(services, number, "nyatakan_layak", "nuraini")
    for pengurus in ("bambang", "rina"):
        assert not act(services, number, "tolak", pengurus, comment="Sudah ada apotek 100 m dari kantor").fired
    assert act(services, number, "tolak", "sri", comment="Sudah ada apotek 100 m dari kantor").fired
    assert state(services, number) == "ditolak"


def test_whoever_proposes_does_not_vote_and_pengawas_do_not_decide(services: Services, files) -> None:
    number = submitted(services, files, by="dwi")
    act(services, number, "nyatakan_layak", "heru")
    act(services, number, "nyatakan_layak", "nuraini")
    refused(services, number, "setujui", "dwi", PermissionDeniedError, "mengajukan")
    refused(services, number, "setujui", "heru", PermissionDeniedError, "hanya untuk Pengurus")
    refused(services, number, "nyatakan_layak", "agus", AlreadyDecidedError, "sudah diputuskan")
    with pytest.raises(PermissionDeniedError, match="hanya dapat dimulai oleh"):
        drafted(services, files, by="heru")


def test_an_expired_licence_at_a_report_stops_the_service_until_renewed(services: Services, files) -> None:
    number = running(services, files, tanggal_berlaku_sipa="2027-06-30")
    outcome = {}
    report(services, files, number, "2027-06-29")
    outcome["2027-06-29"] = state(services, number)
    act(services, number, "terima_laporan", "dwi")
    report(services, files, number, "2027-06-30", periode_laporan="Juni 2027")
    outcome["2027-06-30"] = state(services, number)
    assert outcome == {"2027-06-29": "pemeriksaan_laporan", "2027-06-30": "layanan_dihentikan"}
    refused(services, number, "catat_izin_baru", "fajar", ValidationError, "tidak terpenuhi",
            values={"tanggal_berlaku_sipa": "2027-06-30"}, files=pdfs(files, "laporan_mitra"))
    act(services, number, "catat_izin_baru", "fajar", values={"nomor_sipa": "SIPA 3576/2027/0102",
                                                             "tanggal_berlaku_sipa": "2032-06-30"},
        files=pdfs(files, "laporan_mitra"))
    assert state(services, number) == "pemeriksaan_laporan"
    act(services, number, "terima_laporan", "dwi")
    assert state(services, number) == "berjalan"


def test_a_partner_that_cannot_renew_is_ended_with_minutes(services: Services, files) -> None:
    number = running(services, files, tanggal_berlaku_izin="2027-03-01")
    report(services, files, number, "2027-03-02")
    assert state(services, number) == "layanan_dihentikan"
    refused(services, number, "akhiri", "dwi", PermissionDeniedError, "hanya untuk Ketua",
            values={"tanggal_berakhir": "2027-03-31"}, files=pdfs(files, "ba_pengakhiran"), comment="Izin habis")
    refused(services, number, "akhiri", "bambang", ValidationError, "wajib diisi",
            values={"tanggal_berakhir": "2027-03-31"}, files=pdfs(files, "ba_pengakhiran"))  # a reason
    act(services, number, "akhiri", "bambang", values={"tanggal_berakhir": "2027-03-31"},
        files=pdfs(files, "ba_pengakhiran"), comment="Izin apotek tidak diperpanjang mitra")
    assert state(services, number) == "berakhir"


def test_whoever_records_a_report_does_not_accept_it(services: Services, files) -> None:
    number = running(services, files)
    report(services, files, number, "2027-02-05", by="dwi")
    refused(services, number, "terima_laporan", "dwi", PermissionDeniedError, "mengajukan")
    refused(services, number, "terima_laporan", "fajar", PermissionDeniedError, "hanya untuk")
    act(services, number, "kembalikan", "bambang", comment="Laporan keluhan anggota belum ada")
    assert state(services, number) == "perbaikan_laporan"
    report(services, files, number, "2027-02-06")
    act(services, number, "terima_laporan", "bambang")
    assert state(services, number) == "berjalan"
