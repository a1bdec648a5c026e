"""``Services``: the one object entry points hold. A thin facade over the use cases.

Each method delegates to one use case (``cases``, ``views``, ``audit``, ``admin``,
``accounts``, ``sessions``, ``documents``); they share one :class:`~engine.services.context.Context`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from functools import cached_property
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from engine.adapters.store.db import utcnow
from engine.services.context import Context
from engine.services.dto import (
    ActionOption,
    ActResult,
    CaseSummary,
    CaseView,
    DinasRow,
    EventView,
    StartChoice,
    StartForm,
    User,
)

if TYPE_CHECKING:  # each use case is imported when first used: `case show` needs neither audit, admin nor PDFs
    from engine.adapters.store.db import Database
    from engine.adapters.store.models import Checkpoint, Cooperative, DefinitionRecord
    from engine.audit.findings import Finding, FindingsReport
    from engine.audit.keys import Signer
    from engine.audit.proofs import EntryProof
    from engine.audit.verify import VerifyReport
    from engine.domain.definitions.loader import LoadedDefinition
    from engine.domain.definitions.registry import Registry
    from engine.errors import DefinitionChangedError
    from engine.services.admin import Accounts, Admin, DocumentCertificate
    from engine.services.audit import FOLLOWUP_WORKFLOW, AuditService
    from engine.services.cases import CaseCommands, Upload
    from engine.services.delegation import Delegations
    from engine.services.documents import DocumentService
    from engine.services.escalation import Escalations, TickReport
    from engine.services.members import MemberRegister
    from engine.services.migration import CaseMigrations
    from engine.services.notifications import Notifications
    from engine.services.organisation import ImportSummary
    from engine.services.procedures import Procedures
    from engine.services.sessions import WebSessions
    from engine.services.training import Training
    from engine.services.views import CaseViews
    from engine.settings import Settings

__all__ = [
    "FOLLOWUP_WORKFLOW",
    "ActResult",
    "ActionOption",
    "CaseSummary",
    "CaseView",
    "EventView",
    "Services",
    "Upload",
]

_LAZY = {"FOLLOWUP_WORKFLOW": "engine.services.audit", "Upload": "engine.services.cases"}


def __getattr__(name: str) -> Any:
    """``FOLLOWUP_WORKFLOW`` and ``Upload``, loaded with their use case on first use (PEP 562)."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(module), name)


class Services:
    """The engine's use cases, bound to one database and configuration."""

    def __init__(self, settings: Settings, *, registry: Registry | None = None,
                 clock: Callable[[], datetime] = utcnow) -> None:
        self.context = Context(settings, registry=registry, clock=clock)

    # -- the use cases, each built (and its module imported) on first use -------------------

    @cached_property
    def cases(self) -> CaseCommands:
        """Start a case, take an action."""
        from engine.services.cases import CaseCommands

        return CaseCommands(self.context)

    @cached_property
    def views(self) -> CaseViews:
        """Every read model."""
        from engine.services.views import CaseViews

        return CaseViews(self.context)

    @cached_property
    def admin(self) -> Admin:
        """Schema, signing key, organisation import, registered definitions."""
        from engine.services.admin import Admin

        return Admin(self.context)

    @cached_property
    def sessions(self) -> WebSessions:
        """Server-side web sessions."""
        from engine.services.sessions import WebSessions

        return WebSessions(self.context)

    @cached_property
    def accounts(self) -> Accounts:
        """Passwords and logins (argon2 loads on first use)."""
        from engine.services.admin import Accounts

        return Accounts(self.context, self.sessions)

    @cached_property
    def audit(self) -> AuditService:
        """The trail: verify, findings, export, proofs, checkpoints."""
        from engine.services.audit import AuditService

        return AuditService(self.context, self._start_number)

    @cached_property
    def delegations(self) -> Delegations:
        """Delegations (a.n.): a role holder hands a role to another person for a period."""
        from engine.services.delegation import Delegations

        return Delegations(self.context)

    @cached_property
    def escalations(self) -> Escalations:
        """Deadlines and escalation of overdue steps (``tick``)."""
        from engine.services.escalation import Escalations

        return Escalations(self.context)

    @cached_property
    def members(self) -> MemberRegister:
        """The Buku Daftar Anggota."""
        from engine.services.members import MemberRegister

        return MemberRegister(self.context)

    @cached_property
    def notifications(self) -> Notifications:
        """Each person's messages (web inbox) and their delivery by e-mail."""
        from engine.services.notifications import Notifications

        return Notifications(self.context)

    @cached_property
    def procedures(self) -> Procedures:
        """The procedures themselves: the page with the flowchart drawn from the printed SOP's layout."""
        from engine.services.procedures import Procedures

        return Procedures(self.context)

    @cached_property
    def migrations(self) -> CaseMigrations:
        """Move running cases to a new version of their procedure (plan, propose)."""
        from engine.services.migration import CaseMigrations

        return CaseMigrations(self.context, self.cases)

    @cached_property
    def documents(self) -> DocumentService:
        """Printed documents (loads WeasyPrint on first use)."""
        from engine.services.documents import DocumentService

        return DocumentService(self.context)

    @cached_property
    def training(self) -> Training:
        """Training mode ("latihan"): each person's sandbox cooperative."""
        from engine.services.training import Training

        return Training(self.context)

    # -- configuration -------------------------------------------------------------------

    @property
    def settings(self) -> Settings:
        """The configuration."""
        return self.context.settings

    @property
    def db(self) -> Database:
        """The database (for set-up, tests and operators; use cases open their own units of work)."""
        return self.context.db

    @property
    def registry(self) -> Registry:
        """Current workflow definitions."""
        return self.context.registry

    @property
    def signer(self) -> Signer:
        """The checkpoint-signing key."""
        return self.context.signer

    @property
    def clock(self) -> Callable[[], datetime]:
        """The clock (UTC)."""
        return self.context.clock

    @property
    def tz(self) -> ZoneInfo:
        """The cooperatives' time zone."""
        return self.context.tz

    @property
    def database_url(self) -> str:
        """The database address with any password masked, safe to print."""
        return self.context.db.display_url

    def require_schema(self) -> None:
        """ConfigurationError unless ``tatakelola init`` has prepared the database."""
        self.context.db.require_schema()

    def today(self) -> date:
        """Today's date in the cooperative's time zone."""
        return self.context.today()

    def pinned(self, record: DefinitionRecord) -> LoadedDefinition:
        """The definition a case is pinned to."""
        return self.context.pinned(record)

    # -- administration ------------------------------------------------------------------

    def init(self) -> tuple[Path, bool]:
        """Create or upgrade the schema and create the signing key if missing."""
        return self.admin.init()

    def document_certificate(self) -> DocumentCertificate | None:
        """The certificate issued PDFs are signed with, created beside the signing key if missing."""
        return self.admin.document_certificate()

    def import_org(self, path: Path) -> ImportSummary:
        """Import an organisation file (idempotent)."""
        return self.admin.import_org(path)

    def cooperatives(self) -> list[tuple[Cooperative, int, int]]:
        """Every cooperative with its count of current role holders and open cases."""
        return self.admin.cooperatives()

    def check_registered(self) -> list[DefinitionChangedError]:
        """Definitions whose file changed without a version bump since the database saw them."""
        return self.admin.check_registered()

    def set_password(self, username: str, password: str, *, check_strength: bool = True) -> None:
        """Set a person's web password (argon2id); every session of theirs ends.

        ``check_strength=False`` only for the demo's published passwords, never for a password a person chose.
        """
        self.accounts.set_password(username, password, check_strength=check_strength)

    # -- web sessions --------------------------------------------------------------------

    def log_in(self, username: str, password: str, address: str, *, user_agent: str | None = None,
               replaces: str | None = None) -> tuple[str, str]:
        """Check a login (throttled) and start a session: (session token, user name).

        ``replaces`` is the token this browser held before, ended now.
        """
        person_id, username = self.accounts.log_in(username, password, address)
        return self.sessions.start(person_id, user_agent, replaces=replaces), username

    def session_user(self, token: str) -> User | None:
        """The person of a live session with the cooperatives they serve today; None to send them to log in.

        A person who no longer holds any role anywhere has the session ended ("masa jabatan berakhir").
        """
        return self.sessions.signed_in(token, self.views.user_in)

    def log_out(self, token: str) -> None:
        """End this session."""
        from engine.services.sessions import LOGGED_OUT

        self.sessions.end(token, LOGGED_OUT)

    def change_password(self, user_id: int, old: str, new: str, again: str, *, session_token: str) -> str:
        """Change one's own password: every session of the person ends; returns this browser's fresh token."""
        token = self.accounts.change_password(user_id, old, new, again, session_token=session_token)
        assert token is not None
        return token

    # -- cases ---------------------------------------------------------------------------

    def _start_number(self, workflow_id: str, coop_slug: str, username: str, values: dict[str, str]) -> str:
        return self.cases.start(workflow_id, coop_slug, username, values=values, files={}, comment=None)

    def start_case(self, workflow_id: str, coop_slug: str, username: str, *,
                   values: Mapping[str, str] | None = None, files: Mapping[str, Upload] | None = None,
                   comment: str | None = None, request_id: str | None = None) -> CaseView:
        """Start a case of a workflow; the starter must be able to act on its first step.

        ``request_id``: a retry with the same id shows the case the first request started."""
        number = self.open_case(workflow_id, coop_slug, username, values=values, files=files, comment=comment,
                                request_id=request_id)
        return self.views.show(number, username, coop_slug=coop_slug)

    def open_case(self, workflow_id: str, coop_slug: str, username: str, *,
                  values: Mapping[str, str] | None = None, files: Mapping[str, Upload] | None = None,
                  comment: str | None = None, request_id: str | None = None) -> str:
        """``start_case`` without building the page: the new case's number."""
        return self.cases.start(workflow_id, coop_slug, username, values=values or {}, files=files or {},
                                comment=comment, request_id=request_id)

    def start_choices(self, coop_slug: str, username: str) -> list[StartChoice]:
        """The procedures this person may start in this cooperative today, the most used there first."""
        return self.views.start_choices(coop_slug, username)

    def start_form(self, workflow_id: str, coop_slug: str, username: str) -> StartForm:
        """The form that starts a case of a procedure (its first step's fields, the submit action this
        person may take); creates nothing."""
        return self.views.start_form(workflow_id, coop_slug, username)

    def act(self, number: str, action_id: str, username: str, *, values: Mapping[str, str] | None = None,
            checks: Sequence[str] = (), comment: str | None = None, files: Mapping[str, Upload] | None = None,
            coop_slug: str | None = None, expected_step: int | None = None, member_only: bool = False,
            session_token: str | None = None, request_id: str | None = None) -> ActResult:
        """Take an action on a case. Raises and changes nothing when anything is not in order.

        ``session_token`` (the web): the caller's session must be live and be ``username``'s, else
        LoginRequiredError. ``request_id``: a retry with the same id returns the first result.
        """
        return self.cases.act(number, action_id, username, values=values or {}, checks=checks, comment=comment,
                              files=files or {}, coop_slug=coop_slug, expected_step=expected_step,
                              member_only=member_only, session_token=session_token, request_id=request_id)

    # -- reading -------------------------------------------------------------------------

    def show(self, number: str, username: str | None, *, coop_slug: str | None = None) -> CaseView:
        """A case as ``username`` sees it (or as an observer when None)."""
        return self.views.show(number, username, coop_slug=coop_slug)

    def list_cases(self, coop_slug: str | None = None, *, open_only: bool = False) -> list[CaseSummary]:
        """Cases, newest first."""
        return self.views.list_cases(coop_slug, open_only=open_only)

    def tasks(self, username: str, coop_slug: str | None = None) -> list[tuple[CaseSummary, list[ActionOption]]]:
        """Open cases waiting on this person, oldest deadline first."""
        return self.views.tasks(username, coop_slug)

    def user(self, user_id: int) -> User | None:
        """A signed-in person with the cooperatives they serve today."""
        return self.views.user(user_id)

    def attachment(self, slug: str, number: str, sha256: str) -> tuple[str, str, bytes]:
        """(file name, media type, content) of one attachment of a case."""
        return self.views.attachment(slug, number, sha256)

    def attachment_preview(self, slug: str, number: str, sha256: str) -> bytes:
        """The first page of an attached PDF as a PNG."""
        return self.views.attachment_preview(slug, number, sha256)

    def tick(self, now: datetime | None = None) -> TickReport:
        """One round of the background work (``tatakelola tick``, and ``serve`` every tick interval): escalate
        every overdue step's levels due by ``now`` (default: the clock), each exactly once.

        Further periodic work (sending the outbox's e-mail) goes after the escalations, so the messages they
        add go out in the same round; record what it did on the report (``report.mailed``).
        """
        report = self.escalations.tick(now)
        delivery = self.notifications.deliver_due(now=now)  # a mail server that is down only delays the e-mail
        report.mailed = delivery.sent
        return report

    def dinas_overview(self, user: User, year: int | None = None) -> list[DinasRow]:
        """The cooperatives a Dinas officer follows, side by side, each with its trail verified (only the
        entries added since its last verification are read: :meth:`AuditService.verify_followed`)."""
        followed = [m.slug for m in user.memberships if "dinas" in m.roles and not m.training]
        if not followed:
            return []
        trail = {r.coop: (r.ok, r.size) for r in self.audit.verify_followed(followed)}
        return self.views.dinas_overview(user, trail, year)

    # -- audit ---------------------------------------------------------------------------

    def verify(self, coop_slug: str | None = None, *, since_last: bool = False,
               all_signatures: bool = False) -> list[VerifyReport]:
        """Verify one cooperative's log, or all of them (``since_last``: only what was added since the last
        verification; ``all_signatures``: every checkpoint's signature)."""
        return self.audit.verify(coop_slug, since_last=since_last, all_signatures=all_signatures)

    def findings(self, coop_slug: str, start: date | None = None, end: date | None = None) -> FindingsReport:
        """Audit findings of a cooperative's trail over a period."""
        return self.audit.findings(coop_slug, start, end)

    def open_followups(self, coop_slug: str, username: str, findings: Sequence[Finding]) -> list[str]:
        """Open a follow-up case per finding not followed up yet."""
        return self.audit.open_followups(coop_slug, username, findings)

    def export(self, coop_slug: str, directory: Path) -> dict[str, Any]:
        """Write the pengawas' export bundle."""
        return self.audit.export(coop_slug, directory)

    def prove_case(self, number: str, coop_slug: str | None = None) -> list[EntryProof]:
        """Inclusion proofs of a case's decisions against the latest checkpoint."""
        return self.audit.prove_case(number, coop_slug)

    def consistency(self, old_note: str, new_note: str) -> tuple[str, int, int, list[bytes]]:
        """Check that a newer saved checkpoint extends an older one."""
        return self.audit.consistency(old_note, new_note)

    def latest_checkpoint(self, coop_slug: str) -> Checkpoint | None:
        """The largest signed checkpoint of a cooperative's log, if any."""
        return self.audit.latest_checkpoint(coop_slug)

    def checkpoint(self, coop_slug: str) -> Checkpoint:
        """Sign (or reuse) a checkpoint of a cooperative's log as it is now."""
        return self.audit.checkpoint(coop_slug)
