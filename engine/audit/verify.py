"""Recompute a cooperative's log from the database and check every signed checkpoint."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.adapters.store.models import (
    Attachment,
    AuditEntry,
    AuditHead,
    Case,
    CaseEvent,
    Checkpoint,
    Cooperative,
    DataRevision,
    DefinitionRecord,
    SigningKey,
)
from engine.audit.core.merkle import EMPTY_ROOT, CompactRange, leaf_hash
from engine.audit.core.note import Checkpoint as NoteCheckpoint
from engine.audit.core.note import NoteError, verify_note
from engine.audit.entry import canonical, comment_hash, sha256_hex
from engine.audit.keys import public_key_from_b64
from engine.audit.log import log_origin

__all__ = ["Finding", "VerifyReport", "verify_log"]


@dataclass(frozen=True)
class Finding:
    """What is wrong, at which entry."""

    seq: int
    case: str | None
    message: str

    def __str__(self) -> str:
        where = f"catatan #{self.seq}" + (f" (kasus {self.case})" if self.case else "")
        return f"{where}: {self.message}"


@dataclass
class VerifyReport:
    """Outcome of verifying one cooperative's log."""

    coop: str
    size: int = 0
    root: str = ""
    checkpoints: int = 0
    latest_checkpoint: int = 0
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when nothing is wrong."""
        return not self.findings

    @property
    def first(self) -> Finding | None:
        """The first bad entry (lowest seq)."""
        return min(self.findings, key=lambda f: f.seq) if self.findings else None


_EVENT_FIELDS = (("action", "action"), ("kind", "kind"), ("from_state", "from"),
                 ("to_state", "to"), ("role", "role"), ("data_rev", "data_rev"))


def verify_log(session: Session, coop: Cooperative) -> VerifyReport:
    """Verify everything: entries, leaf hashes, data revisions, events, checkpoints, head."""
    report = VerifyReport(coop=coop.slug)
    entries = session.scalars(
        select(AuditEntry).where(AuditEntry.coop_id == coop.id).order_by(AuditEntry.seq)
    ).all()
    checkpoints = session.scalars(
        select(Checkpoint).where(Checkpoint.coop_id == coop.id).order_by(Checkpoint.size)
    ).all()
    keys = {k.id: k for k in session.scalars(select(SigningKey)).all()}
    numbers = dict(session.execute(select(Case.id, Case.number).where(Case.coop_id == coop.id)).all())
    events = {e.seq: e for e in session.scalars(select(CaseEvent).where(CaseEvent.coop_id == coop.id))}
    revisions = {
        (r.case_id, r.rev): r
        for r in session.scalars(select(DataRevision).where(DataRevision.coop_id == coop.id))
    }
    people = _people(session)

    by_size: dict[int, list[Checkpoint]] = {}
    for cp in checkpoints:
        by_size.setdefault(cp.size, []).append(cp)
    for cp in by_size.get(0, []):  # signed when an empty log is exported: its root is SHA-256 of ""
        bad = _check_checkpoint(cp, coop, EMPTY_ROOT, keys)
        if bad:
            report.findings.append(Finding(0, None, bad))
    tree = CompactRange()
    good_size = 0  # largest size whose root matched a checkpoint
    for position, entry in enumerate(entries, start=1):
        case_no: str | None = numbers.get(entry.case_id) if entry.case_id else None
        if entry.seq != position:
            missing = position if entry.seq > position else entry.seq
            report.findings.append(Finding(missing, case_no,
                f"urutan catatan terputus: diharapkan #{position}, ditemukan #{entry.seq} "
                "(catatan dihapus, disisipkan atau diurutkan ulang)"))
            break
        body, problem = _check_body(entry, coop)
        if problem:
            report.findings.append(Finding(entry.seq, case_no, problem))
        if body is not None:
            case_no = str(body.get("case") or case_no or "") or None
            for message in _cross_check(body, entry, events, revisions, people):
                report.findings.append(Finding(entry.seq, case_no, message))
        tree.append(leaf_hash(entry.body.encode()))
        for cp in by_size.get(position, []):
            bad = _check_checkpoint(cp, coop, tree.root(), keys)
            if bad:
                first_bad = good_size + 1
                span = "" if first_bad == position else f" (perubahan di antara #{first_bad} dan #{position})"
                report.findings.append(Finding(first_bad, numbers.get(entry.case_id or -1),
                                               bad + span))
            else:
                good_size = max(good_size, position)
        if report.findings:
            break

    report.size = len(entries)
    report.root = tree.root().hex()
    report.checkpoints = len(checkpoints)
    report.latest_checkpoint = checkpoints[-1].size if checkpoints else 0
    if not report.findings and checkpoints and checkpoints[-1].size > len(entries):
        report.findings.append(Finding(len(entries) + 1, None,
            f"log terpotong: checkpoint bertanda tangan mencakup {checkpoints[-1].size} catatan, "
            f"basis data hanya memuat {len(entries)}"))
    if not report.findings:
        report.findings += _current_state(session, coop, entries, events, revisions, numbers)
    if not report.findings:
        head = session.get(AuditHead, coop.id)
        if head is None or head.size != len(entries) or head.root != report.root:
            report.findings.append(Finding(len(entries), None,
                "kepala log (ukuran/akar) tidak cocok dengan isi log"))
    return report


def _current_state(
    session: Session,
    coop: Cooperative,
    entries: Sequence[AuditEntry],
    events: dict[int, CaseEvent],
    revisions: dict[tuple[int, int], DataRevision],
    numbers: dict[int, str],
) -> list[Finding]:
    """The live rows (case status and data, attachments, definition sources) match the trail."""
    out: list[Finding] = []
    last: dict[int, AuditEntry] = {}
    attached: dict[int, set[str]] = {}
    refs: dict[int, str] = {}
    for entry in entries:
        if entry.case_id is not None:
            last[entry.case_id] = entry
            body = json.loads(entry.body)
            attached.setdefault(entry.case_id, set()).update(body.get("attachments") or [])
            refs.setdefault(entry.case_id, str(body.get("definition")))
    checked_definitions: dict[int, str | None] = {}
    for case in session.scalars(select(Case).where(Case.coop_id == coop.id).order_by(Case.id)):
        latest = last.get(case.id)
        if latest is None:
            out.append(Finding(0, case.number, "kasus tidak punya satu pun catatan di log (disisipkan langsung)"))
            continue
        event = events.get(latest.seq)
        revision = revisions.get((case.id, case.data_rev))
        if event is not None and event.to_state != case.state:
            out.append(Finding(latest.seq, case.number, f"status kasus di basis data '{case.state}' berbeda dari "
                                                       f"catatan terakhir '{event.to_state}' (diubah di luar sistem)"))
        if revision is None or (event is not None and event.data_rev != case.data_rev) or \
                sha256_hex(canonical(case.data)) != revision.sha256:
            out.append(Finding(latest.seq, case.number, "data kasus di basis data berbeda dari revisi yang tercatat "
                                                       "di log (diubah di luar sistem)"))
        if case.definition_id not in checked_definitions:
            checked_definitions[case.definition_id] = _definition_problem(session, case.definition_id)
        record = session.get_one(DefinitionRecord, case.definition_id)
        problem = checked_definitions[case.definition_id]
        if problem is None and refs.get(case.id) != record.pinned_ref:
            problem = f"kasus dipasangkan ke {record.pinned_ref[:40]}…, log mencatat {refs.get(case.id, '-')[:40]}…"
        if problem:
            out.append(Finding(latest.seq, case.number, problem))
    for row in session.scalars(select(Attachment).where(Attachment.coop_id == coop.id).order_by(Attachment.id)):
        number = numbers.get(row.case_id)
        try:
            content = row.content if row.content is not None else Path(row.storage_path or "").read_bytes()
        except OSError:
            content = None
        if content is None or sha256_hex(content) != row.sha256:
            out.append(Finding(last[row.case_id].seq if row.case_id in last else 0, number,
                               f"isi lampiran '{row.filename}' hilang atau berubah (SHA-256 tidak cocok)"))
        elif row.sha256 not in attached.get(row.case_id, set()):
            out.append(Finding(last[row.case_id].seq if row.case_id in last else 0, number,
                               f"lampiran '{row.filename}' tidak tercatat di log"))
    return out


def _definition_problem(session: Session, definition_id: int) -> str | None:
    from engine.domain.definitions.loader import load_definition_text
    from engine.errors import DefinitionError

    record = session.get_one(DefinitionRecord, definition_id)
    try:
        loaded = load_definition_text(record.source, f"{record.workflow_id}@{record.version}")
    except DefinitionError:
        return f"sumber prosedur {record.workflow_id}@{record.version} di basis data rusak"
    if loaded.sha256 != record.sha256:
        return f"sumber prosedur {record.workflow_id}@{record.version} di basis data berubah (hash tidak cocok)"
    return None


def _people(session: Session) -> dict[int, str]:
    from engine.adapters.store.models import Person

    return dict(session.execute(select(Person.id, Person.username)).all())


def _check_body(entry: AuditEntry, coop: Cooperative) -> tuple[dict[str, Any] | None, str | None]:
    try:
        body = json.loads(entry.body)
    except ValueError:
        return None, "isi catatan bukan JSON yang sah"
    if not isinstance(body, dict):
        return None, "isi catatan bukan objek JSON"
    if canonical(body) != entry.body.encode():
        return body, "isi catatan tidak dalam bentuk kanonik RFC 8785 (diubah di luar sistem)"
    if leaf_hash(entry.body.encode()).hex() != entry.leaf_hash:
        return body, "hash daun tidak cocok dengan isi catatan (isi diubah)"
    if body.get("seq") != entry.seq:
        return body, f"nomor urut di dalam catatan ({body.get('seq')}) berbeda dari posisinya (#{entry.seq})"
    if body.get("coop") != coop.slug:
        return body, f"catatan milik koperasi lain ({body.get('coop')})"
    return body, None


def _cross_check(
    body: dict[str, Any],
    entry: AuditEntry,
    events: dict[int, CaseEvent],
    revisions: dict[tuple[int, int], DataRevision],
    people: dict[int, str],
) -> list[str]:
    out: list[str] = []
    if entry.case_id is None:
        return out
    event = events.get(entry.seq)
    if event is None:
        return ["rincian kejadian (case_events) untuk catatan ini hilang"]
    for attr, key in _EVENT_FIELDS:
        if getattr(event, attr) != body.get(key):
            out.append(f"'{key}' berbeda: log '{body.get(key)}', rincian '{getattr(event, attr)}'")
    if people.get(event.actor_id) != body.get("actor"):
        out.append(f"pelaku berbeda: log '{body.get('actor')}', rincian '{people.get(event.actor_id)}'")
    if comment_hash(event.comment) != body.get("comment_sha256"):
        out.append("catatan/komentar berbeda dari yang tercatat di log")
    if sha256_hex(canonical(event.settings)) != body.get("settings_sha256"):
        out.append("setting AD/ART yang berlaku saat keputusan berbeda dari yang tercatat di log")
    revision = revisions.get((entry.case_id, int(body.get("data_rev") or 0)))
    if revision is None:
        out.append(f"revisi data #{body.get('data_rev')} hilang")
    elif sha256_hex(revision.canonical.encode()) != revision.sha256 or revision.sha256 != body.get(
        "data_sha256"
    ):
        out.append(f"revisi data #{revision.rev} berubah (hash tidak cocok dengan log)")
    return out


def _check_checkpoint(cp: Checkpoint, coop: Cooperative, root: bytes, keys: dict[int, SigningKey]) -> str | None:
    key = keys.get(cp.key_id)
    if key is None:
        return f"kunci penanda tangan checkpoint ukuran {cp.size} tidak dikenal"
    try:
        body = verify_note(cp.note, key.name, public_key_from_b64(key.public_key))
        parsed = NoteCheckpoint.parse_body(body)
    except (NoteError, ValueError) as exc:
        return f"tanda tangan checkpoint ukuran {cp.size} tidak sah ({exc})"
    if parsed.origin != log_origin(coop.slug) or parsed.size != cp.size:
        return f"checkpoint ukuran {cp.size} bukan milik log ini"
    if parsed.root != root:
        return (f"akar Merkle hasil hitung ulang tidak cocok dengan checkpoint bertanda tangan "
                f"ukuran {cp.size} (isi catatan diubah)")
    return None
