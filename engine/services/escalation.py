"""Deadlines and escalation: ``tatakelola tick`` (and ``serve`` in the background) escalates overdue steps.

Each waiting step with a deadline is due at ``deadline.due(state_since)``, counted in the cooperative's
working days (:mod:`engine.services.calendars`). Each level of the state's ``escalation`` (one implicit
``ingatkan`` at the deadline when none is written) comes ``after`` its delay past the deadline, and is
taken exactly once: in one transaction per case, under the case's row lock, an ``escalations`` row
(unique per case, step and level), an entry on the cooperative's trail and the messages to the people
concerned. A second tick, or a second ``serve`` worker ticking at the same moment, adds nothing.

- ``ingatkan``: the people who may act on the step now are reminded (kind ``tenggat``).
- ``alihkan``: from then on the holders of ``to`` may also take the step's actions, under every other
  rule (segregation of duties, quorum); they are told (kind ``eskalasi``).
- ``naikkan``: the holders of ``to`` (usually the pengawas) are told; they do not act.

Training cooperatives escalate like any other: their practice cases show the same reminders, on their
own trail.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine.adapters.store.db import as_utc
from engine.adapters.store.models import Case, Cooperative, DefinitionRecord, Escalation
from engine.audit.entry import ESCALATION_KIND
from engine.domain.attendance import listed_usernames, present_people
from engine.domain.calendar import WorkCalendar
from engine.domain.definitions.model import Action, Definition, EscalationLevel
from engine.domain.roles import role_label
from engine.errors import TatakelolaError
from engine.services.calendars import calendar_for, installation_calendar
from engine.services.context import Context, histories, rosters
from engine.services.meetings import person_ids
from engine.services.outbox import enqueue

__all__ = ["ESCALATION_ACTION", "ESCALATION_KIND", "EscalationDone", "Escalations", "TickReport",
           "escalation_text", "escalations_of", "handed_roles", "widened"]

#: The ``action`` of an escalation's trail entry (its ``kind`` is ESCALATION_KIND).
ESCALATION_ACTION = "eskalasi"

_VERB = {"ingatkan": "diingatkan", "alihkan": "dialihkan juga ke", "naikkan": "dinaikkan ke"}


@dataclass(frozen=True)
class EscalationDone:
    """One escalation level taken by a tick."""

    coop: str
    case: str
    title: str
    step: str
    level: int
    do: str
    to_role: str | None
    due: datetime
    notified: int
    seq: int

    @property
    def sentence(self) -> str:
        """What was done, in Indonesian (without the time)."""
        return escalation_text(self.do, self.to_role)


@dataclass
class TickReport:
    """What one tick did: the levels it took, and the cooperatives it could not look at (with why)."""

    now: datetime
    checked: int = 0
    done: list[EscalationDone] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    #: Messages e-mailed at the end of the tick (filled in by the notification sender, when configured).
    mailed: int = 0

    @property
    def cases(self) -> list[str]:
        """The case numbers escalated, once each, in order."""
        return list(dict.fromkeys(d.case for d in self.done))


def escalation_text(do: str, to_role: str | None) -> str:
    """``ingatkan`` -> "diingatkan"; ``alihkan`` -> "dialihkan juga ke Wakil Ketua Bidang Usaha" …"""
    verb = _VERB.get(do, do)
    return f"{verb} {role_label(to_role)}" if to_role else verb


def handed_roles(session: Session, steps: Iterable[tuple[int, int]]) -> dict[int, list[str]]:
    """Case id -> the roles its current step was handed to (``alihkan``), for (case id, step no) pairs."""
    wanted = list(dict.fromkeys(steps))
    out: dict[int, list[str]] = {}
    if not wanted:
        return out
    current = dict(wanted)
    for start in range(0, len(wanted), 500):
        ids = [case_id for case_id, _ in wanted[start:start + 500]]
        for case_id, step_no, role in session.execute(
                select(Escalation.case_id, Escalation.step_no, Escalation.to_role)
                .where(Escalation.case_id.in_(ids), Escalation.kind == "alihkan")
                .order_by(Escalation.level)):
            if current.get(case_id) == step_no and role and role not in out.get(case_id, []):
                out.setdefault(case_id, []).append(role)
    return out


def escalations_of(session: Session, case: Case) -> list[tuple[str, datetime]]:
    """The escalations of a case's current step, oldest first: (what was done, when)."""
    return [(escalation_text(kind, to_role), as_utc(at)) for kind, to_role, at in session.execute(
        select(Escalation.kind, Escalation.to_role, Escalation.at)
        .where(Escalation.case_id == case.id, Escalation.step_no == case.step_no)
        .order_by(Escalation.level))]


def widened(action: Action, roles: Sequence[str]) -> Action:
    """The action as the step now runs it: its roles plus the roles the step was handed to (a copy; the
    same action when nothing was handed). Every other rule of the action stays as written."""
    extra = [r for r in roles if r not in action.roles]
    if not extra or action.kind == "cancel":
        return action
    return action.model_copy(update={"roles": [*action.roles, *extra]})


@dataclass(frozen=True)
class _Due:
    case_id: int
    step_no: int
    levels: list[tuple[int, EscalationLevel]]
    due: datetime


class Escalations:
    """Find overdue steps and escalate them, each level exactly once."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def tick(self, now: datetime | None = None) -> TickReport:
        """Escalate every level whose moment has come by ``now`` (default: the clock) and was not taken yet."""
        self.ctx.db.require_schema()
        installation_calendar(self.ctx.settings)  # a malformed calendar file stops the tick, named by its line
        now = now or self.ctx.clock()
        report = TickReport(now)
        pending: list[tuple[str, _Due]] = []
        with self.ctx.db.reader() as session:
            coops = {c.id: c for c in session.scalars(select(Cooperative))}
            calendars: dict[int, WorkCalendar | None] = {}
            rows = session.execute(select(Case.id, Case.coop_id, Case.number, Case.state, Case.step_no,
                                          Case.state_since, Case.definition_id, Case.data)
                                   .where(Case.closed_at.is_(None)).order_by(Case.id)).all()
            records = {r.id: r for r in session.scalars(select(DefinitionRecord).where(
                DefinitionRecord.id.in_({r.definition_id for r in rows})))} if rows else {}
            candidates: list[tuple[str, _Due]] = []
            for case_id, coop_id, number, state_id, step_no, since, definition_id, data in rows:
                d = self.ctx.pinned(records[definition_id]).definition
                state = d.states.get(state_id)
                if state is None or state.deadline is None or state.final:
                    continue
                if coop_id not in calendars:
                    calendars[coop_id] = self._calendar(coops[coop_id], report)
                calendar = calendars[coop_id]
                if calendar is None:
                    continue
                report.checked += 1
                due = state.deadline.due(as_utc(since), self.ctx.tz, calendar, data)
                if due is None:  # counted from a date the case does not hold yet
                    continue
                levels = [(i, level) for i, level in enumerate(state.escalation_levels)
                          if level.after.after(due, self.ctx.tz, calendar) <= now]
                if levels:
                    candidates.append((number, _Due(case_id, step_no, levels, due)))
            taken = _taken(session, [(c.case_id, c.step_no) for _, c in candidates])
            for number, item in candidates:
                left = [(i, level) for i, level in item.levels if (item.case_id, item.step_no, i) not in taken]
                if left:
                    pending.append((number, _Due(item.case_id, item.step_no, left, item.due)))
        for number, item in pending:
            try:
                report.done += self._escalate(item, now)
            except IntegrityError:  # another worker took this level at the same moment: it is done
                continue
            except TatakelolaError as exc:
                report.problems.append(f"{number}: {exc}")
        return report

    def _calendar(self, coop: Cooperative, report: TickReport) -> WorkCalendar | None:
        try:
            return calendar_for(self.ctx.settings, coop.settings)
        except TatakelolaError as exc:
            report.problems.append(f"{coop.slug}: {exc}")
            return None

    def _escalate(self, item: _Due, now: datetime) -> list[EscalationDone]:
        """Take the levels still due for one case, in one transaction under the case's lock."""
        from engine.audit.log import append_entry  # the signing key (cryptography): only when escalating

        ctx = self.ctx
        done: list[EscalationDone] = []
        with ctx.db.session() as session:
            case = session.execute(select(Case).where(Case.id == item.case_id).with_for_update()
                                   .execution_options(populate_existing=True)).scalar_one()
            if case.closed_at is not None or case.step_no != item.step_no:
                return []  # decided meanwhile: the step is no longer waiting
            taken = _taken(session, [(case.id, case.step_no)])
            levels = [(i, level) for i, level in item.levels if (case.id, case.step_no, i) not in taken]
            if not levels:
                return []
            coop = session.get_one(Cooperative, case.coop_id)
            record = session.get_one(DefinitionRecord, case.definition_id)
            d = ctx.pinned(record).definition
            state = d.states[case.state]
            day = now.astimezone(ctx.tz).date()
            for level_no, level in levels:
                fields: dict[str, Any] = {
                    "case": case.number, "definition": record.pinned_ref, "action": ESCALATION_ACTION,
                    "kind": ESCALATION_KIND, "state": case.state, "step": case.step_no, "level": level_no,
                    "do": level.do, "to_role": level.to, "due": as_utc(item.due).strftime("%Y-%m-%dT%H:%M:%SZ")}
                seq = append_entry(session, coop, ctx.signer, fields, case_id=case.id, now=now)
                session.add(Escalation(coop_id=coop.id, case_id=case.id, step_no=case.step_no, level=level_no,
                                       kind=level.do, to_role=level.to, due_at=item.due, at=now, seq=seq))
                session.flush()  # the unique (case, step, level) refuses a second worker here
                notified = self._notify(session, coop, case, d, level_no, level, item.due, day, now)
                done.append(EscalationDone(coop.slug, case.number, d.title, state.status_label or state.title,
                                           level_no, level.do, level.to, item.due, notified, seq))
        return done

    def _notify(self, session: Session, coop: Cooperative, case: Case, d: Definition, level_no: int,
                level: EscalationLevel, due: datetime, day: date, now: datetime) -> int:
        """The messages of one level: reminders to who may act, or word to the role it goes to."""
        from engine.services.announce import case_link
        from engine.services.waiting import waiting_on

        roster = rosters(session, [coop.id])[coop.id]
        state = d.states[case.state]
        status = state.status_label or state.title
        when = f"{as_utc(due).astimezone(self.ctx.tz):%d-%m-%Y %H.%M}"
        span = state.deadline.words(d) if state.deadline is not None else "tanpa tenggat"
        dedupe = f"eskalasi:{case.id}:{case.step_no}:{level_no}"
        common: dict[str, Any] = {"dedupe": dedupe, "now": now, "coop_id": coop.id, "case_id": case.id,
                                  "link": case_link(coop, case), "email": self.ctx.settings.smtp_configured}
        if level.do == "ingatkan":
            history = histories(session, [case.id])[0][case.id]
            listed = person_ids(session, listed_usernames(d, case.data))
            handed = handed_roles(session, [(case.id, case.step_no)]).get(case.id, [])
            step = [(widened(a, handed), True, present_people(d, a, case.data, listed))
                    for a in d.actions_from(case.state)]
            ids = list(waiting_on(d, case, day, roster, history, {}, step))
            return enqueue(session, person_ids=ids, kind="tenggat",
                           subject=f"Melewati tenggat: {case.number} \u2014 {status}",
                           body=(f"Kasus {case.number} ({d.title}) menunggu tindakan Anda pada langkah "
                                 f"\u201c{state.title}\u201d sejak tenggat {when} ({span})."), **common)
        role = level.to or ""
        ids = [p for p in roster.people() if role in roster.roles_on(p, day)]
        if level.do == "alihkan":
            body = (f"Langkah \u201c{state.title}\u201d kasus {case.number} ({d.title}) melewati tenggat {when}. "
                    f"Sekarang Anda sebagai {role_label(role)} juga dapat mengambil tindakan pada langkah ini.")
        else:
            body = (f"Langkah \u201c{state.title}\u201d kasus {case.number} ({d.title}) melewati tenggat {when} "
                    f"dan belum ditindaklanjuti. Dinaikkan kepada Anda sebagai {role_label(role)} untuk "
                    "diketahui dan diawasi.")
        return enqueue(session, person_ids=ids, kind="eskalasi",
                       subject=f"{case.number} {escalation_text(level.do, role)} \u2014 {status}", body=body,
                       **common)


def _taken(session: Session, steps: Sequence[tuple[int, int]]) -> set[tuple[int, int, int]]:
    """(case, step, level) of the escalations already taken at these steps."""
    wanted = set(steps)
    ids = sorted({case_id for case_id, _ in wanted})
    out: set[tuple[int, int, int]] = set()
    for start in range(0, len(ids), 500):
        out.update((c, s, lv) for c, s, lv in session.execute(
            select(Escalation.case_id, Escalation.step_no, Escalation.level)
            .where(Escalation.case_id.in_(ids[start:start + 500]))) if (c, s) in wanted)
    return out
