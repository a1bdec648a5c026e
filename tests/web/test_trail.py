"""The trail page and the Dinas overview tell the truth about an empty log (issue 10)."""

from __future__ import annotations

import io
import subprocess
import sys
import zipfile
from pathlib import Path

from engine.services import Services

EMPTY = "kkmp-kranggan"  # imported with the Dinas example; no case has been started there


def test_an_empty_trail_says_there_are_no_entries_yet(as_user, web_services: Services) -> None:
    ratna = as_user("ratna")
    overview = ratna.client.get("/dinas").text
    assert "✔ utuh — belum ada catatan" in overview and "utuh (0)" not in overview
    page = ratna.client.get(f"/k/{EMPTY}/jejak?verified=1").text
    assert "Jejak persetujuan utuh: belum ada catatan" in page and "0 catatan" not in page


def test_the_bundle_of_an_empty_trail_can_be_downloaded_and_verifies(as_user, web_services: Services,
                                                                      tmp_path: Path) -> None:
    ratna = as_user("ratna")
    page = ratna.client.get(f"/k/{EMPTY}/jejak").text
    assert "Belum ada checkpoint." in page and f"/k/{EMPTY}/jejak/bundel.zip" in page
    download = ratna.client.get(f"/k/{EMPTY}/jejak/bundel.zip")
    assert download.status_code == 200
    with zipfile.ZipFile(io.BytesIO(download.content)) as archive:
        archive.extractall(tmp_path)
    folder = tmp_path / f"bundel-{EMPTY}"
    result = subprocess.run([sys.executable, "-I", str(folder / "verify.py"), str(folder)],
                            capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0 and result.stdout.startswith(f"UTUH: {EMPTY}: 0 catatan"), result.stdout
    after = ratna.client.get(f"/k/{EMPTY}/jejak").text  # the export signed the empty log's checkpoint
    assert "Ukuran log: 0" in after
