"""Readers never block writers: SQLite used as a database server would be.

A read-only unit of work (``Database.reader``) begins deferred on its WAL snapshot: while one process
holds a long read (a held snapshot here; ``audit verify`` over thousands of entries in the long run),
other processes start cases, decide and list at once. Writers still take the write lock at the start.
A write inside a reader is refused on SQLite and on PostgreSQL alike, and leaves the pooled connection
fit for the next writer.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from engine.adapters.store.db import BUSY_TIMEOUT
from engine.errors import ReadOnlyStorageError
from engine.services import Services
from tests.conftest import ON_POSTGRES
from tests.helpers import COOP, KAS_DRAFT_CHECKS, KAS_VERIFY_CHECKS, start_kas, submitted_kas
from tests.reliability.conftest import scale
from tests.reliability.store_invariants import ROOT, cli, store_problems

#: Exit 0 is the proof: a command that needed a lock held by the other side would have waited the busy
#: timeout and then failed with exit 75 (before: a 30 s wait, then exit 70). The bound only guards
#: against a hang on a loaded machine.
AT_ONCE = 3 * BUSY_TIMEOUT


def env_of(services: Services) -> dict[str, str]:
    return {"TATAKELOLA_DB": services.settings.db_url, "TATAKELOLA_KEY": str(services.settings.resolved_key_path)}


def nota(tmp_path: Path, name: str) -> Path:
    path = tmp_path / name
    path.write_bytes(f"%PDF-1.4\n% {name}\n".encode())
    return path


def timed(*args: str, env: dict[str, str]) -> tuple[subprocess.CompletedProcess[str], float]:
    began = time.monotonic()
    result = cli(*args, env=env)
    return result, time.monotonic() - began


def test_writers_and_readers_answer_at_once_while_a_long_read_holds_its_snapshot(services: Services,
                                                                                 tmp_path: Path) -> None:
    number = submitted_kas(services, 250_000, nota(tmp_path, "a.pdf"))
    env = env_of(services)
    with services.db.reader() as held:  # the long read: a snapshot kept open the whole time
        seen = held.execute(text("SELECT count(*) FROM cases")).scalar_one()
        started, t_start = timed("case", "start", "pengeluaran_kas", "--coop", COOP, "--as", "fajar",
                                 "--set", "keperluan=ATK", "--set", "jumlah=120000", "--set",
                                 "pos_rapb=Alat tulis kantor", "--set", "penerima=Toko Maju",
                                 "--attach", f"nota={nota(tmp_path, 'b.pdf')}", env=env)
        assert started.returncode == 0, started.stderr
        decided, t_act = timed("case", "act", number, "verifikasi", "--as", "sri",
                               *[a for c in KAS_VERIFY_CHECKS for a in ("--check", c)], env=env)
        assert decided.returncode == 0, decided.stderr
        listed, t_list = timed("case", "list", env=env)
        assert listed.returncode == 0 and started.stdout.strip() in listed.stdout, listed.stderr
        assert max(t_start, t_act, t_list) < AT_ONCE, (t_start, t_act, t_list)
        # the reader still reads its own snapshot, untouched by what was committed meanwhile
        assert held.execute(text("SELECT count(*) FROM cases")).scalar_one() == seen
    assert not store_problems(services.settings.db_url)


@pytest.mark.skipif(ON_POSTGRES, reason="SQLite's write lock")
def test_readers_do_not_wait_for_a_writer_holding_the_lock(services: Services, tmp_path: Path) -> None:
    number = start_kas(services, 99_000, nota(tmp_path, "c.pdf"))
    env = env_of(services)
    path = services.db.sqlite_path
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sqlite3, sys\n"
        f"c = sqlite3.connect({str(path)!r}, isolation_level=None)\n"
        "c.execute('BEGIN IMMEDIATE'); print('held', flush=True); sys.stdin.readline()\n")],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        for args in (["case", "list"], ["case", "show", number, "--as", "fajar"], ["tasks", "--as", "fajar"],
                     ["audit", "findings", "--coop", COOP]):
            result, took = timed(*args, env=env)
            assert result.returncode in (0, 1), (args, result.stderr)  # findings may report and exit 1
            assert "sibuk" not in result.stderr and took < AT_ONCE, (args, took, result.stderr)
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=30)


def test_a_write_inside_a_reader_is_refused_and_the_connection_stays_fit(services: Services) -> None:
    with pytest.raises(ReadOnlyStorageError), services.db.reader() as session:
        session.execute(text("UPDATE cooperatives SET name = 'diubah'"))
    with services.db.reader() as session:
        assert "diubah" not in session.execute(text("SELECT name FROM cooperatives")).scalars().all()
    with services.db.session() as session:  # the pooled connection is a writer again
        session.execute(text("UPDATE cooperatives SET name = name || ''"))
    for _ in range(3):  # and readers after writers after readers, on the same pool
        with services.db.reader() as session:
            session.execute(text("SELECT 1"))
        with services.db.session() as session:
            session.execute(text("UPDATE cooperatives SET name = name"))


def _many_entries(services: Services, tmp_path: Path, cases: int) -> list[str]:
    pdf = nota(tmp_path, "banyak.pdf")
    numbers = []
    for _ in range(cases):
        number = start_kas(services, 50_000, pdf)
        services.act(number, "ajukan", "fajar", checks=KAS_DRAFT_CHECKS)
        numbers.append(number)
    return numbers


_VERIFY_LOOP = """
import subprocess, sys, threading
stop = threading.Event()
threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
runs = bad = 0
while not stop.is_set() or runs == 0:
    result = subprocess.run([sys.executable, "-m", "engine", "audit", "verify"], capture_output=True, text=True)
    runs += 1
    if result.returncode != 0 or "utuh" not in result.stdout:
        bad += 1
        print(result.stdout + result.stderr, file=sys.stderr)
    if runs == 1:
        print("berjalan", flush=True)
print(runs, bad)
"""


@pytest.mark.long
def test_audit_verify_running_all_along_blocks_nobody(services: Services, tmp_path: Path) -> None:
    """``audit verify`` over thousands of entries, again and again, while others decide and read: every
    decision answers, and every verification (each on its own snapshot, taken mid-stream) is clean."""
    numbers = _many_entries(services, tmp_path, scale(50, 2500))
    env = env_of(services)
    verifier = subprocess.Popen([sys.executable, "-c", _VERIFY_LOOP], cwd=ROOT, env={**os.environ, **env},
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert verifier.stdout is not None and verifier.stdout.readline().strip() == "berjalan"
        for number in numbers[:scale(3, 20)]:
            decided, took = timed("case", "act", number, "verifikasi", "--as", "sri",
                                  *[a for c in KAS_VERIFY_CHECKS for a in ("--check", c)], env=env)
            assert decided.returncode == 0 and took < AT_ONCE, (took, decided.stderr)
            shown, took = timed("case", "show", number, "--as", "sri", env=env)
            assert shown.returncode == 0 and took < AT_ONCE, (took, shown.stderr)
    finally:
        out, err = verifier.communicate(input="", timeout=600)
    runs, bad = (int(x) for x in out.split()[-2:])
    assert runs >= 2 and bad == 0, err
    assert not store_problems(services.settings.db_url)


@pytest.mark.long
def test_audit_verify_memory_does_not_grow_with_the_log(services: Services, tmp_path: Path) -> None:
    """Peak memory of ``audit verify`` at N and 4N entries: streamed, so nearly the same."""
    env = env_of(services)

    def peak() -> int:
        probe = ("import resource, subprocess, sys\n"
                 "subprocess.run([sys.executable, '-m', 'engine', 'audit', 'verify'], check=True,"
                 " stdout=subprocess.DEVNULL)\n"
                 "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n")
        result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT,
                                env={**os.environ, **env}, timeout=900)
        assert result.returncode == 0, result.stderr
        return int(result.stdout.strip())

    _many_entries(services, tmp_path, scale(100, 1000))
    small = peak()
    _many_entries(services, tmp_path, scale(300, 3000))
    large = peak()
    assert large < small * 1.5 + 20_000, (small, large)  # KiB
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss > 0
