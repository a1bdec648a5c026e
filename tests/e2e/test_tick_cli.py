"""``tatakelola tick --now``: the operator's (or cron's) way to escalate overdue steps; ``case show`` says so."""

from __future__ import annotations

from engine.errors import ValidationError, exit_code_for
from engine.services import Services
from tests.e2e.test_cli import no_traceback, run
from tests.integration.test_escalation import waiting_on_ketua


def test_tick_escalates_once_and_case_show_says_so(services: Services, files, tmp_path) -> None:
    number = waiting_on_ketua(services, files)
    env = {"TATAKELOLA_DB": services.settings.db_url, "TATAKELOLA_KEY": str(services.settings.resolved_key_path)}

    early = run("tick", "--now", "2026-11-26T09:59", env=env)  # the deadline is Thursday 26th, 10.00 WIB
    assert early.returncode == 0, early.stderr
    assert "Tidak ada langkah yang perlu dieskalasi" in early.stdout

    handed = run("tick", "--now", "2026-11-30T10:00", env=env)
    assert handed.returncode == 0, handed.stderr
    assert f"1 langkah melewati tenggat: {number}" in handed.stdout
    assert "diingatkan" in handed.stdout and "dialihkan juga ke Wakil Ketua Bidang Usaha" in handed.stdout

    again = run("tick", "--now", "2026-11-30T10:00+07:00", env=env)
    assert "Tidak ada langkah yang perlu dieskalasi" in again.stdout

    shown = run("case", "show", number, "--as", "dwi", env=env)
    assert "Melewati tenggat sejak" in shown.stdout
    assert "dialihkan juga ke Wakil Ketua Bidang Usaha pada" in " ".join(shown.stdout.split())
    assert run("audit", "verify", "--coop", "kkmp-sentanan", env=env).returncode == 0

    bad = run("tick", "--now", "besok pagi", env=env)
    assert bad.returncode == exit_code_for(ValidationError([])), bad.stderr
    assert "--now" in bad.stderr
    no_traceback(bad)


def test_a_bad_calendar_file_is_named_with_its_line(services: Services, tmp_path) -> None:
    calendar = tmp_path / "kalender.yaml"
    calendar.write_text("cuti_bersama:\n  2026: [17-08-2026]\n", encoding="utf-8")
    env = {"TATAKELOLA_DB": services.settings.db_url, "TATAKELOLA_KEY": str(services.settings.resolved_key_path),
           "TATAKELOLA_CALENDAR": str(calendar)}
    result = run("tick", env=env)
    assert result.returncode != 0
    assert "kalender.yaml:2:" in result.stderr
    no_traceback(result)
