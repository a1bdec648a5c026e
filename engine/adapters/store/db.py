"""Database engines, units of work and schema management (Alembic).

Two kinds of unit of work: :meth:`Database.session` writes (SQLite: ``BEGIN IMMEDIATE``, writers are
serialised) and :meth:`Database.reader` only reads (SQLite: a deferred transaction on its WAL snapshot that
never blocks a writer nor waits for one; PostgreSQL: ``REPEATABLE READ, READ ONLY``). Both translate the
environment's driver errors (busy, disk full, read-only, unreachable ...) into the named errors of
:mod:`engine.errors` here, at the boundary, and :func:`unit_outcomes` says what this process committed, so
an unexpected error can tell the truth about what was saved.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from engine.adapters.store.faults import connection_lost, database_fault, file_fault
from engine.errors import ConfigurationError, EnvironmentFaultError
from engine.settings import normalise_url

__all__ = [
    "BUSY_TIMEOUT",
    "Database",
    "UnitOutcomes",
    "as_utc",
    "normalise_url",
    "reset_unit_outcomes",
    "unit_outcomes",
    "utcnow",
]

#: Seconds a SQLite writer waits for another's write lock before "busy, try again" (exit 75).
BUSY_TIMEOUT = 10.0

_WROTE = "tatakelola_wrote"
_DML = ("INSERT", "UPDATE", "DELETE", "REPLACE", "CREATE", "DROP", "ALTER")


@dataclass
class UnitOutcomes:
    """What the units of work of this process (or request) did: committed writes, commits left in doubt."""

    committed: int = 0
    in_doubt: int = 0
    _sending: bool = False


_OUTCOMES: ContextVar[UnitOutcomes | None] = ContextVar("tatakelola_unit_outcomes", default=None)


def unit_outcomes() -> UnitOutcomes:
    """The outcomes recorded in this context (a command run, a request)."""
    outcomes = _OUTCOMES.get()
    if outcomes is None:
        outcomes = UnitOutcomes()
        _OUTCOMES.set(outcomes)
    return outcomes


def reset_unit_outcomes() -> UnitOutcomes:
    """Start counting afresh (at the start of a command or request)."""
    outcomes = UnitOutcomes()
    _OUTCOMES.set(outcomes)
    return outcomes

_MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def utcnow() -> datetime:
    """Current time, UTC, second precision."""
    return datetime.now(UTC).replace(microsecond=0)


def as_utc(value: datetime) -> datetime:
    """SQLite returns naive datetimes; everything stored is UTC."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _configure_sqlite(db_engine: Engine, busy_timeout: float) -> None:
    """Per connection: FULL sync, foreign keys, the busy wait. WAL is the file's own setting, made by
    :meth:`Database.upgrade` (``init``): setting it here would write, and fail on a write-protected copy."""

    @event.listens_for(db_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
        cursor.close()

    @event.listens_for(db_engine, "begin")
    def _on_begin(conn: Any) -> None:
        if conn.get_execution_options().get("tatakelola_snapshot"):
            conn.exec_driver_sql("BEGIN")  # a reader's snapshot (WAL): writers carry on meanwhile
            return
        # Take the write lock at the start: writers are serialised, never upgraded mid-way.
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def _track_writes(db_engine: Engine) -> None:
    """Mark a transaction that wrote, so a commit can be counted as saving something."""

    @event.listens_for(db_engine, "after_cursor_execute")
    def _on_execute(conn: Any, _cursor: Any, statement: str, _params: Any, context: Any, _many: bool) -> None:
        if (context is not None and (context.isinsert or context.isupdate or context.isdelete)) or \
                statement.lstrip()[:7].upper().startswith(_DML):
            conn.info[_WROTE] = True

    @event.listens_for(db_engine, "commit")
    def _on_commit(conn: Any) -> None:  # just before the DBAPI commit
        unit_outcomes()._sending = bool(conn.info.pop(_WROTE, False))

    @event.listens_for(db_engine, "rollback")
    def _on_rollback(conn: Any) -> None:
        conn.info.pop(_WROTE, None)


def _sqlite_file(url: URL) -> tuple[Path | None, dict[str, str]]:
    """The file of a SQLite URL (plain path or ``file:`` URI) and its URI parameters."""
    database = url.database
    if not database or database == ":memory:":
        return None, {}
    params = {k: str(v) for k, v in url.query.items()}
    if database.startswith("file:"):
        path, _, query = database[len("file:"):].partition("?")
        params.update(p.partition("=")[::2] for p in query.split("&") if p)
        if path in ("", ":memory:") or params.get("mode") == "memory":
            return None, params
        return Path(unquote(path)).expanduser(), params
    return Path(database).expanduser(), params


def _writable(path: Path) -> bool:
    """Whether this process may write the file (and its folder: SQLite writes its -wal/-shm beside it)."""
    folder = path.parent if str(path.parent) else Path(".")
    return os.access(folder, os.W_OK) and (not path.exists() or os.access(path, os.W_OK))


def _sqlite_url(url: URL) -> tuple[URL, bool]:
    """The URL SQLite is opened with, and whether it is read-only.

    A file the process cannot write (write-protected file, folder or media), or a ``mode=ro`` URL, is opened
    read-only; when SQLite could not even create its shared-memory file beside it (a write-protected folder
    and no -wal left by a writer), it is opened ``immutable=1``: nobody can be writing it meanwhile.
    """
    path, params = _sqlite_file(url)
    if path is None:
        return url, False
    read_only = params.get("mode") == "ro" or params.get("immutable") == "1" or (path.exists() and not _writable(path))
    if not read_only:
        return url, False
    query = {k: v for k, v in params.items() if k not in ("uri",)}
    query["mode"] = "ro"
    folder = path.parent if str(path.parent) else Path(".")
    wal, shm = Path(f"{path}-wal"), Path(f"{path}-shm")
    if not os.access(folder, os.W_OK) and not shm.exists() and not (wal.exists() and wal.stat().st_size):
        query["immutable"] = "1"
    query["uri"] = "true"
    return URL.create("sqlite", database=f"file:{quote(str(path.resolve()))}", query=query), True


def _alembic_config() -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    return cfg


#: The newest migration under migrations/versions. Written here so that checking the schema (every
#: command) does not load Alembic, Mako and Pygments; tests/integration/test_migration_head.py holds
#: it equal to Alembic's own head, so a new migration without a bump here fails the suite.
SCHEMA_HEAD = "0010"


def _head_revision() -> str | None:
    """The newest migration of the shipped scripts."""
    return SCHEMA_HEAD


class Database:
    """A database reachable by URL, with its units of work (:meth:`session` writes, :meth:`reader` reads).

    Args:
        url: ``sqlite:///path``, ``sqlite:///file:path?mode=ro&uri=true``, ``postgresql://...`` or a file path.
        busy_timeout: Seconds a SQLite writer waits for another's write lock before :class:`DatabaseBusyError`.
    """

    def __init__(self, url: str, *, busy_timeout: float = BUSY_TIMEOUT) -> None:
        self.url = normalise_url(url)
        try:
            parsed = make_url(self.url)
        except ArgumentError as exc:
            raise ConfigurationError(f"Alamat basis data tidak sah: {url} ({exc})") from None
        self._parsed = parsed
        self.dialect = parsed.get_backend_name()
        self.read_only = False
        if self.dialect == "sqlite":
            opened, self.read_only = _sqlite_url(parsed)
            path, _ = _sqlite_file(parsed)
            if path is not None and not self.read_only:
                try:
                    path.parent.mkdir(parents=True, exist_ok=True)
                except OSError as exc:
                    raise (file_fault(exc, f"Folder basis data {path.parent}") or ConfigurationError(
                        f"Folder basis data {path.parent} tidak dapat dibuat.")) from None
            self.db_engine = create_engine(opened)
            _configure_sqlite(self.db_engine, busy_timeout)
        elif self.dialect == "postgresql":
            self.db_engine = create_engine(self.url, pool_pre_ping=True)
        else:
            raise ConfigurationError(
                f"Basis data '{self.dialect}' tidak didukung; pakai sqlite:/// atau postgresql://"
            )
        _track_writes(self.db_engine)
        self._sessions = sessionmaker(self.db_engine, expire_on_commit=False)
        self._current = False

    @contextmanager
    def _faults(self) -> Iterator[None]:
        """Driver errors of the environment become named errors; SQL, parameters and driver text stay out."""
        try:
            yield
        except DBAPIError as exc:
            fault = database_fault(exc, self._parsed)
            if fault is None:
                raise
            raise fault from None
        except OSError as exc:  # a file written within the unit of work (an attachment): disk full, read-only
            file_error = file_fault(exc, "Berkas yang disimpan bersama basis data (mis. lampiran)")
            if file_error is None:
                raise
            raise file_error from None

    @property
    def display_url(self) -> str:
        """The URL with any password masked, safe to print or log."""
        return make_url(self.url).render_as_string(hide_password=True)

    @property
    def sqlite_path(self) -> Path | None:
        """Path of the SQLite file, if this is a file database."""
        if self.dialect != "sqlite":
            return None
        return _sqlite_file(self._parsed)[0]

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One unit of work that writes: commit on success, roll back on any error.

        On SQLite it takes the write lock at once (``BEGIN IMMEDIATE``), waiting at most the busy timeout.
        A commit that wrote is counted in :func:`unit_outcomes`; one whose outcome the driver left unknown
        (the connection broke while committing) is counted as in doubt.
        """
        outcomes = unit_outcomes()
        committing = False
        try:
            with self._faults(), self._sessions() as session:
                with session.begin():  # commits on leaving, rolls back on an error
                    yield session
                    committing = True
                    outcomes._sending = False
                if outcomes._sending:
                    outcomes.committed += 1
        except DBAPIError as exc:
            if committing and outcomes._sending and connection_lost(exc, self._parsed):
                outcomes.in_doubt += 1
            raise
        except EnvironmentFaultError as exc:
            if committing and outcomes._sending and exc.fault in ("unreachable", "io"):
                outcomes.in_doubt += 1
                raise type(exc)(
                    "Sambungan ke basis data terputus (atau disk gagal) tepat saat menyimpan: tidak dapat dipastikan "
                    "apakah perubahan ini tersimpan. Periksa hasilnya (mis. `tatakelola case show`) sebelum "
                    "mengulang.", fault=exc.fault) from None
            raise
        finally:
            outcomes._sending = False

    @contextmanager
    def reader(self) -> Iterator[Session]:
        """A unit of work that only reads, on one consistent snapshot; it never blocks a writer.

        SQLite: a deferred transaction reading its WAL snapshot, with ``query_only`` on (no write lock is
        taken or waited for, so ``case list`` answers while ``audit verify`` reads a big log and decisions go
        on). PostgreSQL: ``REPEATABLE READ, READ ONLY``. Both refuse a write made by mistake.
        """
        with self._faults(), self.db_engine.connect() as connection:
            raw: Any = None
            if self.dialect == "postgresql":
                connection.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
            else:
                connection.execution_options(tatakelola_snapshot=True)
                raw = connection.connection.driver_connection
                raw.execute("PRAGMA query_only=1")
            try:
                with Session(bind=connection, expire_on_commit=False) as session, session.begin():
                    yield session
            finally:
                if raw is not None:
                    if raw.in_transaction:
                        raw.execute("ROLLBACK")
                    raw.execute("PRAGMA query_only=0")

    #: The long-read name :meth:`reader` had first (verifying a whole log).
    snapshot = reader

    def upgrade(self) -> None:
        """Create or upgrade the schema to the newest migration; a SQLite file is put in WAL mode (once:
        the mode is the file's, kept by every later connection and by its copies)."""
        from alembic import command  # Alembic loads only for init, not for every command

        cfg = _alembic_config()
        with self._faults():
            if self.dialect == "sqlite":
                with self.db_engine.connect() as connection:
                    raw = connection.connection.driver_connection
                    assert raw is not None
                    raw.execute("PRAGMA journal_mode=WAL")  # outside any transaction, as SQLite requires
            with self.db_engine.begin() as connection:
                cfg.attributes["connection"] = connection
                command.upgrade(cfg, "head")
        self._current = True

    def schema_is_current(self) -> bool:
        """True when the database is at the newest migration (one query, then remembered).

        The newest revision is read from the migration scripts once per process; a database found
        current stays so for this object (only ``upgrade`` changes the schema).
        """
        if self._current:
            return True
        with self._faults(), self.db_engine.connect() as connection:
            if self.dialect == "sqlite":
                connection.execution_options(tatakelola_snapshot=True)  # a read: no write lock
            current = (connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
                       if inspect(connection).has_table("alembic_version") else None)
        self._current = current == _head_revision()
        return self._current

    def require_schema(self) -> None:
        """Raise ConfigurationError unless ``tatakelola init`` has run."""
        if not self.schema_is_current():
            raise ConfigurationError(
                "Basis data belum disiapkan atau versinya lama. Jalankan `tatakelola init` dahulu."
            )

    def dispose(self) -> None:
        """Close pooled connections."""
        self.db_engine.dispose()
