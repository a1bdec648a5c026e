"""The Standar Operasional Manajemen (SOM): the cooperative's organisational manual, from its running configuration.

What is written once (the organs' authority, each role's job description, the 16 registers and their keepers) is
data in ``sop_templates/som.yaml``. What depends on the cooperative is computed here: who holds each seat today
(the Roster), the approval matrix per amount (the shipped procedures' guards and quorums, with the cooperative's
AD/ART settings over the procedures' defaults), the steps each role takes (the loaded definitions) and the SOP list
per field (the registry). The same :class:`SomView` feeds the PDF (``som.html``) and the web page.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Protocol

from jinja2 import nodes
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.adapters.render.common import CATEGORY_LABELS, OrgInfo, setting_value_text
from engine.adapters.render.environment import template_dir
from engine.adapters.render.formatting import tanggal
from engine.adapters.store.models import Cooperative, Member, Person
from engine.domain.attendance import rule_for
from engine.domain.definitions.expr import parse_guard
from engine.domain.definitions.loader import LoadedDefinition
from engine.domain.definitions.model import Action, Definition
from engine.domain.definitions.phrase import phrase_guard, sentence
from engine.domain.definitions.safe_yaml import safe_load
from engine.domain.policy import Roster, quorum_needed
from engine.domain.roles import CATALOGUE, ROLES, role_label
from engine.domain.values import format_rupiah, resolved_settings
from engine.errors import GuardError, PermissionDeniedError
from engine.services.context import Context, rosters
from engine.services.documents.sop import sort_key

if TYPE_CHECKING:
    from engine.adapters.render.issue import IssuedPdf

__all__ = [
    "READERS",
    "Documents",
    "JobDescription",
    "MatrixEntry",
    "SomView",
    "authorise_reader",
    "authority_settings",
    "matrix_of",
    "som_data",
    "som_number",
    "som_page",
    "som_pdf",
    "som_view",
    "steps_of",
]

#: Who may read the SOM of a cooperative: its pengurus and pengawas, and the Dinas.
READERS = frozenset({"pengurus", "pengawas", "ketua_pengawas", "dinas"})

_FORWARD = ("submit", "verify", "approve")
_DECIDING = ("verify", "approve")
_VERB = {"submit": "diajukan", "verify": "diverifikasi", "approve": "disetujui"}
_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "lt": operator.lt, "lteq": operator.le, "gt": operator.gt, "gteq": operator.ge, "eq": operator.eq,
    "ne": operator.ne}
_FLIP = {"lt": "gt", "lteq": "gteq", "gt": "lt", "gteq": "lteq", "eq": "eq", "ne": "ne"}
_CATEGORY_ORDER = ("kelembagaan", "usaha", "keuangan", "pengawasan")
#: Roles whose holders are counted, never listed by name, in the organ and job tables.
_COUNTED = ("anggota", "calon_anggota")


def som_number(day: date) -> str:
    """``SOM-20261207``: the manual as it stood on one day."""
    return f"SOM-{day:%Y%m%d}"


# -- the fixed part (sop_templates/som.yaml) --------------------------------------------------------------


@lru_cache(maxsize=1)
def som_data() -> dict[str, Any]:
    """The organs, job descriptions and registers of ``sop_templates/som.yaml``."""
    path = template_dir() / "som.yaml"
    data: dict[str, Any] = safe_load(path.read_text(encoding="utf-8"), str(path))
    return data


# -- what the page and the PDF print -----------------------------------------------------------------------


@dataclass(frozen=True)
class Holder:
    """One person in a seat today, with the term of office."""

    name: str
    term: str
    note: str = ""


@dataclass(frozen=True)
class Seat:
    """A seat (or an open role) of an organ and who holds it today."""

    role: str
    holders: tuple[Holder, ...]
    count: str = ""

    @property
    def vacant(self) -> bool:
        """Nobody holds it today."""
        return not self.holders and not self.count


@dataclass(frozen=True)
class Organ:
    """An organ of the cooperative: its position, legal basis, authority and seats."""

    anchor: str
    title: str
    position: str
    basis: tuple[str, ...]
    authority: tuple[str, ...]
    seats: tuple[Seat, ...]
    members: str = ""


@dataclass(frozen=True)
class Tier:
    """One band of amounts and who decides it."""

    band: str
    decided_by: str
    path: str


@dataclass(frozen=True)
class MatrixEntry:
    """The approval matrix of one procedure: bands of one amount field, with the guards in words."""

    nomor: str
    title: str
    amount: str
    tiers: tuple[Tier, ...]
    conditions: tuple[str, ...]


@dataclass(frozen=True)
class QuorumRow:
    """A decision taken by several holders (or a meeting with an attendance quorum)."""

    nomor: str
    title: str
    step: str
    votes: str
    attendance: str


@dataclass(frozen=True)
class SettingRow:
    """One AD/ART parameter the procedures read, with the value in force."""

    label: str
    value: str
    own: bool
    source: str
    used_in: str


@dataclass(frozen=True)
class StepGroup:
    """The steps a role takes in one procedure."""

    nomor: str
    title: str
    steps: tuple[str, ...]


@dataclass(frozen=True)
class JobDescription:
    """Uraian tugas of one role."""

    anchor: str
    title: str
    reports_to: str
    basis: str
    purpose: str
    duties: tuple[str, ...]
    authority: tuple[str, ...]
    holders: str
    procedures: tuple[StepGroup, ...]
    shared: str = ""


@dataclass(frozen=True)
class Register:
    """One of the 16 buku wajib and who keeps it."""

    no: int
    title: str
    keepers: str
    holders: str
    content: str
    where: str
    procedures: tuple[str, ...]


@dataclass(frozen=True)
class SopRow:
    """One procedure in the SOP list."""

    nomor: str
    title: str
    prefix: str
    version: int
    effective: str


@dataclass(frozen=True)
class SopGroup:
    """The procedures of one field (bidang)."""

    title: str
    rows: tuple[SopRow, ...]


@dataclass
class SomView:
    """Everything the SOM prints, for one cooperative on one day."""

    day: str
    organs: list[Organ] = field(default_factory=list)
    delegations: list[str] = field(default_factory=list)
    matrix: list[MatrixEntry] = field(default_factory=list)
    quorums: list[QuorumRow] = field(default_factory=list)
    settings: list[SettingRow] = field(default_factory=list)
    own_settings: int = 0
    jobs: list[JobDescription] = field(default_factory=list)
    registers: list[Register] = field(default_factory=list)
    groups: list[SopGroup] = field(default_factory=list)
    procedures: int = 0


# -- building it --------------------------------------------------------------------------------------------


def som_view(session: Session, coop: Cooperative, definitions: Iterable[LoadedDefinition], day: date) -> SomView:
    """The SOM of ``coop`` on ``day`` over the loaded ``definitions``."""
    loaded = sorted(definitions, key=sort_key)
    defs = [x.as_written for x in loaded]
    coop_settings: dict[str, Any] = dict(coop.settings or {})
    resolved = {d.id: resolved_settings(d, coop_settings) for d in defs}
    roster = rosters(session, [coop.id])[coop.id]
    names = dict(session.execute(select(Person.id, Person.full_name)).all())
    data = som_data()
    view = SomView(tanggal(day), procedures=len(defs))
    counted = _counts(session, coop, roster, day)
    view.organs = [_organ(o, roster, names, day, counted) for o in data["organs"]]
    view.delegations = _delegations(roster, names, day)
    for d in defs:
        view.matrix += matrix_of(d, resolved[d.id])
        view.quorums += _quorums(d, resolved[d.id])
    view.settings = _settings(defs, resolved, coop_settings)
    view.own_settings = sum(1 for s in view.settings if s.own)
    view.jobs = _jobs(data["roles"], defs, roster, names, day, counted)
    view.registers = _registers(data["registers"], {d.id: d for d in defs}, roster, names, day)
    view.groups = _groups(loaded)
    return view


def _term(starts: date, ends: date | None) -> str:
    return f"{tanggal(starts)} s.d. {tanggal(ends)}" if ends else f"sejak {tanggal(starts)}"


def _holders(roster: Roster, names: Mapping[int, str], role: str, day: date) -> tuple[Holder, ...]:
    out = []
    for t in roster.terms:
        if t.role == role and t.starts_on <= day and (t.ends_on is None or day <= t.ends_on):
            note = getattr(t, "note", None) or ""
            out.append(Holder(names.get(t.person_id, "—"), _term(t.starts_on, t.ends_on), note))
    return tuple(out)


def _counts(session: Session, coop: Cooperative, roster: Roster, day: date) -> dict[str, str]:
    """How many members and applicants there are today, in words (the register when it is kept, else the roster)."""
    register = session.execute(select(Member.joined_on, Member.left_on).where(Member.coop_id == coop.id)).all()
    out: dict[str, str] = {}
    if register:
        members = sum(1 for joined, left in register if joined <= day and (left is None or left > day))
        out["anggota"] = f"{members} anggota menurut Buku Daftar Anggota"
    for role in _COUNTED:
        if role not in out:
            people = {t.person_id for t in roster.terms if t.role == role and t.starts_on <= day
                      and (t.ends_on is None or day <= t.ends_on)}
            word = "anggota" if role == "anggota" else "calon anggota"
            out[role] = f"{len(people)} {word}" if people else ""
    return out


def _organ(spec: Mapping[str, Any], roster: Roster, names: Mapping[int, str], day: date,
           counted: Mapping[str, str]) -> Organ:
    seats = []
    for role in spec.get("seats", []):
        if role in _COUNTED:
            seats.append(Seat(role_label(role), (), counted.get(role, "")))
        else:
            seats.append(Seat(role_label(role), _holders(roster, names, role, day)))
    members = f"Hari ini tercatat {counted['anggota']}." if spec.get("members_count") and counted.get("anggota") else ""
    return Organ(f"organ-{spec['id']}", spec["title"], " ".join(str(spec["position"]).split()),
                 tuple(spec.get("basis", [])), tuple(spec.get("authority", [])), tuple(seats),
                 members or ("Belum ada anggota yang tercatat." if spec.get("members_count") else ""))


def _delegations(roster: Roster, names: Mapping[int, str], day: date) -> list[str]:
    out = []
    for g in roster.delegations:
        if g.revoked or not g.starts_on <= day <= g.ends_on or g.role not in roster.own_roles_on(g.holder_id, day):
            continue
        out.append(f"{names.get(g.delegate_id, '—')} menjalankan jabatan {role_label(g.role)} a.n. "
                   f"{names.get(g.holder_id, '—')}, {tanggal(g.starts_on)} s.d. {tanggal(g.ends_on)}.")
    return out


# -- the approval matrix ------------------------------------------------------------------------------------


def _setting_name(node: nodes.Node) -> str | None:
    if isinstance(node, nodes.Getattr) and isinstance(node.node, nodes.Name) and node.node.name == "settings":
        return node.attr
    return None


def _thresholds(expression: str, money: set[str]) -> list[tuple[str, str, str]]:
    """(field, op with the field on the left, setting) of every ``FIELD op settings.X`` in a guard."""
    try:
        root = parse_guard(expression)
    except GuardError:
        return []
    out = []
    for compare in [root, *root.find_all(nodes.Compare)]:
        if not isinstance(compare, nodes.Compare) or len(compare.ops) != 1:
            continue
        left, op, right = compare.expr, compare.ops[0].op, compare.ops[0].expr
        if isinstance(left, nodes.Name) and left.name in money and (name := _setting_name(right)):
            out.append((left.name, op, name))
        elif isinstance(right, nodes.Name) and right.name in money and (name := _setting_name(left)):
            out.append((right.name, _FLIP[op], name))
    return out


def _truth(node: nodes.Node, amount_field: str, value: int, settings: Mapping[str, Any]) -> bool | None:
    """A guard for an amount: True or False where the amount decides, None where other data does."""
    if isinstance(node, nodes.And):
        a, b = (_truth(n, amount_field, value, settings) for n in (node.left, node.right))
        return False if a is False or b is False else (True if a is True and b is True else None)
    if isinstance(node, nodes.Or):
        a, b = (_truth(n, amount_field, value, settings) for n in (node.left, node.right))
        return True if a is True or b is True else (False if a is False and b is False else None)
    if isinstance(node, nodes.Not):
        inner = _truth(node.node, amount_field, value, settings)
        return None if inner is None else not inner
    if isinstance(node, nodes.Compare) and len(node.ops) == 1:
        left, op, right = node.expr, node.ops[0].op, node.ops[0].expr
        if isinstance(right, nodes.Name) and right.name == amount_field:
            left, right, op = right, left, _FLIP[op]
        if isinstance(left, nodes.Name) and left.name == amount_field and op in _OPS:
            name = _setting_name(right)
            limit = settings.get(name) if name else (right.value if isinstance(right, nodes.Const) else None)
            if isinstance(limit, int) and not isinstance(limit, bool):
                return _OPS[op](value, limit)
    return None


def _who(action: Action, settings: Mapping[str, Any]) -> str:
    """The deciding holders of an action: "Ketua Pengurus", "2 Pengawas"."""
    roles = " atau ".join(role_label(r) for r in action.roles)
    if action.quorum is None:
        return roles
    try:
        needed = quorum_needed(action, settings)
    except Exception:  # a setting of the wrong type: refused when the case runs
        return f"kuorum {roles}"
    voters = role_label(action.quorum.role) if action.quorum.role else roles
    return f"{needed} {voters}" + (" (rapat pengurus)" if (action.quorum.role or action.roles[0]) == "pengurus"
                                   else "")


def _walk(d: Definition, amount_field: str, value: int, settings: Mapping[str, Any]) -> list[Action]:
    """The forward path a case of this amount takes: at each step the action the amount selects, else the first."""
    path: list[Action] = []
    state, seen = d.initial_state, set()
    while state in d.states and not d.states[state].final and state not in seen and len(path) < 50:
        seen.add(state)
        chosen: Action | None = None
        fallback: Action | None = None
        for a in d.actions_from(state):
            if a.kind not in _FORWARD or a.to == state:
                continue
            truth = _truth(parse_guard(a.when), amount_field, value, settings) if a.when else None
            if truth is True and any(f == amount_field for f, _, _ in _thresholds(a.when or "", {amount_field})):
                chosen = a
                break
            if truth is not False and fallback is None:
                fallback = a
        step = chosen or fallback
        if step is None:
            break
        path.append(step)
        state = step.to
    return path


def _decisions(walks: Sequence[Sequence[Action]], splits: Sequence[Action]) -> list[list[Action]]:
    """Each band's path up to its decision: to the first step, after the amount first chose a way, that every
    band's path reaches (where the ways meet again, e.g. "Disetujui"); the whole path where they never meet."""
    def first_split(path: Sequence[Action]) -> int:
        return next((i for i, a in enumerate(path) if any(a is s for s in splits)), len(path))

    reached = [[a.to for a in path[first_split(path):]] for path in walks]
    common = set(reached[0]).intersection(*reached[1:]) if reached else set()
    out = []
    for path in walks:
        start = first_split(path)
        end = next((i for i in range(start, len(path)) if path[i].to in common), len(path) - 1)
        out.append(list(path[:end + 1]))
    return out


def _path_words(steps: Sequence[Action], settings: Mapping[str, Any]) -> str:
    words: list[str] = []
    for a in steps:
        part = f"{_VERB[a.kind]} {_who(a, settings)}"
        if not words or words[-1] != part:
            words.append(part)
    return sentence(" → ".join(words)) if words else "—"


def _band(low: int | None, high: int | None, strict: bool) -> str:
    if low is None and high is None:
        return "berapa pun jumlahnya"
    if low is None and high is not None:
        return f"di bawah {format_rupiah(high)}" if strict else f"sampai {format_rupiah(high)}"
    if high is None and low is not None:
        return f"{format_rupiah(low)} atau lebih" if strict else f"di atas {format_rupiah(low)}"
    assert low is not None and high is not None
    return (f"{format_rupiah(low)} sampai di bawah {format_rupiah(high)}" if strict
            else f"di atas {format_rupiah(low)} sampai {format_rupiah(high)}")


def matrix_of(d: Definition, settings: Mapping[str, Any]) -> list[MatrixEntry]:
    """The approval matrix of one procedure: for each money field a decision depends on, who decides which band.

    The bands come from the guards that compare the field with a setting (``jumlah <= settings.batas_ketua``),
    at the cooperative's values; each band's path is walked through the definition (``_walk``).
    """
    money = {name for name, spec in d.fields.items() if spec.type == "money"}
    per_step: dict[tuple[str, str], list[tuple[Action, str, str]]] = {}  # (field, from step) -> guarded actions
    for a in d.actions:
        if a.when and a.kind in _DECIDING:
            for amount_field, op, name in _thresholds(a.when, money):
                if isinstance(settings.get(name), int) and not isinstance(settings.get(name), bool):
                    for state in a.from_:
                        per_step.setdefault((amount_field, state), []).append((a, op, name))
    found: dict[str, list[tuple[str, str]]] = {}
    splits: dict[str, list[Action]] = {}
    for (amount_field, _), guarded in per_step.items():
        if len({id(a) for a, _, _ in guarded}) < 2:
            continue  # one guarded way out of a step is a condition, not a split between deciders
        found.setdefault(amount_field, []).extend((op, name) for _, op, name in guarded)
        splits.setdefault(amount_field, []).extend(a for a, _, _ in guarded)
    out = []
    for amount_field, compares in found.items():
        strict = {int(settings[name]): op in ("lt", "gteq") for op, name in compares}
        limits = sorted(strict)
        bounds: list[tuple[int | None, int | None]] = []
        low: int | None = None
        for high in [*limits, None]:
            bounds.append((low, high))
            low = high
        values = [(lo + 1 if lo is not None else 0) if hi is None else (hi - 1 if strict[hi] else hi)
                  for lo, hi in bounds]
        cut = _decisions([_walk(d, amount_field, v, settings) for v in values], splits[amount_field])
        bands: list[tuple[int | None, int | None, bool, str, str]] = []  # low, high, strict, who, path
        for (lo, hi), steps in zip(bounds, cut, strict=True):
            deciders = [a for a in steps if a.kind in _DECIDING]
            who = _who(deciders[-1], settings) if deciders else "—"
            path = _path_words(steps, settings)
            band_strict = strict[hi] if hi is not None else (strict[lo] if lo is not None else False)
            if bands and bands[-1][4] == path:  # the limit changes nothing here: one band
                bands[-1] = (bands[-1][0], hi, band_strict, who, path)
            else:
                bands.append((lo, hi, band_strict, who, path))
        tiers = [Tier(_band(lo, hi, st), who, path) for lo, hi, st, who, path in bands]
        if len(tiers) < 2:
            continue
        conditions = []
        for a in {id(a): a for a in splits[amount_field]}.values():
            if a.when:
                try:
                    words = phrase_guard(a.when, d, settings)
                except GuardError:
                    words = "syarat prosedur"
                target = d.states[a.to].title if a.to in d.states else a.to
                conditions.append(f"{d.states[a.from_[0]].title}: {' atau '.join(role_label(r) for r in a.roles)} "
                                  f"“{a.display}” → {target}, bila {words}.")
        label = d.fields[amount_field].label.removesuffix("(Rp)").strip()
        out.append(MatrixEntry(d.sop.nomor, d.title, label, tuple(tiers), tuple(dict.fromkeys(conditions))))
    return out


def _quorums(d: Definition, settings: Mapping[str, Any]) -> list[QuorumRow]:
    out = []
    for a in d.actions:
        if a.quorum is None and a.attendance is None:
            continue
        votes = _who(a, settings) + " yang berbeda" if a.quorum is not None else "—"
        attendance = "—"
        if a.attendance is not None:
            try:
                rule = rule_for(a.attendance, settings)
            except Exception:  # a setting of the wrong type: refused when the case runs
                rule = None
            attendance = (f"{rule.words} dari yang dapat hadir" if rule is not None
                          else "daftar hadir wajib diisi")
        step = d.states[a.from_[0]].title if a.from_[0] in d.states else a.display
        row = QuorumRow(d.sop.nomor, d.title, f"{step}: {a.display}", votes, attendance)
        if row not in out:
            out.append(row)
    return out


def authority_settings(d: Definition) -> list[str]:
    """The settings that bound someone's authority in ``d``: limits on money amounts in its guards, and
    the quorums of its votes and meetings (the other settings are on each SOP's identity page)."""
    money = {name for name, spec in d.fields.items() if spec.type == "money"}
    names: list[str] = []
    for a in d.actions:
        if a.when:
            names += [name for _, _, name in _thresholds(a.when, money)]
        if a.quorum is not None and isinstance(a.quorum.count, str):
            names.append(a.quorum.count)
        if a.attendance is not None:
            names += [v for v in (a.attendance.percent, a.attendance.more_than) if isinstance(v, str)]
    return [n for n in dict.fromkeys(names) if n in d.settings_used]


def _settings(defs: Sequence[Definition], resolved: Mapping[str, Mapping[str, Any]],
              coop_settings: Mapping[str, Any]) -> list[SettingRow]:
    by_name: dict[str, list[Definition]] = {}
    for d in defs:
        for name in authority_settings(d):
            by_name.setdefault(name, []).append(d)
    rows = []
    for name, users in by_name.items():
        first = min((d.settings_used[name] for d in users), key=lambda spec: len(spec.label))  # the most general
        values = dict.fromkeys(setting_value_text(resolved[d.id][name], users[0].settings_used[name].label)
                               for d in users)
        if len(values) == 1:
            value = next(iter(values))
        else:  # each procedure's own default while the cooperative has set none
            value = "; ".join(f"{setting_value_text(resolved[d.id][name], d.settings_used[name].label)} "
                              f"({d.sop.nomor})" for d in users)
        used = (", ".join(d.sop.nomor for d in users) if len(users) <= 3
                else f"{len(users)} prosedur, a.l. {', '.join(d.sop.nomor for d in users[:2])}")
        rows.append(SettingRow(first.label.removesuffix("(Rp)").strip(), value, name in coop_settings,
                               first.source or "AD/ART", used))
    return rows


# -- job descriptions ---------------------------------------------------------------------------------------


def steps_of(role: str, defs: Iterable[Definition]) -> list[StepGroup]:
    """The steps ``role`` takes in each procedure (actions naming it), grouped by the step they are taken at."""
    out = []
    for d in defs:
        per_state: dict[str, list[str]] = {}
        for state in d.states:  # in the order of the procedure's steps
            per_state[d.states[state].title] = []
        rank = {"submit": 0, "verify": 1, "approve": 2, "return": 3, "reject": 4}
        for a in sorted(d.actions, key=lambda a: rank.get(a.kind, 5)):
            if role not in a.roles or a.kind == "cancel":
                continue
            for state in a.from_:
                title = d.states[state].title if state in d.states else state
                per_state.setdefault(title, [])
                label = a.display + (" (kuorum)" if a.quorum is not None else "")
                if label not in per_state[title]:
                    per_state[title].append(label)
        if any(per_state.values()):
            out.append(StepGroup(d.sop.nomor, d.title, tuple(f"{state}: {', '.join(labels)}"
                                                             for state, labels in per_state.items() if labels)))
    return out


def _jobs(specs: Mapping[str, Any], defs: Sequence[Definition], roster: Roster, names: Mapping[int, str],
          day: date, counted: Mapping[str, str]) -> list[JobDescription]:
    out = []
    order = [r for r in ROLES if r in CATALOGUE] + sorted(r for r in ROLES if r not in CATALOGUE)
    declared_by = {r: d for d in defs for r in d.declared_roles}
    for role in order:
        spec = specs.get(role)
        if spec is None and role not in declared_by:
            continue  # declared by a procedure this installation does not load
        if role in _COUNTED:
            holders = counted.get(role, "") or "—"
        else:
            people = _holders(roster, names, role, day)
            holders = ", ".join(h.name for h in people) or "Kosong"
        implied = [r for r in ROLES[role].implies] if role in ROLES else []
        shared = ("Juga mengambil langkah " + " dan ".join(role_label(r) for r in implied)
                  + " (lihat uraian jabatan itu)." if implied else "")
        if spec is None:
            d = declared_by[role]
            out.append(JobDescription(f"jabatan-{role}", role_label(role), "Yang mengangkatnya menurut prosedur itu",
                                      f"SOP {d.sop.nomor} {d.title}",
                                      f"Peran yang ditetapkan prosedur {d.title}; diangkat untuk kasusnya.",
                                      (), (), holders, tuple(steps_of(role, defs)), shared))
            continue
        out.append(JobDescription(
            f"jabatan-{role}", role_label(role), spec["reports_to"], spec["basis"],
            " ".join(str(spec["purpose"]).split()),
            tuple(spec.get("duties", [])), tuple(spec.get("authority", [])), holders, tuple(steps_of(role, defs)),
            shared))
    return out


def _registers(specs: Sequence[Mapping[str, Any]], defs: Mapping[str, Definition], roster: Roster,
               names: Mapping[int, str], day: date) -> list[Register]:
    out = []
    for no, spec in enumerate(specs, start=1):
        keepers = list(spec["keepers"])
        people = [h.name for r in keepers for h in _holders(roster, names, r, day)]
        procedures = tuple(f"{defs[w].sop.nomor} {defs[w].title}" for w in spec.get("procedures", []) if w in defs)
        out.append(Register(no, spec["title"], " dan ".join(role_label(r) for r in keepers),
                            ", ".join(dict.fromkeys(people)) or "Kosong", spec["content"], spec.get("where") or "",
                            procedures))
    return out


def _groups(loaded: Sequence[LoadedDefinition]) -> list[SopGroup]:
    per: dict[str, list[SopRow]] = {}
    for x in loaded:
        d = x.as_written
        per.setdefault(d.category, []).append(SopRow(d.sop.nomor, d.title, d.number_prefix, d.version,
                                                     tanggal(d.sop.tanggal_efektif)))
    return [SopGroup(CATEGORY_LABELS.get(c, c.capitalize()), tuple(per[c]))
            for c in [*_CATEGORY_ORDER, *sorted(set(per) - set(_CATEGORY_ORDER))] if c in per]


# -- entry points for the web app and the command line ---------------------------------------------------


class Documents(Protocol):
    """What the SOM's entry points need of the document service."""

    @property
    def ctx(self) -> Context: ...

    def som(self, coop_slug: str, *, actor: str | None = None) -> IssuedPdf: ...


def authorise_reader(ctx: Context, session: Session, coop: Cooperative, actor: str | None) -> None:
    """``actor`` (None: the command line) must hold a pengurus or pengawas seat or be a Dinas officer today."""
    if actor is None:
        return
    person = ctx.person(session, actor)
    held = rosters(session, [coop.id])[coop.id].roles_on(person.id, ctx.today())
    if not held & READERS:
        raise PermissionDeniedError(f"Standar Operasional Manajemen {coop.name} hanya untuk pengurus, pengawas "
                                    "dan petugas Dinas.")


def som_page(docs: Documents, coop_slug: str, *, actor: str | None = None) -> tuple[OrgInfo, SomView]:
    """The SOM of a cooperative today, for the web page (``actor`` must be pengurus, pengawas or Dinas)."""
    ctx = docs.ctx
    ctx.db.require_schema()
    with ctx.db.reader() as session:
        coop = ctx.coop(session, coop_slug)
        authorise_reader(ctx, session, coop, actor)
        return OrgInfo.of(coop), som_view(session, coop, ctx.registry.all(), ctx.today())


def som_pdf(docs: Documents, coop_slug: str, *, actor: str | None = None) -> IssuedPdf:
    """The SOM as a PDF (:meth:`DocumentService.som`)."""
    return docs.som(coop_slug, actor=actor)
