"""Audit use cases: verify the trail, sign and prove checkpoints, findings and their follow-up, export."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from engine.adapters.store.models import AuditEntry, Case, CaseEvent, Checkpoint, Cooperative, SigningKey
from engine.audit.core.merkle import CompactRange, consistency_proof, root_from_leaf_hashes, verify_consistency
from engine.audit.core.note import Checkpoint as NoteCheckpoint
from engine.audit.core.note import NoteError, verify_note
from engine.audit.core.offline import RESTORE_KIND, BundleProblem, declaration_problem, declared_root, verify_bundle
from engine.audit.export import export_bundle
from engine.audit.findings import RULES, Finding, FindingsReport, find
from engine.audit.keys import public_key_from_b64
from engine.audit.log import checkpoint_now
from engine.audit.proofs import EntryProof, latest_checkpoint, leaf_hashes, prove_entries
from engine.audit.verify import VerifyReport, latest_verification, record_verification, verify_log
from engine.errors import AuditIntegrityError, EnvironmentFaultError
from engine.services.calendars import calendar_for
from engine.services.context import Context
from engine.services.dto import FOLLOWUP_WORKFLOW

__all__ = ["CONSISTENT", "FOLLOWUP_WORKFLOW", "FORK_DECLARED", "OLDER_COPY", "AuditService", "CheckpointComparison",
           "check_bundle"]

CONSISTENT, OLDER_COPY, FORK_DECLARED = "konsisten", "salinan_lama", "cabang_dinyatakan"
"""Verdicts of :meth:`AuditService.compare_checkpoints`."""


@dataclass(frozen=True)
class CheckpointComparison:
    """How two saved checkpoints relate to the log stored now."""

    coop: str
    old_size: int
    new_size: int
    proof: list[bytes]  # RFC 6962 consistency proof old -> new (when both are part of the stored log)
    verdict: str  # CONSISTENT, OLDER_COPY or FORK_DECLARED
    log_size: int
    message: str
    restore_entry: int | None = None  # seq of the restore declaration that explains a checkpoint
    missing: tuple[int, int] | None = None  # entries (first, last) of a checkpoint this log no longer holds


def _restore_declarations(session: Session, coop: Cooperative,
                          leaves: Sequence[bytes]) -> list[tuple[int, dict[str, Any], CompactRange]]:
    """The restore declarations of a log: (seq, body, compact range of the log before it)."""
    out = []
    for seq, body in session.execute(select(AuditEntry.seq, AuditEntry.body).where(
            AuditEntry.coop_id == coop.id, AuditEntry.case_id.is_(None),
            AuditEntry.body.contains(f'"kind":"{RESTORE_KIND}"')).order_by(AuditEntry.seq)):
        parsed = json.loads(body)
        if isinstance(parsed, dict) and parsed.get("kind") == RESTORE_KIND and seq <= len(leaves):
            prefix = CompactRange()
            for leaf in leaves[:seq - 1]:
                prefix.append(leaf)
            if declaration_problem(prefix, parsed) is None:  # an unsound one explains nothing (verify reports it)
                out.append((seq, parsed, prefix))
    return out


def _verified_checkpoint(note: str, keys: Sequence[SigningKey], which: str) -> NoteCheckpoint:
    for key in keys:
        try:
            return NoteCheckpoint.parse_body(verify_note(note, key.name, public_key_from_b64(key.public_key)))
        except NoteError:
            continue
    raise AuditIntegrityError(f"Checkpoint {which} tidak bertanda tangan sah oleh kunci yang terdaftar.")


def check_bundle(folder: Path, since: Path | None = None, key: str | None = None) -> dict[str, Any]:
    """Verify an export bundle with no database, as its own ``verify.py`` does; AuditIntegrityError names
    the first problem. ``since`` is a checkpoint saved at an earlier audit, ``key`` the verifier key kept."""
    try:
        return verify_bundle(folder, since.read_text(encoding="utf-8") if since else None, key)
    except (BundleProblem, OSError, UnicodeDecodeError) as exc:
        raise AuditIntegrityError(str(exc)) from None


class AuditService:
    """What the pengawas and the Dinas do with the trail."""

    def __init__(self, ctx: Context, start_case: Callable[[str, str, str, dict[str, str]], str]) -> None:
        self.ctx = ctx
        self._start_case = start_case

    def verify(self, coop_slug: str | None = None, *, since_last: bool = False,
               all_signatures: bool = False) -> list[VerifyReport]:
        """Verify one cooperative's log, or all of them, and remember how far each verification reached.

        Args:
            coop_slug: One cooperative, or None for all.
            since_last: Continue from the newest successful verification stored for each cooperative:
                check that its stored compact range still yields its root and the signed checkpoint of
                that size, then read only the entries added since (and the cases they touch). A
                cooperative never verified before is verified whole.
            all_signatures: Check the Ed25519 signature of every checkpoint, not only where it adds proof.
        """
        self.ctx.db.require_schema()
        with self.ctx.db.snapshot() as session:  # no write lock held while a big log is read
            coops = [self.ctx.coop(session, coop_slug)] if coop_slug else session.scalars(  # all: the real ones
                select(Cooperative).where(Cooperative.training.is_(False)).order_by(Cooperative.slug)).all()
            done = [(coop.id, verify_log(session, coop, all_signatures=all_signatures,
                                         since=latest_verification(session, coop.id) if since_last else None))
                    for coop in coops]
        self._remember(done, always=not since_last)
        return [report for _, report in done]

    def verify_followed(self, coop_slugs: Sequence[str]) -> list[VerifyReport]:
        """The trail of each cooperative a Dinas officer follows, continued from its last verification.

        Only the entries added since the stored state are read, so a page showing many cooperatives
        costs what is new, not what is old; a row is stored only when the outcome changed.
        """
        if not coop_slugs:
            return []
        self.ctx.db.require_schema()
        with self.ctx.db.snapshot() as session:
            coops = session.scalars(select(Cooperative).where(Cooperative.slug.in_(coop_slugs))
                                    .order_by(Cooperative.slug)).all()
            done = [(coop.id, verify_log(session, coop, since=latest_verification(session, coop.id)))
                    for coop in coops]
        self._remember(done, always=False)
        return [report for _, report in done]

    def _remember(self, done: Sequence[tuple[int, VerifyReport]], *, always: bool) -> None:
        """Store each outcome (a short write after the long read; a full pass always, others when changed).

        A database that takes no writes (a read-only file, a standby server, one busy or full) is still
        verified: its outcome is simply not stored, and the next ``since_last`` starts from the last stored one.
        """
        if not done:
            return
        now = self.ctx.clock()
        try:
            with self.ctx.db.session() as session:
                for coop_id, report in done:
                    record_verification(session, coop_id, report, now, always=always or report.since is None)
        except (DBAPIError, EnvironmentFaultError):  # read-only, busy, full: verified, simply not stored
            return

    def findings(self, coop_slug: str, start: date | None = None, end: date | None = None) -> FindingsReport:
        """Audit findings of a cooperative's trail over a period."""
        self.ctx.db.require_schema()
        with self.ctx.db.reader() as session:
            coop = self.ctx.coop(session, coop_slug)
            return find(session, coop, self.ctx.pinned, start=start, end=end, now=self.ctx.clock(), tz=self.ctx.tz,
                        calendar=calendar_for(self.ctx.settings, coop.settings))

    def open_followups(self, coop_slug: str, username: str, findings: Sequence[Finding]) -> list[str]:
        """Open a temuan -> rekomendasi -> tindak lanjut case per finding not followed up yet."""
        with self.ctx.db.reader() as session:
            coop = self.ctx.coop(session, coop_slug)
            existing = {c.data["id_temuan"] for c in session.scalars(select(Case).where(Case.coop_id == coop.id))
                        if isinstance(c.data.get("id_temuan"), str)}
        opened = []
        for finding in findings:
            if finding.id in existing:
                continue
            entries = ", ".join(f"#{s}" for s in finding.entries) or "-"
            opened.append(self._start_case(FOLLOWUP_WORKFLOW, coop_slug, username, {
                "id_temuan": finding.id, "aturan": RULES[finding.rule], "tingkat": finding.severity,
                "kasus_terkait": finding.case or "-", "catatan_jejak": entries,
                "uraian_temuan": finding.message, "dasar": finding.source}))
        return opened

    def export(self, coop_slug: str, directory: Path) -> dict[str, Any]:
        """Write the pengawas' export bundle (signing a checkpoint of the empty log if there is none yet)."""
        self.ctx.db.require_schema()
        with self.ctx.db.session() as session:
            coop = self.ctx.coop(session, coop_slug)
            if latest_checkpoint(session, coop) is None:
                # A log with no entry has no checkpoint yet: sign one of size 0 (root = SHA-256 of ""), so the
                # bundle carries the installation's verifier key and a signed proof that the log is empty.
                checkpoint_now(session, coop, self.ctx.signer, self.ctx.clock())
            return export_bundle(session, coop, directory)

    def prove_case(self, number: str, coop_slug: str | None = None) -> list[EntryProof]:
        """Inclusion proofs of a case's decisions against the latest checkpoint."""
        self.ctx.db.require_schema()
        with self.ctx.db.reader() as session:
            case = self.ctx.find_case(session, number, coop_slug, None, lock=False)
            coop = session.get_one(Cooperative, case.coop_id)
            seqs = list(session.scalars(select(CaseEvent.seq).where(CaseEvent.case_id == case.id)
                                        .order_by(CaseEvent.seq)))
            return prove_entries(session, coop, seqs)

    def consistency(self, old_note: str, new_note: str) -> tuple[str, int, int, list[bytes]]:
        """Check two saved checkpoints of one log: both signed by a registered key, the newer one
        extends the older (RFC 6962 consistency proof from the stored log). Returns (coop, old, new, proof).

        An older copy or a declared restore is no extension: AuditIntegrityError with what
        :meth:`compare_checkpoints` found (which tells them apart from a rewrite).
        """
        result = self.compare_checkpoints(old_note, new_note)
        if result.verdict != CONSISTENT:
            raise AuditIntegrityError(result.message)
        return result.coop, result.old_size, result.new_size, result.proof

    def compare_checkpoints(self, old_note: str, new_note: str) -> CheckpointComparison:
        """Relate two saved checkpoints of one log to the log stored now.

        Each checkpoint must be signed by a registered key. One the stored log contains (same root at
        its size) is part of this log. One it does not contain is explained only by a restore
        declaration (:data:`~engine.audit.core.offline.RESTORE_KIND`) that proves it: the database is
        then an older copy (entries N+1..size missing, 1..N proven the same), and once it continued,
        a declared fork. Anything else is a rewrite: AuditIntegrityError.
        """
        self.ctx.db.require_schema()
        with self.ctx.db.snapshot() as session:
            keys = session.scalars(select(SigningKey)).all()
            old = _verified_checkpoint(old_note, keys, "lama")
            new = _verified_checkpoint(new_note, keys, "baru")
            if old.origin != new.origin:
                raise AuditIntegrityError(f"Kedua checkpoint milik log berbeda ({old.origin} dan {new.origin}).")
            slug = old.origin.split("/", 1)[-1]
            coop = self.ctx.coop(session, slug)
            leaves = leaf_hashes(session, coop)
            restores = _restore_declarations(session, coop, leaves)
        size = len(leaves)

        def on_log(cp: NoteCheckpoint) -> bool:
            return cp.size <= size and root_from_leaf_hashes(leaves[:cp.size]) == cp.root

        if on_log(old) and on_log(new):
            if old.size > new.size:
                raise AuditIntegrityError(f"Checkpoint lama ({old.size}) lebih besar dari yang baru ({new.size}).")
            proof = consistency_proof(leaves[:new.size], old.size) if old.size else []
            if not verify_consistency(old.size, new.size, old.root, new.root, proof):  # pragma: no cover - roots agree
                raise AuditIntegrityError(
                    f"Log {slug} TIDAK konsisten: isi {old.size} catatan pertama berubah antara kedua checkpoint.")
            return CheckpointComparison(slug, old.size, new.size, proof, CONSISTENT, size,
                                        f"Konsisten: log {slug} ukuran {new.size} memperpanjang ukuran {old.size} "
                                        "tanpa perubahan.")
        explained: list[tuple[NoteCheckpoint, int, int, int]] = []  # (checkpoint, declaration seq, N, M)
        others: list[NoteCheckpoint] = []
        for label, cp in (("baru", new), ("lama", old)):
            if on_log(cp):
                others.append(cp)
                continue
            hit = next(((seq, prefix.size, int(body["published_size"])) for seq, body, prefix in restores
                        if declared_root(prefix, body, cp.size) == cp.root), None)
            covered = any(prefix.size < cp.size <= int(body["published_size"]) and body.get("prefix") is True
                          for _, body, prefix in restores)
            if hit is not None:
                explained.append((cp, *hit))
            elif covered:  # a size the declared history covers, with another root: not what was published
                raise AuditIntegrityError(
                    f"Checkpoint {label} ukuran {cp.size} TIDAK cocok dengan riwayat log {slug} yang dinyatakan pada "
                    "pemulihan: ada catatan yang berubah setelah ditandatangani.")
            elif cp.size > size:
                raise AuditIntegrityError(
                    f"Log {slug} di basis data hanya memuat {size} catatan, checkpoint {label} ukuran {cp.size}: "
                    f"salinan lama (entri {size + 1}..{cp.size} tidak ada) atau log yang dipotong: tidak ada "
                    "catatan pemulihan "
                    f"yang membuktikan bahwa entri 1..{size} sama dengan yang ditandatangani. Periksa dengan "
                    "bundel ekspor dari saat checkpoint itu dibuat.")
            elif label == "lama" and others:  # the newer one is this log: it does not extend the older
                raise AuditIntegrityError(
                    f"Log {slug} TIDAK konsisten: isi {cp.size} catatan pertama berubah antara kedua checkpoint "
                    "(atau log di basis data berbeda dari yang ditandatangani): ada catatan yang berubah setelah "
                    "ditandatangani.")
            else:
                raise AuditIntegrityError(
                    f"Log {slug} di basis data TIDAK cocok dengan checkpoint {label} ukuran {cp.size}: ada catatan "
                    "yang berubah setelah ditandatangani. Jalankan `tatakelola audit verify` untuk rinciannya.")
        cp, seq, n, m = max(explained, key=lambda item: item[0].size)
        forked = any(other.size > n for other in others) or (not others and size > n)
        declared = (f"Pemulihan dinyatakan di catatan #{seq}: dipulihkan ke ukuran {n} setelah ukuran {m} "
                    "pernah diterbitkan.")
        if forked:
            message = (f"Percabangan yang dinyatakan, bukan perubahan diam-diam: log {slug} adalah salinan lama "
                       f"yang dilanjutkan. Salinan lama: entri {n + 1}..{cp.size} tidak ada; entri 1..{n} terbukti "
                       f"sama dengan checkpoint ukuran {cp.size}; sejak catatan #{seq} log melanjutkan cabang "
                       f"baru. {declared}")
        else:
            message = (f"Salinan lama: entri {n + 1}..{cp.size} tidak ada di log {slug} ({size} catatan); "
                       f"entri 1..{n} terbukti sama dengan checkpoint ukuran {cp.size} (bukan diubah). {declared}")
        return CheckpointComparison(slug, old.size, new.size, [], FORK_DECLARED if forked else OLDER_COPY, size,
                                    message, restore_entry=seq, missing=(n + 1, cp.size))

    def latest_checkpoint(self, coop_slug: str) -> Checkpoint | None:
        """The largest signed checkpoint of a cooperative's log, if any."""
        self.ctx.db.require_schema()
        with self.ctx.db.reader() as session:
            return latest_checkpoint(session, self.ctx.coop(session, coop_slug))

    def checkpoint(self, coop_slug: str) -> Checkpoint:
        """Sign (or reuse) a checkpoint of a cooperative's log as it is now."""
        self.ctx.db.require_schema()
        with self.ctx.db.session() as session:
            coop = self.ctx.coop(session, coop_slug)
            return checkpoint_now(session, coop, self.ctx.signer, self.ctx.clock())
