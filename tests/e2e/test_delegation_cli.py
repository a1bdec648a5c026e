"""``tatakelola delegate``: a ketua on leave hands his seat to the wakil ketua; decisions say a.n."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from engine.errors import PermissionDeniedError, ValidationError, exit_code_for
from engine.services import Services
from tests.e2e.test_cli import no_traceback, run
from tests.helpers import KAS_VERIFY_CHECKS, submitted_kas

COOP = "kkmp-sentanan"


def test_a_delegate_decides_a_n_the_holder_through_the_cli(services: Services, files) -> None:
    number = submitted_kas(services, 900_000, files("n.pdf"))
    services.act(number, "verifikasi", "sri", checks=KAS_VERIFY_CHECKS)
    env = {"TATAKELOLA_DB": services.settings.db_url, "TATAKELOLA_KEY": str(services.settings.resolved_key_path)}
    today = datetime.now(ZoneInfo(services.settings.timezone)).date()  # the command runs on the real clock
    end = today + timedelta(days=13)

    granted = run("delegate", "ketua", "--coop", COOP, "--from", "bambang", "--to", "dwi", "--start",
                  today.isoformat(), "--end", end.isoformat(), "--alasan", "Cuti umrah", env=env)
    assert granted.returncode == 0, granted.stderr
    assert "Dwi Prasetyo menjalankan tugas Ketua Pengurus a.n. Bambang Sutrisno" in granted.stdout
    listed = run("delegasi", "daftar", "--coop", COOP, env=env)
    assert "(berlaku)" in listed.stdout and "Cuti umrah" in listed.stdout

    acted = run("case", "act", number, "setujui", "--as", "dwi", env=env)
    assert acted.returncode == 0, acted.stderr
    shown = run("case", "show", number, "--as", "dwi", env=env)
    assert "a.n. Ketua Pengurus Bambang Sutrisno" in shown.stdout
    assert run("audit", "verify", "--coop", COOP, env=env).returncode == 0

    ended = run("delegasi", "cabut", "--coop", COOP, "1", "--as", "bambang", env=env)
    assert ended.returncode == 0, ended.stderr
    assert "diakhiri" in ended.stdout
    assert "Tidak ada delegasi" in run("delegasi", "daftar", "--coop", COOP, env=env).stdout


def test_refusals_exit_with_their_codes_and_no_traceback(services: Services) -> None:
    env = {"TATAKELOLA_DB": services.settings.db_url, "TATAKELOLA_KEY": str(services.settings.resolved_key_path)}
    bad_date = run("delegate", "ketua", "--coop", COOP, "--from", "bambang", "--to", "dwi", "--start", "8 Desember",
                   "--end", "2030-01-01", env=env)
    assert bad_date.returncode == exit_code_for(ValidationError([])), bad_date.stderr
    assert "Tanggal tidak sah" in bad_date.stderr and "--start" in bad_date.stderr
    forbidden = run("delegate", "pengawas", "--coop", COOP, "--from", "heru", "--to", "nuraini", "--start",
                    "2030-01-01", "--end", "2030-01-05", env=env)
    assert forbidden.returncode == exit_code_for(PermissionDeniedError("x")) == 4
    assert "tidak mengizinkan peran Pengawas" in forbidden.stderr
    for result in (bad_date, forbidden):
        no_traceback(result)
