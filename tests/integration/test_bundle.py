"""Export bundle: every random tampering is detected, no untouched bundle is rejected."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from engine.adapters.store.models import SigningKey
from engine.audit.core.note import parse_verifier_key
from engine.audit.core.offline import BundleProblem, verify_bundle
from engine.audit.entry import canonical
from engine.demo import DEMO_CITY
from engine.services import Services
from tests.helpers import COOP, KAS_VERIFY_CHECKS, submitted_kas

FILES = ("entries.jsonl", "data_revisions.jsonl", "checkpoints.txt", "manifest.json", "verifier-key.txt")


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A bundle of a small but varied history, built once: file name -> text."""
    from datetime import UTC, datetime

    from engine.demo import DEMO_ORG
    from engine.settings import Settings
    from tests.conftest import Clock, FileMaker

    root = tmp_path_factory.mktemp("bundle")
    services = Services(Settings(db_url=f"sqlite:///{root / 'b.db'}", key_path=root / "k.key"),
                        clock=Clock(datetime(2026, 11, 24, 3, 0, tzinfo=UTC)))
    services.init()
    services.import_org(DEMO_ORG)
    files = FileMaker(root / "up")
    for amount in (100_000, 900_000, 12_000_000):
        number = submitted_kas(services, amount, files(f"{amount}.pdf"))
        services.act(number, "verifikasi", "sri", checks=KAS_VERIFY_CHECKS)
    services.act("KAS/2026/0003", "setujui", "bambang")
    services.act("KAS/2026/0003", "setujui_pengawas", "heru")
    (root / "old-checkpoint.txt").write_text(services.checkpoint(COOP).note, encoding="utf-8")
    services.act("KAS/2026/0003", "setujui_pengawas", "agus")
    services.export(COOP, root / "out")
    texts = {name: (root / "out" / name).read_text(encoding="utf-8") for name in FILES}
    texts["old"] = (root / "old-checkpoint.txt").read_text(encoding="utf-8")
    texts["verify.py"] = (root / "out" / "verify.py").read_text(encoding="utf-8")
    return texts


def check(tmp: Path, texts: dict[str, str], since: str | None = None) -> dict[str, object]:
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir()
    for name in FILES:
        (tmp / name).write_text(texts[name], encoding="utf-8")
    return verify_bundle(tmp, since)


def rejected(tmp: Path, texts: dict[str, str], since: str | None = None) -> bool:
    try:
        check(tmp, texts, since)
    except BundleProblem:
        return True
    return False


def lines(text: str) -> list[str]:
    return [line for line in text.split("\n") if line]


def test_an_untouched_bundle_verifies_with_and_without_an_old_checkpoint(bundle: dict[str, str],
                                                                         tmp_path: Path) -> None:
    summary = check(tmp_path / "b", bundle, bundle["old"])
    assert summary["size"] == 12 and summary["since"] == 11


def test_the_standalone_verifier_script_agrees(bundle: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "b"
    check(out, bundle)
    (out / "verify.py").write_text(bundle["verify.py"], encoding="utf-8")
    (tmp_path / "old.txt").write_text(bundle["old"], encoding="utf-8")
    ok = subprocess.run([sys.executable, "-I", str(out / "verify.py"), str(out), "--since", str(tmp_path / "old.txt")],
                        capture_output=True, text=True, cwd=tmp_path)
    assert ok.returncode == 0 and ok.stdout.startswith("UTUH: kkmp-sentanan: 12 catatan"), ok.stdout + ok.stderr
    (out / "entries.jsonl").write_text(bundle["entries.jsonl"].replace('"sri"', '"siti"', 1), encoding="utf-8")
    bad = subprocess.run([sys.executable, "-I", str(out / "verify.py"), str(out)], capture_output=True, text=True)
    assert bad.returncode == 1 and bad.stdout.startswith("TIDAK UTUH")


SETTINGS = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@SETTINGS
@given(data=st.data())
def test_an_edited_field_of_any_entry_is_detected(bundle: dict[str, str], tmp_path: Path, data: st.DataObject) -> None:
    entries = lines(bundle["entries.jsonl"])
    index = data.draw(st.integers(0, len(entries) - 1))
    body = json.loads(entries[index])
    key = data.draw(st.sampled_from(sorted(body)))
    value = data.draw(st.one_of(st.text(max_size=8), st.integers(-5, 10**7), st.none(), st.booleans()))
    assume(value != body[key] or type(value) is not type(body[key]))
    body[key] = value
    entries[index] = canonical(body).decode()
    assert rejected(tmp_path / "b", {**bundle, "entries.jsonl": "\n".join(entries) + "\n"})


@SETTINGS
@given(data=st.data())
def test_a_flipped_character_anywhere_in_the_entries_or_revisions_is_detected(
        bundle: dict[str, str], tmp_path: Path, data: st.DataObject) -> None:
    name = data.draw(st.sampled_from(["entries.jsonl", "data_revisions.jsonl"]))
    text = bundle[name]
    position = data.draw(st.integers(0, len(text) - 2))
    assume(text[position] != "\n")
    replacement = data.draw(st.characters(codec="utf-8", exclude_characters="\n\r"))
    assume(replacement != text[position])
    tampered = text[:position] + replacement + text[position + 1:]
    if name == "data_revisions.jsonl":
        # a change outside the revision's data (e.g. in the recorded sha256 field) is not tampering of the log
        rows_before = [json.loads(line) for line in lines(text)]
        try:
            rows_after = [json.loads(line) for line in lines(tampered)]
        except ValueError:
            assert rejected(tmp_path / "b", {**bundle, name: tampered})
            return
        assume([(r.get("case"), r.get("rev"), r.get("data")) for r in rows_after]
               != [(r["case"], r["rev"], r["data"]) for r in rows_before])
    assert rejected(tmp_path / "b", {**bundle, name: tampered})


@SETTINGS
@given(data=st.data())
def test_dropped_duplicated_reordered_or_inserted_entries_are_detected(
        bundle: dict[str, str], tmp_path: Path, data: st.DataObject) -> None:
    entries = lines(bundle["entries.jsonl"])
    kind = data.draw(st.sampled_from(["drop", "duplicate", "swap", "insert", "truncate"]))
    i = data.draw(st.integers(0, len(entries) - 1))
    if kind == "drop":
        del entries[i]
    elif kind == "duplicate":
        entries.insert(i, entries[i])
    elif kind == "swap":
        j = data.draw(st.integers(0, len(entries) - 1))
        assume(i != j)
        entries[i], entries[j] = entries[j], entries[i]
    elif kind == "insert":
        forged = json.loads(entries[i])
        forged["comment_sha256"] = "0" * 64
        entries.insert(i, canonical(forged).decode())
    else:
        entries = entries[:i]
    assert rejected(tmp_path / "b", {**bundle, "entries.jsonl": "\n".join(entries) + ("\n" if entries else "")})


@SETTINGS
@given(data=st.data())
def test_forged_swapped_or_missing_checkpoints_are_detected(
        bundle: dict[str, str], tmp_path: Path, data: st.DataObject) -> None:
    notes = bundle["checkpoints.txt"].split("\n---\n")
    kind = data.draw(st.sampled_from(["byte", "swap_root", "foreign", "drop_last", "key"]))
    i = data.draw(st.integers(0, len(notes) - 1))
    texts = dict(bundle)
    if kind == "byte":
        position = data.draw(st.integers(0, len(notes[i]) - 2))
        char = data.draw(st.sampled_from("0123456789abcdefABCDEF+/="))
        assume(notes[i][position] != char and notes[i][position] != "\n")
        notes[i] = notes[i][:position] + char + notes[i][position + 1:]
    elif kind == "swap_root":
        j = data.draw(st.integers(0, len(notes) - 1))
        head_i, head_j = notes[i].split("\n")[:3], notes[j].split("\n")[:3]
        assume(head_i[2] != head_j[2])
        notes[i] = notes[i].replace(head_i[2], head_j[2], 1)
    elif kind == "foreign":
        notes[i] = notes[i].replace("tatakelola/kkmp-sentanan", "tatakelola/kkmp-lain", 1)
    elif kind == "drop_last":
        notes = notes[:-1]
    else:
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        from engine.audit.core.note import sign_note, verifier_key_string

        other = Ed25519PrivateKey.generate()
        notes = [sign_note(n.split("\n\n")[0] + "\n", "tatakelola", other) for n in notes]
        texts["verifier-key.txt"] = verifier_key_string("tatakelola", other.public_key()) + "\n"
        # re-signed by a stranger: only the checkpoint the pengawas kept can tell
        texts["checkpoints.txt"] = "\n---\n".join(notes)
        assert rejected(tmp_path / "b", texts, bundle["old"])
        return
    texts["checkpoints.txt"] = "\n---\n".join(notes)
    assert rejected(tmp_path / "b", texts)


def test_a_rewritten_history_is_caught_by_the_checkpoint_kept_earlier(bundle: dict[str, str], tmp_path: Path) -> None:
    entries = lines(bundle["entries.jsonl"])
    # cut the last entry and its checkpoint: internally consistent, but shorter than what was seen
    shorter = {**bundle, "entries.jsonl": "\n".join(entries[:-2]) + "\n",
               "checkpoints.txt": "\n---\n".join(bundle["checkpoints.txt"].split("\n---\n")[:-2])}
    check(tmp_path / "a", shorter)
    with pytest.raises(BundleProblem, match="dipotong sejak pemeriksaan terakhir"):
        check(tmp_path / "b", shorter, bundle["old"])


@pytest.mark.skipif(shutil.which("python3") is None, reason="needs python3")
def test_the_verifier_runs_in_a_fresh_virtualenv_holding_only_cryptography(bundle: dict[str, str],
                                                                          tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    pip = venv / "bin" / "pip"
    subprocess.run([str(pip), "install", "-q", "cryptography"], check=True, timeout=300)
    frozen = subprocess.run([str(pip), "freeze"], capture_output=True, text=True, check=True).stdout
    assert {line.split("==")[0].lower() for line in frozen.split()} <= {"cryptography", "cffi", "pycparser"}
    out = tmp_path / "b"
    check(out, bundle)
    (out / "verify.py").write_text(bundle["verify.py"], encoding="utf-8")
    result = subprocess.run([str(venv / "bin" / "python"), "-I", str(out / "verify.py"), str(out)],
                            capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_an_empty_log_exports_a_signed_proof_that_it_is_empty(services: Services, tmp_path: Path) -> None:
    """A cooperative with no cases: the bundle carries the installation's key and a size-0 checkpoint, and
    ``verify.py``, ``audit verify-export`` (check_bundle) and the database verifier all say intact, 0 entries."""
    from engine.audit.core.merkle import EMPTY_ROOT
    from engine.audit.core.note import Checkpoint, verify_note
    from engine.errors import AuditIntegrityError
    from engine.services.audit import check_bundle

    services.import_org(DEMO_CITY)
    out = tmp_path / "kosong"
    manifest = services.export("kkmp-kranggan", out)
    assert manifest["entries"] == 0 and manifest["checkpoints"] == 1
    key = (out / "verifier-key.txt").read_text(encoding="utf-8").strip()
    with services.db.session() as session:
        assert key in session.scalars(select(SigningKey.verifier_key)).all()
    note = (out / "checkpoints.txt").read_text(encoding="utf-8")
    checkpoint = Checkpoint.parse_body(verify_note(note, *parse_verifier_key(key)))
    assert (checkpoint.origin, checkpoint.size, checkpoint.root) == ("tatakelola/kkmp-kranggan", 0, EMPTY_ROOT)

    summary = check_bundle(out)
    assert summary["size"] == 0 and summary["root"] == hashlib.sha256(b"").hexdigest()
    standalone = subprocess.run([sys.executable, "-I", str(out / "verify.py"), str(out)],
                                capture_output=True, text=True, cwd=tmp_path)
    assert standalone.returncode == 0, standalone.stdout + standalone.stderr
    assert standalone.stdout.startswith("UTUH: kkmp-kranggan: 0 catatan (log masih kosong), 1 checkpoint sah")
    assert standalone.stdout.strip() == f"UTUH: {summary['verdict']}"
    [report] = services.verify("kkmp-kranggan")
    assert report.ok and report.size == 0 and report.checkpoints == 1

    again = services.export("kkmp-kranggan", tmp_path / "lagi")  # the same checkpoint is reused
    assert again["checkpoints"] == 1 and again["latest_checkpoint"] == manifest["latest_checkpoint"]

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from engine.audit.core.note import verifier_key_string

    stranger = verifier_key_string("tatakelola", Ed25519PrivateKey.generate().public_key())
    (out / "verifier-key.txt").write_text(stranger + "\n", encoding="utf-8")
    with pytest.raises(AuditIntegrityError, match="tanda tangan atau isi tidak sah"):
        check_bundle(out)
    tampered = subprocess.run([sys.executable, "-I", str(out / "verify.py"), str(out)],
                              capture_output=True, text=True, cwd=tmp_path)
    assert tampered.returncode == 1 and tampered.stdout.startswith("TIDAK UTUH: checkpoint ke-1")


def test_an_empty_bundle_without_its_checkpoint_or_with_a_forged_entry_is_not_intact(
        services: Services, tmp_path: Path) -> None:
    services.import_org(DEMO_CITY)
    out = tmp_path / "kosong"
    services.export("kkmp-kranggan", out)
    good = {name: (out / name).read_text(encoding="utf-8") for name in FILES}
    with pytest.raises(BundleProblem, match="tidak ada checkpoint"):
        check(tmp_path / "a", {**good, "checkpoints.txt": ""})
    forged = canonical({"v": 1, "coop": "kkmp-kranggan", "seq": 1, "time": "2026-11-24T03:00:00Z"}).decode()
    with pytest.raises(BundleProblem, match="checkpoint terakhir mencakup 0 catatan, bundel memuat 1"):
        check(tmp_path / "b", {**good, "entries.jsonl": forged + "\n"})
