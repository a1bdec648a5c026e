"""Document rendering benchmarks, reported as ratios against a baseline measured in the same run.

    python bench/bench_documents.py [--repeat 3] [--db sqlite|postgresql://...] [--default-gc]
                                    [--profile DIR] [--root CHECKOUT]

Documents: a 1-page Berita Acara, a 10-step SOP, a 60-line RAPB, a RAPB of 1,000 lines (the
most an import accepts) and the full Buku SOP (every shipped workflow). Each is rendered once
to warm up (fonts, templates), then ``--repeat`` times; the median wall time and the median
CPU time of the process (all its threads: the SOP and Buku SOP are built on the document
worker thread) are reported, per document and per page. The machine these run on is shared:
CPU time moves less than wall time between runs.

The SOP and the Buku SOP are kept by content (``services/documents/cache.py``): they are
measured *cold* (the cache emptied before each run: built, signed, recorded) and *warm* (served
again: the key computed, the copy read and its checkpoint checked, the hand-out recorded), from
disk and from memory. The baseline is WeasyPrint rendering one plain A4 page of text with the
same stylesheet and PDF/A-3b options, measured in the same run, so the ratios say what the
documents cost over the renderer's own floor.

``--default-gc`` renders with Python's default garbage-collector thresholds instead of the
relaxed ones ``render_document`` sets (that change, measured in one run); ``--profile DIR``
writes pyinstrument profiles (HTML) of one cold Buku SOP and one 1,000-line RAPB into DIR;
``--root`` measures another checkout of the code (``git archive COMMIT | tar -x -C DIR``), to
compare before and after on the same machine (an older checkout has no cache: its SOP and Buku
SOP are measured as built every time).
"""

from __future__ import annotations

import argparse
import gc
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

WHEN = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)
BASELINE_HTML = """<!DOCTYPE html><html lang="id"><head><meta charset="utf-8"><title>Dasar</title>
<link rel="stylesheet" href="style.css"></head><body><h1>Halaman dasar</h1>
<p>Satu halaman A4 berisi teks biasa, dirender dengan lembar gaya dan pilihan PDF/A-3b yang sama.</p>
</body></html>"""
#: The most lines a RAPB import accepts (``workbook.MAX_LINES``; an older checkout has no cap).
LARGEST = 1_000


def _median(run: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Median wall and CPU seconds of ``repeat`` runs after a warm-up."""
    run()  # warm-up
    walls, cpus = [], []
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        run()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--db", default="sqlite")
    parser.add_argument("--default-gc", action="store_true")
    parser.add_argument("--profile", type=Path)
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parents[1])
    args = parser.parse_args()
    sys.path.insert(0, str(args.root.resolve()))

    import weasyprint

    import engine.adapters.render.issue as issue
    from engine.adapters.render.environment import template_dir
    from engine.adapters.render.pdf import EmbeddedFile, render_pdf
    from engine.adapters.render.workbook import example_budget, write_workbook
    from engine.demo import DEMO_ORG
    from engine.domain.definitions.model import Definition
    from engine.domain.values import resolved_settings
    from engine.services import Services
    from engine.services.documents import IssuedPdf, build_flowchart
    from engine.settings import Settings

    gc_note = "default GC thresholds"
    if hasattr(issue, "RENDER_GC_THRESHOLDS"):
        if args.default_gc:
            issue.RENDER_GC_THRESHOLDS = gc.get_threshold()
        else:
            gc_note = f"GC thresholds {issue.RENDER_GC_THRESHOLDS} while rendering"

    def rows(d: Definition) -> int:
        chart = build_flowchart(d, resolved_settings(d, {}))
        return sum(len(p.rows) for p in chart.pages)

    tmp = Path(tempfile.mkdtemp(prefix="tk-bench-docs-"))
    url = f"sqlite:///{tmp / 'bench.db'}" if args.db == "sqlite" else args.db
    options: dict[str, Any] = {"db_url": url, "key_path": tmp / "k.key"}
    if "document_cache_dir" in Settings.model_fields:
        options["document_cache_dir"] = tmp / "cache"
    services = Services(Settings(**options), clock=lambda: WHEN)
    services.init()
    services.import_org(DEMO_ORG)
    docs = services.documents
    builds = getattr(docs, "builds", None)
    nota = tmp / "nota.pdf"
    nota.write_bytes(b"%PDF-1.4 bench")

    # A small decided case: submitted by the manajer, rejected by the bendahara (a 1-page Berita Acara).
    case = services.start_case("pengeluaran_kas", "kkmp-sentanan", "fajar", values={
        "keperluan": "Pembelian tinta printer", "jumlah": "250000", "pos_rapb": "Alat tulis kantor",
        "penerima": "Toko Sumber Ilmu"}, files={"nota": nota}).summary.number
    services.act(case, "ajukan", "fajar", checks=["nota_terlampir", "pos_sesuai"])
    services.act(case, "tolak", "sri", comment="Nota tidak sah.")

    # The shipped workflow closest to ten steps; a RAPB of 60 lines (the example plus 25 cost lines) and one of
    # 1,000 lines (the most an import accepts).
    workflows = services.registry.all()
    ten = min(workflows, key=lambda x: (abs(rows(x.definition) - 10), x.definition.id))
    workbook = tmp / "rapb.xlsx"
    budget = example_budget(2027, extra_lines=25)
    workbook.write_bytes(write_workbook(budget, "KKMP Sentanan"))
    docs.import_budget("kkmp-sentanan", 2027, workbook)
    largest = example_budget(2028, extra_lines=LARGEST - len(budget.lines) + 25)
    workbook.write_bytes(write_workbook(largest, "KKMP Sentanan"))
    docs.import_budget("kkmp-sentanan", 2028, workbook)

    base = str(template_dir().as_uri()) + "/"
    baseline, baseline_cpu = _median(lambda: render_pdf(BASELINE_HTML, base_url=base, when=WHEN,
                                                        files=[EmbeddedFile("x.txt", b"x", "x")]), args.repeat)
    results: dict[str, tuple[float, float, IssuedPdf, str]] = {}
    holder: dict[str, IssuedPdf] = {}

    def measure(key: str, label: str, make: Callable[[], IssuedPdf], repeat: int) -> None:
        wall, cpu = _median(lambda: holder.__setitem__(key, make()), repeat)
        results[key] = (wall, cpu, holder[key], label)

    def cold(make: Callable[[], IssuedPdf]) -> Callable[[], IssuedPdf]:
        def run() -> IssuedPdf:
            if builds is not None:
                builds.forget()
            return make()
        return run

    def from_disk(make: Callable[[], IssuedPdf]) -> Callable[[], IssuedPdf]:
        def run() -> IssuedPdf:
            builds.forget(disk=False)
            return make()
        return run

    sop_label = f"SOP {rows(ten.definition)} langkah ({ten.definition.id})"
    book_label = f"Buku SOP ({len(workflows)} prosedur)"

    def sop() -> IssuedPdf:
        return docs.sop(ten.definition.id, "kkmp-sentanan")

    def book() -> IssuedPdf:
        return docs.book("kkmp-sentanan")

    measure("ba", "Berita Acara (kasus ditolak)", lambda: docs.minutes(case), args.repeat)
    measure("sop", f"{sop_label}, cold", cold(sop), args.repeat)
    if builds is not None:
        measure("sop-disk", f"{sop_label}, warm from disk", from_disk(sop), args.repeat)
        measure("sop-memory", f"{sop_label}, warm from memory", sop, args.repeat)
    measure("rapb", f"RAPB {len(budget.lines)} baris", lambda: docs.budget("kkmp-sentanan", 2027), args.repeat)
    measure("rapb-max", f"RAPB {len(largest.lines)} baris (batas impor)", lambda: docs.budget("kkmp-sentanan", 2028),
            max(1, args.repeat // 2))
    measure("book", f"{book_label}, cold", cold(book), max(1, args.repeat // 2))
    if builds is not None:
        measure("book-disk", f"{book_label}, warm from disk", from_disk(book), args.repeat)
        measure("book-memory", f"{book_label}, warm from memory", book, args.repeat)
    if args.profile:
        from pyinstrument import Profiler

        args.profile.mkdir(parents=True, exist_ok=True)
        for name, run in (("buku-sop-cold", cold(book)),
                          ("rapb-1000", lambda: docs.budget("kkmp-sentanan", 2028))):
            profiler = Profiler(interval=0.005)
            with profiler:
                run()
            (args.profile / f"{name}.html").write_text(profiler.output_html())

    print(f"WeasyPrint {weasyprint.__version__}, Python {platform.python_version()}, {platform.machine()}, "
          f"{args.db}; median of {args.repeat} after a warm-up; {gc_note}; code at {args.root}")
    print(f"Baseline: 1 plain A4 page = {baseline * 1000:.0f} ms (CPU {baseline_cpu * 1000:.0f} ms)\n")
    print("| Document | Pages | Time (ms) | × baseline | Per page (ms) | Per page × baseline | CPU per page (ms) |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for wall, cpu, issued, label in results.values():
        per_page = wall / issued.pages
        print(f"| {label} | {issued.pages} | {wall * 1000:.0f} | {wall / baseline:.1f} | {per_page * 1000:.0f} | "
              f"{per_page / baseline:.1f} | {cpu / issued.pages * 1000:.0f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
