"""`tatakelola doc som` end to end: an operator prints the cooperative's Standar Operasional Manajemen."""

from __future__ import annotations

from pathlib import Path

from engine.demo import DEMO_ORG
from tests.e2e.test_doc_cli import ok, run, words
from tests.integration.documents.conftest import pdf_text


def test_doc_som_writes_the_manual_to_the_file_named_and_it_verifies(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'tatakelola.db'}"
    ok(run("--db", db, "init", cwd=tmp_path))
    ok(run("--db", db, "org", "import", str(DEMO_ORG), cwd=tmp_path))
    result = run("--db", db, "doc", "som", "--coop", "kkmp-sentanan", "--out", "som.pdf", cwd=tmp_path)
    said = words(result)
    ok(result)
    assert "Dokumen SOM-" in said and "ditulis ke som.pdf" in said and "tercatat di basis data" in said
    text = pdf_text((tmp_path / "som.pdf").read_bytes())
    assert "STANDAR OPERASIONAL MANAJEMEN" in text and "MATRIKS KEWENANGAN PERSETUJUAN" in text
    assert "Dokumen sah" in ok(run("--db", db, "doc", "verify", "som.pdf", cwd=tmp_path))


def test_doc_som_names_an_unknown_cooperative(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'tatakelola.db'}"
    ok(run("--db", db, "init", cwd=tmp_path))
    result = run("--db", db, "doc", "som", "--coop", "tidak-ada", cwd=tmp_path)
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert "tidak-ada" in words(result)
