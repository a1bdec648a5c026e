"""Database faults of the environment, told in Indonesian: the one place driver errors are translated.

SQLite reports a result code (``sqlite_errorname``), PostgreSQL a SQLSTATE, and psycopg's connection
failures only an English sentence; each becomes one of the named errors of :mod:`engine.errors`
(exit 75 "busy, try again", 78 "set-up"). The messages name the database (password masked) and what
to do; never the SQL, its parameters or the driver's text, which may hold members' data.
"""

from __future__ import annotations

import os
from urllib.parse import unquote

from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError

from engine.errors import (
    DatabaseBusyError,
    DatabaseUnavailableError,
    EnvironmentFaultError,
    ReadOnlyStorageError,
    StorageFullError,
)

__all__ = ["connection_lost", "database_fault", "file_fault"]

_NOT_SAVED = " Perubahan ini tidak disimpan."
_NEARLY_FULL = 1 << 20  # bytes free below which a disk I/O error is taken for a full disk
_CHECK_URL = "Periksa alamat basis data (--db atau TATAKELOLA_DB)."


def _where(url: URL) -> str:
    if url.get_backend_name() == "sqlite":
        return f"berkas {_sqlite_path(url)}"
    return f"server {url.host or 'lokal'}:{url.port or 5432}"


def _sqlite_path(url: URL) -> str:
    database = url.database or ""
    if database.startswith("file:"):
        database = unquote(database[len("file:"):].partition("?")[0])
    return database


def _disk_full(url: URL) -> bool:
    """Whether the folder of a SQLite file has (next to) no space left for this process."""
    folder = os.path.dirname(os.path.abspath(_sqlite_path(url))) or "."
    try:
        stats = os.statvfs(folder)
    except OSError:
        return False
    free = stats.f_bfree if os.geteuid() == 0 else stats.f_bavail
    return free * stats.f_frsize < _NEARLY_FULL


def _sqlite(code: str, url: URL) -> EnvironmentFaultError | None:
    where = _where(url)
    if code.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
        return DatabaseBusyError("Basis data sedang sibuk (dipakai proses lain); coba lagi sebentar lagi."
                                 + _NOT_SAVED, fault="busy")
    if code == "SQLITE_FULL":
        return StorageFullError(f"Ruang penyimpanan basis data ({where}) penuh; kosongkan ruang disk, lalu coba "
                                "lagi." + _NOT_SAVED, fault="disk_full")
    if code.startswith("SQLITE_READONLY"):
        return ReadOnlyStorageError(
            f"Basis data ({where}) hanya dapat dibaca (berkas, folder atau media dilindungi dari penulisan, atau "
            "dibuka dengan mode=ro): perintah yang mengubah data tidak dapat dijalankan di sini." + _NOT_SAVED,
            fault="read_only")
    if code.startswith("SQLITE_CANTOPEN"):
        return DatabaseUnavailableError(
            f"Basis data ({where}) tidak dapat dibuka: berkas atau foldernya tidak ada atau tidak boleh dibaca. "
            + _CHECK_URL, fault="cannot_open")
    if code in ("SQLITE_NOTADB", "SQLITE_CORRUPT"):
        return DatabaseUnavailableError(
            f"{where.capitalize()} bukan basis data Tatakelola yang utuh (bukan berkas SQLite, atau rusak). "
            "Pulihkan dari cadangan.", fault="not_a_database")
    if code.startswith("SQLITE_IOERR") and _disk_full(url):  # a full disk often fails the WAL write, not a page
        return StorageFullError(f"Ruang penyimpanan basis data ({where}) penuh; kosongkan ruang disk, lalu coba "
                                "lagi." + _NOT_SAVED, fault="disk_full")
    if code.startswith("SQLITE_IOERR"):
        return EnvironmentFaultError(f"Galat baca/tulis disk pada basis data ({where}); periksa media "
                                     "penyimpanannya.", fault="io")
    return None


_PG_BUSY = {"40001", "40P01", "55P03", "57014", "57P03", "53300"}  # serialisation, deadlock, lock wait, too many


def _postgresql(sqlstate: str | None, text: str, url: URL) -> EnvironmentFaultError | None:
    where = _where(url)
    lowered = text.lower()
    if sqlstate in _PG_BUSY or "too many clients" in lowered or "starting up" in lowered:
        return DatabaseBusyError(f"Basis data ({where}) sedang sibuk; coba lagi sebentar lagi." + _NOT_SAVED,
                                 fault="busy")
    if sqlstate in ("53100", "53200") or "no space left" in lowered or "could not extend file" in lowered:
        return StorageFullError(f"Ruang penyimpanan basis data ({where}) penuh; kosongkan ruang disk server, lalu "
                                "coba lagi." + _NOT_SAVED, fault="disk_full")
    if sqlstate == "25006" or "read-only transaction" in lowered or "recovery is in progress" in lowered:
        return ReadOnlyStorageError(
            f"Basis data ({where}) hanya dapat dibaca (server siaga atau transaksi baca saja): perintah yang "
            "mengubah data tidak dapat dijalankan di sini." + _NOT_SAVED, fault="read_only")
    if sqlstate == "3D000" or ("database" in lowered and "does not exist" in lowered):
        return DatabaseUnavailableError(
            f"Basis data '{url.database}' tidak ada di {where}. Buat dahulu (mis. `createdb {url.database}`), lalu "
            "jalankan `tatakelola init`.", fault="missing_database")
    if sqlstate in ("28000", "28P01") or "authentication failed" in lowered or \
            ("role" in lowered and "does not exist" in lowered) or "no pg_hba.conf entry" in lowered or \
            "password" in lowered:
        return DatabaseUnavailableError(
            f"{where.capitalize()} menolak login pengguna '{url.username or ''}' (kata sandi salah, peran tidak ada, "
            f"atau tidak diizinkan). {_CHECK_URL}", fault="login_refused")
    if "failed to resolve host" in lowered or "could not translate host name" in lowered or \
            "name or service not known" in lowered or "nodename nor servname" in lowered:
        return DatabaseUnavailableError(f"Nama host basis data '{url.host}' tidak dikenal. {_CHECK_URL}",
                                        fault="unknown_host")
    if sqlstate is None or sqlstate.startswith(("08", "57P")) or "connection" in lowered or "timeout" in lowered:
        return DatabaseUnavailableError(
            f"Server basis data {url.host or 'lokal'}:{url.port or 5432} tidak dapat dihubungi (koneksi ditolak, "
            f"terputus atau habis waktu). Periksa apakah PostgreSQL berjalan. {_CHECK_URL}", fault="unreachable")
    return None


def database_fault(exc: DBAPIError, url: URL) -> EnvironmentFaultError | None:
    """The named error for a driver error caused by the environment; None for anything else (constraints, bugs)."""
    orig = exc.orig
    if url.get_backend_name() == "sqlite":
        code = getattr(orig, "sqlite_errorname", None)
        if not isinstance(code, str):
            text = str(orig).lower()
            code = ("SQLITE_BUSY" if "locked" in text else "SQLITE_FULL" if "is full" in text else
                    "SQLITE_READONLY" if "readonly" in text else "")
        return _sqlite(code, url)
    if not isinstance(exc, (DBAPIError,)) or type(orig).__name__ in ("IntegrityError", "DataError",
                                                                      "ProgrammingError", "NotSupportedError"):
        return None
    sqlstate = getattr(orig, "sqlstate", None)
    return _postgresql(sqlstate if isinstance(sqlstate, str) else None, str(orig), url)


def connection_lost(exc: DBAPIError, url: URL) -> bool:
    """True when the error leaves unknown whether a COMMIT sent took effect (the link broke, the disk failed)."""
    fault = database_fault(exc, url)
    if fault is None:
        return bool(exc.connection_invalidated)
    return fault.fault in ("unreachable", "io") or bool(exc.connection_invalidated)


def file_fault(exc: OSError, what: str) -> EnvironmentFaultError | None:
    """The named error for a failed file operation (disk full, read-only media, no permission); None otherwise."""
    import errno

    if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        return StorageFullError(f"Ruang disk penuh: {what} tidak dapat ditulis. Kosongkan ruang disk, lalu coba "
                                "lagi." + _NOT_SAVED, fault="disk_full")
    if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return ReadOnlyStorageError(f"{what} tidak dapat ditulis: media atau folder dilindungi dari penulisan, "
                                    "atau tidak ada izin.", fault="read_only")
    if exc.errno == errno.EIO:
        return EnvironmentFaultError(f"Galat baca/tulis disk: {what} tidak dapat ditulis; periksa media "
                                     "penyimpanannya.", fault="io")
    return None
