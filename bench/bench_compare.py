"""Tatakelola against SpiffWorkflow 3.x on the same approval, in the same run.

    pip install -e ".[bench]"
    python bench/bench_compare.py [--cases 100] [--synchronous NORMAL|FULL] [--db sqlite|postgresql://...]

With ``--db postgresql://postgres@127.0.0.1:5432/test`` each engine gets its own schema
(``bench_tatakelola``, ``bench_spiff``), dropped and created afresh.

The approval: start a spending request, then three decisions (ajukan, verifikasi, bayar), four
durable commits per case.

- **Tatakelola** runs the shipped ``pengeluaran_kas`` procedure through the public API
  (``Services.open_case`` / ``Services.act``): role and term of office checks, separation of
  duties, attachments, the data revision, the audit entry and its signed checkpoint.
- **SpiffWorkflow** runs a BPMN process with three user tasks in sequence; after the start and
  after each task it serialises the whole workflow (``BpmnWorkflowSerializer``, JSON) and writes
  it to a table on the same database, one commit each, the way an application persists a
  Spiff workflow between user actions. It checks no roles and writes no trail.
- **Floor**: four bare ``INSERT`` + ``COMMIT`` of a 400-byte row, the least any durable
  four-step approval can cost on this database.

On SQLite both engines use the same file settings (WAL and ``--synchronous``; NORMAL keeps the
comparison on CPU, FULL adds an fsync per commit). Figures are cases per second and the ratio
of each to the other, all from this run.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engine.demo import DEMO_ORG  # noqa: E402
from engine.services import Services  # noqa: E402
from engine.settings import Settings  # noqa: E402

BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="bench">
  <bpmn:process id="pengeluaran_kas" isExecutable="true">
    <bpmn:startEvent id="mulai"><bpmn:outgoing>f0</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="ajukan" name="Ajukan">
      <bpmn:incoming>f0</bpmn:incoming><bpmn:outgoing>f1</bpmn:outgoing></bpmn:userTask>
    <bpmn:userTask id="verifikasi" name="Verifikasi">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>
    <bpmn:userTask id="bayar" name="Bayar">
      <bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing></bpmn:userTask>
    <bpmn:endEvent id="selesai"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f0" sourceRef="mulai" targetRef="ajukan"/>
    <bpmn:sequenceFlow id="f1" sourceRef="ajukan" targetRef="verifikasi"/>
    <bpmn:sequenceFlow id="f2" sourceRef="verifikasi" targetRef="bayar"/>
    <bpmn:sequenceFlow id="f3" sourceRef="bayar" targetRef="selesai"/>
  </bpmn:process>
</bpmn:definitions>
"""

VALUES = {"keperluan": "Bench", "jumlah": "300000", "pos_rapb": "Alat tulis kantor", "penerima": "Toko"}


def _pragmas(engine: Engine, synchronous: str) -> None:
    """Same SQLite durability for every connection of ``engine`` (runs after the engine's own)."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _set(dbapi_conn: Any, _record: Any) -> None:
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.close()

    engine.dispose()  # connections opened before the listener get the pragmas on reopen


def _fresh_schema(url: str, schema: str) -> str:
    """A PostgreSQL URL whose search_path is ``schema``, emptied first (the bench owns it)."""
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    engine.dispose()
    return f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"


def _rate(run: Callable[[int], None], cases: int, rounds: int) -> float:
    """Median cases per second over ``rounds`` rounds of ``cases`` cases."""
    rates = []
    for r in range(rounds):
        start = time.perf_counter()
        for i in range(cases):
            run(r * cases + i)
        rates.append(cases / (time.perf_counter() - start))
    return statistics.median(rates)


def tatakelola(url: str, tmp: Path, synchronous: str) -> Callable[[int], None]:
    services = Services(Settings(db_url=url, key_path=tmp / "k.key"),
                        clock=lambda: datetime(2026, 11, 24, 3, 0, tzinfo=UTC))
    services.init()
    services.import_org(DEMO_ORG)
    _pragmas(services.db.db_engine, synchronous)
    nota, kuitansi = tmp / "nota.pdf", tmp / "kuitansi.pdf"
    nota.write_bytes(b"%PDF-1.4 nota")
    kuitansi.write_bytes(b"%PDF-1.4 kuitansi")

    def run(_i: int) -> None:
        number = services.open_case("pengeluaran_kas", "kkmp-sentanan", "fajar", values=VALUES,
                                    files={"nota": nota})
        services.act(number, "ajukan", "fajar", checks=["nota_terlampir", "pos_sesuai"])
        services.act(number, "verifikasi", "sri", checks=["jumlah_sesuai_nota", "saldo_cukup", "pos_tersedia"])
        services.act(number, "bayar", "sri", checks=["kuitansi_ditandatangani", "dicatat_bku"],
                     files={"kuitansi": kuitansi})
    return run


def spiff(url: str, synchronous: str) -> Callable[[int], None]:
    from SpiffWorkflow.bpmn import BpmnWorkflow
    from SpiffWorkflow.bpmn.parser import BpmnParser
    from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
    from SpiffWorkflow.util.task import TaskState

    path = Path(tempfile.mkdtemp(prefix="tk-spiff-")) / "kas.bpmn"
    path.write_text(BPMN)
    parser = BpmnParser()
    parser.add_bpmn_file(str(path))
    spec = parser.get_spec("pengeluaran_kas")
    serializer = BpmnWorkflowSerializer()
    engine = create_engine(url)
    _pragmas(engine, synchronous)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE IF EXISTS spiff_workflows")
        conn.exec_driver_sql("CREATE TABLE spiff_workflows (id INTEGER PRIMARY KEY, state TEXT NOT NULL)")

    def save(conn_id: int, workflow: Any, first: bool) -> None:
        state = serializer.serialize_json(workflow)
        sql = ("INSERT INTO spiff_workflows (id, state) VALUES (:i, :s)" if first
               else "UPDATE spiff_workflows SET state = :s WHERE id = :i")
        with engine.begin() as conn:
            conn.execute(text(sql), {"i": conn_id, "s": state})

    def run(i: int) -> None:
        workflow = BpmnWorkflow(spec)
        workflow.do_engine_steps()
        workflow.data.update(VALUES)
        save(i, workflow, True)
        for name in ("ajukan", "verifikasi", "bayar"):
            with engine.connect() as conn:  # a new request: load the workflow back first
                state = conn.execute(text("SELECT state FROM spiff_workflows WHERE id = :i"), {"i": i}).scalar_one()
            workflow = serializer.deserialize_json(state)
            [task] = workflow.get_tasks(state=TaskState.READY, manual=True)
            assert task.task_spec.name == name
            task.data[f"{name}_oleh"] = "bench"
            task.run()
            workflow.do_engine_steps()
            save(i, workflow, False)
        assert workflow.is_completed()
    return run


def floor(url: str, synchronous: str) -> Callable[[int], None]:
    engine = create_engine(url)
    _pragmas(engine, synchronous)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE IF EXISTS bench_floor")
        conn.exec_driver_sql("CREATE TABLE bench_floor (id INTEGER PRIMARY KEY, body TEXT)")

    def run(i: int) -> None:
        for step in range(4):
            with engine.begin() as conn:
                conn.execute(text("INSERT INTO bench_floor (id, body) VALUES (:i, :b)"),
                             {"i": i * 4 + step, "b": "x" * 400})
    return run


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--synchronous", default="NORMAL", choices=["OFF", "NORMAL", "FULL"])
    parser.add_argument("--db", default="sqlite")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="tk-compare-"))
    sqlite = args.db == "sqlite"
    ours_url = f"sqlite:///{tmp / 'tatakelola.db'}" if sqlite else _fresh_schema(args.db, "bench_tatakelola")
    other_url = f"sqlite:///{tmp / 'spiff.db'}" if sqlite else _fresh_schema(args.db, "bench_spiff")

    runs = {"tatakelola": tatakelola(ours_url, tmp, args.synchronous),
            "spiffworkflow": spiff(other_url, args.synchronous),
            "floor (4 bare commits)": floor(other_url, args.synchronous)}
    for run in runs.values():  # warm-up
        run(10_000_000)
    rates = {name: _rate(run, args.cases, args.rounds) for name, run in runs.items()}

    where = f"SQLite, WAL, synchronous={args.synchronous}" if sqlite else "PostgreSQL " + args.db.split("@")[-1]
    print(f"{where}; {args.cases} cases x {args.rounds} rounds, 4 commits per case (median of rounds)")
    for name, rate in rates.items():
        print(f"  {name:24s} {rate:8.1f} cases/s   {1e3 / rate:8.2f} ms/case")
    ours, other = rates["tatakelola"], rates["spiffworkflow"]
    print(f"tatakelola / spiffworkflow: {ours / other:.2f}x the throughput")
    print(f"tatakelola / floor:         {rates['floor (4 bare commits)'] / ours:.1f}x the floor's time per case")
    return 0


if __name__ == "__main__":
    sys.exit(main())
