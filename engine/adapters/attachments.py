"""Attachment storage: size and type limits, SHA-256, content in the database or on disk."""

from __future__ import annotations

import hashlib
import mimetypes
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from engine.adapters.store.models import Attachment
from engine.domain.definitions.model import FieldDef
from engine.errors import FieldProblem, ValidationError

__all__ = ["read_attachment", "store_attachment"]


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
    """Check and store one file; return the value the case data holds for it."""
    limit = min(field.max_mb or max_mb, max_mb)
    if len(content) > limit * 1024 * 1024:
        raise ValidationError([FieldProblem(field.label, f"berkas terlalu besar ({len(content) / 1048576:.1f} MB; "
                                                   f"maksimal {limit:g} MB)", field_name)])
    if not content:
        raise ValidationError([FieldProblem(field.label, "berkas kosong", field_name)])
    safe_name = Path(filename).name[:200] or "lampiran"
    extension = Path(safe_name).suffix.lower().lstrip(".")
    if field.accept and extension not in {a.lower() for a in field.accept}:
        raise ValidationError([FieldProblem(field.label, f"jenis berkas .{extension or '?'} tidak diterima; "
                                                   f"yang diterima: {', '.join(field.accept)}", field_name)])
    digest = hashlib.sha256(content).hexdigest()
    media_type = mimetypes.guess_type(safe_name)[0] or "application/octet-stream"
    storage_path: str | None = None
    stored: bytes | None = content
    if directory is not None:
        target = directory / digest[:2] / digest
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_suffix(".tmp")
            tmp.write_bytes(content)
            tmp.replace(target)
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
