"""What must hold in a database after any crash or race: read straight from the tables, not the services.

Shared by the crash, race and idempotency tests; each returns a list of problems (empty = all held).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import create_engine, text

from engine.adapters.store.db import normalise_url
from engine.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def cli(*args: str, env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run ``tatakelola ARGS`` in a subprocess, as an operator would."""
    full_env = {**os.environ, "COLUMNS": "200", **env}
    full_env.pop("TATAKELOLA_DEBUG", None)
    return subprocess.run([sys.executable, "-m", "engine", *args], capture_output=True, text=True, env=full_env,
                          cwd=ROOT, timeout=timeout)


#: The real CLI entry point, loaded first, then held at a gate so every process acts at the same instant.
_GATED = (
    "import os, sys, time\n"
    "import engine.cli, engine.cli.cases, engine.services\n"
    "gate = sys.argv[1]\n"
    "open(gate + '.' + str(os.getpid()), 'w').close()\n"
    "while not os.path.exists(gate):\n"
    "    time.sleep(0.002)\n"
    "sys.argv = ['tatakelola', *sys.argv[2:]]\n"
    "engine.cli.main()\n"
)


#: Exit code of "the database is busy, try again" (SQLite's write lock held past its wait).
_BUSY = 75


def race(settings: Settings, tmp_path: Path, commands: list[list[str]]) -> list[tuple[int, str, str]]:
    """Run every command at once (released together); (exit code, stdout, stderr) of each, in order."""
    env = {**os.environ, "COLUMNS": "200", "TATAKELOLA_DB": settings.db_url,
           "TATAKELOLA_KEY": str(settings.resolved_key_path)}
    env.pop("TATAKELOLA_DEBUG", None)
    gate = tmp_path / f"gate-{time.monotonic_ns()}"
    procs = [subprocess.Popen([sys.executable, "-c", _GATED, str(gate), *argv], env=env, cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for argv in commands]
    deadline = time.monotonic() + 120
    while len(list(tmp_path.glob(gate.name + ".*"))) < len(procs) and time.monotonic() < deadline:
        time.sleep(0.01)  # every process has loaded the engine and waits at the gate
    gate.touch()
    outcomes = []
    for argv, proc in zip(commands, procs, strict=True):
        out, err = proc.communicate(timeout=180)
        code = proc.returncode
        while code == _BUSY:  # "busy, try again" saved nothing: the client tries again, as it is told to
            again = cli(*argv, env=env)
            code, out, err = again.returncode, again.stdout, again.stderr
        outcomes.append((code, out, err))
    for code, out, err in outcomes:
        assert "Traceback" not in out + err and code in (0, 4, 5), (code, out, err)
    return outcomes


def store_problems(db_url: str, attachments_dir: Path | None = None) -> list[str]:
    """Every invariant of a consistent store; one line per breach."""
    problems: list[str] = []
    db_engine = create_engine(normalise_url(db_url))
    try:
        with db_engine.connect() as conn:
            def rows(sql: str) -> list[tuple[object, ...]]:
                return [tuple(r) for r in conn.execute(text(sql)).all()]

            for coop_id, size in rows("SELECT coop_id, size FROM audit_heads"):
                seqs = [r[0] for r in rows(f"SELECT seq FROM audit_entries WHERE coop_id = {coop_id} ORDER BY seq")]
                if seqs != list(range(1, int(str(size)) + 1)):
                    problems.append(f"koperasi {coop_id}: seq {seqs[:5]}…{seqs[-5:]} bukan 1..{size} (celah/cabang)")
                newest = rows(f"SELECT max(size) FROM checkpoints WHERE coop_id = {coop_id}")[0][0]
                if size and newest != size:
                    problems.append(f"koperasi {coop_id}: checkpoint terakhir {newest}, kepala log {size}")
            problems += [f"case_event #{seq} tanpa catatan jejak" for (seq,) in rows(
                "SELECT e.seq FROM case_events e LEFT JOIN audit_entries a ON a.coop_id = e.coop_id AND a.seq = e.seq "
                "WHERE a.seq IS NULL OR a.case_id IS DISTINCT FROM e.case_id")]
            problems += [f"catatan jejak #{seq} tanpa case_event" for (seq,) in rows(
                "SELECT a.seq FROM audit_entries a LEFT JOIN case_events e ON e.coop_id = a.coop_id AND e.seq = a.seq "
                "WHERE a.case_id IS NOT NULL AND e.seq IS NULL")]
            problems += [f"kasus {n} tanpa catatan 'mulai'" for (n,) in rows(
                "SELECT c.number FROM cases c WHERE NOT EXISTS (SELECT 1 FROM case_events e "
                "WHERE e.case_id = c.id AND e.kind = 'start')")]
            problems += [f"kasus {n}: {k} catatan 'mulai'" for n, k in rows(
                "SELECT c.number, count(*) FROM cases c JOIN case_events e ON e.case_id = c.id AND e.kind = 'start' "
                "GROUP BY c.number HAVING count(*) > 1")]
            problems += [f"kasus {n}: revisi data {got} ≠ data_rev {want}" for n, got, want in rows(
                "SELECT c.number, (SELECT count(*) FROM data_revisions r WHERE r.case_id = c.id), c.data_rev "
                "FROM cases c") if got != want]
            for table in ("attachments", "votes", "data_revisions", "case_events"):
                problems += [f"{table} #{i} tanpa kasus" for (i,) in rows(
                    f"SELECT t.id FROM {table} t LEFT JOIN cases c ON c.id = t.case_id WHERE c.id IS NULL")]
            problems += [f"suara #{i} tanpa catatan jejak #{seq}" for i, seq in rows(
                "SELECT v.id, v.seq FROM votes v LEFT JOIN audit_entries a ON a.coop_id = v.coop_id AND a.seq = v.seq "
                "WHERE a.seq IS NULL")]
            problems += [f"suara ganda: kasus {c} langkah {s} orang {p}" for c, s, p, _ in rows(
                "SELECT case_id, step_no, person_id, count(*) FROM votes GROUP BY case_id, step_no, person_id "
                "HAVING count(*) > 1")]
            data = {number: str(d) for number, d in rows("SELECT number, data FROM cases")}
            for number, sha, path in rows("SELECT c.number, a.sha256, a.storage_path FROM attachments a "
                                          "JOIN cases c ON c.id = a.case_id"):
                if str(sha) not in data[str(number)]:
                    problems.append(f"lampiran {sha} kasus {number} tidak dirujuk data kasus (yatim)")
                if path is not None and (not Path(str(path)).exists()
                                         or hashlib.sha256(Path(str(path)).read_bytes()).hexdigest() != sha):
                    problems.append(f"berkas lampiran {path} hilang atau berubah")
            problems += [f"ID permintaan {r} tanpa hasil" for (r,) in rows(
                "SELECT request_id FROM idempotency_keys WHERE case_id IS NULL")]
            stored = {str(p) for (p,) in rows("SELECT storage_path FROM attachments WHERE storage_path IS NOT NULL")}
    finally:
        db_engine.dispose()
    if attachments_dir is not None and attachments_dir.exists():
        on_disk = {str(p) for p in attachments_dir.rglob("*") if p.is_file()}
        problems += [f"berkas yatim di disk: {p}" for p in sorted(on_disk - stored)]
    return problems
