"""Document rendering benchmarks, reported as ratios against a baseline measured in the same run.

    python bench/bench_documents.py [--repeat 3] [--db sqlite|postgresql://...]

Documents: a 1-page Berita Acara, a 10-step SOP, a 60-line RAPB and the full Buku SOP (every
shipped workflow). Each is rendered once to warm up (fonts, templates), then ``--repeat``
times; the median is reported, per document and per page. The baseline is WeasyPrint
rendering one plain A4 page of text with the same stylesheet and PDF/A-3b options, measured
in the same run, so the ratios say what the documents cost over the renderer's own floor.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import weasyprint  # noqa: E402

from engine.adapters.render.environment import template_dir  # noqa: E402
from engine.adapters.render.pdf import EmbeddedFile, render_pdf  # noqa: E402
from engine.adapters.render.workbook import example_budget, write_workbook  # noqa: E402
from engine.demo import DEMO_ORG  # noqa: E402
from engine.domain.definitions.model import Definition  # noqa: E402
from engine.domain.values import resolved_settings  # noqa: E402
from engine.services import Services  # noqa: E402
from engine.services.documents import IssuedPdf, build_flowchart  # noqa: E402
from engine.settings import Settings  # noqa: E402

WHEN = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)
BASELINE_HTML = """<!DOCTYPE html><html lang="id"><head><meta charset="utf-8"><title>Dasar</title>
<link rel="stylesheet" href="style.css"></head><body><h1>Halaman dasar</h1>
<p>Satu halaman A4 berisi teks biasa, dirender dengan lembar gaya dan pilihan PDF/A-3b yang sama.</p>
</body></html>"""


def _median(run: Callable[[], object], repeat: int) -> float:
    run()  # warm-up
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _rows(d: Definition) -> int:
    chart = build_flowchart(d, resolved_settings(d, {}))
    return sum(len(p.rows) for p in chart.pages)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--db", default="sqlite")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="tk-bench-docs-"))
    url = f"sqlite:///{tmp / 'bench.db'}" if args.db == "sqlite" else args.db
    services = Services(Settings(db_url=url, key_path=tmp / "k.key"), clock=lambda: WHEN)
    services.init()
    services.import_org(DEMO_ORG)
    docs = services.documents
    nota = tmp / "nota.pdf"
    nota.write_bytes(b"%PDF-1.4 bench")

    # A small decided case: submitted by the manajer, rejected by the bendahara (a 1-page Berita Acara).
    case = services.start_case("pengeluaran_kas", "kkmp-sentanan", "fajar", values={
        "keperluan": "Pembelian tinta printer", "jumlah": "250000", "pos_rapb": "Alat tulis kantor",
        "penerima": "Toko Sumber Ilmu"}, files={"nota": nota}).summary.number
    services.act(case, "ajukan", "fajar", checks=["nota_terlampir", "pos_sesuai"])
    services.act(case, "tolak", "sri", comment="Nota tidak sah.")

    # The shipped workflow closest to ten steps; a RAPB of 60 lines (the example plus 25 cost lines).
    workflows = services.registry.all()
    ten = min(workflows, key=lambda x: (abs(_rows(x.definition) - 10), x.definition.id))
    workbook = tmp / "rapb.xlsx"
    budget = example_budget(2027, extra_lines=25)
    workbook.write_bytes(write_workbook(budget, "KKMP Sentanan"))
    docs.import_budget("kkmp-sentanan", 2027, workbook)

    base = str(template_dir().as_uri()) + "/"
    results: dict[str, tuple[float, IssuedPdf | None, str]] = {}
    baseline = _median(lambda: render_pdf(BASELINE_HTML, base_url=base, when=WHEN,
                                          files=[EmbeddedFile("x.txt", b"x", "x")]), args.repeat)
    holder: dict[str, IssuedPdf] = {}

    def measure(key: str, label: str, make: Callable[[], IssuedPdf], repeat: int) -> None:
        seconds = _median(lambda: holder.__setitem__(key, make()), repeat)
        results[key] = (seconds, holder[key], label)

    measure("ba", "Berita Acara (kasus ditolak)", lambda: docs.minutes(case), args.repeat)
    measure("sop", f"SOP {_rows(ten.definition)} langkah ({ten.definition.id})",
            lambda: docs.sop(ten.definition.id, "kkmp-sentanan"), args.repeat)
    measure("rapb", f"RAPB {len(budget.lines)} baris", lambda: docs.budget("kkmp-sentanan", 2027), args.repeat)
    measure("book", f"Buku SOP ({len(workflows)} prosedur)", lambda: docs.book("kkmp-sentanan"),
            max(1, args.repeat // 2))

    print(f"WeasyPrint {weasyprint.__version__}, Python {platform.python_version()}, "
          f"{platform.machine()}, {args.db}; median of {args.repeat} after a warm-up")
    print(f"Baseline: 1 plain A4 page = {baseline * 1000:.0f} ms\n")
    print("| Document | Pages | Time (ms) | × baseline | Per page (ms) | Per page × baseline |")
    print("|---|---:|---:|---:|---:|---:|")
    for seconds, issued, label in results.values():
        assert issued is not None
        per_page = seconds / issued.pages
        print(f"| {label} | {issued.pages} | {seconds * 1000:.0f} | {seconds / baseline:.1f} | "
              f"{per_page * 1000:.0f} | {per_page / baseline:.1f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
