"""Offline verification of an export bundle. Standard library + ``cryptography`` only.

This module is concatenated with ``merkle.py`` and ``note.py`` into the bundle's
``verify.py``; keep its imports of those two modules in the marked block below.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

# --- engine imports (stripped when building the standalone verify.py) ---
from engine.audit.core.merkle import EMPTY_ROOT, CompactRange, consistency_proof, leaf_hash, verify_consistency
from engine.audit.core.note import Checkpoint, NoteError, parse_verifier_key, verify_note

# --- end engine imports ---

__all__ = ["BundleProblem", "describe", "main", "verify_bundle"]


class BundleProblem(Exception):
    """The first thing found wrong with a bundle."""


def _canonical(value: Any) -> bytes:
    # RFC 8785 for the value types entries use (objects, arrays, strings, integers, booleans, null):
    # sorted keys, no whitespace, minimal string escaping.
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _read_lines(path: Path) -> list[str]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise BundleProblem(f"{path.name} tidak dapat dibaca: {exc}") from None
    return [line for line in text.split("\n") if line != ""]


def _split_notes(text: str) -> list[str]:
    """Checkpoints file: signed notes separated by a line holding only '---'."""
    return [chunk.lstrip("\n") for chunk in text.split("\n---\n") if chunk.strip()]


def verify_bundle(directory: Path, since: str | None = None, key: str | None = None) -> dict[str, Any]:
    """Verify a bundle; return a summary or raise BundleProblem naming the first problem."""
    try:
        return _verify(directory, since, key)
    except (OSError, ValueError, TypeError, KeyError, AttributeError) as exc:
        if isinstance(exc, BundleProblem):
            raise
        raise BundleProblem(f"bundel rusak atau tidak lengkap: {type(exc).__name__}: {exc}") from None


def _verify(directory: Path, since: str | None, key: str | None) -> dict[str, Any]:
    manifest_path = directory / "manifest.json"
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BundleProblem(f"manifest.json tidak dapat dibaca: {exc}") from None
    origin = manifest.get("origin")
    key_text = key or (directory / "verifier-key.txt").read_text(encoding="utf-8").strip()
    try:
        key_name, public_key = parse_verifier_key(key_text)
    except NoteError as exc:
        raise BundleProblem(f"kunci verifikasi tidak sah: {exc}") from None

    revisions: dict[tuple[str, int], str] = {}
    for number, line in enumerate(_read_lines(directory / "data_revisions.jsonl"), start=1):
        try:
            row = json.loads(line)
            revisions[(str(row["case"]), int(row["rev"]))] = str(row["data"])
        except (ValueError, KeyError, TypeError):
            raise BundleProblem(f"data_revisions.jsonl baris {number} rusak") from None

    tree = CompactRange()
    leaves: list[bytes] = []
    roots: dict[int, bytes] = {}
    for number, line in enumerate(_read_lines(directory / "entries.jsonl"), start=1):
        where = f"catatan #{number}"
        try:
            body = json.loads(line)
        except ValueError:
            raise BundleProblem(f"{where}: bukan JSON") from None
        if not isinstance(body, dict):
            raise BundleProblem(f"{where}: bukan objek JSON")
        case = body.get("case")
        where += f" (kasus {case})" if case else ""
        if _canonical(body) != line.encode("utf-8"):
            raise BundleProblem(f"{where}: bukan JSON kanonik (diubah)")
        if body.get("seq") != number:
            raise BundleProblem(f"{where}: nomor urut {body.get('seq')} di posisi {number} "
                                "(catatan dihapus, digandakan, disisipkan atau diurutkan ulang)")
        if body.get("coop") != manifest.get("coop"):
            raise BundleProblem(f"{where}: milik koperasi lain ({body.get('coop')})")
        if case is not None:
            rev = body.get("data_rev")
            if not isinstance(rev, int) or isinstance(rev, bool):
                raise BundleProblem(f"{where}: nomor revisi data tidak sah ({rev!r})")
            data = revisions.get((str(case), rev))
            if data is None:
                raise BundleProblem(f"{where}: revisi data #{body.get('data_rev')} tidak ada di bundel")
            if hashlib.sha256(data.encode("utf-8")).hexdigest() != body.get("data_sha256"):
                raise BundleProblem(f"{where}: revisi data #{body.get('data_rev')} berubah")
        leaf = leaf_hash(line.encode("utf-8"))
        leaves.append(leaf)
        tree.append(leaf)
        roots[number] = tree.root()

    notes = _split_notes((directory / "checkpoints.txt").read_text(encoding="utf-8"))
    if not notes:
        raise BundleProblem("tidak ada checkpoint di bundel")
    latest = 0
    for index, note in enumerate(notes, start=1):
        checkpoint = _check_note(note, key_name, public_key, origin, f"checkpoint ke-{index}")
        if checkpoint.size > len(leaves):
            raise BundleProblem(f"log terpotong: checkpoint ke-{index} mencakup {checkpoint.size} catatan, "
                                f"bundel hanya memuat {len(leaves)}")
        # An empty log has a root too: SHA-256 of the empty string (RFC 6962), signed like any other.
        if (roots[checkpoint.size] if checkpoint.size else EMPTY_ROOT) != checkpoint.root:
            raise BundleProblem(f"akar Merkle ukuran {checkpoint.size} tidak cocok dengan checkpoint ke-{index} "
                                f"(ada catatan yang berubah pada atau sebelum #{checkpoint.size})")
        latest = max(latest, checkpoint.size)
    if latest != len(leaves):
        raise BundleProblem(f"checkpoint terakhir mencakup {latest} catatan, bundel memuat {len(leaves)}")

    summary: dict[str, Any] = {"coop": manifest.get("coop"), "size": len(leaves),
                               "root": (roots[len(leaves)] if leaves else EMPTY_ROOT).hex(), "checkpoints": len(notes)}
    if since is not None:
        old = _check_note(since, key_name, public_key, origin, "checkpoint lama (--since)")
        if old.size > len(leaves):
            raise BundleProblem(f"checkpoint lama mencakup {old.size} catatan, bundel hanya {len(leaves)}: "
                                "log dipotong sejak pemeriksaan terakhir")
        if not old.size and old.root != EMPTY_ROOT:
            raise BundleProblem("checkpoint lama ukuran 0 memuat akar yang bukan akar log kosong")
        if old.size:
            proof = consistency_proof(leaves, old.size)
            if not verify_consistency(old.size, len(leaves), old.root, roots[len(leaves)], proof):
                raise BundleProblem(f"log tidak konsisten dengan checkpoint lama ukuran {old.size}: "
                                    "riwayat sebelum pemeriksaan terakhir telah diubah")
        summary["since"] = old.size
    summary["verdict"] = describe(summary)
    return summary


def describe(summary: dict[str, Any]) -> str:
    """The one line both verifiers print after "UTUH:" (verify.py and ``tatakelola audit verify-export``)."""
    size = summary["size"]
    entries = f"{size} catatan" if size else "0 catatan (log masih kosong)"
    extra = f"; konsisten dengan checkpoint lama ukuran {summary['since']}" if "since" in summary else ""
    return f"{summary['coop']}: {entries}, {summary['checkpoints']} checkpoint sah, akar {summary['root']}{extra}"


def _check_note(note: str, key_name: str, public_key: Any, origin: str | None, what: str) -> Checkpoint:
    try:
        body = verify_note(note, key_name, public_key)
        checkpoint = Checkpoint.parse_body(body)
    except NoteError as exc:
        raise BundleProblem(f"{what}: tanda tangan atau isi tidak sah ({exc})") from None
    if origin is not None and checkpoint.origin != origin:
        raise BundleProblem(f"{what}: milik log lain ({checkpoint.origin})")
    return checkpoint


def main(argv: list[str] | None = None) -> int:
    """``python verify.py DIR [--since CHECKPOINT] [--key KEY]``: exit 0 intact, 1 otherwise."""
    parser = argparse.ArgumentParser(description="Verifikasi bundel jejak persetujuan Tatakelola secara luring.")
    parser.add_argument("bundle", type=Path, help="folder bundel hasil `tatakelola audit export`")
    parser.add_argument("--since", type=Path, help="checkpoint yang disimpan pada pemeriksaan sebelumnya")
    parser.add_argument("--key", help="kunci verifikasi yang Anda simpan (bawaan: verifier-key.txt di bundel)")
    args = parser.parse_args(argv)
    since = args.since.read_text(encoding="utf-8") if args.since else None
    try:
        summary = verify_bundle(args.bundle, since, args.key)
    except BundleProblem as exc:
        print(f"TIDAK UTUH: {exc}")
        return 1
    print(f"UTUH: {summary['verdict']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
