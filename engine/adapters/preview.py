"""A picture of an attachment's first page, for the step page: people see the nota without opening it.

PDFs are drawn with PDFium (pypdfium2, Chromium's PDF engine): only the first page, at a bounded
size, whatever the page box claims. The result is kept for a few files in memory, by content hash.
"""

from __future__ import annotations

import io
import threading
from collections import OrderedDict

__all__ = ["PREVIEW_WIDTH", "first_page_png"]

#: Width of the picture in pixels (a phone shows it at full width, a laptop at about half).
PREVIEW_WIDTH = 640
#: No picture taller than this, however narrow and tall the page claims to be.
_MAX_HEIGHT = 1400
_KEPT = 32

_cache: OrderedDict[str, bytes | None] = OrderedDict()
_lock = threading.Lock()


def _draw(content: bytes) -> bytes | None:
    import pypdfium2

    try:
        pdf = pypdfium2.PdfDocument(content)
    except pypdfium2.PdfiumError:
        return None  # not a PDF PDFium can read: the page offers the download only
    try:
        if len(pdf) == 0:
            return None
        page = pdf[0]
        width, height = page.get_size()
        if width <= 0 or height <= 0:
            return None
        scale = min(PREVIEW_WIDTH / width, _MAX_HEIGHT / height)
        image = page.render(scale=scale).to_pil()
        out = io.BytesIO()
        image.convert("RGB").save(out, format="PNG", optimize=True)
        return out.getvalue()
    except pypdfium2.PdfiumError:
        return None
    finally:
        pdf.close()


def first_page_png(sha256: str, content: bytes) -> bytes | None:
    """The first page of a PDF as a PNG ``PREVIEW_WIDTH`` pixels wide; None when it cannot be drawn."""
    with _lock:
        if sha256 in _cache:
            _cache.move_to_end(sha256)
            return _cache[sha256]
    picture = _draw(content)
    with _lock:
        _cache[sha256] = picture
        while len(_cache) > _KEPT:
            _cache.popitem(last=False)
    return picture
