"""SOP-PWS-02 Pemeriksaan Berkala oleh Pengawas dan Tindak Lanjut Temuan."""

from __future__ import annotations

import contextlib
from pathlib import Path

from engine.errors import PermissionDeniedError, TatakelolaError, ValidationError
from engine.services import Services
from tests.integration.workflows.helpers import Files, act, pdfs, refused, reimport, start, state

WF = "pemeriksaan_berkala"
BOOK_STOCK = 10_000_000
FINDINGS = {"jumlah_temuan": 2, "batas_tindak_lanjut": "2026-12-24",
            "temuan_dan_rekomendasi": "1. Buku tamu tidak diisi sejak Agustus: isi dan tunjuk petugas (sekretaris, "
                                      "15 Desember). 2. Kas di brankas Rp7,1 juta melebihi batas: setor ke bank "
                                      "(bendahara, hari ini)."}


def inspection(findings: int = 0, *, cash_short: int = 0, stock_short: int = 0) -> dict[str, object]:
    values: dict[str, object] = {
        "periode": "Triwulan IV 2026", "tanggal_pemeriksaan": "2026-11-24",
        "ruang_lingkup": "Kas gerai dan kantor, persediaan gerai sembako, kepatuhan SOP pengeluaran kas",
        "saldo_kas_buku": 7_100_000, "saldo_kas_fisik": 7_100_000 - cash_short,
        "nilai_stok_buku": BOOK_STOCK, "nilai_stok_fisik": BOOK_STOCK - stock_short,
        "hasil_kepatuhan": "14 dari 16 buku wajib terisi; pengeluaran sesuai batas persetujuan",
        "jumlah_temuan": findings}
    if findings:
        values.update({k: v for k, v in FINDINGS.items() if k != "jumlah_temuan"})
    return values


def drafted(services: Services, files: Files, findings: int = 0, **kwargs: int) -> str:
    return start(services, WF, "agus", inspection(findings, **kwargs), pdfs(files, "kertas_kerja", "laporan_pemeriksaan"))


def reported(services: Services, files: Files, findings: int = 2) -> str:
    number = drafted(services, files, findings)
    act(services, number, "serahkan_laporan", "agus")
    return number


def signed(services: Services, files: Files) -> str:
    number = reported(services, files)
    act(services, number, "tandatangani", "heru")
    act(services, number, "tandatangani", "nuraini")
    return number


def followed_up(services: Services, files: Files) -> str:
    number = signed(services, files)
    act(services, number, "laporkan_tindak_lanjut", "bambang",
        values={"uraian_tindak_lanjut": "1. Buku tamu diisi, petugas: Rina. 2. Rp2,1 juta disetor ke BRI 24-11."},
        files=pdfs(files, "bukti_tindak_lanjut"))
    return number


def test_findings_are_reported_signed_followed_up_and_closed(services: Services, files) -> None:
    number = followed_up(services, files)
    assert state(services, number) == "verifikasi_tindak_lanjut"
    act(services, number, "tutup", "heru", values={"jumlah_temuan_terbuka": 0})
    view = services.show(number, None)
    assert view.summary.state == "ditutup" and view.summary.final
    assert [e.action for e in view.history] == [
        "mulai", "serahkan_laporan", "tandatangani", "tandatangani", "laporkan_tindak_lanjut", "tutup"]


def test_an_inspection_without_findings_closes_once_signed(services: Services, files) -> None:
    number = reported(services, files, findings=0)
    act(services, number, "tandatangani", "agus")
    act(services, number, "tandatangani", "nuraini")
    assert state(services, number) == "ditutup"


def test_open_findings_keep_the_case_open_until_every_one_is_closed(services: Services, files) -> None:
    number = followed_up(services, files)
    refused(services, number, "belum_tuntas", "heru", ValidationError, "tidak terpenuhi",
            values={"jumlah_temuan_terbuka": 3}, comment="Tiga?")
    act(services, number, "belum_tuntas", "heru", values={"jumlah_temuan_terbuka": 1},
        comment="Temuan 1: buku tamu baru diisi November")
    assert state(services, number) == "tindak_lanjut"
    refused(services, number, "tutup", "heru", TatakelolaError, "Menunggu tindak lanjut pengurus",
            values={"jumlah_temuan_terbuka": 0})
    act(services, number, "laporkan_tindak_lanjut", "rina",
        values={"uraian_tindak_lanjut": "Buku tamu Agustus-Oktober direkap dari buku ekspedisi"},
        files=pdfs(files, "bukti_tindak_lanjut"))
    refused(services, number, "tutup", "heru", ValidationError, "tidak terpenuhi", values={"jumlah_temuan_terbuka": 1})
    act(services, number, "tutup", "heru", values={"jumlah_temuan_terbuka": 0})
    assert state(services, number) == "ditutup"


def test_a_cash_difference_above_the_tolerance_must_be_a_finding(services: Services, files) -> None:
    outcome = {}
    for short in (9_999, 10_000, 10_001):
        number = drafted(services, files, cash_short=short)
        with contextlib.suppress(ValidationError):
            act(services, number, "serahkan_laporan", "agus")
        outcome[short] = state(services, number)
    assert outcome == {9_999: "penandatanganan_laporan", 10_000: "penandatanganan_laporan", 10_001: "pemeriksaan"}
    number = drafted(services, files, findings=1, cash_short=10_001)
    act(services, number, "serahkan_laporan", "agus")
    assert state(services, number) == "penandatanganan_laporan"


def test_a_stock_difference_above_the_percentage_must_be_a_finding(services: Services, files) -> None:
    limit = BOOK_STOCK * 1 // 100
    outcome = {}
    for short in (limit - 1, limit, limit + 1):
        number = drafted(services, files, stock_short=short)
        with contextlib.suppress(ValidationError):
            act(services, number, "serahkan_laporan", "agus")
        outcome[short] = state(services, number)
    assert outcome == {limit - 1: "penandatanganan_laporan", limit: "penandatanganan_laporan", limit + 1: "pemeriksaan"}


def test_the_follow_up_deadline_must_be_after_the_inspection(services: Services, files) -> None:
    number = start(services, WF, "agus", {**inspection(2), "batas_tindak_lanjut": "2026-11-24"},
                   pdfs(files, "kertas_kerja", "laporan_pemeriksaan"))
    refused(services, number, "serahkan_laporan", "agus", ValidationError, "tidak terpenuhi")


def test_the_report_needs_exactly_the_configured_number_of_pengawas_signatures(
        services: Services, files, tmp_path: Path) -> None:
    number = reported(services, files)
    first = act(services, number, "tandatangani", "agus")
    assert (first.fired, first.votes, first.needed) == (False, 1, 2)
    refused(services, number, "tandatangani", "agus", PermissionDeniedError, "sudah memberikan suara")
    assert act(services, number, "tandatangani", "heru").fired
    reimport(services, tmp_path, settings={"kuorum_pengawas": 3})
    number = reported(services, files)
    assert not act(services, number, "tandatangani", "agus").fired
    assert not act(services, number, "tandatangani", "heru").fired
    assert act(services, number, "tandatangani", "nuraini").fired


def test_a_draft_report_can_be_sent_back_to_its_author(services: Services, files) -> None:
    number = reported(services, files)
    act(services, number, "kembalikan", "nuraini", comment="Temuan 2 belum menyebut penanggung jawab")
    assert state(services, number) == "pemeriksaan"


def test_only_pengurus_in_office_report_follow_up_and_nobody_closes_their_own(
        services: Services, files, tmp_path: Path) -> None:
    reimport(services, tmp_path, roles=[{"person": "heru", "role": "sekretaris", "start": "2026-11-01"}],
             ended={("rina", "sekretaris"): "2026-10-31"})
    number = signed(services, files)
    refused(services, number, "laporkan_tindak_lanjut", "wahyu", PermissionDeniedError, "berakhir 31 Desember 2025",
            values={"uraian_tindak_lanjut": "x"}, files=pdfs(files, "bukti_tindak_lanjut"))
    refused(services, number, "laporkan_tindak_lanjut", "siti", PermissionDeniedError, "tidak memegang peran",
            values={"uraian_tindak_lanjut": "x"}, files=pdfs(files, "bukti_tindak_lanjut"))
    act(services, number, "laporkan_tindak_lanjut", "heru", values={"uraian_tindak_lanjut": "Semua sudah"},
        files=pdfs(files, "bukti_tindak_lanjut"))
    refused(services, number, "tutup", "heru", PermissionDeniedError, "mengajukan", values={"jumlah_temuan_terbuka": 0})
    act(services, number, "tutup", "agus", values={"jumlah_temuan_terbuka": 0})
    assert state(services, number) == "ditutup"
