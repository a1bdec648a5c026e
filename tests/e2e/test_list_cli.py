"""A list field on the command line: ``--set calon='[...]'`` (JSON) or ``--set calon=@calon.csv``, and
``case show`` prints the rows as a table under the column labels."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.services import Services
from tests.e2e.test_cli import no_traceback, run
from tests.integration.test_list_fields import DAFTAR, WF

COOP = "kkmp-sentanan"


@pytest.fixture
def env(services: Services) -> dict[str, str]:
    """The demo KKMP (SQLite or PostgreSQL) running the test procedure with a list of candidates."""
    return {"TATAKELOLA_DB": services.settings.db_url, "TATAKELOLA_KEY": str(services.settings.resolved_key_path),
            "TATAKELOLA_WORKFLOWS": str(DAFTAR)}


def start(env: dict[str, str], *sets: str):  # type: ignore[no-untyped-def]
    args = [a for s in ("tanggal_rapat=2026-11-20", *sets) for a in ("--set", s)]
    return run("case", "start", WF, "--coop", COOP, "--as", "rina", *args, env=env)


def cases(env: dict[str, str]) -> str:
    return run("case", "list", env=env).stdout


def test_json_rows_start_a_case_and_case_show_prints_them_as_a_table(env: dict[str, str]) -> None:
    rows = [{"anggota": "siti", "jabatan": "Ketua", "simpanan": "250.000"},
            {"anggota": "Lilik", "jabatan": "bendahara", "sejak": "02-08-2025"}]
    started = start(env, "calon=" + json.dumps(rows), "ketua_panitia=joko")
    assert started.returncode == 0, started.stderr
    number = started.stdout.strip()
    shown = run("case", "show", number, "--as", "rina", env=env)
    assert shown.returncode == 0, shown.stderr
    out = shown.stdout
    assert "Daftar calon (calon): 2 baris" in out and "Ketua panitia (ketua_panitia): Joko Susilo (joko)" in out
    header = next(line for line in out.splitlines() if "Jabatan" in line and "Simpanan" in line)
    assert header.split() == ["No.", "┃", "Anggota", "┃", "Jabatan", "┃", "Simpanan", "┃", "Anggota", "sejak"]
    assert any(line.split()[:6] == ["1", "│", "Siti", "Maemunah", "(siti)", "│"] and "Rp 250.000" in line
               for line in out.splitlines())
    assert any("Lilik Suryani (lilik)" in line and "Bendahara" in line and "2 Agustus 2025" in line
               for line in out.splitlines())
    assert run("case", "act", number, "ajukan", "--as", "rina", env=env).returncode == 0
    acted = run("case", "act", number, "sahkan", "--as", "bambang", "--set",
                'calon=[{"anggota": "joko", "jabatan": "Ketua"}]', env=env)
    assert acted.returncode == 0, acted.stderr
    assert "Joko Susilo (joko)" in run("case", "show", number, env=env).stdout


def test_a_csv_file_with_column_labels_starts_a_case(env: dict[str, str], tmp_path: Path) -> None:
    csv = tmp_path / "calon.csv"
    csv.write_text("Anggota;Jabatan;Simpanan;Anggota sejak\nsiti;Ketua;1.500.000;15-07-2025\n\n"
                   "joko;Sekretaris;;\n", encoding="utf-8-sig")  # as a spreadsheet saves it: BOM, semicolons
    started = start(env, f"calon=@{csv}")
    assert started.returncode == 0, started.stderr
    out = run("case", "show", started.stdout.strip(), env=env).stdout
    assert "Daftar calon (calon): 2 baris" in out and "Rp 1.500.000" in out and "Joko Susilo (joko)" in out


def test_a_refused_row_or_file_changes_nothing(env: dict[str, str], tmp_path: Path) -> None:
    before = cases(env)
    csv = tmp_path / "calon.csv"
    csv.write_text("anggota,jabatan\nsiti,Ketua\nbudi,Sekretaris\nfajar,Bendahara\n", encoding="utf-8")
    refused = start(env, f"calon=@{csv}")
    assert refused.returncode != 0
    no_traceback(refused)
    assert "Baris 2, Anggota: 'budi' bukan orang di koperasi ini" in refused.stderr
    assert "Baris 3, Anggota: 'fajar' tidak memegang jabatan Anggota pada 20 November 2026" in refused.stderr
    big = tmp_path / "besar.csv"
    big.write_text("anggota,jabatan\n" + "siti,Ketua\n" * 100_000, encoding="utf-8")
    too_big = start(env, f"calon=@{big}")
    assert too_big.returncode == 2 and "berkas terlalu besar" in too_big.stderr and "maksimal 1024 KB" in too_big.stderr
    missing = start(env, f"calon=@{tmp_path / 'tidak-ada.csv'}")
    assert missing.returncode == 2 and "tidak dapat dibaca" in missing.stderr
    not_json = start(env, "calon=siti, joko")
    assert not_json.returncode != 0 and "bukan daftar yang dapat dibaca" in not_json.stderr
    no_traceback(not_json)
    assert cases(env) == before
