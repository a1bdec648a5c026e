"""Import limits benchmark: hostile workbooks against opening a normal RAPB, in the same run.

    python bench/bench_imports.py [--repeat 3]

Each workbook is made beforehand and read from a file in a fresh Python process (so the peak
resident memory is the reader's own): the RAPB reader (``read_workbook``) and the
member-register reader (``read_register``) are given it; the table shows what happened, the
median wall and CPU time of ``--repeat`` runs, the peak of Python allocations (tracemalloc) and
the process's peak resident memory before and after reading. The baseline is the RAPB reader
opening a normal 60-line RAPB (the shipped example plus 25 cost lines); the register reader's
normal workbook is a register of 500 members.

The hostile workbooks (``tests/crafted_workbooks.py``): the normal workbook with one more cell
at XFD1048576 (the 14 KB file of issue 11, which took the old RAPB reader 101 s and 1.96 GB),
a workbook of a single cell at XFD1048576 (with and without the dimension it declares), a
60 MB zip bomb (0.15 MB packed), a 20 MB bomb (under the total, over the per-part ratio), a zip
whose directory understates the bomb's size, the "billion laughs" entity bomb, and 100,000 rows.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

MB = 1024 * 1024


def _register_workbook(members: int) -> bytes:
    from datetime import date, datetime

    from engine.adapters.render.register_workbook import RegisterRow, write_register

    rows = [RegisterRow(f"KKMP-STN-{n:04d}", f"Anggota Nomor {n}", f"3576{n:012d}", date(2025, 10, 5), None,
                        f"Jl. Empunala {n}, RT 02 RW 03, Sentanan", 100_000) for n in range(1, members + 1)]
    return write_register(rows, coop_name="KKMP Sentanan", as_of=date(2026, 11, 24), masked=False,
                          when=datetime(2026, 11, 24))


BASELINE = "normal workbook (60-line RAPB / 500-member register)"


def _cases() -> dict[str, Callable[[str], bytes]]:
    """Each case's workbook for a reader ("rapb" or "register")."""
    from engine.adapters.render.workbook import example_budget, write_workbook
    from tests import crafted_workbooks as crafted

    def title(reader: str) -> str:
        return "Pendapatan" if reader == "rapb" else "Buku Daftar Anggota"

    def normal(reader: str) -> bytes:
        return (write_workbook(example_budget(2027, extra_lines=25), "KKMP Sentanan") if reader == "rapb"
                else _register_workbook(500))

    return {
        BASELINE: normal,
        "the same + 1 cell at XFD1048576 (issue 11)": lambda reader: crafted.with_far_cell(normal(reader),
                                                                                          title(reader)),
        "1 cell at XFD1048576 (openpyxl-saved)": lambda reader: crafted.far_cell(title(reader)),
        "1 cell at XFD1048576 (no dimension)": lambda reader: crafted.far_cell_undeclared(title(reader)),
        "zip bomb 60 MB": lambda reader: crafted.zip_bomb(60, title(reader)),
        "zip bomb 20 MB (ratio)": lambda reader: crafted.zip_bomb(20, title(reader)),
        "zip bomb, sizes understated": lambda reader: crafted.lying_sizes(title(reader)),
        "entity bomb (billion laughs)": lambda reader: crafted.entity_bomb(title(reader)),
        "100,000 rows": lambda reader: crafted.many_rows(100_000, title(reader)),
    }


def _peak_rss() -> int:
    """This process's peak resident memory in bytes (Linux: VmHWM, which starts afresh at exec; else ru_maxrss,
    which on Linux would carry the parent's peak across the exec)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _one(path: Path, reader: str) -> dict[str, object]:
    """Read one workbook file in this process; report time, tracemalloc peak, RSS before and after, outcome."""
    from engine.adapters.render.register_workbook import read_register
    from engine.adapters.render.workbook import read_workbook
    from engine.errors import ValidationError

    read: Callable[[bytes], object] = ((lambda c: read_workbook(c, 2027)) if reader == "rapb"
                                       else (lambda c: read_register(c, lambda row: row, max_bytes=5 * MB)))
    content = path.read_bytes()
    rss_before = _peak_rss()
    tracemalloc.start()
    start, cpu = time.perf_counter(), time.process_time()
    try:
        read(content)
        outcome = "read"
    except ValidationError as exc:
        outcome = f"{type(exc).__name__}: {exc.problems[0].message}" if exc.problems else exc.headline
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    rss = _peak_rss()
    return {"seconds": seconds, "cpu": cpu, "peak": peak, "rss": rss, "rss_before": rss_before, "size": len(content),
            "outcome": outcome}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--one", nargs=2, metavar=("FILE", "READER"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(_one(Path(args.one[0]), args.one[1])))
        return 0
    tmp = Path(tempfile.mkdtemp(prefix="tk-bench-imports-"))
    rows = []
    for number, (case, make) in enumerate(_cases().items()):
        for reader in ("rapb", "register"):
            path = tmp / f"{number}-{reader}.xlsx"
            path.write_bytes(make(reader))
            runs = []
            for _ in range(args.repeat):
                out = subprocess.run([sys.executable, __file__, "--one", str(path), reader], capture_output=True,
                                     text=True, check=True, timeout=600)
                runs.append(json.loads(out.stdout))
            rows.append((case, reader, runs))
    baseline = statistics.median(r["seconds"] for r in rows[0][2])
    print(f"Python {platform.python_version()}, {platform.machine()}; median of {args.repeat} runs, each in a fresh "
          "process (the workbook made beforehand, read from a file)")
    print(f"Baseline: the RAPB reader opening a normal 60-line RAPB = {baseline * 1000:.0f} ms\n")
    print("| Workbook | Size | Reader | Time (ms) | × baseline | CPU (ms) | Python peak (MB) | Peak RSS (MB, before → "
          "after) | Outcome |")
    print("|---|---:|---|---:|---:|---:|---:|---:|---|")
    for case, reader, runs in rows:
        seconds = statistics.median(r["seconds"] for r in runs)
        peak = max(r["peak"] for r in runs) / MB
        before = max(r["rss_before"] for r in runs) / MB
        after = max(r["rss"] for r in runs) / MB
        outcome = str(runs[0]["outcome"])[:100].replace("|", "/")
        cpu = statistics.median(r["cpu"] for r in runs)
        print(f"| {case} | {runs[0]['size'] / 1024:.0f} KB | {reader} | {seconds * 1000:.0f} | "
              f"{seconds / baseline:.2f} | {cpu * 1000:.0f} | {peak:.1f} | {before:.0f} → {after:.0f} | {outcome} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
