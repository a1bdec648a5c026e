"""Fixtures for the shipped-workflow tests.

``services`` gives the same thing as the one in tests/conftest.py (a fresh database with the
demo KKMP imported, the shipped workflows, the test clock), built faster because these tests
are many: the workflow files are parsed once per session, and on SQLite the initialised and
imported database is built once and copied for each test. On PostgreSQL every test still
initialises and imports its own schema.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from engine.demo import DEMO_ORG
from engine.domain.definitions.registry import Registry
from engine.services import Services
from engine.settings import Settings
from tests.conftest import ON_POSTGRES, Clock

_DB_FILE = "test.db"
_KEY_FILE = "signing.key"


@pytest.fixture(scope="session")
def shipped_registry() -> Registry:
    """Every shipped workflow, parsed once."""
    return Registry.shipped()


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory, shipped_registry: Registry) -> Path | None:
    """A SQLite database (and its signing key) initialised with the demo KKMP, to copy per test."""
    if ON_POSTGRES:
        return None
    directory = tmp_path_factory.mktemp("demo-template")
    settings = Settings(db_url=f"sqlite:///{directory / _DB_FILE}", key_path=directory / _KEY_FILE)
    svc = Services(settings, registry=shipped_registry, clock=Clock(datetime(2026, 11, 24, 3, 0, tzinfo=UTC)))
    svc.init()
    svc.import_org(DEMO_ORG)
    svc.db.dispose()
    assert not list(directory.glob(_DB_FILE + "-*")), "the template must be fully checkpointed before copying"
    return directory


@pytest.fixture
def services(settings: Settings, clock: Clock, shipped_registry: Registry,
             demo_template: Path | None) -> Iterator[Services]:
    """An initialised database with the demo KKMP imported."""
    if demo_template is not None:
        assert settings.key_path is not None and settings.db_url.startswith("sqlite:///")
        shutil.copyfile(demo_template / _DB_FILE, Path(settings.db_url[len("sqlite:///"):]))
        shutil.copyfile(demo_template / _KEY_FILE, settings.key_path)
    svc = Services(settings, registry=shipped_registry, clock=clock)
    pinned = getattr(svc, "_pinned", None)
    if isinstance(pinned, dict):  # cases pin these very sources; skip re-parsing them per test
        pinned.update({loaded.sha256: loaded for loaded in shipped_registry.all()})
    if demo_template is None:
        svc.init()
        svc.import_org(DEMO_ORG)
    yield svc
    svc.db.dispose()
