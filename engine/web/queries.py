"""Read models the web pages need, scoped to what a person may see."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select

from engine.adapters.passwords import check_password
from engine.adapters.store.models import Attachment, Case, Cooperative, DefinitionRecord, Person, RoleAssignment
from engine.domain.policy import roles_on
from engine.domain.roles import role_label
from engine.errors import NotFoundError
from engine.services import CaseSummary, Services

__all__ = ["DinasRow", "Membership", "User", "attachment_content", "authenticate", "dinas_overview", "load_user"]


@dataclass(frozen=True)
class Membership:
    """A cooperative the user serves, with the roles held today."""

    slug: str
    name: str
    city: str | None
    roles: frozenset[str]

    @property
    def labels(self) -> str:
        """Roles as people read them."""
        hidden = {"pengurus"} if self.roles - {"pengurus", "anggota"} else set()
        return ", ".join(sorted(role_label(r) for r in self.roles - hidden))


@dataclass(frozen=True)
class User:
    """The logged-in person and where they may look."""

    id: int
    username: str
    full_name: str
    memberships: tuple[Membership, ...] = field(default=())

    def membership(self, slug: str) -> Membership | None:
        """Membership in one cooperative (None = no access)."""
        return next((m for m in self.memberships if m.slug == slug), None)

    def holds(self, slug: str, *roles: str) -> bool:
        """Holds any of these roles in that cooperative today."""
        member = self.membership(slug)
        return bool(member and member.roles & set(roles))

    @property
    def is_dinas(self) -> bool:
        """An officer of the Dinas for at least one cooperative."""
        return any("dinas" in m.roles for m in self.memberships)


def load_user(services: Services, user_id: int) -> User | None:
    """The user with their current memberships (terms of office as of today)."""
    today = services.today()
    with services.db.session() as session:
        person = session.get(Person, user_id)
        if person is None:
            return None
        coop_ids = set(session.scalars(select(RoleAssignment.coop_id).where(RoleAssignment.person_id == person.id)))
        memberships = []
        for coop in session.scalars(select(Cooperative).where(Cooperative.id.in_(coop_ids)).order_by(Cooperative.name)):
            roles = roles_on(session, coop.id, person.id, today)
            if roles:
                memberships.append(Membership(coop.slug, coop.name, coop.city, frozenset(roles)))
        return User(person.id, person.username, person.full_name, tuple(memberships))


def authenticate(services: Services, username: str, password: str) -> int | None:
    """The person's id when the password matches."""
    with services.db.session() as session:
        person = session.scalar(select(Person).where(Person.username == username.strip().lower()))
        return person.id if check_password(person, password) and person is not None else None


def attachment_content(services: Services, slug: str, number: str, sha256: str) -> tuple[str, str, bytes]:
    """(file name, media type, content) of one attachment of a case in this cooperative."""
    from engine.adapters.attachments import read_attachment

    with services.db.session() as session:
        row = session.scalars(
            select(Attachment).join(Case, Case.id == Attachment.case_id)
            .join(Cooperative, Cooperative.id == Case.coop_id)
            .where(Cooperative.slug == slug, Case.number == number, Attachment.sha256 == sha256)).first()
        if row is None:
            raise NotFoundError("Lampiran tidak ditemukan.")
        return row.filename, row.media_type, read_attachment(row)


@dataclass(frozen=True)
class DinasRow:
    """One cooperative on the Dinas overview."""

    slug: str
    name: str
    rk_rapb: str
    rat: str
    open_cases: int
    overdue: int
    trail_ok: bool
    trail_size: int


def _latest_state(services: Services, session_cases: list[tuple[Case, DefinitionRecord]], workflow: str,
                  year: int) -> str:
    matching = [(c, r) for c, r in session_cases if r.workflow_id == workflow and c.created_at.year >= year - 1]
    if not matching:
        return "Belum ada"
    case, record = max(matching, key=lambda cr: cr[0].created_at)
    state = services.pinned(record).definition.states[case.state]
    return f"{state.status_label or state.title} ({case.number})"


def dinas_overview(services: Services, user: User, year: int | None = None) -> list[DinasRow]:
    """The cooperatives this Dinas officer follows, side by side."""
    year = year or services.today().year
    rows = []
    slugs = [m.slug for m in user.memberships if "dinas" in m.roles]
    reports = {r.coop: r for r in services.verify()} if slugs else {}
    for slug in slugs:
        summaries: list[CaseSummary] = services.list_cases(slug)
        with services.db.session() as session:
            coop = session.scalar(select(Cooperative).where(Cooperative.slug == slug))
            assert coop is not None
            cases = list(session.execute(select(Case, DefinitionRecord).join(
                DefinitionRecord, DefinitionRecord.id == Case.definition_id).where(Case.coop_id == coop.id)).all())
            pairs = [(c, r) for c, r in cases]
            rk = _latest_state(services, pairs, "rk_rapb", year)
            rat = _latest_state(services, pairs, "rat", year)
            name = coop.name
        report = reports[slug]
        rows.append(DinasRow(slug, name, rk, rat, sum(1 for s in summaries if not s.final),
                             sum(1 for s in summaries if s.overdue), report.ok, report.size))
    return rows


def today(services: Services) -> date:
    """Today in the configured time zone."""
    return services.today()
