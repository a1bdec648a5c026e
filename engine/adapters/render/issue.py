"""Render a document and record it in the register of issued documents."""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import hashlib
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from markupsafe import Markup

from engine.adapters.render.common import DocMeta
from engine.adapters.render.environment import render_template, template_dir
from engine.adapters.render.evidence import Evidence
from engine.adapters.render.pdf import render_pdf
from engine.adapters.render.qr import qr_data_uri

__all__ = ["IssuedPdf", "printed_content", "render_document"]


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
    when: datetime | None = None
    signed_by: str | None = None

    @property
    def sha256(self) -> str:
        """SHA-256 of the PDF bytes (recorded in the database)."""
        return hashlib.sha256(self.data).hexdigest()


class _Dropped:
    """Marks a value that is not data (a database row, pre-rendered markup, a function)."""


_DROPPED = _Dropped()


def _properties(cls: type) -> list[str]:
    names: dict[str, None] = {}
    for klass in reversed(cls.__mro__):
        for name, member in vars(klass).items():
            if isinstance(member, property) and not name.startswith("_"):
                names[name] = None
    return list(names)


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, Markup):  # SVG or HTML made for the page: the data it shows is elsewhere
        return _DROPPED
    if isinstance(value, str):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return _plain(value.value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        if getattr(value, "layout_only", False):  # e.g. the SOP flowchart's geometry
            return _DROPPED
        items = {f.name: getattr(value, f.name) for f in dataclasses.fields(value) if not f.name.startswith("_")}
        for name in _properties(type(value)):
            with contextlib.suppress(Exception):  # a property that does not apply to this value
                items[name] = getattr(value, name)
        return _mapping(items)
    if isinstance(value, Mapping):
        return _mapping(value)
    if isinstance(value, list | tuple):
        return [item for item in (_plain(x) for x in value) if item is not _DROPPED]
    return _DROPPED


def _mapping(value: Mapping[Any, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, item in value.items():
        plain = _plain(item)
        if plain is not _DROPPED:
            out[str(key)] = plain
    return out


def printed_content(context: Mapping[str, Any]) -> dict[str, Any]:
    """The template context as plain JSON data: what the page prints, for ``content.json``.

    Dataclasses become objects (their fields and public properties, such as a line's Δ%),
    Decimals strings, dates ISO 8601; anything that is not data (a database row, rendered SVG,
    a class marked ``layout_only`` such as the SOP flowchart) is left out. Keys are sorted when
    written, so the same context gives the same bytes.
    """
    return _mapping(context)


#: Cyclic-collector thresholds while a document renders (see :func:`_fewer_collections`).
RENDER_GC_THRESHOLDS = (100_000, 50, 100)
_gc_lock = threading.Lock()
_gc_renders = 0
_gc_saved: tuple[int, int, int] = (700, 10, 10)


@contextlib.contextmanager
def _fewer_collections() -> Iterator[None]:
    """Run the cyclic garbage collector less often while documents render.

    WeasyPrint makes millions of small objects (boxes, styles, text layouts) that live until the
    PDF is written. With the default thresholds the collector runs every 700 allocations and
    keeps walking that growing heap: 35–40% of the time of a 25-page RAPB (measured with
    ``bench/bench_documents.py``). Counted across threads: the thresholds are the process's, set
    by the first render that starts and put back by the last that ends.
    """
    global _gc_renders, _gc_saved
    with _gc_lock:
        if _gc_renders == 0:
            _gc_saved = gc.get_threshold()
            gc.set_threshold(*RENDER_GC_THRESHOLDS)
        _gc_renders += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_renders -= 1
            if _gc_renders == 0:
                gc.set_threshold(*_gc_saved)


def render_document(template: str, meta: DocMeta, evidence: Evidence, context: dict[str, Any]) -> IssuedPdf:
    """Render ``template`` with the document metadata and evidence into a PDF/A-3b.

    The context's data is embedded as ``content.json`` (listed in the manifest like the other
    attachments), so every figure the page prints is also in the document's data.
    """
    if evidence.content is None:
        evidence = dataclasses.replace(evidence, content=printed_content(context))
    with _fewer_collections():
        html = render_template(template, {**context, "doc": meta, "ev": evidence,
                                          "qr": qr_data_uri(evidence.qr_text)})
        pdf = render_pdf(html, base_url=template_dir().as_uri() + "/", when=meta.when, files=evidence.files())
    log = evidence.log
    return IssuedPdf(meta.number, meta.kind, meta.title, pdf.data, pdf.pages, meta.filename,
                     log.size if log else None, log.root if log else None, when=meta.when)
