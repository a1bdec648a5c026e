"""End to end through the ``tatakelola`` command, as an operator would run it."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from engine.services import Services
from tests.conftest import ON_POSTGRES
from tests.helpers import KAS_VERIFY_CHECKS, submitted_kas

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "COLUMNS": "200", **(env or {})}
    full_env.pop("TATAKELOLA_DEBUG", None)
    return subprocess.run([sys.executable, "-m", "engine", *args], capture_output=True, text=True,
                          env=full_env, cwd=cwd or ROOT, timeout=120)


def no_traceback(result: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("demo") / "tatakelola-demo"
    result = run("demo", "--dir", str(directory))
    assert result.returncode == 0, result.stderr
    assert "Jejak persetujuan utuh" in result.stdout
    return directory


def demo_db(directory: Path) -> str:
    return f"sqlite:///{directory / 'tatakelola.db'}"


def test_the_demo_runs_and_its_trail_verifies(demo_dir: Path) -> None:
    result = run("--db", demo_db(demo_dir), "audit", "verify")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "jejak persetujuan utuh" in result.stdout
    listing = run("--db", demo_db(demo_dir), "case", "list")
    for number in ("KAS/2026/0001", "KAS/2026/0003", "KAS/2026/0004", "AGT/2026/0001", "RPG/2026/0001"):
        assert number in listing.stdout
    assert "Ditolak" in listing.stdout


def test_case_show_tells_what_to_do_and_why_not(demo_dir: Path) -> None:
    result = run("--db", demo_db(demo_dir), "case", "show", "RPG/2026/0002", "--as", "rina")
    assert result.returncode == 0
    assert "Yang perlu dilakukan" in result.stdout
    assert "✘ setujui" in result.stdout and "Anda yang mengajukan" in result.stdout


def copy_demo(demo_dir: Path, tmp_path: Path) -> Path:
    import shutil

    target = tmp_path / "demo"
    shutil.copytree(demo_dir, target)
    return target


def tamper(db_file: Path, *statements: str) -> None:
    """Edit the SQLite file behind the engine's back, triggers dropped first."""
    conn = sqlite3.connect(db_file)
    names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")]
    for name in names:
        conn.execute(f"DROP TRIGGER {name}")
    for statement in statements:
        conn.execute(statement)
    conn.commit()
    conn.close()


@pytest.mark.parametrize(("statements", "expected"), [
    (["UPDATE audit_entries SET body = replace(body, '\"actor\":\"sri\"', '\"actor\":\"wahyu\"') WHERE seq = 4"],
     "catatan #4 (kasus KAS/2026/0001)"),
    (["DELETE FROM case_events WHERE seq = 7", "DELETE FROM audit_entries WHERE seq = 7"], "catatan #7"),
    (["UPDATE audit_entries SET seq = -1 WHERE seq = 10", "UPDATE audit_entries SET seq = 10 WHERE seq = 11",
      "UPDATE audit_entries SET seq = 11 WHERE seq = -1"], "catatan #10"),
    (["DELETE FROM case_events WHERE seq = (SELECT max(seq) FROM audit_entries)",
      "DELETE FROM audit_entries WHERE seq = (SELECT max(seq) FROM audit_entries)"], "terpotong"),
])
def test_tampering_with_the_sqlite_file_is_named(demo_dir: Path, tmp_path: Path, statements: list[str],
                                                 expected: str) -> None:
    copy = copy_demo(demo_dir, tmp_path)
    tamper(copy / "tatakelola.db", *statements)
    result = run("--db", demo_db(copy), "audit", "verify", "--coop", "kkmp-sentanan")
    assert result.returncode == 1, result.stdout
    assert "jejak TIDAK utuh" in result.stdout and expected in result.stdout
    no_traceback(result)


def test_a_malformed_workflow_gets_file_line_col_and_exit_1(tmp_path: Path) -> None:
    bad = tmp_path / "rusak.yaml"
    bad.write_text("id: rusak\nversion: 1\ntitle: Rusak\nstates:\n  draf: {title: Draf\n", encoding="utf-8")
    result = run("workflows", "check", str(bad))
    assert result.returncode == 1
    assert f"{bad}:6:" in result.stdout or f"{bad}:5:" in result.stdout
    no_traceback(result)


def test_lint_findings_exit_1_and_clean_files_exit_0(tmp_path: Path) -> None:
    source = (ROOT / "workflows" / "pengeluaran_kas.yaml").read_text(encoding="utf-8")
    broken = tmp_path / "kas.yaml"
    broken.write_text(source.replace("roles: [ketua]\n    when: \"jumlah <= settings.batas_ketua\"",
                                     "roles: [ketu]\n    when: \"jumlah <= settings.batas_ketu\""), encoding="utf-8")
    result = run("workflows", "check", str(broken))
    assert result.returncode == 1
    assert "peran 'ketu' tidak ada" in result.stdout and "setting 'batas_ketu'" in result.stdout
    assert run("workflows", "check").returncode == 0


@pytest.fixture
def live(services: Services, files, tmp_path: Path) -> tuple[dict[str, str], str]:
    """A database (SQLite or PostgreSQL) with one case waiting for the bendahara."""
    number = submitted_kas(services, 900_000, files("n.pdf"))
    env = {"TATAKELOLA_DB": services.settings.db_url, "TATAKELOLA_KEY": str(services.settings.resolved_key_path)}
    return env, number


def audit_size(env: dict[str, str]) -> str:
    result = run("audit", "verify", env=env)
    assert result.returncode == 0, result.stdout
    return result.stdout.split("—")[1].split("catatan")[0].strip()


@pytest.mark.parametrize(("user", "message"), [
    ("siti", "hanya untuk Bendahara"),
    ("wahyu", "berakhir 31 Desember 2025"),
    ("fajar", "hanya untuk Bendahara"),
])
def test_refused_actions_say_why_and_change_nothing(live: tuple[dict[str, str], str], user: str,
                                                    message: str) -> None:
    env, number = live
    before = audit_size(env)
    args = ["case", "act", number, "verifikasi", "--as", user]
    for item in KAS_VERIFY_CHECKS:
        args += ["--check", item]
    result = run(*args, env=env)
    assert result.returncode == 4
    assert message in result.stderr
    no_traceback(result)
    assert audit_size(env) == before


def test_the_proposer_is_refused_with_exit_4(services: Services, files) -> None:
    number = services.start_case("keputusan_rapat_pengurus", "kkmp-sentanan", "rina", values={
        "judul": "Jam buka gerai", "uraian": "07.00-21.00", "tanggal_rapat": "2026-11-20", "hadir": "bambang,dwi,endang,rina,sri"},
        files={"notulen": files("notulen.pdf")}).summary.number
    services.act(number, "ajukan", "rina", checks=["undangan_terkirim", "daftar_hadir"])
    env = {"TATAKELOLA_DB": services.settings.db_url, "TATAKELOLA_KEY": str(services.settings.resolved_key_path)}
    result = run("case", "act", number, "setujui", "--as", "rina", env=env)
    assert result.returncode == 4 and "Anda yang mengajukan" in result.stderr


def test_a_full_case_through_the_cli(live: tuple[dict[str, str], str], tmp_path: Path) -> None:
    env, _ = live
    nota = tmp_path / "nota.jpg"
    nota.write_bytes(b"\xff\xd8\xff foto nota")
    started = run("case", "start", "pengeluaran_kas", "--coop", "kkmp-sentanan", "--as", "fajar",
                  "--set", "keperluan=Beli galon air", "--set", "jumlah=Rp 45.000", "--set", "pos_rapb=5",
                  "--set", "penerima=Depot Tirta", "--attach", str(nota), env=env)
    assert started.returncode == 0, started.stderr
    number = started.stdout.strip()
    assert number == "KAS/2026/0002"
    submitted = run("case", "act", number, "ajukan", "--as", "fajar", "--check", "nota_terlampir",
                    "--check", "pos_sesuai", env=env)
    assert submitted.returncode == 0, submitted.stderr
    shown = run("case", "show", number, "--as", "sri", env=env)
    assert "Rp 45.000" in shown.stdout and "Alat tulis kantor" in shown.stdout and "✔ verifikasi" in shown.stdout
    tasks = run("tasks", "--as", "sri", env=env)
    assert number in tasks.stdout
    bad = run("case", "act", number, "verifikasi", "--as", "sri", env=env)
    assert bad.returncode == 1 and "belum dicentang" in bad.stderr
    checkpoint = run("audit", "checkpoint", "--coop", "kkmp-sentanan", env=env)
    assert checkpoint.returncode == 0 and checkpoint.stdout.startswith("tatakelola/kkmp-sentanan\n")
    assert "\n— tatakelola " in checkpoint.stdout


def test_unknown_things_exit_3(live: tuple[dict[str, str], str]) -> None:
    env, _ = live
    result = run("case", "show", "KAS/2099/0001", env=env)
    assert result.returncode == 3 and "tidak ditemukan" in result.stderr
    assert run("workflows", "show", "tidak_ada", env=env).returncode == 3


def test_an_uninitialised_database_is_explained(tmp_path: Path) -> None:
    result = run("--db", f"sqlite:///{tmp_path / 'kosong.db'}", "case", "list")
    assert result.returncode == 2 and "tatakelola init" in result.stderr
    no_traceback(result)


def test_init_then_import_then_list(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'baru.db'}"
    assert run("--db", db, "init").returncode == 0
    assert (tmp_path / "baru-signing.key").exists()
    imported = run("--db", db, "org", "import", str(ROOT / "engine" / "demo" / "kkmp_sentanan.yaml"))
    assert imported.returncode == 0 and "koperasi +1" in imported.stdout
    again = run("--db", db, "org", "import", str(ROOT / "engine" / "demo" / "kkmp_sentanan.yaml"))
    assert "koperasi +0" in again.stdout and "jabatan +0" in again.stdout
    assert "kkmp-sentanan" in run("--db", db, "org", "list").stdout


def test_a_bad_organisation_file_is_located(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'baru.db'}"
    run("--db", db, "init")
    org = tmp_path / "org.yaml"
    org.write_text("people:\n  - {username: ani, name: Ani}\ncooperatives:\n  - slug: kkmp-x\n    name: KKMP X\n"
                   "    roles:\n      - {person: budi, role: ketua, start: 2026-01-01}\n", encoding="utf-8")
    result = run("--db", db, "org", "import", str(org))
    assert result.returncode == 1 and f"{org}:7:" in result.stderr and "budi" in result.stderr


def test_mermaid_diagram(tmp_path: Path) -> None:
    result = run("workflows", "show", "pengeluaran_kas", "--mermaid")
    assert result.returncode == 0 and result.stdout.startswith("stateDiagram-v2")
    assert "menunggu_ketua --> menunggu_pengawas" in result.stdout


@pytest.mark.skipif(not ON_POSTGRES, reason="two processes on PostgreSQL")
def test_two_processes_deciding_the_same_step_on_postgres(live: tuple[dict[str, str], str],
                                                          services: Services) -> None:
    env, number = live
    services.act(number, "verifikasi", "sri", checks=KAS_VERIFY_CHECKS)
    full_env = {**os.environ, "COLUMNS": "200", **env}
    base = [sys.executable, "-m", "engine", "case", "act", number]
    procs = [subprocess.Popen([*base, "setujui", "--as", "bambang"], env=full_env, cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True),
             subprocess.Popen([*base, "tolak", "--as", "bambang", "--comment", "Batal"], env=full_env, cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)]
    outcomes = [(p.wait(120), *p.communicate()) for p in procs]
    codes = sorted(code for code, _, _ in outcomes)
    assert codes == [0, 5], outcomes
    loser = next(err for code, _, err in outcomes if code == 5)
    assert "sudah diputuskan" in loser
    [report] = services.verify("kkmp-sentanan")
    assert report.ok and report.size == 4
