"""Web sessions a person can end: kept in the database, found by the SHA-256 of a random token.

The browser holds only the token (in the signed cookie); the table holds its hash, who it
belongs to, when it expires and, once ended, when and why. A session ends when its person
logs out, changes their password (every other session of theirs too), has the password reset by
an operator, no longer holds any role anywhere ("masa jabatan berakhir"), or when
``Settings.session_hours`` have passed since logging in. Every signed-in request looks its
session up by primary key; an ended or unknown one is ``LoginRequiredError``.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import delete, update
from sqlalchemy.orm import Session

from engine.adapters.store.db import as_utc
from engine.adapters.store.models import WebSession
from engine.errors import LoginRequiredError
from engine.services.context import Context
from engine.services.dto import User

__all__ = [
    "LOGGED_OUT",
    "PASSWORD_CHANGED",
    "PASSWORD_RESET",
    "REPLACED",
    "TERM_ENDED",
    "WebSessions",
    "token_digest",
]

#: Why a session ended (``web_sessions.reason``; people may read it, so Indonesian).
LOGGED_OUT = "keluar"
PASSWORD_CHANGED = "kata sandi diganti"  # noqa: S105 (a reason, not a password)
PASSWORD_RESET = "kata sandi diatur ulang"  # noqa: S105
TERM_ENDED = "masa jabatan berakhir"
REPLACED = "masuk ulang"

#: ``last_seen_at`` is written at most this often per session (not on every request).
_TOUCH = timedelta(minutes=1)
#: Ended and expired sessions are kept this long (for the person's and the operator's eyes), then purged.
_KEEP = timedelta(days=30)
_MAX_TOKEN = 128


def token_digest(token: str) -> str | None:
    """The stored key of a session token (SHA-256, hex); None for something that is not a token."""
    if not isinstance(token, str) or not 20 <= len(token) <= _MAX_TOKEN:
        return None
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


class WebSessions:
    """Start, check and end web sessions."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    # -- inside a unit of work someone else opened ---------------------------------------------

    def check(self, session: Session, token: str) -> int:
        """The person a live session belongs to (one primary-key read); LoginRequiredError otherwise.

        Works on an open session so that a use case can check the caller in its own unit of work.
        """
        digest = token_digest(token)
        row = session.get(WebSession, digest) if digest else None
        now = self.ctx.clock()
        if row is None:
            raise LoginRequiredError("Sesi tidak dikenal. Silakan masuk lagi.")
        if row.revoked_at is not None:
            raise LoginRequiredError(f"Sesi sudah diakhiri ({row.reason or 'dicabut'}). Silakan masuk lagi.")
        if as_utc(row.expires_at) <= now:
            raise LoginRequiredError("Sesi sudah kedaluwarsa. Silakan masuk lagi.")
        if now - as_utc(row.last_seen_at) >= _TOUCH:
            row.last_seen_at = now
        return row.person_id

    def issue(self, session: Session, person_id: int, user_agent: str | None = None) -> str:
        """Start a session for a person; returns the token (its hash is all that is stored)."""
        now = self.ctx.clock()
        session.execute(delete(WebSession).where(WebSession.person_id == person_id,
                                                 WebSession.expires_at < now - _KEEP))
        token = secrets.token_urlsafe(32)
        digest = token_digest(token)
        assert digest is not None
        session.add(WebSession(id=digest, person_id=person_id, created_at=now, last_seen_at=now,
                               expires_at=now + timedelta(hours=self.ctx.settings.session_hours),
                               user_agent=(user_agent or "")[:200] or None))
        return token

    def revoke(self, session: Session, token: str, reason: str) -> None:
        """End one session (nothing happens for an unknown or already ended one)."""
        digest = token_digest(token)
        if digest:
            session.execute(update(WebSession).where(WebSession.id == digest, WebSession.revoked_at.is_(None))
                            .values(revoked_at=self.ctx.clock(), reason=reason[:60]))

    def revoke_all(self, session: Session, person_id: int, reason: str) -> int:
        """End every live session of a person; how many were ended."""
        now = self.ctx.clock()
        result = session.execute(update(WebSession).where(
            WebSession.person_id == person_id, WebSession.revoked_at.is_(None), WebSession.expires_at > now)
            .values(revoked_at=now, reason=reason[:60]))
        return int(getattr(result, "rowcount", 0) or 0)

    # -- each its own unit of work ---------------------------------------------------------------

    def start(self, person_id: int, user_agent: str | None = None, *, replaces: str | None = None) -> str:
        """Start a session after a successful login, ending the one this browser had before."""
        with self.ctx.db.session() as session:
            if replaces:
                self.revoke(session, replaces, REPLACED)
            return self.issue(session, person_id, user_agent)

    def signed_in(self, token: str, load_user: Callable[[Session, int], User | None]) -> User | None:
        """The person of a live session with the cooperatives they serve today, in one unit of work;
        None sends them to log in. Someone who holds no role anywhere any more has the session ended."""
        if token_digest(token) is None:
            return None
        with self.ctx.db.session() as session:
            try:
                person_id = self.check(session, token)
            except LoginRequiredError:
                return None
            user = load_user(session, person_id)
            if user is not None and not user.memberships:
                self.revoke(session, token, TERM_ENDED)
                return None
            return user

    def end(self, token: str, reason: str = LOGGED_OUT) -> None:
        """End one session (logging out)."""
        if token_digest(token) is None:
            return
        with self.ctx.db.session() as session:
            self.revoke(session, token, reason)
