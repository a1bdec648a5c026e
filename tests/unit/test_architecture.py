"""The house keeps its layers: the rules in tests/architecture.py hold, and each one bites when broken."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.architecture import check, describe, import_graph

ENGINE = Path(__file__).resolve().parents[2] / "engine"


def test_the_engine_keeps_its_layers() -> None:
    problems = check(ENGINE)
    assert problems == [], "\n".join(problems)
    assert len(import_graph(ENGINE)) > 50, describe(import_graph(ENGINE).values())


@pytest.fixture
def house(tmp_path: Path) -> Path:
    """A copy of the engine's sources to plant violations in."""
    root = tmp_path / "engine"
    shutil.copytree(ENGINE, root, ignore=shutil.ignore_patterns("static", "templates", "locale", "*.yaml",
                                                                "*.xlsx", "__pycache__"))
    assert check(root) == []
    return root


def plant(root: Path, relative: str, source: str) -> None:
    path = root / relative
    path.write_text(path.read_text(encoding="utf-8") + "\n\n" + source + "\n", encoding="utf-8")


@pytest.mark.parametrize("relative", ["web/pages.py", "cli/__init__.py", "demo/__init__.py"])
def test_an_entry_point_that_opens_the_store_is_caught(house: Path, relative: str) -> None:
    plant(house, relative, "def sneak():\n    from engine.adapters.store.models import Case\n    return Case")
    assert any("entry point" in p and "engine.adapters.store" in p for p in check(house))


@pytest.mark.parametrize("target", ["engine.audit.findings", "engine.adapters.render.pdf", "engine.audit.core.offline"])
def test_an_entry_point_that_goes_around_the_services_is_caught(house: Path, target: str) -> None:
    plant(house, "cli/audit.py", f"def sneak():\n    import {target}\n    return {target}")
    assert any(f"entry point engine.cli.audit imports {target}" in p for p in check(house))


def test_an_entry_point_that_imports_sqlalchemy_is_caught(house: Path) -> None:
    plant(house, "web/api.py", "import sqlalchemy")
    assert any("entry point engine.web.api imports sqlalchemy" in p for p in check(house))


@pytest.mark.parametrize("target", ["sqlalchemy", "rfc8785", "engine.errors", "engine.audit.log"])
def test_the_audit_core_may_use_only_the_standard_library_and_cryptography(house: Path, target: str) -> None:
    plant(house, "audit/core/merkle.py", f"import {target}")
    assert any("audit core engine.audit.core.merkle imports " + target in p for p in check(house))


def test_the_audit_core_may_use_cryptography_and_itself(house: Path) -> None:
    plant(house, "audit/core/note.py", "import hashlib\nimport cryptography\nfrom engine.audit.core import merkle")
    assert check(house) == []


def test_an_inner_layer_importing_an_outer_one_is_caught(house: Path) -> None:
    plant(house, "domain/policy.py", "from engine.services.context import Context")
    assert any("engine.domain.policy (layer engine.domain) imports outward engine.services.context" in p
               for p in check(house))


def test_a_cycle_is_caught(house: Path) -> None:
    plant(house, "services/dto.py", "def later():\n    from engine.services import views\n    return views")
    assert any(p.startswith("import cycle:") and "engine.services.dto" in p for p in check(house))
