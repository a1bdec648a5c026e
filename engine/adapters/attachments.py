"""Attachment storage: size limit, type by content (magic numbers), SHA-256, content in the database or on disk."""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from engine.adapters.store.models import Attachment
from engine.domain.definitions.model import FieldDef
from engine.domain.limits import FILENAME_MAX, safe_filename
from engine.errors import FieldProblem, ValidationError

__all__ = ["Sniffed", "read_attachment", "sniff", "store_attachment"]


_MAX_NAME = FILENAME_MAX
_TEXT_MEDIA = {"txt": "text/plain", "csv": "text/csv", "yaml": "application/yaml", "yml": "application/yaml"}
_SAME = {"jpeg": "jpg", "yml": "yaml"}
_OOXML = {"xl/": "xlsx", "word/": "docx", "ppt/": "pptx"}
_CONTROL = frozenset(range(32)) - {9, 10, 12, 13}


@dataclass(frozen=True)
class Sniffed:
    """What a file is by its bytes; ``extension`` is ``None`` when no known type's signature matches."""

    extension: str | None
    media_type: str
    text: bool

    @property
    def description(self) -> str:
        """The type as a person reads it in a refusal."""
        return f".{self.extension}" if self.extension else "teks biasa" if self.text else "tak dikenal"


def _canonical(extension: str) -> str:
    extension = extension.lower().lstrip(".")
    return _SAME.get(extension, extension)


def _office(content: bytes, guessed: str) -> str:
    """An OOXML file is a zip whose parts say its kind (filetype reads only the first few entries)."""
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, ValueError, OSError):
        return guessed
    if "[Content_Types].xml" not in names:
        return "zip"
    for prefix, extension in _OOXML.items():
        if any(n.startswith(prefix) for n in names):
            return extension
    return guessed


def _is_text(content: bytes) -> bool:
    """UTF-8 without control characters other than tab, line feed, form feed and carriage return."""
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return not _CONTROL.intersection(content)


def sniff(content: bytes) -> Sniffed:
    """The type of ``content`` from its bytes (magic numbers), never from a file name."""
    import filetype  # the sniffers load when a file arrives, not for every read

    text = _is_text(content)
    kind = filetype.guess(content)
    if kind is None:
        return Sniffed(None, "text/plain" if text else "application/octet-stream", text)
    extension = str(kind.extension)
    if extension in ("zip", *_OOXML.values()):
        extension = _office(content, extension)
    known = filetype.get_type(ext=extension)
    return Sniffed(extension, str(known.mime if known is not None else kind.mime), text)


def _base(filename: str) -> str:
    """The name without folders, NFC, without control characters; its length is settled by :func:`_named`."""
    return safe_filename(filename, max_length=len(filename) + 1)


def _named(filename: str, extension: str) -> str:
    """The user's name with the extension the content calls for (kept, fixed or appended), ≤ 200 characters."""
    import mimetypes

    import filetype

    name = _base(filename)
    stem, dot, suffix = name.rpartition(".")
    if not (dot and stem):
        stem = name
    elif _canonical(suffix) == _canonical(extension):
        extension = suffix  # foto.JPEG holding a JPEG stays foto.JPEG
    elif not (mimetypes.guess_type(name)[0] or filetype.get_type(ext=suffix.lower())):
        stem = name  # "Nota 12.03.2026": the dot is not an extension, so one is appended
    # otherwise a known but wrong extension is replaced: foto.pdf holding a PNG becomes foto.png
    return safe_filename(stem + "." + extension, max_length=_MAX_NAME)


def _checked(field: FieldDef, field_name: str, filename: str, content: bytes) -> tuple[str, str]:
    """The stored name and media type, or a refusal naming what the content is and what the field accepts."""
    found = sniff(content)
    accepted = [a.lower().lstrip(".") for a in field.accept or []]
    if found.extension is not None and (not accepted or _canonical(found.extension) in map(_canonical, accepted)):
        return _named(filename, found.extension), found.media_type
    if found.text and (not accepted or any(a in _TEXT_MEDIA for a in accepted)):
        # No signature matched (or one matched by chance, like "BM" opening a CSV) and the bytes are text.
        text = [a for a in accepted if a in _TEXT_MEDIA] or list(_TEXT_MEDIA)
        suffix = _base(filename).rpartition(".")[2].lower()
        extension = suffix if suffix in text else "txt" if "txt" in text else text[0]
        return _named(filename, extension), _TEXT_MEDIA[extension]
    if found.extension is None and not accepted:
        name = _base(filename)
        return safe_filename(name, max_length=_MAX_NAME), found.media_type
    raise ValidationError([FieldProblem(
        field.label, f"jenis berkas {found.description} tidak diterima (jenis dibaca dari isi berkas, bukan dari "
                     f"namanya); yang diterima: {', '.join(accepted)}", field_name)])


def store_attachment(
    session: Session,
    *,
    coop_id: int,
    case_id: int,
    field_name: str,
    field: FieldDef,
    filename: str,
    content: bytes,
    uploaded_by: int,
    now: datetime,
    max_mb: float,
    directory: Path | None,
) -> dict[str, Any]:
    """Check and store one file; return the value the case data holds for it.

    The type is read from the bytes: the field's ``accept`` list must name it, and the stored media type and
    the extension of the stored name follow the content. A refusal raises before anything is written.
    """
    limit = min(field.max_mb or max_mb, max_mb)
    if len(content) > limit * 1024 * 1024:
        raise ValidationError([FieldProblem(field.label, f"berkas terlalu besar ({len(content) / 1048576:.1f} MB; "
                                                   f"maksimal {limit:g} MB)", field_name)])
    if not content:
        raise ValidationError([FieldProblem(field.label, "berkas kosong", field_name)])
    safe_name, media_type = _checked(field, field_name, filename, content)
    digest = hashlib.sha256(content).hexdigest()
    storage_path: str | None = None
    stored: bytes | None = content
    if directory is not None:
        target = directory / digest[:2] / digest
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_suffix(".tmp")
            try:
                tmp.write_bytes(content)
                tmp.replace(target)
            except OSError:
                tmp.unlink(missing_ok=True)  # a full or failing disk leaves no half-written file behind
                raise
        storage_path, stored = str(target), None
    session.add(Attachment(coop_id=coop_id, case_id=case_id, field=field_name, filename=safe_name,
                           media_type=media_type, size=len(content), sha256=digest, content=stored,
                           storage_path=storage_path, uploaded_by=uploaded_by, uploaded_at=now))
    return {"name": safe_name, "sha256": digest, "size": len(content), "media_type": media_type}


def read_attachment(row: Attachment) -> bytes:
    """The stored content, checked against its SHA-256."""
    content = row.content if row.content is not None else Path(row.storage_path or "").read_bytes()
    if hashlib.sha256(content).hexdigest() != row.sha256:
        raise ValidationError([FieldProblem(row.filename, "isi berkas tidak cocok dengan SHA-256 yang tercatat")])
    return content
