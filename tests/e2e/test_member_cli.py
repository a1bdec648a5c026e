"""``tatakelola anggota ...`` end to end, as a sekretaris or an operator would run it."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from openpyxl import load_workbook

from engine.demo import DEMO_MEMBERS
from engine.services import Services
from tests.e2e.test_cli import no_traceback, run

COOP = "kkmp-sentanan"
FULL_NIK = "3576015507790003"


@pytest.fixture
def env(services: Services) -> dict[str, str]:
    """The demo KKMP (SQLite or PostgreSQL) with its Buku Daftar Anggota of 25 members."""
    services.import_org(DEMO_MEMBERS)
    return {"TATAKELOLA_DB": services.settings.db_url, "TATAKELOLA_KEY": str(services.settings.resolved_key_path)}


def test_the_list_on_a_date_with_a_total_line(env: dict[str, str]) -> None:
    today = run("anggota", "daftar", "--coop", COOP, "--tanggal", "2026-11-24", env=env)
    assert today.returncode == 0, today.stderr
    assert "Siti Maemunah" in today.stdout and "3576 •••• •••• 0003" in today.stdout and FULL_NIK not in today.stdout
    assert today.stdout.rstrip().endswith("25 anggota pada 24 November 2026")
    early = run("anggota", "daftar", "--coop", COOP, "--tanggal", "01-09-2025", env=env)
    assert early.returncode == 0 and "6 anggota pada 1 September 2025" in early.stdout
    assert "Siti Maemunah" not in early.stdout
    hidden_alias = run("members", "daftar", "--coop", COOP, "--tanggal", "2026-11-24", "--semua", env=env)
    assert hidden_alias.returncode == 0 and "25 anggota pada 24 November 2026; 0 sudah berhenti" in hidden_alias.stdout
    assert "members" not in run("--help").stdout


def test_template_import_export_round_trip(env: dict[str, str], tmp_path: Path) -> None:
    template = tmp_path / "contoh.xlsx"
    made = run("anggota", "contoh", "-o", str(template), env=env)
    assert made.returncode == 0 and template.is_file()
    refused = run("anggota", "impor", "--coop", COOP, str(template), "--as", "rina", env=env)
    assert refused.returncode == 1 and "baris contoh" in refused.stderr and "sel A6" in refused.stderr
    no_traceback(refused)

    book = load_workbook(template)
    ws = book["Buku Daftar Anggota"]
    ws["A6"], ws["A7"] = "KKMP-STN-0601", "KKMP-STN-0602"
    book.save(template)
    imported = run("anggota", "impor", "--coop", COOP, str(template), "--as", "rina", env=env)
    assert imported.returncode == 0, imported.stderr
    assert "2 baris dibaca, 2 ditambah, 0 diubah" in imported.stdout

    masked = tmp_path / "masked.xlsx"
    exported = run("anggota", "ekspor", "--coop", COOP, "-o", str(masked), env=env)
    assert exported.returncode == 0 and "tidak dapat diimpor ulang" in exported.stderr
    assert FULL_NIK not in str([c.value for row in load_workbook(io.BytesIO(masked.read_bytes())).active.iter_rows()
                                for c in row])
    again = run("anggota", "impor", "--coop", COOP, str(masked), env=env)
    assert again.returncode == 1 and "NIK disamarkan" in again.stderr

    full = tmp_path / "full.xlsx"
    exported = run("anggota", "ekspor", "--coop", COOP, "-o", str(full), "--nik-lengkap", env=env)
    assert exported.returncode == 0 and "NIK lengkap" in exported.stderr
    same = run("anggota", "impor", "--coop", COOP, str(full), env=env)
    assert same.returncode == 0 and "27 baris dibaca, tidak ada perubahan" in same.stdout


@pytest.mark.parametrize(("args", "code", "message"), [
    (["--as", "siti"], 4, "hanya untuk pengurus"),
    (["--as", "tidak-ada"], 3, "tidak ditemukan"),
])
def test_who_may_import_is_enforced_with_exit_codes(env: dict[str, str], tmp_path: Path, args: list[str], code: int,
                                                    message: str) -> None:
    template = tmp_path / "contoh.xlsx"
    assert run("anggota", "contoh", "-o", str(template), env=env).returncode == 0
    result = run("anggota", "impor", "--coop", COOP, str(template), *args, env=env)
    assert result.returncode == code and message in result.stderr
    no_traceback(result)


def test_unknown_and_missing_things_have_their_exit_codes(env: dict[str, str], tmp_path: Path) -> None:
    assert run("anggota", "daftar", "--coop", "tidak-ada", env=env).returncode == 3
    missing = run("anggota", "impor", "--coop", COOP, str(tmp_path / "tidak-ada.xlsx"), env=env)
    assert missing.returncode == 1 and "tidak ditemukan" in missing.stderr
    not_excel = tmp_path / "anggota.xlsx"
    not_excel.write_text("Nomor;Nama;NIK\n", encoding="utf-8")
    unreadable = run("anggota", "impor", "--coop", COOP, str(not_excel), env=env)
    assert unreadable.returncode == 1 and "bukan buku kerja Excel" in unreadable.stderr
    bad_date = run("anggota", "daftar", "--coop", COOP, "--tanggal", "kemarin", env=env)
    assert bad_date.returncode == 1 and "tidak dikenali" in bad_date.stderr
    usage = run("anggota", "impor", env=env)
    assert usage.returncode == 2
    for result in (missing, unreadable, bad_date):
        no_traceback(result)
