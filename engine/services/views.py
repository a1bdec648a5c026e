"""Every read model in one place: case page, case lists, task inbox, signed-in user, Dinas overview.

Reads fetch in batches: the terms of office, events, names and votes of all the cases on a
page come in one query each, never one per case. Nothing here writes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, NamedTuple, cast

from sqlalchemy import ARRAY, ColumnElement, Integer, any_, bindparam, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from engine.adapters.attachments import read_attachment
from engine.adapters.store.db import as_utc
from engine.adapters.store.models import (
    Attachment,
    AuditEntry,
    Case,
    CaseEvent,
    Cooperative,
    DefinitionRecord,
    IssuedDocument,
    Person,
    RoleAssignment,
    Vote,
)
from engine.audit.entry import MIGRATION_KIND
from engine.domain.attendance import attendance_fields, listed_usernames, meeting_day, present_people
from engine.domain.calendar import WorkCalendar
from engine.domain.definitions.model import Action, Deadline, Definition, FieldDef
from engine.domain.definitions.phrase import guard_sentence
from engine.domain.guard_context import Facts, guard_context, person_usernames
from engine.domain.machine import machine_for
from engine.domain.policy import History, Roster, eligible_voters, quorum_needed, seat_votes, who_may
from engine.domain.roles import role_label
from engine.domain.rules import unmet_clauses
from engine.domain.values import editable_rows, format_rupiah, format_value, list_table, resolved_settings
from engine.errors import GuardError, NotFoundError, PermissionDeniedError
from engine.services.calendars import calendar_for
from engine.services.context import Context, delegations_of, histories, rosters, step_votes
from engine.services.dto import (
    FOLLOWUP_WORKFLOW,
    ActionOption,
    AttachmentView,
    CaseSummary,
    CaseView,
    DinasRow,
    EventView,
    FactView,
    FormInput,
    IssuedView,
    Membership,
    StartChoice,
    StartForm,
    User,
)
from engine.services.escalation import escalations_of, handed_roles, widened
from engine.services.meetings import eligible_on, person_ids
from engine.services.waiting import waiting_on

__all__ = ["CaseViews", "waiting_on"]


@dataclass(frozen=True)
class _Facts:
    """What the page of many cases loads once, shared by every case on it."""

    coops: Mapping[int, Cooperative]
    records: Mapping[int, DefinitionRecord]
    rosters: Mapping[int, Roster]
    histories: Mapping[int, History]
    names: Mapping[int, str]
    votes: Mapping[int, Sequence[Vote]]
    listed: Mapping[str, int]  # user name -> person id of everyone on a daftar hadir that decides who votes
    handed: Mapping[int, list[str]] = field(default_factory=dict)  # case id -> roles its step was handed to
    people: Mapping[str, tuple[int, str]] = field(default_factory=dict)  # user name -> (id, name): person fields


class _EventFacts(NamedTuple):
    """One logged event as the policy reads it (``EventFacts``): who did what, when, from where to where."""

    seq: int
    actor_id: int
    action: str
    kind: str
    from_state: str
    to_state: str
    role: str
    at: datetime
    on_behalf_of_id: int | None = None


#: Events a Berita Acara records as decisions; it is made once a case holds one (``documents.minutes``).
DECISION_KINDS = frozenset({"verify", "approve", "reject"})


def _outcome(d: Definition, state_id: str) -> str:
    """How a case that reached this final state ended: ``rejected``, ``cancelled`` or ``done``."""
    kinds = {a.kind for a in d.actions if a.to == state_id}
    if "reject" in kinds:
        return "rejected"
    if kinds and kinds <= {"cancel"}:
        return "cancelled"
    return "done"


def _among(session: Session, column: InstrumentedAttribute[int], ids: Iterable[int]) -> ColumnElement[bool]:
    """``column IN (ids)``; on PostgreSQL ``column = ANY(:ids)``, one array parameter.

    An IN list has one parameter per id, so every length is another statement: psycopg parses
    one with over 50 parameters afresh on every execution (milliseconds for the hundreds of
    cases of an inbox) and PostgreSQL prepares none of them. ``= ANY`` is one statement.
    """
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, list(ids), type_=ARRAY(Integer)))
    return column.in_(list(ids))


def _decision_histories(session: Session, case_ids: Sequence[int]) -> dict[int, History]:
    """Each case's events, oldest first, without comment, ticks or settings (one query; no names)."""
    events: dict[int, list[_EventFacts]] = {i: [] for i in case_ids}
    if events:
        for case_id, seq, actor_id, action, kind, from_state, to_state, role, at, behalf in session.execute(
                select(CaseEvent.case_id, CaseEvent.seq, CaseEvent.actor_id, CaseEvent.action, CaseEvent.kind,
                       CaseEvent.from_state, CaseEvent.to_state, CaseEvent.role, CaseEvent.at,
                       CaseEvent.on_behalf_of_id)
                .where(_among(session, CaseEvent.case_id, events)).order_by(CaseEvent.seq)):
            events[case_id].append(_EventFacts(seq, actor_id, action, kind, from_state, to_state, role, at, behalf))
    return {i: History(rows, {}) for i, rows in events.items()}


def _decision_votes(session: Session, cases: Sequence[Case]) -> dict[int, list[Vote]]:
    """:func:`~engine.services.context.step_votes` for the inbox's many cases (one statement however many)."""
    out: dict[int, list[Vote]] = {c.id: [] for c in cases}
    if out:
        steps = {c.id: c.step_no for c in cases}
        for vote in session.scalars(select(Vote).where(_among(session, Vote.case_id, steps)).order_by(Vote.id)):
            if vote.step_no == steps[vote.case_id]:
                out[vote.case_id].append(vote)
    return out


def _event_label(d: Definition, event: CaseEvent) -> str:
    """The action of a logged event as people read it: the variant that made this move, else any of that id."""
    if event.kind == "start":
        return "Memulai kasus"
    if event.kind == MIGRATION_KIND:
        return "Pindah versi prosedur"
    same = [a for a in d.actions if a.id == event.action]
    moved = [a for a in same if a.to == event.to_state and event.from_state in a.from_]
    chosen = moved or same
    return chosen[0].display if chosen else event.action.replace("_", " ").capitalize()


class _TermFacts(NamedTuple):
    """A term of office as the policy reads it (``TermFacts``)."""

    person_id: int
    role: str
    starts_on: date
    ends_on: date | None


@dataclass(frozen=True)
class _RosterOnce(Roster):
    """A :class:`Roster` that works out each person's roles on a day once (the inbox asks for every
    person of the cooperative for every quorum action of every case)."""

    _held: dict[tuple[int, date], frozenset[str]] = field(default_factory=dict, init=False, repr=False,
                                                          compare=False)

    def roles_on(self, person_id: int, day: date) -> set[str]:
        held = self._held.get((person_id, day))
        if held is None:
            held = self._held[(person_id, day)] = frozenset(super().roles_on(person_id, day))
        return set(held)


def _decision_rosters(session: Session, coop_ids: AbstractSet[int]) -> dict[int, Roster]:
    """Every term of office of these cooperatives (one query), as the policy reads them, for one request."""
    terms: dict[int, list[_TermFacts]] = {i: [] for i in coop_ids}
    if terms:
        for coop_id, person_id, role, starts_on, ends_on in session.execute(
                select(RoleAssignment.coop_id, RoleAssignment.person_id, RoleAssignment.role,
                       RoleAssignment.starts_on, RoleAssignment.ends_on)
                .where(RoleAssignment.coop_id.in_(terms)).order_by(RoleAssignment.starts_on, RoleAssignment.id)):
            terms[coop_id].append(_TermFacts(person_id, role, starts_on, ends_on))
    handed = delegations_of(session, terms)
    return {i: _RosterOnce(rows, handed[i]) for i, rows in terms.items()}


def _picks_people(spec: FieldDef) -> bool:
    """A person field, or a list field with a person column: its form offers the cooperative's people."""
    return spec.type == "person" or (spec.type == "list" and any(c.type == "person"
                                                                 for c in (spec.columns or {}).values()))


def _column_options(spec: FieldDef, settings: Mapping[str, Any]) -> dict[str, list[str]]:
    """A list field's choice columns: column id -> its options (from the file or the AD/ART settings)."""
    return {c: [str(o) for o in (col.options or settings.get(col.options_setting or "") or [])]
            for c, col in (spec.columns or {}).items() if col.type == "choice"}


def coop_people(session: Session, roster: Roster) -> list[tuple[str, str]]:
    """Everyone who holds or held a term of office in the cooperative, as (user name, full name), by name."""
    ids = {t.person_id for t in roster.terms}
    if not ids:
        return []
    rows = session.execute(select(Person.username, Person.full_name).where(_among(session, Person.id, ids)))
    return sorted(((u, n) for u, n in rows), key=lambda p: (p[1].lower(), p[0]))


def _may_wait_on(d: Definition, state: str, created_by: int, person_id: int, held: AbstractSet[str]) -> bool:
    """False when ``who_may`` refuses this person every action of this step whatever else is true:
    a draft someone else started, or no action (in any variant) needs a role they hold."""
    if state == d.initial_state and person_id != created_by:
        return False
    return any(r in held for a in d.actions_from(state) for r in a.roles)


class CaseViews:
    """Read models for pages, the API and the CLI."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    # -- loading ---------------------------------------------------------------------------

    def _facts(self, session: Session, cases: Sequence[Case], *, extra_people: Sequence[int] = (),
               records: Mapping[int, DefinitionRecord] | None = None,
               known_rosters: Mapping[int, Roster] | None = None, options_only: bool = False) -> _Facts:
        """What the pages of ``cases`` need, one query per kind of row.

        ``options_only``: just what deciding who may act needs (the inbox): each event's who, what
        and when, without its comment, ticks and settings; names only of whoever started each case.
        """
        coop_ids = {c.coop_id for c in cases}
        coops = {c.id: c for c in session.scalars(select(Cooperative).where(Cooperative.id.in_(coop_ids)))} \
            if coop_ids else {}
        record_ids = {c.definition_id for c in cases}
        if records is None:
            records = {r.id: r for r in session.scalars(select(DefinitionRecord).where(
                DefinitionRecord.id.in_(record_ids)))} if record_ids else {}
        names: dict[int, str]
        if options_only:
            events, names = _decision_histories(session, [c.id for c in cases]), {}
        else:
            events, names = histories(session, [c.id for c in cases])
        votes = _decision_votes(session, cases) if options_only else step_votes(session, cases)
        # the inbox names only who started each case (its cards say who asked); a page names voters too
        wanted = ({c.created_by for c in cases} if options_only
                  else {v.person_id for rows in votes.values() for v in rows}
                  | {e.on_behalf_of_id for h in events.values() for e in h.events if e.on_behalf_of_id}) - set(names)
        if wanted:
            names = {**names, **dict(session.execute(select(Person.id, Person.full_name)
                                                     .where(Person.id.in_(wanted))).all())}
        listed = person_ids(session, {u for c in cases
                                      for u in listed_usernames(self.ctx.pinned(records[c.definition_id]).definition,
                                                                c.data)})
        terms = {i: known_rosters[i] for i in coop_ids} if known_rosters is not None else rosters(session, coop_ids)
        handed = handed_roles(session, [(c.id, c.step_no) for c in cases])  # overdue steps handed on (alihkan)
        named = {u for c in cases for u in person_usernames(self.ctx.pinned(records[c.definition_id]).definition,
                                                            c.data)}
        people = {u: (i, n) for u, i, n in session.execute(
            select(Person.username, Person.id, Person.full_name).where(Person.username.in_(sorted(named))))} \
            if named else {}
        return _Facts(coops, records, terms, events, names, votes, listed, handed, people)

    def warm_up(self) -> int:
        """Parse every procedure version the database holds and build its machine, once per process
        (a web worker does this before serving, so no page waits while another parses YAML); how many."""
        self.ctx.db.require_schema()
        with self.ctx.db.reader() as session:
            records = list(session.scalars(select(DefinitionRecord)))
        for record in records:
            machine_for(self.ctx.pinned(record))
        return len(records)

    def summary(self, coop: Cooperative, case: Case, d: Definition, requester: str | None = None) -> CaseSummary:
        """The list line of a case (``requester``: the starter's full name, when the page has it)."""
        state = d.states[case.state]
        since = as_utc(case.state_since)
        due = state.deadline.due(since, self.ctx.tz, calendar_for(self.ctx.settings, coop.settings), case.data) \
            if state.deadline is not None and not state.final else None
        amount = next((format_rupiah(v) for n, f in d.fields.items() if f.type == "money"
                       and isinstance(v := case.data.get(n), int) and not isinstance(v, bool)), None)
        return CaseSummary(case.number, coop.slug, d.id, d.title, case.state, state.status_label or state.title,
                           state.final, since, due, bool(due and self.ctx.clock() > due),
                           _outcome(d, case.state) if state.final else "open", amount, requester)

    # -- one case --------------------------------------------------------------------------

    def show(self, number: str, username: str | None, *, coop_slug: str | None = None) -> CaseView:
        """A case as ``username`` sees it (or as an observer when None), with everything its page shows."""
        self.ctx.db.require_schema()
        with self.ctx.db.reader() as session:
            person = self.ctx.person(session, username) if username else None
            case = self.ctx.find_case(session, number, coop_slug, person, lock=False)
            facts = self._facts(session, [case])
            today = self.ctx.today()
            people = self._attendees(session, case, facts, today)
            step: list[tuple[Action, bool, AbstractSet[int] | None]] = []
            view = self._view(case, facts, person.id if person else None, today, attendees=people, step=step)
            self._page_extras(session, case, facts, view)
            view.waiting = self._waiting(session, case, facts, today, step)
            if view.summary.due is not None:
                view.due_on = view.summary.due.astimezone(self.ctx.tz).date()
                view.escalations = escalations_of(session, case)
            return view

    def _waiting(self, session: Session, case: Case, facts: _Facts, day: date,
                 step: Sequence[tuple[Action, bool, AbstractSet[int] | None]]) -> list[tuple[str, str]]:
        """Everyone who may take an action of the current step today, as (full name, role label),
        in the order of the step's actions (one query for the names)."""
        d = self.ctx.pinned(facts.records[case.definition_id]).definition
        voted = seat_votes(facts.votes[case.id], facts.histories[case.id])
        found = waiting_on(d, case, day, facts.rosters[case.coop_id], facts.histories[case.id], voted, step)
        if not found:
            return []
        names = dict(session.execute(select(Person.id, Person.full_name).where(Person.id.in_(found))).all())
        return [(names.get(p, "?"), role_label(role)) for p, role in found.items()]

    def _attendees(self, session: Session, case: Case, facts: _Facts, today: date) -> dict[str, list[tuple[str, str]]]:
        """For each daftar hadir this step may record: everyone who could attend the meeting, as (key, label).

        The meeting is on the date its ``on`` field holds, else today (the list is being recorded).
        """
        d = self.ctx.pinned(facts.records[case.definition_id]).definition
        settable = {n for a in d.actions_from(case.state) for n in d.settable_fields(a)}
        out: dict[str, list[tuple[str, str]]] = {}
        for name in attendance_fields(d):
            spec = d.fields[name]
            if name not in settable or spec.of is None:
                continue
            day = meeting_day(d, name, case.data, today) or today  # no date yet: who could attend today
            eligible = eligible_on(session, case.coop_id, facts.rosters[case.coop_id], spec.of, day)
            out[name] = [(a.key, a.label) for a in eligible.people]
        picking = [n for n in settable if _picks_people(d.fields[n])]
        if picking:  # a person field or person column: the cooperative's people to pick from
            people = coop_people(session, facts.rosters[case.coop_id])
            out.update({n: people for n in picking})
        return out

    def _view(self, case: Case, facts: _Facts, person_id: int | None, day: date,
              *, options_only: bool = False, attendees: Mapping[str, list[tuple[str, str]]] | None = None,
              step: list[tuple[Action, bool, AbstractSet[int] | None]] | None = None) -> CaseView:
        """A case as one person sees it; ``step`` (when given) receives each action of the current step
        as the guards chose it, with whether its guard holds and who is present."""
        coop = facts.coops[case.coop_id]
        record = facts.records[case.definition_id]
        loaded = self.ctx.pinned(record)
        d = loaded.definition
        state = d.states[case.state]
        settings = resolved_settings(d, coop.settings)
        history = facts.histories[case.id]
        votes = facts.votes[case.id]
        view = CaseView(summary=self.summary(coop, case, d, facts.names.get(case.created_by)),
                        definition_ref=record.pinned_ref,
                        guidance=state.guidance, checklist=[(i.id, i.label) for i in state.checklist],
                        mutu_baku=state.mutu_baku.model_dump() if state.mutu_baku else None, fields=[],
                        step_no=case.step_no)
        context = guard_context(d, case.data, settings,
                                Facts(roster=facts.rosters[case.coop_id], people=facts.people, today=day))
        voted = seat_votes(votes, history)
        machine = machine_for(loaded)
        seen: set[str] = set()
        for first in d.actions_from(case.state):
            if first.id in seen:
                continue
            seen.add(first.id)
            try:
                chosen = machine.decide(case.state, first.id, context).chosen
                action, guard_ok = chosen or first, chosen is not None
            except GuardError:
                action, guard_ok = first, True  # decided once the data is filled in
            action = widened(action, facts.handed.get(case.id, []))
            present = present_people(d, action, case.data, facts.listed)
            if step is not None:
                step.append((action, guard_ok, present))
            view.options.append(self._option(d, case, action, guard_ok, person_id, day, facts.rosters[case.coop_id],
                                             history, voted, votes, settings, present, context))
        if options_only:
            return view
        view.fields = [(name, f.label, format_value(f, case.data.get(name))) for name, f in d.fields.items()]
        view.state_titles = {k: v.status_label or v.title for k, v in d.states.items()}
        for e in cast(Sequence[CaseEvent], history.events):  # the rows histories() loaded
            view.history.append(EventView(e.seq, as_utc(e.at), e.action, e.kind, e.from_state, e.to_state,
                                          history.usernames.get(e.actor_id, "?"), facts.names.get(e.actor_id, "?"),
                                          e.role, e.comment, list(e.checks), _event_label(d, e),
                                          facts.names.get(e.on_behalf_of_id, "?") if e.on_behalf_of_id else ""))
        for vote in votes:
            view.votes.setdefault(vote.action, []).append(facts.names.get(vote.person_id, "?"))
        # The Berita Acara is made once the case holds a decision (as documents.minutes requires).
        view.decided = any(e.kind in DECISION_KINDS for e in history.events)
        view.inputs = self._inputs(d, case, view.options, settings, attendees or {})
        return view

    @staticmethod
    def _option(d: Definition, case: Case, action: Action, guard_ok: bool, person_id: int | None, day: date,
                roster: Roster, history: History, voted: Mapping[int, str], votes_here: Sequence[Vote],
                settings: Mapping[str, Any], present: AbstractSet[int] | None = None,
                context: Mapping[str, Any] | None = None) -> ActionOption:
        needed = quorum_needed(action, settings)
        votes = sum(1 for v in votes_here if v.action == action.id)
        allowed, reason, role, rule = False, None, None, None
        if person_id is None:
            reason = "Masuk sebagai pengguna untuk melihat aksi Anda."
        else:
            eligibility = who_may(d, case, action, person_id, day, roster, history, voted, present)
            allowed, reason, role, rule = eligibility.allowed, eligibility.reason, eligibility.role, eligibility.rule
        if allowed and not guard_ok:
            reason = f"Belum terpenuhi: {unmet_sentence(d, action.when or '', context, settings, case.data)}."
            allowed, rule = False, "syarat"
        if allowed and action.quorum is not None:
            possible = eligible_voters(d, case, action, day, roster, history, present)  # voters included
            if possible < needed:
                reason = (f"Perhatian: kuorum {needed} tidak mungkin tercapai, hanya {possible} orang "
                          "yang berhak memberi suara.")
        if not allowed and reason and action.quorum is not None and votes:
            reason += f" (sudah {votes} dari {needed} suara)"
        label = action.display
        if action.quorum is not None:
            label += f" — {votes}/{needed} suara"
        return ActionOption(action.id, label, action.kind, action.to, allowed, reason, role, votes, needed,
                            list(action.requires), d.required_checks(action, case.state), action.requires_comment,
                            d.settable_fields(action), None if allowed else rule)

    @staticmethod
    def _inputs(d: Definition, case: Case, options: Sequence[ActionOption], settings: Mapping[str, Any],
                attendees: Mapping[str, list[tuple[str, str]]]) -> list[FormInput]:
        """Form inputs for the fields the allowed actions may set, with their current values
        (a daftar hadir with everyone who could attend, to tick)."""
        allowed = [o for o in options if o.allowed]
        required = {n for o in allowed for n in o.requires}
        out = []
        for name in dict.fromkeys(n for o in allowed for n in o.sets):
            spec = d.fields[name]
            value = case.data.get(name)
            choices = spec.options or (settings.get(spec.options_setting or "") or [])
            if spec.type == "attendance":
                shown = ",".join(str(v) for v in value or [])
            elif spec.type == "money" and value is not None:
                shown = f"{value:,}".replace(",", ".")
            else:
                shown = "" if value is None else str(value)
            out.append(FormInput(name, spec, value, shown, [str(c) for c in choices], name in required,
                                 list(attendees.get(name, [])), editable_rows(spec, value),
                                 _column_options(spec, settings)))
        return out

    def _page_extras(self, session: Session, case: Case, facts: _Facts, view: CaseView) -> None:
        view.files = [AttachmentView(*row) for row in session.execute(
            select(Attachment.field, Attachment.filename, Attachment.sha256, Attachment.size, Attachment.media_type)
            .where(Attachment.case_id == case.id).order_by(Attachment.uploaded_at, Attachment.id))]
        d = self.ctx.pinned(facts.records[case.definition_id]).definition
        by_sha = {f.sha256: f for f in view.files}
        names = {username: full_name for username, (_, full_name) in facts.people.items()}  # person fields
        for name, spec in d.fields.items():
            value = case.data.get(name)
            if value is None or value == "" or value == []:
                continue
            if spec.type == "attachment" and isinstance(value, dict):
                attached = by_sha.get(str(value.get("sha256")))
                if attached is not None:
                    view.facts.append(FactView(name, spec.label, attached.filename, attached))
                    continue
            if spec.type == "list":
                view.tables[name] = list_table(spec, value, names)
                view.facts.append(FactView(name, spec.label, format_value(spec, value), table=view.tables[name]))
                continue
            if spec.type == "person" and isinstance(value, str) and value in names:
                view.facts.append(FactView(name, spec.label, f"{names[value]} ({value})"))
                view.fields = [(n, label, f"{names[value]} ({value})" if n == name else shown)
                               for n, label, shown in view.fields]
                continue
            view.facts.append(FactView(name, spec.label, format_value(spec, value)))
            if name == "pos_rapb" and isinstance(value, str) and "jumlah" in d.fields:
                remaining = self._budget_left(session, facts.coops[case.coop_id], case, value,
                                              facts.records[case.definition_id].workflow_id)
                if remaining is not None:
                    view.facts.append(FactView("sisa_anggaran", "Sisa anggaran pos", remaining))
        view.issued = [IssuedView(d.number, d.title, as_utc(d.issued_at), d.pages, d.sha256)
                       for d in session.scalars(select(IssuedDocument).where(
                           IssuedDocument.coop_id == case.coop_id, IssuedDocument.subject == case.number)
                           .order_by(IssuedDocument.issued_at))]

    def _budget_left(self, session: Session, coop: Cooperative, case: Case, pos: str, workflow_id: str
                     ) -> str | None:
        """What is left on a RAPB line this year, before and after this request, in words; None without a RAPB.

        Spent is what the year's other requests on the same line paid (closed, not rejected or cancelled),
        as the pengawas' RAPB finding counts it.
        """
        from engine.audit.budget import approved_budget

        year = as_utc(case.created_at).astimezone(self.ctx.tz).year
        budget = approved_budget(session, coop, year)
        if budget is None:
            return None
        if pos not in budget:
            return f"pos ini tidak ada di RAPB {year}"
        spending = select(DefinitionRecord.id).where(DefinitionRecord.workflow_id == workflow_id)  # every version
        start = datetime(year, 1, 1, tzinfo=self.ctx.tz).astimezone(UTC)
        end = datetime(year + 1, 1, 1, tzinfo=self.ctx.tz).astimezone(UTC)
        spent = 0
        for data in session.scalars(
                select(Case.data).where(
                    Case.coop_id == coop.id, Case.definition_id.in_(spending), Case.id != case.id,
                    Case.closed_at.is_not(None), Case.closed_at >= start, Case.closed_at < end,
                    Case.state.not_in(("ditolak", "dibatalkan")))):
            amount = data.get("jumlah")
            if data.get("pos_rapb") == pos and isinstance(amount, int):
                spent += amount
        left = budget[pos] - spent
        text = f"{format_rupiah(left)} dari {format_rupiah(budget[pos])} (RAPB {year})"
        amount = case.data.get("jumlah")
        if isinstance(amount, int) and case.closed_at is None:
            after = left - amount
            text += (f"; setelah pengeluaran ini {format_rupiah(after)}" if after >= 0
                     else f"; pengeluaran ini MELEBIHI sisa sebesar {format_rupiah(-after)}")
        return text

    def attachment(self, slug: str, number: str, sha256: str) -> tuple[str, str, bytes]:
        """(file name, media type, content) of one attachment of a case in this cooperative."""
        with self.ctx.db.reader() as session:
            row = session.scalars(
                select(Attachment).join(Case, Case.id == Attachment.case_id)
                .join(Cooperative, Cooperative.id == Case.coop_id)
                .where(Cooperative.slug == slug, Case.number == number, Attachment.sha256 == sha256)).first()
            if row is None:
                raise NotFoundError("Lampiran tidak ditemukan.")
            return row.filename, row.media_type, read_attachment(row)

    def attachment_preview(self, slug: str, number: str, sha256: str) -> bytes:
        """The first page of an attached PDF as a PNG (the step page shows it above the buttons)."""
        from engine.adapters.preview import first_page_png

        _name, media_type, content = self.attachment(slug, number, sha256)
        picture = first_page_png(sha256, content) if media_type == "application/pdf" else None
        if picture is None:
            raise NotFoundError("Pratinjau lampiran ini tidak tersedia; unduh berkasnya.")
        return picture

    # -- many cases ------------------------------------------------------------------------

    def list_cases(self, coop_slug: str | None = None, *, open_only: bool = False) -> list[CaseSummary]:
        """Cases, newest first."""
        self.ctx.db.require_schema()
        with self.ctx.db.reader() as session:
            stmt = (select(Case, Cooperative, DefinitionRecord).join(Cooperative, Cooperative.id == Case.coop_id)
                    .join(DefinitionRecord, DefinitionRecord.id == Case.definition_id))
            if coop_slug:
                stmt = stmt.where(Cooperative.id == self.ctx.coop(session, coop_slug).id)
            else:  # every cooperative: the real ones (a sandbox's cases are listed with its code)
                stmt = stmt.where(Cooperative.training.is_(False))
            if open_only:
                stmt = stmt.where(Case.closed_at.is_(None))
            rows = session.execute(stmt.order_by(Case.created_at.desc(), Case.id.desc())).all()
            return [self.summary(coop, case, self.ctx.pinned(record).definition) for case, coop, record in rows]

    def tasks(self, username: str, coop_slug: str | None = None) -> list[tuple[CaseSummary, list[ActionOption]]]:
        """Open cases waiting on this person, oldest deadline first (one query per kind of row).

        Only cases at a step this person could act on are read in full: a step none of whose
        actions (in any variant) needs a role they hold today, or a draft someone else started,
        waits on someone else whatever its data, history and votes say (``who_may`` refuses every
        action there), so only its state is read.
        """
        self.ctx.db.require_schema()
        with self.ctx.db.reader() as session:
            person = self.ctx.person(session, username)
            day = self.ctx.today()
            coop_ids = set(session.scalars(select(RoleAssignment.coop_id)
                                           .where(RoleAssignment.person_id == person.id)))
            if coop_slug:
                coop_ids &= {self.ctx.coop(session, coop_slug).id}
            elif coop_ids:  # a sandbox's steps are practice, never mixed with real tasks (asked for by its code)
                coop_ids -= set(session.scalars(select(Cooperative.id).where(
                    Cooperative.id.in_(coop_ids), Cooperative.training.is_(True))))
            held = _decision_rosters(session, coop_ids)
            roles = {i: held[i].roles_on(person.id, day) for i in coop_ids}
            coop_ids = {i for i in coop_ids if roles[i]}
            steps = session.execute(select(Case.id, Case.coop_id, Case.definition_id, Case.state, Case.created_by,
                                           Case.step_no)
                                    .where(Case.coop_id.in_(coop_ids), Case.closed_at.is_(None))).all() \
                if coop_ids else []
            handed = handed_roles(session, [(s.id, s.step_no) for s in steps])  # a deputy's overdue steps too
            record_ids = {s.definition_id for s in steps}
            records = {r.id: r for r in session.scalars(select(DefinitionRecord).where(
                DefinitionRecord.id.in_(record_ids)))} if record_ids else {}
            wanted = [s.id for s in steps
                      if _may_wait_on(self.ctx.pinned(records[s.definition_id]).definition, s.state, s.created_by,
                                      person.id, roles[s.coop_id])
                      or set(handed.get(s.id, [])) & roles[s.coop_id]]
            cases = list(session.scalars(select(Case).where(_among(session, Case.id, wanted))
                                         .order_by(Case.state_since))) if wanted else []
            facts = self._facts(session, cases, records=records, known_rosters=held, options_only=True)
            out = []
            for case in cases:
                view = self._view(case, facts, person.id, day, options_only=True)
                mine = [o for o in view.options if o.allowed]
                if mine:
                    out.append((view.summary, mine))
            far = datetime.max.replace(tzinfo=self.ctx.clock().tzinfo)
            return sorted(out, key=lambda t: (t[0].due or far, t[0].number))

    # -- people ----------------------------------------------------------------------------

    def user(self, user_id: int) -> User | None:
        """The signed-in person with the cooperatives they serve today (None when unknown)."""
        with self.ctx.db.reader() as session:
            return self.user_in(session, user_id)

    def user_in(self, session: Session, user_id: int) -> User | None:
        """:meth:`user` inside a unit of work someone else opened."""
        today = self.ctx.today()
        person = session.get(Person, user_id)
        if person is None:
            return None
        by_coop: dict[int, list[RoleAssignment]] = {}
        coops: dict[int, Cooperative] = {}  # in order of name
        for term, coop in session.execute(select(RoleAssignment, Cooperative)  # every request: one query
                                          .join(Cooperative, Cooperative.id == RoleAssignment.coop_id)
                                          .where(RoleAssignment.person_id == person.id)
                                          .order_by(Cooperative.name, Cooperative.id)):
            by_coop.setdefault(coop.id, []).append(term)
            coops.setdefault(coop.id, coop)
        memberships = []
        for coop in coops.values():
            roles = Roster(by_coop[coop.id]).roles_on(person.id, today)
            if roles:
                memberships.append(Membership(coop.slug, coop.name, coop.city, frozenset(roles), coop.training))
        from engine.services.notifications import unread_in  # web requests only: `case show` needs no inbox

        return User(person.id, person.username, person.full_name, tuple(memberships), person.email,
                    unread_in(session, person.id))  # the menu's badge: one COUNT

    # -- the Dinas ----------------------------------------------------------------------------

    def dinas_overview(self, user: User, trail: Mapping[str, tuple[bool, int]], year: int | None = None
                       ) -> list[DinasRow]:
        """The cooperatives this Dinas officer follows, side by side; ``trail`` is slug -> (ok, size).

        Counted in the database, never by loading every case: open cases are grouped by procedure
        version and state (a few dozen groups however many cases), and only a group whose cases may
        be partly overdue is counted against its deadline (:meth:`_overdue`).
        """
        year = year or self.ctx.today().year
        slugs = [m.slug for m in user.memberships if "dinas" in m.roles]
        if not slugs:
            return []
        now = self.ctx.clock()
        with self.ctx.db.reader() as session:
            coops = {c.id: c for c in session.scalars(select(Cooperative).where(
                Cooperative.slug.in_(slugs), Cooperative.training.is_(False)))}  # a sandbox is never followed
            records = {r.id: r for r in session.scalars(select(DefinitionRecord))}
            open_cases: dict[int, int] = dict.fromkeys(coops, 0)
            overdue: dict[int, int] = dict.fromkeys(coops, 0)
            findings: dict[int, int] = dict.fromkeys(coops, 0)
            groups = session.execute(
                select(Case.coop_id, Case.definition_id, Case.state, func.count(), func.min(Case.state_since),
                       func.max(Case.state_since))
                .where(Case.coop_id.in_(coops), Case.closed_at.is_(None))
                .group_by(Case.coop_id, Case.definition_id, Case.state)).all()
            for coop_id, definition_id, state_id, count, oldest, newest in groups:
                state = self.ctx.pinned(records[definition_id]).definition.states.get(state_id)
                if state is None or state.final:
                    continue
                open_cases[coop_id] += count
                if records[definition_id].workflow_id == FOLLOWUP_WORKFLOW:
                    findings[coop_id] += count
                if state.deadline is not None:
                    overdue[coop_id] += self._overdue(session, (coop_id, definition_id, state_id), count,
                                                      as_utc(oldest), as_utc(newest), state.deadline, now,
                                                      calendar_for(self.ctx.settings, coops[coop_id].settings))
            since = datetime(year - 1, 1, 1, tzinfo=UTC)
            plans = session.execute(
                select(Case.coop_id, Case.number, Case.state, Case.created_at, DefinitionRecord.workflow_id,
                       DefinitionRecord.id)
                .join(DefinitionRecord, DefinitionRecord.id == Case.definition_id)
                .where(Case.coop_id.in_(coops), DefinitionRecord.workflow_id.in_(("rk_rapb", "rat")),
                       Case.created_at >= since)).all()
            # The newest entry of each trail, found by the (coop_id, seq) primary key: no scan.
            newest_seq = (select(AuditEntry.coop_id, func.max(AuditEntry.seq).label("seq"))
                          .where(AuditEntry.coop_id.in_(coops)).group_by(AuditEntry.coop_id).subquery())
            last_activity = {coop_id: as_utc(at) for coop_id, at in session.execute(
                select(AuditEntry.coop_id, AuditEntry.created_at).join(
                    newest_seq, (AuditEntry.coop_id == newest_seq.c.coop_id) & (AuditEntry.seq == newest_seq.c.seq)))}
        latest: dict[tuple[int, str], tuple[datetime, str, str, int]] = {}
        for coop_id, number, state_id, created, workflow, definition_id in plans:
            key = (coop_id, workflow)
            if key not in latest or as_utc(created) > latest[key][0]:
                latest[key] = (as_utc(created), number, state_id, definition_id)
        out = []
        for coop in sorted(coops.values(), key=lambda c: slugs.index(c.slug)):
            ok, size = trail[coop.slug]
            out.append(DinasRow(coop.slug, coop.name, self._latest_state(latest.get((coop.id, "rk_rapb")), records),
                                self._latest_state(latest.get((coop.id, "rat")), records), open_cases[coop.id],
                                overdue[coop.id], ok, size, findings[coop.id], last_activity.get(coop.id)))
        return sorted(out, key=lambda row: row.attention)

    def _overdue(self, session: Session, group: tuple[int, int, str], count: int, oldest: datetime,
                 newest: datetime, deadline: Deadline, now: datetime, calendar: WorkCalendar) -> int:
        """How many open cases of one (cooperative, procedure version, state) are past the step's deadline.

        A case entered at ``since`` is due at ``deadline.due(since)``, never earlier than ``amount`` calendar
        days (or hours) after and, for working days, never later than a fixed span more: cases entered
        before that span are all overdue, after it none is, and only the cases in between (a few days'
        worth) are read and judged one by one.
        """
        coop_id, definition_id, state_id = group
        where = (Case.coop_id == coop_id, Case.definition_id == definition_id, Case.state == state_id,
                 Case.closed_at.is_(None))
        if deadline.relative_to is not None:  # due by a date in each case's data: judged case by case
            return sum(1 for since, data in session.execute(select(Case.state_since, Case.data).where(*where))
                       if (due := deadline.due(as_utc(since), self.ctx.tz, calendar, data)) is not None
                       and now > due)
        amount = deadline.amount
        if deadline.unit == "jam":
            soonest = latest_due = timedelta(hours=amount)
        elif deadline.unit == "hari":
            soonest = latest_due = timedelta(days=amount)
        else:  # working days: weekends add at most two days per five, plus one for a start on a weekend;
            # holidays (the weekdays off in the past year, a generous bound) add themselves and their weekends
            today = now.astimezone(self.ctx.tz).date()
            off = sum(1 for day, _ in calendar.holidays_between(today - timedelta(days=366), today + timedelta(days=1))
                      if day.weekday() < 5)
            days = amount + off
            soonest, latest_due = timedelta(days=amount), timedelta(days=days + 2 * (days // 5 + 1) + 1)
        surely, never = now - latest_due, now - soonest  # entered before `surely`: overdue; after `never`: not
        if newest < surely:
            return count
        if oldest >= never:
            return 0
        total = session.scalar(select(func.count()).where(*where, Case.state_since < surely)) or 0
        for since in session.scalars(select(Case.state_since).where(*where, Case.state_since >= surely,
                                                                    Case.state_since < never)):
            due = deadline.due(as_utc(since), self.ctx.tz, calendar)
            if due is not None and now > due:
                total += 1
        return total

    def _latest_state(self, latest: tuple[datetime, str, str, int] | None,
                      records: Mapping[int, DefinitionRecord]) -> str:
        if latest is None:
            return "Belum ada"
        _, number, state_id, definition_id = latest
        state = self.ctx.pinned(records[definition_id]).definition.states[state_id]
        return f"{state.status_label or state.title} ({number})"

    # -- starting a case (nothing is created here) ------------------------------------------

    def start_choices(self, coop_slug: str, username: str) -> list[StartChoice]:
        """The procedures this person may start in this cooperative today (they hold a role of its
        first step), the most used there first: one query for the roles, one for the counts."""
        self.ctx.db.require_schema()
        with self.ctx.db.reader() as session:
            coop = self.ctx.coop(session, coop_slug)
            person = self.ctx.person(session, username)
            held = rosters(session, [coop.id])[coop.id].roles_on(person.id, self.ctx.today())
            counts: dict[str, int] = {
                workflow: int(n) for workflow, n in session.execute(
                    select(DefinitionRecord.workflow_id, func.count())
                    .join(Case, Case.definition_id == DefinitionRecord.id)
                    .where(Case.coop_id == coop.id).group_by(DefinitionRecord.workflow_id))}
        out = []
        for loaded in self.ctx.registry.all():
            d = loaded.definition
            if held & {r for a in d.actions_from(d.initial_state) for r in a.roles}:
                out.append(StartChoice(d.id, d.title, d.sop.nomor, d.category, counts.get(d.id, 0)))
        return sorted(out, key=lambda c: (-c.cases, c.title))

    def start_form(self, workflow_id: str, coop_slug: str, username: str) -> StartForm:
        """The form that starts a case of this procedure, as this person fills it in; creates nothing.

        Its inputs are the fields this person's actions on the first step may set (as the step page
        offers them on a draft); ``submit`` is the first submit action from that step they may take.
        PermissionDeniedError when they hold no role of the first step today (as starting would).
        """
        self.ctx.db.require_schema()
        d = self.ctx.registry.get(workflow_id).definition
        with self.ctx.db.reader() as session:
            coop = self.ctx.coop(session, coop_slug)
            person = self.ctx.person(session, username)
            day = self.ctx.today()
            roster = rosters(session, [coop.id])[coop.id]
            held = roster.roles_on(person.id, day)
            first = d.actions_from(d.initial_state)
            mine = [a for a in first if held & set(a.roles)]
            if not mine:
                labels = " atau ".join(dict.fromkeys(role_label(r) for a in first for r in a.roles))
                raise PermissionDeniedError(
                    f"Prosedur '{d.title}' hanya dapat dimulai oleh {labels}; Anda tidak memegang peran itu "
                    f"di {coop.name} hari ini.", rule="peran")
            settings = resolved_settings(d, coop.settings)
            names = list(dict.fromkeys(n for a in mine for n in d.settable_fields(a)))
            attendees: dict[str, list[tuple[str, str]]] = {}
            for name in attendance_fields(d):  # no meeting date yet: who could attend today
                spec = d.fields[name]
                if name in names and spec.of is not None:
                    eligible = eligible_on(session, coop.id, roster, spec.of, day)
                    attendees[name] = [(a.key, a.label) for a in eligible.people]
            picking = [n for n in names if _picks_people(d.fields[n])]
            if picking:  # a person field or person column: the cooperative's people to pick from
                people = coop_people(session, roster)
                attendees.update({n: people for n in picking})
        submits = [a for a in mine if a.kind == "submit"]
        variants = [a for a in submits if a.id == submits[0].id] if submits else []
        required = set.intersection(*(set(a.requires) for a in variants)) if variants else set()
        inputs = []
        for name in names:
            spec = d.fields[name]
            choices = spec.options or (settings.get(spec.options_setting or "") or [])
            inputs.append(FormInput(name, spec, None, "", [str(c) for c in choices], name in required,
                                    list(attendees.get(name, [])), [], _column_options(spec, settings)))
        check_labels = {i.id: i.label for i in d.states[d.initial_state].checklist}
        checks = list(dict.fromkeys(c for a in variants for c in d.required_checks(a)))
        submit_labels = list(dict.fromkeys(a.display for a in variants))
        return StartForm(d.id, d.title, d.summary, d.sop.nomor, d.states[d.initial_state].guidance, inputs,
                         [(c, check_labels.get(c, c)) for c in checks], variants[0].id if variants else None,
                         submit_labels[0] if len(submit_labels) == 1 else ("Ajukan" if variants else None),
                         any(a.requires_comment for a in variants))


def unmet_sentence(d: Definition, expression: str, context: Mapping[str, Any] | None, settings: Mapping[str, Any],
                   data: Mapping[str, Any]) -> str:
    """What keeps a guard from holding, in words: its clauses that do not hold (the whole guard when the
    clauses cannot be told apart)."""
    if context is not None:
        try:
            unmet = unmet_clauses(d, expression, context, settings, data)
        except GuardError:
            unmet = []
        if unmet:
            return "; ".join(c.words for c in unmet)
    return guard_sentence(expression, d, settings)
