"""The Berita Acara of a decided case: what, by whom in which role and when, with votes."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.adapters.render.common import OrgInfo, Signer
from engine.adapters.render.formatting import hari, rupiah, tanggal, tanggal_waktu, terbilang, zona
from engine.adapters.store.db import as_utc
from engine.adapters.store.models import AuditEntry, Case, CaseEvent, Cooperative, Person, Vote
from engine.domain.definitions.loader import LoadedDefinition
from engine.domain.definitions.model import Definition
from engine.domain.roles import role_label
from engine.errors import ValidationError

__all__ = ["MinutesView", "action_label", "minutes_number", "minutes_view"]

_KIND_LABELS = {"start": "Dimulai", "submit": "Diajukan", "verify": "Diverifikasi", "approve": "Disetujui",
                "reject": "Ditolak", "return": "Dikembalikan", "cancel": "Dibatalkan"}
_CAPTIONS = {"start": "Diajukan oleh", "submit": "Diajukan oleh", "verify": "Diverifikasi oleh",
             "approve": "Disetujui oleh", "reject": "Ditolak oleh", "return": "Dikembalikan oleh",
             "cancel": "Dibatalkan oleh"}
_DECISIONS = frozenset({"verify", "approve", "reject"})


def minutes_number(case_number: str) -> str:
    """``KAS/2026/0001`` -> ``BA-KAS-2026-0001``."""
    return "BA-" + case_number.replace("/", "-")


@dataclass(frozen=True)
class FieldRow:
    """One item of the case data as printed (money also in words)."""

    label: str
    value: str
    words: str | None = None


@dataclass(frozen=True)
class EventRow:
    """One logged step of the case."""

    seq: int
    when: str
    step: str
    action: str
    outcome: str
    actor: str
    role: str
    comment: str | None
    long: str = ""


@dataclass(frozen=True)
class VoteRow:
    """One vote of a quorum decision."""

    seq: int
    name: str
    role: str
    when: str


@dataclass(frozen=True)
class VoteGroup:
    """The votes cast on one quorum action at one step."""

    action: str
    step: str
    needed: int
    votes: list[VoteRow]

    @property
    def reached(self) -> bool:
        """Whether the quorum was reached."""
        return len(self.votes) >= self.needed


@dataclass(frozen=True)
class MinutesView:
    """Everything the Berita Acara prints."""

    case_number: str
    title: str
    definition_ref: str
    sop_number: str
    status: str
    final: bool
    outcome: str
    decided: datetime
    day_name: str
    date_words: str
    date_short: str
    fields: list[FieldRow]
    events: list[EventRow]
    votes: list[VoteGroup]
    signers: list[Signer]
    place_date: str
    last_decision: EventRow | None = None
    attachments: list[FieldRow] = field(default_factory=list)
    zone: str = "WIB"
    decided_text: str = ""


def _date_words(day: date) -> str:
    months = ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober",
              "November", "Desember")
    return (f"tanggal {terbilang(day.day, currency=False)} bulan {months[day.month - 1]} tahun "
            f"{terbilang(day.year, currency=False)}")


def _field_rows(d: Definition, data: dict[str, Any]) -> tuple[list[FieldRow], list[FieldRow]]:
    rows: list[FieldRow] = []
    files: list[FieldRow] = []
    for name, spec in d.fields.items():
        value = data.get(name)
        if value is None or value == "" or value == []:
            continue
        if spec.type == "money" and isinstance(value, int):
            rows.append(FieldRow(spec.label, rupiah(value), terbilang(value)))
        elif spec.type == "date":
            rows.append(FieldRow(spec.label, tanggal(str(value))))
        elif spec.type == "attachment" and isinstance(value, dict):
            files.append(FieldRow(spec.label, str(value.get("name", "berkas")),
                                  f"{value.get('size', '?')} bita, SHA-256 {value.get('sha256', '')}"))
        else:
            rows.append(FieldRow(spec.label, str(value)))
    return rows, files


def action_label(d: Definition, action_id: str, from_state: str = "", to_state: str = "") -> str:
    """The label of the action taken, preferring the variant that matches the states it moved between."""
    if action_id == "mulai":
        return "Memulai"
    candidates = [a for a in d.actions if a.id == action_id]
    exact = [a for a in candidates if from_state in a.from_ and a.to == to_state]
    same_start = [a for a in candidates if from_state in a.from_]
    chosen = (exact or same_start or candidates)
    return chosen[0].display if chosen else action_id


def _state_title(d: Definition, state: str) -> str:
    spec = d.states.get(state)
    return spec.title if spec else (state or "—")


def minutes_view(session: Session, case: Case, coop: Cooperative, loaded: LoadedDefinition,
                 tz: ZoneInfo) -> MinutesView:
    """Build the Berita Acara of a case that has at least one decision (verify, approve, reject).

    Raises:
        ValidationError: When nothing has been decided in the case yet.
    """
    d = loaded.definition
    events = session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.seq)).all()
    if not any(e.kind in _DECISIONS for e in events):
        raise ValidationError([], headline=f"Kasus {case.number} belum memuat keputusan (verifikasi, persetujuan "
                                           "atau penolakan); Berita Acara dibuat setelah ada keputusan.")
    people = dict(session.execute(select(Person.id, Person.full_name)).all())
    # A vote that did not yet reach the quorum stays in its step; the vote that fired says where it led.
    fired_to: dict[tuple[int, str], str] = {(e.step_no, e.action): e.to_state for e in events
                                            if e.to_state != e.from_state}
    rows = []
    for e in events:
        target = fired_to.get((e.step_no, e.action), e.to_state)
        if e.to_state == e.from_state and e.from_state:
            step = f"{_state_title(d, e.from_state)} (suara dicatat)"
        else:
            step = f"{_state_title(d, e.from_state) if e.from_state else 'Mulai'} → {_state_title(d, e.to_state)}"
        rows.append(EventRow(e.seq, f"{as_utc(e.at).astimezone(tz):%d-%m-%Y %H.%M}", step,
                             action_label(d, e.action, e.from_state, target), _KIND_LABELS.get(e.kind, e.kind),
                             people.get(e.actor_id, "?"), role_label(e.role), e.comment,
                             tanggal_waktu(as_utc(e.at), tz)))
    bodies = {seq: json.loads(body) for seq, body in session.execute(
        select(AuditEntry.seq, AuditEntry.body).where(AuditEntry.case_id == case.id)).all()}
    vote_rows = session.scalars(select(Vote).where(Vote.case_id == case.id).order_by(Vote.seq)).all()
    groups: dict[tuple[int, str], list[Vote]] = {}
    for vote in vote_rows:
        groups.setdefault((vote.step_no, vote.action), []).append(vote)
    by_seq = {e.seq: e for e in events}
    votes: list[VoteGroup] = []
    for (_, action_id), items in groups.items():
        last = bodies.get(items[-1].seq, {})
        needed = int((last.get("vote") or {}).get("needed") or len(items))
        event = by_seq.get(items[0].seq)
        step = _state_title(d, event.from_state) if event else "—"
        target = fired_to.get((event.step_no, action_id), "") if event else ""
        votes.append(VoteGroup(action_label(d, action_id, event.from_state if event else "", target), step, needed,
                               [VoteRow(v.seq, people.get(v.person_id, "?"), role_label(v.role),
                                        tanggal_waktu(as_utc(v.cast_at), tz)) for v in items]))
    signers: dict[tuple[int, str], Signer] = {}
    for e in events:
        caption = _CAPTIONS.get(e.kind, "Oleh")
        key = (e.actor_id, e.role)
        if key in signers and e.kind not in _DECISIONS:
            continue
        signers[key] = Signer(role_label(e.role), people.get(e.actor_id), None, caption)
    decided = as_utc(events[-1].at)
    local_day = decided.astimezone(tz).date()
    state = d.states[case.state]
    status = state.status_label or state.title
    decisions = [r for r, e in zip(rows, events, strict=True) if e.kind in _DECISIONS]
    last = decisions[-1] if decisions else None
    if state.final:
        detail = "" if state.title.lower() == status.lower() else f" — {state.title}"
        outcome = f"{d.title}: {status.upper()}{detail}."
    else:
        outcome = f"{d.title}: belum selesai, status saat ini {status}."
    fields, files = _field_rows(d, dict(case.data))
    org = OrgInfo.of(coop)
    return MinutesView(
        case_number=case.number, title=d.title, definition_ref=f"{d.ref}", sop_number=d.sop.nomor, status=status,
        final=state.final, outcome=outcome, decided=decided, day_name=hari(local_day),
        date_words=_date_words(local_day), date_short=local_day.strftime("%d-%m-%Y"), fields=fields, events=rows,
        votes=votes, signers=list(signers.values()), place_date=f"{org.town}, {tanggal(local_day)}",
        last_decision=last, attachments=files, zone=zona(tz), decided_text=tanggal_waktu(decided, tz),
    )
