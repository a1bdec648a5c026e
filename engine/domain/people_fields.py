"""Who a person field may name: someone of the cooperative, holding a role when the field asks for one.

A ``person`` field (or a ``person`` column of a ``list`` field) stores a user name. It must name
someone who holds or held a term of office in this cooperative (the :class:`~engine.domain.policy.Roster`),
and with ``of: ROLE`` someone who holds that role on the date in the field (or same-row column) named by
``on``, else on the day of the action. The caller loads the facts (the roster, user name -> person id)
and passes them in; nothing here touches a database.
"""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Set as AbstractSet
from datetime import date
from typing import Any

from engine.domain.definitions.model import Definition, FieldDef
from engine.domain.guard_context import person_usernames
from engine.domain.limits import stored_date
from engine.domain.policy import Roster
from engine.domain.roles import expand_roles, role_label
from engine.domain.values import format_date_id
from engine.errors import FieldProblem, ValidationError

__all__ = ["check_people", "people_problems", "person_usernames"]


def _checked(d: Definition, name: str, spec: FieldDef, changed: AbstractSet[str] | None) -> bool:
    """Whether a field is to be checked now: it changed, or the date one of its people is checked on did."""
    if changed is None or name in changed:
        return True
    targets = [spec.on] if spec.type == "person" else [c.on for c in (spec.columns or {}).values()]
    return any(t is not None and t in changed for t in targets)


def _person_problem(spec: FieldDef, username: str, row: Mapping[str, Any], data: Mapping[str, Any],
                    roster: Roster, ids: Mapping[str, int], members: AbstractSet[int], day: date) -> str | None:
    person_id = ids.get(username)
    if person_id is None or person_id not in members:
        return f"'{username}' bukan orang di koperasi ini"
    if spec.of is None:
        return None
    on = day
    if spec.on is not None:
        on = stored_date(row.get(spec.on) if spec.on in row else data.get(spec.on)) or day
    if spec.of not in expand_roles(roster.own_roles_on(person_id, on)):
        return f"'{username}' tidak memegang jabatan {role_label(spec.of)} pada {format_date_id(on)}"
    return None


def people_problems(d: Definition, data: Mapping[str, Any], roster: Roster, ids: Mapping[str, int], day: date,
                    changed: AbstractSet[str] | None = None) -> list[FieldProblem]:
    """What is wrong with the people the case's person fields and person columns name.

    ``ids``: user name -> person id of (at least) everyone named; ``day``: the day of the action (the date
    a role is checked on when the field names no ``on`` date, or that date is empty); ``changed``: only these
    fields (and those whose ``on`` date is among them) are checked; None checks every one."""
    members = {t.person_id for t in roster.terms}
    problems: list[FieldProblem] = []
    for name, spec in d.fields.items():
        value = data.get(name)
        if not value or not _checked(d, name, spec, changed):
            continue
        if spec.type == "person" and isinstance(value, str):
            problem = _person_problem(spec, value, {}, data, roster, ids, members, day)
            if problem:
                problems.append(FieldProblem(spec.label, problem, name))
        elif spec.type == "list" and isinstance(value, list):
            columns = {c: col for c, col in (spec.columns or {}).items() if col.type == "person"}
            for number, row in enumerate(value, start=1):
                if not isinstance(row, dict):
                    continue
                for column_id, column in columns.items():
                    cell = row.get(column_id)
                    if isinstance(cell, str) and cell:
                        problem = _person_problem(column, cell, row, data, roster, ids, members, day)
                        if problem:
                            problems.append(FieldProblem(spec.label, f"Baris {number}, {column.label}: {problem}",
                                                         name))
    return problems


def check_people(d: Definition, data: Mapping[str, Any], roster: Roster, ids: Mapping[str, int], day: date,
                 changed: AbstractSet[str] | None = None) -> None:
    """Raise ValidationError naming every person field or cell that names nobody of the cooperative, or
    somebody who does not hold the role it asks for (see :func:`people_problems`)."""
    problems = people_problems(d, data, roster, ids, day, changed)
    if problems:
        raise ValidationError(problems)
