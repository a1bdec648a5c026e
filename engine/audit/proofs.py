"""Inclusion and consistency proofs from a cooperative's stored log."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.adapters.store.models import AuditEntry, Checkpoint, Cooperative, SigningKey
from engine.audit.core.merkle import consistency_proof, inclusion_proof, verify_inclusion
from engine.errors import NotFoundError

__all__ = ["EntryProof", "latest_checkpoint", "leaf_hashes", "prove_consistency", "prove_entries"]


@dataclass(frozen=True)
class EntryProof:
    """One entry, its RFC 6962 inclusion proof, and the signed checkpoint it is proven against."""

    seq: int
    body: str
    leaf_hash: str
    size: int
    root: str
    proof: list[str]
    checkpoint: str
    verifier_key: str

    @property
    def index(self) -> int:
        """0-based leaf index (seq - 1)."""
        return self.seq - 1

    def verifies(self) -> bool:
        """Recheck the proof against the root (the signature is checked separately)."""
        return verify_inclusion(bytes.fromhex(self.leaf_hash), self.index, self.size,
                                [bytes.fromhex(p) for p in self.proof], bytes.fromhex(self.root))

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (hashes as hex; the proof also as base64 per C2SP conventions)."""
        return {
            "seq": self.seq, "index": self.index, "entry": self.body, "leaf_hash": self.leaf_hash,
            "tree_size": self.size, "root": self.root, "inclusion_proof": self.proof,
            "inclusion_proof_b64": [base64.b64encode(bytes.fromhex(p)).decode() for p in self.proof],
            "checkpoint": self.checkpoint, "verifier_key": self.verifier_key,
        }


def leaf_hashes(session: Session, coop: Cooperative, size: int | None = None) -> list[bytes]:
    """Stored leaf hashes in order (the first ``size`` when given)."""
    stmt = select(AuditEntry.leaf_hash).where(AuditEntry.coop_id == coop.id).order_by(AuditEntry.seq)
    if size is not None:
        stmt = stmt.limit(size)
    return [bytes.fromhex(h) for h in session.scalars(stmt)]


def latest_checkpoint(session: Session, coop: Cooperative) -> Checkpoint | None:
    """The signed checkpoint of the largest size."""
    return session.scalars(select(Checkpoint).where(Checkpoint.coop_id == coop.id)
                           .order_by(Checkpoint.size.desc(), Checkpoint.id.desc()).limit(1)).first()


def prove_entries(session: Session, coop: Cooperative, seqs: Sequence[int],
                  checkpoint: Checkpoint | None = None) -> list[EntryProof]:
    """Inclusion proofs of these entries against a checkpoint (default: the latest)."""
    checkpoint = checkpoint or latest_checkpoint(session, coop)
    if checkpoint is None:
        raise NotFoundError(f"Belum ada checkpoint untuk {coop.slug}.")
    key = session.get_one(SigningKey, checkpoint.key_id)
    hashes = leaf_hashes(session, coop, checkpoint.size)
    bodies = dict(session.execute(select(AuditEntry.seq, AuditEntry.body).where(
        AuditEntry.coop_id == coop.id, AuditEntry.seq.in_(list(seqs)))).all())
    out = []
    for seq in seqs:
        if not 1 <= seq <= checkpoint.size or seq not in bodies:
            raise NotFoundError(f"Catatan #{seq} tidak tercakup checkpoint ukuran {checkpoint.size}.")
        proof = inclusion_proof(hashes, seq - 1)
        out.append(EntryProof(seq, bodies[seq], hashes[seq - 1].hex(), checkpoint.size, checkpoint.root,
                              [p.hex() for p in proof], checkpoint.note, key.verifier_key))
    return out


def prove_consistency(session: Session, coop: Cooperative, old_size: int, new_size: int) -> list[bytes]:
    """RFC 6962 consistency proof between two tree sizes of the stored log."""
    hashes = leaf_hashes(session, coop, new_size)
    if not 0 < old_size <= new_size <= len(hashes):
        raise NotFoundError(f"Ukuran {old_size} → {new_size} di luar log ({len(hashes)} catatan).")
    return consistency_proof(hashes, old_size)
