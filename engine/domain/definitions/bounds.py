"""The limits of the SOP language and of organisation files, declared once (data limits: ``engine.domain.limits``).

Every limit is checked before a deep or large Python object is built from the file, and every
refusal is a located ``file:line:col`` problem in Indonesian (never a RecursionError, a hang or a
crash of the YAML library).
"""

from __future__ import annotations

import re

from engine.domain.limits import SAFE_INTEGER

__all__ = [
    "MAX_DEADLINE",
    "MAX_DEADLINE_DAYS",
    "MAX_GUARD_CHARS",
    "MAX_GUARD_DEPTH",
    "MAX_GUARD_TOKENS",
    "MAX_INT",
    "MAX_NUMBER_CHARS",
    "MAX_VERSION",
    "MAX_YAML_BYTES",
    "MAX_YAML_DEPTH",
    "MAX_YAML_NODES",
    "guard_size_problem",
]

#: Largest file the loaders read (a shipped procedure is 10-30 KB).
MAX_YAML_BYTES = 1_000_000
#: Deepest nesting of mappings and lists (a procedure needs 6; aliases count at their full depth).
MAX_YAML_DEPTH = 64
#: Most nodes (keys, values, items) a file may hold once its aliases are expanded: a "billion laughs"
#: stops here, and the slowest file still loads in seconds (a procedure has ~1,000, a register of 5,000
#: members ~75,000).
MAX_YAML_NODES = 100_000
#: Longest number written in a file (digits and signs); longer ones are refused before conversion.
MAX_NUMBER_CHARS = 40
#: Largest integer a file may hold: what JSON, SQLite and PostgreSQL all keep exactly (2^53 - 1).
MAX_INT = SAFE_INTEGER
#: Highest version number of a procedure (stored in a 32-bit column).
MAX_VERSION = 1_000_000

#: Longest deadline of a step: ten years.
MAX_DEADLINE_DAYS = 3650
#: The same limit per unit of a deadline.
MAX_DEADLINE: dict[str, int] = {"jam": MAX_DEADLINE_DAYS * 24, "hari": MAX_DEADLINE_DAYS,
                                "hari kerja": MAX_DEADLINE_DAYS * 5 // 7}

#: Longest guard expression (``when``), in characters; the shipped ones are under 200.
MAX_GUARD_CHARS = 1000
#: Most tokens (names, numbers, operators, brackets) in a guard.
MAX_GUARD_TOKENS = 120
#: Deepest nesting of brackets in a guard.
MAX_GUARD_DEPTH = 12

_TOKEN = re.compile(r"""\s*(?:"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|[A-Za-z_][A-Za-z0-9_]*|\d[\d_.]*"""
                    r"""|\*\*|//|[<>=!]=|.)""", re.DOTALL)


_OPENING = frozenset("([{")
_CLOSING = frozenset(")]}")


def guard_size_problem(expression: str) -> str | None:
    """Why a guard is too large to parse safely, or None. Counted without parsing it."""
    if len(expression) > MAX_GUARD_CHARS:
        return f"syarat terlalu panjang ({len(expression)} karakter; maks. {MAX_GUARD_CHARS})"
    tokens = [t.strip() for t in _TOKEN.findall(expression) if t.strip()]
    if len(tokens) > MAX_GUARD_TOKENS:
        return f"syarat terlalu rumit ({len(tokens)} unsur; maks. {MAX_GUARD_TOKENS}): pecah menjadi beberapa aksi"
    depth = deepest = 0
    for part in tokens:
        if part in _OPENING:
            depth += 1
            deepest = max(deepest, depth)
        elif part in _CLOSING:
            depth -= 1
    if deepest > MAX_GUARD_DEPTH:
        return f"kurung dalam syarat terlalu bertingkat ({deepest} tingkat; maks. {MAX_GUARD_DEPTH})"
    return None
