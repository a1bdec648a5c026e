"""Effects on the organisation: the terms of office a decision sets (``effects:`` of an action).

When an action with ``effects`` fires, in the decision's own unit of work:

- ``appoint`` gives each person named in a field (a person field or a list's person column
  ``daftar.kolom``) a term of ``role`` from the day of the action, to the date in ``until`` or, with
  ``until: selesai``, to the day the case reaches a final state (:func:`end_case_appointments`);
- ``install`` gives each row of a list a term: the person in the person column takes the role in the
  role column from the ``start`` date to the ``end`` date (open without one). Whoever holds one of
  those roles on ``start`` (a term not made by this case) leaves it the day before: the board hands
  over on one date, which the one-seat rule of migration 0008 accepts.

Every term is tied to its case (``role_assignments.case_id``) and every change is an entry on the
cooperative's trail (kind :data:`TERM_KIND`; ``tetapkan_jabatan`` when a term is set,
``akhiri_jabatan`` when one is ended), naming the person by user name, never by NIK. Anything not in
order (an unknown person or role, a person named twice for one role, more people than the role has
seats, a holder whose term starts on or after the handover date) refuses the decision and nothing is
saved.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from engine.adapters.store.models import Case, Cooperative, DefinitionRecord, Person, RoleAssignment
from engine.audit.entry import TERM_KIND, canonical, sha256_hex
from engine.audit.keys import Signer
from engine.audit.log import append_entry
from engine.domain.definitions.model import Action, Appoint, Definition, Install
from engine.domain.limits import stored_date
from engine.domain.roles import ROLES, role_label, role_of
from engine.domain.values import format_date_id
from engine.errors import FieldProblem, ValidationError
from engine.services.members import admit_member, end_member
from engine.services.seats import one_seat

__all__ = ["END_ACTION", "SET_ACTION", "UNTIL_CASE_ENDS", "apply_effects", "end_case_appointments"]

#: The trail action of a term a decision sets.
SET_ACTION = "tetapkan_jabatan"
#: The trail action of a term a decision ends (a handover, or the end of the case that appointed it).
END_ACTION = "akhiri_jabatan"
#: ``appoint.until`` for terms that end the day their case reaches a final state.
UNTIL_CASE_ENDS = "selesai"

_FAR = date.max
_NOTHING_SAVED = "tidak ada yang disimpan"


@dataclass(frozen=True)
class _Term:
    """A term to set: who (user name), which role, from when to when, and where it was named."""

    username: str
    role: str
    start: date
    end: date | None
    where: str  # "Baris 2, Anggota panitia" or the field's label
    name: str  # the field or list the person was named in


def apply_effects(session: Session, signer: Signer, coop: Cooperative, record: DefinitionRecord, case: Case,
                  d: Definition, action: Action, data: Mapping[str, Any], actor: Person, day: date,
                  now: datetime) -> list[int]:
    """Apply ``action.effects`` (the action fired) in the caller's transaction; the trail's new seqs.

    ``data`` is the case data after the decision; ``day`` the cooperative's date of the decision.
    Raises ValidationError (or SeatTakenError from the database's one-seat rule) and writes nothing
    when an effect cannot be applied as a whole.
    """
    seqs: list[int] = []
    for effect in action.effects:
        if effect.appoint is not None:
            seqs += _appoint(session, signer, coop, record, case, d, action, effect.appoint, data, actor, day, now)
        if effect.install is not None:
            seqs += _install(session, signer, coop, record, case, d, action, effect.install, data, actor, now)
        if effect.add_member is not None:
            admit_member(session, coop, case, day, now, effect.add_member)
        if effect.end_member is not None:
            end_member(session, coop, case, day, now, effect.end_member)
    return seqs


def end_case_appointments(session: Session, signer: Signer, coop: Cooperative, record: DefinitionRecord,
                          case: Case, d: Definition, actor: Person, day: date, now: datetime) -> list[int]:
    """The case reached a final state: its open ``until: selesai`` appointments end on ``day``."""
    roles = sorted({e.appoint.role for a in d.actions for e in a.effects
                    if e.appoint is not None and e.appoint.until == UNTIL_CASE_ENDS})
    if not roles:
        return []
    rows = session.execute(
        select(RoleAssignment, Person.username).join(Person, Person.id == RoleAssignment.person_id)
        .where(RoleAssignment.coop_id == coop.id, RoleAssignment.case_id == case.id,
               RoleAssignment.role.in_(roles), RoleAssignment.ends_on.is_(None))
        .order_by(RoleAssignment.id)).all()
    seqs = []
    for term, username in rows:
        term.ends_on = max(day, term.starts_on)
        seqs.append(_log_end(session, signer, coop, record, case, actor, username, term, "kasus_selesai", None, now))
    if rows:
        session.flush()
    return seqs


# -- appoint ---------------------------------------------------------------------------------


def _appoint(session: Session, signer: Signer, coop: Cooperative, record: DefinitionRecord, case: Case,
             d: Definition, action: Action, spec: Appoint, data: Mapping[str, Any], actor: Person, day: date,
             now: datetime) -> list[int]:
    problems: list[FieldProblem] = []
    role = spec.role
    if role not in ROLES:
        raise ValidationError([], headline=f"Prosedur menunjuk peran '{role}' yang tidak dikenal; {_NOTHING_SAVED}.")
    end: date | None = None
    if spec.until != UNTIL_CASE_ENDS:
        until_label = _label(d, spec.until)
        end = stored_date(data.get(spec.until))
        if end is None:
            problems.append(FieldProblem(until_label, f"belum diisi: masa tugas {role_label(role)} berakhir "
                                                      "pada tanggal ini", spec.until))
        elif end < day:
            problems.append(FieldProblem(until_label, f"{format_date_id(end)} sudah lewat; masa tugas "
                                                      f"{role_label(role)} dimulai {format_date_id(day)}",
                                         spec.until))
    named = _named(d, spec.people, data)
    terms = [_Term(username, role, day, end, where, name) for where, name, username in named]
    problems += _twice(terms)
    people, unknown = _resolve(session, coop, terms)
    problems += unknown
    if problems:
        raise ValidationError(problems, headline=f"{role_label(role)} belum dapat ditunjuk; {_NOTHING_SAVED}:")
    if not terms:
        return []
    existing = session.execute(
        select(RoleAssignment.person_id, RoleAssignment.starts_on, RoleAssignment.ends_on, Person.username)
        .join(Person, Person.id == RoleAssignment.person_id)
        .where(RoleAssignment.coop_id == coop.id, RoleAssignment.role == role,
               RoleAssignment.starts_on <= (end or _FAR),
               (RoleAssignment.ends_on.is_(None)) | (RoleAssignment.ends_on >= day))).all()
    for t in terms:
        if any(r.username == t.username and r.starts_on == day for r in existing):
            problems.append(FieldProblem(t.where, f"{people[t.username].full_name} sudah tercatat sebagai "
                                                  f"{role_label(role)} mulai {format_date_id(day)}", t.name))
    seats = ROLES[role].max_seats
    holders = {r.username for r in existing} | {t.username for t in terms}
    if seats is not None and len(holders) > seats:
        problems.append(FieldProblem(role_label(role), f"hanya {seats} kursi, tetapi pada masa tugas ini akan "
                                                       f"dipegang {len(holders)} orang: {', '.join(sorted(holders))}"))
    if problems:
        raise ValidationError(problems, headline=f"{role_label(role)} belum dapat ditunjuk; {_NOTHING_SAVED}:")
    note = f"Ditunjuk dalam kasus {case.number}"
    return _write(session, signer, coop, record, case, action, "appoint", terms, people, note, actor, now)


# -- install ---------------------------------------------------------------------------------


def _install(session: Session, signer: Signer, coop: Cooperative, record: DefinitionRecord, case: Case,
             d: Definition, action: Action, spec: Install, data: Mapping[str, Any], actor: Person,
             now: datetime) -> list[int]:
    problems: list[FieldProblem] = []
    list_label = _label(d, spec.rows)
    columns = d.fields[spec.rows].columns or {} if spec.rows in d.fields else {}
    person_label = columns[spec.person].label if spec.person in columns else spec.person
    role_label_col = columns[spec.role].label if spec.role in columns else spec.role
    start = stored_date(data.get(spec.start))
    if start is None:
        problems.append(FieldProblem(_label(d, spec.start), "belum diisi: masa jabatan baru dimulai pada tanggal ini",
                                     spec.start))
    end = stored_date(data.get(spec.end)) if spec.end else None
    if spec.end and start is not None and end is not None and end < start:
        problems.append(FieldProblem(_label(d, spec.end), f"{format_date_id(end)} sebelum tanggal mulai "
                                                          f"{format_date_id(start)}", spec.end))
    rows = data.get(spec.rows)
    terms: list[_Term] = []
    for number, row in enumerate(rows if isinstance(rows, list) else [], start=1):
        if not isinstance(row, dict):
            continue
        username, written = _text(row.get(spec.person)), _text(row.get(spec.role))
        role = role_of(written) or written  # a role's label ("Ketua Pengurus") or its id, as lint accepts
        if not username:
            problems.append(FieldProblem(f"Baris {number}, {person_label}", "belum diisi", spec.rows))
        if not role:
            problems.append(FieldProblem(f"Baris {number}, {role_label_col}", "belum diisi", spec.rows))
        elif role not in ROLES:
            problems.append(FieldProblem(f"Baris {number}, {role_label_col}", f"'{role[:40]}' bukan peran yang "
                                                                              "dikenal", spec.rows))
        if username and role and role in ROLES and start is not None:
            terms.append(_Term(username, role, start, end, f"Baris {number}, {person_label}", spec.rows))
    if not terms and not problems:
        problems.append(FieldProblem(list_label, "belum ada baris: tidak ada jabatan yang ditetapkan", spec.rows))
    problems += _twice(terms)
    for role in dict.fromkeys(t.role for t in terms):
        seats = ROLES[role].max_seats
        named = list(dict.fromkeys(t.username for t in terms if t.role == role))
        if seats is not None and len(named) > seats:
            problems.append(FieldProblem(list_label, f"{role_label(role)} hanya {seats} kursi, tetapi daftar "
                                                     f"menetapkan {len(named)} orang: {', '.join(named)}", spec.rows))
    people, unknown = _resolve(session, coop, terms)
    problems += unknown
    if problems or start is None:
        raise ValidationError(problems, headline=f"Susunan jabatan belum dapat ditetapkan; {_NOTHING_SAVED}:")
    roles = sorted({t.role for t in terms})
    current = session.execute(
        select(RoleAssignment, Person.username, Person.full_name).join(Person, Person.id == RoleAssignment.person_id)
        .where(RoleAssignment.coop_id == coop.id, RoleAssignment.role.in_(roles),
               (RoleAssignment.ends_on.is_(None)) | (RoleAssignment.ends_on >= start))
        .order_by(RoleAssignment.role, RoleAssignment.starts_on, RoleAssignment.id)).all()
    leaving = [(term, username) for term, username, _ in current if term.case_id != case.id]
    later = [(term, name) for term, _, name in current if term.case_id != case.id and term.starts_on >= start]
    for term, name in later:
        problems.append(FieldProblem(role_label(term.role), f"{name} sudah tercatat sebagai {role_label(term.role)} "
                                                            f"mulai {format_date_id(term.starts_on)}, tidak sebelum "
                                                            f"{format_date_id(start)}; masa jabatan itu tidak dapat "
                                                            "diakhiri dengan serah terima. Perbaiki data organisasi "
                                                            "lebih dahulu"))
    for role in roles:
        seats = ROLES[role].max_seats
        own = {u for term, u, _ in current if term.case_id == case.id and term.role == role}
        holders = own | {t.username for t in terms if t.role == role}
        if seats is not None and len(holders) > seats:
            problems.append(FieldProblem(list_label, f"{role_label(role)} hanya {seats} kursi, tetapi mulai "
                                                     f"{format_date_id(start)} akan dipegang {len(holders)} orang: "
                                                     f"{', '.join(sorted(holders))}", spec.rows))
    if problems:
        raise ValidationError(problems, headline=f"Susunan jabatan belum dapat ditetapkan; {_NOTHING_SAVED}:")
    seqs: list[int] = []
    handover = start - timedelta(days=1)
    for term, username in leaving:
        term.ends_on = handover
        seqs.append(_log_end(session, signer, coop, record, case, actor, username, term, "serah_terima", action.id,
                             now))
    with one_seat():
        session.flush()  # the predecessors leave before the new holders are written (the one-seat rule)
    note = f"Ditetapkan dalam kasus {case.number}"
    return seqs + _write(session, signer, coop, record, case, action, "install", terms, people, note, actor, now)


# -- shared ----------------------------------------------------------------------------------


def _write(session: Session, signer: Signer, coop: Cooperative, record: DefinitionRecord, case: Case,
           action: Action, effect: str, terms: Sequence[_Term], people: Mapping[str, Person], note: str,
           actor: Person, now: datetime) -> list[int]:
    seqs = []
    for t in terms:
        session.add(RoleAssignment(coop_id=coop.id, person_id=people[t.username].id, role=t.role, starts_on=t.start,
                                   ends_on=t.end, note=note, case_id=case.id))
        seqs.append(append_entry(session, coop, signer, {
            **_case_fields(case, record), "action": SET_ACTION, "kind": TERM_KIND,
            "actor": actor.username, "by_action": action.id, "effect": effect, "person": t.username,
            "role": t.role, "starts_on": t.start.isoformat(), "ends_on": t.end.isoformat() if t.end else None},
            case_id=case.id, now=now))
    with one_seat():
        session.flush()
    return seqs


def _log_end(session: Session, signer: Signer, coop: Cooperative, record: DefinitionRecord, case: Case,
             actor: Person, username: str, term: RoleAssignment, reason: str, by_action: str | None,
             now: datetime) -> int:
    fields: dict[str, Any] = {
        **_case_fields(case, record), "action": END_ACTION, "kind": TERM_KIND,
        "actor": actor.username, "person": username, "role": term.role, "starts_on": term.starts_on.isoformat(),
        "ends_on": term.ends_on.isoformat() if term.ends_on else None, "reason": reason,
        "term_case": None if term.case_id is None else (case.number if term.case_id == case.id else
                                                        session.get_one(Case, term.case_id).number)}
    if by_action is not None:
        fields["by_action"] = by_action
    return append_entry(session, coop, signer, fields, case_id=case.id, now=now)


def _case_fields(case: Case, record: DefinitionRecord) -> dict[str, Any]:
    """What every entry of a case carries: its number, the procedure it is pinned to and the data revision the
    change was made from (the export bundle's verifier checks every case entry against its revision)."""
    return {"case": case.number, "definition": record.pinned_ref, "data_rev": case.data_rev,
            "data_sha256": sha256_hex(canonical(case.data))}


def _named(d: Definition, people: str, data: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """(where, field, user name) of each person ``people`` names: a person field, a list of user names,
    or a list's person column ``daftar.kolom``."""
    name, _, column = people.partition(".")
    spec = d.fields.get(name)
    label = spec.label if spec is not None else name
    value = data.get(name)
    if isinstance(value, str):
        return [(label, name, value.strip().lower())] if value.strip() else []
    if not isinstance(value, list):
        return []
    if not column and spec is not None and spec.columns:  # a list with one person column names it
        persons = [c for c, col in spec.columns.items() if col.type == "person"]
        column = persons[0] if len(persons) == 1 else ""
    column_label = (spec.columns or {}).get(column) if spec is not None and column else None
    where = column_label.label if column_label is not None else label
    out = []
    for number, item in enumerate(value, start=1):
        cell = item.get(column) if isinstance(item, dict) and column else item
        username = _text(cell)
        if username:
            out.append((f"Baris {number}, {where}", name, username))
    return out


def _twice(terms: Sequence[_Term]) -> list[FieldProblem]:
    """A person named twice for one role."""
    seen: dict[tuple[str, str], str] = {}
    out = []
    for t in terms:
        key = (t.username, t.role)
        if key in seen:
            out.append(FieldProblem(t.where, f"{t.username} disebut dua kali sebagai {role_label(t.role)} "
                                             f"(juga di {seen[key]})", t.name))
        seen.setdefault(key, t.where)
    return out


def _resolve(session: Session, coop: Cooperative,
             terms: Iterable[_Term]) -> tuple[dict[str, Person], list[FieldProblem]]:
    """The people named, by user name, among the cooperative's people (anyone with a term in it, past or present)."""
    wanted = sorted({t.username for t in terms})
    found: dict[str, Person] = {}
    if wanted:
        found = {p.username: p for p in session.scalars(select(Person).where(
            Person.username.in_(wanted),
            exists().where(RoleAssignment.person_id == Person.id, RoleAssignment.coop_id == coop.id)))}
    problems = []
    reported: set[str] = set()
    for t in terms:
        if t.username not in found and t.username not in reported:
            reported.add(t.username)
            problems.append(FieldProblem(t.where, f"'{t.username[:40]}' bukan orang yang terdaftar di {coop.name}",
                                         t.name))
    return found, problems


def _label(d: Definition, name: str) -> str:
    spec = d.fields.get(name)
    return spec.label if spec is not None else name


def _text(value: Any) -> str:
    return value.strip().lower() if isinstance(value, str) else ""
