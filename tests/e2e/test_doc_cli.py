"""`tatakelola doc ...` end to end on the demo database, as an operator would run it."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200"}
    env.pop("TATAKELOLA_DEBUG", None)
    env.pop("TATAKELOLA_DB", None)
    return subprocess.run([sys.executable, "-m", "engine", *args], capture_output=True, text=True, env=env,
                          cwd=cwd, timeout=180)


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in result.stderr + result.stdout
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout + result.stderr


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The demo KKMP in a SQLite file beside its signing key, with decided cases KAS/2026/0001-0003."""
    from datetime import UTC, datetime

    from engine.demo import DEMO_ORG
    from engine.services import Services
    from engine.settings import Settings
    from tests.conftest import Clock, FileMaker
    from tests.helpers import submitted_kas
    from tests.integration.documents.conftest import quorum_kas

    work = tmp_path_factory.mktemp("doc-cli")
    db_file = work / "tatakelola.db"
    services = Services(Settings(db_url=f"sqlite:///{db_file}"), clock=Clock(datetime(2026, 11, 24, 3, tzinfo=UTC)))
    services.init()
    services.import_org(DEMO_ORG)
    files = FileMaker(work / "berkas")
    quorum_kas(services, files)
    rejected = submitted_kas(services, 4_200_000, files("studi.pdf"))
    services.act(rejected, "tolak", "sri", comment="Tidak ada di RAPB.")
    quorum_kas(services, files)
    services.db.dispose()
    return work, f"sqlite:///{db_file}"


@pytest.fixture(scope="module")
def minutes(demo: tuple[Path, str]) -> Path:
    work, db = demo
    said = ok(run("--db", db, "doc", "minutes", "KAS/2026/0003", "-o", "ba.pdf", cwd=work))
    assert "003/BA/KKMP-SNT/XI/2026" in said and "tercatat di basis data" in said
    assert "ditandatangani Tatakelola — tatakelola" in said
    return work / "ba.pdf"


def words(result: subprocess.CompletedProcess[str]) -> str:
    """Output with rich's line wrapping undone."""
    return " ".join((result.stdout + result.stderr).split())


def test_a_berita_acara_is_issued_and_verifies_offline_and_against_the_database(demo: tuple[Path, str],
                                                                                minutes: Path) -> None:
    work, db = demo
    offline = ok(run("doc", "verify", "ba.pdf", "--offline", cwd=work))
    assert "Dokumen sah" in offline and "tanpa basis data" in offline
    assert "Ditandatangani oleh: Tatakelola — tatakelola (sidik sertifikat SHA-256 " in offline
    online = ok(run("--db", db, "doc", "verify", "ba.pdf", cwd=work))
    assert "tercatat di basis data" in online and "dan dengan basis data" in online


def test_verify_rejects_a_copy_with_one_changed_byte_in_an_attachment(demo: tuple[Path, str],
                                                                     minutes: Path) -> None:
    from tests.integration.documents.conftest import flip, replace_attachment

    work, _ = demo
    (work / "palsu.pdf").write_bytes(replace_attachment(minutes.read_bytes(), "proofs.json", flip))
    result = run("doc", "verify", "palsu.pdf", "--offline", cwd=work)
    assert result.returncode == 1, result.stdout
    assert "Dokumen TIDAK sah" in result.stdout and "Traceback" not in result.stderr


@pytest.mark.parametrize("against", ["--offline", "--db"])
def test_verify_rejects_a_copy_whose_printed_amount_was_changed(demo: tuple[Path, str], minutes: Path,
                                                                 against: str) -> None:
    from tests.integration.documents.conftest import change_printed_amount, pdf_text

    work, db = demo
    forged = change_printed_amount(minutes.read_bytes(), "18.750.000", "18.250.000")
    assert "Rp 18.250.000" in pdf_text(forged)
    (work / "ubah-jumlah.pdf").write_bytes(forged)
    options = ["--offline"] if against == "--offline" else ["--db", db]
    result = run("doc", "verify", "ubah-jumlah.pdf", *options, cwd=work)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "Dokumen TIDAK sah: Isi berkas tidak cocok lagi dengan tanda tangan digitalnya: ada bita yang diubah " \
           "setelah dokumen ditandatangani" in words(result)


def test_verify_rejects_bytes_appended_after_the_signature(demo: tuple[Path, str], minutes: Path) -> None:
    work, _ = demo
    (work / "tambah.pdf").write_bytes(minutes.read_bytes() + b"% catatan tambahan\n")
    result = run("doc", "verify", "tambah.pdf", "--offline", cwd=work)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "Dokumen TIDAK sah: Ada 19 bita yang ditambahkan ke berkas setelah ditandatangani" in words(result)


def test_init_creates_the_pdf_signing_certificate_beside_the_key(tmp_path: Path) -> None:
    said = ok(run("--db", f"sqlite:///{tmp_path / 'baru.db'}", "init", cwd=tmp_path))
    assert "Sertifikat tanda tangan PDF:" in said and "Tatakelola — tatakelola" in said
    assert (tmp_path / "baru-signing-pdf.key").is_file() and (tmp_path / "baru-signing-pdf.crt").is_file()
    key = (tmp_path / "baru-signing-pdf.key").read_bytes()
    again = ok(run("--db", f"sqlite:///{tmp_path / 'baru.db'}", "init", cwd=tmp_path))  # idempotent: kept
    assert (tmp_path / "baru-signing-pdf.key").read_bytes() == key
    assert said.split("Sertifikat tanda tangan PDF:")[1] == again.split("Sertifikat tanda tangan PDF:")[1]


def test_rapd_is_accepted_for_rapb_and_the_document_prints_rapb(demo: tuple[Path, str]) -> None:
    from tests.integration.documents.conftest import pdf_text

    work, db = demo
    ok(run("--db", db, "doc", "rapd-export", "--coop", "kkmp-sentanan", "--year", "2027", "--contoh",
           "-o", "contoh.xlsx", cwd=work))
    said = ok(run("--db", db, "doc", "budget-import", "--coop", "kkmp-sentanan", "--year", "2027", "contoh.xlsx",
                  cwd=work))
    assert "pendapatan 9" in said and "rencana kerja 12 kegiatan" in said
    said = ok(run("--db", db, "doc", "rapd", "--coop", "kkmp-sentanan", "--year", "2027", "-o", "rapb.pdf",
                  cwd=work))
    assert "RAPB/2027" in said
    text = pdf_text((work / "rapb.pdf").read_bytes())
    assert "RENCANA ANGGARAN PENDAPATAN DAN BELANJA (RAPB)" in text and "RAPD" not in text
    assert load_workbook(io.BytesIO((work / "contoh.xlsx").read_bytes()))["Pendapatan"]["C5"].value


def test_a_bad_workbook_is_refused_with_the_sheet_and_cell_of_each_problem(demo: tuple[Path, str]) -> None:
    from engine.services.documents import EXAMPLE_WORKBOOK

    work, db = demo
    book = load_workbook(EXAMPLE_WORKBOOK)
    book["Pendapatan"]["D7"] = "satu juta"
    book.save(work / "salah.xlsx")
    result = run("--db", db, "doc", "budget-import", "--coop", "kkmp-sentanan", "--year", "2026", "salah.xlsx",
                 cwd=work)
    assert result.returncode == 1
    assert "Sheet 'Pendapatan', sel D7: 'satu juta' bukan angka rupiah" in result.stderr
    assert "Sheet 'Pendapatan', sel D4: judul kolom 'Realisasi 2025' tidak sesuai" in result.stderr


def test_a_bare_sop_and_the_audit_report_are_written(demo: tuple[Path, str]) -> None:
    work, db = demo
    few = work / "beberapa"
    few.mkdir()
    for name in ("pengeluaran_kas.yaml", "keputusan_rapat_pengurus.yaml"):
        shutil.copy(ROOT / "workflows" / name, few / name)
    bare = ok(run("--workflows", str(few), "doc", "sop", "pengeluaran_kas", cwd=few))  # no database here
    assert "SOP-KEU-03-V1.pdf" in bare and "tidak dicatat" in bare and (few / "SOP-KEU-03-V1.pdf").is_file()
    assert "tanpa tanda tangan digital" in bare  # and no key is made where no installation is
    unsigned = run("doc", "verify", "SOP-KEU-03-V1.pdf", "--offline", cwd=few)
    assert unsigned.returncode == 1 and "Dokumen TIDAK sah: Dokumen tidak bertanda tangan digital" in words(unsigned)
    assert not list(few.glob("*.key"))
    said = ok(run("--db", db, "doc", "audit-report", "--coop", "kkmp-sentanan", "--from", "01-01-2020",
                  "--to", "2099-12-31", "-o", "lap.pdf", cwd=work))
    assert "LHP-JEJAK-20200101-20991231" in said and "tercatat di basis data" in said
    lhp = ok(run("--db", db, "doc", "lhp", "--coop", "kkmp-sentanan", "--dari", "2026-01-01",
                 "--sampai", "2026-12-31", "--out", "lhp.pdf", cwd=work))
    assert "LHP-20260101-20261231" in lhp and (work / "lhp.pdf").is_file()


def test_errors_are_indonesian_with_the_usual_exit_codes(demo: tuple[Path, str]) -> None:
    work, db = demo
    missing = run("--db", db, "doc", "minutes", "KAS/2099/0001", cwd=work)
    assert missing.returncode == 3 and "tidak ditemukan" in missing.stderr
    bad_date = run("--db", db, "doc", "audit-report", "--coop", "kkmp-sentanan", "--from", "kemarin",
                   "--to", "2026-12-31", cwd=work)
    assert bad_date.returncode == 1 and "tanggal 'kemarin' tidak dikenali" in bad_date.stderr
