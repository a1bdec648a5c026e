"""Backup and restore that the audit understands (issue 16), through the real ``tatakelola`` command.

A backup taken while another process decides is one consistent copy that verifies. Restoring it declares
the fork in the trail: a checkpoint the pengawas saved before the restore reads as an older state of the
log (entries N+1..M missing, 1..N proven the same), not as tampering, before and after the cooperative
carries on; and no case number is issued twice.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from engine.audit.core.merkle import CompactRange, consistency_proof, leaf_hash, root_from_leaf_hashes
from engine.audit.core.note import Checkpoint as NoteCheckpoint
from engine.audit.core.note import sign_note
from engine.audit.core.offline import RESTORE_KIND, declaration_problem, declared_root
from engine.audit.keys import load_signer
from engine.errors import AuditIntegrityError, BackupError
from engine.services import Services
from engine.services.audit import check_bundle
from engine.services.backup import BackupService
from engine.settings import Settings
from tests.conftest import ON_POSTGRES, FileMaker
from tests.helpers import COOP, submitted_kas
from tests.reliability.conftest import scale

ROOT = Path(__file__).resolve().parents[2]
TAMPERED = ("berubah setelah ditandatangani", "dipotong", "telah diubah")

_WRITER = """
import sys, time
from pathlib import Path
from engine.errors import AuditIntegrityError, BackupError
from engine.services import Services
from engine.services.audit import check_bundle
from engine.services.backup import BackupService
from engine.settings import Settings
from engine.settings import Settings
from tests.helpers import submitted_kas

db_url, key, nota, stop, report = sys.argv[1:]
services = Services(Settings(db_url=db_url, key_path=Path(key)))
done = 0
with open(report, "w", encoding="utf-8") as out:
    while not Path(stop).exists() and done < 10_000:
        submitted_kas(services, 150_000, Path(nota))  # two decisions: start and submit
        done += 2
        out.write(f"{done}\\n")
        out.flush()
"""


def run(env: dict[str, str], *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """``tatakelola ARGS`` in a fresh process, as an operator runs it."""
    full_env = {**os.environ, "COLUMNS": "250", **env}
    full_env.pop("TATAKELOLA_DEBUG", None)
    result = subprocess.run([sys.executable, "-m", "engine", *args], capture_output=True, text=True, env=full_env,
                            cwd=ROOT, timeout=300, input=stdin if stdin is not None else "")
    assert "Traceback" not in result.stdout + result.stderr
    assert result.returncode != 70, result.stdout + result.stderr
    return result


def cli_env(services: Services, db_url: str | None = None) -> dict[str, str]:
    return {"TATAKELOLA_DB": db_url or services.settings.db_url,
            "TATAKELOLA_KEY": str(services.settings.resolved_key_path)}


def checkpoint(services: Services, path: Path) -> tuple[Path, int]:
    """A signed checkpoint saved to a file, as the pengawas keeps the output of ``audit checkpoint``."""
    cp = services.checkpoint(COOP)
    path.write_text(cp.note, encoding="utf-8")
    return path, cp.size


def log_size(services: Services) -> int:
    """The size of the trail, which must verify."""
    report = services.verify(COOP)[0]
    assert report.ok, [str(f) for f in report.findings]
    return report.size


def highest_case(services: Services) -> int:
    return max(int(c.number.rsplit("/", 1)[1]) for c in services.list_cases(COOP))


def restore(services: Services, copy: Path) -> subprocess.CompletedProcess[str]:
    """``tatakelola restore COPY --ya``; this process then reconnects (the tables were replaced under it)."""
    result = run(cli_env(services), "restore", str(copy), "--ya")
    services.db.dispose()
    return result


def decide(services: Services, files: FileMaker, count: int) -> None:
    for i in range(count):
        submitted_kas(services, 100_000 + i, files(f"nota-{i}.pdf"))


# -- backup ---------------------------------------------------------------------------------------


def test_a_backup_taken_while_another_process_decides_is_one_consistent_copy_that_verifies(
        services: Services, files: FileMaker, tmp_path: Path) -> None:
    decide(services, files, 2)
    env = cli_env(services)
    stop, report = tmp_path / "stop", tmp_path / "written.txt"
    writer = subprocess.Popen([sys.executable, "-c", _WRITER, services.settings.db_url,
                               str(services.settings.resolved_key_path), str(files("nota-w.pdf")), str(stop),
                               str(report)], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        deadline = time.monotonic() + 60
        while (not report.exists() or not report.read_text().split()) and time.monotonic() < deadline:
            time.sleep(0.1)  # the writer is deciding
        backups = []
        for round_ in range(scale(1, 10)):
            copy = tmp_path / f"cadangan-{round_}.{'dump' if ON_POSTGRES else 'db'}"
            before = int(report.read_text().split()[-1])
            result = run(env, "backup", "-o", str(copy))
            after = int(report.read_text().split()[-1])
            assert result.returncode == 0, result.stdout + result.stderr
            assert f"Cadangan ditulis ke {copy}" in result.stdout
            match = re.search(rf"{COOP}: log (\d+) catatan, akar ([0-9a-f]{{64}})", result.stdout)
            assert match, result.stdout
            size = int(match.group(1))
            # one snapshot taken during the backup: all that was committed before it began, no more than after
            assert 4 + before <= size <= 4 + after + 2
            backups.append((copy, size, match.group(2)))
    finally:
        stop.touch()
        assert writer.wait(timeout=120) == 0
    written = int(report.read_text().split()[-1])
    assert log_size(services) == 4 + written  # every decision the writer made is in the live database

    if not ON_POSTGRES:
        for copy, size, root in backups:  # each copy: a standalone file whose trail verifies
            assert not Path(f"{copy}-wal").exists()
            verified = run(cli_env(services, f"sqlite:///{copy}"), "audit", "verify", "--coop", COOP)
            assert verified.returncode == 0, verified.stdout + verified.stderr
            assert f"utuh — {size} catatan" in verified.stdout and root[:32] in verified.stdout
    else:  # a pg_dump archive verifies once restored: restore the newest, its trail is intact, its size is reported
        copy, size, _ = backups[-1]
        restored = restore(services, copy)
        assert restored.returncode == 0, restored.stdout + restored.stderr
        assert f"{COOP}: log {size} catatan" in restored.stdout
        assert log_size(services) == size + 1  # the copy, and the declaration of what it lost


def test_a_backup_never_overwrites_a_file_unless_asked(services: Services, tmp_path: Path) -> None:
    env = cli_env(services)
    target = tmp_path / "ada.db"
    target.write_bytes(b"berkas lain")

    refused = run(env, "backup", "-o", str(target))

    assert refused.returncode == 1
    assert "sudah ada" in refused.stderr and "--timpa" in refused.stderr
    assert target.read_bytes() == b"berkas lain"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".ada.db")] == []  # no partial file left
    replaced = run(env, "backup", "-o", str(target), "--timpa")
    assert replaced.returncode == 0, replaced.stderr
    assert target.read_bytes() != b"berkas lain"
    with pytest.raises(BackupError, match="tidak ada"):
        BackupService(services.context).backup(tmp_path / "tidak-ada" / "c.db")


def test_restore_refuses_what_is_not_a_backup_and_asks_before_replacing(
        services: Services, files: FileMaker, tmp_path: Path) -> None:
    decide(services, files, 1)
    env = cli_env(services)
    size = log_size(services)
    not_a_backup = tmp_path / "catatan.txt"
    not_a_backup.write_text("bukan cadangan", encoding="utf-8")

    wrong = run(env, "restore", str(not_a_backup), "--ya")
    assert wrong.returncode == 1
    assert "bukan berkas cadangan" in wrong.stderr
    with pytest.raises(BackupError, match="bukan berkas cadangan"):
        BackupService(services.context).plan(tmp_path / "tidak-ada.db")

    copy = tmp_path / ("c.dump" if ON_POSTGRES else "c.db")
    BackupService(services.context).backup(copy)
    decide(services, files, 1)
    unasked = run(env, "restore", str(copy))  # no terminal to ask on, no --ya: refused
    assert unasked.returncode == 2
    assert "--ya" in unasked.stderr
    assert log_size(services) == size + 2  # nothing was replaced


@pytest.mark.postgres_only
@pytest.mark.skipif(not ON_POSTGRES, reason="pg_dump is for PostgreSQL")
def test_without_pg_dump_a_backup_says_what_to_install(services: Services, tmp_path: Path) -> None:
    env = {**cli_env(services), "PATH": str(tmp_path)}  # no pg_dump on this PATH

    result = run(env, "backup", "-o", str(tmp_path / "c.dump"))

    assert result.returncode == 78
    assert "pg_dump" in result.stderr and "tidak ditemukan" in result.stderr
    assert not (tmp_path / "c.dump").exists()


# -- restore and the trail ------------------------------------------------------------------------


def test_a_restored_copy_is_an_older_state_of_the_log_and_continuing_declares_the_fork(
        services: Services, files: FileMaker, tmp_path: Path) -> None:
    env = cli_env(services)
    decide(services, files, scale(2, 40))
    cp_backup, n = checkpoint(services, tmp_path / "cp-cadangan.txt")
    copy = tmp_path / ("cadangan.dump" if ON_POSTGRES else "cadangan.db")
    made = run(env, "backup", "-o", str(copy))
    assert made.returncode == 0 and f"log {n} catatan" in made.stdout
    decide(services, files, scale(2, 60))  # decisions after the backup: lost by the restore
    cp_published, m = checkpoint(services, tmp_path / "cp-pengawas.txt")  # the pengawas keeps this one
    assert m > n
    high_water = highest_case(services)

    restored = restore(services, copy)

    assert restored.returncode == 0, restored.stdout + restored.stderr
    assert f"dipulihkan ke ukuran {n} setelah ukuran {m} pernah diterbitkan" in restored.stdout
    assert f"percabangan dinyatakan di catatan #{n + 1}" in restored.stdout
    assert log_size(services) == n + 1  # the copy and the signed declaration; the trail verifies

    # A checkpoint of the copy proves it is an older prefix of the published log, not a rewrite.
    older = run(env, "audit", "consistency", str(cp_backup), str(cp_published))
    assert older.returncode == 0, older.stdout + older.stderr
    assert json.loads(older.stdout)["verdict"] == "salinan_lama"
    assert f"Salinan lama: entri {n + 1}..{m} tidak ada" in older.stderr
    assert f"entri 1..{n} terbukti sama" in older.stderr
    assert not any(word in older.stderr for word in TAMPERED)

    # The cooperative carries on: case numbers continue after the old high-water mark, never reissued.
    started = run(env, "case", "start", "pengeluaran_kas", "--coop", COOP, "--as", "fajar",
                  "--set", "keperluan=Lanjut setelah pemulihan", "--set", "jumlah=50000",
                  "--set", "pos_rapb=Alat tulis kantor", "--set", "penerima=Toko Maju",
                  "--attach", f"nota={files('nota-lanjut.pdf')}")
    assert started.returncode == 0, started.stdout + started.stderr
    number = re.search(r"KAS/\d{4}/(\d{4})", started.stdout)
    assert number and int(number.group(1)) == high_water + 1
    assert log_size(services) == n + 2

    # The pengawas' old checkpoint now reads as the declared fork, in the database ...
    cp_after, after = checkpoint(services, tmp_path / "cp-sesudah.txt")
    assert after == n + 2
    fork = run(env, "audit", "consistency", str(cp_published), str(cp_after))
    assert fork.returncode == 0, fork.stdout + fork.stderr
    verdict = json.loads(fork.stdout)
    assert verdict["verdict"] == "cabang_dinyatakan"
    assert verdict["restore_entry"] == n + 1 and verdict["missing"] == [n + 1, m]
    assert f"dipulihkan ke ukuran {n} setelah ukuran {m} pernah diterbitkan" in fork.stderr
    assert not any(word in fork.stderr for word in TAMPERED)

    # ... and in an export bundle, with the engine and with the standalone verify.py alike.
    bundle = tmp_path / "bundel"
    services.export(COOP, bundle)
    exported = run(env, "audit", "verify-export", str(bundle), "--since", str(cp_published))
    assert exported.returncode == 0, exported.stdout + exported.stderr
    assert f"#{n + 1}..#{m} tidak ada karena dipulihkan ke ukuran {n} setelah ukuran {m}" in exported.stdout
    assert not any(word in exported.stdout for word in TAMPERED)
    standalone = subprocess.run([sys.executable, str(bundle / "verify.py"), str(bundle), "--since", str(cp_published)],
                                capture_output=True, text=True, timeout=120)
    assert standalone.returncode == 0 and standalone.stdout.startswith("UTUH:"), standalone.stdout
    assert "dipulihkan" in standalone.stdout

    # A checkpoint of the lost history that the declaration does not prove is still a rewrite ...
    signer = load_signer(services.settings.resolved_key_path)
    forged = tmp_path / "cp-palsu.txt"
    forged.write_text(sign_note(NoteCheckpoint(f"tatakelola/{COOP}", m, b"\x01" * 32).body(), signer.name,
                                signer.private_key), encoding="utf-8")
    with pytest.raises(AuditIntegrityError, match="berubah setelah ditandatangani"):
        services.audit.compare_checkpoints(forged.read_text(encoding="utf-8"), cp_after.read_text(encoding="utf-8"))
    with pytest.raises(AuditIntegrityError, match="telah diubah"):
        check_bundle(bundle, forged)

    # ... and so is a copy whose entries 1..N differ from what was published.
    entries = (bundle / "entries.jsonl").read_text(encoding="utf-8").splitlines()
    edited = json.loads(entries[1])
    edited["time"] = "2020-01-01T00:00:00Z"
    entries[1] = json.dumps(edited, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    (bundle / "entries.jsonl").write_text("\n".join(entries) + "\n", encoding="utf-8")
    with pytest.raises(AuditIntegrityError) as tampered:
        check_bundle(bundle, cp_published)
    assert "dipulihkan" not in tampered.value.message


@pytest.mark.skipif(ON_POSTGRES, reason="a SQLite file copied by hand")
def test_a_raw_copy_shorter_than_a_checkpoint_is_an_older_copy_it_cannot_prove(
        services: Services, files: FileMaker, tmp_path: Path) -> None:
    decide(services, files, 2)
    copy = tmp_path / "c.db"
    BackupService(services.context).backup(copy)
    decide(services, files, 2)
    cp_published, m = checkpoint(services, tmp_path / "cp.txt")
    on_copy = Services(Settings(db_url=f"sqlite:///{copy}", key_path=services.settings.resolved_key_path))
    cp_copy, n = checkpoint(on_copy, tmp_path / "cp-salinan.txt")  # the pengawas checks the copy itself
    on_copy.db.dispose()

    result = run(cli_env(services, f"sqlite:///{copy}"), "audit", "consistency", str(cp_copy), str(cp_published))

    assert result.returncode == 1
    assert f"salinan lama (entri {n + 1}..{m} tidak ada)" in result.stderr
    assert "tidak ada catatan pemulihan" in result.stderr  # older or cut: without a declaration, unproven
    assert "berubah setelah ditandatangani" not in result.stderr


def test_a_restore_declaration_proves_only_what_it_carries() -> None:
    """The declaration's proof is checked: lost leaves or a consistency proof that do not lead to the
    published root prove nothing, and make the declaration itself a finding."""
    leaves = [leaf_hash(f"catatan {i}".encode()) for i in range(7)]
    prefix = CompactRange()
    for leaf in leaves[:4]:
        prefix.append(leaf)
    published = root_from_leaf_hashes(leaves)
    body = {"kind": RESTORE_KIND, "restored_size": 4, "published_size": 7, "published_root": published.hex(),
            "prefix": True, "consistency_proof": [h.hex() for h in consistency_proof(leaves, 4)],
            "lost_leaves": [h.hex() for h in leaves[4:]]}
    assert declaration_problem(prefix, body) is None
    assert declared_root(prefix, body, 6) == root_from_leaf_hashes(leaves[:6])
    assert declared_root(prefix, body, 7) == published and declared_root(prefix, body, 4) is None

    lying = {**body, "lost_leaves": [leaves[5].hex(), leaves[4].hex(), leaves[6].hex()]}
    assert declaration_problem(prefix, lying) is not None and declared_root(prefix, lying, 6) is None
    no_leaves = {k: v for k, v in body.items() if k != "lost_leaves"}
    assert declared_root(prefix, no_leaves, 7) == published and declared_root(prefix, no_leaves, 6) is None
    bad_proof = {**no_leaves, "consistency_proof": [published.hex()]}
    assert declaration_problem(prefix, bad_proof) is not None
    assert declaration_problem(prefix, {**body, "restored_size": 3}) is not None  # not where the log stood


@pytest.mark.long
def test_long_backup_and_restore_cycle(services: Services, files: FileMaker, tmp_path: Path) -> None:
    """Several restores in a row: every declaration proves its copy, numbers never repeat."""
    env = cli_env(services)
    issued: set[str] = set()  # every case number ever handed out, including those a restore took back
    for round_ in range(5):
        decide(services, files, 5)
        copy = tmp_path / f"c{round_}.{'dump' if ON_POSTGRES else 'db'}"
        assert run(env, "backup", "-o", str(copy)).returncode == 0
        decide(services, files, 5)  # lost by the restore below
        issued |= {c.number for c in services.list_cases(COOP)}
        cp, _ = checkpoint(services, tmp_path / f"cp{round_}.txt")
        assert restore(services, copy).returncode == 0
        log_size(services)
        after, _ = checkpoint(services, tmp_path / f"after{round_}.txt")
        result = run(env, "audit", "consistency", str(cp), str(after))
        assert result.returncode == 0, result.stderr
        kept = {c.number for c in services.list_cases(COOP)}
        decide(services, files, 2)
        new = {c.number for c in services.list_cases(COOP)} - kept
        assert len(new) == 2 and not new & issued  # never a number a lost case had
        issued |= new
