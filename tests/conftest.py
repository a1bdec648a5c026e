"""Shared fixtures. The suite runs on SQLite by default, on PostgreSQL when
``TATAKELOLA_TEST_DB`` is a postgresql:// URL: every test then gets its own schema."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from engine.adapters.store.db import normalise_url
from engine.demo import DEMO_ORG
from engine.services import Services
from engine.settings import Settings

TEST_DB = os.environ.get("TATAKELOLA_TEST_DB", "sqlite")
ON_POSTGRES = TEST_DB.startswith("postgres")
COOP = "kkmp-sentanan"


def pytest_report_header() -> str:
    return f"tatakelola test database: {'PostgreSQL ' + TEST_DB if ON_POSTGRES else 'SQLite (file per test)'}"


class Clock:
    """A controllable clock (UTC)."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


@pytest.fixture
def db_url(tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database URL for one test."""
    if not ON_POSTGRES:
        yield f"sqlite:///{tmp_path / 'test.db'}"
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(normalise_url(TEST_DB), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    sep = "&" if "?" in TEST_DB else "?"
    yield f"{TEST_DB}{sep}options=-csearch_path%3D{schema}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
    admin.dispose()


@pytest.fixture
def clock() -> Clock:
    """Mid-morning WIB on a working day."""
    return Clock(datetime(2026, 11, 24, 3, 0, tzinfo=UTC))


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return Settings(db_url=db_url, key_path=tmp_path / "signing.key")


@pytest.fixture
def services(settings: Settings, clock: Clock) -> Iterator[Services]:
    """An initialised database with the demo KKMP imported."""
    svc = Services(settings, clock=clock)
    svc.init()
    svc.import_org(DEMO_ORG)
    yield svc
    svc.db.dispose()


@pytest.fixture
def files(tmp_path: Path) -> FileMaker:
    return FileMaker(tmp_path / "uploads")


class FileMaker:
    """Makes small upload files."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)

    def __call__(self, name: str, content: bytes | None = None) -> Path:
        path = self.root / name
        path.write_bytes(content if content is not None else b"%PDF-1.4\n% test " + name.encode() + b"\n")
        return path
