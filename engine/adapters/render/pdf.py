"""HTML -> PDF/A-3b with WeasyPrint: fixed dates, embedded attachments, same input same bytes."""

from __future__ import annotations

import io
import os
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

__all__ = ["EmbeddedFile", "RenderedPdf", "document_time", "render_pdf"]

_ENV_LOCK = threading.Lock()


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


def document_time(fallback: datetime) -> datetime:
    """The date a document carries: ``SOURCE_DATE_EPOCH`` when set, else the data's own date (UTC)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return datetime.fromtimestamp(int(epoch), UTC)
    return fallback.astimezone(UTC) if fallback.tzinfo else fallback.replace(tzinfo=UTC)


@contextmanager
def _source_date_epoch(when: datetime) -> Iterator[None]:
    """Font subsetting stamps the current time into fonts unless SOURCE_DATE_EPOCH is set."""
    with _ENV_LOCK:
        previous = os.environ.get("SOURCE_DATE_EPOCH")
        if previous is None:
            os.environ["SOURCE_DATE_EPOCH"] = str(int(when.timestamp()))
        try:
            yield
        finally:
            if previous is None:
                os.environ.pop("SOURCE_DATE_EPOCH", None)


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
    with _source_date_epoch(when):
        document = HTML(string=html, base_url=base_url).render()
        data = document.write_pdf(pdf_variant="pdf/a-3b", attachments=attachments)
    assert isinstance(data, bytes)
    return RenderedPdf(data, len(document.pages))
