"""``audit verify`` from the command line: the whole log, --sejak-terakhir, --penuh."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.test_cli import copy_demo, demo_db, demo_dir, no_traceback, run

__all__ = ["demo_dir"]  # the module-scoped demo fixture, shared


def test_verify_then_only_what_was_added(demo_dir: Path, tmp_path: Path) -> None:
    copy = copy_demo(demo_dir, tmp_path)
    db = demo_db(copy)
    env = {"TATAKELOLA_KEY": str(copy / "tatakelola-signing.key")}
    whole = run("--db", db, "audit", "verify", "--coop", "kkmp-sentanan", env=env)
    assert whole.returncode == 0 and "jejak persetujuan utuh" in whole.stdout, whole.stdout + whole.stderr
    assert "checkpoint cocok, tanda tangan checkpoint terbaru sah (1 diperiksa)" in whole.stdout
    acted = run("--db", db, "case", "act", "KAS/2026/0005", "tolak", "--as", "sri", "--comment", "Rangkap", env=env)
    assert acted.returncode == 0, acted.stderr
    since = run("--db", db, "audit", "verify", "--coop", "kkmp-sentanan", "--sejak-terakhir", env=env)
    assert since.returncode == 0, since.stdout + since.stderr
    assert "(1 baru sejak verifikasi terakhir #" in since.stdout
    every = run("--db", db, "audit", "verify", "--coop", "kkmp-sentanan", "--penuh", env=env)
    assert every.returncode == 0 and "checkpoint cocok, semua " in every.stdout and " tanda tangan sah" in every.stdout


def test_sejak_terakhir_and_penuh_do_not_go_together(demo_dir: Path) -> None:
    both = run("--db", demo_db(demo_dir), "audit", "verify", "--sejak-terakhir", "--penuh")
    assert both.returncode == 2 and "tidak dapat dipakai bersama" in both.stdout + both.stderr
    no_traceback(both)
