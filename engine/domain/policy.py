"""Who may take which action now, and why not: enforced in this one place.

Rules, in order: the case is open; the action exists from the current state; the actor
holds one of the action's roles in the cooperative today (terms of office); segregation
of duties (the submitter and earlier deciders cannot approve, no administrator bypass);
a voter votes once per quorum. Guards, required data and checklists are checked by the
caller with :func:`missing_requirements`, because they depend on the values being sent.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.adapters.store.models import Case, CaseEvent, Person, RoleAssignment, Vote
from engine.domain.definitions.model import DECIDING_KINDS, Action, Definition
from engine.domain.roles import ROLES, expand_roles, role_label
from engine.domain.values import format_date_id, is_empty
from engine.errors import FieldProblem, ValidationError

__all__ = [
    "Eligibility",
    "History",
    "eligible_voters",
    "excluded_by_segregation",
    "load_history",
    "missing_requirements",
    "quorum_needed",
    "roles_on",
    "who_may",
]


@dataclass(frozen=True)
class Eligibility:
    """Whether a person may take an action now; ``reason`` in Indonesian when not."""

    allowed: bool
    role: str | None = None
    reason: str | None = None
    rule: str | None = None


@dataclass(frozen=True)
class History:
    """A case's logged events (oldest first) with actor usernames."""

    events: Sequence[CaseEvent]
    usernames: Mapping[int, str]

    def actors_of(self, action_ids: set[str]) -> dict[int, CaseEvent]:
        """Person id -> their latest event among these action ids."""
        return {e.actor_id: e for e in self.events if e.action in action_ids}

    def states_visited(self) -> set[str]:
        """Every state the case has been in (before its current one)."""
        return {e.from_state for e in self.events}


def load_history(session: Session, case: Case) -> History:
    """Read a case's events."""
    events = session.scalars(
        select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.seq)
    ).all()
    ids = {e.actor_id for e in events}
    names = dict(session.execute(select(Person.id, Person.username).where(Person.id.in_(ids))).all()) if ids else {}
    return History(events, names)


def roles_on(session: Session, coop_id: int, person_id: int, day: date) -> set[str]:
    """Roles (with implied ones) a person holds in a cooperative on a day."""
    rows = session.scalars(
        select(RoleAssignment).where(RoleAssignment.coop_id == coop_id,
                                     RoleAssignment.person_id == person_id)
    ).all()
    held = {r.role for r in rows if r.starts_on <= day and (r.ends_on is None or day <= r.ends_on)}
    return expand_roles(held)


def _term_reason(session: Session, coop_id: int, person_id: int, roles: Sequence[str], day: date) -> str:
    wanted = set(roles)
    rows = session.scalars(
        select(RoleAssignment).where(RoleAssignment.coop_id == coop_id,
                                     RoleAssignment.person_id == person_id)
    ).all()
    labels = " atau ".join(role_label(r) for r in roles)
    for row in rows:
        if not ({row.role} | set(ROLES[row.role].implies if row.role in ROLES else ())) & wanted:
            continue
        if row.ends_on is not None and row.ends_on < day:
            return (f"Masa jabatan Anda sebagai {role_label(row.role)} berakhir "
                    f"{format_date_id(row.ends_on)}; aksi ini memerlukan {labels}.")
        if row.starts_on > day:
            return (f"Masa jabatan Anda sebagai {role_label(row.role)} baru dimulai "
                    f"{format_date_id(row.starts_on)}; aksi ini memerlukan {labels}.")
    return f"Aksi ini hanya untuk {labels}; Anda tidak memegang peran itu di koperasi ini."


def quorum_needed(action: Action, settings: Mapping[str, Any]) -> int:
    """Votes needed for an action (1 without a quorum)."""
    if action.quorum is None:
        return 1
    count = action.quorum.count
    if isinstance(count, str):
        value = settings.get(count)
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            problem = FieldProblem(f"setting {count}", f"kuorum harus bilangan bulat ≥ 1 (tercatat {value!r})")
            raise ValidationError([problem], headline="Setting koperasi tidak sah:")
        return value
    return count


def excluded_by_segregation(definition: Definition, action: Action, case: Case, history: History) -> dict[int, str]:
    """Person id -> why they may not take this action (segregation of duties)."""
    out: dict[int, str] = {}
    explicit = set(action.not_by)
    for person_id, event in history.actors_of(explicit).items():
        if event.kind == "submit":
            out[person_id] = f"Anda yang mengajukan kasus ini, jadi tidak dapat '{action.display}' sendiri."
        else:
            out[person_id] = (f"Anda sudah mengambil langkah '{event.action}' pada kasus ini, "
                              f"jadi tidak dapat '{action.display}'.")
    if action.kind == "approve":
        for event in history.events:
            if event.kind in DECIDING_KINDS and (event.kind != "approve" or event.action != action.id):
                if event.kind == "submit":
                    why = "Anda yang mengajukan, jadi tidak dapat menyetujui sendiri."
                else:
                    why = f"Anda sudah memutuskan pada langkah '{event.action}', jadi tidak dapat menyetujui lagi."
                out.setdefault(event.actor_id, why)
        out.setdefault(case.created_by, "Anda yang membuat pengajuan ini, jadi tidak dapat menyetujuinya sendiri.")
    return out


def who_may(
    session: Session,
    definition: Definition,
    case: Case,
    action: Action,
    person: Person,
    day: date,
    history: History,
) -> Eligibility:
    """Decide whether ``person`` may take ``action`` on ``case`` on ``day`` (role, term, SoD, vote)."""
    held = roles_on(session, case.coop_id, person.id, day)
    roles = [r for r in action.roles if r in held]
    if not roles:
        return Eligibility(False, reason=_term_reason(session, case.coop_id, person.id, action.roles, day),
                           rule="peran")
    if action.quorum and action.quorum.role and action.quorum.role not in held:
        return Eligibility(False, reason=f"Suara ini hanya untuk {role_label(action.quorum.role)}.", rule="peran")
    excluded = excluded_by_segregation(definition, action, case, history)
    if person.id in excluded:
        return Eligibility(False, reason=excluded[person.id], rule="pemisahan_tugas")
    if action.quorum is not None:
        voted = session.scalar(
            select(Vote.action).where(Vote.case_id == case.id, Vote.step_no == case.step_no,
                                      Vote.person_id == person.id)
        )
        if voted is not None:
            return Eligibility(False, reason=f"Anda sudah memberikan suara ('{voted}') pada langkah ini.",
                               rule="kuorum")
    return Eligibility(True, role=roles[0])


def eligible_voters(
    session: Session, definition: Definition, case: Case, action: Action, day: date, history: History
) -> int:
    """How many distinct people could still cast a vote for this action now."""
    role = action.quorum.role if action.quorum and action.quorum.role else None
    wanted = {role} if role else set(action.roles)
    people = session.scalars(
        select(Person).join(RoleAssignment, RoleAssignment.person_id == Person.id)
        .where(RoleAssignment.coop_id == case.coop_id).distinct()
    ).all()
    excluded = excluded_by_segregation(definition, action, case, history)
    return sum(
        1 for p in people
        if p.id not in excluded and roles_on(session, case.coop_id, p.id, day) & wanted
    )


def missing_requirements(
    definition: Definition,
    action: Action,
    data: Mapping[str, Any],
    checks: set[str],
    comment: str | None,
) -> list[FieldProblem]:
    """Required fields, checklist items and comment that are still missing for this action."""
    problems: list[FieldProblem] = []
    needed = list(action.requires)
    if action.kind == "submit" and definition.initial_state in action.from_:
        needed += [n for n, f in definition.fields.items() if f.required and n not in needed]
    for name in needed:
        if is_empty(data.get(name)):
            problems.append(FieldProblem(f"{definition.fields[name].label} ({name})", "wajib diisi"))
    labels = {i.id: i.label for s in action.from_ for i in definition.states[s].checklist}
    for item in definition.required_checks(action):
        if item not in checks:
            problems.append(FieldProblem(f"checklist '{labels.get(item, item)}' ({item})", "belum dicentang"))
    if action.requires_comment and (comment is None or not comment.strip()):
        problems.append(FieldProblem("catatan (--comment)", f"wajib diisi untuk '{action.display}'"))
    return problems
