"""Does a decision, and the task inbox, cost the same on a young log and on a big one?

    python bench/bench_scale.py [--entries 1000000] [--cases 100000] [--db sqlite|postgresql://...]

Two databases are measured in the same run:

- **small**: the demo cooperative with 1,000 log entries and 100 closed cases;
- **large**: the same cooperative with ``--entries`` log entries (default one million) and
  ``--cases`` closed cases (default 100,000), each case with its events.

The filler is written in bulk straight into the tables (cases, case events, audit entries and
one checkpoint row per entry, as the engine keeps them), with the log head advanced over the
filler's leaf hashes so that new decisions append to a log of that size. The filler checkpoints
carry placeholder notes: this benchmark is about the cost of writing and querying next to big
tables, not about verifying them (``bench/bench_verify.py`` does that).

On each database the same work is then timed, in rounds alternating between the two: ten
spending requests started and submitted (``ajukan``, the timed decision), which leaves them
waiting on the bendahara, then her task inbox (``Services.tasks("sri")``) five times. Both
inboxes hold the same number of open cases at every round. The figure is large ÷ small of the
medians.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select, update

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engine.adapters.store.models import (  # noqa: E402
    AuditEntry,
    AuditHead,
    Case,
    CaseEvent,
    Checkpoint,
    Cooperative,
    Person,
    SigningKey,
)
from engine.audit.core.merkle import CompactRange, leaf_hash  # noqa: E402
from engine.audit.entry import canonical  # noqa: E402
from engine.demo import DEMO_ORG  # noqa: E402
from engine.services import Services  # noqa: E402
from engine.settings import Settings  # noqa: E402

NOW = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)
VALUES = {"keperluan": "Bench", "jumlah": "300000", "pos_rapb": "Alat tulis kantor", "penerima": "Toko"}
BATCH = 20_000


def _fill(services: Services, entries: int, cases: int) -> None:
    """Bulk-write ``cases`` closed cases and ``entries`` log entries (with events and checkpoints)."""
    nota = Path(tempfile.mkdtemp(prefix="tk-scale-")) / "nota.pdf"
    nota.write_bytes(b"%PDF-1.4 nota")
    services.start_case("pengeluaran_kas", "kkmp-sentanan", "fajar", values=VALUES, files={"nota": nota})
    per_case = max(1, entries // max(cases, 1))
    with services.db.session() as session:
        coop = session.scalars(select(Cooperative).where(Cooperative.slug == "kkmp-sentanan")).one()
        actor = session.scalars(select(Person.id).where(Person.username == "fajar")).one()
        first = session.scalars(select(Case).where(Case.coop_id == coop.id)).first()
        assert first is not None
        key_id = session.scalars(select(SigningKey.id)).first()
        head = session.get_one(AuditHead, coop.id)
        tree = CompactRange.from_list(head.size, head.frontier)
        seq = head.size
        case_rows = [{"coop_id": coop.id, "number": f"ISI/2020/{i:06d}", "definition_id": first.definition_id,
                      "state": "dibayar", "data": {}, "step_no": per_case, "data_rev": 1, "state_since": NOW,
                      "created_by": actor, "created_at": NOW - timedelta(minutes=i),
                      "closed_at": NOW - timedelta(minutes=i), "version": 1}
                     for i in range(1, cases + 1)]
        for start in range(0, len(case_rows), BATCH):
            session.execute(insert(Case), case_rows[start:start + BATCH])
        ids = list(session.scalars(select(Case.id).where(Case.number.like("ISI/%")).order_by(Case.id)))
        entry_rows: list[dict[str, Any]] = []
        event_rows: list[dict[str, Any]] = []
        checkpoint_rows: list[dict[str, Any]] = []

        def flush() -> None:
            if entry_rows:
                session.execute(insert(AuditEntry), entry_rows)
                session.execute(insert(CaseEvent), event_rows)
                session.execute(insert(Checkpoint), checkpoint_rows)
            entry_rows.clear()
            event_rows.clear()
            checkpoint_rows.clear()

        for n in range(entries):
            seq += 1
            case_id = ids[min(n // per_case, len(ids) - 1)] if ids else first.id
            body = canonical({"v": 1, "coop": coop.slug, "seq": seq, "time": "2020-01-01T00:00:00Z",
                              "case": f"ISI/{case_id}", "action": "isi", "kind": "submit", "actor": "fajar",
                              "role": "manajer", "data_sha256": "0" * 64, "comment_sha256": None})
            leaf = leaf_hash(body)
            tree.append(leaf)
            entry_rows.append({"coop_id": coop.id, "seq": seq, "case_id": case_id, "body": body.decode(),
                               "leaf_hash": leaf.hex(), "created_at": NOW})
            event_rows.append({"coop_id": coop.id, "seq": seq, "case_id": case_id, "step_no": n % per_case,
                               "action": "isi", "kind": "submit", "from_state": "draf", "to_state": "dibayar",
                               "actor_id": actor, "role": "manajer", "comment": None, "checks": [],
                               "settings": {}, "data_rev": 1, "at": NOW})
            checkpoint_rows.append({"coop_id": coop.id, "size": seq, "root": "0" * 64, "key_id": key_id,
                                    "note": "isi (placeholder)", "created_at": NOW})
            if len(entry_rows) >= BATCH:
                flush()
        flush()
        session.execute(update(AuditHead).where(AuditHead.coop_id == coop.id).values(
            size=seq, frontier=tree.to_list(), root=tree.root().hex()))
    # A long-lived database is in a steady state: the bulk write is checkpointed out of the WAL and
    # the planner has its statistics, as after any maintenance window.
    raw = services.db.db_engine.raw_connection()
    try:
        cursor = raw.cursor()
        if services.db.dialect == "sqlite":  # autocommit connection: no transaction around these
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        cursor.execute("ANALYZE")
        cursor.close()
        raw.commit()
    finally:
        raw.close()


def _round(services: Services, nota: Path, acts: list[float], inbox: list[float]) -> None:
    """Ten decisions and five inbox queries, appended to the timings."""
    for _ in range(10):
        number = services.open_case("pengeluaran_kas", "kkmp-sentanan", "fajar", values=VALUES,
                                    files={"nota": nota})
        start = time.perf_counter()
        services.act(number, "ajukan", "fajar", checks=["nota_terlampir", "pos_sesuai"])
        acts.append(time.perf_counter() - start)
    for _ in range(5):
        start = time.perf_counter()
        services.tasks("sri")
        inbox.append(time.perf_counter() - start)


def _services(url: str, tmp: Path) -> Services:
    services = Services(Settings(db_url=url, key_path=tmp / "k.key"), clock=lambda: NOW)
    services.init()
    services.import_org(DEMO_ORG)
    return services


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--db", default="sqlite",
                        help="sqlite, or two PostgreSQL URLs separated by a comma (small,large)")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="tk-scale-"))
    if args.db == "sqlite":
        urls = [f"sqlite:///{tmp / 'small.db'}", f"sqlite:///{tmp / 'large.db'}"]
    else:
        urls = args.db.split(",")
        assert len(urls) == 2, "--db needs two PostgreSQL URLs (two schemas): small,large"
    sizes = [(1_000, 100), (args.entries, args.cases)]
    nota = tmp / "nota.pdf"
    nota.write_bytes(b"%PDF-1.4 nota")
    both = []
    for url, (entries, cases) in zip(urls, sizes, strict=True):
        services = _services(url, tmp)
        start = time.perf_counter()
        _fill(services, entries, cases)
        print(f"{entries:>9,} entries, {cases:>7,} cases: filled in {time.perf_counter() - start:5.1f} s")
        _round(services, nota, [], [])  # warm-up
        both.append(services)
    timings: list[tuple[list[float], list[float]]] = [([], []), ([], [])]
    for _ in range(args.rounds):  # alternate, so a busy moment on the machine falls on both
        for services, (acts, inbox) in zip(both, timings, strict=True):
            _round(services, nota, acts, inbox)
    figures = [(statistics.median(a), statistics.median(i)) for a, i in timings]
    for (entries, cases), (act, inbox) in zip(sizes, figures, strict=True):
        print(f"{entries:>9,} entries, {cases:>7,} cases: decision {act * 1e3:6.2f} ms, "
              f"inbox {inbox * 1e3:6.2f} ms (median of {args.rounds * 10} and {args.rounds * 5})")
    (act_s, inbox_s), (act_l, inbox_l) = figures
    print(f"large / small: decision {act_l / act_s:.2f}x, inbox {inbox_l / inbox_s:.2f}x (goal <= 1.3x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
