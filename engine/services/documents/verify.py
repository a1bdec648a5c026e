"""Check an issued PDF: its PDF signature (PAdES, over every byte of the file), its attachments,
inclusion proofs and signed checkpoint, offline and optionally against the database (the file's
SHA-256 and the signing certificate registered there). Every finding is an Indonesian sentence."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re
from dataclasses import dataclass, field
from datetime import tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.adapters.render.evidence import CHECKPOINT, ENTRIES, KEY, MANIFEST, MANIFEST_FORMAT, PROOFS, dump_json
from engine.adapters.render.formatting import tanggal
from engine.adapters.render.signature import SignatureCheck, check_signature
from engine.adapters.store.db import Database, as_utc
from engine.adapters.store.models import AuditEntry, Cooperative, DocumentCertificate, IssuedDocument, SigningKey
from engine.audit.core.merkle import CompactRange, leaf_hash, verify_inclusion
from engine.audit.core.note import Checkpoint as NoteCheckpoint
from engine.audit.core.note import NoteError, parse_verifier_key, verify_note
from engine.audit.log import log_origin
from engine.settings import Settings

__all__ = ["Check", "PdfVerification", "verify_pdf"]

#: The time zone dates are read in when the caller names none: the installation default (WIB).
DEFAULT_TZ = ZoneInfo(str(Settings.model_fields["timezone"].default))


@dataclass(frozen=True)
class Check:
    """One verified fact (ok) or finding (not ok)."""

    ok: bool
    message: str


@dataclass
class PdfVerification:
    """Outcome of checking one PDF."""

    number: str | None = None
    kind: str | None = None
    title: str | None = None
    coop: str | None = None
    checks: list[Check] = field(default_factory=list)
    #: The signature's certificate: common name and SHA-256 fingerprint (None when unsigned).
    signer: str | None = None
    signer_sha256: str | None = None

    @property
    def ok(self) -> bool:
        """True when every check passed."""
        return bool(self.checks) and all(c.ok for c in self.checks)

    @property
    def problems(self) -> list[Check]:
        """The failed checks."""
        return [c for c in self.checks if not c.ok]

    def good(self, message: str) -> None:
        """Record a passed check."""
        self.checks.append(Check(True, message))

    def bad(self, message: str) -> None:
        """Record a finding."""
        self.checks.append(Check(False, message))


def _compact(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _page_text(reader: PdfReader, indexes: list[int]) -> str:
    parts = []
    for index in dict.fromkeys(i for i in indexes if 0 <= i < len(reader.pages)):
        try:
            parts.append(reader.pages[index].extract_text() or "")
        except Exception:  # a damaged content stream: nothing readable on that page
            parts.append("")
    return "\n".join(parts)


#: The finding for a PDF without a signature (offline; against the database only when its SHA-256 is unknown).
UNSIGNED = ("Dokumen tidak bertanda tangan digital: teks yang tercetak tidak terlindungi, jadi keasliannya "
            "tidak dapat dipastikan tanpa basis data (dokumen diterbitkan tanpa kunci instalasi; terbitkan "
            "ulang setelah `tatakelola init`).")


def _check_signature(signature: SignatureCheck, result: PdfVerification, tz: tzinfo, *, offline: bool) -> None:
    """The PDF signature: one, valid, over every byte of the file; names the signer."""
    if not signature.present:
        if offline:  # with a database, a recorded SHA-256 still proves the bytes (see _check_database)
            result.bad(UNSIGNED)
        return
    if signature.error is not None:
        result.bad("Tanda tangan digital tidak dapat diperiksa: struktur berkas rusak atau diubah setelah "
                   f"ditandatangani ({signature.error}).")
        return
    result.signer, result.signer_sha256 = signature.signer, signature.fingerprint
    if signature.count > 1:
        result.bad(f"Berkas memuat {signature.count} tanda tangan digital: dokumen terbitan Tatakelola hanya "
                   "bertanda tangan satu; yang lain ditambahkan kemudian.")
    if not signature.intact:
        result.bad("Isi berkas tidak cocok lagi dengan tanda tangan digitalnya: ada bita yang diubah setelah "
                   "dokumen ditandatangani (misalnya angka atau teks pada halaman, atau lampirannya).")
    elif not signature.valid:
        result.bad("Tanda tangan digital tidak sah secara kriptografis: tidak dibuat dengan kunci sertifikat "
                   "yang tercantum.")
    if signature.intact and not signature.whole_file:  # (a changed signed part is told above)
        added = f"Ada {signature.trailing} bita yang ditambahkan ke berkas" if signature.trailing else \
            "Ada bagian berkas yang diubah"
        result.bad(f"{added} setelah ditandatangani: tanda tangan tidak mencakup seluruh berkas, jadi dokumen "
                   "diubah setelah terbit.")
    if signature.ok:
        when = f" pada {tanggal(signature.signed_at.astimezone(tz).date())}" if signature.signed_at else ""
        result.good(f"Tanda tangan digital (PAdES) sah dan mencakup seluruh berkas{when}: tidak ada satu bita "
                    "pun yang berubah sejak terbit.")
        result.good(f"Ditandatangani oleh: {signature.signer} (sidik sertifikat SHA-256 "
                    f"{(signature.fingerprint or '')[:16]}…). Sertifikat ini dibuat sendiri oleh instalasi "
                    "koperasi; cocokkan sidiknya dengan yang diumumkan koperasi atau Dinas.")


def _attachments(reader: PdfReader, result: PdfVerification) -> dict[str, bytes] | None:
    try:
        found = reader.attachments
        files = {name: contents[0] for name, contents in found.items() if contents}
    except Exception as exc:
        result.bad(f"Lampiran di dalam PDF rusak dan tidak dapat dibaca ({type(exc).__name__}).")
        return None
    return files


def _check_manifest(files: dict[str, bytes], result: PdfVerification) -> dict[str, Any] | None:
    problems_before = len(result.problems)
    raw = files.get(MANIFEST)
    if raw is None:
        result.bad("Lampiran manifest.json tidak ada: berkas ini bukan dokumen terbitan Tatakelola, "
                   "atau lampirannya dihapus.")
        return None
    try:
        manifest = json.loads(raw)
    except ValueError:
        result.bad("manifest.json rusak (bukan JSON yang sah).")
        return None
    if not isinstance(manifest, dict) or manifest.get("format") != MANIFEST_FORMAT:
        result.bad("manifest.json bukan format dokumen Tatakelola yang dikenal.")
        return None
    if dump_json(manifest) != raw:
        result.bad("manifest.json tidak dalam bentuk aslinya (isinya diubah).")
    result.number, result.kind = manifest.get("number"), manifest.get("kind")
    result.title, result.coop = manifest.get("title"), manifest.get("coop")
    listed = manifest.get("files") or {}
    for name, expected in sorted(listed.items()):
        content = files.get(name)
        if content is None:
            result.bad(f"Lampiran {name} hilang.")
        elif hashlib.sha256(content).hexdigest() != expected:
            result.bad(f"Lampiran {name} diubah: SHA-256-nya tidak cocok dengan manifest.")
    extra = sorted(set(files) - set(listed) - {MANIFEST})
    if extra:
        result.bad("Lampiran tak dikenal ditambahkan: " + ", ".join(extra) + ".")
    if len(result.problems) == problems_before:
        result.good(f"{len(listed) + 1} lampiran utuh sesuai manifest.")
    return manifest


def _check_printed(reader: PdfReader, manifest: dict[str, Any], raw_manifest: bytes,
                   result: PdfVerification) -> None:
    last = len(reader.pages) - 1
    first = _compact(_page_text(reader, [0]))
    tail = _compact(_page_text(reader, [last - 1, last]))
    number = str(manifest.get("number"))
    problems = []
    if _compact(f"Dokumen No. {number}") not in first:
        problems.append("nomor dokumen di kaki halaman")
    log = manifest.get("log")
    if isinstance(log, dict):
        footer = _compact(f"Jejak: {log.get('size')} catatan, akar {str(log.get('root'))[:32]}")
        if footer not in first:
            problems.append("ukuran log dan akar di kaki halaman")
    fingerprint = hashlib.sha256(raw_manifest).hexdigest()
    if fingerprint not in tail:
        problems.append("sidik lampiran (SHA-256 manifest.json) pada keterangan keabsahan")
    if problems:
        result.bad("Teks tercetak tidak cocok dengan lampiran: " + "; ".join(problems) + ".")
    else:
        result.good(f"Teks tercetak cocok dengan lampiran: nomor {number}, sidik lampiran {fingerprint[:16]}….")


def _check_log(files: dict[str, bytes], manifest: dict[str, Any], result: PdfVerification
               ) -> tuple[list[str], NoteCheckpoint, str] | None:
    log = manifest.get("log")
    if not isinstance(log, dict):
        return None
    try:
        key_text = files[KEY].decode()
        note = files[CHECKPOINT].decode()
        entries_raw = files[ENTRIES].decode()
        proofs_raw = files[PROOFS]
    except (KeyError, UnicodeDecodeError):
        result.bad("Lampiran jejak (entries.jsonl, proofs.json, checkpoint.txt, verifier-key.txt) tidak lengkap.")
        return None
    if not key_text.endswith("\n") or "\n" in key_text[:-1]:
        result.bad("verifier-key.txt tidak dalam bentuk aslinya.")
        return None
    try:
        name, public_key = parse_verifier_key(key_text[:-1])
        body = verify_note(note, name, public_key)
        checkpoint = NoteCheckpoint.parse_body(body)
    except NoteError as exc:
        result.bad(f"Tanda tangan checkpoint tidak sah ({exc}).")
        return None
    result.good(f"Checkpoint bertanda tangan sah: {checkpoint.origin}, {checkpoint.size} catatan, "
                f"kunci {name}.")
    if (checkpoint.origin != log.get("origin") or checkpoint.size != log.get("size")
            or checkpoint.root.hex() != log.get("root")):
        result.bad("Checkpoint berbeda dari yang disebut manifest (asal, ukuran atau akar).")
    coop = manifest.get("coop")
    if coop is not None and checkpoint.origin != log_origin(str(coop)):
        result.bad(f"Checkpoint milik log lain ({checkpoint.origin}), bukan koperasi {coop}.")
    lines = entries_raw.split("\n")
    if entries_raw and lines[-1] != "":
        result.bad("entries.jsonl tidak dalam bentuk aslinya (baris terakhir tanpa akhir baris).")
        return None
    lines = lines[:-1] if entries_raw else []
    try:
        proofs = json.loads(proofs_raw)
    except ValueError:
        result.bad("proofs.json rusak (bukan JSON yang sah).")
        return None
    if not isinstance(proofs, list) or dump_json(proofs) != proofs_raw:
        result.bad("proofs.json tidak dalam bentuk aslinya (isinya diubah).")
        return None
    if len(proofs) != len(lines):
        result.bad(f"Jumlah bukti ({len(proofs)}) tidak sama dengan jumlah catatan ({len(lines)}).")
        return None
    seqs: list[int] = []
    bad = 0
    for line, proof in zip(lines, proofs, strict=True):
        problem = _check_proof(line, proof, checkpoint, note, key_text[:-1], coop)
        seq = proof.get("seq") if isinstance(proof, dict) else None
        seqs.append(seq if isinstance(seq, int) else -1)
        if problem:
            bad += 1
            result.bad(f"Catatan #{seq}: {problem}.")
    if seqs != list(log.get("entries") or []):
        result.bad("Daftar catatan berbeda dari yang disebut manifest.")
    if not bad and lines:
        result.good(f"{len(lines)} catatan terbukti termuat dalam log (bukti inklusi RFC 6962 cocok dengan akar "
                    f"checkpoint {checkpoint.root.hex()[:16]}…).")
    elif not lines:
        result.good("Dokumen tidak memuat catatan keputusan; checkpoint terakhir koperasi dilampirkan.")
    return lines, checkpoint, key_text[:-1]


def _check_proof(line: str, proof: Any, checkpoint: NoteCheckpoint, note: str, key: str,
                 coop: Any) -> str | None:
    if not isinstance(proof, dict):
        return "bukti bukan objek JSON"
    try:
        body = json.loads(line)
    except ValueError:
        return "isi catatan bukan JSON yang sah"
    seq = body.get("seq") if isinstance(body, dict) else None
    if not isinstance(seq, int) or proof.get("seq") != seq or proof.get("index") != seq - 1:
        return "nomor urut catatan dan bukti tidak cocok"
    if coop is not None and body.get("coop") != coop:
        return f"catatan milik koperasi lain ({body.get('coop')})"
    if proof.get("entry") != line:
        return "isi catatan berbeda dari yang dibuktikan"
    leaf = leaf_hash(line.encode())
    if proof.get("leaf_hash") != leaf.hex():
        return "hash daun tidak cocok dengan isi catatan (isi diubah)"
    if proof.get("tree_size") != checkpoint.size or proof.get("root") != checkpoint.root.hex():
        return "bukti dibuat terhadap ukuran atau akar lain"
    if proof.get("checkpoint") != note or proof.get("verifier_key") != key:
        return "bukti menyebut checkpoint atau kunci lain"
    try:
        path = [bytes.fromhex(h) for h in proof.get("inclusion_proof") or []]
        b64 = [base64.b64encode(p).decode() for p in path]
    except (TypeError, ValueError):
        return "bukti inklusi bukan heksadesimal yang sah"
    if b64 != proof.get("inclusion_proof_b64"):
        return "bukti inklusi (base64) berbeda dari bentuk heksadesimalnya"
    if not verify_inclusion(leaf, seq - 1, checkpoint.size, path, checkpoint.root):
        return "bukti inklusi tidak cocok dengan akar checkpoint"
    return None


def _check_definitions(files: dict[str, bytes], manifest: dict[str, Any], result: PdfVerification) -> None:
    items = manifest.get("definitions") or []
    bad = 0
    for item in items:
        content = files.get(str(item.get("file")))
        if content is None or hashlib.sha256(content).hexdigest() != item.get("sha256"):
            bad += 1
            result.bad(f"Definisi prosedur {item.get('ref')} tidak cocok dengan sidiknya.")
    if items and not bad:
        result.good(f"{len(items)} definisi prosedur cocok dengan sidik SHA-256-nya.")


def _check_certificate(session: Session, signature: SignatureCheck, result: PdfVerification) -> None:
    """The signing certificate is one this installation registered (when a document signed with it was issued)."""
    if signature.fingerprint is None:
        return
    registered = session.scalar(select(DocumentCertificate.id).where(
        DocumentCertificate.fingerprint == signature.fingerprint))
    if registered is None:
        result.bad(f"Sertifikat penanda tangan ({signature.signer}, sidik {signature.fingerprint[:16]}…) bukan "
                   "sertifikat instalasi ini: tidak terdaftar di basis data, jadi dokumen ditandatangani pihak lain.")
    else:
        result.good(f"Sertifikat penanda tangan terdaftar di basis data sebagai sertifikat instalasi ini "
                    f"(sidik {signature.fingerprint[:16]}…).")


def _check_database(db: Database, data: bytes, manifest: dict[str, Any],
                    log: tuple[list[str], NoteCheckpoint, str] | None, result: PdfVerification, tz: tzinfo,
                    signature: SignatureCheck) -> None:
    if not db.schema_is_current():
        result.bad("Basis data belum disiapkan atau versinya lama; tidak dapat dicocokkan.")
        return
    digest = hashlib.sha256(data).hexdigest()
    with db.reader() as session:
        _check_certificate(session, signature, result)
        issued = session.scalars(select(IssuedDocument).where(IssuedDocument.sha256 == digest)
                                 .order_by(IssuedDocument.id).limit(1)).first()
        if issued is None:
            if not signature.present:
                result.bad(UNSIGNED)
            result.bad(f"SHA-256 berkas ini ({digest[:16]}…) tidak tercatat di basis data: berkas diubah setelah "
                       "diterbitkan, atau bukan terbitan basis data ini.")
        else:
            if not signature.present:
                result.good("Dokumen tidak bertanda tangan digital, tetapi SHA-256-nya tercatat: isinya sama "
                            "persis dengan yang diterbitkan.")
            result.good(f"SHA-256 berkas tercatat di basis data: {issued.number}, diterbitkan "
                        f"{tanggal(as_utc(issued.issued_at).astimezone(tz).date())}.")
        if log is None:
            return
        lines, checkpoint, key = log
        slug = manifest.get("coop")
        coop = session.scalar(select(Cooperative).where(Cooperative.slug == slug)) if slug else None
        if coop is None:
            result.bad(f"Koperasi {slug} tidak ada di basis data ini.")
            return
        if session.scalar(select(SigningKey.id).where(SigningKey.verifier_key == key)) is None:
            result.bad("Kunci verifikasi checkpoint tidak terdaftar sebagai kunci penanda tangan di basis data.")
        else:
            result.good("Kunci verifikasi terdaftar di basis data.")
        bodies = dict(session.execute(select(AuditEntry.seq, AuditEntry.body).where(
            AuditEntry.coop_id == coop.id, AuditEntry.seq <= checkpoint.size).order_by(AuditEntry.seq)).all())
        changed = []
        for line in lines:
            seq = json.loads(line).get("seq")
            if bodies.get(seq) != line:
                changed.append(f"#{seq}")
        if changed:
            result.bad("Catatan berbeda atau hilang di basis data: " + ", ".join(changed) + ".")
        elif lines:
            result.good(f"{len(lines)} catatan ada di basis data tanpa perubahan.")
        tree = CompactRange()
        for seq in range(1, checkpoint.size + 1):
            body = bodies.get(seq)
            if body is None:
                break
            tree.append(leaf_hash(body.encode()))
        if tree.size != checkpoint.size or tree.root() != checkpoint.root:
            result.bad(f"Log di basis data tidak lagi cocok dengan checkpoint dokumen (ukuran {checkpoint.size}): "
                       "ada catatan yang diubah, dihapus atau disisipkan.")
        else:
            result.good(f"Log di basis data sampai catatan #{checkpoint.size} cocok dengan checkpoint dokumen.")


def verify_pdf(data: bytes, db: Database | None = None, tz: tzinfo = DEFAULT_TZ) -> PdfVerification:
    """Verify an issued PDF; with ``db`` also check it against that database. Dates are told in ``tz``
    (the cooperative's time zone, as the PDF prints them)."""
    result = PdfVerification()
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        pages = len(reader.pages)
    except Exception as exc:
        result.bad(f"Berkas bukan PDF yang dapat dibaca ({type(exc).__name__}).")
        return result
    signature = check_signature(data)
    _check_signature(signature, result, tz, offline=db is None)
    files = _attachments(reader, result)
    if files is None:
        return result
    manifest = _check_manifest(files, result)
    if manifest is None:
        return result
    if pages:
        _check_printed(reader, manifest, files[MANIFEST], result)
    log = _check_log(files, manifest, result)
    _check_definitions(files, manifest, result)
    if db is not None:
        _check_database(db, data, manifest, log, result, tz, signature)
    return result
