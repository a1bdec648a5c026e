"""Render a document and record it in the register of issued documents."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from engine.adapters.render.common import DocMeta
from engine.adapters.render.environment import render_template, template_dir
from engine.adapters.render.evidence import Evidence
from engine.adapters.render.pdf import render_pdf
from engine.adapters.render.qr import qr_data_uri

__all__ = ["IssuedPdf", "render_document"]


@dataclass(frozen=True)
class IssuedPdf:
    """A rendered document: its bytes and what identifies it."""

    number: str
    kind: str
    title: str
    data: bytes
    pages: int
    filename: str
    log_size: int | None
    log_root: str | None
    recorded: bool = False

    @property
    def sha256(self) -> str:
        """SHA-256 of the PDF bytes (recorded in the database)."""
        return hashlib.sha256(self.data).hexdigest()


def render_document(template: str, meta: DocMeta, evidence: Evidence, context: dict[str, Any]) -> IssuedPdf:
    """Render ``template`` with the document metadata and evidence into a PDF/A-3b."""
    html = render_template(template, {**context, "doc": meta, "ev": evidence, "qr": qr_data_uri(evidence.qr_text)})
    pdf = render_pdf(html, base_url=template_dir().as_uri() + "/", when=meta.when, files=evidence.files())
    log = evidence.log
    return IssuedPdf(meta.number, meta.kind, meta.title, pdf.data, pdf.pages, meta.filename,
                     log.size if log else None, log.root if log else None)
