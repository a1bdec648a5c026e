"""The installation's PDF signature on every issued document (PAdES, see ``adapters/render/signature``)."""

from __future__ import annotations

import threading

from engine.adapters.render.identity import DocumentIdentity, installation_identity
from engine.adapters.render.issue import IssuedPdf
from engine.adapters.render.signature import sign_issued
from engine.settings import Settings

__all__ = ["DocumentSigning"]


class DocumentSigning:
    """Signs issued PDFs with the installation's certificate, loaded (or created) on first use."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._identity: DocumentIdentity | None = None
        self._lock = threading.Lock()

    def identity(self) -> DocumentIdentity | None:
        """The signing key and certificate beside the checkpoint key; None where no installation key exists."""
        if self._identity is None:
            with self._lock:
                if self._identity is None:
                    self._identity = installation_identity(self.settings)
        return self._identity

    def sign(self, issued: IssuedPdf) -> IssuedPdf:
        """``issued`` signed over its final bytes, at its own date; unchanged (unsigned) without an identity."""
        identity = self.identity()
        return issued if identity is None else sign_issued(issued, identity)
