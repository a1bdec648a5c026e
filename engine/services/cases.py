"""Case commands: start a case, take an action. Each runs in one database transaction.

Lock the case -> load the facts (terms, history, the step's votes) once -> let the machine
choose the variant whose guard holds -> the policy says whether this person may take it and
whether it fires (quorum) -> save data revision, audit entry (+ signed checkpoint), vote and
new state -> commit. A daftar hadir (attendance field) is checked against who could attend on
the meeting's date (the member register or the role's holders), and an action taken at a
meeting against its attendance quorum, inside the machine's ``ready`` call: a refusal there
saves nothing.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from dataclasses import fields as dataclass_fields
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from engine.adapters.attachments import store_attachment
from engine.adapters.store.db import as_utc
from engine.adapters.store.models import (
    Case,
    CaseCounter,
    CaseEvent,
    Cooperative,
    DataRevision,
    DefinitionRecord,
    IdempotencyKey,
    Person,
    Vote,
)
from engine.adapters.store.violations import is_request_clash
from engine.audit.entry import canonical, comment_hash, sha256_hex
from engine.audit.log import append_entry
from engine.domain.attendance import (
    Eligible,
    attendance_fields,
    check_list,
    check_quorum,
    day_problem,
    listed_usernames,
    present_people,
)
from engine.domain.definitions.loader import LoadedDefinition
from engine.domain.definitions.model import Action, Definition
from engine.domain.definitions.phrase import guard_sentence, sentence
from engine.domain.machine import machine_for
from engine.domain.people_fields import check_people, person_usernames
from engine.domain.policy import (
    Eligibility,
    History,
    Roster,
    missing_requirements,
    quorum_needed,
    seat_votes,
    who_may,
)
from engine.domain.roles import role_label
from engine.domain.rules import rule_problems, unmet_clauses
from engine.domain.values import (
    format_value,
    is_empty,
    parse_value,
    request_problems,
    resolved_settings,
    validate_value,
)
from engine.errors import (
    AlreadyDecidedError,
    FieldProblem,
    GuardError,
    LoginRequiredError,
    NotFoundError,
    PermissionDeniedError,
    RequestConflictError,
    ValidationError,
)
from engine.services.announce import announce_decision
from engine.services.budgets import bound_documents
from engine.services.context import Context, histories, rosters, step_votes
from engine.services.dto import ActResult
from engine.services.effects import apply_effects as apply_term_effects
from engine.services.effects import end_case_appointments
from engine.services.escalation import handed_roles, widened
from engine.services.guard_facts import case_guard_context
from engine.services.meetings import meeting_of, person_ids
from engine.services.members import apply_effects
from engine.services.migration import carry_out
from engine.services.sessions import WebSessions

__all__ = ["CaseCommands", "Upload"]

#: An attachment: a file path (CLI) or (file name, content) from an upload.
Upload = Path | tuple[str, bytes]

_NOT_HERE = "tidak dapat diubah pada langkah ini"

#: A client request id: a UUID, or any 1-64 letters, digits and ``._:-``.
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")


@dataclass(frozen=True)
class _Request:
    """A client's request id with the fingerprint of what it asked (the same id must ask the same thing)."""

    id: str
    command: str
    fingerprint: str

    @classmethod
    def of(cls, request_id: str | None, command: str, content: Mapping[str, Any]) -> _Request | None:
        """None without an id; a malformed id is refused before anything is read or written."""
        if request_id is None:
            return None
        if not _REQUEST_ID.fullmatch(request_id):
            raise ValidationError([FieldProblem(
                "ID permintaan", "harus 1-64 karakter: huruf, angka, titik, garis bawah, titik dua atau tanda hubung "
                f"(diterima: {request_id[:80]!r})", "request_id")])
        text = json.dumps({"command": command, **content}, sort_keys=True, ensure_ascii=True, default=str)
        return cls(request_id, command, hashlib.sha256(text.encode()).hexdigest())


def _file_digests(files: Mapping[str, Upload]) -> dict[str, str]:
    """What each attachment is, for a request's fingerprint: name and SHA-256 of the content."""
    out: dict[str, str] = {}
    for name, upload in files.items():
        if isinstance(upload, tuple):
            out[name] = f"{upload[0]}#{hashlib.sha256(upload[1]).hexdigest()}"
            continue
        try:
            out[name] = f"{upload.name}#{hashlib.sha256(upload.read_bytes()).hexdigest()}"
        except OSError:  # refused by name later, inside the unit of work
            out[name] = f"{upload}#?"
    return out


@dataclass(frozen=True)
class _Checked:
    """What the policy established for the chosen variant: the role acted in, files stored, data, votes."""

    role: str
    attached: dict[str, Any]
    data: dict[str, Any]
    votes: int
    needed: int
    on_behalf: int | None = None  # the holder acted for (a.n.)


class CaseCommands:
    """Start cases and take actions."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    # -- start ---------------------------------------------------------------------------

    def start(self, workflow_id: str, coop_slug: str, username: str, *, values: Mapping[str, str],
              files: Mapping[str, Upload], comment: str | None, request_id: str | None = None) -> str:
        """Start a case of a workflow and return its number; the starter must act on its first step.

        ``request_id``: the client's id for this request. A retry with the same id returns the number of
        the case the first one started; the same id with other content is a RequestConflictError.
        """
        self.ctx.db.require_schema()
        loaded = self.ctx.registry.get(workflow_id)
        request = _Request.of(request_id, "start", {
            "workflow": workflow_id, "user": username, "values": dict(values), "files": _file_digests(files),
            "comment": comment})
        for attempt in range(3):
            try:
                with self.ctx.db.session() as session:
                    return self._start(session, loaded, coop_slug, username, values, files, comment, request)
            except IntegrityError:  # two starts took the same number (or a retry's id): take the next one
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _start(self, session: Session, loaded: LoadedDefinition, coop_slug: str, username: str,
               raw: Mapping[str, str], files: Mapping[str, Upload], comment: str | None,
               request: _Request | None) -> str:
        d = loaded.definition
        now = self.ctx.clock()
        coop = self.ctx.coop(session, coop_slug)
        person = self.ctx.person(session, username)
        claimed = _claim(session, coop.id, person.id, request, now)
        if isinstance(claimed, dict):
            return str(claimed["number"])
        record = self.ctx.register(session, loaded)
        day = now.astimezone(self.ctx.tz).date()
        roster = rosters(session, [coop.id])[coop.id]
        held = roster.roles_on(person.id, day)
        first = d.actions_from(d.initial_state)
        starter_roles = [r for a in first for r in a.roles]
        role = next((r for r in starter_roles if r in held and roster.on_behalf(person.id, r, day) is None),
                    next((r for r in starter_roles if r in held), None))
        if role is None:
            labels = " atau ".join(dict.fromkeys(role_label(r) for r in starter_roles))
            raise PermissionDeniedError(
                f"Prosedur '{d.title}' hanya dapat dimulai oleh {labels}; Anda tidak memegang peran itu "
                f"di {coop.name} hari ini.", rule="peran")
        settings = resolved_settings(d, coop.settings)
        data = _parse_values(d, raw, settings, list(d.fields), {})
        if problems := request_problems(d, files, comment):  # unknown --attach field, comment that cannot be kept
            raise ValidationError(problems)
        self._check_attendance(session, d, coop.id, None, roster, data, set(data), None, day, settings)
        check_people(d, data, roster, person_ids(session, person_usernames(d, data)), day)  # person fields, columns
        number = _next_number(session, coop, d.number_prefix, now.astimezone(self.ctx.tz).year)
        case = Case(coop_id=coop.id, number=number, definition_id=record.id, state=d.initial_state, data={},
                    step_no=0, data_rev=0, state_since=now, created_by=person.id, created_at=now)
        session.add(case)
        session.flush()
        attached = self._attach(session, d, case, person, files, list(d.fields), now)
        data.update(attached)
        data = {k: v for k, v in data.items() if v is not None}
        case.data = data
        revision = _revision(session, case, data, now)
        event = self._log(session, coop, case, record, action="mulai", kind="start", from_state="", to_state=case.state,
                  person=person, role=role, comment=comment, checks=[], revision_sha=revision.sha256,
                  attachments=[a["sha256"] for a in attached.values()], vote=None, settings=settings, now=now,
                  on_behalf=roster.on_behalf(person.id, role, day))
        announce_decision(self.ctx, session, coop=coop, case=case, d=d, action=None, actor=person, role=role,
                          fired=True, seq=0, roster=roster, day=day, now=now,
                          history=History([event], {person.id: person.username}))
        if claimed is not None:
            claimed.case_id, claimed.result = case.id, {"number": number}
        return number

    # -- act -----------------------------------------------------------------------------

    def act(self, number: str, action_id: str, username: str, *, values: Mapping[str, str],
            checks: Sequence[str], comment: str | None, files: Mapping[str, Upload], coop_slug: str | None,
            expected_step: int | None, member_only: bool = False, session_token: str | None = None,
            request_id: str | None = None) -> ActResult:
        """Take an action on a case. Raises and changes nothing when anything is not in order.

        ``member_only``: somebody who holds no role in the case's cooperative today is told the case
        does not exist (the web app's rule: another cooperative's cases are not revealed).
        ``session_token``: the web caller's session must be live and be ``username``'s (checked in
        the same unit of work as the decision).
        ``request_id``: the client's id for this request. A retry with the same id returns the first
        result (not "already decided"); the same id with other content is a RequestConflictError.
        """
        self.ctx.db.require_schema()
        text = comment.strip() if comment else None
        request = _Request.of(request_id, "act", {
            "case": number, "action": action_id, "user": username, "values": dict(values),
            "checks": sorted(checks), "comment": text, "files": _file_digests(files)})
        for attempt in range(2):
            try:
                with self.ctx.db.session() as session:
                    return self._act(session, number, action_id, username, values, list(checks), text, files,
                                     coop_slug, expected_step, member_only, session_token, request)
            except StaleDataError:
                raise AlreadyDecidedError(
                    f"Kasus {number} baru saja diubah orang lain; muat ulang dan periksa statusnya.") from None
            except IntegrityError as exc:
                if is_request_clash(exc) and attempt == 0:
                    continue  # a retry of this request committed meanwhile: the next pass returns its result
                if "votes" in str(exc.orig).lower() or "uq_votes" in str(exc.orig):
                    raise AlreadyDecidedError("Suara Anda untuk langkah ini sudah tercatat.") from None
                raise
        raise AssertionError("unreachable")

    def _already_decided(self, case: Case, d: Definition, action_id: str, history: History) -> AlreadyDecidedError:
        last = history.events[-1] if history.events else None
        state = d.states[case.state]
        who = ""
        if last is not None:
            who = (f" oleh {history.usernames.get(last.actor_id, '?')} ({role_label(last.role)}) dengan aksi "
                   f"'{last.action}' pada {as_utc(last.at).astimezone(self.ctx.tz):%d-%m-%Y %H.%M}")
        return AlreadyDecidedError(
            f"Langkah '{action_id}' pada kasus {case.number} sudah diputuskan{who}; "
            f"status kini: {state.status_label or state.title}.")

    def _act(self, session: Session, number: str, action_id: str, username: str, raw: Mapping[str, str],
             checks: list[str], comment: str | None, files: Mapping[str, Upload], coop_slug: str | None,
             expected_step: int | None, member_only: bool, session_token: str | None,
             request: _Request | None) -> ActResult:
        ctx = self.ctx
        now = ctx.clock()
        day = now.astimezone(ctx.tz).date()
        person = ctx.person(session, username)
        if session_token is not None and WebSessions(ctx).check(session, session_token) != person.id:
            raise LoginRequiredError("Sesi ini milik orang lain. Silakan masuk lagi.")
        case = ctx.find_case(session, number, coop_slug, person, lock=True)
        roster = rosters(session, [case.coop_id])[case.coop_id]
        if member_only and not roster.roles_on(person.id, day):
            raise NotFoundError(f"Kasus {number} tidak ditemukan.")
        claimed = _claim(session, case.coop_id, person.id, request, now)
        if isinstance(claimed, dict):  # the first request's answer, as it was given
            return ActResult(**{f.name: claimed[f.name] for f in dataclass_fields(ActResult) if f.name in claimed})
        coop = session.get_one(Cooperative, case.coop_id)
        record = session.get_one(DefinitionRecord, case.definition_id)
        loaded = ctx.pinned(record)
        d = loaded.definition
        machine = machine_for(loaded)
        history = histories(session, [case.id])[0][case.id]
        if expected_step is not None and expected_step != case.step_no:
            raise self._already_decided(case, d, action_id, history)
        state = case.state
        candidates = machine.candidates(state, action_id)
        if not candidates:
            raise self._not_here(case, d, action_id, history)
        settings = resolved_settings(d, coop.settings)
        votes_here = step_votes(session, [case])[case.id]
        voted = seat_votes(votes_here, history)
        listed = person_ids(session, listed_usernames(d, case.data))  # who is on a daftar hadir that votes
        eligibility: dict[int, Eligibility] = {}
        handed = (handed_roles(session, [(case.id, case.step_no)]).get(case.id, [])  # overdue, "alihkan"
                  if any(level.do == "alihkan" for level in d.states[state].escalation) else [])

        def may(action: Action) -> Eligibility:
            if id(action) not in eligibility:
                present = present_people(d, action, case.data, listed)
                eligibility[id(action)] = who_may(d, case, widened(action, handed), person.id, day, roster,
                                                  history, voted, present)
            return eligibility[id(action)]

        # Who may act is decided before anything else is looked at, so a refusal says why.
        if not any(may(c).allowed for c in candidates):
            first = may(candidates[0])
            raise PermissionDeniedError(first.reason or "Tidak diizinkan.", rule=first.rule or "peran")
        allowed_fields = list(dict.fromkeys(f for c in candidates for f in d.settable_fields(c)))
        new_values = _parse_values(d, raw, settings, allowed_fields, case.data)
        if problems := request_problems(d, files, comment):  # unknown --attach field, comment that cannot be kept
            raise ValidationError(problems)
        data = dict(case.data)
        data.update(new_values)
        context = case_guard_context(session, coop.id, roster, d, data, settings, day, person)
        checked: list[_Checked] = []  # what ready() established for the variant the machine chose

        def ready(action: Action) -> bool:
            """The machine chose ``action``: may this person take it, is all in order, does it fire now?"""
            eligible = may(action)
            if not eligible.allowed:
                raise PermissionDeniedError(eligible.reason or "Tidak diizinkan.", rule=eligible.rule or "peran")
            settable = d.settable_fields(action)
            refused = [FieldProblem(d.fields[n].label, _NOT_HERE, n)
                       for n in list(new_values) + list(files) if n and n not in settable]
            if refused:
                raise ValidationError(refused)
            known_checks = {i.id for i in d.states[state].checklist}
            unknown = [FieldProblem(f"checklist '{c}'", "tidak dikenal pada langkah ini; pilihan: "
                                    + (", ".join(sorted(known_checks)) or "tidak ada")) for c in checks
                       if c not in known_checks]
            if unknown:
                raise ValidationError(unknown)
            attached = self._attach(session, d, case, person, files, settable, now)
            data.update(attached)
            complete = {k: v for k, v in data.items() if v is not None}
            problems = missing_requirements(d, action, complete, set(checks), comment, state)
            if problems:
                raise ValidationError(problems, headline=f"Belum dapat '{action.display}':")
            if action.rules and (refusals := rule_problems(d, action, context)):
                raise ValidationError(refusals, headline=f"Belum dapat '{action.display}':")
            changed = {n for n, v in new_values.items() if v != case.data.get(n)}
            self._check_attendance(session, d, case.coop_id, case.id, roster, complete, changed, action, day,
                                   settings)
            known = {username: person_id for username, (person_id, _) in context.facts.people.items()}
            check_people(d, complete, roster, known, day, changed)  # the people the guard context loaded
            needed = quorum_needed(action, settings)
            votes = 1 + sum(1 for v in votes_here if v.action == action.id) if action.quorum is not None else 1
            checked.append(_Checked(eligible.role or action.roles[0], attached, complete, votes, needed,
                                    eligible.on_behalf_of))
            return votes >= needed

        try:
            decision = machine.decide(state, action_id, context, ready)
        except GuardError:
            raise _guard_problem(d, candidates, data, settings, context) from None
        if decision.chosen is None:
            raise _guard_problem(d, candidates, data, settings, context)
        action = decision.chosen
        outcome = checked[0]
        data = outcome.data
        if data != case.data or case.data_rev == 0:
            revision_sha = _revision(session, case, data, now).sha256
            case.data = data
        else:
            revision_sha = sha256_hex(canonical(data))
        step_no = case.step_no
        votes, needed = outcome.votes, outcome.needed
        event = self._log(session, coop, case, record, action=action.id, kind=action.kind, from_state=state,
                        to_state=decision.state, person=person, role=outcome.role, comment=comment,
                        checks=checks, revision_sha=revision_sha,
                        attachments=[a["sha256"] for a in outcome.attached.values()],
                        vote={"count": votes, "needed": needed} if action.quorum else None,
                        settings=settings, now=now, on_behalf=outcome.on_behalf)
        seq = event.seq
        if action.quorum is not None:
            session.add(Vote(coop_id=coop.id, case_id=case.id, step_no=step_no, action=action.id,
                             person_id=person.id, role=outcome.role, seq=seq, cast_at=now))
        if decision.fired:
            case.state = decision.state
            case.step_no = step_no + 1
            case.state_since = now
            if action.effects:  # the terms of office this decision sets (effects: appoint, install)
                apply_term_effects(session, ctx.signer, coop, record, case, d, action, data, person, day, now)
            if d.states[decision.state].final:
                case.closed_at = now
                end_case_appointments(session, ctx.signer, coop, record, case, d, person, day, now)
                apply_effects(session, coop, record.workflow_id, case, day, now)
                carry_out(self.ctx, session, coop, record.workflow_id, case, person, outcome.role, now)
        session.flush()
        announce_decision(ctx, session, coop=coop, case=case, d=d, action=action, actor=person, role=outcome.role,
                          fired=decision.fired, seq=seq, roster=roster, day=day, now=now,
                          history=History([*history.events, event], {**history.usernames, person.id: person.username}))
        target = d.states[decision.state]
        result = ActResult(case.number, action.id, state, decision.state, target.status_label or target.title,
                           decision.fired, votes, needed, seq, action.display)
        if claimed is not None:
            claimed.case_id, claimed.result = case.id, asdict(result)
        return result

    def _check_attendance(self, session: Session, d: Definition, coop_id: int, case_id: int | None, roster: Roster,
                          data: dict[str, Any], changed: set[str], action: Action | None, day: date,
                          settings: Mapping[str, Any]) -> None:
        """Each daftar hadir set now (or read by ``action``) lists only people who could attend the meeting,
        spelled as the register spells them (``data`` is updated); then ``action``'s attendance quorum."""
        linked = action.attendance.field if action is not None and action.attendance is not None else None
        problems: list[FieldProblem] = []
        meeting: Eligible | None = None
        for name in attendance_fields(d):
            value = data.get(name)
            if (name not in changed and name != linked) or is_empty(value):
                continue
            eligible = meeting_of(session, coop_id, case_id, d, name, data, roster, day, self.ctx.tz,
                                  recording=name in changed)
            if eligible is None:
                problems.append(day_problem(d, name))
                continue
            data[name], found = check_list(name, d.fields[name], list(value or []), eligible)
            problems += found
            if name == linked:
                meeting = eligible
        if problems:
            raise ValidationError(problems)
        if action is not None:
            check_quorum(d, action, data, meeting, settings)

    def _not_here(self, case: Case, d: Definition, action_id: str, history: History) -> Exception:
        if action_id not in d.action_ids():
            return NotFoundError(f"Aksi '{action_id}' tidak ada di prosedur '{d.title}'. "
                                 f"Aksi yang ada: {', '.join(d.action_ids())}")
        earlier = {s for a in d.actions if a.id == action_id for s in a.from_}
        last = history.events[-1] if history.events else None
        if last is not None and last.from_state in earlier and last.from_state != last.to_state:
            return self._already_decided(case, d, action_id, history)
        here = d.states[case.state]
        available = ", ".join(dict.fromkeys(a.id for a in d.actions_from(case.state))) or "tidak ada (kasus selesai)"
        return ValidationError([], headline=f"Aksi '{action_id}' tidak dapat dilakukan saat kasus berstatus "
                                            f"'{here.status_label or here.title}'. Aksi yang tersedia: {available}.")

    # -- writing ---------------------------------------------------------------------------

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
                raise ValidationError([FieldProblem(spec.label, _NOT_HERE, name)])
            if isinstance(path, tuple):
                filename, content = path
            else:
                filename = path.name
                try:
                    content = path.read_bytes()
                except OSError as exc:
                    raise ValidationError([FieldProblem(spec.label, f"berkas {path} tidak dapat dibaca: "
                                                                    f"{exc.strerror}", name)]) from None
            out[name] = store_attachment(
                session, coop_id=case.coop_id, case_id=case.id, field_name=name, field=spec,
                filename=filename, content=content, uploaded_by=person.id, now=now,
                max_mb=self.ctx.settings.max_attachment_mb, directory=self.ctx.settings.attachments_dir)
        return out

    def _log(self, session: Session, coop: Cooperative, case: Case, record: DefinitionRecord, *,
             action: str, kind: str, from_state: str, to_state: str, person: Person, role: str,
             comment: str | None, checks: list[str], revision_sha: str, attachments: list[str],
             vote: dict[str, int] | None, settings: dict[str, Any], now: datetime,
             on_behalf: int | None = None) -> CaseEvent:
        """Append the decision's audit entry (and signed checkpoint) and its readable event row (returned);
        ``on_behalf``: the holder the actor acted for under a delegation (``atas_nama`` in the entry)."""
        fields: dict[str, Any] = {
            "case": case.number, "definition": record.pinned_ref, "action": action, "kind": kind,
            "from": from_state, "to": to_state, "actor": person.username, "role": role,
            "comment_sha256": comment_hash(comment), "data_rev": case.data_rev, "data_sha256": revision_sha,
            "checks": sorted(checks), "attachments": sorted(attachments),
            "settings_sha256": sha256_hex(canonical(settings)),
        }
        if vote is not None:
            fields["vote"] = vote
        if on_behalf is not None:
            fields["atas_nama"] = session.get_one(Person, on_behalf).username
        documents = bound_documents(session, coop, record.workflow_id, case.data)
        if documents is not None:  # the approval binds the document as it is now (RK/RAPB)
            fields["documents"] = documents
        seq = append_entry(session, coop, self.ctx.signer, fields, case_id=case.id, now=now)
        event = CaseEvent(coop_id=coop.id, seq=seq, case_id=case.id, step_no=case.step_no,
                          action=action, kind=kind, from_state=from_state, to_state=to_state,
                          actor_id=person.id, role=role, comment=comment, checks=sorted(checks),
                          settings=settings, data_rev=case.data_rev, at=now, on_behalf_of_id=on_behalf)
        session.add(event)
        return event


def _claim(session: Session, coop_id: int, person_id: int, request: _Request | None,
           now: datetime) -> IdempotencyKey | dict[str, Any] | None:
    """Reserve a request id in this unit of work, or return what the first request with that id did.

    The row is written (flushed) at once: a concurrent retry waits on it and then finds it committed
    (or finds it gone, when the first was refused and saved nothing). The caller fills in the result.
    """
    if request is None:
        return None
    row = session.get(IdempotencyKey, (coop_id, request.id))
    if row is None:
        row = IdempotencyKey(coop_id=coop_id, request_id=request.id, person_id=person_id, command=request.command,
                             fingerprint=request.fingerprint, result={}, created_at=now)
        session.add(row)
        session.flush()
        return row
    if (row.person_id, row.command, row.fingerprint) != (person_id, request.command, request.fingerprint):
        raise RequestConflictError(
            f"ID permintaan '{request.id}' sudah dipakai untuk permintaan lain pada "
            f"{as_utc(row.created_at):%d-%m-%Y %H.%M} UTC; tidak ada yang diubah. "
            "Pakai ID baru untuk permintaan baru.")
    return dict(row.result)


def _parse_values(d: Definition, raw: Mapping[str, str], settings: Mapping[str, Any], allowed: Sequence[str],
                  current: Mapping[str, Any]) -> dict[str, Any]:
    """Typed text -> values. A field outside ``allowed`` is refused unless its value is unchanged."""
    values: dict[str, Any] = {}
    problems: list[FieldProblem] = []
    for name, text in raw.items():
        spec = d.fields.get(name)
        if spec is None:
            problems.append(FieldProblem(name, f"field tidak dikenal; yang ada: {', '.join(d.fields)}"))
            continue
        try:
            value = parse_value(name, spec, text, settings)
        except ValidationError as exc:
            if name in allowed:
                problems += exc.problems
            else:
                problems.append(FieldProblem(spec.label, _NOT_HERE, name))
            continue
        if name not in allowed:
            if value != current.get(name):
                problems.append(FieldProblem(spec.label, _NOT_HERE, name))
            continue
        error = validate_value(name, spec, value, settings)
        if error:
            problems.append(error)
        values[name] = value
    if problems:
        raise ValidationError(problems)
    return values


def _guard_problem(d: Definition, candidates: Sequence[Action], data: Mapping[str, Any],
                   settings: Mapping[str, Any], context: Mapping[str, Any]) -> ValidationError:
    """Why no variant of the action applies, clause by clause in words: the ``and`` clauses of each guard
    that do not hold (a field a failing clause needs and that is empty is named as such); never the
    expression itself."""
    problems: list[FieldProblem] = []
    for action in candidates:
        if not action.when:
            continue
        try:
            unmet = unmet_clauses(d, action.when, context, settings, data)
        except GuardError:
            problems.append(FieldProblem("Syarat", f"{guard_sentence(action.when, d, settings)} — tidak terpenuhi"))
            continue
        for clause in unmet:
            if clause.empty:
                problems += [FieldProblem(d.fields[n].label, "wajib diisi sebelum langkah ini", n)
                             for n in clause.empty]
                continue
            shown = "; ".join(f"{d.fields[n].label}: {format_value(d.fields[n], data.get(n))}"
                              for n in sorted(clause.names) if n in d.fields and d.fields[n].type != "list")
            problems.append(FieldProblem("Syarat", f"{sentence(clause.words)} — tidak terpenuhi"
                                         + (f" (isian kini: {shown})" if shown else "")))
    unique = list(dict.fromkeys(problems))
    if not unique:
        unique = [FieldProblem("Syarat", "syarat langkah ini tidak terpenuhi")]
    return ValidationError(unique, headline=f"Syarat untuk '{candidates[0].display}' tidak terpenuhi:")


def _revision(session: Session, case: Case, data: dict[str, Any], now: datetime) -> DataRevision:
    """Store the case data after a decision as a new revision (the entry commits to its SHA-256)."""
    case.data_rev += 1
    text = canonical(data).decode()
    revision = DataRevision(coop_id=case.coop_id, case_id=case.id, rev=case.data_rev, canonical=text,
                            sha256=sha256_hex(text.encode()), created_at=now)
    session.add(revision)
    return revision


def _next_number(session: Session, coop: Cooperative, prefix: str, year: int) -> str:
    counter = session.execute(
        select(CaseCounter).where(CaseCounter.coop_id == coop.id, CaseCounter.prefix == prefix,
                                  CaseCounter.year == year).with_for_update()
    ).scalar_one_or_none()
    if counter is None:
        counter = CaseCounter(coop_id=coop.id, prefix=prefix, year=year, last=0)
        session.add(counter)
    counter.last += 1
    return f"{prefix}/{year}/{counter.last:04d}"


