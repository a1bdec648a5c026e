"""People's passwords (argon2id) and login throttling."""

from __future__ import annotations

import contextlib
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.adapters.store.models import Person
from engine.errors import FieldProblem, NotFoundError, ValidationError

__all__ = ["MIN_PASSWORD", "LoginThrottle", "check_password", "hash_password", "set_password"]

MIN_PASSWORD = 8
_HASHER = PasswordHasher()


def hash_password(password: str) -> str:
    """An argon2id hash of a password that passed the policy."""
    if len(password) < MIN_PASSWORD:
        raise ValidationError([FieldProblem("kata sandi", f"minimal {MIN_PASSWORD} karakter")])
    if len(password) > 256:
        raise ValidationError([FieldProblem("kata sandi", "terlalu panjang")])
    return _HASHER.hash(password)


def check_password(person: Person | None, password: str) -> bool:
    """True when the password matches; constant work whether or not the person exists."""
    if person is None or not person.password_hash:
        with contextlib.suppress(VerificationError):
            _HASHER.verify(_dummy_hash(), password)
        return False
    try:
        return _HASHER.verify(person.password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _HASHER.hash("tatakelola-dummy-password")


def set_password(session: Session, username: str, password: str) -> None:
    """Set a person's password."""
    person = session.scalar(select(Person).where(Person.username == username))
    if person is None:
        raise NotFoundError(f"Pengguna '{username}' tidak ditemukan.")
    person.password_hash = hash_password(password)


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
