"""Who may take which action now, and why not: enforced in this one place, over facts already loaded.

Rules, in order: a draft (the first step) belongs to the person who started the case; the
actor holds one of the action's roles in the cooperative on that day
(terms of office); segregation of duties (the submitter and earlier deciders cannot approve,
no administrator bypass); at a meeting with a daftar hadir, only those present vote; a voter
votes once per quorum. Guards, required data and
checklists are checked with :func:`missing_requirements`, because they depend on the values
being sent. Nothing here touches a database: callers load a :class:`Roster`, a
:class:`History` and the step's votes (in batches, for many cases at once) and pass them in.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol

from engine.domain.definitions.model import DECIDING_KINDS, Action, Definition
from engine.domain.roles import ROLES, expand_roles, role_label
from engine.domain.values import format_date_id, is_empty
from engine.errors import FieldProblem, ValidationError

__all__ = [
    "CaseFacts",
    "Delegated",
    "Eligibility",
    "EventFacts",
    "History",
    "Roster",
    "TermFacts",
    "eligible_voters",
    "excluded_by_segregation",
    "missing_requirements",
    "quorum_needed",
    "seat_votes",
    "who_may",
]


class TermFacts(Protocol):
    """A term of office: a person holds a role in a cooperative from ``starts_on`` to ``ends_on``."""

    @property
    def person_id(self) -> int: ...
    @property
    def role(self) -> str: ...
    @property
    def starts_on(self) -> date: ...
    @property
    def ends_on(self) -> date | None: ...


class EventFacts(Protocol):
    """One logged step of a case."""

    @property
    def seq(self) -> int: ...
    @property
    def actor_id(self) -> int: ...
    @property
    def action(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def from_state(self) -> str: ...
    @property
    def to_state(self) -> str: ...
    @property
    def role(self) -> str: ...
    @property
    def at(self) -> datetime: ...
    @property
    def on_behalf_of_id(self) -> int | None: ...


class CaseFacts(Protocol):
    """What the rules read of a case itself."""

    @property
    def created_by(self) -> int: ...
    @property
    def state(self) -> str: ...


@dataclass(frozen=True)
class Eligibility:
    """Whether a person may take an action now; ``reason`` in Indonesian when not."""

    allowed: bool
    role: str | None = None
    reason: str | None = None
    rule: str | None = None
    on_behalf_of: int | None = None  # the holder the person acts for (a.n.), None when in their own right


@dataclass(frozen=True)
class Delegated:
    """A role handed by its holder to a delegate for ``starts_on`` .. ``ends_on`` (inclusive); a revoked
    one (``revoked``) counts no more. The delegate holds it only while the holder does (ends by itself)."""

    role: str
    holder_id: int
    delegate_id: int
    starts_on: date
    ends_on: date
    revoked: bool = False


@dataclass(frozen=True)
class Roster:
    """Every term of office of one cooperative, past and future."""

    terms: Sequence[TermFacts] = ()
    delegations: Sequence[Delegated] = ()
    _by_person: dict[int, list[TermFacts]] = field(default_factory=dict, init=False, repr=False, compare=False)
    _to_person: dict[int, list[Delegated]] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for term in self.terms:
            self._by_person.setdefault(term.person_id, []).append(term)
        for grant in self.delegations:
            if not grant.revoked:
                self._to_person.setdefault(grant.delegate_id, []).append(grant)

    def people(self) -> list[int]:
        """Everyone who ever held a role here (or had one handed to them)."""
        return list(dict.fromkeys([*self._by_person, *self._to_person]))

    def terms_of(self, person_id: int) -> Sequence[TermFacts]:
        """Every term of office of one person here."""
        return self._by_person.get(person_id, ())

    def own_roles_on(self, person_id: int, day: date) -> set[str]:
        """The roles a person's own terms of office name on a day (none implied, none delegated)."""
        return {t.role for t in self._by_person.get(person_id, ())
                if t.starts_on <= day and (t.ends_on is None or day <= t.ends_on)}

    def delegated_on(self, person_id: int, day: date) -> dict[str, int]:
        """Role -> holder, for each role handed to this person that holds on a day (the holder still holds it)."""
        out: dict[str, int] = {}
        for grant in self._to_person.get(person_id, ()):
            if grant.starts_on <= day <= grant.ends_on and grant.role in self.own_roles_on(grant.holder_id, day):
                out.setdefault(grant.role, grant.holder_id)
        return out

    def roles_on(self, person_id: int, day: date) -> set[str]:
        """Roles (with implied ones) a person holds on a day, and the roles handed to them for that day."""
        held = expand_roles(self.own_roles_on(person_id, day))
        if person_id in self._to_person:
            held |= set(self.delegated_on(person_id, day))
        return held

    def on_behalf(self, person_id: int, role: str, day: date) -> int | None:
        """On whose behalf (a.n.) the person holds ``role`` on a day: None in their own right (which wins)."""
        if person_id not in self._to_person or role in expand_roles(self.own_roles_on(person_id, day)):
            return None
        return self.delegated_on(person_id, day).get(role)

    def term_reason(self, person_id: int, roles: Sequence[str], day: date) -> str:
        """Why a person does not hold any of ``roles`` on ``day``, in words."""
        wanted = set(roles)
        labels = " atau ".join(role_label(r) for r in roles)
        for row in self._by_person.get(person_id, ()):
            if not ({row.role} | set(ROLES[row.role].implies if row.role in ROLES else ())) & wanted:
                continue
            if row.ends_on is not None and row.ends_on < day:
                return (f"Masa jabatan Anda sebagai {role_label(row.role)} berakhir "
                        f"{format_date_id(row.ends_on)}; aksi ini memerlukan {labels}.")
            if row.starts_on > day:
                return (f"Masa jabatan Anda sebagai {role_label(row.role)} baru dimulai "
                        f"{format_date_id(row.starts_on)}; aksi ini memerlukan {labels}.")
        for grant in self.delegations:
            if grant.delegate_id != person_id or grant.role not in wanted:
                continue
            if grant.revoked:
                return f"Delegasi {role_label(grant.role)} kepada Anda sudah dicabut; aksi ini memerlukan {labels}."
            if grant.ends_on < day:
                return (f"Delegasi {role_label(grant.role)} kepada Anda berakhir {format_date_id(grant.ends_on)}; "
                        f"aksi ini memerlukan {labels}.")
            if grant.starts_on > day:
                return (f"Delegasi {role_label(grant.role)} kepada Anda baru berlaku "
                        f"{format_date_id(grant.starts_on)}; aksi ini memerlukan {labels}.")
        return f"Aksi ini hanya untuk {labels}; Anda tidak memegang peran itu di koperasi ini."


@dataclass(frozen=True)
class History:
    """A case's logged events (oldest first) with actor usernames."""

    events: Sequence[EventFacts]
    usernames: Mapping[int, str]

    def actors_of(self, action_ids: set[str]) -> dict[int, EventFacts]:
        """Person id -> their latest event among these action ids (an act a.n. a holder is the holder's too)."""
        return {person: e for e in self.events if e.action in action_ids for person in _acting(e)}

    def states_visited(self) -> set[str]:
        """Every state the case has been in (before its current one)."""
        return {e.from_state for e in self.events}

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


def _acting(event: EventFacts) -> tuple[int, ...]:
    """Who an event binds: its actor and, when taken a.n. a holder, the holder too."""
    holder = getattr(event, "on_behalf_of_id", None)
    return (event.actor_id,) if holder is None else (event.actor_id, holder)


class VoteFacts(Protocol):
    """A vote cast at a case's current step."""

    @property
    def person_id(self) -> int: ...
    @property
    def action(self) -> str: ...
    @property
    def seq(self) -> int: ...


def seat_votes(votes: Iterable[VoteFacts], history: History) -> dict[int, str]:
    """Person id -> the action they voted, for ``who_may``'s ``voted``: a vote cast a.n. a holder is the
    holder's vote too (his seat votes once)."""
    behalf = {e.seq: holder for e in history.events if (holder := getattr(e, "on_behalf_of_id", None))}
    out: dict[int, str] = {}
    for vote in votes:
        out[vote.person_id] = vote.action
        if vote.seq in behalf:
            out.setdefault(behalf[vote.seq], vote.action)
    return out


def _action_label(definition: Definition, event: EventFacts) -> str:
    """What people call the action an event took ("Verifikasi"), not its id; the variant taken from the
    event's state when an id has several."""
    named = [a for a in definition.actions if a.id == event.action and a.label]
    taken = [a for a in named if event.from_state in a.from_ and a.to == event.to_state] or named
    return taken[0].label if taken and taken[0].label else event.action


def excluded_by_segregation(definition: Definition, action: Action, case: CaseFacts,
                            history: History) -> dict[int, str]:
    """Person id -> why they may not take this action (segregation of duties)."""
    out: dict[int, str] = {}
    explicit = set(action.not_by)
    for person_id, event in history.actors_of(explicit).items():
        if event.kind == "submit":
            out[person_id] = f"Anda yang mengajukan kasus ini, jadi tidak dapat '{action.display}' sendiri."
        else:
            taken = _action_label(definition, event)
            out[person_id] = (f"Anda sudah mengambil langkah \u201c{taken}\u201d pada kasus ini, "
                              f"jadi tidak dapat '{action.display}'.")
    if action.kind == "approve":
        for event in history.events:
            if event.kind in DECIDING_KINDS and (event.kind != "approve" or event.action != action.id):
                if event.kind == "submit":
                    why = "Anda yang mengajukan, jadi tidak dapat menyetujui sendiri."
                else:
                    why = (f"Anda sudah memutuskan pada langkah \u201c{_action_label(definition, event)}\u201d, "
                           "jadi tidak dapat menyetujui lagi.")
                for person in _acting(event):
                    out.setdefault(person, why)
        out.setdefault(case.created_by, "Anda yang membuat pengajuan ini, jadi tidak dapat menyetujuinya sendiri.")
    starts = {a.id for a in definition.actions_from(definition.initial_state) if a.kind == "submit"}
    if explicit & starts:  # the maker counts as a submitter, whoever pressed the button
        out.setdefault(case.created_by, f"Anda yang membuat kasus ini, jadi tidak dapat '{action.display}' sendiri.")
    return out


def who_may(
    definition: Definition,
    case: CaseFacts,
    action: Action,
    person_id: int,
    day: date,
    roster: Roster,
    history: History,
    voted: Mapping[int, str],
    present: AbstractSet[int] | None = None,
) -> Eligibility:
    """Decide whether a person may take ``action`` on ``case`` on ``day`` (role, term, SoD, vote).

    ``voted`` maps each person who already voted at the case's current step to the action they voted.
    ``present``: the people on the meeting's daftar hadir when only they may vote on this action
    (:func:`engine.domain.attendance.present_people`); None when anyone eligible may.
    """
    if case.state == definition.initial_state and person_id != case.created_by:
        return Eligibility(False, reason="Draf ini milik pembuatnya: hanya dia yang dapat mengubah, mengajukan "
                                         "atau membatalkannya.", rule="pemilik_draf")
    held = roster.roles_on(person_id, day)
    roles = [r for r in action.roles if r in held]
    if not roles:
        return Eligibility(False, reason=roster.term_reason(person_id, action.roles, day), rule="peran")
    if action.quorum and action.quorum.role and action.quorum.role not in held:
        return Eligibility(False, reason=f"Suara ini hanya untuk {role_label(action.quorum.role)}.", rule="peran")
    barred = [r for r in action.not_roles if r in held]
    if barred:
        return Eligibility(False, rule="peran_terlarang", reason=(
            f"Anda {role_label(barred[0])} pada {format_date_id(day)}; '{action.display}' tidak boleh diambil "
            f"oleh {' atau '.join(role_label(r) for r in action.not_roles)}."))
    excluded = excluded_by_segregation(definition, action, case, history)
    if person_id in excluded:
        return Eligibility(False, reason=excluded[person_id], rule="pemisahan_tugas")
    own = [r for r in roles if roster.on_behalf(person_id, r, day) is None]
    holder: int | None = None
    if not own:  # only a.n. someone: his earlier part in the case binds the delegate too
        seats = [(r, roster.on_behalf(person_id, r, day)) for r in roles]
        free = [(r, h) for r, h in seats if h not in excluded]
        if not free:
            return Eligibility(False, rule="pemisahan_tugas", reason=(
                f"Anda menjalankan tugas {role_label(roles[0])} atas nama (a.n.) pemegangnya, yang sudah ikut "
                f"dalam kasus ini; jadi Anda tidak dapat '{action.display}' atas namanya."))
        roles, holder = [free[0][0]], free[0][1]
    if present is not None and person_id not in present:
        return Eligibility(False, reason="Anda tidak tercatat hadir pada rapat ini, jadi tidak dapat memberi suara.",
                           rule="kehadiran")
    seat = person_id if person_id in voted or holder is None else holder
    if action.quorum is not None and seat in voted:
        chosen = voted[seat]
        label = next((a.label for a in definition.actions if a.id == chosen and a.label and case.state in a.from_),
                     next((a.label for a in definition.actions if a.id == chosen and a.label), chosen))
        whose = "Anda" if seat == person_id else "Pemegang peran yang Anda wakili"
        return Eligibility(False, reason=f"{whose} sudah memberikan suara (\u201c{label}\u201d) pada langkah ini.",
                           rule="kuorum")
    return Eligibility(True, role=own[0] if own else roles[0], on_behalf_of=holder)


def eligible_voters(definition: Definition, case: CaseFacts, action: Action, day: date, roster: Roster,
                    history: History, present: AbstractSet[int] | None = None) -> int:
    """How many distinct people could still cast a vote for this action now (only those present, when
    ``present`` is given)."""
    role = action.quorum.role if action.quorum and action.quorum.role else None
    wanted = {role} if role else set(action.roles)
    excluded = excluded_by_segregation(definition, action, case, history)
    seats: set[int] = set()  # a holder and his delegate fill one seat
    for person_id in roster.people():
        if person_id in excluded or (present is not None and person_id not in present):
            continue
        if action.not_roles and set(action.not_roles) & roster.roles_on(person_id, day):
            continue
        if expand_roles(roster.own_roles_on(person_id, day)) & wanted:
            seats.add(person_id)
            continue
        holders = {h for r in wanted if (h := roster.on_behalf(person_id, r, day)) is not None} - set(excluded)
        if holders:
            seats.add(min(holders))
    return len(seats)


def missing_requirements(
    definition: Definition,
    action: Action,
    data: Mapping[str, Any],
    checks: set[str],
    comment: str | None,
    state: str | None = None,
) -> list[FieldProblem]:
    """Required fields, checklist items (of the step the case is in, ``state``) and comment that are still
    missing for this action."""
    problems: list[FieldProblem] = []
    needed = list(action.requires)
    if action.kind == "submit" and definition.initial_state in action.from_:
        needed += [n for n, f in definition.fields.items() if f.required and n not in needed]
    for name in needed:
        if is_empty(data.get(name)):
            problems.append(FieldProblem(definition.fields[name].label, "wajib diisi", name))
    labels = {i.id: i.label for s in action.from_ for i in definition.states[s].checklist}
    for item in definition.required_checks(action, state):
        if item not in checks:
            problems.append(FieldProblem(f"checklist '{labels.get(item, item)}'", "belum dicentang", item))
    if action.requires_comment and (comment is None or not comment.strip()):
        problems.append(FieldProblem("catatan", f"wajib diisi untuk '{action.display}'", "--comment"))
    return problems
