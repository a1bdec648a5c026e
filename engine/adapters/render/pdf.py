"""HTML -> PDF/A-3b with WeasyPrint: fixed dates, embedded attachments, same input same bytes.

Same bytes for the same input: the document's dates come from the data (or the configured
``source_date_epoch``), and fonts are subset by HarfBuzz, which stamps no time into them.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

__all__ = ["EmbeddedFile", "RenderedPdf", "document_time", "render_pdf"]

@dataclass(frozen=True)
class EmbeddedFile:
    """A file embedded in the PDF (PDF/A-3 associated file)."""

    name: str
    content: bytes
    description: str
    relationship: str = "Supplement"


@dataclass(frozen=True)
class RenderedPdf:
    """The PDF bytes and the number of pages."""

    data: bytes
    pages: int


def document_time(fallback: datetime, epoch: int | None = None) -> datetime:
    """The date a document carries: ``epoch`` (Unix time, from SOURCE_DATE_EPOCH) when set, else the data's own
    date (UTC)."""
    if epoch is not None:
        return datetime.fromtimestamp(epoch, UTC)
    return fallback.astimezone(UTC) if fallback.tzinfo else fallback.replace(tzinfo=UTC)


def render_pdf(html: str, *, base_url: str, when: datetime, files: Sequence[EmbeddedFile] = ()) -> RenderedPdf:
    """Render HTML to a PDF/A-3b document with ``files`` embedded, deterministically.

    Args:
        html: The complete HTML document (its ``<meta name=dcterms.*>`` give the PDF dates).
        base_url: Where relative URLs (the stylesheet) resolve.
        when: The document's date (attachment dates, font timestamps).
        files: Attachments, embedded in this order.

    Returns:
        The PDF bytes and page count.
    """
    from weasyprint import HTML, Attachment  # imported on first use: it takes most of a second

    naive = when.astimezone(UTC).replace(tzinfo=None)
    attachments = [
        Attachment(file_obj=io.BytesIO(f.content), name=f.name, description=f.description,
                   created=naive, modified=naive, relationship=f.relationship)
        for f in files
    ]
    document = HTML(string=html, base_url=base_url).render()
    data = document.write_pdf(pdf_variant="pdf/a-3b", attachments=attachments)
    assert isinstance(data, bytes)
    return RenderedPdf(data, len(document.pages))
