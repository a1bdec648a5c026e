"""Pieces every document needs: the organisation block, document metadata, lookups."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.adapters.store.models import Case, Cooperative, Person, RoleAssignment
from engine.domain.roles import role_label
from engine.errors import NotFoundError

__all__ = [
    "CATEGORY_LABELS",
    "DocMeta",
    "OrgInfo",
    "Signer",
    "coop_by_slug",
    "file_name",
    "holders",
    "signer_for",
]

CATEGORY_LABELS = {"kelembagaan": "Kelembagaan", "usaha": "Usaha", "keuangan": "Keuangan",
                   "pengawasan": "Pengawasan"}


def file_name(number: str) -> str:
    """A safe file name for a document number: ``BA-KAS-2026-0001.pdf``."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", number).strip("-") + ".pdf"


@dataclass(frozen=True)
class OrgInfo:
    """How the cooperative appears on paper."""

    slug: str | None
    name: str
    city: str | None
    kelurahan: str | None

    @property
    def place(self) -> str:
        """``Kelurahan Sentanan, Kota Mojokerto``."""
        parts = [f"Kelurahan {self.kelurahan}" if self.kelurahan else None, self.city]
        return ", ".join(p for p in parts if p) or "Indonesia"

    @property
    def town(self) -> str:
        """The place name used in ``Mojokerto, 24 November 2026``."""
        city = self.city or self.kelurahan or "Indonesia"
        return re.sub(r"^(Kota|Kabupaten)\s+", "", city)

    @property
    def initials(self) -> str:
        """``KKMP`` from ``Koperasi Kelurahan Merah Putih Sentanan``."""
        words = [w for w in re.split(r"\s+", self.name) if w[:1].isupper()]
        letters = "".join(w[0] for w in words[:4])
        return letters or "KOP"

    @classmethod
    def of(cls, coop: Cooperative | None) -> OrgInfo:
        """From a cooperative row (or a generic KKMP when there is none)."""
        if coop is None:
            return cls(None, "Koperasi Desa/Kelurahan Merah Putih", None, None)
        return cls(coop.slug, coop.name, coop.city, coop.kelurahan)


@dataclass(frozen=True)
class DocMeta:
    """Metadata printed in the page header/footer and written into the PDF."""

    number: str
    kind: str
    title: str
    subject: str
    author: str
    header: str
    when: datetime

    @property
    def created(self) -> str:
        """W3C date-time for ``dcterms.created``."""
        return self.when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    @property
    def filename(self) -> str:
        """Suggested file name."""
        return file_name(self.number)


@dataclass(frozen=True)
class Signer:
    """A signature block: caption, role, name (or blank line) and a small note."""

    role: str
    name: str | None = None
    meta: str | None = None
    caption: str | None = None


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


def setting_value_text(value: Any, label: str) -> str:
    """A cooperative setting as printed: Rupiah for amounts, ya/tidak, lists joined."""
    from engine.adapters.render.formatting import rupiah

    if isinstance(value, bool):
        return "ya" if value else "tidak"
    if isinstance(value, int) and "Rp" in label:
        return rupiah(value)
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    return str(value)
