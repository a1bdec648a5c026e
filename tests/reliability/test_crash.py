"""SIGKILL at random points while cases are started and decided through the ``tatakelola`` command.

A client that is killed retries with the same request id until it sees an answer, as a person pressing
again would. Afterwards every acknowledged action is in the database exactly once, the trail verifies,
and no row or file is orphaned, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from engine.adapters.store.db import normalise_url
from engine.services import Services
from tests.helpers import COOP, KAS_DRAFT_CHECKS, KAS_PAY_CHECKS, KAS_VERIFY_CHECKS
from tests.reliability.store_invariants import ROOT, cli, store_problems

#: One case's life: start, submit, verify (within the manajer's limit: approved), pay. Four actions.
STEPS = ("mulai", "ajukan", "verifikasi", "bayar")
_ACKED = re.compile(r"^(\S+): (\w+) tercatat \(#(\d+)\)")


@dataclass
class Ledger:
    """What the clients were told (acknowledged) and how often they were killed."""

    acked: list[tuple[str, str, int | None]] = field(default_factory=list)  # (case, action, seq)
    kills: int = 0
    runs: int = 0
    durations: list[float] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _argv(step: str, number: str | None, lane: int, index: int, files: Path) -> list[str]:
    if step == "mulai":
        nota = files / f"nota-{lane}-{index}.pdf"
        nota.write_bytes(f"%PDF-1.4\n% nota {lane}-{index}\n".encode())
        return ["case", "start", "pengeluaran_kas", "--coop", COOP, "--as", "fajar", "--set", "keperluan=ATK",
                "--set", f"jumlah={100_000 + index}", "--set", "pos_rapb=Alat tulis kantor", "--set",
                "penerima=Toko Maju", "--attach", f"nota={nota}"]
    assert number is not None
    base = ["case", "act", number, step, "--coop", COOP]
    if step == "ajukan":
        return [*base, "--as", "fajar", *[a for c in KAS_DRAFT_CHECKS for a in ("--check", c)]]
    if step == "verifikasi":
        return [*base, "--as", "sri", *[a for c in KAS_VERIFY_CHECKS for a in ("--check", c)]]
    kuitansi = files / f"kuitansi-{lane}-{index}.pdf"
    kuitansi.write_bytes(f"%PDF-1.4\n% kuitansi {lane}-{index}\n".encode())
    return [*base, "--as", "sri", "--attach", f"kuitansi={kuitansi}",
            *[a for c in KAS_PAY_CHECKS for a in ("--check", c)]]


def _run_once(argv: list[str], env: dict[str, str], kill_after: float | None) -> tuple[int | None, str, str]:
    """One client process; SIGKILLed after ``kill_after`` seconds when given (None: it was killed)."""
    proc = subprocess.Popen([sys.executable, "-m", "engine", *argv], env=env, cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        out, err = proc.communicate(timeout=kill_after if kill_after is not None else 120)
    except subprocess.TimeoutExpired:
        os.kill(proc.pid, signal.SIGKILL)
        proc.communicate()
        return None, "", ""
    return proc.returncode, out, err


def _lane(lane: int, cases: int, env: dict[str, str], files: Path, ledger: Ledger, rng: random.Random,
          kill_rate: float, errors: list[str]) -> None:
    for index in range(cases):
        number: str | None = None
        for step in STEPS:
            argv = [*_argv(step, number, lane, index, files), "--request-id", uuid.uuid4().hex]
            while True:  # retried with the same request id until the client sees an answer
                typical = sorted(ledger.durations)[len(ledger.durations) // 2] if ledger.durations else 1.0
                kill_after = rng.uniform(0.55, 1.05) * typical if rng.random() < kill_rate else None
                started = time.monotonic()
                code, out, err = _run_once(argv, env, kill_after)
                with ledger.lock:
                    ledger.runs += 1
                    if code is None:
                        ledger.kills += 1
                        continue
                    if code == 75:  # "busy, try again": nothing saved, the client tries again as told
                        continue
                    if code == 0:
                        ledger.durations.append(time.monotonic() - started)
                if code != 0:
                    errors.append(f"{' '.join(argv)} -> {code}: {err.strip()[-500:]}")
                    return
                if step == "mulai":
                    number = out.split()[0]
                    with ledger.lock:
                        ledger.acked.append((number, "mulai", None))
                else:
                    match = _ACKED.match(out.strip())
                    if not match:
                        errors.append(f"{' '.join(argv)}: jawaban tak terbaca {out!r}")
                        return
                    with ledger.lock:
                        ledger.acked.append((match.group(1), match.group(2), int(match.group(3))))
                break


def _crash_run(services: Services, tmp_path: Path, actions: int, kill_rate: float, lanes: int = 2) -> Ledger:
    attachments = tmp_path / "lampiran"
    env = {**os.environ, "COLUMNS": "200", "TATAKELOLA_DB": services.settings.db_url,
           "TATAKELOLA_KEY": str(services.settings.resolved_key_path), "TATAKELOLA_ATTACHMENTS": str(attachments)}
    env.pop("TATAKELOLA_DEBUG", None)
    files = tmp_path / "berkas"
    files.mkdir()
    ledger, errors = Ledger(), []
    per_lane = max(1, actions // (len(STEPS) * lanes))
    threads = [threading.Thread(target=_lane, args=(lane, per_lane, env, files, ledger, random.Random(lane),
                                                    kill_rate, errors)) for lane in range(lanes)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors

    # Every acknowledged action is there, exactly once, at the seq the client was told.
    db_engine = create_engine(normalise_url(services.settings.db_url))
    with db_engine.connect() as conn:
        events = {(n, a): s for n, a, s in conn.execute(text(
            "SELECT c.number, e.action, e.seq FROM case_events e JOIN cases c ON c.id = e.case_id")).all()}
        counted = conn.execute(text("SELECT count(*) FROM case_events")).scalar()
        numbers = [n for (n,) in conn.execute(text("SELECT number FROM cases")).all()]
    db_engine.dispose()
    assert counted == len(events), "an action was recorded twice"
    for number, action, seq in ledger.acked:
        assert (number, action) in events, f"acknowledged {number} {action} is missing"
        if seq is not None:
            assert events[(number, action)] == seq
    assert len(ledger.acked) == len(events) == len(STEPS) * per_lane * lanes
    assert sorted(numbers) == sorted({n for n, _, _ in ledger.acked}), "a retried start made a second case"
    assert store_problems(services.settings.db_url, attachments) == []
    verified = cli("audit", "verify", env={k: env[k] for k in ("TATAKELOLA_DB", "TATAKELOLA_KEY")})
    assert verified.returncode == 0, verified.stdout + verified.stderr
    print(f"\n{services.db.dialect}: {len(ledger.acked)} actions, {ledger.runs} client runs, {ledger.kills} SIGKILLs")
    return ledger


def test_killed_clients_lose_no_acknowledged_action_and_leave_nothing_half_done(services: Services,
                                                                                tmp_path: Path) -> None:
    ledger = _crash_run(services, tmp_path, actions=24, kill_rate=0.4)
    assert ledger.kills >= 4, f"too few kills to mean anything ({ledger.kills} of {ledger.runs} runs)"


@pytest.mark.long
def test_a_thousand_actions_under_random_sigkill(services: Services, tmp_path: Path) -> None:
    ledger = _crash_run(services, tmp_path, actions=1000, kill_rate=0.1)
    assert ledger.kills >= 50
