"""Export bundle for the pengawas: entries, data revisions, checkpoints, key, standalone verifier."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.adapters.store.models import AuditEntry, Case, Checkpoint, Cooperative, DataRevision, SigningKey
from engine.audit.log import log_origin

__all__ = ["build_verifier_source", "export_bundle"]

_CORE = Path(__file__).resolve().parent / "core"


def build_verifier_source() -> str:
    """verify.py: merkle.py + note.py + offline.py in one file, needing only stdlib + cryptography."""
    parts = []
    for name in ("merkle.py", "note.py", "offline.py"):
        text = (_CORE / name).read_text(encoding="utf-8")
        text = re.sub(r"^from __future__ import annotations\n", "", text, flags=re.M)
        text = re.sub(r"# --- engine imports.*?# --- end engine imports ---\n", "", text, flags=re.S)
        text = re.sub(r"^__all__ = \[.*?\]\n", "", text, flags=re.S | re.M)
        parts.append(f"# ---- {name} ----\n{text}")
    header = ('#!/usr/bin/env python3\n"""Pemeriksa bundel jejak persetujuan Tatakelola (luring).\n\n'
              "Pakai: python verify.py FOLDER_BUNDEL [--since CHECKPOINT_LAMA] [--key KUNCI]\n"
              'Hanya memerlukan Python 3.10+ dan paket `cryptography`.\n"""\n\nfrom __future__ import annotations\n\n')
    return header + "\n\n".join(parts)


def export_bundle(session: Session, coop: Cooperative, directory: Path) -> dict[str, Any]:
    """Write the bundle for one cooperative into ``directory`` (created; must be empty)."""
    directory.mkdir(parents=True, exist_ok=True)
    if any(directory.iterdir()):
        from engine.errors import ValidationError

        raise ValidationError([], headline=f"Folder {directory} tidak kosong; pilih folder baru untuk bundel.")
    entries = session.scalars(select(AuditEntry).where(AuditEntry.coop_id == coop.id)
                              .order_by(AuditEntry.seq)).all()
    numbers = dict(session.execute(select(Case.id, Case.number).where(Case.coop_id == coop.id)).all())
    revisions = session.scalars(select(DataRevision).where(DataRevision.coop_id == coop.id)
                                .order_by(DataRevision.case_id, DataRevision.rev)).all()
    checkpoints = session.scalars(select(Checkpoint).where(Checkpoint.coop_id == coop.id)
                                  .order_by(Checkpoint.size, Checkpoint.id)).all()
    key_ids = {c.key_id for c in checkpoints}
    keys = session.scalars(select(SigningKey).where(SigningKey.id.in_(key_ids))).all() if key_ids else []
    current = checkpoints[-1].key_id if checkpoints else None
    (directory / "entries.jsonl").write_text("".join(e.body + "\n" for e in entries), encoding="utf-8")
    (directory / "data_revisions.jsonl").write_text("".join(
        json.dumps({"case": numbers[r.case_id], "rev": r.rev, "sha256": r.sha256, "data": r.canonical},
                   ensure_ascii=False, sort_keys=True) + "\n" for r in revisions), encoding="utf-8")
    (directory / "checkpoints.txt").write_text("\n---\n".join(c.note for c in checkpoints), encoding="utf-8")
    verifier = next((k.verifier_key for k in keys if k.id == current), "")
    (directory / "verifier-key.txt").write_text(verifier + "\n", encoding="utf-8")
    (directory / "verify.py").write_text(build_verifier_source(), encoding="utf-8")
    manifest = {"format": "tatakelola-bundle/1", "coop": coop.slug, "name": coop.name, "origin": log_origin(coop.slug),
                "entries": len(entries), "checkpoints": len(checkpoints),
                "latest_checkpoint": checkpoints[-1].note if checkpoints else None,
                "keys": [k.verifier_key for k in keys]}
    (directory / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n",
                                             encoding="utf-8")
    (directory / "BACA-SAYA.txt").write_text(
        f"Bundel jejak persetujuan {coop.name}\n\n"
        "Periksa tanpa internet dan tanpa mempercayai server:\n"
        "  python verify.py .                       (butuh Python 3.10+ dan paket cryptography)\n"
        "  python verify.py . --since checkpoint-lama.txt   (bandingkan dengan checkpoint pemeriksaan lalu)\n\n"
        "Simpan checkpoint terakhir (baris pertama s.d. tanda tangan di manifest.json, atau keluaran\n"
        "`tatakelola audit checkpoint`) untuk pemeriksaan berikutnya.\n", encoding="utf-8")
    return manifest
