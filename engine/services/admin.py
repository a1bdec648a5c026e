"""Administration use cases: set up the database and key, import the organisation, people's logins."""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from sqlalchemy import func, select

from engine.adapters.passwords import check_password, hash_password
from engine.adapters.render.identity import installation_identity
from engine.adapters.store.models import Case, Cooperative, DefinitionRecord, Person, RoleAssignment
from engine.audit.keys import create_key_file
from engine.audit.log import register_key
from engine.domain.policy import Roster
from engine.errors import (
    DefinitionChangedError,
    FieldProblem,
    LoginRefusedError,
    LoginRequiredError,
    TooManyAttemptsError,
    ValidationError,
)
from engine.services.context import Context
from engine.services.members import import_members
from engine.services.organisation import ImportSummary, apply_org, load_org
from engine.services.seats import one_seat
from engine.services.sessions import PASSWORD_CHANGED, PASSWORD_RESET, WebSessions

__all__ = ["Accounts", "Admin", "DocumentCertificate", "LoginThrottle", "wait_words"]


@dataclass(frozen=True)
class DocumentCertificate:
    """The installation's PDF-signing certificate: where it is, whose it is, its SHA-256 fingerprint."""

    path: Path
    key_path: Path
    subject: str
    sha256: str


class Admin:
    """Set-up and organisation data."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def init(self) -> tuple[Path, bool]:
        """Create or upgrade the schema and create the signing key if missing.

        The PDF-signing certificate is made by :meth:`document_certificate` (``tatakelola init``
        calls it) or by the first document issued: a 3072-bit RSA key takes a moment to generate.
        """
        self.ctx.db.upgrade()
        path = self.ctx.settings.resolved_key_path
        created = False
        if not path.exists() or (path.is_file() and path.stat().st_size == 0):  # an empty file holds no key
            self.ctx.use_signer(create_key_file(path, self.ctx.settings.key_name))
            created = True
        with self.ctx.db.session() as session:
            register_key(session, self.ctx.signer, self.ctx.clock())
        return path, created

    def document_certificate(self) -> DocumentCertificate | None:
        """The certificate issued PDFs are signed with (created beside the key if missing); None without a key."""
        identity = installation_identity(self.ctx.settings)
        if identity is None:
            return None
        return DocumentCertificate(self.ctx.settings.document_cert_path, self.ctx.settings.document_key_path,
                                   identity.common_name, identity.fingerprint)

    def import_org(self, path: Path) -> ImportSummary:
        """Import an organisation file (idempotent)."""
        org = load_org(path, [loaded.as_written for loaded in self.ctx.registry.all()])
        self.ctx.db.require_schema()
        with one_seat(), self.ctx.db.session() as session:
            summary = apply_org(session, org, self.ctx.clock())
            for coop_in in org.cooperatives:
                if coop_in.members:
                    coop = self.ctx.coop(session, coop_in.slug)
                    added, updated = import_members(session, coop, coop_in.members, now=self.ctx.clock(),
                                                    signer=self.ctx.signer, actor="operator", source="berkas")
                    summary.members_added += added
                    summary.members_updated += updated
            return summary

    def cooperatives(self) -> list[tuple[Cooperative, int, int]]:
        """Every real cooperative with its count of current role holders and open cases (three queries).

        Sandboxes (``training``) are not cooperatives anyone reports on: ``latihan`` commands list them.
        """
        self.ctx.db.require_schema()
        today = self.ctx.today()
        with self.ctx.db.reader() as session:
            coops = session.scalars(select(Cooperative).where(Cooperative.training.is_(False))
                                    .order_by(Cooperative.slug)).all()
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
        with self.ctx.db.reader() as session:
            known = {(r.workflow_id, r.version): r.sha256 for r in session.scalars(select(DefinitionRecord))}
        for loaded in self.ctx.registry.all():
            d = loaded.definition
            sha = known.get((d.id, d.version))
            if sha is not None and sha != loaded.sha256:
                problems.append(DefinitionChangedError(d.id, d.version, sha, loaded.sha256))
        return problems


@dataclass
class LoginThrottle:
    """Failed logins per key (a user name, an address), with delays that grow instead of a lock-out.

    Each failure is remembered for ``window`` seconds. Once a key has ``limit`` failures, every
    further attempt must wait 2, 4, 8 … seconds after the latest failure (never more than
    ``window``): a guesser gets a handful of tries per window while the real person, told how
    long to wait, still gets in. A success clears only the keys the caller names (its own user
    name), never an address: logging in to one's own account between guesses buys nothing.
    """

    limit: int = 5
    window: float = 300.0
    clock: Callable[[], float] = time.monotonic
    _failures: dict[str, deque[float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    #: Forget keys without recent failures once this many are kept (bounded memory under a spray).
    _SWEEP_AT: ClassVar[int] = 10_000

    def _recent(self, key: str, now: float) -> deque[float]:
        failures = self._failures.setdefault(key, deque())
        while failures and now - failures[0] > self.window:
            failures.popleft()
        return failures

    def delay(self, failures: int) -> float:
        """How long after the latest failure the next attempt must wait, given this many recent failures."""
        if failures < self.limit:
            return 0.0
        return float(min(self.window, 2.0 ** min(failures - self.limit + 1, 62)))

    def blocked_for(self, *keys: str) -> int:
        """Seconds until another attempt is allowed (0 = allowed now)."""
        now = self.clock()
        waits = [0.0]
        with self._lock:
            for key in keys:
                failures = self._recent(key, now)
                if failures:
                    waits.append(failures[-1] + self.delay(len(failures)) - now)
                else:
                    del self._failures[key]
        return math.ceil(max(waits))

    def failed(self, *keys: str) -> None:
        """Record a failed attempt."""
        now = self.clock()
        with self._lock:
            if len(self._failures) >= self._SWEEP_AT:
                for stale in [k for k, f in self._failures.items() if not f or now - f[-1] > self.window]:
                    del self._failures[stale]
            for key in keys:
                self._recent(key, now).append(now)

    def succeeded(self, *keys: str) -> None:
        """Forget these keys' failures (the caller passes the user name's key only, never the address's)."""
        with self._lock:
            for key in keys:
                self._failures.pop(key, None)


def wait_words(seconds: int) -> str:
    """``8 detik`` / ``3 menit``."""
    return f"{seconds} detik" if seconds < 60 else f"{math.ceil(seconds / 60)} menit"


class Accounts:
    """Web logins: argon2id passwords that pass the policy, throttled attempts, sessions ended on change."""

    def __init__(self, ctx: Context, sessions: WebSessions | None = None) -> None:
        self.ctx = ctx
        self.sessions = sessions or WebSessions(ctx)
        self.throttle = LoginThrottle(ctx.settings.login_attempts, ctx.settings.login_window_s)

    def _hash(self, person: Person, password: str, *, check_strength: bool = True) -> str:
        return hash_password(password, user_inputs=(person.username, person.full_name),
                             min_length=self.ctx.settings.password_min_length, check_strength=check_strength)

    def set_password(self, username: str, password: str, *, check_strength: bool = True) -> None:
        """Set a person's web password (argon2id) and end every session of theirs.

        ``check_strength=False`` is for the demo set-up only (see ``hash_password``).
        """
        self.ctx.db.require_schema()
        with self.ctx.db.session() as session:
            person = self.ctx.person(session, username)
            person.password_hash = self._hash(person, password, check_strength=check_strength)
            self.sessions.revoke_all(session, person.id, PASSWORD_RESET)

    def change_password(self, user_id: int, old: str, new: str, again: str, *,
                        session_token: str | None = None) -> str | None:
        """A signed-in person changes their own password; ValidationError says what is wrong.

        Every session of theirs ends, in the same unit of work; the one that made the change
        (``session_token``) goes on under a fresh token, which is returned.
        """
        with self.ctx.db.session() as session:
            person = session.get(Person, user_id)
            if person is None or not check_password(person.password_hash, old):
                raise ValidationError([FieldProblem("Kata sandi lama", "salah", "lama")],
                                      headline="Kata sandi lama salah.")
            if new != again:
                raise ValidationError([FieldProblem("Ulangi kata sandi", "berbeda dengan kata sandi baru", "ulang")],
                                      headline="Kata sandi baru dan ulangannya berbeda.")
            if session_token is not None and self.sessions.check(session, session_token) != person.id:
                raise LoginRequiredError()
            person.password_hash = self._hash(person, new)
            self.sessions.revoke_all(session, person.id, PASSWORD_CHANGED)
            return self.sessions.issue(session, person.id) if session_token is not None else None

    def log_in(self, username: str, password: str, address: str) -> tuple[int, str]:
        """Check a login (throttled per user name and per address); (person id, user name) or raise.

        Someone whose every term of office has ended is refused even with the right password.
        """
        username = username.strip().lower()[:64]
        user_key, address_key = f"u:{username}", f"a:{address}"
        wait = self.throttle.blocked_for(user_key, address_key)
        if wait:
            raise TooManyAttemptsError(f"Terlalu banyak percobaan gagal. Coba lagi dalam {wait_words(wait)}.")
        person_id = None
        serving = False
        with self.ctx.db.session() as session:
            person = self.ctx.find_person(session, username)
            if check_password(person.password_hash if person else None, password[:256]) and person is not None:
                person_id = person.id
                terms = session.scalars(select(RoleAssignment).where(RoleAssignment.person_id == person.id)).all()
                serving = bool(Roster(terms).roles_on(person.id, self.ctx.today()))
        if person_id is None:
            self.throttle.failed(user_key, address_key)
            raise LoginRefusedError("Nama pengguna atau kata sandi salah.")
        self.throttle.succeeded(user_key)
        if not serving:
            raise LoginRefusedError("Anda tidak lagi memegang jabatan atau keanggotaan di koperasi mana pun "
                                    "(masa jabatan berakhir), jadi tidak dapat masuk.")
        return person_id, username
