"""Moving running cases to a new version of their procedure, under an approved ``migrasi_kasus`` case.

A case stays pinned to the definition it started with. When the pengurus want the cases still
running under version V to continue under version W, :meth:`CaseMigrations.plan` lists what would
happen to each of them (target state, or why it cannot move) and fingerprints that list with a
SHA-256 over its RFC 8785 form. :meth:`CaseMigrations.propose` starts and submits a
``migrasi_kasus`` case carrying that fingerprint; the rapat pengurus decides it by quorum. When
its approval fires, :func:`carry_out` runs in the same unit of work: the plan is computed again,
and only if it is exactly the one proposed (same fingerprint, nothing blocked) is each case moved:
new definition and state, a new step (votes and deadlines start afresh), a ``case_migrations``
row, a trail entry of kind ``migration`` and its readable event. Anything else refuses the
approval and nothing is saved.

A migration event is nobody's decision: its kind is not a deciding kind and its action id
(``migrasi``) is no procedure's action, so the segregation-of-duties rules never count it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from engine.adapters.store.models import (
    Case,
    CaseEvent,
    CaseMigration,
    Cooperative,
    DataRevision,
    DefinitionRecord,
    Person,
)
from engine.audit.entry import MIGRATION_KIND, canonical, comment_hash, sha256_hex
from engine.audit.log import append_entry
from engine.domain.definitions.loader import LoadedDefinition
from engine.domain.values import is_empty, resolved_settings, validate_value
from engine.errors import AlreadyDecidedError, FieldProblem, NotFoundError, ValidationError
from engine.services.context import Context, step_votes

__all__ = [
    "APPROVED_STATE",
    "MIGRATION_ACTION",
    "MIGRATION_KIND",
    "MIGRATION_WORKFLOW",
    "CaseMigrations",
    "MigrationPlan",
    "PlanLine",
    "carry_out",
    "map_text",
    "migration_note",
    "parse_map",
]

#: The procedure whose approval moves the cases, and the state in which it does.
MIGRATION_WORKFLOW = "migrasi_kasus"
APPROVED_STATE = "dipindahkan"
#: The action id and kind of a migration's trail entry and event (no procedure uses either).
MIGRATION_ACTION = "migrasi"
_SUMMARY_MAX = 7500  # the ``ringkasan`` field holds 8000 characters


@dataclass(frozen=True)
class PlanLine:
    """What the migration does to one case: its target state, or why it cannot move."""

    number: str
    step_no: int
    from_state: str
    from_title: str
    to_state: str | None
    to_title: str | None
    reason: str | None

    @property
    def movable(self) -> bool:
        """True when the case will be moved."""
        return self.reason is None

    def text(self) -> str:
        """One line as people read it."""
        if self.reason is None:
            return f"{self.number}: {self.from_title} → {self.to_title} (akan dipindah)"
        return f"{self.number}: {self.from_title} — tidak dapat dipindah: {self.reason}"


@dataclass(frozen=True)
class MigrationPlan:
    """Everything a migration would do, with the SHA-256 that fixes it."""

    coop: str
    workflow_id: str
    title: str
    from_version: int
    to_version: int
    from_ref: str
    to_ref: str
    state_map: dict[str, str]
    lines: list[PlanLine] = field(default_factory=list)

    @property
    def blocked(self) -> list[PlanLine]:
        """The cases that cannot be moved."""
        return [line for line in self.lines if not line.movable]

    def body(self) -> dict[str, Any]:
        """The plan as the JSON its fingerprint is taken over."""
        return {"coop": self.coop, "workflow": self.workflow_id, "from": self.from_ref, "to": self.to_ref,
                "map": dict(sorted(self.state_map.items())),
                "cases": [{"case": line.number, "step": line.step_no, "from": line.from_state, "to": line.to_state,
                           "blocked": line.reason} for line in self.lines]}

    @property
    def sha256(self) -> str:
        """SHA-256 of the plan's RFC 8785 form: the same cases in the same states give the same value."""
        return sha256_hex(canonical(self.body()))

    def summary(self) -> str:
        """The plan as the ``ringkasan`` of a migration case (bounded)."""
        head = (f"{self.title} ({self.workflow_id}): versi {self.from_version} → versi {self.to_version}, "
                f"{len(self.lines)} kasus")
        out = [head]
        for index, line in enumerate(self.lines):
            text = line.text()
            if sum(len(t) + 1 for t in out) + len(text) > _SUMMARY_MAX:
                out.append(f"… dan {len(self.lines) - index} kasus lainnya")
                break
            out.append(text)
        return "\n".join(out)


def parse_map(items: Iterable[str]) -> dict[str, str]:
    """``["lama=baru", ...]`` (or one ``"lama=baru, lain=baru"``) -> {lama: baru}. Raises ValidationError."""
    out: dict[str, str] = {}
    problems: list[FieldProblem] = []
    for item in items:
        for part in item.split(","):
            text = part.strip()
            if not text:
                continue
            old, sep, new = (s.strip() for s in text.partition("="))
            if not sep or not old or not new:
                problems.append(FieldProblem("--map", f"harus berbentuk status_lama=status_baru "
                                                      f"(diterima: {text[:80]!r})", "map"))
            elif old in out and out[old] != new:
                problems.append(FieldProblem("--map", f"status '{old}' dipetakan dua kali ({out[old]} dan {new})",
                                             "map"))
            else:
                out[old] = new
    if problems:
        raise ValidationError(problems, headline="Peta status tidak dapat dibaca:")
    return out


def map_text(state_map: Mapping[str, str]) -> str:
    """The state map as the ``peta_status`` field holds it (``a=b, c=d``)."""
    return ", ".join(f"{old}={new}" for old, new in sorted(state_map.items()))


def migration_note(to_version: int, approval: str) -> str:
    """What a migrated case's history, case page and Berita Acara say about the move."""
    return f"Dipindahkan ke versi {to_version} (disetujui {approval})"


# -- the plan ------------------------------------------------------------------------------------


def _versions(records: Iterable[DefinitionRecord]) -> str:
    return ", ".join(str(r.version) for r in sorted(records, key=lambda r: r.version)) or "tidak ada"


def _definitions(ctx: Context, session: Session, workflow_id: str, from_version: int, to_version: int,
                 register: bool) -> tuple[DefinitionRecord, LoadedDefinition, DefinitionRecord | None,
                                          LoadedDefinition, str]:
    """(old record, old definition, new record or None, new definition, new pinned ref)."""
    if workflow_id == MIGRATION_WORKFLOW:
        raise ValidationError([FieldProblem("Prosedur", "kasus migrasi sendiri tidak dapat dipindahkan", "prosedur")])
    records = list(session.scalars(select(DefinitionRecord).where(DefinitionRecord.workflow_id == workflow_id)))
    try:
        current: LoadedDefinition | None = ctx.registry.get(workflow_id)
    except NotFoundError:
        if not records:
            raise
        current = None
    if from_version == to_version:
        raise ValidationError([FieldProblem("--to", f"versi tujuan sama dengan versi asal ({from_version})", "to")])
    if to_version < from_version:
        raise ValidationError([FieldProblem("--to", f"versi tujuan ({to_version}) harus lebih baru dari versi asal "
                                                    f"({from_version})", "to")])
    by_version = {r.version: r for r in records}
    old_record = by_version.get(from_version)
    if old_record is None:
        raise NotFoundError(f"Versi {from_version} prosedur '{workflow_id}' tidak tercatat di basis data (belum "
                            f"ada kasus yang memakainya); versi yang tercatat: {_versions(records)}.")
    old = ctx.pinned(old_record)
    new_record = by_version.get(to_version)
    if new_record is not None:
        return old_record, old, new_record, ctx.pinned(new_record), new_record.pinned_ref
    if current is None or current.definition.version != to_version:
        loaded = f"versi {current.definition.version}" if current is not None else "tidak memuatnya"
        raise NotFoundError(f"Versi {to_version} prosedur '{workflow_id}' tidak ditemukan: folder prosedur "
                            f"{loaded}, basis data mencatat versi {_versions(records)}.")
    if register:
        new_record = ctx.register(session, current)
        return old_record, old, new_record, current, new_record.pinned_ref
    return old_record, old, None, current, current.pinned_ref


def _check_map(state_map: Mapping[str, str], old: LoadedDefinition, new: LoadedDefinition) -> None:
    od, nd = old.definition, new.definition
    problems: list[FieldProblem] = []
    for source, target in state_map.items():
        if source not in od.states:
            problems.append(FieldProblem("--map", f"status '{source}' tidak ada di versi {od.version}; yang ada: "
                                                  f"{', '.join(od.states)}", "map"))
        if target not in nd.states:
            problems.append(FieldProblem("--map", f"status '{target}' tidak ada di versi {nd.version}; yang ada: "
                                                  f"{', '.join(nd.states)}", "map"))
        elif nd.states[target].final:
            problems.append(FieldProblem("--map", f"status '{target}' adalah status akhir; kasus berjalan tidak "
                                                  "dapat ditutup lewat pemindahan", "map"))
    if problems:
        raise ValidationError(problems, headline="Peta status tidak sah:")


def _line(case: Case, votes: int, old: LoadedDefinition, new: LoadedDefinition, state_map: Mapping[str, str],
          settings: Mapping[str, Any]) -> PlanLine:
    od, nd = old.definition, new.definition
    here = od.states.get(case.state)
    title = here.title if here is not None else case.state
    reasons: list[str] = []
    if votes:
        reasons.append(f"pemungutan suara sedang berjalan ({votes} suara pada langkah ini); selesaikan dulu dengan "
                       f"versi {od.version}")
    target = state_map.get(case.state) or (case.state if case.state in nd.states else None)
    if target is None:
        reasons.append(f"status '{title}' ({case.state}) tidak ada di versi {nd.version}; tambahkan "
                       f"--map {case.state}=STATUS_BARU")
    elif nd.states[target].final:
        reasons.append(f"status tujuan '{nd.states[target].title}' adalah status akhir")
    for name, value in sorted(case.data.items()):
        if is_empty(value):
            continue
        before, after = od.fields.get(name), nd.fields.get(name)
        label = before.label if before is not None else name
        if after is None:
            reasons.append(f"isian '{label}' ({name}) terisi tetapi tidak ada di versi {nd.version}")
        elif before is not None and before.type != after.type:
            reasons.append(f"isian '{label}' ({name}) bertipe {before.type} di versi {od.version} tetapi "
                           f"{after.type} di versi {nd.version}")
        elif (problem := validate_value(name, after, value, settings)) is not None:
            reasons.append(f"isian '{label}' ({name}) tidak sah di versi {nd.version}: {problem.message}")
    if reasons or target is None:
        return PlanLine(case.number, case.step_no, case.state, title, None, None, "; ".join(reasons))
    return PlanLine(case.number, case.step_no, case.state, title, target, nd.states[target].title, None)


def compute_plan(ctx: Context, session: Session, coop: Cooperative, workflow_id: str, from_version: int,
                 to_version: int, state_map: Mapping[str, str], *, register: bool = False,
                 lock: bool = False) -> tuple[MigrationPlan, list[Case], DefinitionRecord | None]:
    """The plan over the cooperative's open cases of ``workflow_id``@``from_version`` (by number).

    ``register``: store the new version's record if it is not stored yet (else nothing is written).
    ``lock``: lock the cases (the approval that carries the plan out). Returns the plan, its cases and
    the new version's record (None when not stored and not ``register``).
    """
    old_record, old, new_record, new, to_ref = _definitions(ctx, session, workflow_id, from_version, to_version,
                                                            register)
    _check_map(state_map, old, new)
    stmt = (select(Case).where(Case.coop_id == coop.id, Case.definition_id == old_record.id,
                               Case.closed_at.is_(None)).order_by(Case.number))
    if lock:
        # NOWAIT: the approval already holds the log head, and a decision on one of these cases takes its case
        # first and the head next; waiting here would deadlock with it, so the approval gives way instead.
        stmt = stmt.with_for_update(nowait=True).execution_options(populate_existing=True)
    try:
        cases = list(session.scalars(stmt))
    except OperationalError as exc:
        if getattr(exc.orig, "sqlstate", None) != "55P03":  # lock_not_available
            raise
        raise AlreadyDecidedError("Salah satu kasus yang akan dipindah sedang diputuskan orang lain saat ini; "
                                  "persetujuan tidak dicatat. Muat ulang dan coba lagi.") from None
    votes = step_votes(session, cases)
    settings = resolved_settings(new.definition, coop.settings)
    lines = [_line(c, len(votes[c.id]), old, new, state_map, settings) for c in cases]
    plan = MigrationPlan(coop.slug, workflow_id, old.definition.title, from_version, to_version,
                         old_record.pinned_ref, to_ref, dict(state_map), lines)
    return plan, cases, new_record


# -- carrying it out -----------------------------------------------------------------------------


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else -1


def carry_out(ctx: Context, session: Session, coop: Cooperative, workflow_id: str, case: Case, approver: Person,
              role: str, now: datetime) -> int:
    """Move the cases of an approved migration case (its approval's unit of work); how many were moved.

    Does nothing for other procedures and states. Refuses (ValidationError, nothing saved) when the
    plan computed now is not the plan proposed, or when any case in it cannot be moved.
    """
    if workflow_id != MIGRATION_WORKFLOW or case.state != APPROVED_STATE:
        return 0
    data = case.data
    proposed = str(data.get("rencana_sha256") or "")
    plan, cases, new_record = compute_plan(
        ctx, session, coop, str(data.get("prosedur") or ""), _int(data.get("versi_asal")),
        _int(data.get("versi_tujuan")), parse_map([str(data.get("peta_status") or "")]), register=True, lock=True)
    if plan.sha256 != proposed:
        raise ValidationError(
            [FieldProblem("Rencana", f"sidik kini {plan.sha256[:16]}…, yang diajukan {proposed[:16]}…",
                          "rencana_sha256")],
            headline=f"Rencana berubah sejak diajukan (kasus berpindah langkah, selesai, atau bertambah); persetujuan "
                     f"{case.number} tidak dicatat dan tidak ada kasus yang dipindah. Tolak usulan ini, lihat rencana "
                     "terbaru dengan `tatakelola workflows migrate --dry-run`, lalu ajukan ulang.")
    if plan.blocked:
        raise ValidationError([FieldProblem(line.number, line.reason or "") for line in plan.blocked],
                              headline=f"Ada kasus yang tidak dapat dipindah; persetujuan {case.number} tidak dicatat:")
    assert new_record is not None  # registered above
    by_number = {c.number: c for c in cases}
    note = migration_note(plan.to_version, case.number)
    revs = {c.id: c.data_rev for c in cases}
    revisions = {case_id: sha for case_id, rev, sha in session.execute(
        select(DataRevision.case_id, DataRevision.rev, DataRevision.sha256).where(DataRevision.case_id.in_(revs)))
        if revs[case_id] == rev} if revs else {}
    settings: dict[str, Any] = {}
    moved: list[Case] = []
    for line in plan.lines:
        target = by_number[line.number]
        step_no, from_state = target.step_no, target.state
        to_state = line.to_state or from_state
        data_sha = revisions.get(target.id) or sha256_hex(canonical(target.data))
        fields: dict[str, Any] = {
            "case": target.number, "definition": plan.to_ref, "from_definition": plan.from_ref,
            "to_definition": plan.to_ref, "action": MIGRATION_ACTION, "kind": MIGRATION_KIND,
            "from": from_state, "to": to_state, "actor": approver.username, "role": role,
            "approval": case.number, "comment_sha256": comment_hash(note), "data_rev": target.data_rev,
            "data_sha256": data_sha, "checks": [], "attachments": [],
            "settings_sha256": sha256_hex(canonical(settings)),
        }
        seq = append_entry(session, coop, ctx.signer, fields, case_id=target.id, now=now)
        session.add(CaseEvent(coop_id=coop.id, seq=seq, case_id=target.id, step_no=step_no, action=MIGRATION_ACTION,
                              kind=MIGRATION_KIND, from_state=from_state, to_state=to_state, actor_id=approver.id,
                              role=role, comment=note, checks=[], settings=settings, data_rev=target.data_rev,
                              at=now))
        session.add(CaseMigration(coop_id=coop.id, case_id=target.id, from_definition_id=target.definition_id,
                                  to_definition_id=new_record.id, from_state=from_state, to_state=to_state,
                                  approval_case_id=case.id, seq=seq, at=now))
        target.definition_id = new_record.id
        target.state = to_state
        target.step_no = step_no + 1
        target.state_since = now
        moved.append(target)
    _notify(ctx, session, coop, case, moved, note, now)
    session.flush()
    return len(moved)


def _notify(ctx: Context, session: Session, coop: Cooperative, approval: Case, moved: Sequence[Case], note: str,
            now: datetime) -> None:
    """Tell the maker of each moved case (in the web app; by e-mail where this installation sends it)."""
    from engine.services.outbox import enqueue

    email = getattr(ctx.settings, "smtp_host", None) is not None
    for moved_case in moved:
        enqueue(session, person_ids=[moved_case.created_by], kind="migrasi",
                subject=f"Kasus {moved_case.number} pindah ke versi baru prosedurnya",
                body=f"Kasus {moved_case.number}: {note}. Lanjutkan kasus dengan langkah versi baru.",
                dedupe=f"migrasi:{moved_case.id}:{approval.id}", now=now, coop_id=coop.id, case_id=moved_case.id,
                link=f"/k/{coop.slug}/kasus/{moved_case.number}", email=email)


# -- the use case --------------------------------------------------------------------------------


class CaseStarter(Protocol):
    """What proposing a migration needs of the case commands."""

    def start(self, workflow_id: str, coop_slug: str, username: str, *, values: Mapping[str, str],
              files: Mapping[str, Any], comment: str | None, request_id: str | None = None) -> str: ...

    def act(self, number: str, action_id: str, username: str, *, values: Mapping[str, str],
            checks: Sequence[str], comment: str | None, files: Mapping[str, Any], coop_slug: str | None,
            expected_step: int | None, member_only: bool = False, session_token: str | None = None,
            request_id: str | None = None) -> Any: ...


class CaseMigrations:
    """Plan a migration (dry run) and propose it to the pengurus.

    ``cases``: the case commands the proposal is started with (passed in: the case commands call
    :func:`carry_out` when a migration is approved, so this module does not import them).
    """

    def __init__(self, ctx: Context, cases: CaseStarter) -> None:
        self.ctx = ctx
        self.cases = cases

    def plan(self, workflow_id: str, from_version: int, to_version: int, state_map: Mapping[str, str],
             coop_slug: str) -> MigrationPlan:
        """What moving the open cases of ``workflow_id`` from one version to another would do; writes nothing."""
        self.ctx.db.require_schema()
        with self.ctx.db.reader() as session:
            coop = self.ctx.coop(session, coop_slug)
            return compute_plan(self.ctx, session, coop, workflow_id, from_version, to_version, state_map)[0]

    def propose(self, workflow_id: str, from_version: int, to_version: int, state_map: Mapping[str, str],
                coop_slug: str, username: str) -> tuple[MigrationPlan, str]:
        """Start and submit the ``migrasi_kasus`` case that asks the pengurus to approve this plan.

        Refused (ValidationError, nothing started) when no case would move or any case cannot move.
        Returns the plan and the migration case's number.
        """
        self.ctx.db.require_schema()
        with self.ctx.db.session() as session:  # the new version is stored now: the plan names its hash
            coop = self.ctx.coop(session, coop_slug)
            plan = compute_plan(self.ctx, session, coop, workflow_id, from_version, to_version, state_map,
                                register=True)[0]
        if not plan.lines:
            raise ValidationError([], headline=f"Tidak ada kasus berjalan prosedur '{workflow_id}' versi "
                                               f"{from_version} di {coop_slug}; tidak ada yang perlu dipindah.")
        if plan.blocked:
            raise ValidationError([FieldProblem(line.number, line.reason or "") for line in plan.blocked],
                                  headline=f"{len(plan.blocked)} kasus tidak dapat dipindah; usulan tidak dibuat:")
        values = {"prosedur": workflow_id, "versi_asal": str(from_version), "versi_tujuan": str(to_version),
                  "rencana_sha256": plan.sha256, "ringkasan": plan.summary()}
        if plan.state_map:
            values["peta_status"] = map_text(plan.state_map)
        commands = self.cases
        number = commands.start(MIGRATION_WORKFLOW, coop_slug, username, values=values, files={}, comment=None)
        commands.act(number, "ajukan", username, values={}, checks=[], comment=None, files={}, coop_slug=coop_slug,
                     expected_step=None)
        return plan, number
