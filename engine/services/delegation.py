"""Delegation (``a.n.``, atas nama): a role holder hands one role to another person for a period.

A ketua on leave hands the ketua's seat to the wakil ketua from 8 to 21 December: every decision the
wakil takes in that seat is recorded "a.n." the ketua, and the delegation ends by itself (on its last
day, or as soon as the ketua no longer holds the seat). Granting and revoking each append an entry to
the cooperative's trail (kinds ``delegation``; actions ``delegasi`` and ``cabut_delegasi``) and tell
the people concerned through the outbox.

The AD/ART decides what may be delegated, in the cooperative's settings (defaults below):

- ``delegasi_dilarang``: roles that may not be delegated (default :data:`DEFAULT_FORBIDDEN`: the
  pengawas, the pimpinan rapat, members and the Dinas act only in person);
- ``delegasi_maks_hari``: the longest delegation in days (default :data:`DEFAULT_MAX_DAYS`).

Segregation of duties between organs holds through a delegation: a pengurus seat (or the manajer's)
never goes to someone who is pengawas during the period, a pengawas seat never to a pengurus or manajer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.adapters.store.models import Cooperative, Delegation, Person
from engine.audit.entry import comment_hash
from engine.audit.log import append_entry
from engine.domain.policy import Roster
from engine.domain.roles import ROLES, expand_roles, role_label
from engine.domain.values import format_date_id
from engine.errors import FieldProblem, NotFoundError, PermissionDeniedError, ValidationError
from engine.services.context import Context, rosters
from engine.services.outbox import enqueue

__all__ = ["DEFAULT_FORBIDDEN", "DEFAULT_MAX_DAYS", "DelegationView", "Delegations", "period_text"]

#: Roles the AD/ART lets nobody delegate unless the cooperative's ``delegasi_dilarang`` says otherwise.
DEFAULT_FORBIDDEN: tuple[str, ...] = ("ketua_pengawas", "pengawas", "pimpinan_rapat", "anggota", "calon_anggota",
                                      "dinas")
#: The longest delegation (days, both ends counted) unless ``delegasi_maks_hari`` says otherwise.
DEFAULT_MAX_DAYS = 90

#: The organs whose seats may not meet in one person (segregation of duties between organs).
_MANAGING = frozenset({"pengurus", "manajer"})
_SUPERVISING = frozenset({"pengawas"})
_REASON_MAX = 300


@dataclass(frozen=True)
class DelegationView:
    """One delegation as people read it."""

    id: int
    role: str
    role_label: str
    holder: str
    holder_name: str
    delegate: str
    delegate_name: str
    starts_on: date
    ends_on: date
    reason: str | None
    state: str  # terjadwal | berlaku | berakhir | dicabut
    sentence: str
    seq: int
    revoked_seq: int | None


def period_text(start: date, end: date) -> str:
    """``8–21 Desember 2026``; ``28 November – 5 Desember 2026``; one day as ``8 Desember 2026``."""
    if start == end:
        return format_date_id(start)
    if (start.year, start.month) == (end.year, end.month):
        return f"{start.day}\u2013{format_date_id(end)}"
    if start.year == end.year:
        return f"{format_date_id(start)[:-5]} \u2013 {format_date_id(end)}"
    return f"{format_date_id(start)} \u2013 {format_date_id(end)}"


def _seat_organs(role: str) -> set[str]:
    """The organs a role belongs to (``pengurus``/``manajer`` manage, ``pengawas`` supervises)."""
    return expand_roles({role}) & (_MANAGING | _SUPERVISING)


def _days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


class Delegations:
    """Grant, revoke and list delegations; each change is one unit of work with its trail entry."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    # -- reading ---------------------------------------------------------------------------

    def listing(self, coop_slug: str, day: date | None = None, *, include_past: bool = False) -> list[DelegationView]:
        """The cooperative's delegations in force on or after ``day`` (default today), earliest first;
        with ``include_past`` also those ended or revoked."""
        self.ctx.db.require_schema()
        self.ctx.know_declared_roles()  # roles a procedure declares (a panitia): known, by their labels
        with self.ctx.db.reader() as session:
            coop = self.ctx.coop(session, coop_slug)
            today = day or self.ctx.today()
            rows = session.scalars(select(Delegation).where(Delegation.coop_id == coop.id)
                                   .order_by(Delegation.starts_on, Delegation.id)).all()
            roster = rosters(session, [coop.id])[coop.id]
            views = self._views(session, rows, roster, today)
            return views if include_past else [v for v in views if v.state in ("berlaku", "terjadwal")]

    def delegable(self, coop_slug: str, username: str) -> list[tuple[str, str]]:
        """The roles this person may hand on today, as (role, label): held in their own right, not
        forbidden by the AD/ART (and, for the ketua, the other pengurus seats)."""
        self.ctx.db.require_schema()
        self.ctx.know_declared_roles()  # roles a procedure declares (a panitia): known, by their labels
        with self.ctx.db.reader() as session:
            coop = self.ctx.coop(session, coop_slug)
            person = self.ctx.person(session, username)
            roster = rosters(session, [coop.id])[coop.id]
            today = self.ctx.today()
            forbidden = _forbidden(coop)
            own = {r for r in roster.own_roles_on(person.id, today) if r not in forbidden}
            return [(r, role_label(r)) for r in ROLES if r in own]

    def candidates(self, coop_slug: str) -> list[tuple[str, str]]:
        """Everyone serving the cooperative today, as (user name, full name), by name: who may be chosen."""
        self.ctx.db.require_schema()
        with self.ctx.db.reader() as session:
            coop = self.ctx.coop(session, coop_slug)
            roster = rosters(session, [coop.id])[coop.id]
            today = self.ctx.today()
            ids = [p for p in roster.people() if roster.own_roles_on(p, today)]
            if not ids:
                return []
            rows = session.execute(select(Person.username, Person.full_name).where(Person.id.in_(ids))
                                   .order_by(Person.full_name, Person.username)).all()
            return [(u, n) for u, n in rows]

    # -- writing ---------------------------------------------------------------------------

    def grant(self, coop_slug: str, role: str, holder_username: str, delegate_username: str, starts_on: date,
              ends_on: date, reason: str | None = None, *, by_username: str) -> DelegationView:
        """Hand ``role`` from its holder to the delegate for ``starts_on`` .. ``ends_on`` (inclusive).

        Refused, with nothing saved, when the AD/ART forbids it, the holder does not hold the role on
        every day of the period, the delegate is not serving the cooperative then or sits in the other
        organ, the period is not valid or overlaps another delegation of the same role by the holder.
        """
        self.ctx.db.require_schema()
        self.ctx.know_declared_roles()  # roles a procedure declares (a panitia): known, by their labels
        text = reason.strip() if reason and reason.strip() else None
        with self.ctx.db.session() as session:
            coop = self.ctx.coop(session, coop_slug)
            holder = self.ctx.person(session, holder_username)
            delegate = self.ctx.person(session, delegate_username)
            by = self.ctx.person(session, by_username)
            now = self.ctx.clock()
            today = now.astimezone(self.ctx.tz).date()
            roster = rosters(session, [coop.id])[coop.id]
            self._check(session, coop, roster, role, holder, delegate, by, starts_on, ends_on, text, today)
            row = Delegation(coop_id=coop.id, role=role, holder_id=holder.id, delegate_id=delegate.id,
                             starts_on=starts_on, ends_on=ends_on, reason=text, created_by=by.id, created_at=now,
                             seq=0)
            row.seq = append_entry(session, coop, self.ctx.signer, {
                "action": "delegasi", "kind": "delegation", "actor": by.username, "role": role,
                "holder": holder.username, "delegate": delegate.username, "starts_on": starts_on.isoformat(),
                "ends_on": ends_on.isoformat(), "reason_sha256": comment_hash(text)}, case_id=None, now=now)
            # again, now that the log's head is locked: a grant committed meanwhile is seen
            _refuse_overlap(session, coop, role, holder, starts_on, ends_on)
            session.add(row)
            session.flush()
            sentence = _sentence(delegate.full_name, role, holder.full_name, starts_on, ends_on)
            enqueue(session, person_ids=[p for p in (delegate.id, holder.id) if p != by.id], kind="delegasi",
                    subject=f"Delegasi {role_label(role)}: {period_text(starts_on, ends_on)}",
                    body=f"{sentence}. Keputusan yang Anda ambil dalam peran ini tercatat \u201ca.n. "
                         f"{role_label(role)} {holder.full_name}\u201d." if delegate.id != by.id else sentence + ".",
                    dedupe=f"delegasi:{row.id}", now=now, coop_id=coop.id, link=f"/k/{coop.slug}/delegasi")
            return self._views(session, [row], roster, today)[0]

    def revoke(self, coop_slug: str, delegation_id: int, *, by_username: str) -> DelegationView:
        """End a delegation now (before or during its period): the holder, the delegate or the ketua may."""
        self.ctx.db.require_schema()
        with self.ctx.db.session() as session:
            coop = self.ctx.coop(session, coop_slug)
            by = self.ctx.person(session, by_username)
            row = session.scalar(select(Delegation).where(Delegation.id == delegation_id,
                                                          Delegation.coop_id == coop.id).with_for_update())
            if row is None:
                raise NotFoundError(f"Delegasi nomor {delegation_id} tidak ditemukan di {coop.name}.")
            now = self.ctx.clock()
            today = now.astimezone(self.ctx.tz).date()
            roster = rosters(session, [coop.id])[coop.id]
            if by.id not in (row.holder_id, row.delegate_id, row.created_by) \
                    and "ketua" not in roster.own_roles_on(by.id, today):
                raise PermissionDeniedError("Hanya pemegang peran, penerima delegasi atau ketua yang dapat "
                                            "mengakhiri delegasi ini.", rule="peran")
            if row.revoked_at is not None:
                raise ValidationError([], headline="Delegasi ini sudah dicabut sebelumnya.")
            if row.ends_on < today:
                raise ValidationError([], headline=f"Delegasi ini sudah berakhir {format_date_id(row.ends_on)}.")
            holder, delegate = session.get_one(Person, row.holder_id), session.get_one(Person, row.delegate_id)
            row.revoked_at = now
            row.revoked_seq = append_entry(session, coop, self.ctx.signer, {
                "action": "cabut_delegasi", "kind": "delegation", "actor": by.username, "role": row.role,
                "holder": holder.username, "delegate": delegate.username, "grant_seq": row.seq},
                case_id=None, now=now)
            session.flush()
            enqueue(session, person_ids=[p for p in (row.delegate_id, row.holder_id) if p != by.id],
                    kind="delegasi", subject=f"Delegasi {role_label(row.role)} diakhiri",
                    body=f"Delegasi {role_label(row.role)} dari {holder.full_name} kepada {delegate.full_name} "
                         f"diakhiri oleh {by.full_name} pada {format_date_id(today)}.",
                    dedupe=f"cabut_delegasi:{row.id}", now=now, coop_id=coop.id,
                    link=f"/k/{coop.slug}/delegasi")
            return self._views(session, [row], rosters(session, [coop.id])[coop.id], today)[0]

    # -- rules -------------------------------------------------------------------------------

    def _check(self, session: Session, coop: Cooperative, roster: Roster, role: str, holder: Person,
               delegate: Person, by: Person, start: date, end: date, reason: str | None, today: date) -> None:
        label = role_label(role)
        if role not in ROLES:
            raise ValidationError([FieldProblem("Peran", f"'{role[:40]}' tidak dikenal; pilihan: "
                                                         + ", ".join(ROLES), "role")])
        if role in _forbidden(coop):
            raise PermissionDeniedError(f"AD/ART {coop.name} tidak mengizinkan peran {label} didelegasikan "
                                        "(daftar peran yang tidak boleh didelegasikan).", rule="ad_art")
        problems: list[FieldProblem] = []
        limit = _max_days(coop)
        if end < start:
            problems.append(FieldProblem("Tanggal selesai", f"{format_date_id(end)} sebelum tanggal mulai "
                                                            f"{format_date_id(start)}", "end"))
        elif (end - start).days + 1 > limit:
            problems.append(FieldProblem("Tanggal selesai", f"delegasi paling lama {limit} hari menurut AD/ART "
                                                            f"(diminta {(end - start).days + 1} hari)", "end"))
        if end < today:
            problems.append(FieldProblem("Tanggal selesai", f"{format_date_id(end)} sudah lewat", "end"))
        if reason is not None and len(reason) > _REASON_MAX:
            problems.append(FieldProblem("Alasan", f"paling banyak {_REASON_MAX} karakter", "reason"))
        if delegate.id == holder.id:
            problems.append(FieldProblem("Penerima", "harus orang lain, bukan pemegang peran sendiri", "to"))
        if problems:
            raise ValidationError(problems, headline="Delegasi belum dapat dibuat:")
        if by.id != holder.id:
            ketua = "ketua" in roster.own_roles_on(by.id, today)
            if not (ketua and role != "ketua" and "pengurus" in _seat_organs(role)):
                raise PermissionDeniedError(f"Hanya {holder.full_name} sendiri yang dapat mendelegasikan perannya "
                                            f"sebagai {label} (ketua dapat melakukannya untuk kursi pengurus lain).",
                                            rule="peran")
        days = _days(start, end)
        if any(role in roster.delegated_on(holder.id, d) for d in days) \
                and not all(role in roster.own_roles_on(holder.id, d) for d in days):
            raise PermissionDeniedError(f"Peran {label} yang diterima lewat delegasi tidak dapat didelegasikan lagi.",
                                        rule="delegasi")
        missing = next((d for d in days if role not in roster.own_roles_on(holder.id, d)), None)
        if missing is not None:
            raise PermissionDeniedError(f"{holder.full_name} tidak memegang peran {label} pada "
                                        f"{format_date_id(missing)}; delegasi hanya untuk masa jabatannya.",
                                        rule="peran")
        absent = next((d for d in days if not roster.own_roles_on(delegate.id, d)), None)
        if absent is not None:
            raise PermissionDeniedError(f"{delegate.full_name} tidak memegang peran apa pun di {coop.name} pada "
                                        f"{format_date_id(absent)}; delegasi hanya kepada orang koperasi ini.",
                                        rule="peran")
        organs = _seat_organs(role)
        clash = (_SUPERVISING if organs & _MANAGING else _MANAGING if organs & _SUPERVISING else frozenset())
        for d in days:
            other = expand_roles(roster.own_roles_on(delegate.id, d)) & clash
            if other:
                raise PermissionDeniedError(
                    f"{delegate.full_name} adalah {role_label(sorted(other)[0])} pada {format_date_id(d)}: kursi "
                    f"{label} tidak boleh dipegang oleh organ lain (pemisahan tugas pengurus dan pengawas).",
                    rule="pemisahan_tugas")
        _refuse_overlap(session, coop, role, holder, start, end)

    def _views(self, session: Session, rows: Sequence[Delegation], roster: Roster, today: date) -> list[DelegationView]:
        ids = {r.holder_id for r in rows} | {r.delegate_id for r in rows}
        people = {p.id: p for p in session.scalars(select(Person).where(Person.id.in_(ids)))} if ids else {}
        out = []
        for r in rows:
            holder, delegate = people[r.holder_id], people[r.delegate_id]
            if r.revoked_at is not None:
                state = "dicabut"
            elif r.ends_on < today or (r.starts_on <= today and r.role not in roster.own_roles_on(r.holder_id, today)):
                state = "berakhir"
            elif r.starts_on > today:
                state = "terjadwal"
            else:
                state = "berlaku"
            out.append(DelegationView(r.id, r.role, role_label(r.role), holder.username, holder.full_name,
                                      delegate.username, delegate.full_name, r.starts_on, r.ends_on, r.reason, state,
                                      _sentence(delegate.full_name, r.role, holder.full_name, r.starts_on, r.ends_on),
                                      r.seq, r.revoked_seq))
        return out


def _refuse_overlap(session: Session, coop: Cooperative, role: str, holder: Person, start: date, end: date) -> None:
    """One delegation of a role by its holder at a time."""
    overlap = session.scalar(select(Delegation).where(
        Delegation.coop_id == coop.id, Delegation.role == role, Delegation.holder_id == holder.id,
        Delegation.revoked_at.is_(None), Delegation.starts_on <= end, Delegation.ends_on >= start).limit(1))
    if overlap is not None:
        raise ValidationError([], headline=(
            f"{holder.full_name} sudah mendelegasikan peran {role_label(role)} untuk "
            f"{period_text(overlap.starts_on, overlap.ends_on)}; akhiri dulu delegasi itu."))


def _sentence(delegate: str, role: str, holder: str, start: date, end: date) -> str:
    """``Siti Aminah menjalankan tugas Ketua Pengurus a.n. Budi Santoso, 8–21 Desember 2026``."""
    return f"{delegate} menjalankan tugas {role_label(role)} a.n. {holder}, {period_text(start, end)}"


def _forbidden(coop: Cooperative) -> set[str]:
    value = (coop.settings or {}).get("delegasi_dilarang")
    if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        return set(value)
    return set(DEFAULT_FORBIDDEN)


def _max_days(coop: Cooperative) -> int:
    value = (coop.settings or {}).get("delegasi_maks_hari")
    if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
        return value
    return DEFAULT_MAX_DAYS
