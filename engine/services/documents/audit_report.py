"""The audit report for the pengawas: a cooperative's trail over a period, with verification."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.adapters.render.formatting import tanggal, tanggal_waktu
from engine.adapters.store.db import as_utc
from engine.adapters.store.models import AuditEntry, Case, Checkpoint, Cooperative, DefinitionRecord, Person
from engine.audit.verify import verify_log
from engine.domain.definitions.model import Definition
from engine.domain.roles import role_label
from engine.errors import ValidationError
from engine.services.documents.minutes import action_label
from engine.services.documents.tally import OUTCOMES, case_statuses

__all__ = ["AuditView", "audit_number", "audit_view", "period_bounds"]

_KIND_LABELS = {"start": "mulai", "submit": "ajukan", "verify": "verifikasi", "approve": "setujui",
                "reject": "tolak", "return": "kembalikan", "cancel": "batalkan", "migration": "pindah versi"}


#: Entries that belong to no case: (what the report calls them, what was done).
_OUTSIDE_CASES = {
    "restore": ("Pemulihan basis data", "Dipulihkan dari cadangan (cabang dinyatakan)"),
    "register": ("Buku Daftar Anggota", "Impor daftar anggota"),
    "document": ("Rencana Kerja dan RAPB", "Impor RAPB/RK dari Excel"),
    "delegation": ("Delegasi (a.n.)", "Delegasi peran"),
}


#: An escalation's level, as the report says it (``to_role`` follows).
_ESCALATED = {"ingatkan": "pengingat", "alihkan": "dialihkan juga ke", "naikkan": "dinaikkan ke"}


def audit_number(start: date, end: date) -> str:
    """``LHP-JEJAK-20261101-20261130``."""
    return f"LHP-JEJAK-{start:%Y%m%d}-{end:%Y%m%d}"


def period_bounds(start: date, end: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """UTC bounds of the local days ``start`` .. ``end`` (inclusive): [from, to)."""
    if end < start:
        raise ValidationError([], headline=f"Periode tidak sah: {tanggal(start)} sesudah {tanggal(end)}.")
    low = datetime.combine(start, time(0), tz).astimezone(UTC)
    high = datetime.combine(end + timedelta(days=1), time(0), tz).astimezone(UTC)
    return low, high


@dataclass(frozen=True)
class EntryRow:
    """One log entry of the period, as the pengawas reads it."""

    seq: int
    when: str
    case: str
    workflow: str
    action: str
    transition: str
    actor: str
    role: str
    vote: str | None


@dataclass(frozen=True)
class WorkflowRow:
    """Activity of one procedure in the period: each case counted once, under its status at the end of the
    period (``done`` + ``rejected`` + ``returned`` + ``running`` == ``cases``); ``entries``: trail entries."""

    title: str
    cases: int
    started: int
    done: int
    rejected: int
    returned: int
    running: int
    entries: int


@dataclass(frozen=True)
class AuditView:
    """Everything the audit report prints."""

    start: str
    end: str
    ok: bool
    status: str
    findings: list[str]
    log_size: int
    log_root: str
    checkpoints: int
    latest_checkpoint: int
    entries: list[EntryRow]
    workflows: list[WorkflowRow]
    open_cases: list[tuple[str, str, str, str]]
    seqs: list[int]
    proof_size: int | None
    checked_at: datetime
    checked_text: str


def _term_text(body: dict[str, object], people: dict[str, str]) -> str:
    """``Menetapkan jabatan: Dwi Lestari sebagai Ketua Pengurus, 24 November 2026 s.d. 23 November 2031``."""
    person = str(body.get("person"))
    start, end = body.get("starts_on"), body.get("ends_on")
    period = f"{tanggal(date.fromisoformat(str(start)))}" if start else ""
    period += f" s.d. {tanggal(date.fromisoformat(str(end)))}" if end else (" (tanpa tanggal akhir)" if start else "")
    verb = "Mengakhiri jabatan" if body.get("action") == "akhiri_jabatan" else "Menetapkan jabatan"
    return f"{verb}: {people.get(person, person)} sebagai {role_label(str(body.get('role')))}, {period}"


def _actor(body: dict[str, object], people: dict[str, str]) -> str:
    """Who acted, by name; under a delegation "… a.n. Ketua Pengurus Bambang Sutrisno"; a delegation
    entry names its holder and delegate."""
    if body.get("kind") == "escalation":
        return "Tatakelola (otomatis, tenggat)"
    actor = str(body.get("actor"))
    name = people.get(actor, actor)
    if body.get("kind") == "delegation":
        holder, delegate = str(body.get("holder")), str(body.get("delegate"))
        verb = "mencabut delegasi" if body.get("action") == "cabut_delegasi" else "delegasi"
        period = f" {body.get('starts_on')} s.d. {body.get('ends_on')}" if body.get("starts_on") else ""
        return f"{name} ({verb}: {people.get(holder, holder)} \u2192 {people.get(delegate, delegate)}{period})"
    behalf = body.get("atas_nama")
    if isinstance(behalf, str):
        return f"{name} a.n. {role_label(str(body.get('role', '')))} {people.get(behalf, behalf)}"
    return name


def _step_title(d: Definition | None, state: str) -> str:
    spec = d.states.get(state) if d is not None else None
    return (spec.status_label or spec.title) if spec is not None else state


def _short_time(value: datetime, tz: ZoneInfo) -> str:
    return f"{value.astimezone(tz):%d-%m-%Y %H.%M}"


def audit_view(session: Session, coop: Cooperative, start: date, end: date, tz: ZoneInfo,
               titles: dict[str, str], states: Callable[[str], Definition | None]) -> AuditView:
    """Entries of the period, per-procedure counts, open cases and the verification of the whole log."""
    low, high = period_bounds(start, end, tz)
    report = verify_log(session, coop)
    entries = session.scalars(select(AuditEntry).where(AuditEntry.coop_id == coop.id, AuditEntry.created_at >= low,
                                                       AuditEntry.created_at < high)
                              .order_by(AuditEntry.seq)).all()
    people = dict(session.execute(select(Person.username, Person.full_name)).all())
    rows: list[EntryRow] = []
    counts: dict[str, dict[str, int]] = {}
    for entry in entries:
        body = json.loads(entry.body)
        ref = str(body.get("definition", ""))
        kind = str(body.get("kind", ""))
        workflow = ref.split("@")[0] if ref else _OUTSIDE_CASES.get(kind, ("Catatan lain", ""))[0]
        vote = body.get("vote")
        action = str(body.get("action"))
        d = states(ref) if ref else None
        source, target = str(body.get("from") or ""), str(body.get("to") or "")
        if d is not None:
            named = action_label(d, action, source, target)
            titles_of = {k: v.title for k, v in d.states.items()}
            source_titles = titles_of
            if kind == "migration":  # moved to another version: the state it left is named by the old one
                named = f"Dipindahkan ke versi {d.version} (disetujui {body.get('approval', '—')})"
                older = states(str(body.get("from_definition") or ""))
                source_titles = {k: v.title for k, v in older.states.items()} if older is not None else titles_of
            step = f"{source_titles.get(source, source) if source else 'Mulai'} → {titles_of.get(target, target)}"
            if kind == "escalation":  # an overdue step, escalated by the engine (nobody's decision)
                to_role = body.get("to_role")
                named = f"Eskalasi: {_ESCALATED.get(str(body.get('do')), str(body.get('do')))}" + (
                    f" {role_label(str(to_role))}" if to_role else "")
                state = str(body.get("state") or "")
                step = f"{titles_of.get(state, state)} (melewati tenggat)"
            if kind == "jabatan":  # a term of office the decision set or ended (effects: appoint, install)
                named, step = _term_text(body, people), "Efek keputusan" + (
                    f" '{action_label(d, str(body['by_action']))}'" if body.get("by_action") else " (kasus selesai)")
        else:
            named, step = _OUTSIDE_CASES.get(kind, ("", _KIND_LABELS.get(kind, kind)))[1], "—"
        rows.append(EntryRow(
            entry.seq, _short_time(as_utc(entry.created_at), tz), str(body.get("case", "—")),
            titles.get(workflow, workflow), named, step,
            _actor(body, people), role_label(str(body.get("role", ""))) if kind != "jabatan" else "—",
            f"{vote['count']} dari {vote['needed']}" if isinstance(vote, dict) else None))
        counts.setdefault(workflow, dict.fromkeys(("cases", "started", *OUTCOMES, "entries"), 0))["entries"] += 1
    records = list(session.scalars(select(DefinitionRecord)))
    refs = {r.id: r.pinned_ref for r in records}
    workflow_of = {r.id: r.workflow_id for r in records}
    for active in case_statuses(session, coop.id, low, high, lambda record: states(refs[record])):
        tally = counts.setdefault(workflow_of[active.definition_id],
                                  dict.fromkeys(("cases", "started", *OUTCOMES, "entries"), 0))
        tally["cases"] += 1
        tally["started"] += active.started_in_period
        tally[active.outcome] += 1
    workflows = [WorkflowRow(titles.get(w, w), c["cases"], c["started"], c["selesai"], c["ditolak"],
                             c["dikembalikan"], c["berjalan"], c["entries"])
                 for w, c in sorted(counts.items(), key=lambda item: titles.get(item[0], item[0]))]
    open_rows = session.execute(
        select(Case.number, Case.definition_id, Case.state, Case.state_since)
        .where(Case.coop_id == coop.id, Case.closed_at.is_(None), Case.created_at < high)
        .order_by(Case.state_since)).all()
    open_cases = [(number, titles.get(workflow_of[record], workflow_of[record]),
                   _step_title(states(refs[record]), state), tanggal(as_utc(since).astimezone(tz).date()))
                  for number, record, state, since in open_rows]
    last_time = session.scalar(select(func.max(AuditEntry.created_at)).where(AuditEntry.coop_id == coop.id))
    checked_at = as_utc(last_time) if last_time is not None else high
    proof_size: int | None = entries[-1].seq if entries else None
    if proof_size is None:
        before = session.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.coop_id == coop.id, AuditEntry.created_at < high))
        has_cp = session.scalar(select(func.count()).select_from(Checkpoint).where(Checkpoint.coop_id == coop.id))
        proof_size = int(before or 0) if has_cp else None
    if report.ok:
        status = (f"Jejak persetujuan utuh: {report.size} catatan, {report.checkpoints} checkpoint bertanda "
                  "tangan sah.")
    else:
        status = f"Jejak persetujuan TIDAK utuh: {report.first}."
    return AuditView(
        start=tanggal(start), end=tanggal(end), ok=report.ok, status=status,
        findings=[str(f) for f in report.findings], log_size=report.size, log_root=report.root,
        checkpoints=report.checkpoints, latest_checkpoint=report.latest_checkpoint, entries=rows,
        workflows=workflows, open_cases=open_cases, seqs=[e.seq for e in entries], proof_size=proof_size,
        checked_at=checked_at, checked_text=tanggal_waktu(checked_at, tz),
    )
