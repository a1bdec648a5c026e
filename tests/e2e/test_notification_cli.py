"""``tatakelola notifikasi ...`` and ``user set-email`` end to end, as an operator runs them from cron."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from engine.services import Services
from tests.e2e.test_cli import no_traceback, run
from tests.helpers import KAS_DRAFT_CHECKS, start_kas


@pytest.fixture
def env(services: Services) -> dict[str, str]:
    return {"TATAKELOLA_DB": services.settings.db_url, "TATAKELOLA_KEY": str(services.settings.resolved_key_path)}


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_an_address_is_set_checked_and_cleared(env: dict[str, str]) -> None:
    saved = run("user", "set-email", "sri", "sri@kkmp.test", env=env)
    assert saved.returncode == 0 and "dikirim ke sri@kkmp.test" in saved.stdout
    refused = run("user", "set-email", "sri", "sri di kkmp", env=env)
    assert refused.returncode == 1 and "bukan alamat e-mail yang sah" in refused.stderr
    no_traceback(refused)
    cleared = run("user", "set-email", "sri", "--hapus", env=env)
    assert cleared.returncode == 0 and "dihapus" in cleared.stdout


def test_with_the_mail_server_down_sending_says_so_and_keeps_the_password_to_itself(
        services: Services, env: dict[str, str], tmp_path: Path) -> None:
    services.notifications.set_email("sri", "sri@kkmp.test")
    nota = tmp_path / "nota.pdf"
    nota.write_bytes(b"%PDF-1.4\n% nota\n")
    mail = {**env, "TATAKELOLA_SMTP_HOST": "127.0.0.1", "TATAKELOLA_SMTP_PORT": str(closed_port()),
            "TATAKELOLA_SMTP_FROM": "tatakelola@kkmp.test", "TATAKELOLA_SMTP_USER": "tk",
            "TATAKELOLA_SMTP_PASSWORD": "rahasia-sekali", "TATAKELOLA_SMTP_STARTTLS": "0"}
    number = start_kas(services, 300_000, nota)
    decided = run("case", "act", number, "ajukan", "--as", "fajar",
                  *[a for c in KAS_DRAFT_CHECKS for a in ("--check", c)], env=mail)
    assert decided.returncode == 0, decided.stderr

    sent = run("notifikasi", "kirim", env=mail)

    assert sent.returncode == 0, sent.stderr
    assert "terkirim 0, dicoba lagi nanti 1" in sent.stdout
    assert "tidak dapat dihubungi" in sent.stderr
    assert "rahasia-sekali" not in sent.stdout + sent.stderr
    listed = run("notifikasi", "daftar", "--user", "sri", env=mail)
    assert listed.returncode == 0 and "Tugas baru" in listed.stdout and "menunggu dikirim" in listed.stdout


def test_a_sender_is_required_with_a_server(env: dict[str, str]) -> None:
    refused = run("notifikasi", "kirim", env={**env, "TATAKELOLA_SMTP_HOST": "smtp.kkmp.test"})
    assert refused.returncode == 2 and "smtp_from" in refused.stderr
    no_traceback(refused)
