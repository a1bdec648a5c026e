"""What every use case shares: settings, the database, definitions, the signing key, the clock;
and the lookups and batch loaders they all use (one query per kind of row, never one per case)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from contextlib import suppress
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.adapters.store.db import Database, utcnow
from engine.adapters.store.models import (
    Case,
    CaseEvent,
    Cooperative,
    DefinitionRecord,
    Delegation,
    Person,
    RoleAssignment,
    Vote,
)
from engine.domain.definitions.loader import LoadedDefinition, load_definition_text
from engine.domain.definitions.registry import Registry
from engine.domain.limits import DEFINITION_TITLE, text_problem
from engine.domain.policy import Delegated, History, Roster
from engine.errors import (
    AuditIntegrityError,
    DefinitionChangedError,
    DefinitionError,
    FieldProblem,
    NotFoundError,
    ValidationError,
)
from engine.settings import Settings

if TYPE_CHECKING:  # the key (cryptography) loads when a command first signs or verifies
    from engine.audit.keys import Signer

__all__ = ["Context", "delegations_of", "histories", "rosters", "step_votes"]


class Context:
    """One engine instance: a database, a configuration, the definitions and the clock."""

    def __init__(self, settings: Settings, *, registry: Registry | None = None,
                 clock: Callable[[], datetime] = utcnow) -> None:
        self.settings = settings
        self.db = Database(settings.db_url, busy_timeout=settings.busy_timeout_s)
        self.clock = clock
        self.tz = ZoneInfo(settings.timezone)
        self._registry = registry
        self._signer: Signer | None = None
        self._pinned: dict[str, LoadedDefinition] = {}
        self._lock = threading.Lock()

    @property
    def registry(self) -> Registry:
        """Current workflow definitions: the configured directories, else the shipped ones."""
        if self._registry is None:
            self._registry = Registry.configured(self.settings.workflow_dirs)
        return self._registry

    def know_declared_roles(self) -> None:
        """Load the procedures, which adds the roles they declare (``declared_roles``, a panitia) to the
        catalogue: before a role is checked or named outside a case. A folder with a broken procedure
        leaves them unknown rather than stopping the caller."""
        with suppress(DefinitionError):
            self.registry.all()

    @property
    def signer(self) -> Signer:
        """The checkpoint-signing key (loaded on first use)."""
        if self._signer is None:
            from engine.audit.keys import load_signer

            self._signer = load_signer(self.settings.resolved_key_path)
        return self._signer

    def use_signer(self, signer: Signer) -> None:
        """Use a key just created (by ``init``)."""
        self._signer = signer

    def today(self) -> date:
        """Today's date in the cooperative's time zone."""
        return self.clock().astimezone(self.tz).date()

    # -- definitions ---------------------------------------------------------------------

    def pinned(self, record: DefinitionRecord) -> LoadedDefinition:
        """The definition a case is pinned to, parsed from its stored source and re-hashed."""
        loaded = self._pinned.get(record.sha256)
        if loaded is None:
            loaded = load_definition_text(record.source, f"{record.workflow_id}@{record.version}")
            if loaded.sha256 != record.sha256:
                raise AuditIntegrityError(
                    f"Sumber prosedur {record.workflow_id}@{record.version} di basis data tidak cocok "
                    "dengan hash yang tercatat.")
            with self._lock:
                self._pinned[record.sha256] = loaded
        return loaded

    def register(self, session: Session, loaded: LoadedDefinition) -> DefinitionRecord:
        """The stored record of a definition version, added on first use; refuses a changed file."""
        d = loaded.definition
        record = session.scalar(select(DefinitionRecord).where(
            DefinitionRecord.workflow_id == d.id, DefinitionRecord.version == d.version))
        if record is not None:
            if record.sha256 != loaded.sha256:
                raise DefinitionChangedError(d.id, d.version, record.sha256, loaded.sha256)
            return record
        if problem := text_problem(d.title, max_length=DEFINITION_TITLE):  # both databases must give one answer
            raise ValidationError([FieldProblem("Judul prosedur", problem, "title")],
                                  headline=f"Prosedur '{d.id}' tidak dapat dipakai; perbaiki berkasnya:")
        record = DefinitionRecord(workflow_id=d.id, version=d.version, sha256=loaded.sha256, title=d.title,
                                  source=loaded.source, source_path=Path(loaded.path).name,
                                  registered_at=self.clock())
        session.add(record)
        session.flush()
        return record

    # -- lookups -------------------------------------------------------------------------
    # A key no row can hold (a NUL, an unpaired surrogate, longer than any stored code) is simply not
    # found, without asking the database: PostgreSQL refuses such parameters where SQLite compares them,
    # and both must answer the same.

    @staticmethod
    def coop(session: Session, slug: str) -> Cooperative:
        """The cooperative with this code; NotFoundError otherwise."""
        coop = session.scalar(select(Cooperative).where(Cooperative.slug == slug)) if _storable(slug) else None
        if coop is None:
            raise NotFoundError(f"Koperasi '{slug}' tidak ditemukan. Lihat `tatakelola org list`.")
        return coop

    @staticmethod
    def person(session: Session, username: str) -> Person:
        """The person with this user name; NotFoundError otherwise."""
        person = Context.find_person(session, username)
        if person is None:
            raise NotFoundError(f"Pengguna '{username}' tidak ditemukan.")
        return person

    @staticmethod
    def find_person(session: Session, username: str) -> Person | None:
        """The person with this user name, or None (also for a name no row could hold)."""
        return session.scalar(select(Person).where(Person.username == username)) if _storable(username) else None

    def find_case(self, session: Session, number: str, coop_slug: str | None, person: Person | None,
                  *, lock: bool) -> Case:
        """A case by number; the cooperative (or the person's own) decides when the number is ambiguous.

        The case's cooperative and definition record come in the same statement, so reading them
        afterwards (``session.get``) costs no further query.
        """
        if not _storable(number) or not _storable(coop_slug or ""):
            raise NotFoundError("Kasus tidak ditemukan.")  # no stored number or code holds such characters
        stmt = (select(Case, Cooperative, DefinitionRecord)
                .join(Cooperative, Cooperative.id == Case.coop_id)
                .join(DefinitionRecord, DefinitionRecord.id == Case.definition_id)
                .where(Case.number == number.strip().upper()))
        if coop_slug:
            stmt = stmt.where(Cooperative.slug == coop_slug)
        if lock:
            stmt = stmt.with_for_update(of=Case).execution_options(populate_existing=True)
        cases = [case for case, _coop, _record in session.execute(stmt)]
        if not cases and coop_slug:
            self.coop(session, coop_slug)  # an unknown cooperative is named as such
        if len(cases) > 1 and person is not None:
            mine = set(session.scalars(select(RoleAssignment.coop_id).where(RoleAssignment.person_id == person.id)))
            cases = [c for c in cases if c.coop_id in mine] or cases
        if not cases:
            raise NotFoundError(f"Kasus {number} tidak ditemukan.")
        if len(cases) > 1:
            raise ValidationError([], headline=f"Nomor {number} ada di beberapa koperasi; sebutkan --coop.")
        return cases[0]


# -- batch loaders ---------------------------------------------------------------------------


def rosters(session: Session, coop_ids: Iterable[int]) -> dict[int, Roster]:
    """Every term of office of these cooperatives, one query."""
    ids = set(coop_ids)
    terms: dict[int, list[RoleAssignment]] = {i: [] for i in ids}
    if ids:
        for row in session.scalars(select(RoleAssignment).where(RoleAssignment.coop_id.in_(ids))
                                   .order_by(RoleAssignment.starts_on, RoleAssignment.id)):
            terms[row.coop_id].append(row)
    handed = delegations_of(session, ids)
    return {i: Roster(rows, handed[i]) for i, rows in terms.items()}


def delegations_of(session: Session, coop_ids: Iterable[int]) -> dict[int, list[Delegated]]:
    """Every delegation (a.n.) of these cooperatives as the policy reads them, one query."""
    ids = set(coop_ids)
    out: dict[int, list[Delegated]] = {i: [] for i in ids}
    if ids:
        for row in session.execute(
                select(Delegation.coop_id, Delegation.role, Delegation.holder_id, Delegation.delegate_id,
                       Delegation.starts_on, Delegation.ends_on, Delegation.revoked_at)
                .where(Delegation.coop_id.in_(ids)).order_by(Delegation.starts_on, Delegation.id)):
            out[row.coop_id].append(Delegated(row.role, row.holder_id, row.delegate_id, row.starts_on, row.ends_on,
                                              row.revoked_at is not None))
    return out


def histories(session: Session, case_ids: Iterable[int]) -> tuple[dict[int, History], dict[int, str]]:
    """Each case's events (oldest first) and the names of everyone in them: one query."""
    ids = set(case_ids)
    events: dict[int, list[CaseEvent]] = {i: [] for i in ids}
    usernames: dict[int, str] = {}
    names: dict[int, str] = {}
    if ids:
        for event, username, full_name in session.execute(
                select(CaseEvent, Person.username, Person.full_name).join(Person, Person.id == CaseEvent.actor_id)
                .where(CaseEvent.case_id.in_(ids)).order_by(CaseEvent.seq)):
            events[event.case_id].append(event)
            usernames[event.actor_id], names[event.actor_id] = username, full_name
    return {i: History(rows, usernames) for i, rows in events.items()}, names


def people(session: Session, ids: Iterable[int]) -> tuple[dict[int, str], dict[int, str]]:
    """(id -> username, id -> full name) of these people, one query."""
    wanted = set(ids)
    usernames: dict[int, str] = {}
    names: dict[int, str] = {}
    if wanted:
        for person_id, username, full_name in session.execute(
                select(Person.id, Person.username, Person.full_name).where(Person.id.in_(wanted))):
            usernames[person_id], names[person_id] = username, full_name
    return usernames, names


def step_votes(session: Session, cases: Sequence[Case]) -> dict[int, list[Vote]]:
    """The votes cast at each case's current step, one query."""
    out: dict[int, list[Vote]] = {c.id: [] for c in cases}
    if out:
        steps = {c.id: c.step_no for c in cases}
        for vote in session.scalars(select(Vote).where(Vote.case_id.in_(steps)).order_by(Vote.id)):
            if vote.step_no == steps[vote.case_id]:
                out[vote.case_id].append(vote)
    return out


def _storable(key: str) -> bool:
    """Whether a lookup key could be stored at all (see the lookups above)."""
    if len(key) > 255 or "\x00" in key:
        return False
    try:
        key.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
