"""Audit findings: did every decision follow the rules in force at the time?

Each rule re-reads the stored trail (events, data revisions, votes, the settings recorded
with each decision, role terms, checkpoints) and reports breaches with a severity, the
case, the log entries involved, and the rule with its source.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.adapters.store.db import as_utc
from engine.adapters.store.models import (
    Budget,
    Case,
    CaseEvent,
    CaseMigration,
    Checkpoint,
    Cooperative,
    DataRevision,
    DefinitionRecord,
    Delegation,
    Escalation,
    Person,
    RoleAssignment,
    SigningKey,
    Vote,
)
from engine.audit.entry import MIGRATION_KIND
from engine.domain.definitions.loader import LoadedDefinition
from engine.domain.definitions.model import Definition, WorkingDays
from engine.domain.guard_context import Facts, guard_context
from engine.domain.machine import machine_for
from engine.domain.policy import Delegated, History, Roster, excluded_by_segregation, quorum_needed
from engine.domain.roles import role_label
from engine.domain.values import format_date_id
from engine.errors import GuardError

__all__ = ["RULES", "Finding", "FindingsReport", "find"]

Severity = Literal["tinggi", "sedang", "rendah"]

#: Rule id -> Indonesian title, in report order.
RULES: dict[str, str] = {
    "peran": "Diputuskan oleh orang yang tidak memegang peran pada saat itu",
    "pemisahan_tugas": "Menyetujui sendiri / pelanggaran pemisahan tugas (maker-checker)",
    "jenjang": "Jumlah dialihkan ke jenjang persetujuan yang lebih rendah dari ketentuan",
    "kuorum": "Kuorum tidak terpenuhi",
    "tenggat": "Langkah melewati tenggat",
    "rapb": "Pengeluaran di luar pos RAPB yang disahkan atau melebihinya",
    "rapb_berubah": "RAPB/RK yang berlaku berbeda dari angka yang disetujui",
    "macet": "Kasus macet",
    "definisi_berubah": "Prosedur berubah di tengah tahun buku",
    "kunci_berubah": "Kunci penanda tangan jejak berganti",
}

_DEFAULT_STUCK_DAYS = 30


@dataclass(frozen=True)
class Finding:
    """One breach of a rule."""

    rule: str
    severity: Severity
    case: str | None
    entries: list[int]
    message: str
    source: str
    id: str = field(default="")

    def with_id(self) -> Finding:
        """The same finding with a stable id (rule, case, entries): used to open a follow-up once."""
        raw = json.dumps([self.rule, self.case, self.entries, self.message], ensure_ascii=False)
        return Finding(self.rule, self.severity, self.case, self.entries, self.message, self.source,
                       "T-" + hashlib.sha256(raw.encode()).hexdigest()[:10].upper())

    @property
    def title(self) -> str:
        """The rule broken, as people read it."""
        return RULES[self.rule]

    def to_json(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {**asdict(self), "title": self.title}


@dataclass
class FindingsReport:
    """All findings of a cooperative over a period."""

    coop: str
    start: date | None
    end: date | None
    cases_checked: int = 0
    decisions_checked: int = 0
    findings: list[Finding] = field(default_factory=list)


def find(
    session: Session,
    coop: Cooperative,
    pinned: Callable[[DefinitionRecord], LoadedDefinition],
    *,
    start: date | None = None,
    end: date | None = None,
    now: datetime,
    tz: ZoneInfo,
    calendar: WorkingDays | None = None,
) -> FindingsReport:
    """Run every rule over a cooperative's trail between ``start`` and ``end`` (local dates, inclusive).

    ``calendar``: the cooperative's working days (holidays and cuti bersama); weekends only without one.
    """
    report = FindingsReport(coop.slug, start, end)

    def in_period(moment: datetime) -> bool:
        day = as_utc(moment).astimezone(tz).date()
        return (start is None or day >= start) and (end is None or day <= end)

    usernames = dict(session.execute(select(Person.id, Person.username)).all())
    records = {r.id: r for r in session.scalars(select(DefinitionRecord))}
    cases = session.scalars(select(Case).where(Case.coop_id == coop.id).order_by(Case.id)).all()
    roster = Roster(session.scalars(select(RoleAssignment).where(RoleAssignment.coop_id == coop.id)).all(),
                    _delegations(session, coop, tz))
    events_of: dict[int, list[CaseEvent]] = {c.id: [] for c in cases}
    for event in session.scalars(select(CaseEvent).where(CaseEvent.coop_id == coop.id).order_by(CaseEvent.seq)):
        events_of[event.case_id].append(event)
    revisions_of: dict[int, dict[int, Any]] = {c.id: {} for c in cases}
    for revision in session.scalars(select(DataRevision).where(DataRevision.coop_id == coop.id)):
        revisions_of[revision.case_id][revision.rev] = json.loads(revision.canonical)
    votes_of: dict[int, list[Vote]] = {c.id: [] for c in cases}
    for vote in session.scalars(select(Vote).where(Vote.coop_id == coop.id)):
        votes_of[vote.case_id].append(vote)
    handed_of: dict[int, dict[int, list[tuple[datetime, str]]]] = {}  # an overdue step handed on (alihkan)
    for case_id, step_no, at, role in session.execute(
            select(Escalation.case_id, Escalation.step_no, Escalation.at, Escalation.to_role)
            .where(Escalation.coop_id == coop.id, Escalation.kind == "alihkan")):
        if role:
            handed_of.setdefault(case_id, {}).setdefault(step_no, []).append((as_utc(at), role))
    moves_of: dict[int, list[CaseMigration]] = {}  # a case moved to another version: each move, by seq
    for move in session.scalars(select(CaseMigration).where(CaseMigration.coop_id == coop.id)
                                .order_by(CaseMigration.seq)):
        moves_of.setdefault(move.case_id, []).append(move)
    origin = {case_id: moves[0].from_definition_id for case_id, moves in moves_of.items()}
    out: list[Finding] = []
    for case in cases:
        loaded = pinned(records[origin.get(case.id, case.definition_id)])
        moved = {m.seq: pinned(records[m.to_definition_id]) for m in moves_of.get(case.id, ())}
        events = events_of[case.id]
        if not any(in_period(e.at) for e in events):
            continue
        report.cases_checked += 1
        out += _case_findings(roster, case, loaded, events, revisions_of[case.id], votes_of[case.id],
                              usernames, in_period, tz, calendar, moved, handed_of.get(case.id, {}))
        report.decisions_checked += sum(1 for e in events if e.kind not in ("start", MIGRATION_KIND)
                                        and in_period(e.at))
        out += _stuck(case, pinned(records[case.definition_id]).definition, coop, now, tz, end)
    out += _definition_changes(cases, records, tz, in_period, origin)
    out += _key_changes(session, coop, in_period)
    out += _rapb(session, coop, cases, records, pinned, tz, in_period)
    out += _rapb_changed(session, coop, cases, in_period)
    report.findings = [f.with_id() for f in out]
    return report


def _delegations(session: Session, coop: Cooperative, tz: ZoneInfo) -> list[Delegated]:
    """The cooperative's delegations (a.n.) as they stood when decisions were taken: a revoked one
    counts up to the day of its revocation (the delegate may have acted earlier that day)."""
    return [Delegated(d.role, d.holder_id, d.delegate_id, d.starts_on,
                      d.ends_on if d.revoked_at is None else min(d.ends_on, as_utc(d.revoked_at).astimezone(tz).date()))
            for d in session.scalars(select(Delegation).where(Delegation.coop_id == coop.id))]


def _case_findings(
    roster: Roster,
    case: Case,
    loaded: LoadedDefinition,
    events: list[CaseEvent],
    revisions: dict[int, Any],
    votes: list[Vote],
    usernames: dict[int, str],
    in_period: Callable[[datetime], bool],
    tz: ZoneInfo,
    calendar: WorkingDays | None = None,
    moved: dict[int, LoadedDefinition] | None = None,
    handed: dict[int, list[tuple[datetime, str]]] | None = None,
) -> list[Finding]:
    """``moved``: seq of each migration entry of the case -> the definition it moved the case to; the
    decisions before it are replayed against the definition in force then."""
    d = loaded.definition
    machine = machine_for(loaded)
    out: list[Finding] = []
    sop = f"{d.sop.nomor} {d.title}"
    entered = as_utc(case.created_at)
    for index, e in enumerate(events):
        at = as_utc(e.at)
        if e.kind == "start":
            entered = at
            continue
        if e.kind == MIGRATION_KIND:  # nobody's decision: the case goes on under the version it moved to
            if moved and e.seq in moved:
                loaded = moved[e.seq]
                d, machine = loaded.definition, machine_for(loaded)
                sop = f"{d.sop.nomor} {d.title}"
            entered = at
            continue
        fired = e.from_state != e.to_state
        prior = History(events[:index], usernames)
        candidates = machine.candidates(e.from_state, e.action)
        variant = next((a for a in candidates if a.to == e.to_state), None) if fired else (
            next((a for a in candidates if a.quorum is not None), None))
        check = in_period(e.at)
        who = usernames.get(e.actor_id, "?")
        day = at.astimezone(tz).date()
        if check and variant is None:
            out.append(Finding("jenjang", "tinggi", case.number, [e.seq],
                               f"Aksi '{e.action}' dari '{e.from_state}' ke '{e.to_state}' tidak ada di prosedur.",
                               sop))
        if check and variant is not None:
            held = roster.roles_on(e.actor_id, day)
            deputies = [r for since, r in (handed or {}).get(e.step_no, []) if since <= at]  # overdue, alihkan
            if e.role not in held or (e.role not in variant.roles and e.role not in deputies):
                out.append(Finding("peran", "tinggi", case.number, [e.seq],
                                   f"{who} mengambil '{e.action}' sebagai {role_label(e.role)} pada "
                                   f"{format_date_id(day)}, padahal tidak memegang peran "
                                   f"{' atau '.join(role_label(r) for r in variant.roles)} saat itu.",
                                   f"{sop}, aksi '{e.action}'; daftar pengurus/pengawas dan masa jabatan"))
            excluded = excluded_by_segregation(d, variant, case, prior)
            bound = e.actor_id if e.actor_id in excluded else e.on_behalf_of_id  # a.n.: the holder's part binds
            if bound in excluded:
                out.append(Finding("pemisahan_tugas", "tinggi", case.number, [e.seq],
                                   f"{who} mengambil '{e.action}'"
                                   f"{'' if bound == e.actor_id else ' atas nama pemegang peran'}: {excluded[bound]}",
                                   f"{sop}, aksi '{e.action}'; prinsip pemisahan tugas (maker-checker)"))
            data = revisions.get(e.data_rev, {})
            settings = dict(e.settings)
            if fired and variant.when:
                context = guard_context(d, data, settings, Facts(roster=roster, today=day))
                try:
                    expected = machine.decide(e.from_state, e.action, context).chosen
                except GuardError:
                    expected = None
                if expected is None or expected.to != e.to_state:
                    target = expected.to if expected else "tidak ada jalur sah"
                    used = ", ".join(sorted(n for n in d.settings_used if n in variant.when))
                    out.append(Finding("jenjang", "tinggi", case.number, [e.seq],
                                       f"'{e.action}' membawa kasus ke '{e.to_state}', padahal menurut syarat "
                                       f"'{variant.when}' seharusnya ke '{target}'.",
                                       f"{sop}; setting {used or '-'} (AD/ART)"))
            if fired and variant.quorum is not None:
                needed = quorum_needed(variant, settings)
                voters = {v.person_id for v in votes if v.step_no == e.step_no and v.action == variant.id}
                if len(voters) < needed:
                    seqs = sorted({v.seq for v in votes if v.step_no == e.step_no and v.action == variant.id}
                                  | {e.seq})
                    source = (f"setting {variant.quorum.count} (AD/ART)" if isinstance(variant.quorum.count, str)
                              else sop)
                    out.append(Finding("kuorum", "tinggi", case.number, seqs,
                                       f"'{e.action}' berlaku dengan {len(voters)} suara, padahal perlu {needed}.",
                                       source))
        if fired:
            state = d.states.get(e.from_state)
            if check and state is not None and state.deadline is not None:
                due = state.deadline.due(entered, tz, calendar, data)
                if due is not None and at > due:
                    late = at - due
                    out.append(Finding("tenggat", "sedang" if late < timedelta(days=7) else "tinggi",
                                       case.number, [e.seq],
                                       f"Langkah '{state.title}' diselesaikan {_duration(late)} setelah tenggat "
                                       f"({state.deadline.words(d)}).",
                                       f"{sop}, mutu baku waktu langkah '{e.from_state}'"))
            entered = at
    return out


def _duration(delta: timedelta) -> str:
    if delta >= timedelta(days=1):
        return f"{delta.days} hari"
    return f"{max(1, int(delta.total_seconds() // 3600))} jam"


def _stuck(case: Case, d: Definition, coop: Cooperative, now: datetime, tz: ZoneInfo,
           end: date | None) -> list[Finding]:
    if case.closed_at is not None:
        return []
    limit = coop.settings.get("batas_kasus_macet_hari", _DEFAULT_STUCK_DAYS)
    days = int(limit) if isinstance(limit, int) else _DEFAULT_STUCK_DAYS
    reference = now if end is None else min(now, datetime.combine(end + timedelta(days=1), datetime.min.time(), tz))
    idle = reference - as_utc(case.state_since)
    if idle <= timedelta(days=days):
        return []
    state = d.states[case.state]
    return [Finding("macet", "sedang", case.number, [],
                    f"Kasus berhenti di '{state.title}' selama {idle.days} hari (batas {days} hari).",
                    "setting batas_kasus_macet_hari (bawaan 30 hari)")]


def _definition_changes(cases: Iterable[Case], records: dict[int, DefinitionRecord], tz: ZoneInfo,
                        in_period: Callable[[datetime], bool], origin: dict[int, int]) -> list[Finding]:
    """``origin``: the definition a case moved to another version started under."""
    by_year: dict[tuple[str, int], dict[int, datetime]] = {}
    for case in cases:
        record = records[origin.get(case.id, case.definition_id)]
        year = as_utc(case.created_at).astimezone(tz).year
        first = by_year.setdefault((record.workflow_id, year), {})
        started = as_utc(case.created_at)
        if record.version not in first or started < first[record.version]:
            first[record.version] = started
    out = []
    for (workflow, year), versions in sorted(by_year.items()):
        if len(versions) < 2:
            continue
        ordered = sorted(versions.items(), key=lambda kv: kv[1])
        for (old, _), (new, since) in itertools.pairwise(ordered):
            if in_period(since):
                out.append(Finding("definisi_berubah", "rendah", None, [],
                                   f"Prosedur '{workflow}' berganti dari versi {old} ke versi {new} pada "
                                   f"{format_date_id(since.astimezone(tz).date())}, di tengah tahun buku {year}; "
                                   "kasus tahun ini berjalan dengan dua aturan.",
                                   "Pengendalian revisi SOP (SOP-KEL-09); pastikan perubahan diputuskan sah"))
    return out


def _key_changes(session: Session, coop: Cooperative, in_period: Callable[[datetime], bool]) -> list[Finding]:
    rows = session.execute(select(Checkpoint.size, Checkpoint.key_id, Checkpoint.created_at)
                           .where(Checkpoint.coop_id == coop.id).order_by(Checkpoint.size, Checkpoint.id)).all()
    keys = {k.id: k for k in session.scalars(select(SigningKey))}
    out = []
    previous: int | None = None
    for size, key_id, created in rows:
        if previous is not None and key_id != previous and in_period(created):
            out.append(Finding("kunci_berubah", "tinggi", None, [size] if size else [],
                               f"Checkpoint ukuran {size} ditandatangani kunci lain "
                               f"({keys[key_id].verifier_key[:40]}…) dari sebelumnya "
                               f"({keys[previous].verifier_key[:40]}…).",
                               "Kunci penanda tangan yang diserahkan kepada pengawas"))
        previous = key_id
    return out


def _rapb_changed(session: Session, coop: Cooperative, cases: Iterable[Case],
                  in_period: Callable[[datetime], bool]) -> list[Finding]:
    """A ratified RAPB/RK whose stored figures are not the ones every approval of its case bound."""
    from engine.audit.budget import approval_problem, budget_data

    by_number = {c.number: c for c in cases}
    out = []
    for budget in session.scalars(select(Budget).where(Budget.coop_id == coop.id, Budget.status == "disahkan")
                                  .order_by(Budget.year, Budget.revision)):
        case = by_number.get(budget.case_number or "")
        moment = budget.locked_at or budget.updated_at
        if case is None or not in_period(moment):
            continue
        problem = approval_problem(session, case, budget_data(session, budget).sha256)
        if problem is not None:
            out.append(Finding("rapb_berubah", "tinggi", case.number, [],
                               f"RAPB/RK {budget.year} revisi {budget.revision} tercatat disahkan, tetapi {problem}.",
                               f"Kasus {case.number}; jejak impor RAPB/RK dan persetujuannya"))
    return out


def _rapb(session: Session, coop: Cooperative, cases: Iterable[Case], records: dict[int, DefinitionRecord],
          pinned: Callable[[DefinitionRecord], LoadedDefinition], tz: ZoneInfo,
          in_period: Callable[[datetime], bool]) -> list[Finding]:
    """Spending (cases with ``jumlah`` and ``pos_rapb`` that reached a final, non-rejected state)
    against the year's approved RAPB lines, when the cooperative has them."""
    from engine.audit.budget import approved_budget

    spent: dict[tuple[int, str], list[tuple[Case, int]]] = {}
    for case in cases:
        d = pinned(records[case.definition_id]).definition
        if "jumlah" not in d.fields or "pos_rapb" not in d.fields or case.closed_at is None:
            continue
        if case.state in ("ditolak", "dibatalkan") or not in_period(case.closed_at):
            continue
        amount, pos = case.data.get("jumlah"), case.data.get("pos_rapb")
        if isinstance(amount, int) and isinstance(pos, str):
            year = as_utc(case.closed_at).astimezone(tz).year
            spent.setdefault((year, pos), []).append((case, amount))
    out = []
    budgets: dict[int, dict[str, int] | None] = {}
    for (year, pos), items in sorted(spent.items()):
        if year not in budgets:
            budgets[year] = approved_budget(session, coop, year)
        budget = budgets[year]
        if budget is None:
            continue
        source = f"RAPB {year} yang disahkan Rapat Anggota"
        if pos not in budget:
            for case, amount in items:
                out.append(Finding("rapb", "tinggi", case.number, [],
                                   f"Pengeluaran Rp {amount:,} pada pos '{pos}' yang tidak ada di RAPB {year}."
                                   .replace(",", "."), source))
            continue
        total = 0
        for case, amount in items:
            total += amount
            if total > budget[pos]:
                out.append(Finding("rapb", "tinggi", case.number, [],
                                   f"Pos '{pos}': realisasi Rp {total:,} melebihi anggaran Rp {budget[pos]:,}."
                                   .replace(",", "."), source))
    return out
