"""The proof a document carries, read from the trail: entries proven against a signed checkpoint."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.adapters.render.evidence import LogEvidence
from engine.adapters.store.models import Checkpoint, Cooperative, SigningKey
from engine.audit.keys import Signer
from engine.audit.log import checkpoint_now, log_origin
from engine.audit.proofs import latest_checkpoint, prove_entries
from engine.errors import NotFoundError

__all__ = ["log_evidence"]


def _checkpoint_for(session: Session, coop: Cooperative, size: int | None, signer: Signer | None,
                    now: datetime) -> Checkpoint:
    if size is not None:
        found = session.scalars(select(Checkpoint).where(Checkpoint.coop_id == coop.id, Checkpoint.size >= size)
                                .order_by(Checkpoint.size, Checkpoint.id).limit(1)).first()
        if found is not None:
            return found
    latest = latest_checkpoint(session, coop)
    if latest is not None and (size is None or latest.size >= size):
        return latest
    if signer is None:
        raise NotFoundError(f"Belum ada checkpoint bertanda tangan untuk {coop.slug}.")
    return checkpoint_now(session, coop, signer, now)


def log_evidence(session: Session, coop: Cooperative, seqs: Sequence[int], *, at_size: int | None = None,
                 signer: Signer | None = None, now: datetime) -> LogEvidence:
    """Prove ``seqs`` against the checkpoint of ``at_size`` (default: the latest checkpoint).

    With no checkpoint yet (an empty log), one is signed with ``signer``.
    """
    wanted = sorted(set(seqs))
    checkpoint = _checkpoint_for(session, coop, at_size if at_size is not None else None, signer, now)
    key = session.get_one(SigningKey, checkpoint.key_id)
    proofs = prove_entries(session, coop, wanted, checkpoint) if wanted else []
    return LogEvidence(log_origin(coop.slug), checkpoint.size, checkpoint.root, checkpoint.note,
                       key.verifier_key, tuple(proofs))
