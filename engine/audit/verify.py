"""Recompute a cooperative's log from the database and check it against its signed checkpoints.

One pass reads the log once, in order, streamed (entries joined with their event, data revision
and case; checkpoints beside them), and checks:

- **every entry**: its stored bytes hash to its stored leaf hash and are RFC 8785 canonical; its
  ``seq``, cooperative, case and procedure agree with its position and rows; its event, data
  revision, actor, comment and AD/ART settings agree with what it commits to. The bytes hashed are
  the bytes stored: canonical form is checked by re-serialising the parsed body with ``json`` (the
  same bytes as RFC 8785 for an ASCII body with integers and no floats, which is every entry the
  engine writes) and with the full RFC 8785 serialiser only for any other body;
- **the tree**: the root recomputed at every size that has a stored checkpoint equals the root in
  that checkpoint's signed note (and in its ``root`` column); the head holds the final size, root
  and compact range;
- **signatures** (Ed25519), where they add proof: the newest checkpoint of every key, every
  checkpoint whose note or root disagrees with the recomputed tree (to tell a forged checkpoint
  from a rewritten log), and one checkpoint per :data:`SPOT_CHECK` sizes. A checkpoint whose
  signed root equals the recomputed root adds no evidence beyond the newest signed checkpoint: that
  one commits to every leaf, so any change to an earlier entry changes its root. A bad signature on
  such a checkpoint (a note someone rewrote with the true root) is found by ``all_signatures``
  (``audit verify --penuh``), which checks every one;
- **the live rows**: each case's state and data against its last entry and data revision, each
  attachment's content against its hash and the entries that list it, each procedure's source
  against its hash; each term of office a case set (``role_assignments.case_id``) against the
  entries that set and ended it (kind ``jabatan``).

Continuing from a verification state (``since``: the size, root and compact range a previous
pass reached, see :class:`AuditVerification`) checks the stored compact range against its root
and against the signed checkpoint of that size, then only the entries added since and the cases
they touch.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import Select, Text, and_, cast, select, text
from sqlalchemy.orm import Session

from engine.adapters.store.models import (
    Attachment,
    AuditEntry,
    AuditHead,
    AuditVerification,
    Case,
    CaseEvent,
    CaseMigration,
    Checkpoint,
    Cooperative,
    DataRevision,
    DefinitionRecord,
    Escalation,
    Person,
    RoleAssignment,
    SigningKey,
)
from engine.audit.core.merkle import EMPTY_ROOT, CompactRange
from engine.audit.core.note import Checkpoint as NoteCheckpoint
from engine.audit.core.note import NoteError, verify_note
from engine.audit.core.offline import RESTORE_KIND, declaration_problem
from engine.audit.entry import ESCALATION_KIND, MIGRATION_KIND, TERM_KIND, canonical, comment_hash, sha256_hex
from engine.audit.keys import public_key_from_b64
from engine.audit.log import log_origin

__all__ = ["SPOT_CHECK", "Finding", "VerifyReport", "latest_verification", "record_verification", "verify_log"]

SPOT_CHECK = 1000
"""Besides the newest per key, the signature of every checkpoint whose size is a multiple of this is checked."""

_STREAM = 5000  # rows fetched at a time
_Row = Sequence[Any]
_IN_LIST = 500  # ids per IN (...) when reading the cases an incremental pass touched
_RESTORE_MARK = f'"kind":"{RESTORE_KIND}"'  # in the canonical bytes of a restore declaration (cheap pre-test)


@dataclass(frozen=True)
class Finding:
    """What is wrong, at which entry."""

    seq: int
    case: str | None
    message: str

    def __str__(self) -> str:
        where = f"catatan #{self.seq}" + (f" (kasus {self.case})" if self.case else "")
        return f"{where}: {self.message}"


@dataclass
class VerifyReport:
    """Outcome of verifying one cooperative's log."""

    coop: str
    size: int = 0
    root: str = ""
    checkpoints: int = 0  # stored checkpoints checked against the recomputed tree by this pass
    latest_checkpoint: int = 0
    findings: list[Finding] = field(default_factory=list)
    since: int | None = None  # None: the whole log was read; else continued from a verification of this size
    signatures: int = 0  # Ed25519 signatures checked by this pass
    all_signatures: bool = False
    frontier: list[str] = field(default_factory=list)
    key_id: int | None = None  # key of the newest checkpoint checked

    @property
    def ok(self) -> bool:
        """True when nothing is wrong."""
        return not self.findings

    @property
    def first(self) -> Finding | None:
        """The first bad entry (lowest seq)."""
        return min(self.findings, key=lambda f: f.seq) if self.findings else None

    @property
    def entries_checked(self) -> int:
        """Entries this pass read (all of them, or those added since the verification it continued from)."""
        return self.size - (self.since or 0)


_EVENT_FIELDS = (("action", 5), ("kind", 6), ("from", 7), ("to", 8), ("role", 9), ("data_rev", 13))
_EVENT_NAMES = {"action": "action", "kind": "kind", "from": "from_state", "to": "to_state", "role": "role",
                "data_rev": "data_rev"}


# -- canonical form, cheaply ------------------------------------------------------------------

_MAX_SAFE = 2**53 - 1  # RFC 8785 numbers are IEEE doubles


class _NotPlain(ValueError):
    """The body holds a float, a non-finite number or an integer beyond 2**53: the full serialiser decides."""


def _not_plain(_text: str) -> Any:
    raise _NotPlain


def _plain_int(text: str) -> int:
    value = int(text)
    if -_MAX_SAFE <= value <= _MAX_SAFE:
        return value
    raise _NotPlain


def _number(text: str) -> int | float:
    """An integer as RFC 8785 reads it: beyond ±(2**53 - 1) only as the double nearest to it."""
    value = int(text)
    return value if -_MAX_SAFE <= value <= _MAX_SAFE else float(value)


_decode = json.JSONDecoder(parse_float=_not_plain, parse_int=_plain_int, parse_constant=_not_plain).decode
_json_encoder = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False)
_c_encoder = getattr(json.encoder, "c_make_encoder", None)
# CPython's C encoder with the same options, made once (json.dumps builds one for every call)
_c_encode = None if _c_encoder is None else _c_encoder(None, None, json.encoder.encode_basestring, None, ":", ",",
                                                       True, False, False)


def _encode(value: Any) -> str:
    """``json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False)``."""
    if _c_encode is not None:
        return "".join(_c_encode(value, 0))
    return _json_encoder.encode(value)  # pragma: no cover - Pythons without the C encoder


def _parse_canonical(text: str) -> tuple[Any, bool]:
    """The parsed body and whether ``text`` is its RFC 8785 form. Raises ValueError if it is not JSON.

    For an ASCII text whose numbers are all integers within ±(2**53 - 1), ``json`` with sorted keys
    and no whitespace writes exactly the RFC 8785 bytes (key order by code point equals UTF-16 order
    for ASCII; the escapes are the same), so one comparison decides. Any other text is compared with
    the full RFC 8785 serialiser.
    """
    try:
        value = _decode(text)
    except _NotPlain:
        value = json.loads(text, parse_int=_number)
    else:
        if text.isascii():
            return value, _encode(value) == text
    try:
        return value, canonical(value) == text.encode()
    except Exception:  # whatever RFC 8785 cannot write is not in its form
        return value, False


def _json(text: str | None) -> Any:
    try:
        return None if text is None else json.loads(text)
    except ValueError:
        return _Unreadable


class _Unreadable:
    """Stands for live data that is not JSON: equal to no revision."""


def _same_data(data: Any, revision_text: str) -> bool:
    """The live case data is the JSON value of the revision (compared as JSON, so 1, 1.0 and true differ).

    The revision is stored in RFC 8785 form, which is what ``_encode`` writes for data without floats: one
    serialisation decides, and only data that differs from it is compared the long way.
    """
    try:
        written = _encode(data)
        return written == revision_text or written == _encode(json.loads(revision_text))
    except (ValueError, TypeError):
        return False


# -- the pass -----------------------------------------------------------------------------------


class _Keys:
    """Signing keys by id, each public key parsed once."""

    def __init__(self, session: Session) -> None:
        self._rows = {k.id: (k.name, k.public_key) for k in session.scalars(select(SigningKey))}
        self._parsed: dict[int, Ed25519PublicKey] = {}

    def get(self, key_id: int) -> tuple[str, Ed25519PublicKey] | None:
        row = self._rows.get(key_id)
        if row is None:
            return None
        if key_id not in self._parsed:
            self._parsed[key_id] = public_key_from_b64(row[1])
        return row[0], self._parsed[key_id]


class _Pass:
    """One verification pass over one cooperative's log."""

    def __init__(self, session: Session, coop: Cooperative, report: VerifyReport, all_signatures: bool,
                 spot_check: int) -> None:
        self.session, self.coop, self.report = session, coop, report
        self.all_signatures, self.spot_check = all_signatures, spot_check
        self.origin = log_origin(coop.slug)
        self.keys = _Keys(session)
        self.people = {i: name for i, name in session.execute(select(Person.id, Person.username))}
        self.refs = {i: f"{w}@{v}#{h}" for i, w, v, h in session.execute(select(
            DefinitionRecord.id, DefinitionRecord.workflow_id, DefinitionRecord.version, DefinitionRecord.sha256))}
        self.settings_hashes: dict[str, str | None] = {}
        self.moves: dict[int, list[tuple[int, int, int]]] = {}  # case id -> (seq, from, to definition), by seq
        for case_id, seq, old, new in session.execute(
                select(CaseMigration.case_id, CaseMigration.seq, CaseMigration.from_definition_id,
                       CaseMigration.to_definition_id).where(CaseMigration.coop_id == coop.id)
                .order_by(CaseMigration.seq)):
            self.moves.setdefault(case_id, []).append((seq, old, new))
        self.last: dict[int, tuple[int, str | None, int | None]] = {}  # case id -> (seq, to_state, data_rev)
        self.attached: set[tuple[int, str]] = set()  # (case id, attachment SHA-256) listed by an entry
        self.escalations: dict[int, tuple[Any, ...]] | None = None  # seq -> escalation row, read on first need
        # (user name, role, start) -> (case id, end) of the cooperative's terms, read on the first term entry
        self.terms: dict[tuple[str, str, str], tuple[int | None, str | None]] | None = None
        self.term_ends: dict[tuple[str, str, str], tuple[int, str | None]] = {}  # -> (seq, end) of its last entry
        self.terms_set: set[tuple[str, str, str]] = set()  # terms a ``tetapkan_jabatan`` entry of this pass set
        self.newest: dict[int, tuple[_Row, bytes, bool]] = {}  # key id -> its newest checkpoint so far
        self.good_size = 0  # largest size whose root matched a checkpoint

    def add(self, seq: int, case: str | None, message: str) -> None:
        self.report.findings.append(Finding(seq, case, message))

    # -- checkpoints ------------------------------------------------------------------------

    def checkpoint(self, cp: _Row, root: bytes, *, sign: bool = False) -> str | None:
        """Check one stored checkpoint (id, size, key_id, root, note) against the recomputed root of its size."""
        _, size, key_id, column_root, note = cp
        agrees = note.startswith(f"{self.origin}\n{size}\n{base64.b64encode(root).decode()}\n\n") and \
            column_root == root.hex()
        check = sign or not agrees or self.all_signatures or bool(self.spot_check and size % self.spot_check == 0)
        previous = self.newest.get(key_id)
        if previous is None or previous[0][1] <= size:
            self.newest[key_id] = (cp, root, check)
        if not check:
            return None
        self.report.signatures += 1
        bad = self.signature_problem(size, key_id, note, root)
        if bad is None and column_root != root.hex():
            bad = f"kolom akar checkpoint ukuran {size} berbeda dari catatan bertanda tangannya (diubah di luar sistem)"
        return bad

    def signature_problem(self, size: int, key_id: int, note: str, root: bytes) -> str | None:
        key = self.keys.get(key_id)
        if key is None:
            return f"kunci penanda tangan checkpoint ukuran {size} tidak dikenal"
        try:
            parsed = NoteCheckpoint.parse_body(verify_note(note, key[0], key[1]))
        except (NoteError, ValueError) as exc:
            return f"tanda tangan checkpoint ukuran {size} tidak sah ({exc})"
        if parsed.origin != self.origin or parsed.size != size:
            return f"checkpoint ukuran {size} bukan milik log ini"
        if parsed.root != root:
            return (f"akar Merkle hasil hitung ulang tidak cocok dengan checkpoint bertanda tangan "
                    f"ukuran {size} (isi catatan diubah)")
        return None

    def newest_unsigned(self) -> list[tuple[_Row, bytes]]:
        """The newest checkpoint of each key whose signature this pass has not checked yet."""
        return [(cp, root) for cp, root, signed in self.newest.values() if not signed]

    # -- entries ----------------------------------------------------------------------------

    def body(self, seq: int, text: str, leaf: bytes, stored_leaf: str) -> tuple[dict[str, Any] | None, str | None]:
        """The parsed entry and the first thing wrong with it on its own (``leaf``: the hash of its bytes)."""
        try:
            body, is_canonical = _parse_canonical(text)
        except ValueError:
            return None, "isi catatan bukan JSON yang sah"
        if not isinstance(body, dict):
            return None, "isi catatan bukan objek JSON"
        if not is_canonical:
            return body, "isi catatan tidak dalam bentuk kanonik RFC 8785 (diubah di luar sistem)"
        if leaf.hex() != stored_leaf:
            return body, "hash daun tidak cocok dengan isi catatan (isi diubah)"
        if body.get("seq") != seq:
            return body, f"nomor urut di dalam catatan ({body.get('seq')}) berbeda dari posisinya (#{seq})"
        if body.get("coop") != self.coop.slug:
            return body, f"catatan milik koperasi lain ({body.get('coop')})"
        return body, None

    def cross_check(self, body: dict[str, Any], row: _Row) -> list[str]:
        """The entry against its event, data revision, case and procedure (row: see :func:`_entries`)."""
        seq, case_id = row[0], row[1]
        if case_id is None:
            return [f"catatan menyebut kasus {body['case']} tetapi tidak terhubung ke kasus itu"] \
                if body.get("case") is not None else []
        out: list[str] = []
        number, definition_id = row[16], row[17]
        if body.get("case") != number:
            out.append(f"catatan menyebut kasus {body.get('case')}, barisnya milik kasus {number}")
        out += self.pinned_problems(seq, case_id, definition_id, body)
        if row[4] is None and body.get("kind") == ESCALATION_KIND:  # an escalation: its row, not an event
            return [*out, *self.escalation_problems(seq, case_id, body)]
        if row[4] is None and body.get("kind") == TERM_KIND:  # a term of office the case set or ended: its row
            return [*out, *self.term_problems(seq, case_id, body)]
        if row[4] is None:
            return [*out, "rincian kejadian (case_events) untuk catatan ini hilang"]
        if row[4] != case_id:
            out.append("rincian kejadian (case_events) catatan ini milik kasus lain")
        for key, index in _EVENT_FIELDS:
            if row[index] != body.get(key):
                out.append(f"'{key}' berbeda: log '{body.get(key)}', rincian '{row[index]}'")
        actor = self.people.get(row[10])
        if actor != body.get("actor"):
            out.append(f"pelaku berbeda: log '{body.get('actor')}', rincian '{actor}'")
        behalf = self.people.get(row[18]) if row[18] is not None else None
        if behalf != body.get("atas_nama"):
            out.append(f"atas nama (a.n.) berbeda: log '{body.get('atas_nama') or '-'}', rincian '{behalf or '-'}'")
        if comment_hash(row[11]) != body.get("comment_sha256"):
            out.append("catatan/komentar berbeda dari yang tercatat di log")
        if self._settings_hash(row[12]) != body.get("settings_sha256"):
            out.append("setting AD/ART yang berlaku saat keputusan berbeda dari yang tercatat di log")
        rev = body.get("data_rev")
        text, stored = row[14], row[15]
        if rev != row[13]:  # the joined revision is the event's: fetch the one the entry names
            found = self.session.execute(select(DataRevision.canonical, DataRevision.sha256).where(
                DataRevision.case_id == case_id, DataRevision.rev == (rev if isinstance(rev, int) else -1))).first()
            text, stored = found if found is not None else (None, None)
        if text is None:
            out.append(f"revisi data #{rev} hilang")
        elif sha256_hex(text.encode()) != stored or stored != body.get("data_sha256"):
            out.append(f"revisi data #{rev} berubah (hash tidak cocok dengan log)")
        self.last[case_id] = (seq, row[8], row[13])
        return out

    def escalation_problems(self, seq: int, case_id: int, body: dict[str, Any]) -> list[str]:
        """An escalation entry against its ``escalations`` row (case, step, level, what and to whom)."""
        if self.escalations is None:
            self.escalations = {r[0]: tuple(r[1:]) for r in self.session.execute(
                select(Escalation.seq, Escalation.case_id, Escalation.step_no, Escalation.level, Escalation.kind,
                       Escalation.to_role).where(Escalation.coop_id == self.coop.id))}
        row = self.escalations.get(seq)
        if row is None:
            return ["catatan eskalasi tanpa baris eskalasi (escalations) yang cocok"]
        logged = (case_id, body.get("step"), body.get("level"), body.get("do"), body.get("to_role"))
        if row != logged:
            return [f"eskalasi di log {logged[1:]} berbeda dari yang tercatat {row[1:]}" if row[0] == case_id
                    else "baris eskalasi (escalations) catatan ini milik kasus lain"]
        return []

    def term_problems(self, seq: int, case_id: int, body: dict[str, Any]) -> list[str]:
        """A ``jabatan`` entry against the term (``role_assignments``) it sets or ends."""
        terms = self.load_terms()
        key = (str(body.get("person")), str(body.get("role")), str(body.get("starts_on")))
        row = terms.get(key)
        what = f"{key[0]} sebagai {key[1]} mulai {key[2]}"
        if row is None:
            return [f"catatan jabatan ({what}) tanpa masa jabatan (role_assignments) yang cocok"]
        if body.get("action") == "tetapkan_jabatan":
            if row[0] != case_id:
                return [f"masa jabatan {what} tidak tercatat sebagai hasil kasus ini (case_id berbeda)"]
            self.terms_set.add(key)
        if row[0] is not None:  # a term a case set: its end must be the one its last entry gives
            self.term_ends[key] = (seq, body.get("ends_on"))
        rev = body.get("data_rev")
        stored = self.session.scalar(select(DataRevision.sha256).where(
            DataRevision.case_id == case_id, DataRevision.rev == (rev if isinstance(rev, int) else -1)))
        if stored is None or stored != body.get("data_sha256"):
            return [f"revisi data #{rev} yang menjadi dasar catatan jabatan hilang atau berubah"]
        return []

    def load_terms(self) -> dict[tuple[str, str, str], tuple[int | None, str | None]]:
        """The cooperative's terms of office (read once)."""
        if self.terms is None:
            ra = RoleAssignment
            self.terms = {(self.people.get(p, "?"), role, start.isoformat()): (case, end.isoformat() if end else None)
                          for p, role, start, end, case in self.session.execute(
                              select(ra.person_id, ra.role, ra.starts_on, ra.ends_on, ra.case_id)
                              .where(ra.coop_id == self.coop.id))}
        return self.terms

    def pinned_problems(self, seq: int, case_id: int, definition_id: int | None, body: dict[str, Any]) -> list[str]:
        """The entry names the definition its case was pinned to at that point of the log.

        A case moved to another version (``case_migrations``) was under the old definition before its
        migration entry and under the new one after it; the migration entry names both.
        """
        out: list[str] = []
        live = self.refs.get(definition_id) if definition_id is not None else None
        expected = live
        migration = body.get("kind") == MIGRATION_KIND
        matched = False
        for moved_at, old, new in self.moves.get(case_id, ()):
            if seq < moved_at:
                expected = self.refs.get(old)
                break
            if seq == moved_at:
                matched = True
                if not migration:
                    out.append("catatan ini tercatat sebagai pemindahan versi (case_migrations), tetapi bukan "
                               "catatan pemindahan")
                elif (body.get("from_definition"), body.get("to_definition")) != (self.refs.get(old),
                                                                                   self.refs.get(new)):
                    out.append("pemindahan versi di log berbeda dari yang tercatat di case_migrations")
                expected = self.refs.get(new)
                break
        if migration and not matched:
            out.append("catatan pemindahan versi tanpa baris case_migrations yang cocok")
        moves = self.moves.get(case_id)
        if moves and seq == moves[-1][0] and live is not None and self.refs.get(moves[-1][2]) != live:
            out.append(f"kasus kini dipasangkan ke {live[:40]}…, padahal dipindahkan ke "
                       f"{str(self.refs.get(moves[-1][2]))[:40]}…")
        if expected is not None and body.get("definition") != expected:
            out.append(f"kasus dipasangkan ke {expected[:40]}…, log mencatat {str(body.get('definition'))[:40]}…")
        return out

    def _settings_hash(self, text: str | None) -> str | None:
        if text is None:
            return None
        known = self.settings_hashes.get(text, "")
        if known != "":
            return known
        try:
            digest: str | None = sha256_hex(canonical(json.loads(text)))
        except Exception:  # unreadable settings commit to nothing
            digest = None
        if len(self.settings_hashes) > 4096:
            self.settings_hashes.clear()
        self.settings_hashes[text] = digest
        return digest


def _entries(session: Session, coop_id: int, after: int) -> Iterator[_Row]:
    """Entries after ``after``, in order, each with its event, data revision and case (one streamed query).

    Columns: 0 seq, 1 case_id, 2 body, 3 leaf_hash, 4 event case_id, 5 action, 6 kind, 7 from, 8 to,
    9 role, 10 actor_id, 11 comment, 12 settings (JSON text), 13 event data_rev, 14 revision canonical,
    15 revision sha256, 16 case number, 17 case definition_id, 18 event on_behalf_of_id (a.n.).
    """
    e, ev, r, c = (AuditEntry.__table__, CaseEvent.__table__, DataRevision.__table__, Case.__table__)
    stmt = (
        select(e.c.seq, e.c.case_id, e.c.body, e.c.leaf_hash, ev.c.case_id, ev.c.action, ev.c.kind,
               ev.c.from_state, ev.c.to_state, ev.c.role, ev.c.actor_id, ev.c.comment, cast(ev.c.settings, Text),
               ev.c.data_rev, r.c.canonical, r.c.sha256, c.c.number, c.c.definition_id, ev.c.on_behalf_of_id)
        .select_from(e.outerjoin(ev, and_(ev.c.coop_id == e.c.coop_id, ev.c.seq == e.c.seq))
                     .outerjoin(r, and_(r.c.case_id == e.c.case_id, r.c.rev == ev.c.data_rev))
                     .outerjoin(c, c.c.id == e.c.case_id))
        .where(e.c.coop_id == coop_id, e.c.seq > after)
        .order_by(e.c.seq)
    )
    yield from _rows(session, stmt)


def _rows(session: Session, stmt: Select[Any], batch: int = _STREAM) -> Iterator[_Row]:
    """The rows of a select, streamed straight from the driver without per-row type processing.

    Only for statements whose values are integers (rendered inline) and whose columns need no
    conversion (text, integers, bytes; JSON read as text).
    """
    connection = session.connection()
    sql = str(stmt.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True}))
    yield from connection.exec_driver_sql(sql, execution_options={"yield_per": batch})


def _checkpoints(session: Session, coop_id: int, after: int) -> Iterator[_Row]:
    """Stored checkpoints of size greater than ``after``, by size (id, size, key_id, root, note)."""
    t = Checkpoint.__table__
    stmt = (select(t.c.id, t.c.size, t.c.key_id, t.c.root, t.c.note)
            .where(t.c.coop_id == coop_id, t.c.size > after)
            .order_by(t.c.size, t.c.key_id))
    yield from _rows(session, stmt)


def verify_log(session: Session, coop: Cooperative, *, since: AuditVerification | None = None,
               all_signatures: bool = False, spot_check: int = SPOT_CHECK) -> VerifyReport:
    """Verify a cooperative's log: entries, leaf hashes, data revisions, events, checkpoints, live rows, head.

    Args:
        session: An open session (best a snapshot: :meth:`Database.snapshot`).
        coop: The cooperative.
        since: A verification state to continue from (:func:`latest_verification`): only the entries
            added after it, and the cases they touch, are read. None reads the whole log.
        all_signatures: Check the Ed25519 signature of every checkpoint, not only where it adds proof.
        spot_check: Also check the signature of every checkpoint whose size is a multiple of this (0: none).
    """
    report = VerifyReport(coop=coop.slug, all_signatures=all_signatures)
    if session.get_bind().dialect.name == "postgresql":
        # streamed index lookups gain nothing from JIT; compiling the plans cost seconds at a million rows
        session.execute(text("SET LOCAL jit = off"))
    run = _Pass(session, coop, report, all_signatures, spot_check)
    tree = CompactRange()
    start = 0
    if since is not None:
        resumed = _resume(run, since)
        if resumed is None:
            return report
        tree, start = resumed, since.size
        report.since = report.latest_checkpoint = run.good_size = start
    else:
        for empty in session.execute(select(Checkpoint.id, Checkpoint.size, Checkpoint.key_id, Checkpoint.root,
                                            Checkpoint.note).where(Checkpoint.coop_id == coop.id,
                                                                   Checkpoint.size == 0)):
            # signed when an empty log is exported: its root is SHA-256 of ""
            report.checkpoints += 1
            bad = run.checkpoint(empty, EMPTY_ROOT, sign=True)
            if bad:
                run.add(0, None, bad)
    checkpoints = _checkpoints(session, coop.id, start)
    pending = next(checkpoints, None)
    position = start
    for row in _entries(session, coop.id, start):
        seq, case_id = row[0], row[1]
        position += 1
        if seq != position:
            missing = position if seq > position else seq
            run.add(missing, row[16], f"urutan catatan terputus: diharapkan #{position}, ditemukan #{seq} "
                                      "(catatan dihapus, disisipkan atau diurutkan ulang)")
            position -= 1
            break
        before = CompactRange.from_list(tree.size, tree.to_list()) if _RESTORE_MARK in row[2] else None
        leaf = tree.append_data(row[2].encode())  # the bytes stored are the bytes hashed
        body, problem = run.body(seq, row[2], leaf, row[3])
        case_no: str | None = row[16]
        if problem:
            run.add(seq, case_no, problem)
        elif body is not None and before is not None and body.get("kind") == RESTORE_KIND:
            problem = declaration_problem(before, body)  # a declared restore must prove what it says
            if problem:
                run.add(seq, None, problem)
        if body is not None:
            case_no = str(body.get("case") or case_no or "") or None
            for message in run.cross_check(body, row):
                run.add(seq, case_no, message)
            if case_id is not None:
                for sha in body.get("attachments") or ():
                    run.attached.add((case_id, str(sha)))
        if pending is not None and pending[1] == position:
            root = tree.root()
            while pending is not None and pending[1] == position:
                report.checkpoints += 1
                report.latest_checkpoint = position
                bad = run.checkpoint(pending, root)
                if bad:
                    first_bad = run.good_size + 1
                    span = "" if first_bad == position else f" (perubahan di antara #{first_bad} dan #{position})"
                    run.add(first_bad, row[16], bad + span)
                else:
                    run.good_size = max(run.good_size, position)
                pending = next(checkpoints, None)
        if report.findings:
            break
    if not report.findings:
        for cp, root in run.newest_unsigned():  # the newest of each key, whatever the sampling skipped
            report.signatures += 1
            bad = run.signature_problem(cp[1], cp[2], cp[4], root)
            if bad:
                run.add(cp[1], None, bad)
    report.size = position
    report.root = tree.root().hex()
    report.frontier = tree.to_list()
    newest = max((cp for cp, _, _ in run.newest.values()), key=lambda cp: (cp[1], cp[0]), default=None)
    report.key_id = newest[2] if newest is not None else (since.key_id if since is not None else None)
    if not report.findings and pending is not None and pending[1] > position:
        run.add(position + 1, None, f"log terpotong: checkpoint bertanda tangan mencakup {pending[1]} catatan, "
                                    f"basis data hanya memuat {position}")
    if not report.findings:
        _current_state(run, full=since is None)
    if not report.findings:
        head = session.get(AuditHead, coop.id)
        if head is None or head.size != position or head.root != report.root or \
                list(head.frontier or []) != report.frontier:
            run.add(position, None, "kepala log (ukuran/akar) tidak cocok dengan isi log")
    return report


def _resume(run: _Pass, state: AuditVerification) -> CompactRange | None:
    """The compact range of a stored verification state, if it is consistent and still holds; else a finding."""
    report, session, size = run.report, run.session, state.size
    report.since = size
    try:
        tree = CompactRange.from_list(size, list(state.frontier or []))
    except ValueError:
        tree = None
    if tree is None or tree.root().hex() != state.root:
        run.add(size, None, f"status verifikasi tersimpan (ukuran {size}) rusak: akar dari rentang ringkasnya "
                            "bukan akar yang tercatat; jalankan verifikasi tanpa --sejak-terakhir")
        return None
    if size == 0:
        return tree
    present = session.scalar(select(AuditEntry.seq).where(AuditEntry.coop_id == run.coop.id, AuditEntry.seq == size))
    if present is None:
        run.add(size, None, f"log terpotong: verifikasi terakhir mencakup {size} catatan, catatan #{size} "
                            "kini tidak ada di basis data")
        return None
    rows = session.execute(select(Checkpoint.id, Checkpoint.size, Checkpoint.key_id, Checkpoint.root,
                                  Checkpoint.note).where(Checkpoint.coop_id == run.coop.id,
                                                         Checkpoint.size == size)).all()
    if not rows:
        run.add(size, None, f"tidak ada checkpoint bertanda tangan ukuran {size} untuk status verifikasi "
                            "terakhir; jalankan verifikasi tanpa --sejak-terakhir")
        return None
    for cp in rows:  # the stored root must be the one this installation signed at that size
        report.signatures += 1
        bad = run.signature_problem(size, cp[2], cp[4], tree.root())
        if bad:
            run.add(size, None, f"status verifikasi terakhir (ukuran {size}) tidak cocok dengan checkpoint: {bad}; "
                                "jalankan verifikasi tanpa --sejak-terakhir")
            return None
    return tree


def _current_state(run: _Pass, *, full: bool) -> None:
    """The live rows (case status and data, attachments, procedure sources) match the trail.

    A full pass checks every case and attachment of the cooperative; a pass continued from a stored
    state checks the cases its new entries touch (and their attachments).
    """
    session, coop = run.session, run.coop
    c, r = Case.__table__, DataRevision.__table__
    columns = select(c.c.id, c.c.number, c.c.state, cast(c.c.data, Text), c.c.data_rev, c.c.definition_id,
                     r.c.canonical, r.c.sha256).select_from(
        c.outerjoin(r, and_(r.c.case_id == c.c.id, r.c.rev == c.c.data_rev))).order_by(c.c.id)
    if full:
        batches: list[Select[Any]] = [columns.where(c.c.coop_id == coop.id)]
    else:
        touched = sorted(run.last)
        batches = [columns.where(c.c.coop_id == coop.id, c.c.id.in_(touched[i:i + _IN_LIST]))
                   for i in range(0, len(touched), _IN_LIST)]
        _listed_before(run, touched)
    checked_definitions: dict[int, str | None] = {}
    for batch in batches:
        for case_id, number, state, data, data_rev, definition_id, revision, revision_sha in _rows(session, batch):
            latest = run.last.get(case_id)
            if latest is None:
                run.add(0, number, "kasus tidak punya satu pun catatan di log (disisipkan langsung)")
                continue
            seq, to_state, event_rev = latest
            if to_state is not None and to_state != state:
                run.add(seq, number, f"status kasus di basis data '{state}' berbeda dari catatan terakhir "
                                     f"'{to_state}' (diubah di luar sistem)")
            if revision is None or event_rev != data_rev or sha256_hex(revision.encode()) != revision_sha or \
                    not _same_data(_json(data), revision):
                run.add(seq, number, "data kasus di basis data berbeda dari revisi yang tercatat di log "
                                     "(diubah di luar sistem)")
            if definition_id not in checked_definitions:
                checked_definitions[definition_id] = _definition_problem(session, definition_id)
            problem = checked_definitions[definition_id]
            if problem:
                run.add(seq, number, problem)
    _attachments(run, None if full else sorted(run.last))
    _terms(run, full=full)


def _terms(run: _Pass, *, full: bool) -> None:
    """Each term a case set has the entry that set it and the end its last entry gives (a full pass: every
    such term; a continued pass: the terms its new entries touched)."""
    if full:
        if not run.session.scalar(select(RoleAssignment.id).where(RoleAssignment.coop_id == run.coop.id,
                                                                  RoleAssignment.case_id.is_not(None)).limit(1)):
            return
        keys = [k for k, (case_id, _) in run.load_terms().items() if case_id is not None]
    elif run.term_ends:
        keys = list(run.term_ends)
    else:
        return
    terms = run.load_terms()
    numbers: dict[int, str] = {}
    for key in sorted(keys):
        case_id, end = terms[key]
        if case_id is None:
            continue
        if case_id not in numbers:
            numbers[case_id] = run.session.scalar(select(Case.number).where(Case.id == case_id)) or ""
        what = f"masa jabatan {key[0]} sebagai {key[1]} mulai {key[2]}"
        if full and key not in run.terms_set:
            run.add(0, numbers[case_id] or None, f"{what} tercatat dari kasus ini tetapi tidak ada di log "
                                                 "(disisipkan langsung)")
            continue
        seq, logged = run.term_ends.get(key, (0, end))
        if logged != end:
            run.add(seq, numbers[case_id] or None, f"{what}: akhir masa jabatan di basis data {end or 'terbuka'} "
                                                   f"berbeda dari log {logged or 'terbuka'} (diubah di luar sistem)")


def _listed_before(run: _Pass, case_ids: Sequence[int]) -> None:
    """Attachments listed by the earlier entries of the cases an incremental pass touched."""
    before = run.report.since or 0
    for i in range(0, len(case_ids), _IN_LIST):
        for case_id, body in run.session.execute(select(AuditEntry.case_id, AuditEntry.body).where(
                AuditEntry.coop_id == run.coop.id, AuditEntry.case_id.in_(case_ids[i:i + _IN_LIST]),
                AuditEntry.seq <= before)):
            try:
                listed = json.loads(body).get("attachments") or ()
            except (ValueError, AttributeError):
                continue
            if case_id is not None:
                run.attached.update((case_id, str(sha)) for sha in listed)


def _attachments(run: _Pass, case_ids: Sequence[int] | None) -> None:
    """Each attachment's content hashes to its SHA-256, and an entry of its case lists it (streamed)."""
    a = Attachment.__table__
    numbers: dict[int, str] = {}
    query = select(a.c.id, a.c.case_id, a.c.filename, a.c.sha256, a.c.content, a.c.storage_path)
    query = query.order_by(a.c.id)
    if case_ids is None:
        batches = [query.where(a.c.coop_id == run.coop.id)]
    else:
        batches = [query.where(a.c.coop_id == run.coop.id, a.c.case_id.in_(case_ids[i:i + _IN_LIST]))
                   for i in range(0, len(case_ids), _IN_LIST)]
    for batch in batches:
        for _, case_id, filename, sha, content, storage_path in _rows(run.session, batch, 500):
            try:
                data = content if content is not None else Path(storage_path or "").read_bytes()
            except OSError:
                data = None
            problem = None
            if data is None or hashlib.sha256(data).hexdigest() != sha:
                problem = f"isi lampiran '{filename}' hilang atau berubah (SHA-256 tidak cocok)"
            elif (case_id, sha) not in run.attached:
                problem = f"lampiran '{filename}' tidak tercatat di log"
            if problem:
                if case_id not in numbers:
                    numbers[case_id] = run.session.scalar(select(Case.number).where(Case.id == case_id)) or ""
                latest = run.last.get(case_id)
                run.add(latest[0] if latest else 0, numbers[case_id] or None, problem)


def _definition_problem(session: Session, definition_id: int) -> str | None:
    from engine.domain.definitions.loader import load_definition_text
    from engine.errors import DefinitionError

    record = session.get_one(DefinitionRecord, definition_id)
    try:
        loaded = load_definition_text(record.source, f"{record.workflow_id}@{record.version}")
    except DefinitionError as exc:  # damaged, or refused by bounds stricter than when it was stored
        first = exc.problems[0].message if exc.problems else exc.message
        return (f"sumber prosedur {record.workflow_id}@{record.version} di basis data tidak dapat dimuat (rusak, "
                f"atau ditolak batas yang lebih ketat sejak disimpan): {first}")
    if loaded.sha256 != record.sha256:
        return f"sumber prosedur {record.workflow_id}@{record.version} di basis data berubah (hash tidak cocok)"
    return None


# -- verification state -------------------------------------------------------------------------


def latest_verification(session: Session, coop_id: int) -> AuditVerification | None:
    """The newest successful verification of a cooperative's log: where the next one may continue."""
    return session.scalars(select(AuditVerification).where(AuditVerification.coop_id == coop_id,
                                                           AuditVerification.ok.is_(True))
                           .order_by(AuditVerification.id.desc()).limit(1)).first()


def record_verification(session: Session, coop_id: int, report: VerifyReport, now: datetime, *,
                        always: bool = False) -> AuditVerification | None:
    """Remember what a pass established (append-only history).

    A row is written when ``always`` (a full pass is worth recording even when nothing changed) or
    when the outcome differs from the newest row (size, root, ok, number of findings): a Dinas page
    viewed again and again over an unchanged log writes nothing.
    """
    if not always:
        newest = session.scalars(select(AuditVerification).where(AuditVerification.coop_id == coop_id)
                                 .order_by(AuditVerification.id.desc()).limit(1)).first()
        if newest is not None and (newest.size, newest.root, newest.ok, newest.findings) == (
                report.size, report.root, report.ok, len(report.findings)):
            return None
    first = report.first
    row = AuditVerification(
        coop_id=coop_id, mode=_mode(report), from_size=report.since or 0, size=report.size, root=report.root,
        frontier=report.frontier, checkpoint_size=report.latest_checkpoint, key_id=report.key_id,
        signatures=report.signatures, ok=report.ok, findings=len(report.findings),
        first_finding=str(first)[:500] if first else None, verified_at=now)
    session.add(row)
    return row


def _mode(report: VerifyReport) -> str:
    if report.since is not None:
        return "sejak_terakhir"
    return "penuh" if report.all_signatures else "biasa"
