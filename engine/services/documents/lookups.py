"""Who held a role on a day, as a document's signature block needs it (cooperatives and cases: ``Context``)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.adapters.render.common import Signer
from engine.adapters.store.models import Cooperative, Person, RoleAssignment
from engine.domain.roles import role_label

__all__ = ["holders", "signer_for"]


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
