"""The command starts fast: each library loads only in the commands that use it.

Guarded by what a fresh interpreter has imported once the command is done (deterministic), never
by a stopwatch on a shared machine. The module counts are bounds measured with headroom: a change
that crosses one has pulled a new dependency into every run of the command; import it inside the
function that needs it (see docs/architecture.md) rather than raising the bound.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from engine.services import Services
from tests.conftest import ON_POSTGRES, FileMaker
from tests.helpers import submitted_kas

ROOT = Path(__file__).resolve().parents[2]

HEAVY = frozenset({"weasyprint", "fastapi", "starlette", "uvicorn", "openpyxl", "alembic", "pyhanko", "pypdf",
                   "argon2", "zxcvbn", "segno"})
"""Libraries only some commands need: documents, the web app, workbooks, migrations, passwords."""

RULES = frozenset({"sqlalchemy", "pydantic", "babel", "jinja2", "ruamel", "transitions", "rfc8785", "cryptography"})
"""What reading a case needs, and printing help does not."""

HELP_MODULES = 400  # measured 336 (typer, rich and its help rendering)
CASE_SHOW_MODULES = 660  # measured 594 on SQLite (SQLAlchemy ORM, pydantic, Jinja2, ruamel.yaml, typer, rich)
MIGRATIONS = frozenset({"alembic", "mako", "pygments"})  # Alembic and what it brings

_PROBE = """
import json, sys
report, *args = sys.argv[1:]
sys.argv = ["tatakelola", *args]
from engine.cli import main
try:
    main()
    code = 0
except SystemExit as exc:
    code = exc.code
with open(report, "w", encoding="utf-8") as f:
    json.dump({"code": code, "modules": sorted(sys.modules)}, f)
"""


def run_probed(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> tuple[int, set[str], str]:
    """Run ``tatakelola ARGS`` in a fresh interpreter: (exit code, modules imported, what it printed)."""
    report = tmp_path / "modules.json"
    full_env = {**os.environ, "COLUMNS": "200", **(env or {})}
    full_env.pop("TATAKELOLA_DEBUG", None)
    result = subprocess.run([sys.executable, "-c", _PROBE, str(report), *args], capture_output=True, text=True,
                            env=full_env, cwd=ROOT, timeout=120)
    assert report.exists(), result.stderr
    data = json.loads(report.read_text(encoding="utf-8"))
    return data["code"], set(data["modules"]), result.stdout + result.stderr


def packages(modules: set[str]) -> set[str]:
    return {m.split(".")[0] for m in modules}


@pytest.fixture
def waiting_case(services: Services, files: FileMaker) -> tuple[dict[str, str], str]:
    """A database (SQLite or PostgreSQL) with one case waiting for the bendahara."""
    number = submitted_kas(services, 900_000, files("n.pdf"))
    env = {"TATAKELOLA_DB": services.settings.db_url, "TATAKELOLA_KEY": str(services.settings.resolved_key_path)}
    return env, number


def test_help_loads_neither_the_database_nor_the_rules(tmp_path: Path) -> None:
    code, modules, out = run_probed(tmp_path, "--help")
    assert code == 0 and "case" in out and "workflows" in out
    assert not packages(modules) & (HEAVY | RULES)
    assert {m for m in modules if m.startswith("engine.")} <= {m for m in modules if m.startswith("engine.cli")} | {
        "engine.errors"}
    assert len(modules) < HELP_MODULES, f"{len(modules)} modules for --help"


def test_listing_workflows_opens_no_database(tmp_path: Path) -> None:
    code, modules, out = run_probed(tmp_path, "workflows", "list")
    assert code == 0 and "pengeluaran_kas" in out
    assert not packages(modules) & (HEAVY | {"sqlalchemy", "cryptography", "jinja2"})


def test_case_show_loads_only_what_reading_a_case_needs(waiting_case: tuple[dict[str, str], str],
                                                        tmp_path: Path) -> None:
    env, number = waiting_case
    code, modules, out = run_probed(tmp_path, "case", "show", number, "--as", "sri", env=env)
    assert code == 0 and number in out and "verifikasi" in out
    assert not packages(modules) & (HEAVY - {"alembic"} | {"cryptography", "babel"})
    for unused in ("engine.services.documents", "engine.services.admin", "engine.services.audit",
                   "engine.services.members", "engine.audit.findings", "engine.adapters.render"):
        assert unused not in modules
    if not ON_POSTGRES:  # the driver's own modules count on PostgreSQL
        count = len([m for m in modules if m.split(".")[0] not in MIGRATIONS])
        assert count < CASE_SHOW_MODULES, f"{count} modules for case show"


def test_case_show_checks_the_schema_without_alembic(waiting_case: tuple[dict[str, str], str],
                                                     tmp_path: Path) -> None:
    env, number = waiting_case
    code, modules, _ = run_probed(tmp_path, "case", "show", number, "--as", "sri", env=env)
    assert code == 0
    assert not packages(modules) & MIGRATIONS
