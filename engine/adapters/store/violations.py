"""What a refused write was refused by: the database's own invariants, read back from the driver's error.

The services turn these into named errors of the one error tree (never the driver's text).
"""

from __future__ import annotations

import re

from sqlalchemy.exc import IntegrityError

from engine.adapters.store.models import ONE_SEAT_CONSTRAINT

__all__ = ["is_request_clash", "one_seat_role"]

#: SQLite: the trigger's message ``ex_role_assignments_one_seat: ketua``.
_SQLITE_SEAT = re.compile(re.escape(ONE_SEAT_CONSTRAINT) + r": ([a-z_]+)")
#: PostgreSQL: the exclusion constraint's detail ``Key (coop_id, role, ...)=(1, ketua, ...) conflicts ...``.
_POSTGRES_SEAT = re.compile(r"\)=\(\d+, ([a-z_]+),")


def one_seat_role(exc: IntegrityError) -> str | None:
    """The single-seat role a write would have given two holders on one day, or None for another error."""
    text = str(exc.orig)
    found = _SQLITE_SEAT.search(text)
    if found:
        return found.group(1)
    diag = getattr(exc.orig, "diag", None)
    if diag is None or getattr(diag, "constraint_name", None) != ONE_SEAT_CONSTRAINT:
        return None
    detail = _POSTGRES_SEAT.search(getattr(diag, "message_detail", None) or "")
    return detail.group(1) if detail else ""


def is_request_clash(exc: IntegrityError) -> bool:
    """True when another unit of work saved the same client request id first (a concurrent retry)."""
    return "idempotency_keys" in str(exc.orig)
