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

__all__ = ["RESTORE_KIND", "BundleProblem", "declaration_problem", "declared_root", "describe", "main",
           "verify_bundle"]

RESTORE_KIND = "restore"
"""``kind`` of the entry written when a database is restored from a backup: it declares the fork.

Its body holds ``restored_size`` N (the log size of the backup, so the entry itself is #N+1),
``published_size`` M and ``published_root`` (the log as it stood before the restore), ``prefix``
(whether entries 1..N of the backup were entries 1..N of that log), the RFC 6962
``consistency_proof`` from N to M and, when not too many, ``lost_leaves``: the leaf hashes of
entries N+1..M. With them a checkpoint signed before the restore, of any size up to M, is
proven to be an older state of this log (entries 1..N kept, N+1..size missing), not a rewrite.
"""


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
    restores: list[tuple[int, dict[str, Any], CompactRange]] = []  # restore declarations: (seq, body, log before)
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
        if body.get("kind") == RESTORE_KIND:
            prefix = CompactRange.from_list(tree.size, tree.to_list())
            problem = declaration_problem(prefix, body)
            if problem:
                raise BundleProblem(f"{where}: {problem}")
            restores.append((number, body, prefix))
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
        if not old.size and old.root != EMPTY_ROOT:
            raise BundleProblem("checkpoint lama ukuran 0 memuat akar yang bukan akar log kosong")
        if old.size > len(leaves) or (old.size and roots[old.size] != old.root):
            summary["restored"] = _explained_by_restore(restores, old.size, old.root, len(leaves))
        elif old.size:
            proof = consistency_proof(leaves, old.size)
            if not verify_consistency(old.size, len(leaves), old.root, roots[len(leaves)], proof):
                raise BundleProblem(f"log tidak konsisten dengan checkpoint lama ukuran {old.size}: "
                                    "riwayat sebelum pemeriksaan terakhir telah diubah")
        summary["since"] = old.size
    summary["verdict"] = describe(summary)
    return summary


def _explained_by_restore(restores: list[tuple[int, dict[str, Any], CompactRange]], size: int, root: bytes,
                          length: int) -> dict[str, int]:
    """The restore declaration proving that a checkpoint this log does not contain is an older state of it."""
    for seq, body, prefix in restores:
        if declared_root(prefix, body, size) == root:
            return {"entry": seq, "restored_size": prefix.size, "published_size": int(body["published_size"])}
    covered = any(body.get("prefix") is True and prefix.size < size <= body["published_size"]
                  for _, body, prefix in restores)
    if size > length and not covered:
        raise BundleProblem(f"salinan lama atau log dipotong sejak pemeriksaan terakhir: catatan #{length + 1}.."
                            f"#{size} dari checkpoint lama tidak ada di bundel, dan tidak ada catatan pemulihan yang "
                            f"membuktikan bahwa #1..#{length} sama dengan yang ditandatangani pada ukuran {size}")
    raise BundleProblem(f"log tidak konsisten dengan checkpoint lama ukuran {size}: "
                        "riwayat sebelum pemeriksaan terakhir telah diubah"
                        + (" (berbeda dari riwayat yang dinyatakan pada pemulihan)" if covered else ""))


def describe(summary: dict[str, Any]) -> str:
    """The one line both verifiers print after "UTUH:" (verify.py and ``tatakelola audit verify-export``)."""
    size = summary["size"]
    entries = f"{size} catatan" if size else "0 catatan (log masih kosong)"
    extra = f"; konsisten dengan checkpoint lama ukuran {summary['since']}" if "since" in summary else ""
    restored = summary.get("restored")
    if restored:
        n, since = restored["restored_size"], summary["since"]
        extra = (f"; checkpoint lama ukuran {since} adalah salinan lama log ini: #1..#{n} sama, "
                 f"#{n + 1}..#{since} tidak ada karena dipulihkan ke ukuran {n} setelah ukuran "
                 f"{restored['published_size']} pernah diterbitkan (dinyatakan di catatan #{restored['entry']})")
    return f"{summary['coop']}: {entries}, {summary['checkpoints']} checkpoint sah, akar {summary['root']}{extra}"


def _hashes(value: Any) -> list[bytes] | None:
    if not isinstance(value, list):
        return None
    try:
        out = [bytes.fromhex(item) for item in value]
    except (TypeError, ValueError):
        return None
    return out if all(len(h) == 32 for h in out) else None


def _declared_history(prefix: CompactRange, body: dict[str, Any]) -> tuple[int, int, bytes, list[bytes] | None]:
    """(N, M, root M, lost leaf hashes) of a restore declaration whose fields are well formed; ValueError if not."""
    n, m = body.get("restored_size"), body.get("published_size")
    if not isinstance(n, int) or not isinstance(m, int) or isinstance(n, bool) or isinstance(m, bool):
        raise ValueError("ukuran pada catatan pemulihan tidak sah")
    if n != prefix.size:
        raise ValueError(f"catatan pemulihan menyebut ukuran {n}, padahal log sebelum catatan itu {prefix.size}")
    try:
        published = bytes.fromhex(str(body.get("published_root")))
    except ValueError:
        raise ValueError("akar yang pernah diterbitkan pada catatan pemulihan tidak sah") from None
    if len(published) != 32:
        raise ValueError("akar yang pernah diterbitkan pada catatan pemulihan tidak sah")
    lost = _hashes(body.get("lost_leaves")) if "lost_leaves" in body else None
    if lost is not None and len(lost) != m - n:
        raise ValueError("jumlah hash catatan yang hilang pada catatan pemulihan tidak sesuai")
    return n, m, published, lost


def declaration_problem(prefix: CompactRange, body: dict[str, Any]) -> str | None:
    """What is wrong with a restore declaration, given the compact range of the log before it (None: sound).

    A declaration of a true prefix must prove it: the consistency proof from N to M, or the lost leaf
    hashes, must lead from the log's root at N to the published root M. One that says it is no prefix
    (``prefix`` false) proves nothing and claims nothing.
    """
    try:
        n, m, published, lost = _declared_history(prefix, body)
    except ValueError as exc:
        return str(exc)
    if body.get("prefix") is not True:
        return None
    if lost is not None:
        full = CompactRange.from_list(prefix.size, prefix.to_list())
        for leaf in lost:
            full.append(leaf)
        if full.root() != published:
            return f"hash catatan #{n + 1}..#{m} yang hilang tidak menghasilkan akar yang pernah diterbitkan"
    proof = _hashes(body.get("consistency_proof"))
    if m > n and (proof is None or not verify_consistency(n, m, prefix.root(), published, proof)):
        return f"bukti konsistensi ukuran {n} ke {m} pada catatan pemulihan tidak sah"
    return None


def declared_root(prefix: CompactRange, body: dict[str, Any], size: int) -> bytes | None:
    """The root at ``size`` (N < size <= M) of the log that stood before the restore, as the declaration
    proves it from ``prefix`` (the log's first N leaves); None when it proves nothing for that size."""
    if declaration_problem(prefix, body) is not None or body.get("prefix") is not True:
        return None
    n, m, published, lost = _declared_history(prefix, body)
    if not n < size <= m:
        return None
    if size == m:
        return published
    if lost is None:
        return None
    tree = CompactRange.from_list(prefix.size, prefix.to_list())
    for leaf in lost[:size - n]:
        tree.append(leaf)
    return tree.root()


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
