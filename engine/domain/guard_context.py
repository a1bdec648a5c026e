"""What a guard reads: the case's fields as typed values, the settings, the day, the actor and facts
about people and the member register, with the language's functions (dates, lists).

Everything here is read-only and computed from facts the caller already loaded (a :class:`Roster`,
the people named in the case, a register count); nothing touches a database. The guard itself runs
in Jinja2's sandbox (:mod:`engine.domain.definitions.expr`), which only calls the functions put here.

- A ``date`` field is a :class:`GuardDate` (compares with dates and, for older definitions, ISO text).
- A ``person`` field is a :class:`PersonFact`: ``nama``, ``peran`` (roles held on the day),
  ``anggota`` (a member on the day), ``anggota_sejak`` (since when, without a break), ``username``.
- A ``list`` field is a list of rows; a row reads its columns by name (``row.jumlah``).
- ``today`` is the cooperative's date of the decision; ``actor`` the person deciding (a PersonFact).
- Functions: ``count(list[, "condition"])``, ``sum(list, "column")``, ``all(list, "condition")``,
  ``any(list, "condition")``, ``add_days(date, n)``, ``add_months(date, n)``, ``days_between(a, b)``,
  ``months_between(a, b)`` (whole months), ``roles_on(person, date)``, ``members_on(date)`` (the number
  of members in the Buku Daftar Anggota on a date), ``holders(role, date)`` (how many people hold it).
"""

from __future__ import annotations

import calendar as _calendar
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from engine.domain.definitions.expr import FUNCTIONS, NAMES, compile_guard, compile_value
from engine.domain.definitions.model import Definition, FieldDef
from engine.domain.limits import stored_date
from engine.domain.policy import Roster
from engine.domain.roles import expand_roles
from engine.domain.values import format_date_id

__all__ = [
    "FUNCTIONS",
    "NAMES",
    "Facts",
    "GuardDate",
    "GuardScope",
    "PersonFact",
    "guard_context",
    "person_usernames",
    "within_row",
]



class GuardDate(date):
    """A date in a guard. Compares with dates, and with ISO text as older definitions did
    (``tanggal >= "2026-01-01"``, ``tanggal[:4]``); printed as people read dates."""

    @classmethod
    def of(cls, value: Any) -> GuardDate | None:
        if isinstance(value, GuardDate) or value is None:
            return value
        parsed = stored_date(value)
        return None if parsed is None else cls(parsed.year, parsed.month, parsed.day)

    def _other(self, other: Any) -> Any:
        if isinstance(other, str):
            return self.isoformat(), other
        if isinstance(other, date):
            return date(self.year, self.month, self.day), date(other.year, other.month, other.day)
        return None

    def __eq__(self, other: object) -> bool:
        pair = self._other(other)
        return pair is not None and pair[0] == pair[1]

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    def __hash__(self) -> int:
        return hash(self.isoformat())

    def _compare(self, other: Any, op: Callable[[Any, Any], bool]) -> bool:
        pair = self._other(other)
        if pair is None:
            raise TypeError(f"tanggal tidak dapat dibandingkan dengan {type(other).__name__}")
        return op(pair[0], pair[1])

    def __lt__(self, other: Any) -> bool:
        return self._compare(other, lambda a, b: a < b)

    def __le__(self, other: Any) -> bool:
        return self._compare(other, lambda a, b: a <= b)

    def __gt__(self, other: Any) -> bool:
        return self._compare(other, lambda a, b: a > b)

    def __ge__(self, other: Any) -> bool:
        return self._compare(other, lambda a, b: a >= b)

    def __getitem__(self, key: Any) -> str:
        return self.isoformat()[key]

    def __str__(self) -> str:
        return format_date_id(self)


@dataclass(frozen=True)
class PersonFact:
    """A person as a guard sees them on the day of the decision (read-only)."""

    username: str
    nama: str
    peran: frozenset[str] = frozenset()
    anggota_sejak: GuardDate | None = None
    person_id: int | None = field(default=None, compare=False)

    @property
    def anggota(self) -> bool:
        """Whether the person is a member on the day."""
        return "anggota" in self.peran

    def __eq__(self, other: object) -> bool:
        if isinstance(other, PersonFact):
            return self.username == other.username
        if isinstance(other, str):
            return self.username == other
        return False

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    def __hash__(self) -> int:
        return hash(self.username)

    def __str__(self) -> str:
        return self.nama


@dataclass(frozen=True)
class Facts:
    """What the caller knows of the cooperative for guards: its terms of office, the people named in the
    case (username -> (person id, full name)), the member register count by date, the day and the actor."""

    roster: Roster = field(default_factory=Roster)
    people: Mapping[str, tuple[int, str]] = field(default_factory=dict)
    members_on: Callable[[date], int] | None = None
    today: date | None = None
    actor: str | None = None

    def person(self, username: Any, day: date) -> PersonFact | None:
        if username is None or username == "":
            return None
        name = str(username)
        known = self.people.get(name)
        if known is None:
            return PersonFact(name, name)
        person_id, full_name = known
        roles = frozenset(self.roster.roles_on(person_id, day))
        return PersonFact(name, full_name, roles, GuardDate.of(self.member_since(person_id, day)), person_id)

    def member_since(self, person_id: int, day: date) -> date | None:
        """Start of the person's unbroken run of ``anggota`` terms covering ``day`` (None: not a member)."""
        terms = sorted((t for t in self.roster.terms_of(person_id) if t.role == "anggota"),
                       key=lambda t: t.starts_on)
        start: date | None = None
        end: date | None = None  # inclusive; date.max when open
        for term in terms:
            if term.starts_on > day:
                break
            term_end = term.ends_on or date.max
            if start is None or end is None or (end < date.max and term.starts_on > end + timedelta(days=1)):
                start, end = term.starts_on, term_end
            else:
                end = max(end, term_end)
        return start if start is not None and end is not None and end >= day else None


def add_months(day: date, months: int) -> GuardDate:
    """``day`` plus whole months; the 31st becomes the last day of a shorter month."""
    index = day.year * 12 + (day.month - 1) + int(months)
    year, month = divmod(index, 12)
    last = _calendar.monthrange(year, month + 1)[1]
    return GuardDate(year, month + 1, min(day.day, last))


def months_between(start: date, end: date) -> int:
    """Whole months from ``start`` to ``end`` (negative when ``end`` is earlier)."""
    months = (end.year - start.year) * 12 + (end.month - start.month)
    if months > 0 and end.day < start.day and add_months(start, months) > end:
        months -= 1
    elif months < 0 and end.day > start.day and add_months(start, months) < end:
        months += 1
    return months


def _date(value: Any, what: str) -> GuardDate:
    parsed = GuardDate.of(value)
    if parsed is None:
        raise TypeError(f"{what}: bukan tanggal ({value!r})")
    return parsed


def _typed(spec: FieldDef, value: Any, facts: Facts, day: date) -> Any:
    if value is None:
        return None
    if spec.type == "date":
        return GuardDate.of(value)
    if spec.type == "person":
        return facts.person(value, day)
    if spec.type == "list" and isinstance(value, list):
        columns = spec.columns or {}
        return [{name: _typed(columns[name], row.get(name), facts, day) if name in columns else row.get(name)
                 for name in dict.fromkeys([*columns, *row])} if isinstance(row, dict) else row
                for row in value]
    return value


def person_usernames(d: Definition, data: Mapping[str, Any]) -> set[str]:
    """Every username a case's person fields and person columns name (to load their facts at once)."""
    out: set[str] = set()
    for name, spec in d.fields.items():
        value = data.get(name)
        if spec.type == "person" and isinstance(value, str) and value:
            out.add(value)
        elif spec.type == "list" and isinstance(value, list):
            person_columns = [c for c, col in (spec.columns or {}).items() if col.type == "person"]
            for row in value:
                if isinstance(row, dict):
                    out.update(str(row[c]) for c in person_columns if row.get(c))
    return out


class GuardScope(dict[str, Any]):
    """The names a guard reads, with the facts they came from (to read a list's rows in the same way)."""

    facts: Facts
    day: date


def guard_context(d: Definition, data: Mapping[str, Any], settings: Mapping[str, Any],
                  facts: Facts | None = None) -> GuardScope:
    """The names a guard of ``d`` reads over ``data``: typed fields, ``settings``, ``today``, ``actor``
    and the language's functions."""
    facts = facts or Facts()
    day = facts.today or date.today()
    scope = GuardScope({name: _typed(spec, data.get(name), facts, day) for name, spec in d.fields.items()})
    scope.facts, scope.day = facts, day
    scope["settings"] = settings
    scope["today"] = GuardDate.of(day)
    scope["actor"] = facts.person(facts.actor, day) if facts.actor else None
    scope.update(_functions(scope))
    return scope


def within_row(scope: GuardScope, row: Any, index: int) -> GuardScope:
    """The scope a condition about one row reads: everything outside, the row's columns by name (over
    any outer name), ``row`` and ``nomor`` (its number from 1); row functions inside read the same."""
    inner = GuardScope(scope)
    inner.facts, inner.day = scope.facts, scope.day
    if isinstance(row, dict):
        inner.update(row)
    inner["row"] = row
    inner["nomor"] = index + 1
    inner.update(_functions(inner))
    return inner


def _rows(items: Any, what: str) -> Sequence[Any]:
    if items is None:
        return []
    if not isinstance(items, list):
        raise TypeError(f"{what}: bukan daftar")
    return items


def _functions(scope: GuardScope) -> dict[str, Callable[..., Any]]:
    facts, day = scope.facts, scope.day

    def holds(items: Any, condition: str) -> list[bool]:
        check = compile_guard(str(condition))
        return [check(within_row(scope, row, i)) for i, row in enumerate(_rows(items, "daftar"))]

    def count(items: Any, condition: str | None = None) -> int:
        if condition is None:
            return len(_rows(items, "count"))
        return sum(holds(items, condition))

    def total(items: Any, column: str) -> int | float:
        value = compile_value(str(column))
        out: int | float = 0
        for i, row in enumerate(_rows(items, "sum")):
            item = value(within_row(scope, row, i))
            if item is None:
                continue
            if isinstance(item, bool) or not isinstance(item, int | float):
                raise TypeError(f"sum: '{column}' bukan angka pada baris {i + 1}")
            out += item
        return out

    def every(items: Any, condition: str) -> bool:
        return all(holds(items, condition))

    def some(items: Any, condition: str) -> bool:
        return any(holds(items, condition))

    def add_days(value: Any, days: int) -> GuardDate:
        moved = _date(value, "add_days") + timedelta(days=int(days))
        return GuardDate(moved.year, moved.month, moved.day)

    def roles_on(person: Any, when: Any = None) -> frozenset[str]:
        if not isinstance(person, PersonFact) or person.person_id is None:
            return frozenset()
        return frozenset(facts.roster.roles_on(person.person_id, _date(when, "roles_on") if when else day))

    def members_on(when: Any = None) -> int:
        if facts.members_on is None:
            raise TypeError("members_on: Buku Daftar Anggota tidak tersedia di sini")
        return facts.members_on(_date(when, "members_on") if when else day)

    def holders(role: str, when: Any = None) -> int:
        on = _date(when, "holders") if when else day
        return sum(1 for p in facts.roster.people() if role in expand_roles(facts.roster.own_roles_on(p, on)))

    return {
        "count": count, "sum": total, "all": every, "any": some, "add_days": add_days,
        "add_months": lambda value, months: add_months(_date(value, "add_months"), int(months)),
        "days_between": lambda a, b: (_date(b, "days_between") - _date(a, "days_between")).days,
        "months_between": lambda a, b: months_between(_date(a, "months_between"), _date(b, "months_between")),
        "roles_on": roles_on, "members_on": members_on, "holders": holders,
    }
