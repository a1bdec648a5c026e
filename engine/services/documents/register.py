"""The register of issued documents: every PDF's number and SHA-256, recorded once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from engine.adapters.render.issue import IssuedPdf
from engine.adapters.store.db import Database
from engine.adapters.store.models import IssuedDocument

__all__ = ["record_issue"]


def record_issue(db: Database, coop_id: int | None, issued: IssuedPdf, subject: str | None,
                 now: datetime) -> IssuedPdf:
    """Add the document to the register (once per number and SHA-256) and mark it recorded."""
    with db.session() as session:
        known = session.scalar(select(IssuedDocument.id).where(IssuedDocument.number == issued.number,
                                                               IssuedDocument.sha256 == issued.sha256))
        if known is None:
            session.add(IssuedDocument(coop_id=coop_id, number=issued.number, kind=issued.kind,
                                       title=issued.title[:300], subject=(subject or None) and subject[:200],
                                       sha256=issued.sha256, size=len(issued.data), pages=issued.pages,
                                       log_size=issued.log_size, log_root=issued.log_root, issued_at=now))
    return IssuedPdf(issued.number, issued.kind, issued.title, issued.data, issued.pages, issued.filename,
                     issued.log_size, issued.log_root, recorded=True)
