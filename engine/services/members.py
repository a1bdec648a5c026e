"""The Buku Daftar Anggota (member register): who is a member on a given day.

The register is fed by the procedures themselves: a ``penerimaan_anggota`` case that reaches
``diterima`` enters the member (from the case's name, NIK, number, payment date and simpanan
pokok), a ``berhenti_anggota`` case that reaches ``selesai`` records the resignation. Both run in
the decision's own unit of work, so a register that cannot take the change (a NIK already
active, an unknown member number) refuses the decision and nothing is saved. Meetings count
their quorum from :func:`members_on` at the meeting's date, never from a typed number.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Annotated

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from engine.adapters.store.db import as_utc
from engine.adapters.store.models import Case, Cooperative, Member
from engine.audit.keys import Signer
from engine.audit.log import append_entry
from engine.domain.definitions.model import AddMember, EndMember
from engine.domain.limits import MEMBER_ADDRESS, MEMBER_NAME, checked_text, stored_date
from engine.domain.roles import role_label
from engine.errors import FieldProblem, PermissionDeniedError, ValidationError
from engine.services.context import Context, rosters
from engine.services.dto import MemberView, RegisterImport

if TYPE_CHECKING:  # the XLSX adapter pulls in openpyxl: loaded when a workbook is read or written
    from engine.adapters.render.register_workbook import RegisterRow

__all__ = [
    "ADMISSION",
    "KEEPERS",
    "READERS",
    "RESIGNATION",
    "MemberIn",
    "MemberRegister",
    "admit_member",
    "apply_effects",
    "end_member",
    "example_workbook",
    "import_members",
    "mask_nik",
    "members_on",
]

MemberNumber = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9./-]{0,29}$")]


class MemberIn(BaseModel):
    """One line of the register as an organisation file or a workbook gives it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    number: MemberNumber
    name: Annotated[str, checked_text(MEMBER_NAME)] = Field(min_length=2, max_length=MEMBER_NAME)
    nik: str = Field(pattern=r"^[0-9]{16}$")
    joined: date
    left: date | None = None
    address: Annotated[str, checked_text(MEMBER_ADDRESS)] | None = Field(default=None, max_length=MEMBER_ADDRESS)
    simpanan_pokok: int = Field(default=0, ge=0, le=10**12)

#: (workflow, final state) whose arrival changes the register.
ADMISSION = ("penerimaan_anggota", "diterima")
RESIGNATION = ("berhenti_anggota", "selesai")


def mask_nik(nik: str) -> str:
    """``3576012345670001`` -> ``3576 •••• •••• 0001``: enough to tell two people apart, not to copy."""
    return f"{nik[:4]} •••• •••• {nik[-4:]}" if len(nik) == 16 else "•" * len(nik)


def members_on(session: Session, coop_id: int, day: date) -> list[Member]:
    """Members of the cooperative on ``day`` (joined on or before it, not left before it), by number."""
    return list(session.scalars(
        select(Member).where(Member.coop_id == coop_id, Member.joined_on <= day,
                             (Member.left_on.is_(None)) | (Member.left_on > day))
        .order_by(Member.number)))


#: How the shipped admission and resignation procedures name the register's columns in their fields.
SHIPPED_ADMISSION = AddMember(number="nomor_anggota", name="nama", nik="nik", address="alamat", joined="tanggal_bayar",
                              simpanan_pokok="simpanan_pokok_dibayar")
SHIPPED_RESIGNATION = EndMember(number="nomor_anggota", nik="nik")


def admit_member(session: Session, coop: Cooperative, case: Case, day: date, now: datetime,
                 spec: AddMember = SHIPPED_ADMISSION) -> None:
    """Write the case's person into the register (``add_member``; ``spec`` names the case's fields)."""
    data = case.data
    nik, name = str(data.get(spec.nik) or ""), str(data.get(spec.name) or "")
    number = str(data.get(spec.number) or "").strip()
    if not number:
        count = session.scalar(select(func.count(Member.id)).where(Member.coop_id == coop.id)) or 0
        number = f"{int(count) + 1:04d}"
    existing = session.scalar(select(Member).where(Member.coop_id == coop.id, Member.nik == nik))
    if existing is not None and existing.left_on is None:
        raise ValidationError([FieldProblem("NIK", f"sudah terdaftar sebagai anggota nomor {existing.number} "
                                                   f"({existing.full_name})", spec.nik)],
                              headline="Pemohon sudah menjadi anggota; Buku Daftar Anggota tidak diubah.")
    taken = session.scalar(select(Member).where(Member.coop_id == coop.id, Member.number == number))
    if taken is not None and taken is not existing:
        raise ValidationError([FieldProblem("Nomor anggota", f"nomor {number} sudah dipakai {taken.full_name}",
                                            spec.number)], headline="Nomor anggota sudah dipakai.")
    joined = stored_date(data.get(spec.joined)) or day if spec.joined else day
    paid = data.get(spec.simpanan_pokok) if spec.simpanan_pokok else None
    address = data.get(spec.address) if spec.address else None
    if existing is not None:  # a former member joins again: the same line of the register, reopened
        existing.number, existing.full_name, existing.joined_on, existing.left_on = number, name, joined, None
        existing.status, existing.case_id, existing.left_case_id = "aktif", case.id, None
        existing.simpanan_pokok = paid if isinstance(paid, int) else 0
        existing.address, existing.updated_at = address, now
        return
    session.add(Member(coop_id=coop.id, number=number, full_name=name, nik=nik, address=address,
                       joined_on=joined, left_on=None, status="aktif",
                       simpanan_pokok=paid if isinstance(paid, int) else 0, case_id=case.id, left_case_id=None,
                       source="kasus", created_at=now, updated_at=now))


def end_member(session: Session, coop: Cooperative, case: Case, day: date, now: datetime,
               spec: EndMember = SHIPPED_RESIGNATION) -> None:
    """End a member's line in the register (``end_member``; ``spec`` names the case's fields)."""
    number = str(case.data.get(spec.number) or "").strip()
    member = session.scalar(select(Member).where(Member.coop_id == coop.id, Member.number == number))
    if member is None or member.left_on is not None:
        raise ValidationError([FieldProblem("Nomor anggota", f"{number} bukan anggota aktif di Buku Daftar Anggota",
                                            spec.number)], headline="Anggota tidak ditemukan di Buku Daftar "
                                                                        "Anggota; tidak ada yang diubah.")
    if spec.nik and case.data.get(spec.nik) and case.data.get(spec.nik) != member.nik:
        raise ValidationError([FieldProblem("NIK anggota", f"tidak cocok dengan anggota nomor {number}", spec.nik)],
                              headline="NIK tidak cocok dengan Buku Daftar Anggota; tidak ada yang diubah.")
    left = stored_date(case.data.get(spec.on)) or day if spec.on else day
    member.left_on, member.status, member.left_case_id, member.updated_at = left, "berhenti", case.id, now


def apply_effects(session: Session, coop: Cooperative, workflow_id: str, case: Case, day: date,
                  now: datetime) -> None:
    """Change the register when a case reaches the state that decides membership."""
    if (workflow_id, case.state) == ADMISSION:
        admit_member(session, coop, case, day, now)
    elif (workflow_id, case.state) == RESIGNATION:
        end_member(session, coop, case, day, now)


def import_members(session: Session, coop: Cooperative, rows: Sequence[MemberIn], *, now: datetime,
                   signer: Signer, actor: str, source: str) -> tuple[int, int]:
    """Add or update register lines by member number (idempotent); (added, updated).

    A change is an entry on the trail (``impor_anggota``: how many lines and the SHA-256 of the
    register as imported, no personal data). Two lines with one NIK or one number are refused.
    """
    problems: list[FieldProblem] = []
    for key in ("number", "nik"):
        seen: dict[str, str] = {}
        for row in rows:
            value = getattr(row, key)
            if value in seen:
                label = "Nomor anggota" if key == "number" else "NIK"
                problems.append(FieldProblem(label, f"{value if key == 'number' else mask_nik(value)} ganda "
                                                    f"({seen[value]} dan {row.name})", key))
            seen[value] = row.name
    existing = {m.number: m for m in session.scalars(select(Member).where(Member.coop_id == coop.id))}
    by_nik = {m.nik: m for m in existing.values()}
    for row in rows:
        other = by_nik.get(row.nik)
        if other is not None and other.number != row.number:
            problems.append(FieldProblem("NIK", f"{mask_nik(row.nik)} sudah terdaftar sebagai anggota nomor "
                                                f"{other.number}", "nik"))
    if problems:
        raise ValidationError(problems, headline="Buku Daftar Anggota tidak diimpor:")
    added = updated = 0
    for row in rows:
        values = {"full_name": row.name, "nik": row.nik, "joined_on": row.joined, "left_on": row.left,
                  "status": "berhenti" if row.left else "aktif", "address": row.address,
                  "simpanan_pokok": row.simpanan_pokok}
        member = existing.get(row.number)
        if member is None:
            session.add(Member(coop_id=coop.id, number=row.number, case_id=None, left_case_id=None, source=source,
                               created_at=now, updated_at=now, **values))
            added += 1
        elif any(getattr(member, k) != v for k, v in values.items()):
            for key, value in values.items():
                setattr(member, key, value)
            member.updated_at = now
            updated += 1
    if added or updated:
        payload = sorted((r.model_dump(mode="json") for r in rows), key=lambda r: r["number"])
        digest = hashlib.sha256(json.dumps(payload, sort_keys=True, separators=(",", ":"),
                                           ensure_ascii=False).encode()).hexdigest()
        session.flush()
        append_entry(session, coop, signer, {"action": "impor_anggota", "kind": "register", "actor": actor,
                                             "source": source, "lines": len(rows), "added": added,
                                             "updated": updated, "content_sha256": digest}, case_id=None, now=now)
    return added, updated


# -- the register as its keepers use it: workbook import and export, the list by date ----------------

#: Who keeps the register (imports it, downloads it with full NIKs): the pengurus in office today.
KEEPERS = ("ketua", "sekretaris", "wakil_ketua_anggota", "bendahara", "pengurus")
#: Who may read the register (NIKs masked): the pengurus, the pengawas and the Dinas.
READERS = (*KEEPERS, "ketua_pengawas", "pengawas", "dinas")
#: Where a register line came from, as people read it (``kasus`` adds the case number).
_SOURCES = {"berkas": "impor berkas", "xlsx": "impor berkas Excel"}
#: ``import_members``' ``source`` for a workbook upload.
WORKBOOK_SOURCE = "xlsx"
_NEVER = datetime(2000, 1, 1, tzinfo=UTC)


def example_workbook() -> bytes:
    """An empty register workbook with two example rows (no database needed)."""
    from engine.adapters.render.register_workbook import write_template

    return write_template()


def _member_in(row: RegisterRow) -> MemberIn:
    return MemberIn.model_validate(asdict(row))


def _source_label(member: Member, numbers: Mapping[int, str]) -> str:
    admitted = numbers.get(member.case_id) if member.case_id is not None else None
    if member.source == "kasus":
        label = f"dari kasus {admitted}" if admitted else "dari kasus"
    else:
        label = _SOURCES.get(member.source, f"impor {member.source}")
    resigned = numbers.get(member.left_case_id) if member.left_case_id is not None else None
    return f"{label}; berhenti lewat kasus {resigned}" if resigned else label


def _is_active(member: Member, day: date) -> bool:
    return member.left_on is None or member.left_on > day


class MemberRegister:
    """The Buku Daftar Anggota for the people who keep it: XLSX import and export, the list on a date."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def _require_keeper(self, session: Session, coop: Cooperative, username: str, what: str) -> None:
        person = self.ctx.person(session, username)
        if not rosters(session, [coop.id])[coop.id].roles_on(person.id, self.ctx.today()) & set(KEEPERS):
            labels = ", ".join(role_label(r) for r in KEEPERS[:-1])
            raise PermissionDeniedError(f"{what} Buku Daftar Anggota {coop.name} hanya untuk pengurus yang menjabat "
                                        f"hari ini ({labels}, Pengurus).")

    def import_workbook(self, coop_slug: str, content: bytes, actor: str | None) -> RegisterImport:
        """Add or update register lines from an XLSX workbook: all or nothing, one trail entry when it changes.

        ``actor`` must be a pengurus of the cooperative in office today; None is the operator at the
        command line. Every bad cell is named in the ValidationError; nothing is saved then.
        """
        from engine.adapters.render.register_workbook import read_register

        self.ctx.db.require_schema()
        with self.ctx.db.session() as session:  # refuse a stranger before reading up to 20.000 rows
            coop = self.ctx.coop(session, coop_slug)
            if actor is not None:
                self._require_keeper(session, coop, actor, "Impor")
        settings = self.ctx.settings
        rows = read_register(content, _member_in, max_bytes=int(settings.max_workbook_mb * 1024 * 1024),
                             max_unpacked=int(settings.max_workbook_unpacked_mb * 1024 * 1024))
        with self.ctx.db.session() as session:
            coop = self.ctx.coop(session, coop_slug)
            if actor is not None:  # in the unit of work that writes: the check that counts
                self._require_keeper(session, coop, actor, "Impor")
            added, updated = import_members(session, coop, rows, now=self.ctx.clock(), signer=self.ctx.signer,
                                            actor=actor or "operator", source=WORKBOOK_SOURCE)
            return RegisterImport(coop.slug, len(rows), added, updated)

    def export_workbook(self, coop_slug: str, full_nik: bool, actor: str | None = None) -> bytes:
        """The whole register (former members too) as an XLSX workbook that imports back when ``full_nik``.

        NIKs are masked unless ``full_nik``; a full-NIK export asked for by ``actor`` (the web) needs a
        pengurus in office today. The same register on the same day gives the same bytes.
        """
        from engine.adapters.render.register_workbook import RegisterRow, write_register

        self.ctx.db.require_schema()
        with self.ctx.db.session() as session:
            coop = self.ctx.coop(session, coop_slug)
            if full_nik and actor is not None:
                self._require_keeper(session, coop, actor, "Ekspor NIK lengkap")
            members = session.scalars(select(Member).where(Member.coop_id == coop.id).order_by(Member.number)).all()
            rows = [RegisterRow(number=m.number, name=m.full_name, nik=m.nik if full_nik else mask_nik(m.nik),
                                joined=m.joined_on, left=m.left_on, address=m.address,
                                simpanan_pokok=m.simpanan_pokok) for m in members]
            when = max((as_utc(m.updated_at) for m in members), default=_NEVER)
            return write_register(rows, coop_name=coop.name, as_of=self.ctx.today(), masked=not full_nik, when=when)

    def register(self, coop_slug: str, day: date | None = None, include_former: bool = False) -> list[MemberView]:
        """The register as it stood on ``day`` (default today), by number, NIKs masked.

        Members on that day only, or with ``include_former`` also those who had left by then; never
        anyone who joined after it.
        """
        self.ctx.db.require_schema()
        day = day or self.ctx.today()
        with self.ctx.db.reader() as session:
            coop = self.ctx.coop(session, coop_slug)
            if include_former:
                members = list(session.scalars(select(Member).where(
                    Member.coop_id == coop.id, Member.joined_on <= day).order_by(Member.number)))
            else:
                members = members_on(session, coop.id, day)
            case_ids = {i for m in members for i in (m.case_id, m.left_case_id) if i is not None}
            numbers: dict[int, str] = {}
            if case_ids:
                numbers = {i: n for i, n in session.execute(select(Case.id, Case.number).where(Case.id.in_(case_ids)))}
            return [MemberView(number=m.number, name=m.full_name, nik_masked=mask_nik(m.nik), joined_on=m.joined_on,
                               left_on=m.left_on if m.left_on is not None and m.left_on <= day else None,
                               status="aktif" if _is_active(m, day) else "berhenti",
                               simpanan_pokok=m.simpanan_pokok, source=_source_label(m, numbers))
                    for m in members]

    def count_on(self, coop_slug: str, day: date) -> int:
        """How many members the cooperative had on ``day`` (what a meeting counts its quorum from)."""
        self.ctx.db.require_schema()
        with self.ctx.db.reader() as session:
            coop = self.ctx.coop(session, coop_slug)
            count = session.scalar(select(func.count(Member.id)).where(
                Member.coop_id == coop.id, Member.joined_on <= day,
                or_(Member.left_on.is_(None), Member.left_on > day)))
            return int(count or 0)
