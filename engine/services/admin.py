"""Administration use cases: set up the database and key, import the organisation, people's logins."""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, select

from engine.adapters.passwords import check_password, hash_password
from engine.adapters.store.models import Case, Cooperative, DefinitionRecord, Person, RoleAssignment
from engine.audit.keys import create_key_file
from engine.audit.log import register_key
from engine.errors import (
    DefinitionChangedError,
    FieldProblem,
    LoginRefusedError,
    NotFoundError,
    TooManyAttemptsError,
    ValidationError,
)
from engine.services.context import Context
from engine.services.organisation import ImportSummary, apply_org, load_org

__all__ = ["Accounts", "Admin", "LoginThrottle"]


class Admin:
    """Set-up and organisation data."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def init(self) -> tuple[Path, bool]:
        """Create or upgrade the schema and create the signing key if missing."""
        self.ctx.db.upgrade()
        path = self.ctx.settings.resolved_key_path
        created = False
        if not path.exists():
            self.ctx.use_signer(create_key_file(path, self.ctx.settings.key_name))
            created = True
        with self.ctx.db.session() as session:
            register_key(session, self.ctx.signer, self.ctx.clock())
        return path, created

    def import_org(self, path: Path) -> ImportSummary:
        """Import an organisation file (idempotent)."""
        org = load_org(path)
        self.ctx.db.require_schema()
        with self.ctx.db.session() as session:
            return apply_org(session, org, self.ctx.clock())

    def cooperatives(self) -> list[tuple[Cooperative, int, int]]:
        """Every cooperative with its count of current role holders and open cases (three queries)."""
        self.ctx.db.require_schema()
        today = self.ctx.today()
        with self.ctx.db.session() as session:
            coops = session.scalars(select(Cooperative).order_by(Cooperative.slug)).all()
            holders = dict(session.execute(
                select(RoleAssignment.coop_id, func.count(func.distinct(RoleAssignment.person_id)))
                .where(RoleAssignment.starts_on <= today,
                       (RoleAssignment.ends_on.is_(None)) | (RoleAssignment.ends_on >= today))
                .group_by(RoleAssignment.coop_id)).all())
            open_cases = dict(session.execute(
                select(Case.coop_id, func.count(Case.id)).where(Case.closed_at.is_(None))
                .group_by(Case.coop_id)).all())
            return [(c, int(holders.get(c.id, 0)), int(open_cases.get(c.id, 0))) for c in coops]

    def check_registered(self) -> list[DefinitionChangedError]:
        """Definitions whose file changed without a version bump since the database saw them."""
        problems = []
        with self.ctx.db.session() as session:
            known = {(r.workflow_id, r.version): r.sha256 for r in session.scalars(select(DefinitionRecord))}
        for loaded in self.ctx.registry.all():
            d = loaded.definition
            sha = known.get((d.id, d.version))
            if sha is not None and sha != loaded.sha256:
                problems.append(DefinitionChangedError(d.id, d.version, sha, loaded.sha256))
        return problems


@dataclass
class LoginThrottle:
    """At most ``limit`` failed logins per key (username and address) per ``window`` seconds."""

    limit: int = 5
    window: float = 300.0
    _failures: dict[str, deque[float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _recent(self, key: str, now: float) -> deque[float]:
        failures = self._failures.setdefault(key, deque())
        while failures and now - failures[0] > self.window:
            failures.popleft()
        return failures

    def blocked_for(self, *keys: str) -> int:
        """Seconds until another attempt is allowed (0 = allowed now)."""
        now = time.monotonic()
        with self._lock:
            waits = [int(self.window - (now - f[0])) + 1 for k in keys
                     if len(f := self._recent(k, now)) >= self.limit]
        return max(waits, default=0)

    def failed(self, *keys: str) -> None:
        """Record a failed attempt."""
        now = time.monotonic()
        with self._lock:
            for key in keys:
                self._recent(key, now).append(now)

    def succeeded(self, *keys: str) -> None:
        """Forget failures after a successful login."""
        with self._lock:
            for key in keys:
                self._failures.pop(key, None)


class Accounts:
    """Web logins: argon2id passwords, throttled attempts."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.throttle = LoginThrottle(ctx.settings.login_attempts, ctx.settings.login_window_s)

    def set_password(self, username: str, password: str) -> None:
        """Set a person's web password (argon2id)."""
        self.ctx.db.require_schema()
        with self.ctx.db.session() as session:
            person = session.scalar(select(Person).where(Person.username == username))
            if person is None:
                raise NotFoundError(f"Pengguna '{username}' tidak ditemukan.")
            person.password_hash = hash_password(password)

    def change_password(self, user_id: int, old: str, new: str, again: str) -> None:
        """A signed-in person changes their own password; ValidationError says what is wrong."""
        with self.ctx.db.session() as session:
            person = session.get(Person, user_id)
            if person is None or not check_password(person.password_hash, old):
                raise ValidationError([FieldProblem("Kata sandi lama", "salah", "lama")],
                                      headline="Kata sandi lama salah.")
            if new != again:
                raise ValidationError([FieldProblem("Ulangi kata sandi", "berbeda dengan kata sandi baru", "ulang")],
                                      headline="Kata sandi baru dan ulangannya berbeda.")
            person.password_hash = hash_password(new)

    def log_in(self, username: str, password: str, address: str) -> tuple[int, str]:
        """Check a login (throttled per user name and per address); (person id, user name) or raise."""
        username = username.strip().lower()[:64]
        keys = (f"u:{username}", f"a:{address}")
        wait = self.throttle.blocked_for(*keys)
        if wait:
            raise TooManyAttemptsError(f"Terlalu banyak percobaan gagal. Coba lagi dalam {wait // 60 + 1} menit.")
        person_id = None
        with self.ctx.db.session() as session:
            person = session.scalar(select(Person).where(Person.username == username))
            if check_password(person.password_hash if person else None, password[:256]) and person is not None:
                person_id = person.id
        if person_id is None:
            self.throttle.failed(*keys)
            raise LoginRefusedError("Nama pengguna atau kata sandi salah.")
        self.throttle.succeeded(*keys)
        return person_id, username


