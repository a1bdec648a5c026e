"""``tatakelola workflows check`` fails on a keterkaitan citing an SOP number no loaded procedure carries."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.test_cli import ROOT, no_traceback, run

SOURCE = (ROOT / "workflows" / "setoran_kas_harian.yaml").read_text(encoding="utf-8")
CITED = "    - SOP-KEU-03 Persetujuan Pengeluaran Kas\n"


def test_a_dangling_keterkaitan_fails_with_file_and_line_and_a_valid_one_passes(tmp_path: Path) -> None:
    assert CITED in SOURCE
    folder = tmp_path / "prosedur"
    folder.mkdir()
    path = folder / "kas_harian.yaml"
    path.write_text(SOURCE.replace(CITED, "    - SOP-KEU-33 Persetujuan Pengeluaran Kas\n"), encoding="utf-8")
    line = SOURCE.splitlines().index(CITED.rstrip("\n")) + 1
    result = run("workflows", "check", str(folder))
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"{path}:{line}:7: keterkaitan menyebut SOP-KEU-33" in result.stdout
    no_traceback(result)

    path.write_text(SOURCE, encoding="utf-8")  # SOP-KEU-03 is a shipped procedure
    result = run("workflows", "check", str(folder))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Bersih: 1 berkas" in result.stdout

    # A cooperative running only its own folder: a citation of a procedure it does not run is dangling.
    result = run("--workflows", str(folder), "workflows", "check")
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"{path}:{line}:7: keterkaitan menyebut SOP-KEU-03" in result.stdout
