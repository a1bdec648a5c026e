"""The election procedure (SOP-KEL-11) end to end on the command line: lists typed as CSV files, every
refusal named in words with nothing saved, the committee appointed and the new board installed."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest

from engine.services import Services
from tests.e2e.test_cli import no_traceback, run
from tests.integration.workflows.helpers import members
from tests.integration.workflows.test_pemilihan_pengurus import add_people

COOP = "kkmp-sentanan"
CALON_CHECKS = ("--check", "pernyataan_calon", "--check", "calon_diumumkan")


@pytest.fixture
def env(services: Services, tmp_path: Path) -> dict[str, str]:
    add_people(services, tmp_path, chair=(date.today() - timedelta(days=1), date.today() + timedelta(days=90)))
    return {"TATAKELOLA_DB": services.settings.db_url, "TATAKELOLA_KEY": str(services.settings.resolved_key_path)}


def csv(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return f"@{path}"


def ok(*args: str, env: dict[str, str]) -> str:
    result = run(*args, env=env)
    assert result.returncode == 0, result.stderr
    return result.stdout


def refused(*args: str, env: dict[str, str], number: str) -> str:
    before = run("case", "show", number, env=env).stdout
    result = run(*args, env=env)
    assert result.returncode != 0
    no_traceback(result)
    assert run("case", "show", number, env=env).stdout == before
    return result.stderr


def test_an_election_runs_through_the_cli_with_every_refusal_in_words(
        services: Services, env: dict[str, str], tmp_path: Path) -> None:
    rat = (date.today() + timedelta(days=12)).isoformat()  # the CLI runs on today's date
    panitia = csv(tmp_path, "panitia.csv", "Anggota panitia,Tugas dalam panitia\nsiti,Ketua panitia\n"
                                           "lilik,Sekretaris panitia\nani,Anggota panitia\n")
    number = ok("case", "start", "pemilihan_pengurus", "--coop", COOP, "--as", "rina", "--set", f"tanggal_rat={rat}",
                "--set", "tempat_rat=Balai Kelurahan Sentanan", "--set", f"panitia={panitia}", env=env).strip()
    ok("case", "act", number, "ajukan_panitia", "--as", "rina", "--check", "panitia_bersedia", env=env)
    for voter in ("bambang", "dwi", "endang"):
        ok("case", "act", number, "sahkan_panitia", "--as", voter, env=env)
    assert "Panitia Pemilihan" in ok("case", "show", number, "--as", "siti", env=env)

    error = refused("case", "act", number, "tetapkan_calon", "--as", "siti", *CALON_CHECKS, "--set",
                    "calon=" + csv(tmp_path, "calon-salah.csv", "orang,jabatan\nbambang,Ketua Pengurus\n"
                                                               "budi,Bendahara\nheru,Sekretaris\n"),
                    env=env, number=number)
    assert "Calon 2 (Budi Hartono) belum 12 bulan menjadi anggota" in error
    assert "Calon 3 (Heru Wibowo) sedang menjabat pengawas" in error
    assert "months_between" not in error and "orang.peran" not in error
    assert "hanya untuk Panitia Pemilihan" in refused(
        "case", "act", number, "tetapkan_calon", "--as", "bambang", *CALON_CHECKS, "--set",
        "calon=" + json.dumps([{"orang": "bambang", "jabatan": "Ketua Pengurus"}]), env=env, number=number)
    ok("case", "act", number, "tetapkan_calon", "--as", "siti", *CALON_CHECKS, "--set",
       "calon=" + csv(tmp_path, "calon.csv", "Calon,Dicalonkan sebagai\nbambang,Ketua Pengurus\nrina,Sekretaris\n"),
       env=env)

    present = ",".join(members(services, 30))
    hasil = csv(tmp_path, "hasil.csv", "terpilih,jabatan,suara\nbambang,Ketua Pengurus,21\nrina,Sekretaris,25\n")
    ba = tmp_path / "ba.pdf"
    ba.write_bytes(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    ok("case", "act", number, "catat_hasil", "--as", "lilik", "--check", "daftar_hadir_ditutup",
       "--check", "suara_dihitung_terbuka", "--set", f"daftar_hadir={present}",
       "--set", f"hasil={hasil}", "--attach", f"berita_acara_suara={ba}", env=env)
    start, end = (date.today() + timedelta(days=20)).isoformat(), (date.today() + timedelta(days=1800)).isoformat()
    assert "hanya untuk Pimpinan Rapat Anggota" in refused("case", "act", number, "sahkan_hasil", "--as", "siti", "--set",
                                          f"tanggal_mulai={start}", "--set", f"tanggal_akhir={end}",
                                          env=env, number=number)
    ok("case", "act", number, "sahkan_hasil", "--as", "joko", "--set", f"tanggal_mulai={start}", "--set",
       f"tanggal_akhir={end}", env=env)
    shown = ok("case", "show", number, env=env)
    assert "Pengurus dan pengawas baru ditetapkan" in shown or "Selesai" in shown
    verified = run("audit", "verify", "--coop", COOP, env=env)
    assert verified.returncode == 0, verified.stdout + verified.stderr
