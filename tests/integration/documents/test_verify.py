"""`doc verify`: an issued PDF verifies offline and against the database; any changed byte of its
attachments or proofs is caught."""

from __future__ import annotations

import io
import json

import pytest
from pypdf import PdfReader
from sqlalchemy import text

from engine.services import Services
from engine.services.documents import DocumentService, IssuedPdf, verify_pdf
from tests.conftest import ON_POSTGRES
from tests.integration.documents.conftest import flip, quorum_kas, replace_attachment


@pytest.fixture(scope="module")
def minutes(shared: Services, shared_files) -> IssuedPdf:
    return shared.documents.minutes(quorum_kas(shared, shared_files))


def messages(data: bytes, services: Services | None = None) -> tuple[bool, str]:
    result = verify_pdf(data, services.db if services else None)
    return result.ok, " | ".join(c.message for c in result.checks)


def test_an_issued_pdf_verifies_offline_and_against_the_database(minutes: IssuedPdf, shared: Services) -> None:
    ok, said = messages(minutes.data)
    assert ok, said
    assert "6 catatan terbukti termuat dalam log" in said and "Checkpoint bertanda tangan sah" in said
    ok, said = messages(minutes.data, shared)
    assert ok, said
    assert "tercatat di basis data: 001/BA/KKMP-SNT/XI/2026" in said and "Kunci verifikasi terdaftar" in said


@pytest.mark.parametrize("name", ["entries.jsonl", "proofs.json", "checkpoint.txt", "verifier-key.txt",
                                  "manifest.json"])
def test_changing_one_byte_of_any_attachment_is_rejected(minutes: IssuedPdf, name: str) -> None:
    tampered = replace_attachment(minutes.data, name, flip)
    ok, said = messages(tampered)
    assert not ok, said


def test_a_consistent_forgery_of_entry_and_manifest_is_still_rejected(minutes: IssuedPdf) -> None:
    """Changing an entry and re-hashing the manifest breaks the proof and the printed fingerprint."""
    import hashlib

    forged_entries = replace_attachment(minutes.data, "entries.jsonl",
                                        lambda b: b.replace(b'"role":"ketua"', b'"role":"pengawas"'))
    reader = PdfReader(io.BytesIO(forged_entries))
    files = {n: c[0] for n, c in reader.attachments.items()}
    manifest = json.loads(files["manifest.json"])
    manifest["files"]["entries.jsonl"] = hashlib.sha256(files["entries.jsonl"]).hexdigest()
    rewritten = (json.dumps(manifest, ensure_ascii=False, sort_keys=True, indent=2) + "\n").encode()
    forged = replace_attachment(forged_entries, "manifest.json", lambda _: rewritten)
    ok, said = messages(forged)
    assert not ok
    assert "hash daun tidak cocok" in said or "isi catatan berbeda" in said
    assert "Teks tercetak tidak cocok" in said


def test_a_byte_flipped_inside_the_embedded_proof_stream_is_rejected(minutes: IssuedPdf) -> None:
    reader = PdfReader(io.BytesIO(minutes.data))
    names = reader.trailer["/Root"]["/Names"]["/EmbeddedFiles"]["/Names"]
    index = [str(n) for n in names[::2]].index("proofs.json")
    stream_ref = names[2 * index + 1].get_object()["/EF"].raw_get("/F")
    start = minutes.data.index(f"\n{stream_ref.idnum} 0 obj".encode())
    data_at = minutes.data.index(b"stream\n", start) + len(b"stream\n") + 40
    tampered = flip(minutes.data, data_at)
    ok, said = messages(tampered)
    assert not ok, said


def test_a_changed_copy_is_not_the_recorded_document(minutes: IssuedPdf, shared: Services) -> None:
    reason = b" diterbitkan Tatakelola)"  # /Reason of the signature dictionary: the copy is still a readable PDF
    assert minutes.data.count(reason) == 1
    copy = minutes.data.replace(reason, reason.replace(b"Tatakelola", b"Tatakelolb"))
    ok, said = messages(copy, shared)
    assert not ok and "tidak tercatat di basis data" in said
    assert "diubah setelah dokumen ditandatangani" in said


def test_an_entry_changed_in_the_database_after_issue_is_caught(docs: DocumentService, services: Services,
                                                                files) -> None:
    minutes = docs.minutes(quorum_kas(services, files))
    with services.db.db_engine.begin() as conn:
        if ON_POSTGRES:
            conn.exec_driver_sql("ALTER TABLE audit_entries DISABLE TRIGGER ALL")
        else:
            conn.exec_driver_sql("DROP TRIGGER trg_audit_entries_no_update")
        conn.execute(text("UPDATE audit_entries SET body = replace(body, '\"ketua\"', '\"manajer\"') WHERE seq = 4"))
    ok, said = messages(minutes.data)
    assert ok, said  # the paper and its proofs are self-consistent ...
    ok, said = messages(minutes.data, services)
    assert not ok and "Catatan berbeda atau hilang di basis data: #4" in said  # ... the database is not


def test_a_file_that_is_not_an_issued_document_is_rejected(services: Services) -> None:
    ok, said = messages(b"%PDF-1.4\nnot really\n")
    assert not ok and ("bukan PDF" in said or "manifest.json tidak ada" in said)


def test_the_issue_date_is_told_in_the_cooperatives_time_zone(services: Services, clock) -> None:
    """Issued at 20.00 UTC on 29 November = 03.00 WIB on 30 November, the date the PDF itself prints."""
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    clock.now = datetime(2026, 11, 29, 20, 0, tzinfo=UTC)
    issued = services.documents.sop("pengeluaran_kas", "kkmp-sentanan")
    said = " | ".join(c.message for c in services.documents.verify(issued.data).checks)
    assert "diterbitkan 30 November 2026" in said and "29 November" not in said
    _, offline_default = messages(issued.data, services)  # the module function defaults to WIB
    assert "diterbitkan 30 November 2026" in offline_default
    in_utc = verify_pdf(issued.data, services.db, ZoneInfo("UTC"))
    assert any("diterbitkan 29 November 2026" in c.message for c in in_utc.checks)
