"""How long does ``audit verify`` take on a big log, against the floor of hashing it once?

    python bench/bench_verify.py [--entries 1000000] [--db sqlite|postgresql://...] [--added 1000]
                                 [--all-signatures] [--profile FILE.html] [--keep]

One cooperative (the demo KKMP) gets a log of ``--entries`` entries, then in the same run:

- **baseline**: SHA-256 over every entry's stored bytes (``0x00 || body``, the RFC 6962 leaf
  hash), read from the database first and hashed in a loop: the floor for any verifier, since
  each entry must at least be hashed once;
- **full**: ``Services.verify(coop)``, the whole pass ``tatakelola audit verify`` runs (every
  entry, event, data revision, case, attachment and stored checkpoint; Ed25519 signatures of the
  newest checkpoint per key and one per 1,000 sizes);
- **incremental**: ``--added`` more entries are appended (bulk, as below, then one more case
  through the real decision path) and ``Services.verify(coop, since_last=True)`` timed
  (``audit verify --sejak-terakhir``): it continues from the verification state the full pass
  stored;
- with ``--all-signatures``, also the full pass with every checkpoint signature checked
  (``audit verify --semua-tanda-tangan``).

How the log is built, so that it is genuine: one spending case (``pengeluaran_kas``: start with a
nota, ``ajukan``, ``verifikasi``, ``bayar`` with a kuitansi) runs through the real services first.
Its rows are the template for the rest, written in bulk straight into the tables: per case the
case row, two data revisions, two attachments (about 2 KB each, in the database), four events and
four audit entries, with one signed checkpoint per entry, exactly as a decision writes them. Every
value the log commits to is computed with the engine's own functions: the case data and entry
bodies with ``canonical`` (RFC 8785), leaf hashes with ``leaf_hash``, the tree with
``CompactRange``, the checkpoint notes with ``sign_note`` under the installation key; the log head
is advanced to the final size, root and frontier. One case in twenty stops after ``ajukan`` (an
open case waiting on the bendahara). Entries are one second apart, ending the day before the
clock. The filled database is checkpointed out of the WAL and ANALYZEd before timing, as a
long-lived one would be after maintenance.

PostgreSQL: give a URL with its own schema, e.g.
``--db 'postgresql://postgres@127.0.0.1:5432/test?options=-csearch_path%3Dbench'``; the schema is
created (and dropped at the end unless ``--keep``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import shutil
import sys
import tempfile
import time
import urllib.parse
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, insert, select, text, update

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engine.adapters.store.models import (  # noqa: E402
    Attachment,
    AuditEntry,
    AuditHead,
    Case,
    CaseCounter,
    CaseEvent,
    Checkpoint,
    Cooperative,
    DataRevision,
    SigningKey,
)
from engine.audit.core.merkle import CompactRange, leaf_hash  # noqa: E402
from engine.audit.core.note import Checkpoint as NoteCheckpoint  # noqa: E402
from engine.audit.core.note import sign_note  # noqa: E402
from engine.audit.entry import canonical, sha256_hex  # noqa: E402
from engine.audit.log import log_origin  # noqa: E402
from engine.demo import DEMO_ORG  # noqa: E402
from engine.services import Services  # noqa: E402
from engine.settings import Settings  # noqa: E402

COOP = "kkmp-sentanan"
NOW = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)
VALUES = {"keperluan": "Pembelian alat tulis", "jumlah": "300000", "pos_rapb": "Alat tulis kantor",
          "penerima": "Toko Maju"}
DRAFT_CHECKS = ["nota_terlampir", "pos_sesuai"]
VERIFY_CHECKS = ["jumlah_sesuai_nota", "saldo_cukup", "pos_tersedia"]
PAY_CHECKS = ["kuitansi_ditandatangani", "dicatat_bku"]
CHUNK = 2_000  # cases per bulk insert


def _per(seconds: float, count: int) -> float:
    return seconds / max(count, 1) * 1e6


def _pdf(label: str) -> bytes:
    """A small stand-in for a scanned nota or kuitansi (about 2 KB)."""
    head = f"%PDF-1.4\n% {label}\n".encode()
    return head + hashlib.sha256(head).hexdigest().encode() * 30


def _run_template(services: Services, tmp: Path) -> str:
    """One real spending case through the services: the rows every bulk case copies."""
    nota, kuitansi = tmp / "nota.pdf", tmp / "kuitansi.pdf"
    nota.write_bytes(_pdf("nota contoh"))
    kuitansi.write_bytes(_pdf("kuitansi contoh"))
    number = services.start_case("pengeluaran_kas", COOP, "fajar", values=VALUES,
                                 files={"nota": nota}).summary.number
    services.act(number, "ajukan", "fajar", checks=DRAFT_CHECKS)
    services.act(number, "verifikasi", "sri", checks=VERIFY_CHECKS)
    services.act(number, "bayar", "sri", checks=PAY_CHECKS, files={"kuitansi": kuitansi})
    return number


class _Filler:
    """Writes cases shaped like the template case, entry by entry, as the engine would."""

    def __init__(self, services: Services, template: str) -> None:
        self.services = services
        with services.db.session() as session:
            coop = session.scalars(select(Cooperative).where(Cooperative.slug == COOP)).one()
            case = session.scalars(select(Case).where(Case.number == template)).one()
            self.coop_id, self.case = coop.id, {c.key: getattr(case, c.key) for c in Case.__table__.columns}
            self.events = [{c.key: getattr(e, c.key) for c in CaseEvent.__table__.columns} for e in session.scalars(
                select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.seq))]
            self.bodies = [json.loads(b) for b in session.scalars(
                select(AuditEntry.body).where(AuditEntry.case_id == case.id).order_by(AuditEntry.seq))]
            self.files = {a.field: {c.key: getattr(a, c.key) for c in Attachment.__table__.columns}
                          for a in session.scalars(select(Attachment).where(Attachment.case_id == case.id))}
            self.key_id = session.scalars(select(SigningKey.id).where(
                SigningKey.public_key == services.signer.public_b64)).one()
        assert [b["action"] for b in self.bodies] == ["mulai", "ajukan", "verifikasi", "bayar"], self.bodies
        self.origin = log_origin(COOP)
        self.signer = services.signer

    def _next_ids(self) -> dict[str, int]:
        with self.services.db.session() as session:
            return {name: (session.scalar(text(f"SELECT max(id) FROM {name}")) or 0)
                    for name in ("cases", "case_events", "data_revisions", "attachments", "checkpoints")}

    def fill(self, entries: int, first_case_no: int, start: datetime) -> int:
        """Append ``entries`` entries (whole cases, the last one possibly cut short); return cases written."""
        ids = self._next_ids()
        with self.services.db.session() as session:
            head = session.get_one(AuditHead, self.coop_id)
            tree = CompactRange.from_list(head.size, head.frontier)
        seq, written, case_no = tree.size, 0, first_case_no
        moment = start
        rows: dict[str, list[dict[str, Any]]] = {"cases": [], "revisions": [], "files": [], "events": [],
                                                 "entries": [], "checkpoints": []}
        while written < entries:
            steps = min(2 if case_no % 20 == 0 else 4, entries - written)
            ids = self._case(rows, ids, case_no, steps, seq, tree, moment)
            seq += steps
            written += steps
            moment += timedelta(seconds=steps)
            case_no += 1
            if len(rows["cases"]) >= CHUNK:
                self._flush(rows)
        self._flush(rows)
        with self.services.db.session() as session:
            session.execute(update(AuditHead).where(AuditHead.coop_id == self.coop_id).values(
                size=tree.size, frontier=tree.to_list(), root=tree.root().hex(), updated_at=moment))
            session.execute(update(CaseCounter).where(CaseCounter.coop_id == self.coop_id, CaseCounter.prefix == "KAS",
                                                      CaseCounter.year == 2026).values(last=case_no - 1))
        self._after_bulk()
        return case_no - first_case_no

    def _case(self, rows: dict[str, list[dict[str, Any]]], ids: dict[str, int], case_no: int, steps: int,
              seq: int, tree: CompactRange, moment: datetime) -> dict[str, int]:
        ids = dict(ids)
        ids["cases"] += 1
        case_id = ids["cases"]
        number = f"KAS/2026/{case_no:04d}"
        stamp = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
        amount = 50_000 + (case_no * 7919) % 400_000  # under batas_manajer: verifikasi approves
        data: dict[str, Any] = {"keperluan": f"Belanja gerai #{case_no}", "jumlah": amount,
                                "pos_rapb": "Alat tulis kantor", "penerima": "Toko Maju"}
        revisions: list[str] = []
        attached: dict[str, str] = {}
        for field in ("nota", "kuitansi") if steps == 4 else ("nota",):
            content = _pdf(f"{field} {number}")
            digest = sha256_hex(content)
            template = self.files[field]
            ids["attachments"] += 1
            rows["files"].append({**template, "id": ids["attachments"], "case_id": case_id, "sha256": digest,
                                  "content": content, "size": len(content), "uploaded_at": moment})
            data[field] = {"media_type": template["media_type"], "name": template["filename"], "sha256": digest,
                           "size": len(content)}
            attached[field] = digest
            revision = {k: v for k, v in data.items()}
            revisions.append(canonical(revision).decode())
        for rev, body in enumerate(revisions, start=1):
            ids["data_revisions"] += 1
            rows["revisions"].append({"id": ids["data_revisions"], "coop_id": self.coop_id, "case_id": case_id,
                                      "rev": rev, "canonical": body, "sha256": sha256_hex(body.encode()),
                                      "created_at": moment})
        for step in range(steps):
            template_body, event = self.bodies[step], self.events[step]
            position = seq + step + 1
            rev = 2 if step == 3 else 1
            body = {**template_body, "seq": position, "time": stamp, "case": number, "data_rev": rev,
                    "data_sha256": sha256_hex(revisions[rev - 1].encode()),
                    "attachments": [attached["nota"]] if step == 0 else
                    [attached["kuitansi"]] if step == 3 else []}
            data_bytes = canonical(body)
            leaf = leaf_hash(data_bytes)
            tree.append(leaf)
            root = tree.root()
            ids["case_events"] += 1
            rows["events"].append({**event, "id": ids["case_events"], "seq": position, "case_id": case_id,
                                   "at": moment})
            rows["entries"].append({"coop_id": self.coop_id, "seq": position, "case_id": case_id,
                                    "body": data_bytes.decode(), "leaf_hash": leaf.hex(), "created_at": moment})
            note = sign_note(NoteCheckpoint(self.origin, position, root).body(), self.signer.name,
                             self.signer.private_key)
            ids["checkpoints"] += 1
            rows["checkpoints"].append({"id": ids["checkpoints"], "coop_id": self.coop_id, "size": position,
                                        "root": root.hex(), "key_id": self.key_id, "note": note,
                                        "created_at": moment})
        last = self.events[steps - 1]
        closed = steps == 4
        rows["cases"].append({**self.case, "id": case_id, "number": number, "state": last["to_state"],
                              "data": data, "step_no": last["step_no"] + 1, "data_rev": len(revisions),
                              "state_since": moment, "created_at": moment, "closed_at": moment if closed else None})
        return ids

    def _flush(self, rows: dict[str, list[dict[str, Any]]]) -> None:
        if not rows["cases"]:
            return
        with self.services.db.session() as session:
            for key, model in (("cases", Case), ("revisions", DataRevision), ("files", Attachment),
                               ("entries", AuditEntry), ("events", CaseEvent), ("checkpoints", Checkpoint)):
                session.execute(insert(model), rows[key])
                rows[key].clear()

    def _after_bulk(self) -> None:
        """Sequences past the explicit ids (PostgreSQL); WAL checkpointed and statistics taken."""
        raw = self.services.db.db_engine.raw_connection()
        try:
            cursor = raw.cursor()
            if self.services.db.dialect == "postgresql":
                for name in ("cases", "case_events", "data_revisions", "attachments", "checkpoints"):
                    cursor.execute(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                                   f"(SELECT max(id) FROM {name}))")
                raw.commit()
                cursor.execute("ANALYZE")
            else:
                cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                cursor.execute("ANALYZE")
            cursor.close()
            raw.commit()
        finally:
            raw.close()


def _schema(url: str) -> str | None:
    """The search_path schema named in a PostgreSQL URL's options, if any."""
    options = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query).get("options", [""])[0]
    match = re.search(r"search_path=([A-Za-z_][A-Za-z0-9_]*)", options)
    return match.group(1) if match else None


def _admin(url: str, statement: str) -> None:
    base = urllib.parse.urlsplit(url)._replace(query="").geturl().replace("postgresql://", "postgresql+psycopg://")
    engine = create_engine(base, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(statement)
    engine.dispose()


def _baseline(services: Services) -> tuple[float, int]:
    """Seconds to SHA-256 every entry's stored bytes once (read first, so only hashing is timed)."""
    with services.db.db_engine.connect() as conn:
        bodies = [r[0].encode() for r in conn.execute(select(AuditEntry.body).order_by(AuditEntry.seq))]
    start = time.perf_counter()
    for body in bodies:
        hashlib.sha256(b"\x00" + body).digest()
    return time.perf_counter() - start, len(bodies)


def _timed(call: Any) -> tuple[Any, float, float]:
    """(the one report of ``call()``, wall seconds, CPU seconds of this process)."""
    wall, cpu = time.perf_counter(), time.process_time()
    [report] = call()
    return report, time.perf_counter() - wall, time.process_time() - cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--added", type=int, default=1_000, help="entries added before the incremental verify")
    parser.add_argument("--db", default="sqlite")
    parser.add_argument("--all-signatures", action="store_true", help="also time the pass checking every signature")
    parser.add_argument("--profile", type=Path, help="write a pyinstrument profile (.html or .txt) of the full pass")
    parser.add_argument("--keep", action="store_true", help="keep the database (prints where)")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="tk-verify-"))
    schema = None
    if args.db == "sqlite":
        url = f"sqlite:///{tmp / 'bench.db'}"
    else:
        url = args.db
        schema = _schema(url)
        if schema:
            _admin(url, f"DROP SCHEMA IF EXISTS {schema} CASCADE")
            _admin(url, f"CREATE SCHEMA {schema}")
    services = Services(Settings(db_url=url, key_path=tmp / "k.key"), clock=lambda: NOW)
    try:
        services.init()
        services.import_org(DEMO_ORG)
        template = _run_template(services, tmp)
        filler = _Filler(services, template)
        started = time.perf_counter()
        bulk = args.entries - 4
        start_at = NOW - timedelta(days=1, seconds=args.entries + args.added)
        cases = filler.fill(bulk, 2, start_at) + 1
        print(f"database: {services.db.dialect}; built {args.entries:,} entries ({cases:,} cases) "
              f"in {time.perf_counter() - started:.0f} s")

        hash_s, n = _baseline(services)
        assert n == args.entries, n
        profiler = None
        if args.profile:
            from pyinstrument import Profiler

            profiler = Profiler(interval=0.005)
            profiler.start()
        full, full_s, full_cpu = _timed(lambda: services.verify(COOP))
        if profiler is not None:
            profiler.stop()
            output = profiler.output_html() if args.profile.suffix == ".html" else profiler.output_text(unicode=True)
            args.profile.write_text(output, encoding="utf-8")
        assert full.ok, full.findings[:3]
        print(f"baseline sha256:          {hash_s:8.2f} s   {_per(hash_s, n):8.2f} µs/entry")
        print(f"audit verify:             {full_s:8.2f} s   {_per(full_s, n):8.2f} µs/entry   "
              f"{full_s / hash_s:5.0f}x baseline   (CPU of this process {full_cpu:.2f} s; "
              f"{full.signatures} signatures checked)")
        if args.all_signatures:
            every, every_s, every_cpu = _timed(lambda: services.verify(COOP, all_signatures=True))
            assert every.ok, every.findings[:3]
            print(f"audit verify --penuh:     {every_s:8.2f} s   {_per(every_s, n):8.2f} µs/entry   "
                  f"{every_s / hash_s:5.0f}x baseline   (CPU {every_cpu:.2f} s; {every.signatures} signatures checked)")

        filler.fill(args.added - 4, 1 + cases, NOW - timedelta(days=1, seconds=args.added))
        _run_template(services, tmp)  # and one case through the real decision path on top
        since, since_s, since_cpu = _timed(lambda: services.verify(COOP, since_last=True))
        assert since.ok and since.since == args.entries and since.size == args.entries + args.added, since
        added = since.entries_checked
        print(f"audit verify --sejak-terakhir, {added:,} new entries: {since_s * 1e3:8.1f} ms   "
              f"{_per(since_s, added):8.2f} µs/new entry   (CPU {since_cpu * 1e3:.1f} ms; "
              f"{since.signatures} signatures checked)")
        again, again_s, _ = _timed(lambda: services.verify(COOP, since_last=True))
        assert again.ok and again.entries_checked == 0
        print(f"audit verify --sejak-terakhir, nothing new: {again_s * 1e3:8.1f} ms")
    finally:
        services.db.dispose()
        if args.keep:
            print(f"kept: {url} (signing key {tmp / 'k.key'})")
        else:
            if schema:
                _admin(url, f"DROP SCHEMA IF EXISTS {schema} CASCADE")
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
