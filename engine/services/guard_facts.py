"""Load what a guard reads about people and the register (:class:`~engine.domain.guard_context.Facts`),
for one case, in two small queries at most: the people its person fields name, and (only when a guard
asks) the register count on a date."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from engine.adapters.store.models import Member, Person
from engine.domain.definitions.model import Definition
from engine.domain.guard_context import Facts, GuardScope, guard_context, person_usernames
from engine.domain.policy import Roster

__all__ = ["case_guard_context", "facts_for"]


def facts_for(session: Session, coop_id: int, roster: Roster, d: Definition, data: Mapping[str, Any],
              day: date, actor: Person | None = None) -> Facts:
    """The facts the guards of ``d`` read over ``data`` on ``day``, decided by ``actor``."""
    wanted = person_usernames(d, data)
    people: dict[str, tuple[int, str]] = {}
    if actor is not None:
        people[actor.username] = (actor.id, actor.full_name)
        wanted.discard(actor.username)
    if wanted:
        for person_id, username, full_name in session.execute(
                select(Person.id, Person.username, Person.full_name).where(Person.username.in_(sorted(wanted)))):
            people[username] = (person_id, full_name)
    counts: dict[date, int] = {}

    def members_on(on: date) -> int:
        if on not in counts:
            counts[on] = int(session.scalar(
                select(func.count()).select_from(Member).where(
                    Member.coop_id == coop_id, Member.joined_on <= on,
                    or_(Member.left_on.is_(None), Member.left_on > on))) or 0)
        return counts[on]

    return Facts(roster=roster, people=people, members_on=members_on, today=day,
                 actor=actor.username if actor is not None else None)


def case_guard_context(session: Session, coop_id: int, roster: Roster, d: Definition, data: Mapping[str, Any],
                       settings: Mapping[str, Any], day: date, actor: Person | None = None) -> GuardScope:
    """The guard context of a case (see :func:`engine.domain.guard_context.guard_context`)."""
    return guard_context(d, data, settings, facts_for(session, coop_id, roster, d, data, day, actor))
