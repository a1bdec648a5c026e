"""Lookups every document needs: a cooperative, a case, who held a role on a day."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.adapters.render.common import Signer
from engine.adapters.store.models import Case, Cooperative, Person, RoleAssignment
from engine.domain.roles import role_label
from engine.errors import NotFoundError

__all__ = ["coop_by_slug", "find_case", "holders", "signer_for"]


def coop_by_slug(session: Session, slug: str) -> Cooperative:
    """The cooperative with this code; NotFoundError otherwise."""
    coop = session.scalar(select(Cooperative).where(Cooperative.slug == slug))
    if coop is None:
        raise NotFoundError(f"Koperasi '{slug}' tidak ditemukan. Lihat `tatakelola org list`.")
    return coop


def holders(session: Session, coop_id: int, role: str, day: date) -> list[Person]:
    """People holding ``role`` (directly) in a cooperative on ``day``, in appointment order."""
    rows = session.execute(
        select(Person, RoleAssignment).join(RoleAssignment, RoleAssignment.person_id == Person.id)
        .where(RoleAssignment.coop_id == coop_id, RoleAssignment.role == role,
               RoleAssignment.starts_on <= day)
        .order_by(RoleAssignment.starts_on, RoleAssignment.id)).all()
    return [p for p, r in rows if r.ends_on is None or r.ends_on >= day]


def signer_for(session: Session, coop: Cooperative | None, role: str, day: date, *,
               caption: str | None = None, meta: str | None = None) -> Signer:
    """A signature block for whoever held ``role`` on ``day`` (blank name when nobody did)."""
    people = holders(session, coop.id, role, day) if coop is not None else []
    return Signer(role_label(role), people[0].full_name if people else None, meta, caption)


def find_case(session: Session, number: str, coop_slug: str | None) -> Case:
    """A case by number (and cooperative when the number is ambiguous)."""
    stmt = select(Case).where(Case.number == number.strip().upper())
    if coop_slug:
        stmt = stmt.where(Case.coop_id == coop_by_slug(session, coop_slug).id)
    cases = session.scalars(stmt).all()
    if not cases:
        raise NotFoundError(f"Kasus {number} tidak ditemukan.")
    if len(cases) > 1:
        raise NotFoundError(f"Nomor {number} ada di beberapa koperasi; sebutkan --coop.")
    return cases[0]
