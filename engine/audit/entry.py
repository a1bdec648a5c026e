"""Audit entries: RFC 8785 canonical JSON, with no personal data inside."""

from __future__ import annotations

import hashlib
from typing import Any

import rfc8785

__all__ = ["ENTRY_VERSION", "ESCALATION_KIND", "MIGRATION_KIND", "TERM_KIND", "canonical", "comment_hash", "sha256_hex"]

ENTRY_VERSION = 1

#: The kind of the entry that moves a running case to another version of its procedure (nobody's decision).
MIGRATION_KIND = "migration"
#: The kind of the entry of an overdue step's escalation (nobody's decision; one ``escalations`` row each).
ESCALATION_KIND = "escalation"
#: The kind of the entry of a term of office a decision sets or ends (an ``appoint``/``install`` effect, a
#: handover, the end of a case's appointments): one ``role_assignments`` row each (a term set has the case in
#: ``case_id``).
TERM_KIND = "jabatan"


def canonical(value: Any) -> bytes:
    """RFC 8785 (JCS) canonical JSON bytes."""
    return bytes(rfc8785.dumps(value))


def sha256_hex(data: bytes) -> str:
    """Hex SHA-256."""
    return hashlib.sha256(data).hexdigest()


def comment_hash(comment: str | None) -> str | None:
    """The entry commits to a comment by its hash; the text stays beside the log."""
    return None if comment is None else sha256_hex(comment.encode())
