"""Who could attend a meeting, loaded for the rules: the member register or a role's holders on its date.

The rules of the daftar hadir are in :mod:`engine.domain.attendance`; this module only loads the
facts they need (one query each) inside the caller's unit of work.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.adapters.store.db import as_utc
from engine.adapters.store.models import CaseEvent, DataRevision, Person
from engine.domain.attendance import MEMBERS, Attendee, Eligible, meeting_day
from engine.domain.definitions.model import Definition
from engine.domain.policy import Roster
from engine.services.context import people

__all__ = ["eligible_on", "meeting_of", "person_ids", "recorded_on"]


def eligible_on(session: Session, coop_id: int, roster: Roster, of: str, day: date) -> Eligible:
    """Everyone who could attend on ``day``: members by number (``anggota``), else the role's holders by user name."""
    if of == MEMBERS:
        from engine.services.members import members_on  # the register (and its trail): only for a members' meeting

        found = tuple(Attendee(m.number, m.full_name) for m in members_on(session, coop_id, day))
    else:
        ids = [p for p in roster.people() if of in roster.roles_on(p, day)]
        usernames, names = people(session, ids)
        found = tuple(sorted((Attendee(usernames[i], names[i], i) for i in ids if i in usernames),
                             key=lambda a: a.key))
    return Eligible(of, day, found)


def person_ids(session: Session, usernames: Iterable[str]) -> dict[str, int]:
    """User name -> person id of these people, one query (none when the list is empty)."""
    wanted = set(usernames)
    if not wanted:
        return {}
    return {username: person_id for person_id, username in session.execute(
        select(Person.id, Person.username).where(Person.username.in_(wanted)))}


def recorded_on(session: Session, case_id: int, name: str, tz: ZoneInfo) -> date | None:
    """The day a field got its current value (the meeting day of a daftar hadir without ``on``)."""
    last_change: int | None = None
    previous: Any = None
    for rev, text in session.execute(select(DataRevision.rev, DataRevision.canonical)
                                     .where(DataRevision.case_id == case_id).order_by(DataRevision.rev)):
        value = json.loads(text).get(name)
        if value != previous:
            last_change = rev
        previous = value
    if last_change is None:
        return None
    at = session.scalar(select(CaseEvent.at).where(CaseEvent.case_id == case_id, CaseEvent.data_rev == last_change)
                        .order_by(CaseEvent.seq).limit(1))
    return as_utc(at).astimezone(tz).date() if at is not None else None


def meeting_of(session: Session, coop_id: int, case_id: int | None, definition: Definition, name: str,
               data: Mapping[str, Any], roster: Roster, today: date, tz: ZoneInfo, *,
               recording: bool) -> Eligible | None:
    """Who could attend the meeting an attendance field lists; None while its date is still empty.

    The meeting date is the ``on`` field's value, or else the day the list is recorded: today when
    ``recording``, otherwise the day the stored list got its value.
    """
    spec = definition.fields[name]
    day: date | None
    if spec.on is None and not recording and case_id is not None:
        day = recorded_on(session, case_id, name, tz) or today
    else:
        day = meeting_day(definition, name, data, today)
    if day is None or spec.of is None:
        return None
    return eligible_on(session, coop_id, roster, spec.of, day)
