"""Database engines, sessions and schema management (Alembic)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session, sessionmaker

from engine.errors import ConfigurationError
from engine.settings import normalise_url

__all__ = [
    "Database",
    "as_utc",
    "normalise_url",
    "utcnow",
]

_MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def utcnow() -> datetime:
    """Current time, UTC, second precision."""
    return datetime.now(UTC).replace(microsecond=0)


def as_utc(value: datetime) -> datetime:
    """SQLite returns naive datetimes; everything stored is UTC."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _configure_sqlite(db_engine: Engine) -> None:
    @event.listens_for(db_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(db_engine, "begin")
    def _on_begin(conn: Any) -> None:
        if conn.get_execution_options().get("tatakelola_snapshot"):
            conn.exec_driver_sql("BEGIN")  # a reader's snapshot (WAL): writers carry on meanwhile
            return
        # Take the write lock at the start: writers are serialised, never upgraded mid-way.
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def _alembic_config() -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    return cfg


#: The newest migration under migrations/versions. Written here so that checking the schema (every
#: command) does not load Alembic, Mako and Pygments; tests/integration/test_migration_head.py holds
#: it equal to Alembic's own head, so a new migration without a bump here fails the suite.
SCHEMA_HEAD = "0007"


def _head_revision() -> str | None:
    """The newest migration of the shipped scripts."""
    return SCHEMA_HEAD


class Database:
    """A database reachable by URL, with its session factory."""

    def __init__(self, url: str) -> None:
        self.url = normalise_url(url)
        try:
            parsed = make_url(self.url)
        except ArgumentError as exc:
            raise ConfigurationError(f"Alamat basis data tidak sah: {url} ({exc})") from None
        self.dialect = parsed.get_backend_name()
        if self.dialect == "sqlite":
            database = parsed.database
            if database and database != ":memory:":
                Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
            self.db_engine = create_engine(self.url)
            _configure_sqlite(self.db_engine)
        elif self.dialect == "postgresql":
            self.db_engine = create_engine(self.url, pool_pre_ping=True)
        else:
            raise ConfigurationError(
                f"Basis data '{self.dialect}' tidak didukung; pakai sqlite:/// atau postgresql://"
            )
        self._sessions = sessionmaker(self.db_engine, expire_on_commit=False)
        self._current = False

    @property
    def display_url(self) -> str:
        """The URL with any password masked, safe to print or log."""
        return make_url(self.url).render_as_string(hide_password=True)

    @property
    def sqlite_path(self) -> Path | None:
        """Path of the SQLite file, if this is a file database."""
        if self.dialect != "sqlite":
            return None
        database = make_url(self.url).database
        return Path(database).expanduser() if database and database != ":memory:" else None

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One unit of work: commit on success, roll back on any error."""
        with self._sessions() as session, session.begin():
            yield session

    @contextmanager
    def snapshot(self) -> Iterator[Session]:
        """A read-only unit of work on one consistent snapshot, for long reads (verifying a whole log).

        SQLite takes no write lock (a deferred transaction reads its WAL snapshot while decisions go
        on); PostgreSQL reads at REPEATABLE READ, READ ONLY. Nothing read here may be written back.
        """
        with self.db_engine.connect() as connection:
            if self.dialect == "postgresql":
                connection.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
            else:
                connection.execution_options(tatakelola_snapshot=True)
            with Session(bind=connection) as session, session.begin():
                yield session

    def upgrade(self) -> None:
        """Create or upgrade the schema to the newest migration."""
        from alembic import command  # Alembic loads only for init, not for every command

        cfg = _alembic_config()
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
        with self.db_engine.connect() as connection:
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
