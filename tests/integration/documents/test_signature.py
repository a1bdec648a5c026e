"""Every issued PDF carries a PDF signature (PAdES) over all of its bytes: a figure changed on the page,
or anything added after signing, fails `doc verify`, offline too; the signer is named, and against the
database the certificate must be this installation's. The page, the PDF/A metadata and the
attachments stay as they were; the same input still gives the same bytes."""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import os
import re
import stat
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from pypdf import PdfReader

from engine.adapters.render.identity import create_identity, load_identity
from engine.adapters.render.signature import check_signature, sign_pdf
from engine.domain.definitions.registry import Registry
from engine.services import Services
from engine.services.documents import EXAMPLE_WORKBOOK, IssuedPdf, PdfVerification, verify_pdf
from engine.settings import Settings
from tests.helpers import COOP
from tests.integration.documents.conftest import (
    attachments,
    change_printed_amount,
    flip,
    pdf_text,
    quorum_kas,
    unsigned_revision,
)

SIGNATURE_WORDS = ("tanda tangan", "ditandatangani")


@pytest.fixture(scope="module")
def minutes(shared: Services, shared_files) -> IssuedPdf:
    """The Berita Acara of KAS/2026/0001 (Rp 18.750.000), signed."""
    return shared.documents.minutes(quorum_kas(shared, shared_files))


@pytest.fixture(scope="module")
def fingerprint(shared: Services, minutes: IssuedPdf) -> str:
    """SHA-256 of the installation's certificate, from the .crt file beside the key."""
    certificate = x509.load_pem_x509_certificate(shared.settings.document_cert_path.read_bytes())
    return hashlib.sha256(certificate.public_bytes(serialization.Encoding.DER)).hexdigest()


def said(result: PdfVerification) -> str:
    return " | ".join(c.message for c in result.checks)


def only_the_signature_fails(result: PdfVerification) -> bool:
    """Every other check passes: without the signature, the copy would have been called genuine."""
    return bool(result.problems) and all(any(w in p.message for w in SIGNATURE_WORDS) for p in result.problems)


def test_a_berita_acara_is_signed_and_verifies_offline_naming_the_signer(minutes: IssuedPdf, fingerprint: str,
                                                                         shared: Services) -> None:
    assert minutes.signed_by == "Tatakelola — tatakelola"
    offline = verify_pdf(minutes.data)
    assert offline.ok, said(offline)
    assert "Tanda tangan digital (PAdES) sah dan mencakup seluruh berkas pada 24 November 2026" in said(offline)
    assert f"Ditandatangani oleh: Tatakelola — tatakelola (sidik sertifikat SHA-256 {fingerprint[:16]}…)" \
        in said(offline)
    assert (offline.signer, offline.signer_sha256) == ("Tatakelola — tatakelola", fingerprint)
    online = verify_pdf(minutes.data, shared.db)
    assert online.ok, said(online)
    assert f"Sertifikat penanda tangan terdaftar di basis data sebagai sertifikat instalasi ini (sidik " \
           f"{fingerprint[:16]}…)" in said(online)


def test_the_signature_is_pades_over_the_whole_file_at_the_documents_own_date(minutes: IssuedPdf) -> None:
    check = check_signature(minutes.data)
    assert check.ok and check.count == 1 and check.trailing == 0
    assert check.signed_at == datetime(2026, 11, 24, 3, 0, tzinfo=UTC)  # the decision's time, not the clock's
    reader = PdfReader(io.BytesIO(minutes.data))
    field = reader.get_fields()["Tatakelola"]
    signature = field["/V"]
    assert signature["/SubFilter"] == "/ETSI.CAdES.detached" and signature["/M"] == "D:20261124030000Z"
    start, first, second, length = (int(x) for x in signature["/ByteRange"])
    assert start == 0 and second + length == len(minutes.data)
    assert minutes.data[first:first + 1] == b"<" and minutes.data[second - 1:second] == b">"  # only /Contents
    assert reader.trailer["/Root"]["/Perms"]["/DocMDP"] == signature  # certified: no changes allowed


def test_the_page_metadata_and_attachments_are_unchanged_by_signing(minutes: IssuedPdf) -> None:
    unsigned = unsigned_revision(minutes.data)
    assert minutes.data.startswith(unsigned) and len(minutes.data) > len(unsigned)  # an incremental update
    signed, original = PdfReader(io.BytesIO(minutes.data)), PdfReader(io.BytesIO(unsigned))
    assert pdf_text(minutes.data) == pdf_text(unsigned)
    assert signed.pages[0]["/Contents"].get_data() == original.pages[0]["/Contents"].get_data()
    assert dict(signed.metadata or {}) == dict(original.metadata or {})  # no wall-clock ModDate, no new Producer
    assert signed.metadata["/ModDate"] == "D:20261124030000Z"
    xmp = signed.xmp_metadata.stream.get_data()
    assert xmp == original.xmp_metadata.stream.get_data()
    assert b'pdfaid:part="3"' in xmp and b'pdfaid:conformance="B"' in xmp
    files = attachments(minutes.data)
    assert files == attachments(unsigned)
    assert list(files) == ["entries.jsonl", "proofs.json", "checkpoint.txt", "verifier-key.txt", "content.json",
                           "manifest.json"]


def test_content_json_holds_the_figures_names_and_dates_the_berita_acara_prints(minutes: IssuedPdf) -> None:
    files = attachments(minutes.data)
    content = json.loads(files["content.json"])
    manifest = json.loads(files["manifest.json"])
    assert manifest["files"]["content.json"] == hashlib.sha256(files["content.json"]).hexdigest()
    assert files["content.json"] == (json.dumps(content, ensure_ascii=False, sort_keys=True, indent=2)
                                     + "\n").encode()
    m = content["m"]
    fields = {f["label"]: f for f in m["fields"]}
    assert fields["Jumlah (Rp)"]["value"] == "Rp 18.750.000"
    assert fields["Jumlah (Rp)"]["words"] == "delapan belas juta tujuh ratus lima puluh ribu rupiah"
    assert m["case_number"] == "KAS/2026/0001" and m["decided"] == "2026-11-24T03:00:00+00:00"
    assert [(e["actor"], e["role"]) for e in m["events"]][-2:] == [
        ("Agus Santoso, S.Sos.", "Ketua Pengawas"), ("Heru Wibowo", "Pengawas")]  # the seat held that day
    assert {s["name"] for s in m["signers"]} >= {"Fajar Nugroho", "Sri Handayani", "Bambang Sutrisno"}
    assert content["org"]["name"] == "Koperasi Kelurahan Merah Putih Sentanan"


@pytest.mark.parametrize("incremental", [False, True], ids=["rewritten", "incremental-update"])
def test_an_amount_changed_on_the_page_is_rejected_offline(minutes: IssuedPdf, incremental: bool) -> None:
    forged = change_printed_amount(minutes.data, "18.750.000", "18.250.000", incremental=incremental)
    text = pdf_text(forged)
    assert "Rp 18.250.000" in text and "Rp 18.750.000" not in text
    result = verify_pdf(forged)
    assert not result.ok
    assert only_the_signature_fails(result), said(result)  # the attachments alone would not have noticed
    reason = result.problems[0].message
    if incremental:
        assert "ditambahkan ke berkas setelah ditandatangani" in reason
    else:
        assert "ada bita yang diubah setelah dokumen ditandatangani" in reason


def test_one_byte_changed_in_the_page_content_stream_is_rejected(minutes: IssuedPdf, shared: Services) -> None:
    reader = PdfReader(io.BytesIO(minutes.data))
    stream = reader.pages[0].raw_get("/Contents")
    start = minutes.data.index(f"\n{stream.idnum} 0 obj".encode())
    at = minutes.data.index(b"stream\n", start) + len(b"stream\n") + 100
    tampered = flip(minutes.data, at)
    for db in (None, shared.db):
        result = verify_pdf(tampered, db)
        assert not result.ok
        assert "ada bita yang diubah setelah dokumen ditandatangani" in result.problems[0].message


def test_bytes_appended_after_the_signature_are_rejected(minutes: IssuedPdf, shared: Services) -> None:
    appended = minutes.data + b"% catatan tambahan\n"
    result = verify_pdf(appended)
    assert not result.ok and only_the_signature_fails(result)
    assert result.problems[0].message.startswith("Ada 19 bita yang ditambahkan ke berkas setelah ditandatangani")
    assert not verify_pdf(appended, shared.db).ok


def test_a_pdf_signed_by_another_certificate_passes_offline_naming_it_but_not_against_the_database(
        minutes: IssuedPdf, shared: Services, tmp_path: Path, fingerprint: str) -> None:
    other = create_identity(tmp_path / "lain-pdf.key", tmp_path / "lain-pdf.crt", "koperasi-lain")
    assert other.fingerprint != fingerprint
    resigned = sign_pdf(unsigned_revision(minutes.data), other, when=minutes.when or datetime.now(UTC),
                        reason=f"Dokumen {minutes.number} diterbitkan Tatakelola")
    offline = verify_pdf(resigned)
    assert offline.ok, said(offline)
    assert f"Ditandatangani oleh: Tatakelola — koperasi-lain (sidik sertifikat SHA-256 {other.fingerprint[:16]}…)" \
        in said(offline)
    online = verify_pdf(resigned, shared.db)
    assert not online.ok
    assert online.problems[0].message.startswith(
        f"Sertifikat penanda tangan (Tatakelola — koperasi-lain, sidik {other.fingerprint[:16]}…) bukan sertifikat "
        "instalasi ini")


def test_signing_is_deterministic(minutes: IssuedPdf, shared: Services, tmp_path: Path) -> None:
    identity = load_identity(shared.settings.document_key_path)
    unsigned = unsigned_revision(minutes.data)
    when = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)
    first = sign_pdf(unsigned, identity, when=when, reason=f"Dokumen {minutes.number} diterbitkan Tatakelola")
    second = sign_pdf(unsigned, identity, when=when, reason=f"Dokumen {minutes.number} diterbitkan Tatakelola")
    assert first == second == minutes.data
    # a fresh engine on the same database and key (the key read from its file) prints the same bytes
    again = Services(shared.settings, clock=shared.clock).documents.minutes("KAS/2026/0001")
    assert again.data == minutes.data


def test_the_key_and_certificate_are_created_beside_the_signing_key_on_first_use(services: Services, files) -> None:
    settings = services.settings
    key, crt = settings.document_key_path, settings.document_cert_path
    assert (key.name, crt.name) == ("signing-pdf.key", "signing-pdf.crt") and key.parent == settings.key_path.parent
    assert not key.exists()  # init makes the checkpoint key; the PDF key waits for `tatakelola init` or a document
    issued = services.documents.minutes(quorum_kas(services, files))
    assert issued.signed_by and key.exists() and crt.exists()
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o600
    identity = load_identity(key)
    certificate = identity.certificate
    assert certificate.subject.rfc4514_string() == "O=tatakelola,CN=Tatakelola — tatakelola"
    assert certificate.issuer == certificate.subject and certificate.public_key() == identity.private_key.public_key()
    assert identity.private_key.key_size == 3072
    assert certificate.not_valid_after_utc.year == 9999
    before = key.read_bytes()
    described = services.document_certificate()  # what `tatakelola init` prints: the same certificate, kept
    assert described is not None and described.sha256 == identity.fingerprint and described.path == crt
    assert key.read_bytes() == before
    with pytest.raises(FileExistsError):
        create_identity(key, crt, "tatakelola")


def test_without_an_installation_key_the_document_is_issued_unsigned_and_verify_says_so(
        tmp_path: Path, registry: Registry) -> None:
    bare = Services(Settings(db_url=f"sqlite:///{tmp_path / 'tidak-ada.db'}", key_path=tmp_path / "tidak-ada.key"),
                    registry=registry)
    issued = bare.documents.sop("pengeluaran_kas")
    assert issued.signed_by is None and not issued.recorded
    assert not (tmp_path / "tidak-ada-pdf.key").exists()
    result = verify_pdf(issued.data)
    assert not result.ok
    assert result.problems[0].message.startswith("Dokumen tidak bertanda tangan digital")
    assert len(result.problems) == 1  # everything else about it is in order


def test_an_unsigned_document_recorded_in_the_database_verifies_only_against_it(
        services: Services, files, monkeypatch: pytest.MonkeyPatch) -> None:
    docs = services.documents
    monkeypatch.setattr(docs.signing, "identity", lambda: None)
    issued = docs.minutes(quorum_kas(services, files))
    assert issued.signed_by is None and issued.recorded
    assert not verify_pdf(issued.data).ok
    online = verify_pdf(issued.data, services.db)
    assert online.ok, said(online)
    assert "Dokumen tidak bertanda tangan digital, tetapi SHA-256-nya tercatat" in said(online)


def test_the_rapb_embeds_every_line_and_total_it_prints(services: Services) -> None:
    docs = services.documents
    docs.import_budget(COOP, 2027, EXAMPLE_WORKBOOK)
    issued = docs.budget(COOP, 2027)
    assert verify_pdf(issued.data, services.db).ok
    content = json.loads(attachments(issued.data)["content.json"])
    b = content["b"]
    sections = [b["pendapatan"], *b["biaya"], b["investasi"], b["sumber"], b["permodalan"]]
    lines = [line for s in sections for g in s["groups"] for line in g["lines"]]
    assert len(lines) == b["line_count"] > 20
    assert all({"uraian", "realisasi", "anggaran", "rencana", "delta"} <= set(line) for line in lines)
    income = [line for g in b["pendapatan"]["groups"] for line in g["lines"]]
    assert b["pendapatan"]["total"]["rencana"] == sum(line["rencana"] or 0 for line in income)
    assert b["shu"]["rencana"] == b["pendapatan"]["total"]["rencana"] - b["total_biaya"]["rencana"]
    assert sum(s["amount"] for s in b["shares"]) == b["split"]["anggota"]  # only the SHU from members is shared
    assert b["split"]["anggota"] + b["split"]["bukan_anggota"] == b["shu"]["rencana"]
    printed = re.sub(r"\s+", " ", pdf_text(issued.data))
    for line in lines:  # every planned figure on the page is in content.json
        if line["rencana"]:
            assert f"{line['rencana']:,}".replace(",", ".") in printed


def test_the_audit_report_embeds_its_rows(shared: Services, minutes: IssuedPdf) -> None:
    issued = shared.documents.audit_report(COOP, date(2026, 11, 1), date(2026, 11, 30))
    files = attachments(issued.data)
    content, manifest = json.loads(files["content.json"]), json.loads(files["manifest.json"])
    rows = content["a"]["entries"]
    assert [r["seq"] for r in rows] == manifest["log"]["entries"] and len(rows) >= 6
    assert {"when", "case", "action", "actor", "role"} <= set(rows[0])
    assert check_signature(issued.data).ok


def test_signing_and_checking_also_work_inside_a_running_event_loop(minutes: IssuedPdf, shared: Services) -> None:
    """pyHanko's synchronous API calls asyncio.run; from an async web handler it runs in a worker thread."""
    identity = load_identity(shared.settings.document_key_path)

    async def inside() -> tuple[bool, bytes]:
        signed = sign_pdf(unsigned_revision(minutes.data), identity, when=datetime(2026, 11, 24, 3, 0, tzinfo=UTC),
                          reason=f"Dokumen {minutes.number} diterbitkan Tatakelola")
        return check_signature(minutes.data).ok, signed

    # A thread of its own: in a full run, the browser tests' Playwright keeps a loop running in this one.
    with ThreadPoolExecutor(1) as pool:
        ok, signed = pool.submit(asyncio.run, inside()).result()
    assert ok and signed == minutes.data
