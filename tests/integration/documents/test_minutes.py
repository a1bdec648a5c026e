"""The Berita Acara of a decided case: what, who in which role, when, votes, amounts in figures and words."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select, text

from engine.adapters.store.models import IssuedDocument
from engine.errors import ValidationError
from engine.services import Services
from engine.services.documents import DocumentService, IssuedPdf
from engine.settings import Settings
from tests.conftest import ON_POSTGRES
from tests.helpers import COOP, KAS_DRAFT_CHECKS, start_kas, submitted_kas
from tests.integration.documents.conftest import (
    attachments,
    pdf_text,
    quorum_kas,
    ratified_rk_rapb,
    with_pimpinan_rapat,
)
from tests.integration.workflows.helpers import members


@pytest.fixture(scope="module")
def shared_docs(shared: Services) -> DocumentService:
    return shared.documents


@pytest.fixture(scope="module")
def decided(shared: Services, shared_docs: DocumentService, shared_files) -> tuple[str, IssuedPdf]:
    """KAS/2026/0001 decided by quorum (entries #1-#6) and its Berita Acara."""
    number = quorum_kas(shared, shared_files)
    return number, shared_docs.minutes(number)


def test_the_berita_acara_says_what_was_decided_by_whom_in_which_role_and_when(
        decided: tuple[str, IssuedPdf]) -> None:
    _, issued = decided
    assert issued.number == "001/BA/KKMP-SNT/XI/2026" and issued.filename == "001-BA-KKMP-SNT-XI-2026.pdf"
    body = pdf_text(issued.data)
    assert "BERITA ACARA" in body and "PERSETUJUAN PENGELUARAN KAS" in body and "Nomor: 001/BA/KKMP-SNT/XI/2026" in body
    assert "Pembelian keperluan gerai" in body and "Toko Maju" in body
    assert "Rp 18.750.000" in body
    assert "(delapan belas juta tujuh ratus lima puluh ribu rupiah)" in body
    assert "Selasa" in body and "tanggal dua puluh empat bulan November tahun dua ribu dua puluh enam" in body
    assert "24 November 2026 pukul 10.00 WIB" in body
    for name, role in (("Fajar Nugroho", "Manajer / Pengelola"), ("Sri Handayani", "Bendahara"),
                       ("Bambang Sutrisno", "Ketua Pengurus"), ("Agus Santoso, S.Sos.", "Pengawas"),
                       ("Heru Wibowo", "Pengawas")):
        assert name in body and role in body
    assert "Stok beras menipis." in body and "Harga sesuai HET." in body
    assert "2 dari 2" in body and "kuorum tercapai" in body
    for caption in ("Diajukan oleh", "Diverifikasi oleh", "Disetujui oleh"):
        assert caption in body
    assert "Mojokerto, 24 November 2026" in body


def test_a_rejection_is_minuted_with_its_reason(shared_docs: DocumentService, shared: Services,
                                                shared_files) -> None:
    number = submitted_kas(shared, 300_000, shared_files("n.pdf"))
    shared.act(number, "tolak", "sri", comment="Nota tidak sah.")
    body = pdf_text(shared_docs.minutes(number).data)
    assert "DITOLAK" in body and "Nota tidak sah." in body and "Ditolak oleh" in body
    assert "Rp 300.000" in body and "(tiga ratus ribu rupiah)" in body


def test_a_case_without_a_decision_has_no_berita_acara(shared_docs: DocumentService, shared: Services,
                                                       shared_files) -> None:
    number = start_kas(shared, 100_000, shared_files("u.pdf"))
    shared.act(number, "ajukan", "fajar", checks=KAS_DRAFT_CHECKS)
    with pytest.raises(ValidationError, match="belum memuat keputusan"):
        shared_docs.minutes(number)


def test_the_decision_entries_proofs_checkpoint_and_key_are_embedded(decided: tuple[str, IssuedPdf],
                                                                   shared: Services) -> None:
    number, issued = decided
    files_in = attachments(issued.data)
    assert set(files_in) == {"entries.jsonl", "proofs.json", "checkpoint.txt", "verifier-key.txt", "content.json",
                             "manifest.json"}
    entries = files_in["entries.jsonl"].decode().splitlines()
    assert [json.loads(e)["case"] for e in entries] == [number] * 6
    proofs = json.loads(files_in["proofs.json"])
    assert [p["seq"] for p in proofs] == [1, 2, 3, 4, 5, 6] and all(p["tree_size"] == 6 for p in proofs)
    assert files_in["checkpoint.txt"].decode().startswith("tatakelola/kkmp-sentanan\n6\n")
    assert files_in["verifier-key.txt"].decode().strip() == shared.signer.verifier_key
    body = pdf_text(issued.data)
    assert f"Jejak: 6 catatan, akar {proofs[0]['root'][:32]}" in body


def test_the_same_case_prints_the_same_bytes_even_after_the_log_grows(
        decided: tuple[str, IssuedPdf], shared_docs: DocumentService, shared: Services, shared_files) -> None:
    number, first = decided
    submitted_kas(shared, 50_000, shared_files("later.pdf"))  # more entries after the decision
    second = shared_docs.minutes(number)
    assert first.data == second.data


def test_source_date_epoch_fixes_the_printed_and_embedded_dates(
        decided: tuple[str, IssuedPdf], shared: Services) -> None:
    number, _ = decided
    settings = Settings.from_env({"SOURCE_DATE_EPOCH": "1767225600"},  # 2026-01-01T00:00:00Z
                                 db_url=shared.settings.db_url, key_path=shared.settings.key_path)
    docs = Services(settings, clock=shared.clock).documents
    first, second = docs.minutes(number), docs.minutes(number)
    assert first.data == second.data
    assert b"D:20260101000000" in first.data or b"2026-01-01T00:00:00Z" in first.data


def test_every_issued_pdf_is_recorded_with_its_sha256(decided: tuple[str, IssuedPdf], shared: Services) -> None:
    number, issued = decided
    with shared.db.session() as session:
        row = session.scalars(select(IssuedDocument).where(IssuedDocument.sha256 == issued.sha256)).one()
    assert (row.kind, row.sha256, row.pages, row.log_size) == ("berita_acara", issued.sha256, issued.pages, 6)
    assert row.subject == number and row.size == len(issued.data)


def test_the_register_of_issued_documents_is_append_only(decided: tuple[str, IssuedPdf], shared: Services) -> None:
    with pytest.raises(Exception, match="append-only"), shared.db.db_engine.begin() as conn:
        conn.execute(text("UPDATE issued_documents SET sha256 = 'x'"))
    statement = "DELETE FROM issued_documents"
    with pytest.raises(Exception, match="append-only"), shared.db.db_engine.begin() as conn:
        conn.execute(text(statement))
    if ON_POSTGRES:
        with pytest.raises(Exception, match="append-only"), shared.db.db_engine.begin() as conn:
            conn.execute(text("TRUNCATE issued_documents"))


def _board_meeting(services: Services, files, present: str) -> str:
    number = services.start_case("keputusan_rapat_pengurus", COOP, "rina", values={
        "judul": "Jam buka gerai", "uraian": "Gerai buka 07.00-21.00", "tanggal_rapat": "2026-11-20",
        "hadir": present}, files={"notulen": files("notulen.pdf")}).summary.number
    services.act(number, "ajukan", "rina", checks=["undangan_terkirim", "daftar_hadir"])
    return number


def test_the_berita_acara_of_a_board_meeting_lists_who_was_present_absent_and_silent(
        docs: DocumentService, services: Services, files) -> None:
    number = _board_meeting(services, files, "bambang,dwi,endang,rina")  # Sri (bendahara) absent
    for who in ("bambang", "dwi", "endang"):
        services.act(number, "setujui", who)
    body = pdf_text(docs.minutes(number).data)
    assert ("Hadir 4 dari 5 pengurus (kuorum kehadiran tercapai: lebih dari 50%). "
            "Setuju 3, menolak 0, tidak memberi suara 1.") in body
    present = body[body.index("Hadir (4)"):body.index("Tidak hadir (1)")]
    absent = body[body.index("Tidak hadir (1)"):body.index("Hadir tetapi tidak memberi suara (1)")]
    silent = body[body.index("Hadir tetapi tidak memberi suara (1)"):body.index("Riwayat langkah")]
    for name, office in (("Bambang Sutrisno", "Ketua Pengurus"), ("Dwi Prasetyo", "Wakil Ketua Bidang Usaha"),
                         ("Endang Lestari", "Wakil Ketua Bidang Keanggotaan"), ("Rina Wulandari", "Sekretaris")):
        assert f"{name} {office}" in present
    assert "Sri Handayani Bendahara" in absent and "Sri" not in present
    assert "Rina Wulandari Sekretaris" in silent and "Bambang" not in silent  # rina proposed, so she did not vote
    assert "Jumlah pengurus hadir" not in body


def test_a_rejection_by_the_pengurus_present_is_counted_as_such(docs: DocumentService, services: Services,
                                                                files) -> None:
    number = _board_meeting(services, files, "bambang,dwi,endang,rina,sri")
    services.act(number, "setujui", "bambang")
    for who in ("dwi", "endang", "sri"):
        services.act(number, "tolak", who, comment="Jam buka terlalu panjang")
    body = pdf_text(docs.minutes(number).data)
    assert "Hadir 5 dari 5 pengurus (kuorum kehadiran tercapai: lebih dari 50%). " \
           "Setuju 1, menolak 3, tidak memberi suara 1." in body


def test_the_berita_acara_of_a_rapat_anggota_lists_members_by_number_or_counts_a_long_list(
        docs: DocumentService, services: Services, files, tmp_path) -> None:
    with_pimpinan_rapat(services, tmp_path)
    body = pdf_text(docs.minutes(ratified_rk_rapb(services, files)).data)
    assert "Hadir 18 dari 25 anggota (kuorum kehadiran tercapai: lebih dari 50%)." in body
    assert "Hadir (18)" in body and "KKMP-STN-0001 Ahmad Fauzi" in body
    assert "Tidak hadir (7)" in body and "KKMP-STN-0019 Tri Handayani" in body
    assert "tidak memberi suara" not in body  # members are counted, not polled one by one

    numbers = members(services, 100)  # 125 members: 70 present is more than half
    number = ratified_rk_rapb(services, files, 2028, present=",".join(numbers[:70]))
    body = pdf_text(docs.minutes(number).data)
    assert "Hadir 70 dari 125 anggota (kuorum kehadiran tercapai: lebih dari 50%)." in body
    assert "Hadir 70 anggota, tidak hadir 55 anggota dari 125 anggota yang tercatat pada tanggal rapat; " \
           "daftar hadir terlampir." in body
    assert "KKMP-STN-1001" not in body
