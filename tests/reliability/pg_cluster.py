"""Throwaway PostgreSQL clusters for tests: a primary and a synchronous streaming standby on free local ports.

Built with the server's own tools (``initdb``, ``pg_ctl``, ``pg_basebackup``) in a temporary folder, run as the
``postgres`` OS user when the tests run as root (``initdb`` refuses root), as the current user otherwise. Nothing
here touches the machine's own cluster: every cluster listens on 127.0.0.1 on a port of its own and keeps its
socket in its own folder.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, text

from engine.settings import normalise_url

__all__ = ["PgCluster", "StandbyPair", "server_bin", "sync_pair", "unavailable_reason"]

#: Name the standby gives itself (``application_name``); the primary waits for exactly this one.
STANDBY_NAME = "standby1"
_OS_USER = "postgres"


def server_bin() -> Path | None:
    """The folder holding ``initdb``/``pg_ctl``/``pg_basebackup`` (Debian's newest version first), if any."""
    override = os.environ.get("TATAKELOLA_PG_BIN")
    candidates = [Path(override)] if override else sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    for folder in candidates:
        if all((folder / tool).is_file() for tool in ("initdb", "pg_ctl", "pg_basebackup", "postgres")):
            return folder
    on_path = shutil.which("pg_ctl")
    if on_path and shutil.which("initdb") and shutil.which("pg_basebackup"):
        return Path(on_path).parent
    return None


def unavailable_reason() -> str | None:
    """Why clusters of our own cannot be made here (None: they can)."""
    if server_bin() is None:
        return "program server PostgreSQL (initdb, pg_ctl, pg_basebackup) tidak terpasang"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(_OS_USER)
        except KeyError:
            return f"berjalan sebagai root tetapi pengguna OS '{_OS_USER}' tidak ada (initdb menolak root)"
        if shutil.which("runuser") is None:
            return "berjalan sebagai root tetapi `runuser` tidak ada untuk menjalankan initdb sebagai postgres"
    return None


def _as_server_user(argv: list[str]) -> list[str]:
    return ["runuser", "-u", _OS_USER, "--", *argv] if os.geteuid() == 0 else argv


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _run(argv: list[str], timeout: float = 120) -> str:
    done = subprocess.run(_as_server_user(argv), capture_output=True, text=True, timeout=timeout, cwd="/")
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} -> {done.returncode}\n{done.stdout}\n{done.stderr}")
    return done.stdout


@dataclass
class PgCluster:
    """One cluster: its data folder, port and the server tools that run it."""

    name: str
    data: Path
    port: int
    bin: Path

    @property
    def log(self) -> Path:
        return self.data.parent / f"{self.name}.log"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def configure(self, **settings: str) -> None:
        """Append settings to postgresql.conf (the last line of a name wins)."""
        lines = [f"{key} = '{value}'" for key, value in settings.items()]
        _run(["sh", "-c", f"printf '%s\\n' \"$@\" >> {self.data}/postgresql.conf", "sh", *lines])

    def start(self) -> None:
        _run([str(self.bin / "pg_ctl"), "start", "-w", "-t", "60", "-D", str(self.data), "-l", str(self.log)])

    def promote(self) -> None:
        _run([str(self.bin / "pg_ctl"), "promote", "-w", "-t", "60", "-D", str(self.data)])

    def postmaster_pid(self) -> int | None:
        pid_file = self.data / "postmaster.pid"
        try:
            return int(pid_file.read_text().splitlines()[0])
        except (OSError, ValueError, IndexError):
            return None

    def kill_hard(self) -> int:
        """SIGKILL the postmaster and every child it has (no shutdown of any kind); how many processes died.

        The postmaster is frozen first (SIGSTOP) so it forks nothing while its children are listed.
        """
        pid = self.postmaster_pid()
        assert pid is not None, f"{self.name} tidak berjalan"
        os.kill(pid, signal.SIGSTOP)
        children = _children(pid)
        for victim in (pid, *children):
            with suppress(ProcessLookupError):
                os.kill(victim, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while any(_alive(p) for p in (pid, *children)) and time.monotonic() < deadline:
            time.sleep(0.02)
        return 1 + len(children)

    def stop(self) -> None:
        """Stop it if it runs (immediate), and free the shared memory a killed postmaster left behind."""
        pid = self.postmaster_pid()
        if pid is not None and _alive(pid):
            subprocess.run(_as_server_user([str(self.bin / "pg_ctl"), "stop", "-m", "immediate", "-w", "-D",
                                            str(self.data)]), capture_output=True, timeout=60, cwd="/")
        _drop_shared_memory(self.data / "postmaster.pid")

    def scalar(self, sql: str, database: str = "postgres") -> object:
        """The first column of the first row of a query (None for a statement), run outside a transaction."""
        db_engine = create_engine(normalise_url(self.url(database)), isolation_level="AUTOCOMMIT")
        try:
            with db_engine.connect() as conn:
                result = conn.execute(text(sql))
                return result.scalar() if result.returns_rows else None
        finally:
            db_engine.dispose()


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _drop_shared_memory(pid_file: Path) -> None:
    """Remove the System V segment named in a dead postmaster's pid file, if no process is attached to it."""
    try:
        lines = pid_file.read_text().splitlines()
        segment = int(lines[6].split()[1])
    except (OSError, ValueError, IndexError):
        return
    shown = subprocess.run(["ipcs", "-m", "-i", str(segment)], capture_output=True, text=True, timeout=10)
    if shown.returncode == 0 and "nattch=0" in shown.stdout.replace(" ", ""):
        subprocess.run(["ipcrm", "-m", str(segment)], capture_output=True, timeout=10)


@dataclass
class StandbyPair:
    """A primary that commits only once ``standby1`` has flushed the WAL, and that standby."""

    root: Path
    primary: PgCluster
    standby: PgCluster

    def replication(self) -> object:
        """``application_name/sync_state/state`` of the primary's standbys, as one string."""
        return self.primary.scalar(
            "SELECT string_agg(application_name || '/' || sync_state || '/' || state, ',') FROM pg_stat_replication")


def _new_root() -> Path:
    root = Path(tempfile.mkdtemp(prefix="tatakelola-standby-"))
    if os.geteuid() == 0:
        entry = pwd.getpwnam(_OS_USER)
        os.chown(root, entry.pw_uid, entry.pw_gid)
    root.chmod(0o700)
    return root


@contextmanager
def sync_pair(database: str, *, synchronous_commit: str = "on") -> Iterator[StandbyPair]:
    """Create, start and tear down a primary and its synchronous standby (``sync`` in pg_stat_replication).

    Both clusters are stopped and their folder removed on leaving, whatever happened inside.
    """
    folder = server_bin()
    assert folder is not None, unavailable_reason()
    root = _new_root()
    primary = PgCluster("primary", root / "primary", _free_port(), folder)
    standby = PgCluster("standby", root / "standby", _free_port(), folder)
    try:
        _run([str(folder / "initdb"), "-D", str(primary.data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
              "--locale=C.UTF-8", "--no-sync"])
        primary.configure(
            listen_addresses="127.0.0.1", port=str(primary.port), unix_socket_directories=str(root),
            wal_level="replica", max_wal_senders="4", synchronous_standby_names=STANDBY_NAME,
            synchronous_commit=synchronous_commit, fsync="on", max_connections="40", shared_buffers="32MB")
        _run(["sh", "-c", f"echo 'host replication all 127.0.0.1/32 trust' >> {primary.data}/pg_hba.conf"])
        primary.start()
        _run([str(folder / "pg_basebackup"), "-d",
              f"host=127.0.0.1 port={primary.port} user=postgres application_name={STANDBY_NAME}",
              "-D", str(standby.data), "-R", "-X", "stream", "-c", "fast"])
        standby.configure(port=str(standby.port), hot_standby="on")
        standby.start()
        pair = StandbyPair(root, primary, standby)
        deadline = time.monotonic() + 60
        while pair.replication() != f"{STANDBY_NAME}/sync/streaming":
            if time.monotonic() > deadline:
                raise RuntimeError(f"standby tidak menjadi sinkron: {pair.replication()!r}")
            time.sleep(0.1)
        primary.scalar(f'CREATE DATABASE "{database}"')  # only now: a commit waits for the standby
        yield pair
    finally:
        for cluster in (standby, primary):
            cluster.stop()
        shutil.rmtree(root, ignore_errors=True)
