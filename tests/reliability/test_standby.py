"""A synchronous PostgreSQL standby: the primary killed mid-load, the standby promoted, no acknowledged decision lost.

Two throwaway clusters of the test's own (``pg_cluster.sync_pair``): the primary commits only once ``standby1``
has flushed the WAL (``synchronous_standby_names``, ``synchronous_commit=on``). Several ``tatakelola`` clients
start and decide pengeluaran kas cases on the primary (the crash test's driver) and note every answer they were
given; mid-load the primary's processes are SIGKILLed. The standby is promoted, the clients turn to it and retry
what they were doing with the same request id. On the promoted standby every acknowledged decision is there at
the seq the client was told, the trail verifies, nothing is half done, and the work goes on.

Runs once, in the PostgreSQL pass of the suite (``TATAKELOLA_TEST_DB=postgresql://...``).
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from engine.adapters.store.db import normalise_url
from engine.demo import DEMO_ORG
from tests.conftest import ON_POSTGRES
from tests.reliability.pg_cluster import StandbyPair, sync_pair, unavailable_reason
from tests.reliability.store_invariants import cli, store_problems
from tests.reliability.test_crash import _ACKED, STEPS, _argv

#: Under CI (or when asked) the server binaries are there: a missing piece is a failure, not a skip.
REQUIRED = os.environ.get("CI") == "true" or os.environ.get("TATAKELOLA_REQUIRE_PG") == "1"
_BUSY = 75

pytestmark = pytest.mark.skipif(not ON_POSTGRES, reason="hanya pada putaran PostgreSQL (TATAKELOLA_TEST_DB)")


@pytest.fixture
def pair() -> Iterator[StandbyPair]:
    """A primary and its synchronous standby, torn down (stopped, folder removed) whatever the test did."""
    reason = unavailable_reason()
    if reason is not None:
        if REQUIRED:
            pytest.fail(f"klaster PostgreSQL uji tidak dapat dibuat: {reason}")
        pytest.skip(f"klaster PostgreSQL uji tidak dapat dibuat: {reason}")
    with ExitStack() as stack:
        try:
            made = stack.enter_context(sync_pair("tatakelola"))
        except (RuntimeError, OSError, subprocess.TimeoutExpired) as exc:
            if REQUIRED:
                raise
            pytest.skip(f"klaster PostgreSQL uji tidak dapat dibuat di sini: {str(exc)[:300]}")
        yield made


@dataclass
class Lane:
    """One client: the case it works on, and the command it was running when the primary died."""

    number: str | None = None
    step: int = 0
    index: int = 0
    pending: list[str] | None = None


@dataclass
class Ledger:
    """What the clients were told: (case, action, seq; None for a start), before and after the failover."""

    before: list[tuple[str, str, int | None]] = field(default_factory=list)
    after: list[tuple[str, str, int | None]] = field(default_factory=list)
    killed: threading.Event = field(default_factory=threading.Event)
    errors: list[str] = field(default_factory=list)
    runs: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def _ack(step: str, out: str) -> tuple[str, str, int | None] | None:
    if step == "mulai":
        return (out.split()[0], "mulai", None) if out.strip() else None
    match = _ACKED.match(out.strip())
    return (match.group(1), match.group(2), int(match.group(3))) if match else None


def _drive(lane_no: int, lane: Lane, env: dict[str, str], files: Path, ledger: Ledger, cases: int,
           record: list[tuple[str, str, int | None]]) -> None:
    """Run cases step by step until ``cases`` are done, or until a command fails once the primary is killed."""
    while lane.index < cases:
        while lane.step < len(STEPS):
            step = STEPS[lane.step]
            argv = lane.pending or [*_argv(step, lane.number, lane_no, lane.index, files),
                                    "--request-id", uuid.uuid4().hex]
            result = cli(*argv, env=env)
            with ledger.lock:
                ledger.runs += 1
            if result.returncode == _BUSY:
                continue
            if result.returncode != 0:
                if ledger.killed.is_set():  # the primary is gone: keep the command, to retry on the standby
                    lane.pending = argv
                    return
                ledger.errors.append(f"{' '.join(argv)} -> {result.returncode}: {result.stderr.strip()[-500:]}")
                return
            assert "Traceback" not in result.stdout + result.stderr
            acked = _ack(step, result.stdout)
            if acked is None:
                ledger.errors.append(f"{' '.join(argv)}: jawaban tak terbaca {result.stdout!r}")
                return
            with ledger.lock:
                record.append(acked)
            lane.pending = None
            lane.number = acked[0]
            lane.step += 1
        lane.index, lane.step, lane.number = lane.index + 1, 0, None


def _failover_run(pair: StandbyPair, tmp_path: Path, kill_at: int, lanes: int = 3) -> Ledger:
    started = time.monotonic()
    key = tmp_path / "signing.key"
    primary_env = {"TATAKELOLA_DB": pair.primary.url("tatakelola"), "TATAKELOLA_KEY": str(key)}
    for args in (["init"], ["org", "import", str(DEMO_ORG)]):
        done = cli(*args, env=primary_env)
        assert done.returncode == 0, done.stdout + done.stderr
    files = tmp_path / "berkas"
    files.mkdir()
    ledger = Ledger()
    clients = [Lane() for _ in range(lanes)]
    cases = kill_at // len(STEPS) + 3  # more than the clients can do before the kill: all busy when it comes
    threads = [threading.Thread(target=_drive, args=(n, clients[n], primary_env, files, ledger, cases, ledger.before))
               for n in range(lanes)]
    for t in threads:
        t.start()
    while len(ledger.before) < kill_at and any(t.is_alive() for t in threads) and not ledger.errors:
        time.sleep(0.05)
    assert pair.replication() == "standby1/sync/streaming", "the standby was not synchronous under load"
    ledger.killed.set()
    loaded = time.monotonic()
    killed = pair.primary.kill_hard()  # power cut of the server processes: no shutdown, no goodbye to clients
    for t in threads:
        t.join(timeout=300)
    assert not ledger.errors, ledger.errors
    assert len(ledger.before) >= kill_at, "the load ended before the primary was killed"
    assert all(c.pending is not None for c in clients), "a client had finished before the primary died"

    # Failover: promote; with no standby behind it yet, the operator lets it commit alone.
    pair.standby.promote()
    pair.standby.scalar("ALTER SYSTEM SET synchronous_standby_names = ''")
    pair.standby.scalar("SELECT pg_reload_conf()")
    standby_url = pair.standby.url("tatakelola")
    standby_env = {"TATAKELOLA_DB": standby_url, "TATAKELOLA_KEY": str(key)}

    events, counted = _events(standby_url)
    assert counted == len(events), "an action was recorded twice"
    for number, action, seq in ledger.before:
        assert (number, action) in events, f"acknowledged {number} {action} is missing on the promoted standby"
        if seq is not None:
            assert events[(number, action)] == seq, f"{number} {action}: seq {events[(number, action)]} ≠ {seq}"
    in_doubt = len(events) - len(ledger.before)  # committed (and replicated) but never acknowledged
    assert 0 <= in_doubt <= lanes
    assert store_problems(standby_url) == []
    verified = cli("audit", "verify", env=standby_env)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    head, replicated = max(events.values()), set(events)

    # The clients retry what they were doing, with the same request id, and finish their case.
    failed_over = time.monotonic()
    threads = [threading.Thread(target=_drive, args=(n, clients[n], standby_env, files, ledger,
                                                     clients[n].index + 1, ledger.after)) for n in range(lanes)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not ledger.errors, ledger.errors
    finished = {n for n, _, _ in ledger.before + ledger.after}
    fresh = cli(*_argv("mulai", None, lanes, 0, files), "--request-id", uuid.uuid4().hex, env=standby_env)
    assert fresh.returncode == 0, fresh.stdout + fresh.stderr
    assert fresh.stdout.split()[0] not in finished, "a case number was issued again after the failover"
    ledger.after.append((fresh.stdout.split()[0], "mulai", None))

    events, counted = _events(standby_url)
    acked = ledger.before + ledger.after
    assert counted == len(events) == len(acked), "a retried request was recorded twice, or an answer was lost"
    for number, action, seq in acked:
        assert (number, action) in events
        if seq is not None:
            assert events[(number, action)] == seq
    for number, action, _ in ledger.after:  # decided on the promoted standby: the log goes on after its head
        if (number, action) not in replicated:
            assert events[(number, action)] > head
    assert len(finished) * len(STEPS) + 1 == len(acked), "a retried start made a second case"
    assert _states_agree(standby_url) == []
    assert store_problems(standby_url) == []
    verified = cli("audit", "verify", env=standby_env)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    print(f"\nsiaga sinkron: {len(ledger.before)} keputusan diakui sebelum primer dimatikan ({killed} proses), "
          f"{in_doubt} tersimpan tanpa jawaban, {len(ledger.after)} setelah promosi; {ledger.runs} perintah, "
          f"{time.monotonic() - started:.1f} s (beban {loaded - started:.1f} s, promosi dan cek "
          f"{failed_over - loaded:.1f} s)")
    return ledger


def _events(url: str) -> tuple[dict[tuple[str, str], int], int]:
    db_engine = create_engine(normalise_url(url))
    try:
        with db_engine.connect() as conn:
            rows = conn.execute(text(
                "SELECT c.number, e.action, e.seq FROM case_events e JOIN cases c ON c.id = e.case_id")).all()
    finally:
        db_engine.dispose()
    return {(str(n), str(a)): int(s) for n, a, s in rows}, len(rows)


def _states_agree(url: str) -> list[str]:
    """Cases whose state is not where their last logged action took them."""
    db_engine = create_engine(normalise_url(url))
    try:
        with db_engine.connect() as conn:
            rows = conn.execute(text(
                "SELECT c.number, c.state, e.to_state FROM cases c JOIN case_events e ON e.case_id = c.id "
                "WHERE e.seq = (SELECT max(seq) FROM case_events l WHERE l.case_id = c.id)")).all()
    finally:
        db_engine.dispose()
    return [f"{n}: {state} ≠ {to}" for n, state, to in rows if state != to]


def test_the_promoted_standby_holds_every_acknowledged_decision(pair: StandbyPair, tmp_path: Path) -> None:
    ledger = _failover_run(pair, tmp_path, kill_at=16)
    assert ledger.after, "no decision was made on the promoted standby"


@pytest.mark.long
def test_hundreds_of_decisions_survive_the_loss_of_the_primary(pair: StandbyPair, tmp_path: Path) -> None:
    ledger = _failover_run(pair, tmp_path, kill_at=300, lanes=4)
    assert len(ledger.before) >= 300
