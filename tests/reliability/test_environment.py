"""When the environment fails (busy, full, read-only, unreachable), the command says so and changes nothing.

Each fault is produced for real: a second process holding SQLite's write lock, a tiny tmpfs filled up
(as root) or SQLite's ``max_page_count``, a write-protected copy (a read-only mount as root, ``chmod``
otherwise, a ``mode=ro`` URL always), a port nobody listens on, a ``.invalid`` host, a database and a
role that do not exist. Every answer is a named error with its own exit code and an Indonesian message
that carries no SQL, parameters or driver text; nothing is half written; the command works again once
the fault is gone.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import resource
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import event, text

from engine.adapters.store.db import BUSY_TIMEOUT, Database
from engine.errors import EXIT_CONFIG, EXIT_TEMPFAIL, EXIT_UNEXPECTED, EnvironmentFaultError, StorageFullError
from engine.services import Services
from engine.services.outcomes import begin_run, saved_sentence
from tests.conftest import ON_POSTGRES
from tests.helpers import COOP, start_kas
from tests.reliability.store_invariants import ROOT, cli, store_problems

DRIVER_TEXT = ("INSERT", "SELECT", "UPDATE ", "psycopg", "sqlite3", "sqlalche", "Traceback", "FATAL", "Errno")
needs_sqlite = pytest.mark.skipif(ON_POSTGRES, reason="a fault of a SQLite file")


def clean(result: subprocess.CompletedProcess[str]) -> None:
    """No driver text, SQL or traceback reaches the person."""
    for word in DRIVER_TEXT:
        assert word not in result.stderr and word not in result.stdout, (word, result.stderr)


def env_of(services: Services, db_url: str | None = None) -> dict[str, str]:
    return {"TATAKELOLA_DB": db_url or services.settings.db_url,
            "TATAKELOLA_KEY": str(services.settings.resolved_key_path)}


def start_args(nota: Path) -> list[str]:
    return ["case", "start", "pengeluaran_kas", "--coop", COOP, "--as", "fajar", "--set", "keperluan=ATK",
            "--set", "jumlah=150000", "--set", "pos_rapb=Alat tulis kantor", "--set", "penerima=Toko Maju",
            "--attach", f"nota={nota}"]


def a_nota(tmp_path: Path, name: str = "nota.pdf") -> Path:
    nota = tmp_path / name
    nota.write_bytes(f"%PDF-1.4\n% {name}\n".encode())
    return nota


def counts(db_url: str) -> dict[str, int]:
    db = Database(db_url)
    try:
        with db.reader() as session:
            return {t: int(session.execute(text(f"SELECT count(*) FROM {t}")).scalar_one())
                    for t in ("cases", "case_events", "audit_entries", "attachments", "data_revisions")}
    finally:
        db.dispose()


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def sqlite_copy(services: Services, target: Path) -> Path:
    """A consistent copy of the test's SQLite database (as a backup is made), holding one started case."""
    start_kas(services, 150_000, a_nota(target.parent.parent, "asli.pdf"))
    source = services.db.sqlite_path
    assert source is not None
    target.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.closing(sqlite3.connect(source)) as src, contextlib.closing(sqlite3.connect(target)) as dst:
        src.backup(dst)
    return target


@contextlib.contextmanager
def tmpfs(where: Path, size: str) -> Iterator[Path]:
    """A small tmpfs (root only); skips when mounting is not permitted."""
    where.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("tmpfs needs root")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"mount not permitted: {mounted.stderr.strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], capture_output=True)


def fill_leaving(folder: Path, free: int) -> Path:
    """Fill a file system until about ``free`` bytes are left."""
    import shutil

    filler = folder / "pengisi"
    with filler.open("wb", buffering=0) as handle:
        while shutil.disk_usage(folder).free > free + (1 << 16):
            handle.write(b"\0" * min(1 << 20, shutil.disk_usage(folder).free - free))
    return filler


def fill(folder: Path) -> Path:
    """Fill a file system to the last byte with one file; returns it (delete it to free the space)."""
    filler = folder / "pengisi"
    with filler.open("wb", buffering=0) as handle:
        for size in (1 << 20, 4096, 1):
            with contextlib.suppress(OSError):
                while handle.write(b"\0" * size):
                    pass
    return filler


# -- busy ---------------------------------------------------------------------------------------------------


@needs_sqlite
def test_a_writer_kept_waiting_is_told_the_database_is_busy_and_can_retry(services: Services,
                                                                          tmp_path: Path) -> None:
    env = {**env_of(services), "TATAKELOLA_BUSY_TIMEOUT": "2"}  # the operator's knob (default BUSY_TIMEOUT)
    path = services.db.sqlite_path
    before = counts(services.settings.db_url)
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sqlite3, sys, time\n"
        f"c = sqlite3.connect({str(path)!r}, isolation_level=None)\n"
        "c.execute('BEGIN IMMEDIATE'); print('held', flush=True); sys.stdin.readline()\n")],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        began = time.monotonic()
        refused = cli(*start_args(a_nota(tmp_path)), env=env)
        waited = time.monotonic() - began
        assert refused.returncode == EXIT_TEMPFAIL, refused.stderr
        assert "Basis data sedang sibuk" in refused.stderr and "coba lagi" in refused.stderr
        clean(refused)
        assert 2 <= waited < BUSY_TIMEOUT, waited  # the wait set, not the default 10 s nor the old 30 s + crash
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=30)
    assert counts(services.settings.db_url) == before
    retried = cli(*start_args(a_nota(tmp_path)), env=env)
    assert retried.returncode == 0, retried.stderr
    assert counts(services.settings.db_url)["cases"] == before["cases"] + 1
    assert not store_problems(services.settings.db_url)


# -- disk full ----------------------------------------------------------------------------------------------


def test_a_full_database_is_a_named_error_and_keeps_nothing(services: Services, tmp_path: Path) -> None:
    """SQLite's page limit (or PostgreSQL's own answer) makes the database full, for any user."""
    if ON_POSTGRES:
        pytest.skip("max_page_count is SQLite's; a full PostgreSQL disk is the tmpfs test's")
    with services.db.reader() as session:
        pages = int(session.execute(text("PRAGMA page_count")).scalar_one())
    db = Database(services.settings.db_url)

    @event.listens_for(db.db_engine, "connect")
    def _limit(dbapi_connection: object, _record: object) -> None:
        dbapi_connection.execute(f"PRAGMA max_page_count={pages}")  # type: ignore[attr-defined]

    before = counts(services.settings.db_url)
    with pytest.raises(StorageFullError) as caught, db.session() as session:
        session.execute(text("CREATE TABLE pengisi (isi BLOB)"))
        session.execute(text("INSERT INTO pengisi VALUES (:isi)"), {"isi": b"rahasia" * 100_000})
    assert caught.value.exit_code == EXIT_CONFIG and caught.value.fault == "disk_full"
    assert "penuh" in caught.value.message
    assert "INSERT" not in caught.value.message and "rahasia" not in caught.value.message
    db.dispose()
    assert counts(services.settings.db_url) == before
    with services.db.reader() as session:  # the whole unit was rolled back, the table too
        assert session.execute(text("SELECT count(*) FROM sqlite_master WHERE name = 'pengisi'")).scalar() == 0
    assert not store_problems(services.settings.db_url)


@needs_sqlite
def test_a_full_disk_refuses_a_case_cleanly_and_recovers(services: Services, tmp_path: Path) -> None:
    disk = tmp_path / "disk"
    with tmpfs(disk, "8m"):
        copy = sqlite_copy(services, disk / "tatakelola.db")
        # attachments kept as files on the same full disk: the one write that can be cut half-way
        env = {**env_of(services, f"sqlite:///{copy}"), "TATAKELOLA_ATTACHMENTS": str(disk / "lampiran")}
        nota = a_nota(tmp_path)
        nota.write_bytes(nota.read_bytes() + b"%" * 300_000)  # bigger than what is left below
        before = counts(env["TATAKELOLA_DB"])
        (disk / "lampiran").mkdir()
        filler = fill_leaving(disk, 200_000)  # the database pages still fit, the 300 kB nota does not
        refused = cli(*start_args(nota), env=env)
        assert refused.returncode == EXIT_CONFIG, refused.stdout + refused.stderr
        assert "penuh" in refused.stderr
        clean(refused)
        assert not list(disk.rglob("*.tmp")), list(disk.rglob("*.tmp"))  # no half-written attachment left
        filler.unlink()
        assert counts(env["TATAKELOLA_DB"]) == before
        assert not store_problems(env["TATAKELOLA_DB"], disk / "berkas")
        again = cli(*start_args(nota), env=env)
        assert again.returncode == 0, again.stderr
        assert counts(env["TATAKELOLA_DB"])["cases"] == before["cases"] + 1


@needs_sqlite
def test_init_on_a_full_disk_leaves_no_empty_key_to_block_the_next_init(tmp_path: Path) -> None:
    disk = tmp_path / "disk"
    with tmpfs(disk, "1m"):
        key = disk / "kunci.key"
        env = {"TATAKELOLA_DB": f"sqlite:///{tmp_path / 'tk.db'}", "TATAKELOLA_KEY": str(key)}
        filler = fill(disk)
        refused = cli("init", env=env)
        assert refused.returncode == EXIT_CONFIG, refused.stdout + refused.stderr
        assert "penuh" in refused.stderr and str(key) in refused.stderr
        clean(refused)
        assert sorted(p.name for p in disk.iterdir()) == ["pengisi"]  # no key, no temporary file
        filler.unlink()
        done = cli("init", env=env)
        assert done.returncode == 0, done.stderr
        assert key.read_bytes().startswith(b"# tatakelola signing key: ")
        assert key.stat().st_mode & 0o777 == 0o600


def _limit_file_size() -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (64, 64))


def test_a_key_that_cannot_be_written_leaves_nothing_and_an_empty_one_is_replaced(services: Services,
                                                                                  tmp_path: Path) -> None:
    """Any user: a file-size limit of 64 bytes makes the key write fail part-way (as a full disk does)."""
    key = tmp_path / "baru" / "kunci.key"
    env = {**env_of(services), "TATAKELOLA_KEY": str(key), "COLUMNS": "200"}
    refused = subprocess.run([sys.executable, "-m", "engine", "init"], capture_output=True, text=True,
                             env={**os.environ, **env}, cwd=ROOT, timeout=120, preexec_fn=_limit_file_size)
    assert refused.returncode == EXIT_CONFIG, refused.stdout + refused.stderr
    assert "penuh" in refused.stderr
    clean(refused)
    assert list(key.parent.iterdir()) == []
    key.write_bytes(b"")  # what an older version left behind after a failed write
    done = cli("init", env=env)
    assert done.returncode == 0, done.stderr
    assert key.read_bytes().startswith(b"# tatakelola signing key: ") and key.stat().st_mode & 0o777 == 0o600


# -- read-only ----------------------------------------------------------------------------------------------


def _reads_and_refuses_writes(services: Services, url: str, db_file: Path, tmp_path: Path, *,
                              also_list: bool = True) -> None:
    env = env_of(services, url)
    fingerprint = sha(db_file)
    checked = cli("audit", "verify", env=env)
    assert checked.returncode == 0 and "utuh" in checked.stdout, checked.stdout + checked.stderr
    if also_list:
        listed = cli("case", "list", env=env)
        assert listed.returncode == 0 and "KAS/2026/0001" in listed.stdout, listed.stderr
    refused = cli(*start_args(a_nota(tmp_path)), env=env)
    assert refused.returncode == EXIT_CONFIG, refused.stdout + refused.stderr
    assert "hanya dapat dibaca" in refused.stderr
    clean(refused)
    assert sha(db_file) == fingerprint


@needs_sqlite
def test_a_mode_ro_url_verifies_reads_and_refuses_writes(services: Services, tmp_path: Path) -> None:
    copy = sqlite_copy(services, tmp_path / "salinan" / "tatakelola.db")
    _reads_and_refuses_writes(services, f"sqlite:///file:{copy}?mode=ro&uri=true", copy, tmp_path)


@needs_sqlite
def test_a_backup_on_write_protected_media_verifies(services: Services, tmp_path: Path) -> None:
    """As root a read-only mount (root's writes are refused too); otherwise a chmod-protected folder."""
    media = tmp_path / "media"
    if os.geteuid() == 0:
        with tmpfs(media, "16m"):
            copy = sqlite_copy(services, media / "tatakelola.db")
            remount = subprocess.run(["mount", "-o", "remount,ro", str(media)], capture_output=True, text=True)
            if remount.returncode != 0:
                pytest.skip(f"remount read-only not permitted: {remount.stderr.strip()}")
            _reads_and_refuses_writes(services, f"sqlite:///{copy}", copy, tmp_path, also_list=False)
            assert sorted(p.name for p in media.iterdir()) == ["tatakelola.db"]
        return
    copy = sqlite_copy(services, media / "tatakelola.db")
    copy.chmod(0o444)
    media.chmod(0o555)
    try:
        _reads_and_refuses_writes(services, f"sqlite:///{copy}", copy, tmp_path)
    finally:
        media.chmod(0o755)


# -- unreachable PostgreSQL ---------------------------------------------------------------------------------


def _unused_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _local_postgres() -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", 5432)) == 0


@pytest.mark.parametrize(("url", "message", "needs_server"), [
    (lambda: f"postgresql://postgres@127.0.0.1:{_unused_port()}/test", "tidak dapat dihubungi", False),
    (lambda: "postgresql://postgres@basisdata.invalid:5432/test", "tidak dikenal", False),
    (lambda: "postgresql://postgres@127.0.0.1:5432/tidak_ada", "'tidak_ada' tidak ada", True),
    (lambda: "postgresql://peran_tidak_ada@127.0.0.1:5432/test", "menolak login", True),
], ids=["refused", "unknown-host", "missing-database", "unknown-role"])
def test_an_unreachable_postgresql_is_a_named_error(url: object, message: str, needs_server: bool,
                                                    tmp_path: Path) -> None:
    if needs_server and not _local_postgres():
        pytest.skip("no PostgreSQL at 127.0.0.1:5432")
    assert callable(url)
    env = {"TATAKELOLA_DB": url(), "TATAKELOLA_KEY": str(tmp_path / "k.key")}
    reads = [["audit", "verify"]] if not needs_server else []  # the same boundary: one read is enough
    for args in (start_args(a_nota(tmp_path)), *reads):
        result = cli(*args, env=env, timeout=60)
        assert result.returncode == EXIT_CONFIG, (args, result.stdout + result.stderr)
        assert message in result.stderr, result.stderr
        clean(result)
    assert not (tmp_path / "k.key").exists()


# -- the unexpected-error path tells the truth ------------------------------------------------------------

_CRASH = """
import sys
from engine.services.facade import Services
original = Services.start_case

def start_case(self, *args, **kwargs):
    if {before}:
        raise RuntimeError("rusak sebelum menyimpan")
    view = original(self, *args, **kwargs)
    raise RuntimeError("rusak sesudah menyimpan")

Services.start_case = start_case
from engine.cli import main
sys.argv = ["tatakelola", *sys.argv[1:]]
main()
"""


@pytest.mark.parametrize("before", [True, False], ids=["before-commit", "after-commit"])
def test_an_unexpected_error_says_truly_whether_anything_was_saved(services: Services, tmp_path: Path,
                                                                   before: bool) -> None:
    env = {**os.environ, **env_of(services), "COLUMNS": "200"}
    env.pop("TATAKELOLA_DEBUG", None)
    was = counts(services.settings.db_url)["cases"]
    result = subprocess.run([sys.executable, "-c", _CRASH.format(before=before), *start_args(a_nota(tmp_path))],
                            capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    assert result.returncode == EXIT_UNEXPECTED, result.stderr
    assert "Traceback" not in result.stderr
    now = counts(services.settings.db_url)["cases"]
    if before:
        assert now == was and "Tidak ada perubahan yang disimpan" in result.stderr
    else:
        assert now == was + 1
        assert "Tidak ada perubahan yang disimpan" not in result.stderr and "SUDAH tersimpan" in result.stderr


_DRIVER_CRASH = """
import sys
from sqlalchemy.exc import ProgrammingError
from engine.services.facade import Services

def list_cases(self, *args, **kwargs):
    raise ProgrammingError("INSERT INTO cases (number) VALUES (?)", ("NIK 3201234567890001",), Exception("boom"))

Services.list_cases = list_cases
from engine.cli import main
sys.argv = ["tatakelola", "case", "list"]
main()
"""


def test_an_unexpected_driver_error_does_not_echo_sql_or_data(services: Services) -> None:
    env = {**os.environ, **env_of(services), "COLUMNS": "200"}
    env.pop("TATAKELOLA_DEBUG", None)
    result = subprocess.run([sys.executable, "-c", _DRIVER_CRASH], capture_output=True, text=True, env=env,
                            cwd=ROOT, timeout=120)
    assert result.returncode == EXIT_UNEXPECTED, result.stderr
    assert "ProgrammingError" in result.stderr and "Tidak ada perubahan yang disimpan" in result.stderr
    assert "INSERT" not in result.stderr and "3201234567890001" not in result.stderr


@pytest.mark.skipif(not ON_POSTGRES, reason="a PostgreSQL backend ended during COMMIT")
def test_a_commit_cut_off_by_the_server_is_reported_as_in_doubt(services: Services) -> None:
    """The server ends the session inside COMMIT (a deferred trigger terminates its own backend): the
    client cannot know the outcome, and says exactly that, never "nothing was saved"."""
    with services.db.session() as session:
        session.execute(text(
            "CREATE FUNCTION putus() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN PERFORM pg_terminate_backend(pg_backend_pid()); RETURN NULL; END $$"))
        session.execute(text(
            "CREATE CONSTRAINT TRIGGER putus AFTER UPDATE ON cooperatives DEFERRABLE INITIALLY DEFERRED "
            "FOR EACH ROW WHEN (NEW.name = 'putus') EXECUTE FUNCTION putus()"))
    begin_run()
    with pytest.raises(EnvironmentFaultError) as caught, services.db.session() as session:
        session.execute(text(f"UPDATE cooperatives SET name = 'putus' WHERE slug = '{COOP}'"))
    assert caught.value.exit_code == EXIT_CONFIG
    assert "tidak dapat dipastikan" in caught.value.message
    clean_text = caught.value.message
    assert all(word not in clean_text for word in DRIVER_TEXT)
    assert "Tidak dapat dipastikan" in saved_sentence()
    with services.db.reader() as session:  # a fresh connection answers: the trigger killed only that one
        assert session.execute(text("SELECT count(*) FROM cooperatives")).scalar_one() >= 1
