"""`workflows check` catches the definition faults that used to pass: traps, one seat verifying and
approving, deadlines beyond any horizon, an empty guard; and it says so when there is nothing to check."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from engine.adapters.store.models import Case
from engine.domain.definitions import lint_definition, load_definition_text
from engine.domain.definitions.bounds import MAX_DEADLINE
from engine.domain.definitions.registry import data_dir
from engine.errors import DefinitionError
from engine.services import Services

ROOT = Path(__file__).resolve().parents[2]
KAS_TEXT = (data_dir("workflows") / "pengeluaran_kas.yaml").read_text(encoding="utf-8")

BASE = """\
id: contoh
version: 1
title: Prosedur contoh
category: keuangan
number_prefix: CTH
sop:
  nomor: SOP-CTH-01
  tanggal_pembuatan: 2025-01-01
  tanggal_efektif: 2025-02-01
  disahkan_oleh: ketua
  dasar_hukum: [AD/ART]
  kualifikasi_pelaksana: [Memahami AD/ART]
  peralatan: [Formulir]
  peringatan: Tidak ada
  pencatatan: [Buku kas]
roles: [bendahara, ketua, pengawas]
fields:
  jumlah: {type: money, label: Jumlah, required: true}
"""
CLEAN = BASE + """\
states:
  draf: {title: Draf}
  diperiksa: {title: Diperiksa bendahara}
  menunggu: {title: Menunggu ketua}
  selesai: {title: Selesai, final: true}
actions:
  - {id: ajukan, kind: submit, from: draf, to: diperiksa, roles: [bendahara], requires: [jumlah]}
  - {id: verifikasi, kind: verify, from: diperiksa, to: menunggu, roles: [pengawas]}
  - {id: setujui, kind: approve, from: menunggu, to: selesai, roles: [ketua]}
  - {id: tolak, kind: reject, from: menunggu, to: selesai, roles: [ketua]}
"""
TRAP = BASE + """\
states:
  draf: {title: Draf}
  menunggu: {title: Menunggu ketua}
  diperiksa: {title: Diperiksa pengawas}
  selesai: {title: Selesai, final: true}
actions:
  - {id: ajukan, kind: submit, from: draf, to: menunggu, roles: [bendahara], requires: [jumlah]}
  - {id: batal, kind: cancel, from: draf, to: selesai, roles: [bendahara]}
  - {id: periksa, kind: verify, from: menunggu, to: diperiksa, roles: [pengawas]}
  - {id: kembalikan, kind: return, from: diperiksa, to: menunggu, roles: [ketua]}
"""


def run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200"}
    env.pop("TATAKELOLA_DEBUG", None)
    return subprocess.run([sys.executable, "-m", "engine", *args], capture_output=True, text=True, env=env,
                          cwd=ROOT, timeout=120)


def line_of(text: str, needle: str) -> int:
    return text[:text.index(needle)].count("\n") + 1


def findings(text: str) -> list[str]:
    return [f"{p.line}: {p.message}" for p in lint_definition(load_definition_text(text, "w.yaml"))]


def test_the_clean_example_is_clean() -> None:
    assert findings(CLEAN) == []


def test_a_trap_cycle_with_no_way_to_a_final_state_is_found_at_each_state() -> None:
    found = findings(TRAP)
    for state in ("menunggu", "diperiksa"):
        line = line_of(TRAP, f"  {state}: ")
        assert any(f.startswith(f"{line}: status '{state}' adalah perangkap") for f in found), found
    assert not any("'draf' adalah perangkap" in f for f in found)


def test_approval_by_the_single_seat_that_verified_is_a_segregation_fault() -> None:
    text = CLEAN.replace("roles: [pengawas]}", "roles: [ketua]}")
    found = findings(text)
    line = line_of(text, "{id: setujui")
    assert any(f.startswith(f"{line}: aksi 'setujui': hanya Ketua") and "verifikasi" in f and "pemisahan tugas" in f
               for f in found), found


def test_a_role_with_several_seats_may_verify_and_approve() -> None:
    text = CLEAN.replace("roles: [pengawas]}", "roles: [pengawas]}").replace(
        "{id: setujui, kind: approve, from: menunggu, to: selesai, roles: [ketua]}",
        "{id: setujui, kind: approve, from: menunggu, to: selesai, roles: [pengawas]}")
    assert not any("pemisahan tugas" in f for f in findings(text))


@pytest.mark.parametrize("guard", ['""', '"   "'])
def test_an_empty_guard_is_found_on_its_line(guard: str) -> None:
    text = CLEAN.replace("roles: [ketua]}\n  - {id: tolak", f"roles: [ketua], when: {guard}}}\n  - {{id: tolak")
    found = findings(text)
    line = line_of(text, "when: ")
    assert any(f.startswith(f"{line}: aksi 'setujui': syarat (when) kosong") for f in found), found


@pytest.mark.parametrize(("deadline", "ok"), [
    ("{amount: 1000000000, unit: hari}", False),
    ("{amount: 3651, unit: hari}", False),
    ("{amount: 3650, unit: hari}", True),
    (f"{{amount: {MAX_DEADLINE['jam'] + 1}, unit: jam}}", False),
    (f"{{amount: {MAX_DEADLINE['hari kerja']}, unit: hari kerja}}", True),
    (f"{{amount: {MAX_DEADLINE['hari kerja'] + 1}, unit: hari kerja}}", False),
    ("{amount: 0, unit: hari}", False),
    ("999 hari", True),
])
def test_a_deadline_beyond_ten_years_is_refused_when_loading(deadline: str, ok: bool) -> None:
    text = CLEAN.replace("  menunggu: {title: Menunggu ketua}", f"  menunggu: {{title: Menunggu ketua, deadline: {deadline}}}")
    if ok:
        assert findings(text) == []
        return
    with pytest.raises(DefinitionError) as info:
        load_definition_text(text, "w.yaml")
    assert info.value.problems[0].line == line_of(text, "  menunggu: ")
    assert "tenggat" in info.value.message or "≥ 1" in info.value.message


def test_workflows_check_reports_every_fault_with_its_line_and_exits_1(tmp_path: Path) -> None:
    folder = tmp_path / "prosedur"
    folder.mkdir()
    files = {
        "perangkap.yaml": (TRAP, "  menunggu: ", "perangkap"),
        "kursi.yaml": (CLEAN.replace("roles: [pengawas]}", "roles: [ketua]}").replace("id: contoh", "id: kursi")
                       .replace("CTH", "KRS"), "{id: setujui", "pemisahan tugas"),
        "tenggat.yaml": (KAS_TEXT.replace("deadline: 1 hari kerja", "deadline: {amount: 1000000000, unit: hari}"),
                         "deadline: {amount", "tenggat terlalu lama"),
        "syarat.yaml": (KAS_TEXT.replace('when: "jumlah <= settings.batas_manajer"', 'when: ""')
                        .replace("id: pengeluaran_kas", "id: kas_kosong").replace("number_prefix: KAS", "number_prefix: KSG")
                        .replace("nomor: SOP-KEU-03", "nomor: SOP-KEU-99"), 'when: ""', "syarat (when) kosong"),
    }
    for name, (text, _, _) in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    result = run("workflows", "check", str(folder))
    assert result.returncode == 1, result.stdout + result.stderr
    for name, (text, needle, message) in files.items():
        line = line_of(text, needle)
        assert any(row.startswith(f"{folder / name}:{line}:") and message in row
                   for row in result.stdout.splitlines()), (name, result.stdout)


def test_workflows_check_on_a_folder_without_procedures_is_not_clean(tmp_path: Path) -> None:
    (tmp_path / "catatan.txt").write_text("bukan prosedur", encoding="utf-8")
    result = run("workflows", "check", str(tmp_path))
    assert result.returncode != 0
    assert f"Tidak ada definisi prosedur di folder {tmp_path}" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_case_cannot_start_on_a_procedure_with_an_unbounded_deadline(tmp_path: Path, services: Services) -> None:
    folder = tmp_path / "prosedur"
    folder.mkdir()
    text = KAS_TEXT.replace("deadline: 1 hari kerja", "deadline: {amount: 1000000000, unit: hari}")
    (folder / "pengeluaran_kas.yaml").write_text(text, encoding="utf-8")
    settings = services.context.settings
    started = run("--db", settings.db_url, "--key", str(settings.resolved_key_path), "--workflows", str(folder),
                  "case", "start", "pengeluaran_kas", "--coop", "kkmp-sentanan", "--as", "fajar",
                  "--set", "keperluan=Beli galon", "--set", "jumlah=45000")
    assert started.returncode == 1, started.stdout + started.stderr
    assert f"pengeluaran_kas.yaml:{line_of(text, 'deadline: {amount')}:" in started.stderr
    assert "tenggat terlalu lama" in started.stderr
    with services.db.db_engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Case)) == 0
