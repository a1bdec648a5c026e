"""``tatakelola latihan buka`` / ``latihan ulang`` end to end, and commands that act in a sandbox as usual."""

from __future__ import annotations

import pytest

from engine.services import Services
from tests.e2e.test_cli import no_traceback, run


@pytest.fixture
def env(services: Services) -> dict[str, str]:
    return {"TATAKELOLA_DB": services.settings.db_url, "TATAKELOLA_KEY": str(services.settings.resolved_key_path)}


def test_open_reuse_and_reset_print_the_sandbox_and_how_to_log_in(env: dict[str, str]) -> None:
    opened = run("latihan", "buka", "--user", "sri", env=env)
    assert opened.returncode == 0, opened.stderr
    assert "Ruang latihan dibuat: latihan-sri (Koperasi Latihan – Sri Handayani)" in opened.stdout
    assert "latihan.sri.ketua" in opened.stdout and "/latihan" in opened.stdout and "kata sandinya" in opened.stdout
    again = run("latihan", "buka", "--user", "sri", env=env)
    assert again.returncode == 0 and "Ruang latihan yang sudah ada: latihan-sri " in again.stdout
    tasks = run("tasks", "--as", "sri", "--coop", "latihan-sri", env=env)
    assert tasks.returncode == 0, tasks.stderr
    verified = run("audit", "verify", "--coop", "latihan-sri", env=env)
    assert verified.returncode == 0 and "latihan-sri: jejak persetujuan utuh" in verified.stdout
    everything = run("audit", "verify", env=env)
    assert everything.returncode == 0 and "latihan-sri" not in everything.stdout
    assert "latihan-sri" not in run("org", "list", env=env).stdout
    fresh = run("latihan", "ulang", "--user", "sri", env=env)
    assert fresh.returncode == 0 and "Ruang latihan baru dibuat: latihan-sri-2" in fresh.stdout


def test_an_unknown_person_or_seat_is_refused_without_a_traceback(env: dict[str, str]) -> None:
    unknown = run("latihan", "buka", "--user", "siapa", env=env)
    assert unknown.returncode == 3 and "tidak ditemukan" in unknown.stderr
    seat = run("latihan", "buka", "--user", "sri", "--peran", "raja", env=env)
    assert seat.returncode == 1 and "Peran latihan tidak dikenal" in seat.stderr
    no_traceback(unknown)
    no_traceback(seat)
