"""Use cases over a unit of work: organisation, cases, tasks, audit.

Each action runs in one database transaction: lock the case -> check role, term,
segregation of duties, quorum, guard and required data -> fire the transition ->
save case and data revision -> append the audit entry (and sign a checkpoint) -> commit.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from engine.adapters.attachments import store_attachment
from engine.adapters.passwords import set_password
from engine.adapters.store.db import Database, as_utc, utcnow
from engine.adapters.store.models import (
    Case,
    CaseCounter,
    CaseEvent,
    Checkpoint,
    Cooperative,
    DataRevision,
    DefinitionRecord,
    Person,
    RoleAssignment,
    SigningKey,
    Vote,
)
from engine.audit.core.merkle import root_from_leaf_hashes, verify_consistency
from engine.audit.core.note import Checkpoint as NoteCheckpoint
from engine.audit.core.note import NoteError, verify_note
from engine.audit.entry import canonical, comment_hash, sha256_hex
from engine.audit.export import export_bundle
from engine.audit.findings import RULES, Finding, FindingsReport, find
from engine.audit.keys import Signer, create_key_file, load_signer, public_key_from_b64
from engine.audit.log import append_entry, checkpoint_now, register_key
from engine.audit.proofs import EntryProof, latest_checkpoint, leaf_hashes, prove_consistency, prove_entries
from engine.audit.verify import VerifyReport, verify_log
from engine.domain.definitions.expr import GuardError, guard_names
from engine.domain.definitions.loader import LoadedDefinition, load_definition_text
from engine.domain.definitions.model import Action, Definition
from engine.domain.definitions.registry import Registry, data_dir
from engine.domain.machine import machine_for
from engine.domain.policy import (
    History,
    eligible_voters,
    load_history,
    missing_requirements,
    quorum_needed,
    roles_on,
    who_may,
)
from engine.domain.roles import role_label
from engine.domain.values import format_value, parse_value, resolved_settings, validate_value
from engine.errors import (
    AlreadyDecidedError,
    AuditIntegrityError,
    DefinitionChangedError,
    FieldProblem,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)
from engine.services.organisation import ImportSummary, apply_org, load_org
from engine.settings import Settings

__all__ = [
    "ActResult",
    "ActionOption",
    "CaseSummary",
    "CaseView",
    "EventView",
    "Services",
]


@dataclass(frozen=True)
class ActionOption:
    """One action from the current state, as seen by one person."""

    id: str
    label: str
    kind: str
    to: str
    allowed: bool
    reason: str | None
    role: str | None
    votes: int
    needed: int
    requires: list[str]
    checks: list[str]
    requires_comment: bool
    sets: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class EventView:
    """One logged step of a case's timeline."""

    seq: int
    at: datetime
    action: str
    kind: str
    from_state: str
    to_state: str
    actor: str
    actor_name: str
    role: str
    comment: str | None
    checks: list[str]


@dataclass(frozen=True)
class CaseSummary:
    """A line of a case list."""

    number: str
    coop: str
    workflow: str
    title: str
    state: str
    status: str
    final: bool
    since: datetime
    due: datetime | None
    overdue: bool


@dataclass
class CaseView:
    """Everything a case page shows: where it is, what to do, who may do what."""

    summary: CaseSummary
    definition_ref: str
    guidance: str | None
    checklist: list[tuple[str, str]]
    mutu_baku: dict[str, str] | None
    fields: list[tuple[str, str, str]]
    options: list[ActionOption] = field(default_factory=list)
    history: list[EventView] = field(default_factory=list)
    votes: dict[str, list[str]] = field(default_factory=dict)
    step_no: int = 0
    state_titles: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ActResult:
    """What an action did."""

    number: str
    action: str
    from_state: str
    to_state: str
    state_title: str
    fired: bool
    votes: int
    needed: int
    seq: int


FOLLOWUP_WORKFLOW = "tindak_lanjut_temuan"

#: An attachment: a file path (CLI) or (file name, content) from an upload.
Upload = Path | tuple[str, bytes]


def _verified_checkpoint(note: str, keys: Sequence[SigningKey], which: str) -> NoteCheckpoint:
    for key in keys:
        try:
            return NoteCheckpoint.parse_body(verify_note(note, key.name, public_key_from_b64(key.public_key)))
        except NoteError:
            continue
    raise AuditIntegrityError(f"Checkpoint {which} tidak bertanda tangan sah oleh kunci yang terdaftar.")


class Services:
    """The engine's use cases, bound to one database and configuration."""

    def __init__(
        self,
        settings: Settings,
        *,
        registry: Registry | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.settings = settings
        self.db = Database(settings.db_url)
        self._registry = registry
        self.clock = clock
        self.tz = ZoneInfo(settings.timezone)
        self._signer: Signer | None = None
        self._pinned: dict[str, LoadedDefinition] = {}
        self._lock = threading.Lock()

    # -- configuration -------------------------------------------------------------------

    @property
    def registry(self) -> Registry:
        """Current workflow definitions: the configured directories, else the shipped ones."""
        if self._registry is None:
            dirs = list(self.settings.workflow_dirs) or [data_dir("workflows")]
            self._registry = Registry.from_paths(dirs)
        return self._registry

    @property
    def signer(self) -> Signer:
        """The checkpoint-signing key (loaded on first use)."""
        if self._signer is None:
            self._signer = load_signer(self.settings.resolved_key_path)
        return self._signer

    def today(self) -> date:
        """Today's date in the cooperative's time zone."""
        return self.clock().astimezone(self.tz).date()

    def init(self) -> tuple[Path, bool]:
        """Create or upgrade the schema and create the signing key if missing."""
        self.db.upgrade()
        path = self.settings.resolved_key_path
        created = False
        if not path.exists():
            self._signer = create_key_file(path, self.settings.key_name)
            created = True
        with self.db.session() as session:
            register_key(session, self.signer, self.clock())
        return path, created

    # -- organisation --------------------------------------------------------------------

    def import_org(self, path: Path) -> ImportSummary:
        """Import an organisation file (idempotent)."""
        org = load_org(path)
        self.db.require_schema()
        with self.db.session() as session:
            return apply_org(session, org, self.clock())

    def cooperatives(self) -> list[tuple[Cooperative, int, int]]:
        """Every cooperative with its count of current role holders and open cases."""
        self.db.require_schema()
        today = self.today()
        with self.db.session() as session:
            coops = session.scalars(select(Cooperative).order_by(Cooperative.slug)).all()
            out = []
            for coop in coops:
                holders = session.scalar(
                    select(func.count(func.distinct(RoleAssignment.person_id))).where(
                        RoleAssignment.coop_id == coop.id, RoleAssignment.starts_on <= today,
                        (RoleAssignment.ends_on.is_(None)) | (RoleAssignment.ends_on >= today)))
                open_cases = session.scalar(
                    select(func.count(Case.id)).where(Case.coop_id == coop.id, Case.closed_at.is_(None)))
                out.append((coop, int(holders or 0), int(open_cases or 0)))
            return out

    # -- definitions ---------------------------------------------------------------------

    def _register(self, session: Session, loaded: LoadedDefinition) -> DefinitionRecord:
        d = loaded.definition
        record = session.scalar(select(DefinitionRecord).where(
            DefinitionRecord.workflow_id == d.id, DefinitionRecord.version == d.version))
        if record is not None:
            if record.sha256 != loaded.sha256:
                raise DefinitionChangedError(d.id, d.version, record.sha256, loaded.sha256)
            return record
        record = DefinitionRecord(workflow_id=d.id, version=d.version, sha256=loaded.sha256, title=d.title,
                                  source=loaded.source, source_path=Path(loaded.path).name,
                                  registered_at=self.clock())
        session.add(record)
        session.flush()
        return record

    def check_registered(self) -> list[DefinitionChangedError]:
        """Definitions whose file changed without a version bump since the database saw them."""
        problems = []
        with self.db.session() as session:
            for loaded in self.registry.all():
                d = loaded.definition
                record = session.scalar(select(DefinitionRecord).where(
                    DefinitionRecord.workflow_id == d.id, DefinitionRecord.version == d.version))
                if record is not None and record.sha256 != loaded.sha256:
                    problems.append(DefinitionChangedError(d.id, d.version, record.sha256, loaded.sha256))
        return problems

    def pinned(self, record: DefinitionRecord) -> LoadedDefinition:
        """The definition a case is pinned to, parsed from its stored source and re-hashed."""
        loaded = self._pinned.get(record.sha256)
        if loaded is None:
            loaded = load_definition_text(record.source, f"{record.workflow_id}@{record.version}")
            if loaded.sha256 != record.sha256:
                raise AuditIntegrityError(
                    f"Sumber prosedur {record.workflow_id}@{record.version} di basis data tidak cocok "
                    "dengan hash yang tercatat.")
            self._pinned[record.sha256] = loaded
        return loaded

    # -- lookups -------------------------------------------------------------------------

    @staticmethod
    def _coop(session: Session, slug: str) -> Cooperative:
        coop = session.scalar(select(Cooperative).where(Cooperative.slug == slug))
        if coop is None:
            raise NotFoundError(f"Koperasi '{slug}' tidak ditemukan. Lihat `tatakelola org list`.")
        return coop

    @staticmethod
    def _person(session: Session, username: str) -> Person:
        person = session.scalar(select(Person).where(Person.username == username))
        if person is None:
            raise NotFoundError(f"Pengguna '{username}' tidak ditemukan.")
        return person

    def _find_case(self, session: Session, number: str, coop_slug: str | None, person: Person | None,
                   *, lock: bool) -> Case:
        stmt = select(Case).where(Case.number == number.strip().upper())
        if coop_slug:
            stmt = stmt.where(Case.coop_id == self._coop(session, coop_slug).id)
        if lock:
            stmt = stmt.with_for_update().execution_options(populate_existing=True)
        cases = session.scalars(stmt).all()
        if len(cases) > 1 and person is not None:
            mine = {r.coop_id for r in session.scalars(
                select(RoleAssignment).where(RoleAssignment.person_id == person.id))}
            cases = [c for c in cases if c.coop_id in mine] or cases
        if not cases:
            raise NotFoundError(f"Kasus {number} tidak ditemukan.")
        if len(cases) > 1:
            raise ValidationError([], headline=f"Nomor {number} ada di beberapa koperasi; sebutkan --coop.")
        return cases[0]

    # -- values --------------------------------------------------------------------------

    @staticmethod
    def _parse_values(d: Definition, raw: Mapping[str, str], settings: Mapping[str, Any],
                      allowed: Sequence[str]) -> dict[str, Any]:
        values: dict[str, Any] = {}
        problems: list[FieldProblem] = []
        for name, text in raw.items():
            spec = d.fields.get(name)
            if spec is None:
                problems.append(FieldProblem(name, f"field tidak dikenal; yang ada: {', '.join(d.fields)}"))
                continue
            if name not in allowed:
                problems.append(FieldProblem(f"{spec.label} ({name})", "tidak dapat diubah pada langkah ini"))
                continue
            try:
                value = parse_value(name, spec, text, settings)
            except Exception as exc:  # _FieldError carries a FieldProblem
                problem = getattr(exc, "problem", None)
                if not isinstance(problem, FieldProblem):
                    raise
                problems.append(problem)
                continue
            error = validate_value(name, spec, value, settings)
            if error:
                problems.append(error)
            values[name] = value
        if problems:
            raise ValidationError(problems)
        return values

    def _attach(self, session: Session, d: Definition, case: Case, person: Person,
                files: Mapping[str, Upload], allowed: Sequence[str], now: datetime) -> dict[str, Any]:
        out: dict[str, Any] = {}
        attachment_fields = [n for n, f in d.fields.items() if f.type == "attachment"]
        for name, path in files.items():
            if name == "":
                # A bare --attach goes to the one attachment still needed to move on from here.
                needed = [n for a in d.actions_from(case.state) for n in a.requires
                          if n in attachment_fields and n in allowed and not case.data.get(n)]
                candidates = list(dict.fromkeys(needed)) or [n for n in attachment_fields if n in allowed]
                if len(candidates) != 1:
                    raise ValidationError([FieldProblem("--attach", "sebutkan field lampiran: --attach FIELD=BERKAS"
                                                        f" (pilihan: {', '.join(candidates) or 'tidak ada'})")])
                name = candidates[0]
            spec = d.fields.get(name)
            if spec is None or spec.type != "attachment":
                raise ValidationError([FieldProblem(name, "bukan field lampiran")])
            if name not in allowed:
                raise ValidationError([FieldProblem(f"{spec.label} ({name})", "tidak dapat diubah pada langkah ini")])
            if isinstance(path, tuple):
                filename, content = path
            else:
                filename = path.name
                try:
                    content = path.read_bytes()
                except OSError as exc:
                    raise ValidationError([FieldProblem(f"{spec.label} ({name})",
                                                        f"berkas {path} tidak dapat dibaca: {exc.strerror}")]) from None
            out[name] = store_attachment(
                session, coop_id=case.coop_id, case_id=case.id, field_name=name, field=spec,
                filename=filename, content=content, uploaded_by=person.id, now=now,
                max_mb=self.settings.max_attachment_mb, directory=self.settings.attachments_dir)
        return out

    def _revision(self, session: Session, case: Case, data: dict[str, Any], now: datetime) -> DataRevision:
        case.data_rev += 1
        text = canonical(data).decode()
        revision = DataRevision(coop_id=case.coop_id, case_id=case.id, rev=case.data_rev, canonical=text,
                                sha256=sha256_hex(text.encode()), created_at=now)
        session.add(revision)
        return revision

    def _log(self, session: Session, coop: Cooperative, case: Case, record: DefinitionRecord, *,
             action: str, kind: str, from_state: str, to_state: str, person: Person, role: str,
             comment: str | None, checks: list[str], revision_sha: str, attachments: list[str],
             vote: dict[str, int] | None, settings: dict[str, Any], now: datetime) -> int:
        fields: dict[str, Any] = {
            "case": case.number, "definition": record.pinned_ref, "action": action, "kind": kind,
            "from": from_state, "to": to_state, "actor": person.username, "role": role,
            "comment_sha256": comment_hash(comment), "data_rev": case.data_rev, "data_sha256": revision_sha,
            "checks": sorted(checks), "attachments": sorted(attachments),
            "settings_sha256": sha256_hex(canonical(settings)),
        }
        if vote is not None:
            fields["vote"] = vote
        entry = append_entry(session, coop, self.signer, fields, case_id=case.id, now=now)
        session.add(CaseEvent(coop_id=coop.id, seq=entry.seq, case_id=case.id, step_no=case.step_no,
                              action=action, kind=kind, from_state=from_state, to_state=to_state,
                              actor_id=person.id, role=role, comment=comment, checks=sorted(checks),
                              settings=settings, data_rev=case.data_rev, at=now))
        return entry.seq

    def _next_number(self, session: Session, coop: Cooperative, prefix: str, year: int) -> str:
        counter = session.execute(
            select(CaseCounter).where(CaseCounter.coop_id == coop.id, CaseCounter.prefix == prefix,
                                      CaseCounter.year == year).with_for_update()
        ).scalar_one_or_none()
        if counter is None:
            counter = CaseCounter(coop_id=coop.id, prefix=prefix, year=year, last=0)
            session.add(counter)
        counter.last += 1
        return f"{prefix}/{year}/{counter.last:04d}"

    # -- cases ---------------------------------------------------------------------------

    def start_case(self, workflow_id: str, coop_slug: str, username: str, *,
                   values: Mapping[str, str] | None = None, files: Mapping[str, Upload] | None = None,
                   comment: str | None = None) -> CaseView:
        """Start a case of a workflow; the starter must be able to act on its first step."""
        self.db.require_schema()
        loaded = self.registry.get(workflow_id)
        for attempt in range(3):
            try:
                with self.db.session() as session:
                    number = self._start(session, loaded, coop_slug, username, values or {}, files or {}, comment)
                break
            except IntegrityError:
                if attempt == 2:
                    raise
        return self.show(number, username, coop_slug=coop_slug)

    def _start(self, session: Session, loaded: LoadedDefinition, coop_slug: str, username: str,
               raw: Mapping[str, str], files: Mapping[str, Upload], comment: str | None) -> str:
        d = loaded.definition
        now = self.clock()
        coop = self._coop(session, coop_slug)
        person = self._person(session, username)
        record = self._register(session, loaded)
        held = roles_on(session, coop.id, person.id, now.astimezone(self.tz).date())
        first = d.actions_from(d.initial_state)
        starter_roles = [r for a in first for r in a.roles]
        role = next((r for r in starter_roles if r in held), None)
        if role is None:
            labels = " atau ".join(dict.fromkeys(role_label(r) for r in starter_roles))
            raise PermissionDeniedError(
                f"Prosedur '{d.title}' hanya dapat dimulai oleh {labels}; Anda tidak memegang peran itu "
                f"di {coop.name} hari ini.", rule="peran")
        settings = resolved_settings(d, coop.settings)
        data = self._parse_values(d, raw, settings, list(d.fields))
        number = self._next_number(session, coop, d.number_prefix, now.astimezone(self.tz).year)
        case = Case(coop_id=coop.id, number=number, definition_id=record.id, state=d.initial_state, data={},
                    step_no=0, data_rev=0, state_since=now, created_by=person.id, created_at=now)
        session.add(case)
        session.flush()
        attached = self._attach(session, d, case, person, files, list(d.fields), now)
        data.update(attached)
        data = {k: v for k, v in data.items() if v is not None}
        case.data = data
        revision = self._revision(session, case, data, now)
        self._log(session, coop, case, record, action="mulai", kind="start", from_state="", to_state=case.state,
                  person=person, role=role, comment=comment, checks=[], revision_sha=revision.sha256,
                  attachments=[a["sha256"] for a in attached.values()], vote=None, settings=settings, now=now)
        return number

    def act(self, number: str, action_id: str, username: str, *, values: Mapping[str, str] | None = None,
            checks: Sequence[str] = (), comment: str | None = None, files: Mapping[str, Upload] | None = None,
            coop_slug: str | None = None, expected_step: int | None = None) -> ActResult:
        """Take an action on a case. Raises and changes nothing when anything is not in order."""
        self.db.require_schema()
        try:
            with self.db.session() as session:
                return self._act(session, number, action_id, username, values or {}, list(checks),
                                 comment.strip() if comment else None, files or {}, coop_slug, expected_step)
        except StaleDataError:
            raise AlreadyDecidedError(
                f"Kasus {number} baru saja diubah orang lain; muat ulang dan periksa statusnya.") from None
        except IntegrityError as exc:
            if "votes" in str(exc.orig).lower() or "uq_votes" in str(exc.orig):
                raise AlreadyDecidedError("Suara Anda untuk langkah ini sudah tercatat.") from None
            raise

    def _already_decided(self, session: Session, case: Case, d: Definition, action_id: str) -> AlreadyDecidedError:
        history = load_history(session, case)
        last = history.events[-1] if history.events else None
        state = d.states[case.state]
        who = ""
        if last is not None:
            who = (f" oleh {history.usernames.get(last.actor_id, '?')} ({role_label(last.role)}) dengan aksi "
                   f"'{last.action}' pada {as_utc(last.at).astimezone(self.tz):%d-%m-%Y %H.%M}")
        return AlreadyDecidedError(
            f"Langkah '{action_id}' pada kasus {case.number} sudah diputuskan{who}; "
            f"status kini: {state.status_label or state.title}.")

    def _act(self, session: Session, number: str, action_id: str, username: str, raw: Mapping[str, str],
             checks: list[str], comment: str | None, files: Mapping[str, Upload], coop_slug: str | None,
             expected_step: int | None) -> ActResult:
        now = self.clock()
        day = now.astimezone(self.tz).date()
        person = self._person(session, username)
        case = self._find_case(session, number, coop_slug, person, lock=True)
        coop = session.get_one(Cooperative, case.coop_id)
        record = session.get_one(DefinitionRecord, case.definition_id)
        loaded = self.pinned(record)
        d = loaded.definition
        machine = machine_for(loaded)
        if expected_step is not None and expected_step != case.step_no:
            raise self._already_decided(session, case, d, action_id)
        state = case.state
        candidates = machine.candidates(state, action_id)
        if not candidates:
            if action_id not in d.action_ids():
                raise NotFoundError(f"Aksi '{action_id}' tidak ada di prosedur '{d.title}'. "
                                    f"Aksi yang ada: {', '.join(d.action_ids())}")
            history = load_history(session, case)
            earlier = {s for a in d.actions if a.id == action_id for s in a.from_}
            last = history.events[-1] if history.events else None
            if last is not None and last.from_state in earlier and last.from_state != last.to_state:
                raise self._already_decided(session, case, d, action_id)
            here = d.states[state]
            available = ", ".join(dict.fromkeys(a.id for a in d.actions_from(state))) or "tidak ada (kasus selesai)"
            raise ValidationError([], headline=f"Aksi '{action_id}' tidak dapat dilakukan saat kasus berstatus "
                                               f"'{here.status_label or here.title}'. Aksi yang tersedia: {available}.")
        settings = resolved_settings(d, coop.settings)
        history = load_history(session, case)
        # Who may act is decided before anything else is looked at, so a refusal says why.
        first_check = who_may(session, d, case, candidates[0], person, day, history)
        if not first_check.allowed and all(
            not who_may(session, d, case, c, person, day, history).allowed for c in candidates[1:]
        ):
            raise PermissionDeniedError(first_check.reason or "Tidak diizinkan.", rule=first_check.rule or "peran")
        allowed_fields = list(dict.fromkeys(f for c in candidates for f in d.settable_fields(c)))
        new_values = self._parse_values(d, raw, settings, allowed_fields)
        data = dict(case.data)
        data.update(new_values)
        context = {**{name: data.get(name) for name in d.fields}, "settings": settings}
        try:
            action = machine.select(state, action_id, context)
        except GuardError:
            raise self._guard_problem(d, candidates, data) from None
        if action is None:
            raise self._guard_problem(d, candidates, data, settings)
        eligibility = who_may(session, d, case, action, person, day, history)
        if not eligibility.allowed:
            raise PermissionDeniedError(eligibility.reason or "Tidak diizinkan.", rule=eligibility.rule or "peran")
        settable = d.settable_fields(action)
        refused = [FieldProblem(f"{d.fields[n].label} ({n})", "tidak dapat diubah pada langkah ini")
                   for n in list(new_values) + list(files) if n and n not in settable]
        if refused:
            raise ValidationError(refused)
        known_checks = {i.id for s in action.from_ for i in d.states[s].checklist}
        unknown = [FieldProblem(f"checklist '{c}'", "tidak dikenal pada langkah ini; pilihan: "
                                + (", ".join(sorted(known_checks)) or "tidak ada")) for c in checks
                   if c not in known_checks]
        if unknown:
            raise ValidationError(unknown)
        attached = self._attach(session, d, case, person, files, settable, now)
        data.update(attached)
        data = {k: v for k, v in data.items() if v is not None}
        problems = missing_requirements(d, action, data, set(checks), comment)
        if problems:
            raise ValidationError(problems, headline=f"Belum dapat '{action.display}':")
        needed = quorum_needed(action, settings)
        votes = 1
        if action.quorum is not None:
            votes = 1 + int(session.scalar(select(func.count(Vote.id)).where(
                Vote.case_id == case.id, Vote.step_no == case.step_no, Vote.action == action.id)) or 0)
        fired = votes >= needed
        to_state = machine.fire(state, action_id, context) if fired else state
        if fired and to_state != action.to:
            raise AuditIntegrityError(f"Mesin status memilih '{to_state}', kebijakan memilih '{action.to}'.")
        if data != case.data or case.data_rev == 0:
            revision_sha = self._revision(session, case, data, now).sha256
            case.data = data
        else:
            revision_sha = sha256_hex(canonical(data))
        step_no = case.step_no
        seq = self._log(session, coop, case, record, action=action.id, kind=action.kind, from_state=state,
                        to_state=to_state, person=person, role=eligibility.role or action.roles[0],
                        comment=comment, checks=checks, revision_sha=revision_sha,
                        attachments=[a["sha256"] for a in attached.values()],
                        vote={"count": votes, "needed": needed} if action.quorum else None,
                        settings=settings, now=now)
        if action.quorum is not None:
            session.add(Vote(coop_id=coop.id, case_id=case.id, step_no=step_no, action=action.id,
                             person_id=person.id, role=eligibility.role or "", seq=seq, cast_at=now))
        if fired:
            case.state = to_state
            case.step_no = step_no + 1
            case.state_since = now
            if d.states[to_state].final:
                case.closed_at = now
        session.flush()
        target = d.states[to_state]
        return ActResult(case.number, action.id, state, to_state, target.status_label or target.title,
                         fired, votes, needed, seq)

    @staticmethod
    def _guard_problem(d: Definition, candidates: Sequence[Action], data: Mapping[str, Any],
                       settings: Mapping[str, Any] | None = None) -> ValidationError:
        problems: list[FieldProblem] = []
        for action in candidates:
            if not action.when:
                continue
            names = guard_names(action.when)
            empty = [n for n in sorted(names.fields) if data.get(n) is None]
            for name in empty:
                problems.append(FieldProblem(f"{d.fields[name].label} ({name})", "wajib diisi sebelum langkah ini"))
            if not empty and settings is not None:
                shown = ", ".join(
                    [f"{n} = {format_value(d.fields[n], data.get(n))}" for n in sorted(names.fields)]
                    + [f"settings.{n} = {settings.get(n)}" for n in sorted(names.settings)])
                problems.append(FieldProblem("syarat", f"'{action.when}' tidak terpenuhi ({shown})"))
        unique = list(dict.fromkeys(problems))
        return ValidationError(unique, headline=f"Syarat aksi '{candidates[0].id}' tidak terpenuhi:")

    # -- reading -------------------------------------------------------------------------

    def _summary(self, coop: Cooperative, case: Case, d: Definition) -> CaseSummary:
        state = d.states[case.state]
        since = as_utc(case.state_since)
        due = state.deadline.due(since, self.tz) if state.deadline is not None and not state.final else None
        return CaseSummary(case.number, coop.slug, d.id, d.title, case.state, state.status_label or state.title,
                           state.final, since, due, bool(due and self.clock() > due))

    def show(self, number: str, username: str | None, *, coop_slug: str | None = None) -> CaseView:
        """A case as ``username`` sees it (or as an observer when None)."""
        self.db.require_schema()
        with self.db.session() as session:
            person = self._person(session, username) if username else None
            case = self._find_case(session, number, coop_slug, person, lock=False)
            return self._view(session, case, person)

    def _view(self, session: Session, case: Case, person: Person | None) -> CaseView:
        coop = session.get_one(Cooperative, case.coop_id)
        record = session.get_one(DefinitionRecord, case.definition_id)
        loaded = self.pinned(record)
        d = loaded.definition
        state = d.states[case.state]
        settings = resolved_settings(d, coop.settings)
        history = load_history(session, case)
        view = CaseView(
            summary=self._summary(coop, case, d), definition_ref=record.pinned_ref, guidance=state.guidance,
            checklist=[(i.id, i.label) for i in state.checklist],
            mutu_baku=state.mutu_baku.model_dump() if state.mutu_baku else None,
            fields=[(name, f.label, format_value(f, case.data.get(name))) for name, f in d.fields.items()],
            step_no=case.step_no,
            state_titles={k: v.status_label or v.title for k, v in d.states.items()},
        )
        people = dict(session.execute(select(Person.id, Person.full_name)).all())
        for e in history.events:
            view.history.append(EventView(e.seq, as_utc(e.at), e.action, e.kind, e.from_state, e.to_state,
                                          history.usernames.get(e.actor_id, "?"), people.get(e.actor_id, "?"),
                                          e.role, e.comment, list(e.checks)))
        day = self.today()
        context = {**{n: case.data.get(n) for n in d.fields}, "settings": settings}
        seen: set[str] = set()
        for action in d.actions_from(case.state):
            if action.id in seen:
                continue
            seen.add(action.id)
            view.options.append(self._option(session, d, case, action, person, day, history, context, settings))
        votes = session.execute(
            select(Vote.action, Person.full_name).join(Person, Person.id == Vote.person_id)
            .where(Vote.case_id == case.id, Vote.step_no == case.step_no)).all()
        for action_id, name in votes:
            view.votes.setdefault(action_id, []).append(name)
        return view

    def _option(self, session: Session, d: Definition, case: Case, first: Action, person: Person | None,
                day: date, history: History, context: Mapping[str, Any], settings: Mapping[str, Any]) -> ActionOption:
        machine = machine_for(self.pinned(session.get_one(DefinitionRecord, case.definition_id)))
        try:
            selected = machine.select(case.state, first.id, context)
            action, guard_ok = selected or first, selected is not None
        except GuardError:
            action, guard_ok = first, True  # decided once the data is filled in
        needed = quorum_needed(action, settings)
        votes = int(session.scalar(select(func.count(Vote.id)).where(
            Vote.case_id == case.id, Vote.step_no == case.step_no, Vote.action == action.id)) or 0)
        allowed, reason, role = False, None, None
        if person is None:
            reason = "Masuk sebagai pengguna untuk melihat aksi Anda."
        else:
            eligibility = who_may(session, d, case, action, person, day, history)
            allowed, reason, role = eligibility.allowed, eligibility.reason, eligibility.role
        if allowed and not guard_ok:
            allowed, reason = False, f"Syarat '{action.when}' belum terpenuhi."
        if allowed and action.quorum is not None:
            possible = eligible_voters(session, d, case, action, day, history) + votes
            if possible < needed:
                reason = (f"Perhatian: kuorum {needed} tidak mungkin tercapai, hanya {possible} orang "
                          "yang berhak memberi suara.")
        if not allowed and reason and action.quorum is not None and votes:
            reason += f" (sudah {votes} dari {needed} suara)"
        label = action.display
        if action.quorum is not None:
            label += f" — {votes}/{needed} suara"
        return ActionOption(action.id, label, action.kind, action.to, allowed, reason, role, votes, needed,
                            list(action.requires), d.required_checks(action), action.requires_comment,
                            d.settable_fields(action))

    def list_cases(self, coop_slug: str | None = None, *, open_only: bool = False) -> list[CaseSummary]:
        """Cases, newest first."""
        self.db.require_schema()
        with self.db.session() as session:
            stmt = select(Case, Cooperative).join(Cooperative, Cooperative.id == Case.coop_id)
            if coop_slug:
                stmt = stmt.where(Cooperative.slug == self._coop(session, coop_slug).slug)
            if open_only:
                stmt = stmt.where(Case.closed_at.is_(None))
            rows = session.execute(stmt.order_by(Case.created_at.desc(), Case.id.desc())).all()
            out = []
            for case, coop in rows:
                d = self.pinned(session.get_one(DefinitionRecord, case.definition_id)).definition
                out.append(self._summary(coop, case, d))
            return out

    def tasks(self, username: str, coop_slug: str | None = None) -> list[tuple[CaseSummary, list[ActionOption]]]:
        """Open cases waiting on this person, oldest deadline first."""
        self.db.require_schema()
        with self.db.session() as session:
            person = self._person(session, username)
            day = self.today()
            coop_ids = {r.coop_id for r in session.scalars(
                select(RoleAssignment).where(RoleAssignment.person_id == person.id)) if roles_on(
                    session, r.coop_id, person.id, day)}
            if coop_slug:
                coop_ids &= {self._coop(session, coop_slug).id}
            cases = session.scalars(select(Case).where(Case.coop_id.in_(coop_ids), Case.closed_at.is_(None))
                                    .order_by(Case.state_since)).all() if coop_ids else []
            out = []
            for case in cases:
                view = self._view(session, case, person)
                mine = [o for o in view.options if o.allowed]
                if mine:
                    out.append((view.summary, mine))
            far = datetime.max.replace(tzinfo=self.clock().tzinfo)
            return sorted(out, key=lambda t: (t[0].due or far, t[0].number))

    # -- audit ---------------------------------------------------------------------------

    def verify(self, coop_slug: str | None = None) -> list[VerifyReport]:
        """Verify one cooperative's log, or all of them."""
        self.db.require_schema()
        with self.db.session() as session:
            coops = [self._coop(session, coop_slug)] if coop_slug else session.scalars(
                select(Cooperative).order_by(Cooperative.slug)).all()
            return [verify_log(session, coop) for coop in coops]

    def findings(self, coop_slug: str, start: date | None = None, end: date | None = None) -> FindingsReport:
        """Audit findings of a cooperative's trail over a period."""
        self.db.require_schema()
        with self.db.session() as session:
            coop = self._coop(session, coop_slug)
            return find(session, coop, self.pinned, start=start, end=end, now=self.clock(), tz=self.tz)

    def open_followups(self, coop_slug: str, username: str, findings: Sequence[Finding]) -> list[str]:
        """Open a temuan -> rekomendasi -> tindak lanjut case per finding not followed up yet."""
        opened = []
        existing = set()
        with self.db.session() as session:
            coop = self._coop(session, coop_slug)
            for case in session.scalars(select(Case).where(Case.coop_id == coop.id)):
                if isinstance(case.data.get("id_temuan"), str):
                    existing.add(case.data["id_temuan"])
        for finding in findings:
            if finding.id in existing:
                continue
            entries = ", ".join(f"#{s}" for s in finding.entries) or "-"
            view = self.start_case(FOLLOWUP_WORKFLOW, coop_slug, username, values={
                "id_temuan": finding.id, "aturan": RULES[finding.rule], "tingkat": finding.severity,
                "kasus_terkait": finding.case or "-", "catatan_jejak": entries,
                "uraian_temuan": finding.message, "dasar": finding.source})
            opened.append(view.summary.number)
        return opened

    def export(self, coop_slug: str, directory: Path) -> dict[str, Any]:
        """Write the pengawas' export bundle."""
        self.db.require_schema()
        with self.db.session() as session:
            return export_bundle(session, self._coop(session, coop_slug), directory)

    def prove_case(self, number: str, coop_slug: str | None = None) -> list[EntryProof]:
        """Inclusion proofs of a case's decisions against the latest checkpoint."""
        self.db.require_schema()
        with self.db.session() as session:
            case = self._find_case(session, number, coop_slug, None, lock=False)
            coop = session.get_one(Cooperative, case.coop_id)
            seqs = list(session.scalars(select(CaseEvent.seq).where(CaseEvent.case_id == case.id)
                                        .order_by(CaseEvent.seq)))
            return prove_entries(session, coop, seqs)

    def consistency(self, old_note: str, new_note: str) -> tuple[str, int, int, list[bytes]]:
        """Check two saved checkpoints of one log: both signed by a registered key, the newer one
        extends the older (RFC 6962 consistency proof from the stored log). Returns (coop, old, new, proof)."""
        self.db.require_schema()
        with self.db.session() as session:
            keys = session.scalars(select(SigningKey)).all()
            old = _verified_checkpoint(old_note, keys, "lama")
            new = _verified_checkpoint(new_note, keys, "baru")
            if old.origin != new.origin:
                raise AuditIntegrityError(f"Kedua checkpoint milik log berbeda ({old.origin} dan {new.origin}).")
            slug = old.origin.split("/", 1)[-1]
            coop = self._coop(session, slug)
            if old.size > new.size:
                raise AuditIntegrityError(f"Checkpoint lama ({old.size}) lebih besar dari yang baru ({new.size}).")
            stored = root_from_leaf_hashes(leaf_hashes(session, coop, new.size))
            if stored != new.root:
                raise AuditIntegrityError(
                    f"Log {slug} di basis data TIDAK cocok dengan checkpoint baru ukuran {new.size}: ada catatan "
                    "yang berubah setelah ditandatangani. Jalankan `tatakelola audit verify` untuk rinciannya.")
            proof = prove_consistency(session, coop, old.size, new.size) if old.size else []
            if not verify_consistency(old.size, new.size, old.root, new.root, proof):
                raise AuditIntegrityError(
                    f"Log {slug} TIDAK konsisten: isi {old.size} catatan pertama berubah antara kedua checkpoint "
                    "(atau log di basis data berbeda dari yang ditandatangani).")
            return slug, old.size, new.size, proof

    def latest_checkpoint(self, coop_slug: str) -> Checkpoint | None:
        """The largest signed checkpoint of a cooperative's log, if any."""
        self.db.require_schema()
        with self.db.session() as session:
            return latest_checkpoint(session, self._coop(session, coop_slug))

    def set_password(self, username: str, password: str) -> None:
        """Set a person's web password (argon2id)."""
        self.db.require_schema()
        with self.db.session() as session:
            set_password(session, username, password)

    def checkpoint(self, coop_slug: str) -> Checkpoint:
        """Sign (or reuse) a checkpoint of a cooperative's log as it is now."""
        self.db.require_schema()
        with self.db.session() as session:
            coop = self._coop(session, coop_slug)
            return checkpoint_now(session, coop, self.signer, self.clock())
