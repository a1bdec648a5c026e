"""The Berita Acara of a decided case: what, by whom in which role and when, who attended, with votes.

A case with a daftar hadir (attendance field) gets a section on its meeting: who was present,
absent and (for role holders) present without voting, counted against everyone who could attend
on the meeting's date, and the quorum sentence computed from those lists and from the AD/ART
settings recorded with the decision.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.adapters.render.common import OrgInfo, Signer
from engine.adapters.render.formatting import hari, rupiah, tanggal, tanggal_waktu, terbilang, zona
from engine.adapters.store.db import as_utc
from engine.adapters.store.models import AuditEntry, Case, CaseEvent, Cooperative, Person, Vote
from engine.audit.entry import MIGRATION_KIND
from engine.domain.attendance import (
    LONG_LIST,
    MEMBERS,
    Attendee,
    Rule,
    attendance_fields,
    meeting_day,
    rule_for,
    split,
    tally,
)
from engine.domain.definitions.expr import compile_guard
from engine.domain.definitions.loader import LoadedDefinition
from engine.domain.definitions.model import Action, Definition
from engine.domain.guard_context import Facts, guard_context, person_usernames
from engine.domain.letter_numbers import LetterNumber, letter_code, minutes_number
from engine.domain.policy import Roster
from engine.domain.roles import ROLES, expand_roles, role_label
from engine.domain.values import ListTable, format_value, human_size, list_table
from engine.errors import GuardError, ValidationError
from engine.services.context import rosters
from engine.services.meetings import eligible_on, recorded_on
from engine.services.members import mask_nik

__all__ = ["AttendanceView", "MinutesView", "PersonRow", "action_label", "masked", "minutes_view"]

_KIND_LABELS = {"start": "Dimulai", "submit": "Diajukan", "verify": "Diverifikasi", "approve": "Disetujui",
                "reject": "Ditolak", "return": "Dikembalikan", "cancel": "Dibatalkan",
                MIGRATION_KIND: "Dipindahkan ke versi baru"}
_CAPTIONS = {"start": "Diajukan oleh", "submit": "Diajukan oleh", "verify": "Diverifikasi oleh",
             "approve": "Disetujui oleh", "reject": "Ditolak oleh", "return": "Dikembalikan oleh",
             "cancel": "Dibatalkan oleh"}
_DECISIONS = frozenset({"verify", "approve", "reject"})
#: A NIK typed into free text (a comment, a text field): 16 digits standing alone.
_NIK_IN_TEXT = re.compile(r"(?<!\d)\d{16}(?!\d)")


def _is_nik_field(name: str, label: str) -> bool:
    return name == "nik" or name.startswith("nik_") or name.endswith("_nik") or "NIK" in label.split()


def masked(text: str) -> str:
    """Free text with every NIK (16 digits standing alone) masked: no document prints a full NIK."""
    return _NIK_IN_TEXT.sub(lambda m: mask_nik(m.group(0)), text)


@dataclass(frozen=True)
class FieldRow:
    """One item of the case data as printed (money also in words)."""

    label: str
    value: str
    words: str | None = None
    #: A list field: its rows under the column labels (``value`` says how many).
    table: ListTable | None = None


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
    on_behalf: str = ""  # "a.n. Ketua Pengurus Bambang Sutrisno" when taken under a delegation


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
class PersonRow:
    """Someone on a meeting's lists: member number or user name, name, and (role holders) office that day."""

    key: str
    name: str
    role: str = ""


@dataclass(frozen=True)
class AttendanceView:
    """One meeting's daftar hadir as the Berita Acara prints it.

    ``long``: more than :data:`LONG_LIST` present, so only counts are printed and the signed list is
    attached; ``absent`` and ``abstaining`` are printed when they are short enough.
    """

    label: str
    noun: str
    day: str
    sentence: str
    members: bool
    eligible: int
    present: list[PersonRow]
    absent: list[PersonRow]
    abstaining: list[PersonRow] | None
    not_eligible: list[str] = field(default_factory=list)

    @property
    def long(self) -> bool:
        """Too many present to list by name."""
        return len(self.present) > LONG_LIST

    @property
    def absent_long(self) -> bool:
        """Too many absent to list by name."""
        return len(self.absent) > LONG_LIST


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
    attendance: list[AttendanceView] = field(default_factory=list)
    #: The letter number in the cooperative's format (``003/BA/KKMP-SNT/XII/2026``).
    number: str = ""


def _date_words(day: date) -> str:
    months = ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober",
              "November", "Desember")
    return (f"tanggal {terbilang(day.day, currency=False)} bulan {months[day.month - 1]} tahun "
            f"{terbilang(day.year, currency=False)}")


def _field_rows(d: Definition, data: dict[str, Any],
                names: dict[str, str] | None = None) -> tuple[list[FieldRow], list[FieldRow]]:
    """The case data as printed; ``names``: user name -> full name of the people person fields name."""
    rows: list[FieldRow] = []
    files: list[FieldRow] = []
    names = names or {}
    for name, spec in d.fields.items():
        value = data.get(name)
        if value is None or value == "" or value == [] or spec.type == "attendance":  # attendance: its own section
            continue
        if spec.type == "list":
            table = list_table(spec, value, names)
            rows.append(FieldRow(spec.label, format_value(spec, value), table=ListTable(
                table.headers, [[masked(cell) for cell in cells] for cells in table.rows])))
        elif spec.type == "person" and isinstance(value, str):
            rows.append(FieldRow(spec.label, f"{names[value]} ({value})" if value in names else value))
        elif spec.type == "money" and isinstance(value, int):
            rows.append(FieldRow(spec.label, rupiah(value), terbilang(value)))
        elif spec.type == "date":
            rows.append(FieldRow(spec.label, tanggal(str(value))))
        elif spec.type == "attachment" and isinstance(value, dict):
            files.append(FieldRow(spec.label, str(value.get("name", "berkas")),
                                  f"{_size(value.get('size'))}, SHA-256 {value.get('sha256', '')}"))
        elif spec.type == "text" and _is_nik_field(name, spec.label):
            rows.append(FieldRow(spec.label, mask_nik(str(value))))
        else:
            rows.append(FieldRow(spec.label, masked(str(value))))
    return rows, files


def action_label(d: Definition, action_id: str, from_state: str = "", to_state: str = "") -> str:
    """The label of the action taken, preferring the variant that matches the states it moved between."""
    if action_id == "mulai":
        return "Memulai"
    if action_id == "migrasi" and not any(a.id == action_id for a in d.actions):
        return "Pindah versi prosedur"
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
    roster = rosters(session, [case.coop_id])[case.coop_id]

    def seat(e: CaseEvent) -> str:
        return _seat(roster, e.actor_id, e.role, as_utc(e.at).astimezone(tz).date())

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
                             people.get(e.actor_id, "?"), seat(e), e.comment and masked(e.comment),
                             tanggal_waktu(as_utc(e.at), tz), _on_behalf(e, people)))
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
                               [VoteRow(v.seq, people.get(v.person_id, "?"),
                                        _seat(roster, v.person_id, v.role, as_utc(v.cast_at).astimezone(tz).date()),
                                        tanggal_waktu(as_utc(v.cast_at), tz)) for v in items]))
    signers: dict[tuple[int, str, int | None], Signer] = {}
    for e in events:
        if e.kind == MIGRATION_KIND:  # nobody's decision on this case: no signature line
            continue
        caption = _CAPTIONS.get(e.kind, "Oleh")
        key = (e.actor_id, e.role, e.on_behalf_of_id)
        if key in signers and e.kind not in _DECISIONS:
            continue
        signers[key] = Signer(_on_behalf(e, people) or seat(e), people.get(e.actor_id), None, caption)
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
    named = person_usernames(d, case.data)  # person fields and columns print the person's name
    names = {u: n for u, n in session.execute(select(Person.username, Person.full_name)
                                              .where(Person.username.in_(named)))} if named else {}
    fields, files = _field_rows(d, dict(case.data), names)
    org = OrgInfo.of(coop)
    attendance = _attendance(session, case, d, events, vote_rows, tz)
    first = next(e for e in events if e.kind in _DECISIONS)
    first_day = as_utc(first.at).astimezone(tz).date()
    letter = LetterNumber(case.number, _running_number(session, case.coop_id, first.seq, first_day.year, tz),
                          first_day, letter_code(coop.settings or {}, org.initials, coop.kelurahan))
    return MinutesView(
        case_number=case.number, title=d.title, definition_ref=f"{d.ref}", sop_number=d.sop.nomor, status=status,
        final=state.final, outcome=outcome, decided=decided, day_name=hari(local_day),
        date_words=_date_words(local_day), date_short=local_day.strftime("%d-%m-%Y"), fields=fields, events=rows,
        votes=votes, signers=list(signers.values()), place_date=f"{org.town}, {tanggal(local_day)}",
        last_decision=last, attachments=files, zone=zona(tz), decided_text=tanggal_waktu(decided, tz),
        attendance=attendance, number=minutes_number(letter, coop.settings or {}),
    )


def _running_number(session: Session, coop_id: int, first_seq: int, year: int, tz: ZoneInfo) -> int:
    """The case's place among the cooperative's cases first decided in ``year``, by their first decision's
    position in the trail (append-only, so a number once given never changes)."""
    rows = session.execute(
        select(func.min(CaseEvent.seq), func.min(CaseEvent.at))
        .where(CaseEvent.coop_id == coop_id, CaseEvent.kind.in_(_DECISIONS))
        .group_by(CaseEvent.case_id)).all()
    return sum(1 for seq, at in rows if seq <= first_seq and as_utc(at).astimezone(tz).year == year)


def _seat(roster: Roster, person_id: int, role: str, day: date) -> str:
    """The seat someone acted in: the most specific office they held that day that carries ``role``
    (``Ketua Pengurus`` for a step the definition gives to ``pengurus``), else the role's own label."""
    if role not in ROLES:
        return role_label(role)
    held = expand_roles(roster.own_roles_on(person_id, day))
    specific = [r for r in ROLES if r in held and r != role and role in ROLES[r].implies]
    return role_label(specific[0] if specific else role)


def _on_behalf(event: CaseEvent, people: dict[int, str]) -> str:
    """``a.n. Ketua Pengurus Bambang Sutrisno`` for a step taken under a delegation, else ""."""
    if event.on_behalf_of_id is None:
        return ""
    return f"a.n. {role_label(event.role)} {people.get(event.on_behalf_of_id, '?')}"


def _variant(d: Definition, event: CaseEvent, data: dict[str, Any]) -> Action | None:
    """The variant of the action an event took (by its states; by its guard over the case's data when two match)."""
    candidates = [a for a in d.actions if a.id == event.action and event.from_state in a.from_]
    exact = [a for a in candidates if a.to == event.to_state] or candidates
    if len(exact) > 1:
        context = guard_context(d, data, event.settings, Facts(today=as_utc(event.at).date()))
        for action in exact:
            try:
                if action.when is None or compile_guard(action.when)(context):
                    return action
            except GuardError:
                continue
    return exact[0] if exact else None


def _row(roster: Roster, attendee: Attendee, of: str, day: date) -> PersonRow:
    """A line of a list; a role holder with the most specific office they held that day (Ketua Pengurus …)."""
    if attendee.person_id is None:
        return PersonRow(attendee.key, attendee.name)
    held = roster.roles_on(attendee.person_id, day)
    specific = [r for r in ROLES if r in held and of in ROLES[r].implies]
    return PersonRow(attendee.key, attendee.name, role_label(specific[0] if specific else of))


def _attendance(session: Session, case: Case, d: Definition, events: Sequence[CaseEvent], votes: Sequence[Vote],
                tz: ZoneInfo) -> list[AttendanceView]:
    """Each filled-in daftar hadir: present, absent, present without voting, and the quorum sentence."""
    out: list[AttendanceView] = []
    names = [n for n in attendance_fields(d) if case.data.get(n)]
    if not names:
        return out
    roster = rosters(session, [case.coop_id])[case.coop_id]
    data = dict(case.data)
    taken = [(e, _variant(d, e, data)) for e in events]
    for name in names:
        spec = d.fields[name]
        if spec.of is None:
            continue
        last = as_utc(events[-1].at).astimezone(tz).date()
        day = (meeting_day(d, name, data, last) if spec.on is not None
               else recorded_on(session, case.id, name, tz) or last)
        if day is None:
            continue
        eligible = eligible_on(session, case.coop_id, roster, spec.of, day)
        listed = [str(v) for v in data[name]]
        present, absent, unknown = split(eligible, listed)
        rule: Rule | None = None
        for event, action in taken:  # the quorum of the last decision taken at this meeting
            if action is not None and action.attendance is not None and action.attendance.field == name:
                try:
                    rule = rule_for(action.attendance, event.settings) or rule
                except ValidationError:
                    continue
        sentence = tally(listed, eligible, rule).sentence()
        abstaining: list[PersonRow] | None = None
        members = spec.of == MEMBERS
        if not members:
            linked = {a.id: a.kind for a in d.actions if a.quorum is not None and a.attendance is not None
                      and a.attendance.field == name}
            cast = [v for v in votes if v.action in linked]
            if cast:
                step = max(v.step_no for v in cast)
                cast = [v for v in cast if v.step_no == step]
                voters = {v.person_id for v in cast}
                yes = sum(1 for v in cast if linked[v.action] != "reject")
                abstaining = [_row(roster, a, spec.of, day) for a in present if a.person_id not in voters]
                sentence += f" Setuju {yes}, menolak {len(cast) - yes}, tidak memberi suara {len(abstaining)}."
        out.append(AttendanceView(spec.label, eligible.noun, tanggal(day), sentence, members, len(eligible.people),
                                  [_row(roster, a, spec.of, day) for a in present],
                                  [_row(roster, a, spec.of, day) for a in absent], abstaining, unknown))
    return out


def _size(size: object) -> str:
    return human_size(size) if isinstance(size, int) else "ukuran tidak tercatat"
