"""Engine benchmarks, reported as ratios against baselines measured in the same run.

    python bench/bench_engine.py [--cases 200] [--db sqlite|postgresql://...]

- act: one decision (lock case, policy, transition, data revision, audit entry, signed checkpoint,
  commit) against a baseline of one bare INSERT+COMMIT on the same database and settings.
- verify: recomputing and checking the whole log, per entry, against a baseline of SHA-256 over
  the same entry bytes (the floor for any verifier).
- export+offline verify: per entry, same baseline.
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engine.audit.core.offline import verify_bundle  # noqa: E402
from engine.demo import DEMO_ORG  # noqa: E402
from engine.services import Services  # noqa: E402
from engine.settings import Settings  # noqa: E402


def _per(seconds: float, count: int) -> float:
    return seconds / max(count, 1) * 1e6


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=200)
    parser.add_argument("--db", default="sqlite")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="tk-bench-"))
    url = f"sqlite:///{tmp / 'bench.db'}" if args.db == "sqlite" else args.db
    services = Services(Settings(db_url=url, key_path=tmp / "k.key"),
                        clock=lambda: datetime(2026, 11, 24, 3, 0, tzinfo=UTC))
    services.init()
    services.import_org(DEMO_ORG)
    nota = tmp / "nota.pdf"
    nota.write_bytes(b"%PDF-1.4 bench")

    # baseline: a bare insert + commit on the same database, same durability settings
    with services.db.db_engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE IF NOT EXISTS bench_baseline (id INTEGER PRIMARY KEY, body TEXT)")
    base_times = []
    for i in range(args.cases):
        start = time.perf_counter()
        with services.db.db_engine.begin() as conn:
            conn.execute(text("INSERT INTO bench_baseline (id, body) VALUES (:i, :b)"), {"i": i, "b": "x" * 400})
        base_times.append(time.perf_counter() - start)

    act_times = []
    for _ in range(args.cases):
        number = services.start_case("pengeluaran_kas", "kkmp-sentanan", "fajar", values={
            "keperluan": "Bench", "jumlah": "300000", "pos_rapb": "Alat tulis kantor", "penerima": "Toko"},
            files={"nota": nota}).summary.number
        start = time.perf_counter()
        services.act(number, "ajukan", "fajar", checks=["nota_terlampir", "pos_sesuai"])
        act_times.append(time.perf_counter() - start)
    base_act = statistics.median(base_times)
    act = statistics.median(act_times)

    start = time.perf_counter()
    [report] = services.verify("kkmp-sentanan")
    verify_s = time.perf_counter() - start
    assert report.ok
    with services.db.db_engine.connect() as conn:
        bodies = [r[0].encode() for r in conn.exec_driver_sql("SELECT body FROM audit_entries")]
    start = time.perf_counter()
    for body in bodies:
        hashlib.sha256(b"\x00" + body).digest()
    hash_s = time.perf_counter() - start
    services.export("kkmp-sentanan", tmp / "bundle")
    start = time.perf_counter()
    verify_bundle(tmp / "bundle")
    offline_s = time.perf_counter() - start

    n = report.size
    print(f"database: {services.db.dialect}; decisions timed: {args.cases}; log entries: {n}")
    print(f"act (median):           {act * 1e3:8.2f} ms   baseline insert+commit {base_act * 1e3:7.2f} ms   "
          f"ratio {act / base_act:6.1f}x")
    print(f"audit verify per entry: {_per(verify_s, n):8.1f} µs   baseline sha256 {_per(hash_s, n):7.2f} µs   "
          f"ratio {verify_s / hash_s:6.0f}x")
    print(f"offline verify/entry:   {_per(offline_s, n):8.1f} µs   baseline sha256 {_per(hash_s, n):7.2f} µs   "
          f"ratio {offline_s / hash_s:6.0f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
