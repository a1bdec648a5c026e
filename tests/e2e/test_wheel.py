"""An install from a built wheel finds its workflows without a checkout."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    result = subprocess.run([sys.executable, "-m", "build", "--wheel", "--outdir", str(out), str(ROOT)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    [built] = out.glob("tatakelola-*.whl")
    return built


def test_the_wheel_ships_workflows_templates_and_migrations(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    assert "engine/_data/workflows/pengeluaran_kas.yaml" in names
    assert "engine/_data/workflows/tatakelola-workflow.schema.json" in names
    assert any(n.startswith("engine/adapters/store/migrations/versions/0001") for n in names)
    assert "engine/demo/kkmp_sentanan.yaml" in names
    assert "engine/_data/sop_templates/README.md" in names


def test_the_installed_wheel_runs_the_demo_outside_a_checkout(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target), str(wheel)],
                   check=True, timeout=300)
    env = {**os.environ, "PYTHONPATH": str(target), "COLUMNS": "200"}
    where = subprocess.run([sys.executable, "-c", "import engine.domain.definitions as d; print(d.data_dir('workflows'))"],
                           capture_output=True, text=True, env=env, cwd=tmp_path, check=True)
    assert where.stdout.strip().startswith(str(target))
    check = subprocess.run([sys.executable, "-m", "engine", "workflows", "check"], capture_output=True, text=True,
                           env=env, cwd=tmp_path)
    assert check.returncode == 0, check.stdout + check.stderr
    demo = subprocess.run([sys.executable, "-m", "engine", "demo", "--dir", str(tmp_path / "d")],
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300)
    assert demo.returncode == 0, demo.stderr
    assert "Jejak persetujuan utuh" in demo.stdout
