"""The project's test command: ``python -m tests``.

Runs ruff and mypy, then the whole pytest suite on SQLite and again on PostgreSQL.
PostgreSQL comes from TATAKELOLA_TEST_PG (default: the local service, database ``test``);
when it is unreachable the PostgreSQL run is skipped with a warning, unless CI=true or
TATAKELOLA_REQUIRE_PG=1, where that is a failure. Extra arguments go to pytest.
"""

from __future__ import annotations

import os
import subprocess
import sys

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"


def _step(title: str, command: list[str], env: dict[str, str] | None = None) -> int:
    print(f"\n=== {title}: {' '.join(command)}", flush=True)
    return subprocess.call(command, env={**os.environ, **(env or {})})


def _postgres_up(url: str) -> bool:
    try:
        import psycopg

        with psycopg.connect(url, connect_timeout=5):
            return True
    except Exception as exc:
        print(f"PostgreSQL {url} tidak dapat dihubungi: {exc}", flush=True)
        return False


def main() -> int:
    extra = sys.argv[1:]
    python = sys.executable
    failures = 0
    failures += _step("ruff", [python, "-m", "ruff", "check", "."]) != 0
    failures += _step("mypy", [python, "-m", "mypy"]) != 0
    failures += _step("pytest (SQLite)", [python, "-m", "pytest", *extra], {"TATAKELOLA_TEST_DB": "sqlite"}) != 0
    pg = os.environ.get("TATAKELOLA_TEST_PG", DEFAULT_PG)
    require = os.environ.get("CI") == "true" or os.environ.get("TATAKELOLA_REQUIRE_PG") == "1"
    if _postgres_up(pg):
        failures += _step("pytest (PostgreSQL)", [python, "-m", "pytest", *extra], {"TATAKELOLA_TEST_DB": pg}) != 0
    elif require:
        print("PostgreSQL wajib untuk CI tetapi tidak tersedia.", flush=True)
        failures += 1
    else:
        print("PERINGATAN: uji PostgreSQL dilewati.", flush=True)
    print("\n=== " + ("SEMUA LULUS" if not failures else f"{failures} langkah GAGAL"), flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
