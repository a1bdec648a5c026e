"""The pengawas' toolkit through the CLI: findings, export, offline verification, proofs."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from tests.e2e.test_cli import copy_demo, demo_db, demo_dir, no_traceback, run, tamper

__all__ = ["demo_dir"]  # the module-scoped demo fixture, shared


def test_findings_on_the_clean_demo_are_none(demo_dir: Path) -> None:
    text = run("--db", demo_db(demo_dir), "audit", "findings", "--coop", "kkmp-sentanan")
    assert text.returncode == 0 and "0 temuan" in text.stdout
    as_json = run("--db", demo_db(demo_dir), "audit", "findings", "--coop", "kkmp-sentanan", "--format", "json")
    payload = json.loads(as_json.stdout)
    assert payload["findings"] == [] and payload["decisions_checked"] > 20


def test_export_then_verify_offline_and_from_the_cli(demo_dir: Path, tmp_path: Path) -> None:
    bundle = tmp_path / "bundel"
    exported = run("--db", demo_db(demo_dir), "audit", "export", "--coop", "kkmp-sentanan", "-o", str(bundle))
    assert exported.returncode == 0, exported.stderr
    assert {p.name for p in bundle.iterdir()} >= {"entries.jsonl", "data_revisions.jsonl", "checkpoints.txt",
                                                   "verifier-key.txt", "verify.py", "manifest.json"}
    since = demo_dir / "checkpoint-terakhir.txt"
    ok = run("audit", "verify-export", str(bundle), "--since", str(since))
    assert ok.returncode == 0 and "UTUH" in ok.stdout
    entries = (bundle / "entries.jsonl").read_text(encoding="utf-8")
    (bundle / "entries.jsonl").write_text(entries.replace('"heru"', '"nuraini"'), encoding="utf-8")
    bad = run("audit", "verify-export", str(bundle))
    assert bad.returncode == 1 and "TIDAK UTUH" in bad.stdout
    no_traceback(bad)


def test_an_empty_log_exports_and_verifies_the_same_from_the_cli_and_verify_py(demo_dir: Path, tmp_path: Path) -> None:
    import subprocess
    import sys

    copy = copy_demo(demo_dir, tmp_path)
    env = {"TATAKELOLA_KEY": str(copy / "tatakelola-signing.key")}
    bundle = tmp_path / "kosong"
    exported = run("--db", demo_db(copy), "audit", "export", "--coop", "kkmp-kranggan", "-o", str(bundle), env=env)
    assert exported.returncode == 0, exported.stdout + exported.stderr
    cli = run("audit", "verify-export", str(bundle))
    standalone = subprocess.run([sys.executable, "-I", str(bundle / "verify.py"), str(bundle)],
                                capture_output=True, text=True)
    assert cli.returncode == 0 and standalone.returncode == 0, cli.stdout + standalone.stdout
    assert standalone.stdout.startswith("UTUH: kkmp-kranggan: 0 catatan (log masih kosong)")
    assert cli.stdout.strip() == "✔ " + standalone.stdout.strip()
    verified = run("--db", demo_db(copy), "audit", "verify", "--coop", "kkmp-kranggan", env=env)
    assert verified.returncode == 0 and "jejak persetujuan utuh — belum ada catatan, 1 checkpoint" in verified.stdout


def test_prove_gives_verifiable_inclusion_proofs(demo_dir: Path) -> None:
    from engine.audit.core.merkle import verify_inclusion
    from engine.audit.core.note import Checkpoint, parse_verifier_key, verify_note

    result = run("--db", demo_db(demo_dir), "audit", "prove", "KAS/2026/0003")
    assert result.returncode == 0, result.stderr
    proofs = json.loads(result.stdout)["proofs"]
    assert [json.loads(p["entry"])["action"] for p in proofs] == [
        "mulai", "ajukan", "verifikasi", "setujui", "setujui_pengawas", "setujui_pengawas"]
    for proof in proofs:
        name, key = parse_verifier_key(proof["verifier_key"])
        checkpoint = Checkpoint.parse_body(verify_note(proof["checkpoint"], name, key))
        assert verify_inclusion(bytes.fromhex(proof["leaf_hash"]), proof["index"], checkpoint.size,
                                [bytes.fromhex(h) for h in proof["inclusion_proof"]], checkpoint.root)


def test_consistency_between_two_kept_checkpoints(demo_dir: Path, tmp_path: Path) -> None:
    copy = copy_demo(demo_dir, tmp_path)
    db = demo_db(copy)
    old = copy / "checkpoint-terakhir.txt"
    env = {"TATAKELOLA_KEY": str(copy / "tatakelola-signing.key")}
    acted = run("--db", db, "case", "act", "KAS/2026/0005", "tolak", "--as", "sri", "--comment", "Rangkap", env=env)
    assert acted.returncode == 0, acted.stderr
    new = tmp_path / "baru.txt"
    new.write_text(run("--db", db, "audit", "checkpoint", "--coop", "kkmp-sentanan", env=env).stdout,
                   encoding="utf-8")
    ok = run("--db", db, "audit", "consistency", str(old), str(new))
    assert ok.returncode == 0 and "Konsisten" in ok.stderr
    assert json.loads(ok.stdout)["new_size"] == json.loads(ok.stdout)["old_size"] + 1
    # someone rewrites an early entry (and its leaf hash) in the file: the kept checkpoints expose it
    conn = sqlite3.connect(copy / "tatakelola.db")
    seq, body = conn.execute("SELECT seq, body FROM audit_entries WHERE body LIKE '%\"actor\":\"sri\"%' "
                             "ORDER BY seq LIMIT 1").fetchone()
    conn.close()
    import hashlib

    forged = body.replace('"sri"', '"bambang"')
    assert forged != body and seq < 10
    leaf = hashlib.sha256(b"\x00" + forged.encode()).hexdigest()
    tamper(copy / "tatakelola.db", f"UPDATE audit_entries SET body = '{forged}', leaf_hash = '{leaf}' WHERE seq = {seq}")
    bad = run("--db", db, "audit", "consistency", str(old), str(new))
    assert bad.returncode == 1 and "TIDAK cocok dengan checkpoint baru" in bad.stderr
    no_traceback(bad)


def test_findings_open_follow_up_cases(demo_dir: Path, tmp_path: Path) -> None:
    copy = copy_demo(demo_dir, tmp_path)
    db = demo_db(copy)
    tamper(copy / "tatakelola.db",
           "UPDATE role_assignments SET ends_on = '2026-01-31' WHERE role = 'ketua'")
    env = {"TATAKELOLA_KEY": str(copy / "tatakelola-signing.key")}
    found = run("--db", db, "audit", "findings", "--coop", "kkmp-sentanan", "--open-cases", "--as", "agus", env=env)
    assert found.returncode == 1 and "Diputuskan oleh orang yang tidak memegang peran" in found.stdout
    assert "TLT/2026/0001" in found.stderr
    listed = run("--db", db, "case", "list", "--open")
    assert "Tindak Lanjut Temuan" in listed.stdout
