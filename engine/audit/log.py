"""The per-cooperative append-only log: append under the head lock, sign checkpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.adapters.store.models import AuditEntry, AuditHead, Checkpoint, Cooperative, SigningKey
from engine.audit.core.merkle import EMPTY_ROOT, CompactRange, leaf_hash
from engine.audit.core.note import Checkpoint as NoteCheckpoint
from engine.audit.core.note import sign_note
from engine.audit.entry import ENTRY_VERSION, canonical
from engine.audit.keys import Signer

__all__ = ["append_entry", "checkpoint_now", "create_head", "log_origin", "register_key"]


def log_origin(coop_slug: str) -> str:
    """The checkpoint origin line of a cooperative's log."""
    return f"tatakelola/{coop_slug}"


def create_head(session: Session, coop: Cooperative, now: datetime) -> AuditHead:
    """Create the empty log head for a new cooperative."""
    head = AuditHead(coop_id=coop.id, size=0, frontier=[], root=EMPTY_ROOT.hex(), updated_at=now)
    session.add(head)
    return head


def register_key(session: Session, signer: Signer, now: datetime) -> SigningKey:
    """Record the signer's public key (once) and return its row."""
    row = session.scalar(select(SigningKey).where(SigningKey.public_key == signer.public_b64))
    if row is None:
        row = SigningKey(name=signer.name, public_key=signer.public_b64,
                         verifier_key=signer.verifier_key, created_at=now)
        session.add(row)
        session.flush()
    return row


def _lock_head(session: Session, coop_id: int) -> AuditHead:
    stmt = (
        select(AuditHead)
        .where(AuditHead.coop_id == coop_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return session.execute(stmt).scalar_one()


def append_entry(
    session: Session,
    coop: Cooperative,
    signer: Signer,
    fields: dict[str, Any],
    *,
    case_id: int | None,
    now: datetime,
) -> AuditEntry:
    """Append one entry and sign a checkpoint of the new size, in the caller's transaction.

    ``seq`` comes from the locked head, never from ``max(seq)+1``: two writers on the same
    cooperative queue on the head row, so the log has no gaps and no forks.
    """
    head = _lock_head(session, coop.id)
    seq = head.size + 1
    body = {"v": ENTRY_VERSION, "coop": coop.slug, "seq": seq,
            "time": now.strftime("%Y-%m-%dT%H:%M:%SZ"), **fields}
    data = canonical(body)
    leaf = leaf_hash(data)
    tree = CompactRange.from_list(head.size, head.frontier)
    tree.append(leaf)
    entry = AuditEntry(coop_id=coop.id, seq=seq, case_id=case_id, body=data.decode(),
                       leaf_hash=leaf.hex(), created_at=now)
    session.add(entry)
    head.size = seq
    head.frontier = tree.to_list()
    head.root = tree.root().hex()
    head.updated_at = now
    _sign(session, coop, signer, seq, tree.root(), now)
    return entry


def _sign(session: Session, coop: Cooperative, signer: Signer, size: int, root: bytes,
          now: datetime) -> Checkpoint:
    key = register_key(session, signer, now)
    body = NoteCheckpoint(origin=log_origin(coop.slug), size=size, root=root).body()
    row = Checkpoint(coop_id=coop.id, size=size, root=root.hex(), key_id=key.id,
                     note=sign_note(body, signer.name, signer.private_key), created_at=now)
    session.add(row)
    session.flush()
    return row


def checkpoint_now(session: Session, coop: Cooperative, signer: Signer, now: datetime) -> Checkpoint:
    """The signed checkpoint of the log as it is now (reused if this key already signed it)."""
    head = _lock_head(session, coop.id)
    key = register_key(session, signer, now)
    existing = session.scalar(
        select(Checkpoint).where(Checkpoint.coop_id == coop.id, Checkpoint.size == head.size,
                                 Checkpoint.key_id == key.id)
    )
    if existing is not None:
        return existing
    return _sign(session, coop, signer, head.size, bytes.fromhex(head.root), now)
