"""Backup and restore that the approval trail understands.

A backup is one consistent copy of the whole database, taken while decisions go on: SQLite's online
backup in one step, PostgreSQL's ``pg_dump`` in a snapshot whose log heads are reported.

A restore replaces the database with a copy. The log of the copy (size N) is usually shorter than
the log that was running (size M), whose checkpoints may already be printed on documents or held by
the pengawas. So before the old database is replaced, its size, root, leaf hashes and case-number
high-water marks are read; and the restored log's first new entry is a signed declaration,
"dipulihkan ke ukuran N setelah ukuran M pernah diterbitkan", that carries the proof that entries
1..N of the copy are entries 1..N of the published log (an RFC 6962 consistency proof N -> M and the
leaf hashes of the lost entries N+1..M). With it, a checkpoint signed before the restore reads as an
older state of this log with entries missing, not as a rewrite; the fork is declared, not hidden. The
case counters are raised to the old high-water marks, so no case number is issued twice.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from engine.adapters.store.backup import (
    LogHead,
    file_kind,
    log_heads,
    pg_check,
    pg_dump,
    pg_restore,
    remove_sqlite_file,
    sqlite_copy,
    sqlite_heads,
)
from engine.adapters.store.db import Database
from engine.adapters.store.models import CaseCounter, Cooperative
from engine.audit.core.merkle import consistency_proof, root_from_leaf_hashes
from engine.audit.core.offline import RESTORE_KIND
from engine.audit.log import append_entry
from engine.audit.proofs import leaf_hashes
from engine.errors import BackupError, TatakelolaError, UsageError
from engine.services.context import Context

__all__ = ["LOST_LEAVES_MAX", "BackupResult", "BackupService", "RestorePlan", "RestoreResult", "RestoredLog"]

LOST_LEAVES_MAX = 10_000
"""A restore declaration lists the leaf hashes of at most this many lost entries (beyond: only the proof to M)."""


@dataclass(frozen=True)
class BackupResult:
    """A backup written: where, how big, how long it took, and each cooperative's log it holds."""

    path: Path
    size_bytes: int
    seconds: float
    logs: list[LogHead]


@dataclass(frozen=True)
class _Published:
    """A cooperative's log as it stood before a restore, and its case-number high-water marks."""

    size: int
    root: bytes
    leaves: list[bytes]
    counters: list[tuple[str, int, int]]  # (prefix, year, last)


@dataclass(frozen=True)
class RestorePlan:
    """What a restore would do: the logs now (None: the database cannot be read) and in the backup."""

    source: Path
    kind: str  # sqlite | pg_dump
    current: list[LogHead] | None
    backup: list[LogHead] | None  # None: not readable before restoring (a pg_dump archive)


@dataclass(frozen=True)
class RestoredLog:
    """One cooperative after a restore."""

    coop: str
    restored_size: int
    published_size: int | None  # the size before the restore (None: the cooperative was not in the old database)
    prefix: bool | None  # the copy's entries 1..N were the published entries 1..N (None: nothing to compare)
    declared_at: int | None  # seq of the restore declaration, when a fork had to be declared
    counters_raised: list[str] = field(default_factory=list)  # "KAS/2026": counters raised to the old mark


@dataclass(frozen=True)
class RestoreResult:
    """A restore done."""

    source: Path
    previous_readable: bool
    logs: list[RestoredLog]


class BackupService:
    """``tatakelola backup`` and ``tatakelola restore``."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    # -- backup ------------------------------------------------------------------------------

    def backup(self, output: Path, *, overwrite: bool = False) -> BackupResult:
        """Write a consistent copy of the whole database to ``output`` (a temporary file, renamed when complete).

        Args:
            output: The backup file (SQLite database file, or pg_dump custom-format archive).
            overwrite: Replace ``output`` if it exists (else BackupError, nothing written).
        """
        db = self.ctx.db
        db.require_schema()
        if output.is_dir():
            raise BackupError(f"{output} adalah folder; sebutkan nama berkas cadangan, mis. {output / 'cadangan.db'}.")
        if output.exists() and not overwrite:
            raise BackupError(f"Berkas {output} sudah ada; pakai --timpa untuk menggantinya, atau pilih nama lain.")
        if not output.parent.is_dir():
            raise BackupError(f"Folder {output.parent} tidak ada.")
        partial = output.with_name(f".{output.name}.sebagian-{os.getpid()}")
        started = time.monotonic()
        try:
            if db.dialect == "sqlite":
                source = db.sqlite_path
                if source is None or not source.exists():
                    raise BackupError("Basis data SQLite ini tidak berada di berkas; tidak ada yang dapat dicadangkan.")
                sqlite_copy(source, partial, standalone=True)
                heads = sqlite_heads(partial)
            else:
                with db.db_engine.connect() as connection:
                    heads = pg_dump(connection, make_url(db.url), partial)
            os.replace(partial, output)
        except OSError as exc:
            raise BackupError(f"Cadangan tidak dapat ditulis ke {output}: {exc.strerror}.") from None
        finally:
            remove_sqlite_file(partial)
        return BackupResult(output, output.stat().st_size, time.monotonic() - started, heads)

    # -- restore -----------------------------------------------------------------------------

    def plan(self, source: Path) -> RestorePlan:
        """Check that ``source`` is a backup this database can be restored from, and say what it holds."""
        kind = self._check(source)
        backup = sqlite_heads(source) if kind == "sqlite" else None
        published = self._published()
        current = None if published is None else [
            LogHead(slug, log.size, log.root.hex()) for slug, log in sorted(published.items())]
        return RestorePlan(source, kind, current, backup)

    def _check(self, source: Path) -> str:
        """The kind of backup ``source`` is, when this database can be restored from it."""
        kind = file_kind(source)
        if not source.is_file() or kind is None:
            raise BackupError(f"{source} bukan berkas cadangan Tatakelola (basis data SQLite atau arsip pg_dump).")
        wanted = "sqlite" if self.ctx.db.dialect == "sqlite" else "pg_dump"
        if kind != wanted:
            names = {"sqlite": "SQLite", "pg_dump": "PostgreSQL (pg_dump)"}
            raise UsageError(f"{source} adalah cadangan {names[kind]}, sedangkan basis data yang dipakai "
                             f"{names[wanted]}; pulihkan ke basis data sejenis.")
        if kind == "sqlite":
            if self.ctx.db.sqlite_path is None:
                raise UsageError("Basis data SQLite di memori tidak dapat dipulihkan dari berkas.")
            sqlite_heads(source)  # readable, and a Tatakelola database
        else:
            pg_check(source)
        return kind

    def restore(self, source: Path) -> RestoreResult:
        """Replace the database with the backup ``source`` and declare, per cooperative, any fork it makes.

        The old database is read first (log sizes, roots, leaf hashes, case counters). On SQLite the
        backup is prepared in a temporary file beside the database (schema upgraded, declarations signed,
        counters raised) and then copied over the database in one step: the database is either the old
        one or the restored one, never half of each. On PostgreSQL ``pg_restore --clean`` runs in one
        transaction, then the declarations are written.
        """
        self._check(source)
        published = self._published()
        db = self.ctx.db
        if db.dialect == "sqlite":
            target = db.sqlite_path
            assert target is not None  # checked by plan()
            work_path = target.with_name(f".{target.name}.pulih-{os.getpid()}")
            remove_sqlite_file(work_path)
            try:
                sqlite_copy(source, work_path)
                work = Database(f"sqlite:///{work_path}")
                try:
                    work.upgrade()
                    logs = self._declare(work, published or {})
                finally:
                    work.dispose()
                db.dispose()
                sqlite_copy(work_path, target)
            except OSError as exc:
                raise BackupError(f"Pemulihan gagal ({exc.strerror}); basis data tidak diubah.") from None
            finally:
                remove_sqlite_file(work_path)
        else:
            db.dispose()
            with db.db_engine.connect() as connection:
                pg_restore(connection.execution_options(isolation_level="AUTOCOMMIT"), make_url(db.url), source)
            db.dispose()
            db.upgrade()
            logs = self._declare(db, published or {})
        return RestoreResult(source, published is not None, logs)

    def _published(self) -> dict[str, _Published] | None:
        """Each cooperative's log and case counters in the database as it is now ({} when it holds none;
        None when it cannot be read)."""
        db = self.ctx.db
        path = db.sqlite_path
        if db.dialect == "sqlite" and (path is None or not path.exists()):
            return {}
        try:
            with db.db_engine.connect() as connection:
                if not log_heads(connection):
                    return {}
            out: dict[str, _Published] = {}
            with db.reader() as session:
                counters: dict[int, list[tuple[str, int, int]]] = {}
                for row in session.scalars(select(CaseCounter)):
                    counters.setdefault(row.coop_id, []).append((row.prefix, row.year, row.last))
                for coop in session.scalars(select(Cooperative).order_by(Cooperative.slug)):
                    leaves = leaf_hashes(session, coop)
                    out[coop.slug] = _Published(len(leaves), root_from_leaf_hashes(leaves), leaves,
                                                sorted(counters.get(coop.id, [])))
            return out
        except (DBAPIError, TatakelolaError):
            return None

    def _declare(self, db: Database, published: dict[str, _Published]) -> list[RestoredLog]:
        """In the restored database: raise the case counters and sign a restore declaration where the log forks."""
        now = self.ctx.clock()
        signer = self.ctx.signer
        out = []
        with db.session() as session:
            for coop in session.scalars(select(Cooperative).order_by(Cooperative.slug)).all():
                leaves = leaf_hashes(session, coop)
                n = len(leaves)
                before = published.get(coop.slug)
                if before is None:
                    out.append(RestoredLog(coop.slug, n, None, None, None))
                    continue
                raised = _raise_counters(session, coop.id, before.counters)
                m = before.size
                if m <= n and root_from_leaf_hashes(leaves[:m]) == before.root:
                    out.append(RestoredLog(coop.slug, n, m, True, None, raised))  # nothing published is lost
                    continue
                prefix = m >= n and root_from_leaf_hashes(before.leaves[:n]) == root_from_leaf_hashes(leaves)
                fields: dict[str, object] = {
                    "action": "pulihkan", "kind": RESTORE_KIND,
                    "note": f"dipulihkan ke ukuran {n} setelah ukuran {m} pernah diterbitkan",
                    "restored_size": n, "restored_root": root_from_leaf_hashes(leaves).hex(),
                    "published_size": m, "published_root": before.root.hex(), "prefix": prefix,
                    "case_counters": [{"prefix": p, "year": y, "last": last} for p, y, last in before.counters],
                }
                if prefix:
                    fields["consistency_proof"] = [h.hex() for h in consistency_proof(before.leaves, n)] if n else []
                    if m - n <= LOST_LEAVES_MAX:
                        fields["lost_leaves"] = [h.hex() for h in before.leaves[n:m]]
                seq = append_entry(session, coop, signer, fields, case_id=None, now=now)
                out.append(RestoredLog(coop.slug, n, m, prefix, seq, raised))
        return out


def _raise_counters(session: Session, coop_id: int, marks: Sequence[tuple[str, int, int]]) -> list[str]:
    """Raise this cooperative's case counters to the marks of the old database; the numbers raised."""
    raised = []
    for prefix, year, last in marks:
        row = session.get(CaseCounter, (coop_id, prefix, year))
        if row is None:
            session.add(CaseCounter(coop_id=coop_id, prefix=prefix, year=year, last=last))
        elif row.last < last:
            row.last = last
        else:
            continue
        raised.append(f"{prefix}/{year}/{last:04d}")
    return raised
