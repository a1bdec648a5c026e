"""Password hashing (argon2id) and the password policy: the only module that knows either.

The policy: at least ``min_length`` characters (``Settings.password_min_length``) and not easy
to guess, as zxcvbn estimates it (score 3 of 4 or better, judged against common passwords,
names, keyboard patterns, dates and the person's own user name and name). zxcvbn's feedback is
English; people read a short Indonesian sentence chosen from the kind of weakness found.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from engine.errors import FieldProblem, ValidationError

__all__ = ["MAX_PASSWORD", "MIN_PASSWORD", "MIN_SCORE", "check_password", "hash_password", "password_problem"]

#: The default of ``Settings.password_min_length``.
MIN_PASSWORD = 10
MAX_PASSWORD = 256
#: zxcvbn's score runs 0 (guessed in a few tries) to 4; 3 = "safely unguessable" for an online attack.
MIN_SCORE = 3
_HASHER = PasswordHasher()

#: Words every password of this installation should avoid besides the person's own names.
_CONTEXT_WORDS = ("tatakelola", "koperasi", "kkmp", "kdmp", "merahputih", "merah", "putih", "sandi", "katasandi")

_WHY: Mapping[str, str] = {
    "passwords": "termasuk kata sandi yang paling sering dipakai orang",
    "user_inputs": "memuat nama pengguna atau nama Anda sendiri",
    "context": "memuat kata yang mudah ditebak di sini (nama aplikasi atau koperasi)",
    "dictionary": "terdiri dari kata atau nama yang umum",
    "sequence": "memuat deret yang mudah ditebak (mis. 1234 atau abcd)",
    "repeat": "memuat pengulangan (mis. aaaa atau abcabc)",
    "spatial": "memuat pola papan ketik (mis. qwerty atau asdf)",
    "date": "memuat tanggal atau tahun",
    "regex": "memuat tanggal atau tahun",
    "bruteforce": "terlalu pendek atau sederhana",
}


def _why(match: Mapping[str, Any], context: set[str]) -> str:
    """The Indonesian reason for the weakest part of a password (zxcvbn's longest match)."""
    pattern = str(match.get("pattern", ""))
    if pattern == "dictionary":
        name = str(match.get("dictionary_name", ""))
        if name == "user_inputs":
            word = str(match.get("matched_word", ""))
            return _WHY["context"] if word in context else _WHY["user_inputs"]
        if name == "passwords":
            return _WHY["passwords"]
        return _WHY["dictionary"]
    return _WHY.get(pattern, _WHY["bruteforce"])


def password_problem(password: str, user_inputs: Iterable[str] = (), *, min_length: int = MIN_PASSWORD) -> str | None:
    """Why a password is refused (an Indonesian phrase), or None when it may be used."""
    if len(password) < min_length:
        return f"minimal {min_length} karakter"
    if len(password) > MAX_PASSWORD:
        return "terlalu panjang"
    from zxcvbn import zxcvbn  # its dictionaries load on first use, not when the engine starts

    context = set(_CONTEXT_WORDS)
    inputs = [w.lower() for text in user_inputs for w in str(text).replace(".", " ").replace(",", " ").split()
              if len(w) >= 3]
    result = zxcvbn(password[:100], user_inputs=[*inputs, *context])
    if int(result["score"]) >= MIN_SCORE:
        return None
    sequence = [m for m in result.get("sequence", ()) if isinstance(m, Mapping)]
    weakest = max(sequence, key=lambda m: len(str(m.get("token", ""))), default={})
    return (f"terlalu mudah ditebak: {_why(weakest, context)}. "
            "Pakai beberapa kata yang tidak lazim, dipisah tanda hubung atau spasi.")


def hash_password(password: str, *, user_inputs: Iterable[str] = (), min_length: int = MIN_PASSWORD,
                  check_strength: bool = True) -> str:
    """An argon2id hash of a password that passed the policy (ValidationError says why not).

    ``check_strength=False`` skips the length and guessability checks. It exists for one caller
    only: the demo set-up, whose published passwords (``NAMA-demo``) are weak on purpose. No path
    where a person chooses a password (``tatakelola user password``, the web form) may pass it.
    """
    if check_strength:
        problem = password_problem(password, user_inputs, min_length=min_length)
        if problem is not None:
            raise ValidationError([FieldProblem("kata sandi", problem)])
    elif not password or len(password) > MAX_PASSWORD:
        raise ValidationError([FieldProblem("kata sandi", "kosong atau terlalu panjang")])
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
