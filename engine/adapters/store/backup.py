"""Whole-database copies: SQLite's online backup in one step; PostgreSQL's ``pg_dump`` and ``pg_restore``.

Mechanics only (files, processes, the SQLite backup API); what a restore means for the trail is the
backup use case's (:mod:`engine.services.backup`).
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, create_engine, inspect, select, text
from sqlalchemy.engine import URL

from engine.adapters.store.models import AuditHead, Cooperative
from engine.errors import (
    BackupError,
    BackupToolMissingError,
    DatabaseBusyError,
    ReadOnlyStorageError,
    StorageFullError,
    TatakelolaError,
)

__all__ = ["SQLITE_MAGIC", "LogHead", "file_kind", "log_heads", "pg_check", "pg_dump", "pg_restore",
           "remove_sqlite_file", "sqlite_copy", "sqlite_heads"]

SQLITE_MAGIC = b"SQLite format 3\x00"
_PG_MAGIC = b"PGDMP"
_TOOL_TIMEOUT = 3600.0  # seconds; a dump of a national database is big, a hung tool is not waited on forever


@dataclass(frozen=True)
class LogHead:
    """One cooperative's log as a copy holds it: size and root."""

    coop: str
    size: int
    root: str


def file_kind(path: Path) -> str | None:
    """``sqlite`` for a SQLite file, ``pg_dump`` for a pg_dump custom-format archive, else None."""
    try:
        with path.open("rb") as handle:
            start = handle.read(len(SQLITE_MAGIC))
    except OSError:
        return None
    if start == SQLITE_MAGIC:
        return "sqlite"
    return "pg_dump" if start.startswith(_PG_MAGIC) else None


def log_heads(connection: Connection) -> list[LogHead]:
    """Every cooperative's log head, by slug (none when the database has no schema yet)."""
    if not inspect(connection).has_table("audit_heads"):
        return []
    rows = connection.execute(select(Cooperative.slug, AuditHead.size, AuditHead.root)
                              .join(AuditHead, AuditHead.coop_id == Cooperative.id).order_by(Cooperative.slug))
    return [LogHead(slug, int(size), root) for slug, size, root in rows]


def sqlite_heads(path: Path) -> list[LogHead]:
    """The log heads a SQLite copy holds, read without writing to it."""
    engine = create_engine(URL.create("sqlite", database=f"file:{path.resolve()}", query={"mode": "ro", "uri": "true"}))
    try:
        with engine.connect() as connection:
            return log_heads(connection)
    except Exception:
        raise BackupError(f"Berkas {path} bukan cadangan Tatakelola yang dapat dibaca.") from None
    finally:
        engine.dispose()


def sqlite_copy(source: Path, target: Path, *, busy_timeout: float = 30.0, standalone: bool = False) -> None:
    """Copy the SQLite database ``source`` into ``target`` online, in one step (the backup API, all pages at once).

    One step holds a read snapshot of ``source`` for the whole copy: writers carry on (WAL), and the copy
    never restarts after their commits as a page-by-page backup does. ``target`` is replaced in one
    transaction of its own. ``standalone`` leaves the copy in rollback-journal mode: one self-contained
    file that opens read-only from any medium.
    """
    try:
        src = sqlite3.connect(f"file:{source.resolve()}?mode=ro", uri=True, timeout=busy_timeout)
        try:
            dst = sqlite3.connect(target, timeout=busy_timeout)
            try:
                src.backup(dst, pages=-1)
                if standalone:
                    dst.execute("PRAGMA journal_mode=DELETE")
            finally:
                dst.close()
        finally:
            src.close()
    except sqlite3.Error as exc:
        raise _copy_fault(exc, source, target) from None


def _copy_fault(exc: sqlite3.Error, source: Path, target: Path) -> TatakelolaError:
    """A failed SQLite copy as a named error, without the driver's text."""
    code = str(getattr(exc, "sqlite_errorname", ""))
    if code.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
        return DatabaseBusyError(f"{target} sedang dipakai proses lain; coba lagi sebentar lagi. Tidak ada yang "
                                 "diubah.", fault="busy")
    if code.startswith(("SQLITE_FULL", "SQLITE_IOERR")):
        return StorageFullError(f"{target} tidak dapat ditulis: ruang disk penuh atau galat disk. Tidak ada yang "
                                "diubah.", fault="disk_full" if code == "SQLITE_FULL" else "io")
    if code.startswith(("SQLITE_READONLY", "SQLITE_CANTOPEN", "SQLITE_PERM", "SQLITE_AUTH")):
        return ReadOnlyStorageError(f"{source} tidak dapat dibaca atau {target} tidak dapat ditulis (folder tidak "
                                    "ada, dilindungi dari penulisan, atau tanpa izin). Tidak ada yang diubah.",
                                    fault="read_only")
    if code in ("SQLITE_NOTADB", "SQLITE_CORRUPT"):
        return BackupError(f"{source} bukan basis data SQLite yang utuh.")
    return BackupError(f"Salinan {source} ke {target} gagal ({code or 'galat SQLite'}); tidak ada yang diubah.")


def remove_sqlite_file(path: Path) -> None:
    """Delete a SQLite file and whatever journal it left beside it."""
    for name in (path, Path(f"{path}-wal"), Path(f"{path}-shm"), Path(f"{path}-journal")):
        name.unlink(missing_ok=True)


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupToolMissingError(
            f"Program `{name}` tidak ditemukan. Pasang klien PostgreSQL (paket postgresql-client, versi yang sama "
            f"atau lebih baru dari servernya) lalu jalankan lagi; tidak ada yang diubah.")
    return found


def _libpq(url: URL) -> tuple[str, dict[str, str]]:
    """A libpq URI without the password, and the environment that carries it (never on the command line)."""
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    bare = url.set(drivername="postgresql", password=None)
    return bare.render_as_string(hide_password=False), env


def _run(args: list[str], env: dict[str, str], what: str) -> str:
    """Run a PostgreSQL client program; its standard output, or BackupError with its last line of complaint."""
    try:
        result = subprocess.run(args, env=env, capture_output=True, text=True, timeout=_TOOL_TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        raise BackupError(f"{what} tidak selesai dalam {int(_TOOL_TIMEOUT)} detik; dihentikan.") from None
    except OSError as exc:
        raise BackupError(f"{what} tidak dapat dijalankan ({exc.strerror}).") from None
    if result.returncode != 0:
        lines = [line.strip() for line in result.stderr.splitlines() if line.strip()]
        reason = lines[-1][:300] if lines else f"kode keluar {result.returncode}"
        raise BackupError(f"{what} gagal: {reason}")
    return result.stdout


@contextmanager
def _exported_snapshot(connection: Connection) -> Iterator[str]:
    """A REPEATABLE READ transaction whose snapshot another session (pg_dump) can share."""
    connection.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
    with connection.begin():
        yield str(connection.execute(text("SELECT pg_export_snapshot()")).scalar_one())


def pg_dump(connection: Connection, url: URL, target: Path) -> list[LogHead]:
    """Dump the connection's schema with ``pg_dump`` (custom format) into ``target``; the log heads it holds.

    The heads are read in the very snapshot the dump is taken from (``pg_export_snapshot``), so what is
    reported is exactly what the file contains, while decisions go on.
    """
    tool = _tool("pg_dump")
    uri, env = _libpq(url)
    with _exported_snapshot(connection) as snapshot:
        schema = str(connection.execute(text("SELECT current_schema()")).scalar_one())
        extensions = connection.execute(text("SELECT extname FROM pg_extension WHERE extname <> 'plpgsql' "
                                             "ORDER BY extname")).scalars().all()
        heads = log_heads(connection)
        _run([tool, "--format=custom", "--no-owner", "--no-acl", f"--schema={schema}", f"--snapshot={snapshot}",
              *(f"--extension={name}" for name in extensions), f"--file={target}", f"--dbname={uri}"],
             env, "pg_dump")
    return heads


def pg_check(source: Path) -> None:
    """Refuse a file ``pg_restore`` cannot read as an archive."""
    _run([_tool("pg_restore"), "--list", str(source)], dict(os.environ), f"Membaca arsip {source.name}")


_EXTENSION_NAME = re.compile(r"[a-z0-9_]+")


def _restore_list(source: Path, schema_exists: bool) -> tuple[str, list[str]]:
    """The archive's table of contents without what a restore must not drop, and the extensions it needs.

    Extensions are shared by the whole database (other schemas may use them) and the schema itself may
    hold more than the archive (an extension's objects): both are left in place, and an extension the
    archive needs is created if missing, never dropped.
    """
    keep, extensions = [], []
    for line in _run([_tool("pg_restore"), "--list", str(source)], dict(os.environ),
                     f"Membaca arsip {source.name}").splitlines():
        fields = line.split(";", 1)[1].split() if ";" in line and not line.startswith(";") else []
        kind = fields[2] if len(fields) > 4 else ""
        if kind == "EXTENSION":
            if _EXTENSION_NAME.fullmatch(fields[4]):
                extensions.append(fields[4])
            continue
        if (kind == "COMMENT" and fields[4] in ("EXTENSION", "SCHEMA")) or (kind == "SCHEMA" and schema_exists):
            continue
        keep.append(line)
    return "\n".join(keep) + "\n", extensions


def pg_restore(connection: Connection, url: URL, source: Path) -> None:
    """Replace the objects of the archive in the database (``--clean``), in one transaction: all or nothing.

    ``connection`` (autocommit) creates the extensions the archive needs before ``pg_restore`` runs.
    """
    tool = _tool("pg_restore")
    uri, env = _libpq(url)
    schema_exists = connection.execute(text("SELECT current_schema()")).scalar() is not None
    listing, extensions = _restore_list(source, schema_exists)
    for name in extensions:
        connection.exec_driver_sql(f'CREATE EXTENSION IF NOT EXISTS "{name}"')
    with tempfile.NamedTemporaryFile("w", suffix=".toc", encoding="utf-8", delete=False) as handle:
        handle.write(listing)
    try:
        _run([tool, "--clean", "--if-exists", "--single-transaction", "--no-owner", "--no-acl", "--exit-on-error",
              f"--use-list={handle.name}", f"--dbname={uri}", str(source)], env, "pg_restore")
    finally:
        Path(handle.name).unlink(missing_ok=True)
