"""Schema and migrations."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from engine.adapters.store.models import Base
from engine.services import Services
from tests.conftest import ON_POSTGRES


def test_the_migrations_produce_exactly_the_models(services: Services) -> None:
    with services.db.db_engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_init_is_idempotent(services: Services) -> None:
    path, created = services.init()
    assert not created and path.exists()
    assert services.db.schema_is_current()


def test_sqlite_runs_in_wal_with_full_sync_and_foreign_keys(services: Services) -> None:
    if ON_POSTGRES:
        return
    with services.db.db_engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA synchronous")).scalar() == 2
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_the_signing_key_file_is_private(services: Services) -> None:
    mode = services.settings.resolved_key_path.stat().st_mode & 0o777
    assert mode == 0o600


def test_a_database_behind_the_newest_migration_is_refused_until_init(services: Services) -> None:
    from engine.errors import ConfigurationError

    with services.db.db_engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0001'"))
    stale = Services(services.settings, clock=services.clock)
    assert not stale.db.schema_is_current()
    with pytest.raises(ConfigurationError, match="tatakelola init"):
        stale.require_schema()
    stale.db.dispose()
