"""Workflow YAML from a careless editor or a hostile file: a located Indonesian error, never a crash or a hang.

Safe tags only, bounded nesting, alias expansion and numbers, non-UTF-8 bytes located by line and
column; then property-based fuzzing of the loader and the lint with mutated shipped procedures.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from engine.domain.definitions import compile_guard, guard_names, lint_definition, load_definition
from engine.domain.definitions.bounds import MAX_YAML_DEPTH
from engine.domain.definitions.registry import data_dir
from engine.errors import DefinitionError, GuardError
from tests.reliability.conftest import scale
from tests.reliability.yaml_mutations import mutated_yaml, time_bound

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = sorted(data_dir("workflows").glob("*.yaml"))
KAS = data_dir("workflows") / "pengeluaran_kas.yaml"
KAS_TEXT = KAS.read_text(encoding="utf-8")


def run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200"}
    env.pop("TATAKELOLA_DEBUG", None)
    return subprocess.run([sys.executable, "-m", "engine", *args], capture_output=True, text=True, env=env,
                          cwd=ROOT, timeout=60)


def kas_with(old: str, new: str) -> str:
    assert old in KAS_TEXT
    return KAS_TEXT.replace(old, new, 1)


def line_of(text: str, needle: str) -> int:
    return text[:text.index(needle)].count("\n") + 1


def refusal(tmp_path: Path, content: str | bytes, name: str = "prosedur.yaml") -> DefinitionError:
    path = tmp_path / name
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    with time_bound(10, "memuat berkas"), pytest.raises(DefinitionError) as info:
        load_definition(path)
    for problem in info.value.problems:
        assert problem.file == str(path) and problem.line >= 1 and problem.col >= 1
    return info.value


NESTED_500 = "[" * 500 + "]" * 500
NESTED_50K = "[" * 50_000 + "]" * 50_000
BOMB = "".join(['bom0: &b0 ["ha", "ha", "ha", "ha", "ha", "ha", "ha", "ha", "ha"]\n']
               + [f"bom{i}: &b{i} [{', '.join([f'*b{i - 1}'] * 9)}]\n" for i in range(1, 10)])


@pytest.mark.parametrize(("old", "new", "needle", "expected"), [
    ("title: ", "title: !rahasia ", "title: ", "tag tidak dikenal: !rahasia"),
    ("title: ", "title: !!python/object/apply:os.system ", "title: ", "tag tidak dikenal: !!python/object/apply"),
    ("version: 1", "version: !!binary aGFsbw==", "version: ", "tag tidak dikenal: !!binary"),
    ("version: 1", "version: !!int satu", "version: ", "'satu' bukan bilangan bulat"),
    ("version: 1", "version: 123456789012345678901234567890", "version: ", "di luar batas"),
    ("version: 1", "version: " + "9" * 5000, "version: ", "angka terlalu panjang"),
    ("version: 1", "version: 0x_", "version: ", "'0x_' bukan bilangan bulat"),
    ("tanggal_pembuatan: 2025-", "tanggal_pembuatan: 2025-13-45 #", "2025-13-45", "bukan tanggal"),
    ("version: 1", "version: " + NESTED_500, "version: ", f"lebih dari {MAX_YAML_DEPTH} tingkat"),
    ("version: 1", "version: " + NESTED_50K, "version: ", f"lebih dari {MAX_YAML_DEPTH} tingkat"),
    ("version: 1", "version: 1\n" + BOMB, "bom5", "setelah alias dijabarkan"),
    ("version: 1", "version: *tidak_ada", "version: ", "alias '*tidak_ada'"),
    ("# yaml-language-server", "%YAML 1.1\n---\n# yaml-language-server", "%YAML", "hanya YAML 1.2"),
    ("version: 1", "version: 1\n---\nid: lain", "---", "satu dokumen YAML"),
])
def test_unsafe_yaml_is_refused_at_its_line(tmp_path: Path, old: str, new: str, needle: str, expected: str) -> None:
    text = kas_with(old, new)
    error = refusal(tmp_path, text)
    assert expected in error.message
    assert error.problems[0].line == line_of(text, needle)


def test_a_when_with_thousands_of_ands_is_refused_by_the_loader_and_the_guard_compiler(tmp_path: Path) -> None:
    guard = " and ".join(["jumlah > 0"] * 3000)
    text = kas_with('when: "jumlah <= settings.batas_manajer"', f'when: "{guard}"')
    error = refusal(tmp_path, text)
    assert "syarat terlalu panjang" in error.message
    assert error.problems[0].line == line_of(text, "when: \"jumlah > 0")
    for expression in (guard, "(" * 40 + "jumlah" + ")" * 40, " and ".join(["x"] * 100)):
        with pytest.raises(GuardError):
            guard_names(expression)
        with pytest.raises(GuardError):
            compile_guard(expression)


@pytest.mark.parametrize("expression", ["jumlah ** jumlah > 0", "'x' * jumlah == ''", "[0] * jumlah == []"])
def test_a_guard_that_would_compute_for_hours_is_an_error_at_once(expression: str) -> None:
    assert guard_names(expression).fields == {"jumlah"}
    with time_bound(5, "menghitung syarat"), pytest.raises(GuardError, match="terlalu besar"):
        compile_guard(expression)({"jumlah": 10**12})
    assert compile_guard("jumlah ** 2 > 3")({"jumlah": 2}) is True


@pytest.mark.parametrize("bad", [b"\xff", b"\xc3(", b"\xed\xa0\x80"])
def test_bytes_that_are_not_utf8_are_located_by_line_and_column(tmp_path: Path, bad: bytes) -> None:
    lines = KAS_TEXT.encode().splitlines(keepends=True)
    lines[99] = b"# catatan: caf\xc3\xa9 " + bad + b"\n"
    error = refusal(tmp_path, b"".join(lines))
    problem = error.problems[0]
    assert (problem.line, problem.col) == (100, len("# catatan: café ") + 1)
    assert "bukan UTF-8" in problem.message


def test_control_characters_are_located(tmp_path: Path) -> None:
    text = kas_with("title: ", "title: \x1b[31m")
    error = refusal(tmp_path, text)
    assert error.problems[0].line == line_of(text, "title: ")
    assert "U+001B" in error.message


def test_a_file_with_an_unknown_tag_is_a_definition_error_for_every_command(tmp_path: Path) -> None:
    folder = tmp_path / "prosedur"
    folder.mkdir()
    (folder / "kas.yaml").write_text(kas_with("title: ", "title: !rahasia "), encoding="utf-8")
    line = line_of(KAS_TEXT, "title: ")
    check = run("workflows", "check", str(folder))
    assert check.returncode == 1, check.stdout + check.stderr
    assert f"kas.yaml:{line}:8: tag tidak dikenal: !rahasia" in check.stdout
    listing = run("--workflows", str(folder), "workflows", "list")
    assert listing.returncode == 1, listing.stderr
    assert "Prosedur tidak dapat dimuat" in listing.stderr and "tag tidak dikenal" in listing.stderr
    assert "Traceback" not in listing.stderr + check.stderr


def test_fifty_thousand_levels_and_an_alias_bomb_end_quickly_with_a_message(tmp_path: Path) -> None:
    folder = tmp_path / "prosedur"
    folder.mkdir()
    (folder / "dalam.yaml").write_text(kas_with("version: 1", "version: " + NESTED_50K), encoding="utf-8")
    (folder / "bom.yaml").write_text(kas_with("version: 1", "version: 1\n" + BOMB), encoding="utf-8")
    result = run("workflows", "check", str(folder))
    assert result.returncode == 1, (result.returncode, result.stderr)  # not a segfault (negative), not 70
    assert "dalam.yaml:3:" in result.stdout and "tingkat" in result.stdout
    assert "bom.yaml:" in result.stdout and "alias" in result.stdout


def test_line_100_prints_as_written_not_as_an_emoji(tmp_path: Path) -> None:
    folder = tmp_path / "prosedur"
    folder.mkdir()
    lines = KAS_TEXT.encode().splitlines(keepends=True)
    lines[99] = b"# x \xff\n"
    (folder / "kas.yaml").write_bytes(b"".join(lines))
    result = run("workflows", "check", str(folder))
    assert result.returncode == 1
    assert "kas.yaml:100:5: bukan UTF-8" in result.stdout
    assert "\U0001f4af" not in result.stdout + result.stderr


@settings(max_examples=scale(150, 5000), deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=mutated_yaml(SHIPPED))
def test_fuzzed_procedures_load_or_are_refused_with_a_location_never_a_crash(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.yaml"
        path.write_bytes(data)
        lines = data.count(b"\n") + 1
        with time_bound(10, "memuat dan memeriksa berkas"):
            try:
                loaded = load_definition(path)
            except DefinitionError as exc:  # anything else (a crash, a TimeoutError) fails the test
                assert exc.problems
                for problem in exc.problems:
                    assert problem.file == str(path) and 1 <= problem.line <= lines + 1 and problem.col >= 1
                return
            for problem in lint_definition(loaded):
                assert problem.line >= 1 and problem.col >= 1
