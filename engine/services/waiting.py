"""Who may act on a case's current step now: the rule the case page's "waiting on" line, the "tugas"
notifications and the escalations share (over the policy's ``who_may``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from datetime import date

from engine.domain.definitions.model import Action, Definition
from engine.domain.policy import CaseFacts, History, Roster, who_may

__all__ = ["waiting_on"]


def waiting_on(d: Definition, case: CaseFacts, day: date, roster: Roster, history: History,
               voted: Mapping[int, str], step: Sequence[tuple[Action, bool, AbstractSet[int] | None]]
               ) -> dict[int, str]:
    """Everyone who may take an action of the current step on ``day`` (person id -> the role they act in),
    in the order of the step's actions; ``step``: each action with whether its guard holds and who is
    present."""
    if d.states[case.state].final:
        return {}
    found: dict[int, str] = {}
    people = [p for p in roster.people() if roster.roles_on(p, day)]
    for action, guard_ok, present in step:
        if not guard_ok or action.kind == "cancel":
            continue
        for person_id in people:
            if person_id in found:
                continue
            eligibility = who_may(d, case, action, person_id, day, roster, history, voted, present)
            if eligibility.allowed and eligibility.role:
                found[person_id] = eligibility.role
    return found
