"""The Laporan Hasil Pengawasan: aspects with the database's figures, findings in words, follow-ups, signatures."""

from __future__ import annotations

import io
import re
from datetime import date

import pytest
from pypdf import PdfReader

from engine.demo import DEMO_CITY
from engine.errors import PermissionDeniedError
from engine.services import Services
from engine.services.documents import DocumentService
from tests.helpers import COOP, KAS_PAY_CHECKS, KAS_VERIFY_CHECKS, submitted_kas
from tests.integration.documents.conftest import pdf_text, quorum_kas
from tests.integration.workflows.helpers import act, pdfs, start

PERIOD = (date(2026, 11, 1), date(2026, 12, 31))
NOTE = "Buku tamu tidak diisi sejak Agustus: isi dan tunjuk petugas (sekretaris, 15 Desember)."


def _cooperative_with_a_finding(services: Services, files, clock) -> tuple[str, str, str, str]:
    """A decided KAS (5 actions), a KAS verified 10 days late (the finding), its follow-up and an inspection."""
    decided = quorum_kas(services, files)
    services.act(decided, "bayar", "sri", checks=KAS_PAY_CHECKS, files={"kuitansi": files("k.pdf")})
    late = submitted_kas(services, 200_000, files("late.pdf"))
    clock.advance(days=10)
    services.act(late, "verifikasi", "sri", checks=KAS_VERIFY_CHECKS)
    [followup] = services.open_followups(COOP, "agus", services.findings(COOP).findings)
    services.act(followup, "sampaikan", "agus", values={
        "rekomendasi": "Bendahara memverifikasi paling lambat 2 hari kerja.",
        "pihak_bertanggung_jawab": "Bendahara", "batas_waktu": "2026-12-31"},
        checks=["bukti_diperiksa", "rekomendasi_terukur"])
    inspection = start(services, "pemeriksaan_berkala", "agus", {
        "periode": "Triwulan IV 2026", "tanggal_pemeriksaan": "2026-12-04",
        "ruang_lingkup": "Kas gerai dan kantor, persediaan gerai sembako",
        "saldo_kas_buku": 7_100_000, "saldo_kas_fisik": 7_100_000, "nilai_stok_buku": 10_000_000,
        "nilai_stok_fisik": 10_000_000, "hasil_kepatuhan": "14 dari 16 buku wajib terisi",
        "jumlah_temuan": 1, "temuan_dan_rekomendasi": NOTE, "batas_tindak_lanjut": "2026-12-15"},
        pdfs(files, "kertas_kerja", "laporan_pemeriksaan"))
    act(services, inspection, "serahkan_laporan", "agus")
    return decided, late, followup, inspection


def test_the_lhp_reports_each_aspect_the_findings_and_their_follow_up(docs: DocumentService, services: Services,
                                                                     files, clock) -> None:
    decided, late, followup, inspection = _cooperative_with_a_finding(services, files, clock)
    issued = docs.lhp(COOP, *PERIOD, actor="heru")  # a pengawas of the cooperative
    assert issued.number == "LHP-20261101-20261231" and issued.recorded
    text = pdf_text(issued.data)
    for heading in ("LAPORAN HASIL PENGAWASAN", "I. Ruang lingkup", "A. Kelembagaan", "B. Usaha dan pelaksanaan SOP",
                    "C. Keuangan", "III. Temuan dan rekomendasi", "IV. Status tindak lanjut temuan", "V. Penutup"):
        assert heading in text
    assert "1 November 2026 s.d. 31 Desember 2026" in text and "Undang-Undang Nomor 25 Tahun 1992" in text
    # Kelembagaan: seats by label with the names of the roster
    assert "Ketua Pengurus Bambang Sutrisno" in text and "Bendahara Sri Handayani" in text
    assert "8 dari 8 jabatan terisi" in text and "Buku Daftar Anggota belum diisi" in text
    # each case once, under its status at the end of the period (the paid KAS had 6 actions)
    assert "Persetujuan Pengeluaran Kas 2 1 0 0 1 0" in text
    assert "Pemeriksaan Berkala oleh Pengawas dan Tindak Lanjut Temuan 1 0 0 0 1 0" in text
    assert "Pengeluaran kas yang disetujui dalam periode: 1 pengajuan, Rp 18.750.000" in text
    # the finding in words, its recommendation, and its follow-up's status
    assert "Langkah melewati tenggat (kasus " + late + ")" in text
    assert "Langkah 'Verifikasi bendahara' diselesaikan 8 hari setelah tenggat (2 hari kerja)." in text
    assert "Selesaikan setiap langkah dalam mutu baku waktu SOP" in text
    assert f"{followup}: Menunggu tanggapan pengurus (terbuka); batas waktu 31 Desember 2026; Bendahara" in text
    assert "Terbuka — Menunggu tanggapan pengurus" in text and "(temuan no. 1)" in text
    # the pengawas' own notes
    assert f"Pemeriksaan berkala {inspection} — Triwulan IV 2026, 4 Desember 2026" in text and NOTE in text
    # signatures: the pengawas in office at the end of the period, by name and seat
    assert "Ketua Pengawas" in text and "Agus Santoso, S.Sos." in text
    assert "Heru Wibowo" in text and "Nur Aini" in text
    # no codes: no snake_case identifiers, no finding ids
    assert not re.findall(r"\b[a-z]+_[a-z_]+\b", text), re.findall(r"\b[a-z]+_[a-z_]+\b", text)
    assert not re.search(r"\bT-[0-9A-F]{10}\b", text)
    assert decided not in text.split("III. Temuan")[1].split("IV.")[0]  # the clean case is no finding
    pages = [" ".join((p.extract_text() or "").split()) for p in PdfReader(io.BytesIO(issued.data)).pages]
    assert all(len(p) > 400 for p in pages), [len(p) for p in pages]  # no near-empty page
    assert docs.verify(issued.data).ok


def test_the_lhp_is_for_the_pengawas_and_the_dinas_only(docs: DocumentService, services: Services) -> None:
    with pytest.raises(PermissionDeniedError, match="hanya untuk pengawas"):
        docs.lhp(COOP, *PERIOD, actor="sri")  # the bendahara
    with pytest.raises(PermissionDeniedError):
        docs.lhp(COOP, *PERIOD, actor="bambang")  # the ketua pengurus
    services.import_org(DEMO_CITY)
    assert docs.lhp(COOP, date(2026, 11, 1), date(2026, 11, 30), actor="ratna").pages >= 1  # the Dinas officer
