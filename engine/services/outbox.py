"""The notification outbox: a message per person and event, written in the unit of work that caused it.

A decision (or an escalation) adds its messages with :func:`enqueue` inside its own transaction, so
a message exists exactly when what it announces was committed; sending e-mail happens later, outside
any decision (:mod:`engine.services.notifications`), and its failure never undoes anything.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.adapters.store.models import OutboxMessage

__all__ = ["KINDS", "enqueue"]

#: Kinds of message, with the word the web app shows.
KINDS: dict[str, str] = {
    "tugas": "Tugas baru",
    "keputusan": "Keputusan",
    "tenggat": "Melewati tenggat",
    "eskalasi": "Dialihkan / dinaikkan",
    "delegasi": "Delegasi",
    "migrasi": "Perubahan versi prosedur",
}


def enqueue(session: Session, *, person_ids: Iterable[int], kind: str, subject: str, body: str,
            dedupe: str, now: datetime, coop_id: int | None = None, case_id: int | None = None,
            link: str | None = None, email: bool = True) -> int:
    """Add one message per person (skipping people who already have the message ``dedupe`` names).

    ``dedupe`` identifies the event (e.g. ``tugas:<case id>:<step>``); each person's key is
    ``<dedupe>:<person id>``, unique in the table, so a retried decision or a second tick adds nothing.
    ``email``: False when this installation sends no e-mail (the message is shown in the web app only).
    Returns how many messages were added. Flushes; the caller commits with what caused them.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown outbox kind {kind!r}")
    wanted = {pid: f"{dedupe}:{pid}"[:200] for pid in dict.fromkeys(person_ids)}
    if not wanted:
        return 0
    present = set(session.scalars(select(OutboxMessage.dedupe_key).where(
        OutboxMessage.dedupe_key.in_(list(wanted.values())))))
    added = 0
    for pid, key in wanted.items():
        if key in present:
            continue
        session.add(OutboxMessage(
            coop_id=coop_id, person_id=pid, case_id=case_id, kind=kind, subject=subject[:200], body=body,
            link=link, dedupe_key=key, created_at=now, email_state="menunggu" if email else "tanpa_email",
            attempts=0, next_attempt_at=now if email else None))
        added += 1
    if added:
        session.flush()
    return added
