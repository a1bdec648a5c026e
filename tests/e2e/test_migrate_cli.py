"""``tatakelola workflows migrate``: the dry run's table and fingerprint, and the proposal it starts."""

from __future__ import annotations

from pathlib import Path

from engine.domain.definitions.registry import Registry
from engine.services import Services
from tests.e2e.test_cli import no_traceback, run
from tests.helpers import COOP
from tests.integration.test_case_migration import V1, V2, WF, folder


def test_a_dry_run_lists_the_plan_and_a_real_run_proposes_it(services: Services, tmp_path: Path) -> None:
    old = Services(services.settings, clock=services.clock, registry=Registry.from_paths([folder(tmp_path, "v1", V1)]))
    moving = old.open_case(WF, COOP, "fajar", values={"judul": "Beli timbangan", "jumlah": "750000"})
    old.act(moving, "ajukan", "fajar")
    parked = old.open_case(WF, COOP, "fajar", values={"judul": "Beli rak", "jumlah": "500000"})
    old.act(parked, "ajukan", "fajar")
    old.act(parked, "tunda", "sri")
    old.db.dispose()
    v2 = folder(tmp_path, "v2", V2)
    env = {"TATAKELOLA_DB": services.settings.db_url, "TATAKELOLA_KEY": str(services.settings.resolved_key_path),
           "TATAKELOLA_WORKFLOWS": str(v2)}
    new = Services(services.settings, clock=services.clock, registry=Registry.from_paths([v2]))
    base = ("workflows", "migrate", WF, "--from", "1", "--to", "2", "--coop", COOP)

    blocked = run(*base, "--dry-run", env=env)
    no_traceback(blocked)
    assert blocked.returncode == 1, blocked.stdout + blocked.stderr
    assert "akan dipindah" in blocked.stdout and "tidak dapat dipindah: status 'Ditunda bendahara'" in blocked.stdout
    assert "--map ditunda=STATUS_BARU" in blocked.stdout and "1 dari 2 kasus tidak dapat dipindah" in blocked.stderr

    dry = run(*base, "--map", "ditunda=telaah", "--dry-run", env=env)
    assert dry.returncode == 0, dry.stdout + dry.stderr
    assert dry.stdout.count("akan dipindah") >= 2 and "Telaah sekretaris" in dry.stdout
    fingerprint = dry.stdout.split("Sidik rencana (SHA-256): ")[1].split()[0]
    assert fingerprint == new.migrations.plan(WF, 1, 2, {"ditunda": "telaah"}, COOP).sha256
    new.db.dispose()
    assert services.list_cases(COOP)[0].number != "MIG/2026/0001"  # a dry run starts nothing

    proposed = run(*base, "--map", "ditunda=telaah", "--as", "rina", env=env)
    assert proposed.returncode == 0, proposed.stdout + proposed.stderr
    assert "Usulan pemindahan MIG/2026/0001 diajukan" in proposed.stdout
    assert "tatakelola case act MIG/2026/0001 setujui" in proposed.stdout
    view = services.show("MIG/2026/0001", None)
    assert view.summary.state == "keputusan_pengurus"
    assert dict((name, value) for name, _, value in view.fields)["rencana_sha256"] == fingerprint


def test_wrong_arguments_are_named_without_a_traceback(services: Services, tmp_path: Path) -> None:
    env = {"TATAKELOLA_DB": services.settings.db_url, "TATAKELOLA_KEY": str(services.settings.resolved_key_path),
           "TATAKELOLA_WORKFLOWS": str(folder(tmp_path, "v2", V2))}
    unknown = run("workflows", "migrate", "tidak_ada", "--from", "1", "--to", "2", "--coop", COOP, "--dry-run", env=env)
    no_traceback(unknown)
    assert unknown.returncode == 3 and "Prosedur 'tidak_ada' tidak dikenal" in unknown.stderr
    bad_map = run("workflows", "migrate", WF, "--from", "1", "--to", "2", "--coop", COOP, "--map", "ditunda",
                  "--dry-run", env=env)
    no_traceback(bad_map)
    assert bad_map.returncode == 1 and "status_lama=status_baru" in bad_map.stderr
    no_user = run("workflows", "migrate", WF, "--from", "1", "--to", "2", "--coop", COOP, env=env)
    assert no_user.returncode == 2 and "--as" in no_user.stderr
