"""Every read model in one place: case page, case lists, task inbox, signed-in user, Dinas overview.

Reads fetch in batches: the terms of office, events, names and votes of all the cases on a
page come in one query each, never one per case. Nothing here writes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.adapters.attachments import read_attachment
from engine.adapters.store.db import as_utc
from engine.adapters.store.models import (
    Attachment,
    Case,
    CaseEvent,
    Cooperative,
    DefinitionRecord,
    IssuedDocument,
    Person,
    RoleAssignment,
    Vote,
)
from engine.domain.attendance import attendance_fields, listed_usernames, meeting_day, present_people
from engine.domain.definitions.model import Action, Definition
from engine.domain.machine import machine_for
from engine.domain.policy import History, Roster, eligible_voters, quorum_needed, who_may
from engine.domain.values import format_value, resolved_settings
from engine.errors import GuardError, NotFoundError
from engine.services.context import Context, histories, rosters, step_votes
from engine.services.dto import (
    ActionOption,
    AttachmentView,
    CaseSummary,
    CaseView,
    DinasRow,
    EventView,
    FormInput,
    IssuedView,
    Membership,
    User,
)
from engine.services.meetings import eligible_on, person_ids

__all__ = ["CaseViews"]


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


class CaseViews:
    """Read models for pages, the API and the CLI."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    # -- loading ---------------------------------------------------------------------------

    def _facts(self, session: Session, cases: Sequence[Case], *, extra_people: Sequence[int] = ()) -> _Facts:
        coop_ids = {c.coop_id for c in cases}
        coops = {c.id: c for c in session.scalars(select(Cooperative).where(Cooperative.id.in_(coop_ids)))} \
            if coop_ids else {}
        record_ids = {c.definition_id for c in cases}
        records = {r.id: r for r in session.scalars(select(DefinitionRecord).where(
            DefinitionRecord.id.in_(record_ids)))} if record_ids else {}
        events, names = histories(session, [c.id for c in cases])
        votes = step_votes(session, cases)
        voters = {v.person_id for rows in votes.values() for v in rows} - set(names)
        if voters:
            names = {**names, **dict(session.execute(select(Person.id, Person.full_name)
                                                     .where(Person.id.in_(voters))).all())}
        listed = person_ids(session, {u for c in cases
                                      for u in listed_usernames(self.ctx.pinned(records[c.definition_id]).definition,
                                                                c.data)})
        return _Facts(coops, records, rosters(session, coop_ids), events, names, votes, listed)

    def summary(self, coop: Cooperative, case: Case, d: Definition) -> CaseSummary:
        """The list line of a case."""
        state = d.states[case.state]
        since = as_utc(case.state_since)
        due = state.deadline.due(since, self.ctx.tz) if state.deadline is not None and not state.final else None
        return CaseSummary(case.number, coop.slug, d.id, d.title, case.state, state.status_label or state.title,
                           state.final, since, due, bool(due and self.ctx.clock() > due))

    # -- one case --------------------------------------------------------------------------

    def show(self, number: str, username: str | None, *, coop_slug: str | None = None) -> CaseView:
        """A case as ``username`` sees it (or as an observer when None), with everything its page shows."""
        self.ctx.db.require_schema()
        with self.ctx.db.session() as session:
            person = self.ctx.person(session, username) if username else None
            case = self.ctx.find_case(session, number, coop_slug, person, lock=False)
            facts = self._facts(session, [case])
            today = self.ctx.today()
            people = self._attendees(session, case, facts, today)
            view = self._view(case, facts, person.id if person else None, today, attendees=people)
            self._page_extras(session, case, facts, view)
            return view

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
        return out

    def _view(self, case: Case, facts: _Facts, person_id: int | None, day: date,
              *, options_only: bool = False, attendees: Mapping[str, list[tuple[str, str]]] | None = None
              ) -> CaseView:
        coop = facts.coops[case.coop_id]
        record = facts.records[case.definition_id]
        loaded = self.ctx.pinned(record)
        d = loaded.definition
        state = d.states[case.state]
        settings = resolved_settings(d, coop.settings)
        history = facts.histories[case.id]
        votes = facts.votes[case.id]
        view = CaseView(summary=self.summary(coop, case, d), definition_ref=record.pinned_ref,
                        guidance=state.guidance, checklist=[(i.id, i.label) for i in state.checklist],
                        mutu_baku=state.mutu_baku.model_dump() if state.mutu_baku else None, fields=[],
                        step_no=case.step_no)
        context = {**{n: case.data.get(n) for n in d.fields}, "settings": settings}
        voted = {v.person_id: v.action for v in votes}
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
            present = present_people(d, action, case.data, facts.listed)
            view.options.append(self._option(d, case, action, guard_ok, person_id, day, facts.rosters[case.coop_id],
                                             history, voted, votes, settings, present))
        if options_only:
            return view
        view.fields = [(name, f.label, format_value(f, case.data.get(name))) for name, f in d.fields.items()]
        view.state_titles = {k: v.status_label or v.title for k, v in d.states.items()}
        for e in cast(Sequence[CaseEvent], history.events):  # the rows histories() loaded
            view.history.append(EventView(e.seq, as_utc(e.at), e.action, e.kind, e.from_state, e.to_state,
                                          history.usernames.get(e.actor_id, "?"), facts.names.get(e.actor_id, "?"),
                                          e.role, e.comment, list(e.checks)))
        for vote in votes:
            view.votes.setdefault(vote.action, []).append(facts.names.get(vote.person_id, "?"))
        view.decided = any(e.kind != "start" for e in history.events)
        view.inputs = self._inputs(d, case, view.options, settings, attendees or {})
        return view

    @staticmethod
    def _option(d: Definition, case: Case, action: Action, guard_ok: bool, person_id: int | None, day: date,
                roster: Roster, history: History, voted: Mapping[int, str], votes_here: Sequence[Vote],
                settings: Mapping[str, Any], present: AbstractSet[int] | None = None) -> ActionOption:
        needed = quorum_needed(action, settings)
        votes = sum(1 for v in votes_here if v.action == action.id)
        allowed, reason, role = False, None, None
        if person_id is None:
            reason = "Masuk sebagai pengguna untuk melihat aksi Anda."
        else:
            eligibility = who_may(d, case, action, person_id, day, roster, history, voted, present)
            allowed, reason, role = eligibility.allowed, eligibility.reason, eligibility.role
        if allowed and not guard_ok:
            allowed, reason = False, f"Syarat '{action.when}' belum terpenuhi."
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
                            list(action.requires), d.required_checks(action), action.requires_comment,
                            d.settable_fields(action))

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
                                 list(attendees.get(name, []))))
        return out

    def _page_extras(self, session: Session, case: Case, facts: _Facts, view: CaseView) -> None:
        view.files = [AttachmentView(*row) for row in session.execute(
            select(Attachment.field, Attachment.filename, Attachment.sha256, Attachment.size)
            .where(Attachment.case_id == case.id).order_by(Attachment.uploaded_at, Attachment.id))]
        view.issued = [IssuedView(d.number, d.title, as_utc(d.issued_at), d.pages, d.sha256)
                       for d in session.scalars(select(IssuedDocument).where(
                           IssuedDocument.coop_id == case.coop_id, IssuedDocument.subject == case.number)
                           .order_by(IssuedDocument.issued_at))]

    def attachment(self, slug: str, number: str, sha256: str) -> tuple[str, str, bytes]:
        """(file name, media type, content) of one attachment of a case in this cooperative."""
        with self.ctx.db.session() as session:
            row = session.scalars(
                select(Attachment).join(Case, Case.id == Attachment.case_id)
                .join(Cooperative, Cooperative.id == Case.coop_id)
                .where(Cooperative.slug == slug, Case.number == number, Attachment.sha256 == sha256)).first()
            if row is None:
                raise NotFoundError("Lampiran tidak ditemukan.")
            return row.filename, row.media_type, read_attachment(row)

    # -- many cases ------------------------------------------------------------------------

    def list_cases(self, coop_slug: str | None = None, *, open_only: bool = False) -> list[CaseSummary]:
        """Cases, newest first."""
        self.ctx.db.require_schema()
        with self.ctx.db.session() as session:
            stmt = (select(Case, Cooperative, DefinitionRecord).join(Cooperative, Cooperative.id == Case.coop_id)
                    .join(DefinitionRecord, DefinitionRecord.id == Case.definition_id))
            if coop_slug:
                stmt = stmt.where(Cooperative.id == self.ctx.coop(session, coop_slug).id)
            if open_only:
                stmt = stmt.where(Case.closed_at.is_(None))
            rows = session.execute(stmt.order_by(Case.created_at.desc(), Case.id.desc())).all()
            return [self.summary(coop, case, self.ctx.pinned(record).definition) for case, coop, record in rows]

    def tasks(self, username: str, coop_slug: str | None = None) -> list[tuple[CaseSummary, list[ActionOption]]]:
        """Open cases waiting on this person, oldest deadline first (one query per kind of row)."""
        self.ctx.db.require_schema()
        with self.ctx.db.session() as session:
            person = self.ctx.person(session, username)
            day = self.ctx.today()
            coop_ids = set(session.scalars(select(RoleAssignment.coop_id)
                                           .where(RoleAssignment.person_id == person.id)))
            if coop_slug:
                coop_ids &= {self.ctx.coop(session, coop_slug).id}
            held = rosters(session, coop_ids)
            coop_ids = {i for i in coop_ids if held[i].roles_on(person.id, day)}
            cases = list(session.scalars(select(Case).where(Case.coop_id.in_(coop_ids), Case.closed_at.is_(None))
                                         .order_by(Case.state_since))) if coop_ids else []
            facts = self._facts(session, cases)
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
        with self.ctx.db.session() as session:
            return self.user_in(session, user_id)

    def user_in(self, session: Session, user_id: int) -> User | None:
        """:meth:`user` inside a unit of work someone else opened."""
        today = self.ctx.today()
        person = session.get(Person, user_id)
        if person is None:
            return None
        terms = session.scalars(select(RoleAssignment).where(RoleAssignment.person_id == person.id)).all()
        by_coop: dict[int, list[RoleAssignment]] = {}
        for term in terms:
            by_coop.setdefault(term.coop_id, []).append(term)
        memberships = []
        coops: Sequence[Cooperative] = session.scalars(select(Cooperative).where(
            Cooperative.id.in_(by_coop)).order_by(Cooperative.name)).all() if by_coop else []
        for coop in coops:
            roles = Roster(by_coop[coop.id]).roles_on(person.id, today)
            if roles:
                memberships.append(Membership(coop.slug, coop.name, coop.city, frozenset(roles)))
        return User(person.id, person.username, person.full_name, tuple(memberships))

    # -- the Dinas ----------------------------------------------------------------------------

    def dinas_overview(self, user: User, trail: Mapping[str, tuple[bool, int]], year: int | None = None
                       ) -> list[DinasRow]:
        """The cooperatives this Dinas officer follows, side by side; ``trail`` is slug -> (ok, size)."""
        year = year or self.ctx.today().year
        slugs = [m.slug for m in user.memberships if "dinas" in m.roles]
        if not slugs:
            return []
        with self.ctx.db.session() as session:
            coops = {c.id: c for c in session.scalars(select(Cooperative).where(Cooperative.slug.in_(slugs)))}
            rows = session.execute(select(Case, DefinitionRecord).join(
                DefinitionRecord, DefinitionRecord.id == Case.definition_id).where(Case.coop_id.in_(coops))).all()
        per_coop: dict[int, list[tuple[Case, DefinitionRecord]]] = {i: [] for i in coops}
        for case, record in rows:
            per_coop[case.coop_id].append((case, record))
        out = []
        for coop in sorted(coops.values(), key=lambda c: slugs.index(c.slug)):
            pairs = per_coop[coop.id]
            summaries = [self.summary(coop, c, self.ctx.pinned(r).definition) for c, r in pairs]
            ok, size = trail[coop.slug]
            out.append(DinasRow(coop.slug, coop.name, self._latest_state(pairs, "rk_rapb", year),
                                self._latest_state(pairs, "rat", year), sum(1 for s in summaries if not s.final),
                                sum(1 for s in summaries if s.overdue), ok, size))
        return out

    def _latest_state(self, pairs: Sequence[tuple[Case, DefinitionRecord]], workflow: str, year: int) -> str:
        matching = [(c, r) for c, r in pairs if r.workflow_id == workflow and c.created_at.year >= year - 1]
        if not matching:
            return "Belum ada"
        case, record = max(matching, key=lambda cr: cr[0].created_at)
        state = self.ctx.pinned(record).definition.states[case.state]
        return f"{state.status_label or state.title} ({case.number})"
