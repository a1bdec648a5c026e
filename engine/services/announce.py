"""The notifications a decision causes, written in the decision's own unit of work.

- ``tugas``: the case entered a step where people must act: everyone who may act there now (the rule
  of the case page's "waiting on" line, :func:`engine.services.waiting.waiting_on`), except the actor.
- ``keputusan``: the case was decided (approved, rejected, finished): whoever started it and everyone
  who acted on it before, except the actor.

Texts are plain Indonesian with the case number, the procedure's title, the status words people use,
who did what; the link is the case page's path. No ids or keys in the text.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.orm import Session

from engine.adapters.store.models import Case, Cooperative, Person
from engine.domain.attendance import listed_usernames, present_people
from engine.domain.definitions.model import Action, Definition
from engine.domain.policy import History, Roster
from engine.domain.roles import role_label
from engine.services.context import Context, histories
from engine.services.meetings import person_ids
from engine.services.outbox import enqueue
from engine.services.waiting import waiting_on

__all__ = ["announce_decision", "case_link"]


def case_link(coop: Cooperative, case: Case) -> str:
    """The case page's path (as the web app writes it)."""
    return f"/k/{coop.slug}/kasus/{case.number}"


def announce_decision(ctx: Context, session: Session, *, coop: Cooperative, case: Case, d: Definition,
                      action: Action | None, actor: Person, role: str, fired: bool, seq: int, roster: Roster,
                      day: date, now: datetime, history: History | None = None) -> int:
    """Enqueue the ``tugas`` and ``keputusan`` messages of a decision just saved (``action`` None: the
    case was started). ``history``: the case's events including the one just logged, when the caller has
    them (read again otherwise). Returns how many messages were added."""
    if not fired:  # a vote towards a quorum: the step (and who must act on it) is unchanged
        return 0
    state = d.states[case.state]
    status = state.status_label or state.title
    link = case_link(coop, case)
    did = "memulai" if action is None else f"melakukan \u201c{action.display}\u201d pada"
    line = f"{actor.full_name} ({role_label(role)}) {did} kasus {case.number} ({d.title})."
    email = ctx.settings.smtp_configured and not coop.training  # a sandbox's messages stay in the web app
    added = 0
    if history is None:  # with the event just logged (segregation of duties)
        history = histories(session, [case.id])[0][case.id]
    if not state.final:
        listed = person_ids(session, listed_usernames(d, case.data))
        step = [(a, True, present_people(d, a, case.data, listed)) for a in d.actions_from(case.state)]
        waiting = {p: r for p, r in waiting_on(d, case, day, roster, history, {}, step).items() if p != actor.id}
        for role_held, ids in _by_role(waiting).items():
            deadline = f"\nBatas waktu langkah ini: {state.deadline.words(d)}." if state.deadline is not None else ""
            added += enqueue(
                session, person_ids=ids, kind="tugas", dedupe=f"tugas:{case.id}:{case.step_no}", now=now,
                coop_id=coop.id, case_id=case.id, link=link, email=email,
                subject=f"Tugas baru: {case.number} \u2014 {status}",
                body=(f"{line}\nStatus kini: {status}.\nKasus ini menunggu tindakan Anda sebagai "
                      f"{role_label(role_held)}.{deadline}"))
    if action is not None and _decided(d, action, case.state):
        earlier = [case.created_by, *(e.actor_id for e in history.events)]
        told = [p for p in dict.fromkeys(earlier) if p != actor.id]
        if told:
            added += enqueue(
                session, person_ids=told, kind="keputusan", dedupe=f"keputusan:{coop.id}:{seq}", now=now,
                coop_id=coop.id, case_id=case.id, link=link, email=email,
                subject=f"{case.number} {status.lower()} \u2014 {d.title}",
                body=f"{line}\nStatus kini: {status}.")
    return added


def _decided(d: Definition, action: Action, state_id: str) -> bool:
    """Whether this step decides the case: an approval or rejection, or the case reached a final state
    or the state approvals lead to (a verification that is the last word below a limit)."""
    if action.kind in ("approve", "reject") or d.states[state_id].final:
        return True
    return any(a.kind == "approve" and a.to == state_id for a in d.actions)


def _by_role(waiting: dict[int, str]) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for person_id, role in waiting.items():
        out.setdefault(role, []).append(person_id)
    return out
