"""Training mode ("latihan"): each person's own sandbox cooperative, sealed off from the real ones.

A sandbox is a cooperative with ``training`` set, its own log head and its own trail, so nothing done
in it reaches a real cooperative's trail. Its organs are filled: the trainee holds the seats he holds in
his real cooperative (or the one he asks to practise), and practice colleagues (people without a
password, ``latihan.<user>.<seat>``, "Rina (rekan latihan)") hold every other seat, so that a whole
procedure can be run through. Segregation of duties still applies: in his sandbox, and there only,
the trainee may act *as* a colleague, and the engine then applies every rule to that colleague. The
trail records it honestly: the actor is the colleague, and the comment starts with
``[Latihan: dilakukan oleh <trainee>]``.

Every write here goes to a training cooperative only (:func:`_sandbox` asserts it); the owner is
recorded in the sandbox's settings (``latihan_pemilik``), never inferred from its code.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.adapters.store.models import Cooperative, DefinitionRecord, Person, RoleAssignment
from engine.audit.log import create_head
from engine.domain.roles import role_label
from engine.errors import FieldProblem, LoginRequiredError, PermissionDeniedError, ValidationError
from engine.services.cases import CaseCommands, Upload
from engine.services.context import Context, rosters
from engine.services.dto import ActResult
from engine.services.members import MemberIn, import_members
from engine.services.seats import one_seat

__all__ = ["COLLEAGUE_PREFIX", "OWNER_SETTING", "Colleague", "Sandbox", "Training", "trail_comment"]

#: The sandbox's setting that names its owner (a user name).
OWNER_SETTING = "latihan_pemilik"
#: Every practice colleague's user name starts with this.
COLLEAGUE_PREFIX = "latihan."
#: What a sandbox's name starts with.
NAME_PREFIX = "Koperasi Latihan – "
#: Seats the trainee may practise, in the order a sandbox fills them. Each is held by the trainee or by a colleague.
SEATS: tuple[tuple[str, str], ...] = (
    ("ketua", "Hendra"),
    ("wakil_ketua_usaha", "Yusuf"),
    ("wakil_ketua_anggota", "Lestari"),
    ("sekretaris", "Rina"),
    ("bendahara", "Dewi"),
    ("manajer", "Andi"),
    ("ketua_pengawas", "Harun"),
)
#: Seats of roles with more than one holder, always filled by colleagues: (key, role, first name).
OPEN_SEATS: tuple[tuple[str, str, str], ...] = (
    ("pengawas1", "pengawas", "Yanti"),
    ("pengawas2", "pengawas", "Bagas"),
    ("anggota1", "anggota", "Wati"),
    ("anggota2", "anggota", "Joko"),
    ("anggota3", "anggota", "Sinta"),
)
#: The member who chairs the meetings (pimpinan rapat anggota).
CHAIR = "anggota1"
#: What the trainee practises when his real roles give no seat of :data:`SEATS` (a member, a Dinas officer).
DEFAULT_SEAT = "bendahara"
_SEAT_ROLES = {role for role, _ in SEATS}
_TRAINEE_EXTRA = {"pengawas", "anggota", "karyawan", "kasir", "pimpinan_rapat"}


@dataclass(frozen=True)
class Colleague:
    """A practice colleague (or the trainee) holding seats in a sandbox."""

    username: str
    name: str
    roles: tuple[str, ...]

    @property
    def label(self) -> str:
        """``Rina (rekan latihan) — Sekretaris``."""
        shown = [r for r in self.roles if r != "anggota"] or list(self.roles)  # a seat says more than membership
        return f"{self.name} — {', '.join(role_label(r) for r in shown)}"


@dataclass(frozen=True)
class Sandbox:
    """A person's sandbox cooperative: its code and name, who holds which seat."""

    slug: str
    name: str
    owner: str
    trainee_roles: tuple[str, ...]
    colleagues: tuple[Colleague, ...]
    created: bool = False


def trail_comment(owner: str, comment: str | None) -> str:
    """The comment an action taken as a colleague carries on the sandbox's trail."""
    prefix = f"[Latihan: dilakukan oleh {owner}]"
    text = (comment or "").strip()
    return f"{prefix} {text}" if text else prefix


def _slug_part(username: str) -> str:
    part = re.sub(r"[^a-z0-9-]+", "-", username.lower()).strip("-") or "pengguna"
    return part[:40].rstrip("-")


def colleague_username(owner: str, key: str) -> str:
    """``latihan.<owner>.<key>`` (an owner's long name shortened with a hash so it fits 64 characters)."""
    name = f"{COLLEAGUE_PREFIX}{owner}.{key}"
    if len(name) <= 64:
        return name
    short = f"{owner[:30]}~{hashlib.sha256(owner.encode()).hexdigest()[:8]}"
    return f"{COLLEAGUE_PREFIX}{short}.{key}"


def _colleague_base(owner: str) -> str:
    return colleague_username(owner, "x")[:-1]


def _sandbox(coop: Cooperative) -> Cooperative:
    """The one guard every write of this module passes: a real cooperative is never written here."""
    if not coop.training:
        raise PermissionDeniedError(f"{coop.name} bukan koperasi latihan; mode latihan tidak mengubah koperasi "
                                    "sungguhan.", rule="latihan")
    return coop


class Training:
    """Open, reset and use a person's sandbox cooperative."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    # -- reading -------------------------------------------------------------------------

    def current(self, username: str) -> Sandbox | None:
        """The person's current sandbox (the newest they own and still serve in), or None."""
        self.ctx.db.require_schema()
        with self.ctx.db.reader() as session:
            person = self.ctx.person(session, username)
            coop = self._current(session, person)
            return self._describe(session, coop, person.username) if coop is not None else None

    def _current(self, session: Session, person: Person) -> Cooperative | None:
        today = self.ctx.today()
        owned = [c for c in session.scalars(
            select(Cooperative).join(RoleAssignment, RoleAssignment.coop_id == Cooperative.id)
            .where(Cooperative.training.is_(True), RoleAssignment.person_id == person.id,
                   (RoleAssignment.ends_on.is_(None)) | (RoleAssignment.ends_on >= today))
            .order_by(Cooperative.id.desc())).unique()
            if c.settings.get(OWNER_SETTING) == person.username]
        return owned[0] if owned else None

    def _describe(self, session: Session, coop: Cooperative, owner: str, *, created: bool = False) -> Sandbox:
        today = self.ctx.today()
        roster = rosters(session, [coop.id])[coop.id]
        people = {p.id: p for p in session.scalars(select(Person).where(Person.id.in_(roster.people())))}
        trainee: tuple[str, ...] = ()
        colleagues = []
        for person_id, person in sorted(people.items(), key=lambda item: item[1].username):
            held = tuple(sorted(roster.own_roles_on(person_id, today)))
            if not held:
                continue
            if person.username == owner:
                trainee = held
            elif person.username.startswith(_colleague_base(owner)):
                colleagues.append(Colleague(person.username, person.full_name, held))
        order = {role: i for i, (role, _) in enumerate(SEATS)}
        colleagues.sort(key=lambda c: (min(order.get(r, 99) for r in c.roles), c.username))
        return Sandbox(coop.slug, coop.name, owner, trainee, tuple(colleagues), created)

    def colleague(self, owner: str, slug: str, colleague: str) -> str:
        """``colleague``'s user name when ``owner`` may act as him in ``slug``; PermissionDeniedError otherwise.

        Three things must hold, all read from the database, never from a form: the cooperative is a
        sandbox, ``owner`` is its owner, and ``colleague`` is one of the owner's practice colleagues
        serving in it today.
        """
        self.ctx.db.require_schema()
        with self.ctx.db.reader() as session:
            return self._colleague(session, owner, slug, colleague)

    def _colleague(self, session: Session, owner: str, slug: str, colleague: str) -> str:
        coop = self.ctx.coop(session, slug)
        if not coop.training:
            raise PermissionDeniedError("Bertindak sebagai orang lain hanya mungkin di koperasi latihan. Di koperasi "
                                        "sungguhan setiap orang bertindak atas namanya sendiri.", rule="latihan")
        if coop.settings.get(OWNER_SETTING) != owner:
            raise PermissionDeniedError("Hanya pemilik ruang latihan ini yang dapat bertindak sebagai rekan "
                                        "latihannya.", rule="latihan")
        person = self.ctx.find_person(session, colleague)
        if person is None or person.username == owner or not person.username.startswith(_colleague_base(owner)) \
                or not _own_roles(session, coop.id, person.id, self.ctx.today()):
            raise PermissionDeniedError(f"'{colleague[:64]}' bukan rekan latihan di ruang latihan ini.",
                                        rule="latihan")
        return person.username

    # -- opening and resetting -------------------------------------------------------------

    def open_for(self, username: str, role: str | None = None) -> Sandbox:
        """The person's sandbox: the current one, else a new one (``role``: the seat to practise, new ones only)."""
        self.ctx.db.require_schema()
        with one_seat(), self.ctx.db.session() as session:
            person = self._trainee(session, username)
            coop = self._current(session, person)
            if coop is not None:
                return self._describe(session, coop, person.username)
            return self._create(session, person, role)

    def reset(self, username: str, role: str | None = None) -> Sandbox:
        """Start afresh: a new sandbox (new code); the old one and its trail stay as they are.

        The trainee's seats in the old sandbox end yesterday (it leaves his menu); nothing is deleted.
        """
        self.ctx.db.require_schema()
        with one_seat(), self.ctx.db.session() as session:
            person = self._trainee(session, username)
            old = self._current(session, person)
            if old is not None:
                _sandbox(old)
                yesterday = self.ctx.today() - timedelta(days=1)
                for term in session.scalars(select(RoleAssignment).where(
                        RoleAssignment.coop_id == old.id, RoleAssignment.person_id == person.id)):
                    if term.ends_on is None or term.ends_on > yesterday:
                        term.ends_on = max(yesterday, term.starts_on)
            return self._create(session, person, role)

    def _trainee(self, session: Session, username: str) -> Person:
        person = self.ctx.person(session, username)
        if person.username.startswith(COLLEAGUE_PREFIX):
            raise PermissionDeniedError("Rekan latihan tidak dapat membuka ruang latihan sendiri.", rule="latihan")
        return person

    def _real_terms(self, session: Session, person: Person) -> list[tuple[RoleAssignment, Cooperative]]:
        today = self.ctx.today()
        return [(row[0], row[1]) for row in session.execute(
            select(RoleAssignment, Cooperative).join(Cooperative, Cooperative.id == RoleAssignment.coop_id)
            .where(RoleAssignment.person_id == person.id, Cooperative.training.is_(False),
                   RoleAssignment.starts_on <= today,
                   (RoleAssignment.ends_on.is_(None)) | (RoleAssignment.ends_on >= today))
            .order_by(Cooperative.name, Cooperative.id, RoleAssignment.id))]

    def _create(self, session: Session, person: Person, role: str | None) -> Sandbox:
        now = self.ctx.clock()
        today = self.ctx.today()
        terms = self._real_terms(session, person)
        if not terms:
            raise PermissionDeniedError("Ruang latihan hanya untuk orang yang memegang jabatan atau keanggotaan di "
                                        "sebuah koperasi hari ini.", rule="latihan")
        real = terms[0][1]  # the first cooperative the person serves: its AD/ART settings and place
        held = {t.role for t, c in terms if c.id == real.id}
        if role is not None:
            if role not in _SEAT_ROLES:
                choices = ", ".join(f"{r} ({role_label(r)})" for r, _ in SEATS)
                raise ValidationError([FieldProblem("Peran", f"pilih salah satu: {choices}", "peran")],
                                      headline="Peran latihan tidak dikenal.")
            mine = {role}
        else:
            mine = held & (_SEAT_ROLES | {"pengawas"}) or {DEFAULT_SEAT}
        mine |= (held & _TRAINEE_EXTRA) | {"anggota"}
        ends = [t.ends_on for t, c in terms]
        # The sandbox lets in no one whose real terms have ended: the trainee's seats there end with them.
        until = None if any(e is None for e in ends) else max(e for e in ends if e is not None)
        since = date(today.year - 1, 1, 1)  # seats held since last year: meetings dated in the past still count
        coop = Cooperative(slug=self._free_slug(session, person.username),
                           name=(NAME_PREFIX + person.full_name)[:200], city=real.city, kelurahan=real.kelurahan,
                           settings={**real.settings, OWNER_SETTING: person.username}, created_at=now, training=True)
        session.add(coop)
        session.flush()
        _sandbox(coop)
        create_head(session, coop, now)
        for seat in sorted(mine):
            session.add(RoleAssignment(coop_id=coop.id, person_id=person.id, role=seat, starts_on=since,
                                           ends_on=until, note="Peserta latihan"))
        people: list[tuple[Person, str]] = []  # (person, their member-register name) in seat order
        for seat, first in SEATS:
            if seat in mine:
                continue
            colleague = self._colleague_person(session, person, seat, first, now)
            people.append((colleague, colleague.full_name))
            for held_role in (seat, "anggota"):
                session.add(RoleAssignment(coop_id=coop.id, person_id=colleague.id, role=held_role, starts_on=since,
                                           note="Rekan latihan"))
        for key, seat, first in OPEN_SEATS:
            colleague = self._colleague_person(session, person, key, first, now)
            people.append((colleague, colleague.full_name))
            roles = {seat, "anggota"}
            if key == CHAIR and "pimpinan_rapat" not in mine:
                roles.add("pimpinan_rapat")
            for held_role in sorted(roles):
                session.add(RoleAssignment(coop_id=coop.id, person_id=colleague.id, role=held_role, starts_on=since,
                                           note="Rekan latihan"))
        session.flush()
        register = [MemberIn(number="0001", name=person.full_name[:120], nik=_practice_nik(coop.slug, 1),
                             joined=since)]
        register += [MemberIn(number=f"{i:04d}", name=name[:120], nik=_practice_nik(coop.slug, i), joined=since)
                     for i, (_, name) in enumerate(people, start=2)]
        import_members(session, coop, register, now=now, signer=self.ctx.signer, actor="latihan", source="latihan")
        session.flush()
        return self._describe(session, coop, person.username, created=True)

    def _colleague_person(self, session: Session, owner: Person, key: str, first: str, now: datetime) -> Person:
        username = colleague_username(owner.username, key)
        person = self.ctx.find_person(session, username)
        if person is None:
            person = Person(username=username, full_name=f"{first} (rekan latihan)", created_at=now)
            session.add(person)
            session.flush()
            return person
        real = session.scalar(select(RoleAssignment.id).join(Cooperative, Cooperative.id == RoleAssignment.coop_id)
                              .where(RoleAssignment.person_id == person.id, Cooperative.training.is_(False)).limit(1))
        if person.password_hash is not None or real is not None:
            raise PermissionDeniedError(f"Nama pengguna {username} sudah dipakai orang sungguhan; ruang latihan "
                                        "tidak dibuat. Hubungi operator.", rule="latihan")
        return person

    @staticmethod
    def _free_slug(session: Session, username: str) -> str:
        base = f"latihan-{_slug_part(username)}"
        taken = set(session.scalars(select(Cooperative.slug).where(Cooperative.slug.like(f"{base}%"))))
        if base not in taken:
            return base
        n = 2
        while f"{base}-{n}" in taken:
            n += 1
        return f"{base}-{n}"

    # -- acting as a colleague ---------------------------------------------------------------

    def act_as(self, owner: str, colleague: str, slug: str, number: str, action_id: str, *,
               values: Mapping[str, str], checks: Sequence[str], comment: str | None,
               files: Mapping[str, Upload], expected_step: int | None, session_token: str | None,
               request_id: str | None = None) -> ActResult:
        """Take an action in a sandbox as a practice colleague: every rule of the engine applies to him.

        The trail records the colleague as the actor and the trainee in the comment (:func:`trail_comment`).
        A reason the action requires must still be written: the prefix alone is not one.
        """
        from engine.services.sessions import WebSessions

        self.ctx.db.require_schema()
        with self.ctx.db.reader() as session:
            acting = self._colleague(session, owner, slug, colleague)
            if session_token is not None:
                person = self.ctx.person(session, owner)
                if WebSessions(self.ctx).check(session, session_token) != person.id:
                    raise LoginRequiredError("Sesi ini milik orang lain. Silakan masuk lagi.")
            if not (comment or "").strip():
                case = self.ctx.find_case(session, number, slug, None, lock=False)
                record = session.get_one(DefinitionRecord, case.definition_id)
                d = self.ctx.pinned(record).definition
                needing = [a for a in d.actions if a.id == action_id and case.state in a.from_ and a.requires_comment]
                if needing:
                    raise ValidationError([FieldProblem("catatan", f"wajib diisi untuk '{needing[0].display}'",
                                                        "comment")], headline=f"Belum dapat '{needing[0].display}':")
        return CaseCommands(self.ctx).act(
            number, action_id, acting, values=values, checks=checks, comment=trail_comment(owner, comment),
            files=files, coop_slug=slug, expected_step=expected_step, member_only=True,
            request_id=request_id)

    def start_as(self, owner: str, colleague: str, slug: str, workflow_id: str, *, values: Mapping[str, str],
                 files: Mapping[str, Upload], comment: str | None, request_id: str | None = None) -> str:
        """Start a case in a sandbox as a practice colleague; its number."""
        acting = self.colleague(owner, slug, colleague)
        return CaseCommands(self.ctx).start(workflow_id, slug, acting, values=values, files=files,
                                            comment=trail_comment(owner, comment), request_id=request_id)


def _own_roles(session: Session, coop_id: int, person_id: int, day: date) -> set[str]:
    return {t.role for t in session.scalars(select(RoleAssignment).where(
        RoleAssignment.coop_id == coop_id, RoleAssignment.person_id == person_id, RoleAssignment.starts_on <= day,
        (RoleAssignment.ends_on.is_(None)) | (RoleAssignment.ends_on >= day)))}


def _practice_nik(slug: str, n: int) -> str:
    """A 16-digit NIK no real person holds (province code 99 does not exist), distinct per sandbox line."""
    digest = int(hashlib.sha256(slug.encode()).hexdigest()[:8], 16) % 10**8
    return f"99{digest:08d}{n:06d}"
