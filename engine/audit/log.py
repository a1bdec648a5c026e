"""The per-cooperative append-only log: append under the head lock, sign checkpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast
from weakref import WeakKeyDictionary

from sqlalchemy import Table, bindparam, select
from sqlalchemy.engine import Engine
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


#: engine -> public key -> signing_keys.id, remembered once committed: the table only grows, so an id
#: once seen stays right for that database (a new engine or a new schema starts afresh).
_KEY_IDS: WeakKeyDictionary[Engine, dict[str, int]] = WeakKeyDictionary()


def register_key(session: Session, signer: Signer, now: datetime) -> SigningKey:
    """Record the signer's public key (once) and return its row."""
    row = session.scalar(select(SigningKey).where(SigningKey.public_key == signer.public_b64))
    if row is None:
        row = SigningKey(name=signer.name, public_key=signer.public_b64,
                         verifier_key=signer.verifier_key, created_at=now)
        session.add(row)
        session.flush()
    return row


def _key_id(session: Session, signer: Signer, now: datetime) -> int:
    """The signer's key id without a query once this engine has seen it committed."""
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    known = _KEY_IDS.setdefault(engine, {})
    key_id = known.get(signer.public_b64)
    if key_id is None:
        stored = session.scalar(select(SigningKey.id).where(SigningKey.public_key == signer.public_b64))
        if stored is None:  # added in this transaction: not remembered, it may yet roll back
            return register_key(session, signer, now).id
        key_id = known[signer.public_b64] = stored
    return key_id


def _lock_head(session: Session, coop_id: int) -> AuditHead:
    stmt = (
        select(AuditHead)
        .where(AuditHead.coop_id == coop_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return session.execute(stmt).scalar_one()


# The statements of every append, built once (the decision's hot path). They address the tables
# directly: the head row is read under lock and written back here, never held as an ORM object.
_HEADS = cast(Table, AuditHead.__table__)
_LOCK_HEAD = (select(_HEADS.c.size, _HEADS.c.frontier)
              .where(_HEADS.c.coop_id == bindparam("b_coop")).with_for_update())
_ADVANCE_HEAD = (_HEADS.update().where(_HEADS.c.coop_id == bindparam("b_coop"))
                 .values(size=bindparam("b_size"), frontier=bindparam("b_frontier", type_=_HEADS.c.frontier.type),
                         root=bindparam("b_root"), updated_at=bindparam("b_now", type_=_HEADS.c.updated_at.type)))
_INSERT_ENTRY = cast(Table, AuditEntry.__table__).insert()
_INSERT_CHECKPOINT = cast(Table, Checkpoint.__table__).insert()


def append_entry(
    session: Session,
    coop: Cooperative,
    signer: Signer,
    fields: dict[str, Any],
    *,
    case_id: int | None,
    now: datetime,
) -> int:
    """Append one entry and sign a checkpoint of the new size, in the caller's transaction; its seq.

    ``seq`` comes from the locked head, never from ``max(seq)+1``: two writers on the same
    cooperative queue on the head row, so the log has no gaps and no forks. The three rows are
    written as plain statements (no unit-of-work bookkeeping): this is the hot path of every
    decision.
    """
    size, frontier = session.execute(_LOCK_HEAD, {"b_coop": coop.id}).one()
    seq: int = size + 1
    body = {"v": ENTRY_VERSION, "coop": coop.slug, "seq": seq,
            "time": now.strftime("%Y-%m-%dT%H:%M:%SZ"), **fields}
    data = canonical(body)
    leaf = leaf_hash(data)
    tree = CompactRange.from_list(size, frontier)
    tree.append(leaf)
    root = tree.root()
    session.execute(_INSERT_ENTRY, {"coop_id": coop.id, "seq": seq, "case_id": case_id, "body": data.decode(),
                                    "leaf_hash": leaf.hex(), "created_at": now})
    session.execute(_ADVANCE_HEAD, {"b_coop": coop.id, "b_size": seq, "b_frontier": tree.to_list(),
                                    "b_root": root.hex(), "b_now": now})
    note = NoteCheckpoint(origin=log_origin(coop.slug), size=seq, root=root).body()
    session.execute(_INSERT_CHECKPOINT, {"coop_id": coop.id, "size": seq, "root": root.hex(),
                                         "key_id": _key_id(session, signer, now),
                                         "note": sign_note(note, signer.name, signer.private_key),
                                         "created_at": now})
    return seq


def _sign(session: Session, coop: Cooperative, signer: Signer, size: int, root: bytes,
          now: datetime) -> Checkpoint:
    key_id = _key_id(session, signer, now)
    body = NoteCheckpoint(origin=log_origin(coop.slug), size=size, root=root).body()
    row = Checkpoint(coop_id=coop.id, size=size, root=root.hex(), key_id=key_id,
                     note=sign_note(body, signer.name, signer.private_key), created_at=now)
    session.add(row)
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
    row = _sign(session, coop, signer, head.size, bytes.fromhex(head.root), now)
    session.flush()
    return row
