"""Load benchmark of the web app: 50 signed-in people on PostgreSQL, against ``serve --workers N``.

    .venv/bin/python bench/load/run.py [--db postgresql://postgres@127.0.0.1:5432/test] [--workers 2]
        [--users 50] [--spawn-rate 10] [--time 45s] [--cases 300] [--wait 0.5-1.5] [--profile DIR]

1. Makes a fresh PostgreSQL schema (``--schema``, default ``bench_load``; dropped afterwards
   unless ``--keep``), imports the demo organisation (``engine/demo``), gives every demo login its
   published password and opens ``--cases`` cases: a third waiting in draft for the manajer, a
   third waiting for the bendahara's verification, a third (above the manajer's limit) waiting
   for the ketua; one in ten is a board decision waiting for the pengurus' votes instead.
2. Starts ``tatakelola serve --workers N`` on that schema (or, with ``--profile DIR``, the same
   app under ``bench/load/profiling.py``, which writes a pyinstrument profile per page into DIR).
3. Runs ``locust --headless`` with ``bench/load/locustfile.py``: every user signs in as a demo
   login, then asks for /sehat, /login, /tugas and a random case's step page, with a pause of
   ``--wait`` seconds between requests. Statistics are reset once the last user has signed in.
4. Prints p50/p95 per page and the ratio of the /tugas and step-page p95 to the p95 of /sehat
   (the trivial endpoint, no database) measured in the same run; exits 1 when a ratio is above
   ``--target`` (3) or a request failed.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402

from engine.demo import DEMO_CITY, DEMO_MEMBERS, DEMO_ORG, demo_password, set_demo_passwords  # noqa: E402
from engine.services import Services  # noqa: E402
from engine.settings import Settings, normalise_url  # noqa: E402

COOP = "kkmp-sentanan"
#: Demo logins of the KKMP with a role today (wahyu's term has ended; he cannot sign in).
LOGINS = ("sri", "bambang", "fajar", "rina", "dwi", "endang", "agus", "heru", "nuraini", "siti", "joko", "lilik")
BIN = Path(sys.executable).parent
TRIVIAL = "/sehat"
MEASURED = ("/tugas", "/k/[koperasi]/kasus/[nomor]")


def _schema_url(base: str, schema: str) -> str:
    separator = "&" if "?" in base else "?"
    return f"{base}{separator}options={quote(f'-csearch_path={schema}')}"


def _fresh_schema(base: str, schema: str, *, drop_only: bool = False) -> None:
    engine = create_engine(normalise_url(base))
    with engine.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        if not drop_only:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()


def prepare(url: str, key: Path, cases: int, work: Path) -> list[str]:
    """The demo organisation with ``cases`` open cases; the step-page URLs of those cases."""
    services = Services(Settings(db_url=url, key_path=key))
    services.init()
    for org in (DEMO_ORG, DEMO_CITY, DEMO_MEMBERS):
        services.import_org(org)
    set_demo_passwords(services)
    nota = work / "nota.pdf"
    nota.write_bytes(b"%PDF-1.4\n% bench/load\n%%EOF\n")
    today = services.today().isoformat()
    urls = []
    for i in range(cases):
        if i % 10 == 9:  # a board decision, 4 of 5 pengurus present, waiting for their votes
            number = services.start_case("keputusan_rapat_pengurus", COOP, "rina", values={
                "judul": f"Keputusan uji beban {i}", "uraian": "Dibuat oleh bench/load.", "tanggal_rapat": today,
                "hadir": "bambang,dwi,rina,sri"}, files={"notulen": nota}).summary.number
            services.act(number, "ajukan", "rina", checks=["undangan_terkirim", "daftar_hadir"])
        else:
            amount = 300_000 if i % 3 != 2 else 2_500_000
            number = services.start_case("pengeluaran_kas", COOP, "fajar", values={
                "keperluan": f"Belanja uji beban {i}", "jumlah": str(amount), "pos_rapb": "Alat tulis kantor",
                "penerima": "Toko Uji"}, files={"nota": nota}).summary.number
            if i % 3 != 0:
                services.act(number, "ajukan", "fajar", checks=["nota_terlampir", "pos_sesuai"])
            if i % 3 == 2:
                services.act(number, "verifikasi", "sri", checks=["jumlah_sesuai_nota", "saldo_cukup", "pos_tersedia"])
        urls.append(f"/k/{COOP}/kasus/{number}")
    services.db.dispose()
    return urls


def _wait_until_up(base: str, server: subprocess.Popen[bytes], seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"server stopped early (exit {server.returncode})")
        try:
            with urllib.request.urlopen(base + TRIVIAL, timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise SystemExit("server did not answer /sehat in time")


def _stop(server: subprocess.Popen[bytes], grace: float = 20) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGINT)  # its own process group: the supervisor and its workers
        try:
            server.wait(grace)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(5)


def _report(stats_csv: Path, target: float) -> int:
    rows = {row["Name"]: row for row in csv.DictReader(stats_csv.open(encoding="utf-8"))
            if row["Name"] != "Aggregated" and int(row["Request Count"])}  # sign-ins: none after the reset
    print(f"\n{'page':34} {'requests':>8} {'failed':>6} {'req/s':>6} {'p50 ms':>7} {'p95 ms':>7} "
          f"{'p95 / ' + TRIVIAL:>12}")
    base = float(rows[TRIVIAL]["95%"]) if TRIVIAL in rows else float("nan")
    failed = 0
    for name, row in sorted(rows.items()):
        p95 = float(row["95%"])
        failed += int(row["Failure Count"])
        print(f"{name:34} {row['Request Count']:>8} {row['Failure Count']:>6} {float(row['Requests/s']):6.1f} "
              f"{float(row['50%']):7.0f} {p95:7.0f} {p95 / base:11.1f}x")
    worst = max(float(rows[n]["95%"]) / base if n in rows else float("inf") for n in MEASURED)
    verdict = "OK" if worst <= target and failed == 0 else "NOT MET"
    print(f"\nworst p95 ratio of {', '.join(MEASURED)} to {TRIVIAL}: {worst:.1f}x (target <= {target:g}x); "
          f"failed requests: {failed} -> {verdict}")
    return 0 if verdict == "OK" else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default="postgresql://postgres@127.0.0.1:5432/test",
                        help="a PostgreSQL URL; the benchmark works in its own schema of that database")
    parser.add_argument("--schema", default="bench_load")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--spawn-rate", type=float, default=10)
    parser.add_argument("--time", default="45s", help="locust run time after the ramp-up, e.g. 45s")
    parser.add_argument("--cases", type=int, default=300)
    parser.add_argument("--wait", default="0.5-1.5", help="pause between one user's requests, seconds (MIN-MAX)")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--target", type=float, default=3.0)
    parser.add_argument("--profile", type=Path, help="profile each page with pyinstrument; reports go here")
    parser.add_argument("--source", type=Path, default=ROOT,
                        help="serve the engine of this source tree (e.g. an export of the commit before), "
                             "with this venv; the schema is prepared by the tree run.py is in")
    parser.add_argument("--keep", action="store_true", help="keep the schema (and reuse it with --reuse)")
    parser.add_argument("--reuse", action="store_true", help="reuse the schema a --keep run left")
    args = parser.parse_args()
    if not args.db.startswith("postgres"):
        raise SystemExit("--db must be a postgresql:// URL")

    work = Path(tempfile.mkdtemp(prefix="tk-load-"))
    url = _schema_url(args.db, args.schema)
    key = work / "signing.key"
    cases_file = Path(tempfile.gettempdir()) / f"tk-load-{args.schema}.json"
    if args.reuse and cases_file.exists():
        data = json.loads(cases_file.read_text(encoding="utf-8"))
        key = Path(data["key"])
        services = Services(Settings(db_url=url, key_path=key))
        services.init()  # upgraded to the newest migration
        services.db.dispose()
        print(f"reusing schema {args.schema} ({len(data['cases'])} cases)")
    else:
        started = time.perf_counter()
        _fresh_schema(args.db, args.schema)
        urls = prepare(url, key, args.cases, work)
        data = {"logins": [[u, demo_password(u)] for u in LOGINS], "cases": urls, "key": str(key)}
        cases_file.write_text(json.dumps(data), encoding="utf-8")
        print(f"schema {args.schema}: demo organisation and {len(urls)} open cases "
              f"in {time.perf_counter() - started:.0f} s")

    env = {**os.environ, "BENCH_LOAD_DATA": str(cases_file), "BENCH_LOAD_WAIT": args.wait,
           "TATAKELOLA_SECRET": "bench-load-secret-" + args.schema}
    base = f"http://127.0.0.1:{args.port}"
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
        env.update(TATAKELOLA_DB=url, TATAKELOLA_KEY=str(key), BENCH_PROFILE_DIR=str(args.profile.resolve()))
        command = [str(BIN / "uvicorn"), "profiling:app", "--factory", "--app-dir", str(Path(__file__).parent),
                   "--workers", str(args.workers), "--port", str(args.port), "--log-level", "warning"]
    else:  # `tatakelola` of the source tree (python -c puts the working directory first on the path)
        command = [sys.executable, "-c", "from engine.cli import main; main()", "--db", url, "--key", str(key),
                   "serve", "--workers", str(args.workers), "--port", str(args.port)]
    print("server:", " ".join(command), f"(in {args.source})")
    server = subprocess.Popen(command, env=env, cwd=args.source.resolve(), start_new_session=True)
    try:
        _wait_until_up(base, server)
        prefix = work / "locust"
        locust = [str(BIN / "locust"), "-f", str(Path(__file__).with_name("locustfile.py")), "--headless",
                  "-u", str(args.users), "-r", str(args.spawn_rate), "-t", args.time, "--host", base,
                  "--csv", str(prefix), "--only-summary", "--loglevel", "WARNING"]
        print("load:  ", " ".join(locust))
        log = work / "locust.log"
        with log.open("wb") as output:
            subprocess.run(locust, env=env, cwd=ROOT, check=False, stdout=output, stderr=subprocess.STDOUT)
        print(f"locust's own summary: {log}")
    finally:
        _stop(server, grace=180 if args.profile else 20)  # profiling workers write their reports first
        if not args.keep:
            _fresh_schema(args.db, args.schema, drop_only=True)
            cases_file.unlink(missing_ok=True)
    return _report(prefix.with_name("locust_stats.csv"), args.target)


if __name__ == "__main__":
    sys.exit(main())
