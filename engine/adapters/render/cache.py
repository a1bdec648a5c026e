"""Built documents on disk, kept by content key; what besides the data decides a document's bytes.

The key itself is the documents use case's to compose (``services/documents/cache.py`` says
what it covers); this module gives it the two things only the renderer knows:

* :func:`renderer_version`: a SHA-256 over the templates and stylesheet (names and bytes,
  re-read when one changes on disk), the code that turns data into bytes (this package) and
  the versions of the libraries that write the PDF, and
* :func:`content_key`: the SHA-256 of one canonical JSON of the parts given, walking
  dataclasses field by field (layout included), or None when a part is not plain data.

:class:`DocumentCache` keeps ``<key>.pdf`` with ``<key>.json`` (what identifies the document
and the PDF's SHA-256, checked on every read) in one directory, written atomically, the
longest unused removed first when the cache is over its size; ``<key>.lock`` serialises the
builds of one key across processes.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import importlib.metadata
import json
import os
import tempfile
import threading
from collections.abc import Iterator, Mapping
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Any

from engine.adapters.render.environment import template_dir
from engine.adapters.render.issue import IssuedPdf

__all__ = ["DocumentCache", "content_key", "renderer_version"]

_FORMAT = "tatakelola-dokumen-cache/1"
_LIBRARIES = ("tatakelola", "weasyprint", "pydyf", "pyhanko", "jinja2", "tinycss2", "cssselect2", "segno",
              "fonttools", "babel")
_HERE = Path(__file__).resolve().parent


@functools.cache
def _code_version() -> str:
    digest = hashlib.sha256()
    for path in sorted(_HERE.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    for name in _LIBRARIES:
        try:
            version = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            version = "-"
        digest.update(f"{name}={version}\0".encode())
    return digest.hexdigest()


_templates_lock = threading.Lock()
_templates_seen: tuple[tuple[str, int, int], ...] | None = None
_templates_hash = ""


def _template_version(directory: Path) -> str:
    """SHA-256 over every file of the template directory, recomputed only when one changed on disk."""
    global _templates_seen, _templates_hash
    files = sorted(p for p in directory.rglob("*") if p.is_file())
    seen = tuple((str(p.relative_to(directory)), p.stat().st_mtime_ns, p.stat().st_size) for p in files)
    with _templates_lock:
        if seen != _templates_seen:
            digest = hashlib.sha256()
            for path in files:
                digest.update(str(path.relative_to(directory)).encode() + b"\0" + path.read_bytes() + b"\0")
            _templates_seen, _templates_hash = seen, digest.hexdigest()
        return _templates_hash


def renderer_version() -> str:
    """What besides the data decides a document's bytes: templates, stylesheet, render code, library versions."""
    return hashlib.sha256(f"{_template_version(template_dir())}:{_code_version()}".encode()).hexdigest()


class _NotData(TypeError):
    pass


def _canonical(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value  # Markup is a str: the markup itself is what prints
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return _canonical(value.value)
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, bytes):
        return hashlib.sha256(value).hexdigest()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {f.name: _canonical(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return {"@": type(value).__qualname__, **fields}
    if isinstance(value, Mapping):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    if isinstance(value, set | frozenset):
        return sorted((_canonical(v) for v in value), key=repr)
    if hasattr(value, "model_dump"):  # a pydantic model (a definition)
        return _canonical(value.model_dump(mode="json"))
    raise _NotData(type(value).__qualname__)


def content_key(parts: Mapping[str, Any]) -> str | None:
    """SHA-256 of ``parts`` (with :func:`renderer_version`) as canonical JSON; None when a part is not plain data
    (such a document is built every time)."""
    try:
        canonical = _canonical({"format": _FORMAT, "renderer": renderer_version(), **parts})
    except _NotData:
        return None
    text = json.dumps(canonical, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _meta(issued: IssuedPdf) -> dict[str, Any]:
    return {"number": issued.number, "kind": issued.kind, "title": issued.title, "pages": issued.pages,
            "filename": issued.filename, "log_size": issued.log_size, "log_root": issued.log_root,
            "when": issued.when.isoformat() if issued.when else None, "signed_by": issued.signed_by,
            "sha256": issued.sha256, "size": len(issued.data)}


class DocumentCache:
    """Built PDFs in ``directory``, at most ``max_bytes`` together (the longest unused go first)."""

    def __init__(self, directory: Path, max_bytes: int) -> None:
        self.directory = directory
        self.max_bytes = max_bytes

    def _path(self, key: str, suffix: str) -> Path:
        if len(key) != 64 or any(c not in "0123456789abcdef" for c in key):
            raise ValueError("not a content key")
        return self.directory / f"{key}{suffix}"

    def get(self, key: str) -> IssuedPdf | None:
        """The document kept under ``key`` (None if absent, unreadable or not matching its SHA-256)."""
        try:
            meta = json.loads(self._path(key, ".json").read_text(encoding="utf-8"))
            data = self._path(key, ".pdf").read_bytes()
        except (OSError, ValueError):
            return None
        if not isinstance(meta, dict) or hashlib.sha256(data).hexdigest() != meta.get("sha256"):
            return None
        with contextlib.suppress(OSError):
            os.utime(self._path(key, ".json"))  # recently used
        when = datetime.fromisoformat(meta["when"]) if meta.get("when") else None
        return IssuedPdf(meta["number"], meta["kind"], meta["title"], data, int(meta["pages"]), meta["filename"],
                         meta.get("log_size"), meta.get("log_root"), when=when, signed_by=meta.get("signed_by"))

    def put(self, key: str, issued: IssuedPdf) -> None:
        """Keep ``issued`` under ``key`` (the PDF first, then its description: a reader sees both or neither)."""
        if self.max_bytes <= 0 or len(issued.data) > self.max_bytes:
            return
        try:
            self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            self._write(self._path(key, ".pdf"), issued.data)
            self._write(self._path(key, ".json"), json.dumps(_meta(issued), ensure_ascii=False).encode())
            self._evict()
        except OSError:
            return  # a cache that cannot be written is no cache: the document was built and is served anyway

    def _write(self, path: Path, data: bytes) -> None:
        fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise

    def clear(self) -> None:
        """Remove every kept document."""
        for pattern in ("*.json", "*.pdf", "*.lock"):
            for path in self.directory.glob(pattern):
                with contextlib.suppress(OSError):
                    path.unlink()

    def _evict(self) -> None:
        entries = []
        for meta in self.directory.glob("*.json"):
            pdf = meta.with_suffix(".pdf")
            with contextlib.suppress(OSError):
                entries.append((meta.stat().st_mtime, meta, pdf, pdf.stat().st_size + meta.stat().st_size))
        total = sum(size for *_, size in entries)
        for _, meta, pdf, size in sorted(entries, key=lambda e: e[0]):
            if total <= self.max_bytes:
                break
            for path in (meta, pdf, meta.with_suffix(".lock")):
                with contextlib.suppress(OSError):
                    path.unlink()
            total -= size

    @contextlib.contextmanager
    def lock(self, key: str) -> Iterator[None]:
        """Hold ``<key>.lock``: one build of a key at a time across processes (where the OS has ``flock``)."""
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not POSIX
            yield
            return
        try:
            self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            handle = open(self._path(key, ".lock"), "a+b")  # noqa: SIM115 - held for the block
        except OSError:
            yield
            return
        with handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
