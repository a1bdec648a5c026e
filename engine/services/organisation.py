"""Import cooperatives, settings, people and role assignments from an organisation file."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator
from pydantic import ValidationError as PydanticValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.adapters.store.models import Cooperative, Person, RoleAssignment
from engine.audit.log import create_head
from engine.domain.definitions.loader import located_problems, parse_yaml, position_of
from engine.domain.definitions.safe_yaml import read_yaml_text, safe_load, text_keys
from engine.domain.letter_numbers import FORMAT_SETTING, format_problem
from engine.domain.limits import (
    CITY,
    COOP_NAME,
    KELURAHAN,
    PERSON_NAME,
    TERM_NOTE,
    USERNAME_PATTERN,
    checked_email,
    checked_settings,
    checked_text,
)
from engine.domain.roles import ROLES
from engine.errors import DefinitionError, Problem
from engine.services.members import MemberIn

if TYPE_CHECKING:
    from engine.domain.definitions.model import Definition

__all__ = ["ImportSummary", "OrgFile", "apply_org", "load_org"]

Slug = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$")]
Username = Annotated[str, Field(pattern=f"^{USERNAME_PATTERN}$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PersonIn(_Strict):
    """A person in the organisation file."""

    username: Username
    name: Annotated[str, checked_text(PERSON_NAME)] = Field(min_length=2, max_length=PERSON_NAME)
    email: Annotated[str, checked_email()] | None = Field(
        default=None, description="Address for notification e-mails; when absent, a stored address is kept.")


class TermIn(_Strict):
    """A role held for a term of office."""

    person: Username
    role: str
    start: date
    end: date | None = None
    note: Annotated[str, checked_text(TERM_NOTE)] | None = None

    @field_validator("role")
    @classmethod
    def _known_role(cls, value: str) -> str:
        if value not in ROLES:
            raise ValueError(f"peran '{value}' tidak dikenal (dikenal: {', '.join(sorted(ROLES))})")
        return value


class CooperativeIn(_Strict):
    """A cooperative with its AD/ART settings and its organs."""

    slug: Slug
    name: Annotated[str, checked_text(COOP_NAME)] = Field(min_length=3, max_length=COOP_NAME)
    city: Annotated[str, checked_text(CITY)] | None = None
    kelurahan: Annotated[str, checked_text(KELURAHAN)] | None = None
    settings: Annotated[dict[str, Any], checked_settings()] | None = Field(
        default=None, description="AD/ART settings; when absent, an existing cooperative keeps its settings.")
    roles: list[TermIn] = Field(default_factory=list)
    members: list[MemberIn] = Field(default_factory=list, description="Buku Daftar Anggota (optional).")

    @field_validator("settings")
    @classmethod
    def _letter_number(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        """A ``format_nomor_surat`` with an unknown placeholder is refused at import, naming it."""
        if value and FORMAT_SETTING in value:
            problem = format_problem(value[FORMAT_SETTING])
            if problem:
                raise ValueError(f"{FORMAT_SETTING}: {problem}")
        return value


class OrgFile(_Strict):
    """The whole organisation file."""

    people: list[PersonIn] = Field(default_factory=list)
    cooperatives: list[CooperativeIn] = Field(default_factory=list)
    _source: tuple[str, str] = PrivateAttr(default=("", ""))
    _tree: list[Any] = PrivateAttr(default_factory=list)

    def problem(self, message: str, *loc: str | int) -> Problem:
        """A problem located in the file this was loaded from (1:1 when built in code).

        The round-trip tree that knows positions is parsed on the first problem only: it is the slow
        (pure Python) parser, and a file without problems never needs it.
        """
        path, text = self._source
        if not text:
            return Problem(path or "(organisasi)", 1, 1, message)
        if not self._tree:
            self._tree.append(parse_yaml(text, path))
        line, col = position_of(self._tree[0], loc)
        return Problem(path, line, col, message)


class ImportSummary(BaseModel):
    """What an import changed."""

    cooperatives_added: int = 0
    cooperatives_updated: int = 0
    people_added: int = 0
    people_updated: int = 0
    terms_added: int = 0
    terms_updated: int = 0
    members_added: int = 0
    members_updated: int = 0


def load_org(path: Path, definitions: Iterable[Definition] = ()) -> OrgFile:
    """Parse and validate an organisation file; problems as ``file:line:col``.

    ``definitions``: the procedures in use; a setting one of them declares must have the type of its
    default (see :func:`_declared_setting_problems`), so a quoted quorum is refused here, not by every case.
    """
    name = str(path)
    text = read_yaml_text(path)
    data = safe_load(text, name)  # tags, depth, alias expansion, numbers checked before anything is built
    if not isinstance(data, dict):
        raise DefinitionError([Problem(name, 1, 1, "isi berkas harus berupa pemetaan (kunci: nilai)")])
    try:
        org = OrgFile.model_validate(text_keys(data))
    except PydanticValidationError as exc:
        tree = parse_yaml(text, name)
        raise DefinitionError(located_problems(tree, exc, name)) from None
    org._source = (name, text)
    known = {p.username for p in org.people}
    problems = _duplicates(org)
    for ci, coop in enumerate(org.cooperatives):
        for ti, term in enumerate(coop.roles):
            if term.person not in known:
                problems.append(org.problem(f"orang '{term.person}' tidak ada di daftar people",
                                            "cooperatives", ci, "roles", ti, "person"))
            if term.end is not None and term.end < term.start:
                problems.append(org.problem("akhir masa jabatan sebelum awalnya",
                                            "cooperatives", ci, "roles", ti, "end"))
        problems += _seat_problems(org, ci, coop)
    problems += _declared_setting_problems(org, definitions)
    if problems:
        raise DefinitionError(problems)
    return org


def _duplicates(org: OrgFile) -> list[Problem]:
    """The same person, cooperative or term twice: refused, never "the last one wins"."""
    out: list[Problem] = []

    def line_of(*loc: str | int) -> int:
        return org.problem("", *loc).line

    people: dict[str, int] = {}
    for pi, person in enumerate(org.people):
        if person.username in people:
            first = line_of("people", people[person.username], "username")
            out.append(org.problem(f"nama pengguna '{person.username}' ganda (sudah ada di baris {first})",
                                   "people", pi, "username"))
        people.setdefault(person.username, pi)
    coops: dict[str, int] = {}
    for ci, coop in enumerate(org.cooperatives):
        if coop.slug in coops:
            first = line_of("cooperatives", coops[coop.slug], "slug")
            out.append(org.problem(f"koperasi '{coop.slug}' ganda (sudah ada di baris {first})",
                                   "cooperatives", ci, "slug"))
        coops.setdefault(coop.slug, ci)
        terms: dict[tuple[str, str, date], int] = {}
        for ti, term in enumerate(coop.roles):
            key = (term.person, term.role, term.start)
            if key in terms:
                first = line_of("cooperatives", ci, "roles", terms[key], "start")
                out.append(org.problem(f"masa jabatan ganda: {term.person} sebagai {ROLES[term.role].label} mulai "
                                       f"{term.start.isoformat()} (sudah ada di baris {first})",
                                       "cooperatives", ci, "roles", ti, "start"))
            terms.setdefault(key, ti)
    return out



_TYPE_WORDS = {bool: "true atau false", int: "bilangan bulat tanpa tanda kutip", str: "teks",
               list: "daftar teks"}


def _declared_setting_problems(org: OrgFile, definitions: Iterable[Definition]) -> list[Problem]:
    """Settings the procedures declare, as the cooperatives give them: the type of the default (``"2"``
    where a number belongs is refused, never read as 2 nor left to fail every case), a quorum count of
    at least 1 and an attendance percentage of 1 to 100 (the same rules ``workflows check`` applies to
    the defaults)."""
    declared: dict[str, tuple[Any, str]] = {}
    counts: set[str] = set()
    percents: set[str] = set()
    for d in definitions:
        for name, spec in d.settings_used.items():
            declared.setdefault(name, (spec.default, d.id))
        for action in d.actions:
            if action.quorum is not None and isinstance(action.quorum.count, str):
                counts.add(action.quorum.count)
            if action.attendance is not None and isinstance(action.attendance.percent, str):
                percents.add(action.attendance.percent)
    out: list[Problem] = []
    for ci, coop in enumerate(org.cooperatives):
        for name, value in (coop.settings or {}).items():
            if name not in declared:
                continue
            default, workflow_id = declared[name]
            expected = type(default)
            where = ("cooperatives", ci, "settings", name)
            if isinstance(value, bool) != isinstance(default, bool) or not isinstance(value, expected):
                out.append(org.problem(
                    f"setting {name}: harus {_TYPE_WORDS.get(expected, expected.__name__)}, seperti nilai bawaannya "
                    f"di prosedur '{workflow_id}' ({default!r}); tertulis {value!r}", *where))
            elif name in counts and isinstance(value, int) and value < 1:
                out.append(org.problem(f"setting {name}: kuorum minimal 1; tertulis {value}", *where))
            elif name in percents and isinstance(value, int) and not 1 <= value <= 100:
                out.append(org.problem(f"setting {name}: persentase kuorum kehadiran harus 1 sampai 100; "
                                       f"tertulis {value}", *where))
    return out


def _seat_problems(org: OrgFile, index: int, coop: CooperativeIn) -> list[Problem]:
    """Single-seat roles (ketua, bendahara ...) may not be held by two people at once."""
    out = []
    far = date.max
    for ti, term in enumerate(coop.roles):
        seats = ROLES[term.role].max_seats
        if seats is None:
            continue
        overlapping = {other.person for other in coop.roles[:ti]
                       if other.role == term.role and other.person != term.person
                       and other.start <= (term.end or far) and term.start <= (other.end or far)}
        if len(overlapping) + 1 > seats:
            out.append(org.problem(f"{ROLES[term.role].label} hanya {seats} kursi, tetapi masa jabatan {term.person} "
                                   f"bertumpang tindih dengan {', '.join(sorted(overlapping))}",
                                   "cooperatives", index, "roles", ti, "start"))
    return out


def _period(start: date, end: date | None) -> str:
    return f"{start.isoformat()} s.d. {end.isoformat()}" if end else f"sejak {start.isoformat()}, tanpa tanggal akhir"


def _stored_seat_problems(session: Session, org: OrgFile) -> list[Problem]:
    """The file's terms against the terms already stored: a second file may not seat two ketua at once.

    A stored term the file repeats (same person, role and start) counts as the file gives it (its end may
    change); the database refuses the same overlap too (migration 0008), this names both holders and where.
    """
    out: list[Problem] = []
    far = date.max
    for ci, coop_in in enumerate(org.cooperatives):
        seated = {t.role for t in coop_in.roles if ROLES[t.role].max_seats is not None}
        if not seated:
            continue
        rows = session.execute(
            select(Person.username, RoleAssignment.role, RoleAssignment.starts_on, RoleAssignment.ends_on)
            .join(Person, Person.id == RoleAssignment.person_id)
            .join(Cooperative, Cooperative.id == RoleAssignment.coop_id)
            .where(Cooperative.slug == coop_in.slug, RoleAssignment.role.in_(sorted(seated)))).all()
        in_file = {(t.person, t.role, t.start) for t in coop_in.roles}
        stored = [r for r in rows if (r.username, r.role, r.starts_on) not in in_file]
        for ti, term in enumerate(coop_in.roles):
            seats = ROLES[term.role].max_seats
            if seats is None:
                continue
            clash = [r for r in stored if r.role == term.role and r.username != term.person
                     and r.starts_on <= (term.end or far) and term.start <= (r.ends_on or far)]
            in_file_overlap = {o.person for o in coop_in.roles if o.role == term.role and o.person != term.person
                               and o.start <= (term.end or far) and term.start <= (o.end or far)}
            if clash and len({r.username for r in clash} | in_file_overlap) + 1 > seats:
                label = ROLES[term.role].label
                others = "; ".join(f"{r.username} ({_period(r.starts_on, r.ends_on)})" for r in clash)
                out.append(org.problem(
                    f"{label} hanya {seats} kursi, tetapi masa jabatan {term.person} ({_period(term.start, term.end)}) "
                    f"bertumpang tindih dengan {label} yang sudah tercatat: {others}. Tidak ada yang disimpan; "
                    "cantumkan masa jabatan lama itu di berkas ini dengan tanggal akhir (end) sebelum "
                    f"{term.start.isoformat()}", "cooperatives", ci, "roles", ti, "start"))
    return out


def apply_org(session: Session, org: OrgFile, now: datetime) -> ImportSummary:
    """Upsert everything in the file (idempotent: a second import changes nothing).

    Refused before anything is written when a term would overlap a stored term of a single-seat role.
    """
    problems = _stored_seat_problems(session, org)
    if problems:
        raise DefinitionError(problems)
    summary = ImportSummary()
    people: dict[str, Person] = {}
    for item in org.people:
        person = session.scalar(select(Person).where(Person.username == item.username))
        if person is None:
            person = Person(username=item.username, full_name=item.name, created_at=now, email=item.email)
            session.add(person)
            summary.people_added += 1
        elif person.full_name != item.name or (item.email is not None and person.email != item.email):
            person.full_name = item.name
            person.email = item.email if item.email is not None else person.email
            summary.people_updated += 1
        people[item.username] = person
    session.flush()
    for coop_in in org.cooperatives:
        coop = session.scalar(select(Cooperative).where(Cooperative.slug == coop_in.slug))
        if coop is None:
            coop = Cooperative(slug=coop_in.slug, name=coop_in.name, city=coop_in.city,
                               kelurahan=coop_in.kelurahan, settings=dict(coop_in.settings or {}), created_at=now)
            session.add(coop)
            session.flush()
            create_head(session, coop, now)
            summary.cooperatives_added += 1
        else:
            settings = coop.settings if coop_in.settings is None else dict(coop_in.settings)
            given = coop_in.model_fields_set  # a file that leaves out city or kelurahan keeps what is stored
            city = coop_in.city if "city" in given else coop.city
            kelurahan = coop_in.kelurahan if "kelurahan" in given else coop.kelurahan
            changed = (coop.name, coop.city, coop.kelurahan, coop.settings) != (
                coop_in.name, city, kelurahan, settings)
            if changed:
                coop.name, coop.city, coop.kelurahan = coop_in.name, city, kelurahan
                coop.settings = settings
                summary.cooperatives_updated += 1
        for term in coop_in.roles:
            person = people[term.person]
            row = session.scalar(select(RoleAssignment).where(
                RoleAssignment.coop_id == coop.id, RoleAssignment.person_id == person.id,
                RoleAssignment.role == term.role, RoleAssignment.starts_on == term.start))
            if row is None:
                session.add(RoleAssignment(coop_id=coop.id, person_id=person.id, role=term.role,
                                           starts_on=term.start, ends_on=term.end, note=term.note))
                summary.terms_added += 1
            elif (row.ends_on, row.note) != (term.end, term.note):
                row.ends_on, row.note = term.end, term.note
                summary.terms_updated += 1
    return summary
