"""Password hashing (argon2id): the only module that knows the algorithm."""

from __future__ import annotations

import contextlib
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from engine.errors import FieldProblem, ValidationError

__all__ = ["MIN_PASSWORD", "check_password", "hash_password"]

MIN_PASSWORD = 8
_HASHER = PasswordHasher()


def hash_password(password: str) -> str:
    """An argon2id hash of a password that passed the policy."""
    if len(password) < MIN_PASSWORD:
        raise ValidationError([FieldProblem("kata sandi", f"minimal {MIN_PASSWORD} karakter")])
    if len(password) > 256:
        raise ValidationError([FieldProblem("kata sandi", "terlalu panjang")])
    return _HASHER.hash(password)


def check_password(stored_hash: str | None, password: str) -> bool:
    """True when the password matches; constant work whether or not the person exists."""
    if not stored_hash:
        with contextlib.suppress(VerificationError):
            _HASHER.verify(_dummy_hash(), password)
        return False
    try:
        return _HASHER.verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _HASHER.hash("tatakelola-dummy-password")
