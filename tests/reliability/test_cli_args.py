"""Whatever is typed on the command line, ``tatakelola`` answers with a named error and changes nothing.

Random text, numbers and non-UTF-8 bytes go into ``--set``, ``--as``, ``--coop``, ``--comment``,
``--attach`` and case numbers through the real entry point (``engine.cli.main``, in process for
speed, and a few real subprocesses with raw bytes in argv). No answer is exit 70; after every
refusal the row counts are unchanged, and the trail verifies at the end.
"""

from __future__ import annotations

import gc
import io
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, text

from engine.adapters.store.db import normalise_url
from engine.errors import EXIT_UNEXPECTED
from engine.services import Services
from tests.helpers import COOP, submitted_kas
from tests.reliability.conftest import scale

ROOT = Path(__file__).resolve().parents[2]
#: Every table a refused command could have written to.
TABLES = ("cases", "audit_entries", "case_events", "data_revisions", "attachments", "votes", "checkpoints",
          "cooperatives", "people", "role_assignments", "definitions")
#: Exit codes of named errors: ok, invalid input, usage, not found, not allowed, already decided.
NAMED = {0, 1, 2, 3, 4, 5}


_RUNS = [0]


@dataclass(frozen=True)
class Outcome:
    """What one run of the command did."""

    code: int
    out: str
    err: str


@dataclass(frozen=True)
class Installation:
    """The database and key a command line names."""

    db_url: str
    key: Path

    @property
    def options(self) -> list[str]:
        return ["--db", self.db_url, "--key", str(self.key)]

    def run(self, *args: str) -> Outcome:
        """``tatakelola ARGS`` in this process, through the console entry point (exit code, stdout, stderr)."""
        from engine.cli import main

        saved = sys.argv
        sys.argv = ["tatakelola", *self.options, *args]
        out, err = io.StringIO(), io.StringIO()
        code = 0
        try:
            with redirect_stdout(out), redirect_stderr(err):
                main()
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        finally:
            sys.argv = saved
            _RUNS[0] += 1
            if _RUNS[0] % 8 == 0:  # earlier runs' database engines and connections go now (a full collection is slow)
                gc.collect()
        return Outcome(code, out.getvalue(), err.getvalue())

    def spawn(self, *args: str | bytes) -> Outcome:
        """``tatakelola ARGS`` as a real process; ``bytes`` arguments reach argv as they are (not UTF-8)."""
        env = {**os.environ, "COLUMNS": "200"}
        env.pop("TATAKELOLA_DEBUG", None)
        result = subprocess.run([sys.executable, "-m", "engine", *self.options, *args], capture_output=True,
                                env=env, cwd=ROOT, timeout=120)
        return Outcome(result.returncode, result.stdout.decode("utf-8", "replace"),
                       result.stderr.decode("utf-8", "replace"))

    def counts(self) -> dict[str, int]:
        """Rows per table, read behind the engine's back."""
        db_engine = create_engine(normalise_url(self.db_url))
        try:
            with db_engine.connect() as conn:
                return {t: int(conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()) for t in TABLES}
        finally:
            db_engine.dispose()


@pytest.fixture
def installation(services: Services, monkeypatch: pytest.MonkeyPatch) -> Iterator[Installation]:
    """The demo cooperative, initialised and imported, as the command line sees it."""
    monkeypatch.delenv("TATAKELOLA_DEBUG", raising=False)
    monkeypatch.delenv("TATAKELOLA_DB", raising=False)
    monkeypatch.setenv("COLUMNS", "200")
    yield Installation(services.settings.db_url, services.settings.resolved_key_path)


def refused_cleanly(inst: Installation, outcome: Outcome, before: dict[str, int]) -> None:
    """A named error, a message, no traceback, and nothing written."""
    assert outcome.code != EXIT_UNEXPECTED, outcome.err
    assert outcome.code in NAMED - {0}, (outcome.code, outcome.err)
    assert "Traceback" not in outcome.err + outcome.out
    assert "tak terduga" not in outcome.err
    assert inst.counts() == before


def trail_verifies(inst: Installation) -> None:
    result = inst.run("audit", "verify")
    assert result.code == 0, result.out + result.err


# -- what people type ------------------------------------------------------------------------

KAS_FIELDS = ["keperluan", "jumlah", "pos_rapb", "penerima", "nota", "tidak_ada", "", " jumlah "]
#: Text as it arrives from a keyboard, a paste or a script: every plane, control characters included.
typed = st.text(st.characters(blacklist_categories=["Cs"]), max_size=60)
#: Numbers as people (and scripts) write them: huge, negative, with Arabic-Indic or full-width digits.
numbers = st.one_of(
    st.integers(min_value=-(10**40), max_value=10**40).map(str),
    st.sampled_from(["٣٠٠", "３００", "1_000", "1e6", "0x10", "9" * 5000, str(2**53), str(2**53 - 1), "-0",
                     "Rp 1.250.000", "1.250.000,00", "²", "१२३"]),
)
#: Bytes that are not UTF-8, as Linux hands them to Python (PEP 383 surrogate escapes).
not_utf8 = st.binary(min_size=1, max_size=12).filter(lambda b: b"\x00" not in b and not _is_utf8(b)).map(os.fsdecode)


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


HYPOTHESIS = settings(max_examples=scale(12, 500), deadline=None, derandomize=True,
                      suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@HYPOTHESIS
@given(field=st.sampled_from(KAS_FIELDS), value=st.one_of(typed, numbers), comment=st.none() | typed,
       as_user=st.sampled_from(["fajar", "FAJAR", "", "tidak-ada"]) | typed)
def test_starting_a_case_with_any_typed_value_is_a_named_answer(installation: Installation, field: str, value: str,
                                                                 comment: str | None, as_user: str) -> None:
    before = installation.counts()
    args = ["case", "start", "pengeluaran_kas", "--coop", COOP, "--as", as_user,
            "--set", f"{field}={value}", "--set", "keperluan=Beli kertas", "--set", "penerima=Toko Maju",
            "--set", "pos_rapb=1"]
    if field != "jumlah":
        args += ["--set", "jumlah=25.000"]
    if comment is not None:
        args += ["--comment", comment]
    outcome = installation.run(*args)
    if outcome.code == 0:  # a value that is valid after all: exactly one case, and it reads back
        after = installation.counts()
        assert after["cases"] == before["cases"] + 1 and after["audit_entries"] == before["audit_entries"] + 1
        number = outcome.out.strip()
        assert installation.run("case", "show", number, "--as", "fajar").code == 0
    else:
        refused_cleanly(installation, outcome, before)


@pytest.fixture
def waiting_kas(services: Services, tmp_path: Path) -> str:
    """A pengeluaran kas case waiting for the bendahara (sri)."""
    from tests.helpers import tiny_png

    nota = tmp_path / "nota.png"
    nota.write_bytes(tiny_png())
    return submitted_kas(services, 150_000, nota)


@HYPOTHESIS
@given(case=st.none() | st.sampled_from(["", "kas/2026/0001", "KAS/2026/9999999999999999999999", "%", "_"])
       | typed, action=st.sampled_from(["verifikasi", "setujui", "tolak", "", "ajukan"]) | typed,
       field=st.sampled_from(KAS_FIELDS), value=st.one_of(typed, numbers), attach=st.sampled_from(
           ["", "tidak_ada=x.pdf", "nota=/tidak/ada.pdf", "keperluan=x.pdf", "=", "x" * 300 + ".pdf"]))
def test_acting_with_any_typed_argument_is_a_named_answer(installation: Installation, waiting_kas: str,
                                                          case: str | None, action: str, field: str, value: str,
                                                          attach: str) -> None:
    before = installation.counts()
    args = ["case", "act", waiting_kas if case is None else case, action, "--as", "sri", "--set", f"{field}={value}"]
    if attach:
        args += ["--attach", attach]
    outcome = installation.run(*args)
    assert outcome.code != EXIT_UNEXPECTED, outcome.err
    assert outcome.code in NAMED, outcome.err
    if outcome.code != 0:
        refused_cleanly(installation, outcome, before)


@HYPOTHESIS
@given(coop=typed | st.sampled_from(["", COOP, COOP.upper(), "%", "x" * 5000]), as_user=typed)
def test_reading_with_any_cooperative_or_person_is_a_named_answer(installation: Installation, coop: str,
                                                                  as_user: str) -> None:
    """Lists, the inbox, a case page and the member register on a date, for any code, name or date text."""
    before = installation.counts()
    for args in (["case", "list", "--coop", coop], ["tasks", "--as", as_user, "--coop", coop],
                 ["case", "show", "KAS/2026/0001", "--as", as_user, "--coop", coop],
                 ["anggota", "daftar", "--coop", COOP, "--tanggal", as_user]):
        outcome = installation.run(*args)
        assert outcome.code in NAMED, (args, outcome.err)
        assert "Traceback" not in outcome.err
        assert "\x1b" not in outcome.out + outcome.err
    assert installation.counts() == before


@settings(HYPOTHESIS, max_examples=scale(8, 200))
@given(where=st.sampled_from(["--set", "--as", "--coop", "--comment", "case"]), junk=not_utf8)
def test_bytes_that_are_not_utf8_are_a_usage_error_naming_the_option(installation: Installation, where: str,
                                                                     junk: str) -> None:
    before = installation.counts()
    args = {"--set": ["--set", f"keperluan={junk}"], "--as": ["--as", junk], "--coop": ["--coop", junk],
            "--comment": ["--comment", junk], "case": []}[where]
    number = junk if where == "case" else "KAS/2026/0001"
    base = ["--as", "sri"] if where != "--as" else []
    outcome = installation.run("case", "act", number, "verifikasi", *base, *args)
    assert outcome.code == 2, outcome.err
    assert "bukan UTF-8" in outcome.err
    assert (f"nilai {where}" if where != "case" else "argumen ke-") in outcome.err
    refused_cleanly(installation, outcome, before)


def test_a_session_of_refusals_leaves_a_trail_that_verifies(installation: Installation, waiting_kas: str,
                                                            tmp_path: Path) -> None:
    number = waiting_kas
    nota = tmp_path / "nota.png"
    before = installation.counts()
    for args in (["--set", "jumlah=٣٠٠"], ["--set", "jumlah=" + "9" * 5000], ["--attach", f"tidak_ada={nota}"],
                 ["--comment", "baik\x1b]0;judul\x07"], ["--set", "tidak_ada=1"], ["--check", "\x7f"]):
        refused_cleanly(installation, installation.run("case", "act", number, "verifikasi", "--as", "sri", *args),
                        before)
    trail_verifies(installation)


# -- real processes: what a shell really passes --------------------------------------------------

REAL_ARGV = [
    [b"case", b"start", b"pengeluaran_kas", b"--coop", b"kkmp-sentanan", b"--as", b"fajar", b"--set", b"keperluan=\xff"],
    [b"case", b"act", b"KAS/2026/0001", b"verifikasi", b"--as", b"sr\xe9"],
    [b"case", b"list", b"--coop", b"kkmp-\xc3"],
    [b"case", b"act", b"KAS/2026/0001", b"verifikasi", b"--as", b"sri", b"--comment", b"\xfe\xff ok"],
    [b"case", b"show", b"KAS/\x80/0001"],
]


def test_a_real_process_refuses_bytes_that_are_not_utf8(installation: Installation) -> None:
    """``--set``, ``--as``, ``--coop``, ``--comment`` and a case number, as raw bytes in argv."""
    before = installation.counts()
    for argv in REAL_ARGV:
        outcome = installation.spawn(*argv)
        assert outcome.code == 2, (argv, outcome.err)
        assert "bukan UTF-8" in outcome.err and "Traceback" not in outcome.err
    assert installation.counts() == before
