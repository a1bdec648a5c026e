"""The register of issued documents: every PDF's number and SHA-256, recorded once.

The installation's PDF-signing certificate is registered (``document_certificates``, append-only)
the first time a document signed with it is recorded: ``doc verify`` against the database then
checks that a signature was made by a certificate of this installation.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.adapters.render.identity import DocumentIdentity
from engine.adapters.render.issue import IssuedPdf
from engine.adapters.store.db import Database
from engine.adapters.store.models import DocumentCertificate, IssuedDocument

__all__ = ["record_issue"]


def _register_certificate(session: Session, identity: DocumentIdentity, now: datetime) -> None:
    known = session.scalar(select(DocumentCertificate.id).where(
        DocumentCertificate.fingerprint == identity.fingerprint))
    if known is None:
        session.add(DocumentCertificate(fingerprint=identity.fingerprint, subject=identity.common_name[:200],
                                        certificate=identity.certificate_der, created_at=now))


def record_issue(db: Database, coop_id: int | None, issued: IssuedPdf, subject: str | None,
                 now: datetime, certificate: DocumentIdentity | None = None) -> IssuedPdf:
    """Add the document to the register (once per number and SHA-256) and mark it recorded.

    ``certificate``, the identity that signed the document, is registered too (once).
    """
    with db.session() as session:
        if certificate is not None:
            _register_certificate(session, certificate, now)
        known = session.scalar(select(IssuedDocument.id).where(IssuedDocument.number == issued.number,
                                                               IssuedDocument.sha256 == issued.sha256))
        if known is None:
            session.add(IssuedDocument(coop_id=coop_id, number=issued.number, kind=issued.kind,
                                       title=issued.title[:300], subject=(subject or None) and subject[:200],
                                       sha256=issued.sha256, size=len(issued.data), pages=issued.pages,
                                       log_size=issued.log_size, log_root=issued.log_root, issued_at=now))
    return dataclasses.replace(issued, recorded=True)
