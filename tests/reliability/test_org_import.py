"""The organisation importer: duplicates refused with their lines, never two ketua at once across imports,
no hang on an alias bomb, and nothing half-written when a file is refused (fuzzed on SQLite and PostgreSQL)."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from engine.adapters.store.models import Base, Person, RoleAssignment
from engine.demo import DEMO_CITY, DEMO_MEMBERS, DEMO_ORG
from engine.errors import DefinitionError, TatakelolaError
from engine.services import Services
from tests.reliability.conftest import scale
from tests.reliability.yaml_mutations import mutated_yaml, time_bound

ROOT = Path(__file__).resolve().parents[2]

SECOND_KETUA = """\
people:
  - {username: dewi, name: Dewi Kartika}
cooperatives:
  - slug: kkmp-sentanan
    name: Koperasi Kelurahan Merah Putih Sentanan
    roles:
      - {person: dewi, role: ketua, start: 2026-01-01}
"""
HANDOVER = """\
people:
  - {username: bambang, name: Bambang Sutrisno}
  - {username: dewi, name: Dewi Kartika}
cooperatives:
  - slug: kkmp-sentanan
    name: Koperasi Kelurahan Merah Putih Sentanan
    roles:
      - {person: bambang, role: ketua, start: 2025-07-01, end: 2025-12-31, note: Mengundurkan diri}
      - {person: dewi, role: ketua, start: 2026-01-01}
"""


def counts(services: Services) -> dict[str, int]:
    """Rows per table: what a refused import must leave exactly as it was."""
    with services.db.db_engine.connect() as conn:
        return {t.name: int(conn.scalar(select(func.count()).select_from(t)) or 0) for t in Base.metadata.sorted_tables}


def refused(services: Services, tmp_path: Path, text: str | bytes) -> DefinitionError:
    path = tmp_path / "organisasi.yaml"
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    before = counts(services)
    with time_bound(10, "impor organisasi"), pytest.raises(DefinitionError) as info:
        services.import_org(path)
    assert counts(services) == before
    assert all(p.file == str(path) and p.line >= 1 and p.col >= 1 for p in info.value.problems)
    return info.value


def line_of(text: str, needle: str, nth: int = 1) -> int:
    at = -1
    for _ in range(nth):
        at = text.index(needle, at + 1)
    return text[:at].count("\n") + 1


def test_a_second_file_cannot_seat_a_second_ketua(services: Services, tmp_path: Path) -> None:
    error = refused(services, tmp_path, SECOND_KETUA)
    [problem] = error.problems
    assert problem.line == line_of(SECOND_KETUA, "{person: dewi, role: ketua")
    assert "Ketua" in problem.message and "hanya 1 kursi" in problem.message
    assert "dewi (sejak 2026-01-01, tanpa tanggal akhir)" in problem.message
    assert "bambang (2025-07-01 s.d. 2030-06-30)" in problem.message


def test_a_handover_that_ends_the_old_term_first_is_imported(services: Services, tmp_path: Path) -> None:
    path = tmp_path / "serah_terima.yaml"
    path.write_text(HANDOVER, encoding="utf-8")
    summary = services.import_org(path)
    assert (summary.terms_added, summary.terms_updated) == (1, 1)
    with services.db.db_engine.connect() as conn:
        rows = conn.execute(select(RoleAssignment.starts_on, RoleAssignment.ends_on)
                            .where(RoleAssignment.role == "ketua").order_by(RoleAssignment.starts_on)).all()
    assert [(str(a), str(b)) for a, b in rows] == [("2025-07-01", "2025-12-31"), ("2026-01-01", "None")]
    assert services.import_org(path).terms_added == 0  # idempotent
    demo_again = refused(services, tmp_path, DEMO_ORG.read_text(encoding="utf-8"))  # would reopen bambang's term
    assert "dewi (sejak 2026-01-01" in demo_again.message


def test_duplicate_usernames_terms_and_cooperatives_are_refused_with_both_lines(services: Services,
                                                                                tmp_path: Path) -> None:
    text = """\
people:
  - {username: dewi, name: Dewi Kartika}
  - {username: dewi, name: Dewi Lain}
cooperatives:
  - slug: kkmp-baru
    name: Koperasi Baru
    roles:
      - {person: dewi, role: sekretaris, start: 2026-01-01}
      - {person: dewi, role: sekretaris, start: 2026-01-01, end: 2027-01-01}
  - slug: kkmp-baru
    name: Koperasi Baru Lagi
"""
    messages = {p.line: p.message for p in refused(services, tmp_path, text).problems}
    assert messages[3] == "nama pengguna 'dewi' ganda (sudah ada di baris 2)"
    assert messages[9] == "masa jabatan ganda: dewi sebagai Sekretaris mulai 2026-01-01 (sudah ada di baris 8)"
    assert messages[10] == "koperasi 'kkmp-baru' ganda (sudah ada di baris 5)"


def test_an_alias_bomb_is_refused_at_once(services: Services, tmp_path: Path) -> None:
    bomb = ['people:', '  - {username: dewi, name: &a ["xx", "xx", "xx", "xx", "xx", "xx", "xx", "xx", "xx"]}',
            'cooperatives: []', 'x:']
    prev = "a"
    for name in "bcdefghij":
        bomb.append(f"  {name}: &{name} [{', '.join([f'*{prev}'] * 9)}]")
        prev = name
    text = "\n".join(bomb) + "\n"
    error = refused(services, tmp_path, text)
    assert "setelah alias dijabarkan" in error.message and error.problems[0].line == line_of(text, "  f: ")


@pytest.mark.parametrize(("change", "expected"), [
    (("  - {username: bambang,", "  - {username: bambang, x: !rahasia 1,"), "tag tidak dikenal: !rahasia"),
    (("      batas_manajer: 500000", "      batas_manajer: 1000000000000000000000000000000"), "di luar batas"),
    (("      batas_manajer: 500000", "      batas_manajer: " + "[" * 600 + "]" * 600), "tingkat"),
    (("start: 2025-07-01, end: 2030-06-30}", "start: 2025-13-01, end: 2030-06-30}"), "bukan tanggal"),
])
def test_unsafe_yaml_in_an_organisation_file_is_located(services: Services, tmp_path: Path,
                                                         change: tuple[str, str], expected: str) -> None:
    text = DEMO_ORG.read_text(encoding="utf-8").replace(*change, 1)
    error = refused(services, tmp_path, text)
    assert expected in error.message
    assert error.problems[0].line == line_of(text, change[1])


def test_bytes_that_are_not_utf8_are_located(services: Services, tmp_path: Path) -> None:
    raw = DEMO_ORG.read_bytes().replace(b"name: Dwi Prasetyo", b"name: Dwi Pras\xe9tyo", 1)
    error = refused(services, tmp_path, raw)
    text = DEMO_ORG.read_text(encoding="utf-8")
    line = line_of(text, "name: Dwi Prasetyo")
    col = text.splitlines()[line - 1].index("Prasetyo") + len("Pras") + 1
    assert (error.problems[0].line, error.problems[0].col) == (line, col)
    assert "bukan UTF-8" in error.message


def test_the_cli_refuses_a_second_ketua_with_exit_1_and_saves_nothing(services: Services, tmp_path: Path) -> None:
    path = tmp_path / "kedua.yaml"
    path.write_text(SECOND_KETUA, encoding="utf-8")
    before = counts(services)
    settings_ = services.context.settings
    env = {**os.environ, "COLUMNS": "200"}
    env.pop("TATAKELOLA_DEBUG", None)
    result = subprocess.run([sys.executable, "-m", "engine", "--db", settings_.db_url, "--key",
                             str(settings_.resolved_key_path), "org", "import", str(path)],
                            capture_output=True, text=True, env=env, cwd=ROOT, timeout=60)
    assert result.returncode == 1, result.stderr
    assert f"kedua.yaml:{line_of(SECOND_KETUA, '{person: dewi')}:" in result.stderr
    assert "bambang (2025-07-01 s.d. 2030-06-30)" in result.stderr
    assert counts(services) == before


@settings(max_examples=scale(25, 500), deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(role=st.sampled_from(["ketua", "bendahara", "manajer", "pimpinan_rapat", "pengawas"]),
       start=st.dates(date(2024, 6, 1), date(2031, 12, 31)), days=st.one_of(st.none(), st.integers(0, 3000)))
def test_a_term_is_imported_exactly_when_no_other_holder_of_its_seat_overlaps_it(
        services: Services, role: str, start: date, days: int | None) -> None:
    end = None if days is None else start + timedelta(days=days)
    with services.db.db_engine.connect() as conn:
        stored = conn.execute(select(RoleAssignment.starts_on, RoleAssignment.ends_on)
                              .join(Person, Person.id == RoleAssignment.person_id)
                              .where(RoleAssignment.role == role, Person.username != "tamu")).all()
    single = role != "pengawas"
    clash = single and any(a <= (end or date.max) and start <= (b or date.max) for a, b in stored)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "tamu.yaml"
        path.write_text("people: [{username: tamu, name: Tamu Uji}]\ncooperatives:\n  - slug: kkmp-sentanan\n"
                        "    name: Koperasi Kelurahan Merah Putih Sentanan\n    roles:\n"
                        f"      - {{person: tamu, role: {role}, start: {start}{f', end: {end}' if end else ''}}}\n",
                        encoding="utf-8")
        before = counts(services)
        if clash:
            with pytest.raises(DefinitionError, match="hanya 1 kursi"):
                services.import_org(path)
            assert counts(services) == before
        else:
            services.import_org(path)  # no other holder on any of its days: the database takes it too


ORG_FILES = [DEMO_ORG, DEMO_CITY, DEMO_MEMBERS]


@settings(max_examples=scale(40, 1500), deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                 HealthCheck.function_scoped_fixture])
@given(data=mutated_yaml(ORG_FILES))
def test_fuzzed_organisation_files_import_or_are_refused_without_a_partial_write(services: Services,
                                                                                 data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "organisasi.yaml"
        path.write_bytes(data)
        before = counts(services)
        with time_bound(10, "impor organisasi"):
            try:
                services.import_org(path)
            except TatakelolaError as exc:  # a named error of the one tree; anything else fails the test
                assert counts(services) == before, f"tulisan separuh setelah {type(exc).__name__}: {exc}"
                if isinstance(exc, DefinitionError):
                    assert all(p.file == str(path) and p.line >= 1 and p.col >= 1 for p in exc.problems)
    assert all(report.ok for report in services.verify())
