"""The SOP and the Buku SOP, built once per content and off the request path.

**The key** is the SHA-256 of one canonical JSON of everything that decides the bytes:

* the renderer (``adapters/render/cache.renderer_version``): every template and the
  stylesheet, the render code, the versions of WeasyPrint, pydyf and pyHanko;
* the template, the document's metadata (number, title, subject, date; ``SOURCE_DATE_EPOCH``
  shows there) and the definitions it prints, by pinned reference and SHA-256;
* the whole template context: the cooperative's name and place, every settings row it
  prints, the office holders named as signers, the flowcharts;
* the fingerprint of the certificate that signs it (none: unsigned).

**What is kept** is the whole issued document: signed, with its attachments, byte for byte.
A hit serves the same document again and records the handing out like any issue
(``issued_documents`` holds one row per number and SHA-256, so an identical document is not
recorded twice); ``doc verify`` passes on it as on a fresh one.

**The log is left out of the key on purpose.** A SOP or a Buku SOP prints no decision; it
carries the cooperative's latest checkpoint as proof of when it was issued. A decision taken
since does not make the Buku SOP another document, so it is not rebuilt for one; it keeps the
checkpoint it was built with. On every hit that checkpoint is looked up in this database (same
cooperative, size and root): the log up to it is what the PDF proves, so the document verifies
here; if it is not found (another database, a restored backup), the document is built again.

**Builds** run on one worker thread per process (WeasyPrint is CPU-bound and holds the GIL,
so a second thread would not make two documents faster). Two requests for the same key share
one build; across processes a lock file per key makes the second wait for the first and then
read its result. The last few documents built are also kept in memory, so a document is handed
out even with the disk cache off (``document_cache_mb = 0``).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from engine.adapters.render.cache import DocumentCache
from engine.adapters.render.common import DocMeta
from engine.adapters.render.evidence import Evidence, LogEvidence
from engine.adapters.render.issue import IssuedPdf
from engine.settings import Settings

__all__ = ["DocumentBuilds", "Prepared", "Recipe"]

#: Documents kept in memory besides the disk cache (a Buku SOP is 2–3 MB).
_RECENT = 8


@dataclass(frozen=True)
class Recipe:
    """Everything one document is made of, and its content key (None: not cacheable, built every time)."""

    key: str | None
    template: str
    meta: DocMeta
    evidence: Evidence  # without the log: that is read when the document is built
    context: dict[str, Any]
    coop_id: int | None
    subject: str | None
    record: bool
    log: Callable[[], LogEvidence] | None = None


@dataclass(frozen=True)
class Prepared:
    """A document asked for: ready (``issued``, signed, not yet recorded), or being built (``future``)."""

    recipe: Recipe
    issued: IssuedPdf | None = None
    future: Future[IssuedPdf] | None = None


class DocumentBuilds:
    """One build per key at a time, on a worker thread; the results kept on disk and in memory.

    ``make`` turns a recipe into a signed document; ``still_valid`` says whether a kept one may be
    served again (its checkpoint is still this database's).
    """

    def __init__(self, settings: Settings, make: Callable[[Recipe], IssuedPdf],
                 still_valid: Callable[[Recipe, IssuedPdf], bool]) -> None:
        limit = int(settings.document_cache_mb * 1024 * 1024)
        self.store = DocumentCache(settings.resolved_document_cache_dir, limit) if limit > 0 else None
        self._make = make
        self._still_valid = still_valid
        self._lock = threading.Lock()
        self._running: dict[str, Future[IssuedPdf]] = {}
        self._recent: OrderedDict[str, IssuedPdf] = OrderedDict()
        self._pool: ThreadPoolExecutor | None = None

    def forget(self, *, disk: bool = True) -> None:
        """Drop the documents kept in memory (and on disk): the next request for each builds it again."""
        with self._lock:
            self._recent.clear()
        if disk and self.store is not None:
            self.store.clear()

    def cached(self, recipe: Recipe) -> IssuedPdf | None:
        """The document kept for the recipe's key, if it may still be served."""
        key = recipe.key
        if key is None:
            return None
        with self._lock:
            issued = self._recent.get(key)
            if issued is not None:
                self._recent.move_to_end(key)
        if issued is None and self.store is not None:
            issued = self.store.get(key)
        if issued is None or not self._still_valid(recipe, issued):
            return None
        return issued

    def prepare(self, recipe: Recipe) -> Prepared:
        """Ready from the cache, or a build started (or joined, when one for the same key is running)."""
        issued = self.cached(recipe)
        if issued is not None:
            return Prepared(recipe, issued=issued)
        return Prepared(recipe, future=self.start(recipe))

    def get(self, recipe: Recipe) -> IssuedPdf:
        """The document, waiting for its build if need be."""
        if recipe.key is None:
            return self._make(recipe)
        prepared = self.prepare(recipe)
        if prepared.issued is not None:
            return prepared.issued
        assert prepared.future is not None
        return prepared.future.result()

    def start(self, recipe: Recipe) -> Future[IssuedPdf]:
        """Start building the recipe on the worker thread, or return the build of its key already running."""
        key = recipe.key
        with self._lock:
            if key is not None and key in self._running:
                return self._running[key]
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="dokumen")
            future = self._pool.submit(self._build, recipe)
            if key is not None:
                self._running[key] = future
        if key is not None:
            future.add_done_callback(lambda done: self._finished(key, done))
        return future

    def _finished(self, key: str, future: Future[IssuedPdf]) -> None:
        with self._lock:
            if self._running.get(key) is future:
                del self._running[key]

    def _build(self, recipe: Recipe) -> IssuedPdf:
        key = recipe.key
        if key is None or self.store is None:
            issued = self._make(recipe)
        else:
            with self.store.lock(key):
                found = self.store.get(key)  # built by another process while this one waited
                if found is not None and self._still_valid(recipe, found):
                    issued = found
                else:
                    issued = self._make(recipe)
                    self.store.put(key, issued)
        if key is not None:
            with self._lock:
                self._recent[key] = issued
                self._recent.move_to_end(key)
                while len(self._recent) > _RECENT:
                    self._recent.popitem(last=False)
        return issued
