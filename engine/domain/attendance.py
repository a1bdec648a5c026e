"""Who attended a meeting, and whether enough did: the daftar hadir and its quorum.

A field of type ``attendance`` lists who was present at a meeting: member numbers for
``of: anggota`` (the Buku Daftar Anggota), user names for a role (``of: pengurus``: the people who
hold it in the cooperative). Who *could* attend on the meeting's date is a fact the services load
and pass in as an :class:`Eligible`; everything here is rules and arithmetic:

- :func:`check_list`: every entry could attend that day, none twice; the stored value is the
  sorted list of their keys.
- :class:`Rule`, :func:`rule_for`: an action's attendance quorum (a percentage, "more than" or
  "at least"), from the file or from the cooperative's AD/ART settings.
- :func:`check_quorum`: refuse an action whose meeting is below its quorum (or, with
  ``reached: false``, one whose meeting reached it: a postponement).
- :func:`present_people`: who may vote on a quorum action taken at a meeting of role holders.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from engine.domain.definitions.model import MEMBER_REGISTER, Action, Attendance, Definition, FieldDef
from engine.domain.roles import role_label
from engine.domain.values import format_date_id, is_empty
from engine.errors import FieldProblem, ValidationError

__all__ = [
    "LONG_LIST",
    "MEMBERS",
    "Attendee",
    "Eligible",
    "Rule",
    "Tally",
    "attendance_fields",
    "check_list",
    "check_quorum",
    "day_problem",
    "listed_usernames",
    "meeting_day",
    "present_people",
    "rule_for",
    "split",
    "tally",
]

#: ``of: anggota`` means the member register, not the holders of the ``anggota`` role.
MEMBERS = MEMBER_REGISTER
#: Longer lists are printed as counts, with the signed paper list attached.
LONG_LIST = 40


@dataclass(frozen=True)
class Attendee:
    """Someone who could attend: ``key`` is what the list stores (member number or user name)."""

    key: str
    name: str
    person_id: int | None = None

    @property
    def label(self) -> str:
        """How a checklist or a Berita Acara names them."""
        return f"{self.key} — {self.name}" if self.person_id is None else f"{self.name} ({self.key})"


@dataclass(frozen=True)
class Eligible:
    """Everyone who could attend one meeting: the register, or the holders of a role, on ``day``."""

    of: str
    day: date
    people: tuple[Attendee, ...]

    @property
    def noun(self) -> str:
        """``anggota``, ``pengurus``, ``pengawas`` …: what "Hadir 3 dari 5 …" counts."""
        return "anggota" if self.of == MEMBERS else role_label(self.of).lower()

    def by_key(self) -> dict[str, Attendee]:
        """Attendee by key."""
        return {a.key: a for a in self.people}


@dataclass(frozen=True)
class Rule:
    """An attendance quorum: present × 100 > eligible × percent, or ≥ when not ``more_than``."""

    percent: int
    more_than: bool

    def minimum(self, eligible: int) -> int:
        """The fewest present that reach the quorum."""
        product = eligible * self.percent
        return product // 100 + 1 if self.more_than else -(-product // 100)

    def reached(self, present: int, eligible: int) -> bool:
        """Whether ``present`` of ``eligible`` reach it (never with nobody who could attend)."""
        if eligible <= 0:
            return False
        if self.more_than:
            return present * 100 > eligible * self.percent
        return present * 100 >= eligible * self.percent

    @property
    def words(self) -> str:
        """``lebih dari 50%`` or ``sekurang-kurangnya 20%``."""
        return f"{'lebih dari' if self.more_than else 'sekurang-kurangnya'} {self.percent}%"


@dataclass(frozen=True)
class Tally:
    """The attendance of one meeting against its quorum (``rule`` None: no quorum asked)."""

    present: int
    eligible: int
    noun: str
    rule: Rule | None = None

    @property
    def reached(self) -> bool | None:
        """Whether the quorum was reached (None without a quorum)."""
        return None if self.rule is None else self.rule.reached(self.present, self.eligible)

    @property
    def count(self) -> str:
        """``Hadir 3 dari 5 pengurus``."""
        return f"Hadir {self.present} dari {self.eligible} {self.noun}"

    def sentence(self) -> str:
        """``Hadir 3 dari 5 pengurus (kuorum kehadiran tercapai: lebih dari 50%).``"""
        if self.rule is None:
            return f"{self.count}."
        state = "tercapai" if self.reached else "tidak tercapai"
        return f"{self.count} (kuorum kehadiran {state}: {self.rule.words})."


def attendance_fields(definition: Definition) -> list[str]:
    """The attendance fields of a procedure, in file order."""
    return [name for name, spec in definition.fields.items() if spec.type == "attendance"]


def meeting_day(definition: Definition, name: str, data: Mapping[str, Any], recorded: date) -> date | None:
    """The date of the meeting an attendance field lists: its ``on`` field, or the day it is recorded.

    None when the ``on`` field is still empty (or not a date).
    """
    spec = definition.fields[name]
    if spec.on is None:
        return recorded
    value = data.get(spec.on)
    if is_empty(value):
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return None


def day_problem(definition: Definition, name: str) -> FieldProblem:
    """The meeting date must be filled in before the attendance can be checked."""
    spec = definition.fields[name]
    on = spec.on or name
    label = definition.fields[on].label if on in definition.fields else on
    return FieldProblem(label, f"wajib diisi sebelum {spec.label.lower()} dicatat", on)


def check_list(name: str, spec: FieldDef, value: Sequence[str],
               eligible: Eligible) -> tuple[list[str], list[FieldProblem]]:
    """The list as stored (sorted keys, spelled as the register spells them) and what is wrong with it.

    Every entry must be someone who could attend on the meeting date, and nobody twice.
    """
    index = {a.key.lower(): a.key for a in eligible.people}
    keys: list[str] = []
    unknown: list[str] = []
    twice: list[str] = []
    for entry in value:
        key = index.get(str(entry).strip().lower())
        if key is None:
            unknown.append(str(entry))
        elif key in keys:
            twice.append(key)
        else:
            keys.append(key)
    problems: list[FieldProblem] = []
    when = format_date_id(eligible.day)
    if unknown:
        shown = ", ".join(dict.fromkeys(unknown))
        if eligible.of == MEMBERS:
            problems.append(FieldProblem(spec.label, f"bukan anggota pada {when} menurut Buku Daftar Anggota: {shown}",
                                         name))
        else:
            problems.append(FieldProblem(spec.label, f"tidak menjabat sebagai {role_label(eligible.of)} pada {when}: "
                                                     f"{shown}", name))
    if twice:
        shown = ", ".join(dict.fromkeys(twice))
        problems.append(FieldProblem(spec.label, f"tercatat lebih dari sekali: {shown}", name))
    return sorted(keys), problems


def _setting(settings: Mapping[str, Any], name: str, kind: type) -> Any:
    value = settings.get(name)
    if kind is bool:
        ok = isinstance(value, bool)
    else:
        ok = isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 100
    if not ok:
        expected = "true atau false" if kind is bool else "bilangan bulat 1 sampai 100"
        raise ValidationError([FieldProblem(f"setting {name}", f"harus {expected} (tercatat {value!r})")],
                              headline="Setting koperasi tidak sah; perbaiki berkas organisasi (AD/ART):")
    return value


def rule_for(block: Attendance, settings: Mapping[str, Any]) -> Rule | None:
    """The quorum an attendance block asks for, its settings resolved (None without ``percent``)."""
    if block.percent is None:
        return None
    percent = block.percent if isinstance(block.percent, int) else _setting(settings, block.percent, int)
    more_than = block.more_than if isinstance(block.more_than, bool) else _setting(settings, block.more_than, bool)
    return Rule(int(percent), bool(more_than))


def tally(listed: Iterable[str], eligible: Eligible, rule: Rule | None) -> Tally:
    """Count those listed who could attend against everyone who could."""
    keys = eligible.by_key()
    return Tally(sum(1 for key in set(listed) if key in keys), len(eligible.people), eligible.noun, rule)


def check_quorum(definition: Definition, action: Action, data: Mapping[str, Any], eligible: Eligible | None,
                 settings: Mapping[str, Any]) -> Tally | None:
    """Refuse ``action`` unless its meeting's attendance is as the action needs; the tally when it is.

    ``eligible`` is who could attend the meeting (None when the list is still empty). Raises
    ValidationError: no list, attendance below the quorum, or (``reached: false``) at or above it.
    """
    block = action.attendance
    if block is None:
        return None
    spec = definition.fields[block.field]
    value = data.get(block.field)
    headline = f"Belum dapat '{action.display}':"
    if is_empty(value) or eligible is None:
        raise ValidationError([FieldProblem(spec.label, "wajib diisi: catat siapa saja yang hadir", block.field)],
                              headline=headline)
    counted = tally(list(value or []), eligible, rule_for(block, settings))
    rule = counted.rule
    if rule is None:
        return counted
    if counted.eligible == 0:
        raise ValidationError([FieldProblem(spec.label, f"tidak ada {counted.noun} pada "
                                                        f"{format_date_id(eligible.day)}; kuorum kehadiran tidak "
                                                        "dapat dihitung", block.field)], headline=headline)
    minimum = rule.minimum(counted.eligible)
    if block.reached and not counted.reached:
        raise ValidationError([FieldProblem(spec.label, f"{counted.count}; kuorum kehadiran memerlukan {rule.words} "
                                                        f"(minimal {minimum})", block.field)], headline=headline)
    if not block.reached and counted.reached:
        raise ValidationError([FieldProblem(spec.label, f"{counted.count}; kuorum kehadiran ({rule.words}, minimal "
                                                        f"{minimum}) tercapai, sedangkan '{action.display}' hanya "
                                                        "untuk rapat yang tidak mencapai kuorum", block.field)],
                              headline=f"Tidak dapat '{action.display}':")
    return counted


def _voter_list(definition: Definition, action: Action) -> str | None:
    """The role holders' attendance field whose list alone may vote on this quorum action."""
    if action.quorum is None or action.attendance is None:
        return None
    spec = definition.fields.get(action.attendance.field)
    if spec is None or spec.type != "attendance" or spec.of in (None, MEMBERS):
        return None
    return action.attendance.field


def listed_usernames(definition: Definition, data: Mapping[str, Any]) -> set[str]:
    """User names on the lists that decide who may vote (for the services to look up, in one query)."""
    names = {_voter_list(definition, a) for a in definition.actions} - {None}
    return {str(u) for name in names if name for u in (data.get(name) or [])}


def present_people(definition: Definition, action: Action, data: Mapping[str, Any],
                   ids: Mapping[str, int]) -> frozenset[int] | None:
    """Person ids who may vote on ``action``: those on its meeting's list (None: no such restriction).

    ``ids`` maps user names to person ids (at least those on the list).
    """
    name = _voter_list(definition, action)
    if name is None:
        return None
    return frozenset(ids[str(u)] for u in (data.get(name) or []) if str(u) in ids)


def split(eligible: Eligible, listed: Iterable[str]) -> tuple[list[Attendee], list[Attendee], list[str]]:
    """(present, absent, listed but not eligible that day) for a Berita Acara, each in key order."""
    keys = eligible.by_key()
    wanted = set(listed)
    present = [a for a in eligible.people if a.key in wanted]
    absent = [a for a in eligible.people if a.key not in wanted]
    return present, absent, sorted(k for k in wanted if k not in keys)
