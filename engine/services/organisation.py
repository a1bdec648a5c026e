"""Import cooperatives, settings, people and role assignments from an organisation file."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic import ValidationError as PydanticValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.adapters.store.models import Cooperative, Person, RoleAssignment
from engine.audit.log import create_head
from engine.domain.definitions.loader import located_problems, parse_yaml, plain, position_of
from engine.domain.roles import ROLES
from engine.errors import DefinitionError, Problem
from engine.services.members import MemberIn

__all__ = ["ImportSummary", "OrgFile", "apply_org", "load_org"]

Slug = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$")]
Username = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9._-]{1,62}$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PersonIn(_Strict):
    """A person in the organisation file."""

    username: Username
    name: str = Field(min_length=2, max_length=200)


class TermIn(_Strict):
    """A role held for a term of office."""

    person: Username
    role: str
    start: date
    end: date | None = None
    note: str | None = None

    @field_validator("role")
    @classmethod
    def _known_role(cls, value: str) -> str:
        if value not in ROLES:
            raise ValueError(f"peran '{value}' tidak dikenal (dikenal: {', '.join(sorted(ROLES))})")
        return value


class CooperativeIn(_Strict):
    """A cooperative with its AD/ART settings and its organs."""

    slug: Slug
    name: str = Field(min_length=3, max_length=200)
    city: str | None = None
    kelurahan: str | None = None
    settings: dict[str, Any] | None = Field(
        default=None, description="AD/ART settings; when absent, an existing cooperative keeps its settings.")
    roles: list[TermIn] = Field(default_factory=list)
    members: list[MemberIn] = Field(default_factory=list, description="Buku Daftar Anggota (optional).")


class OrgFile(_Strict):
    """The whole organisation file."""

    people: list[PersonIn] = Field(default_factory=list)
    cooperatives: list[CooperativeIn] = Field(default_factory=list)


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


def load_org(path: Path) -> OrgFile:
    """Parse and validate an organisation file; problems as ``file:line:col``."""
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DefinitionError([Problem(name, 1, 1, f"tidak dapat dibaca: {exc}")]) from None
    tree = parse_yaml(text, name)
    try:
        org = OrgFile.model_validate(plain(tree))
    except PydanticValidationError as exc:
        raise DefinitionError(located_problems(tree, exc, name)) from None
    known = {p.username for p in org.people}
    problems = []
    for ci, coop in enumerate(org.cooperatives):
        for ti, term in enumerate(coop.roles):
            if term.person not in known:
                line, col = position_of(tree, ["cooperatives", ci, "roles", ti, "person"])
                problems.append(Problem(name, line, col, f"orang '{term.person}' tidak ada di daftar people"))
            if term.end is not None and term.end < term.start:
                line, col = position_of(tree, ["cooperatives", ci, "roles", ti, "end"])
                problems.append(Problem(name, line, col, "akhir masa jabatan sebelum awalnya"))
        problems += _seat_problems(tree, name, ci, coop)
    if problems:
        raise DefinitionError(problems)
    return org


def _seat_problems(tree: Any, name: str, index: int, coop: CooperativeIn) -> list[Problem]:
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
            line, col = position_of(tree, ["cooperatives", index, "roles", ti, "start"])
            out.append(Problem(name, line, col,
                               f"{ROLES[term.role].label} hanya {seats} kursi, tetapi masa jabatan {term.person} "
                               f"bertumpang tindih dengan {', '.join(sorted(overlapping))}"))
    return out


def apply_org(session: Session, org: OrgFile, now: datetime) -> ImportSummary:
    """Upsert everything in the file (idempotent: a second import changes nothing)."""
    summary = ImportSummary()
    people: dict[str, Person] = {}
    for item in org.people:
        person = session.scalar(select(Person).where(Person.username == item.username))
        if person is None:
            person = Person(username=item.username, full_name=item.name, created_at=now)
            session.add(person)
            summary.people_added += 1
        elif person.full_name != item.name:
            person.full_name = item.name
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
