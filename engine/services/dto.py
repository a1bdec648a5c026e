"""What the use cases return: plain frozen data, ready for a page, a JSON body or a terminal."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, NamedTuple

from engine.domain.definitions.model import FieldDef
from engine.domain.roles import role_label
from engine.domain.values import ListTable, human_size

__all__ = [
    "FOLLOWUP_WORKFLOW",
    "ActResult",
    "ActionOption",
    "AttachmentView",
    "CaseSummary",
    "CaseView",
    "DinasRow",
    "EventView",
    "FactView",
    "FormInput",
    "IssuedView",
    "MemberView",
    "Membership",
    "RegisterImport",
    "StartChoice",
    "StartForm",
    "User",
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
    #: Why not, as a rule name (``peran``, ``pemilik_draf``, ``pemisahan_tugas``...); None when allowed.
    rule: str | None = None


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
    #: The action as people read it ("Verifikasi dan teruskan ke ketua"), never its id.
    label: str = ""
    #: The full name of the holder the actor acted for (a.n., under a delegation); "" in their own right.
    on_behalf: str = ""


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
    #: How the case stands: ``open``, ``done`` (ended as hoped), ``rejected`` or ``cancelled`` (ended otherwise).
    outcome: str = "open"
    #: The case's first amount of money, formatted (``Rp 300.000``), when it has one.
    amount: str | None = None
    #: Full name of whoever started the case, where the page knows it.
    requester: str | None = None


@dataclass(frozen=True)
class FormInput:
    """One input of the step form: a field the person's allowed actions may set, with its value."""

    name: str
    spec: FieldDef
    value: Any
    shown: str
    options: list[str]
    required: bool
    #: attendance: who could attend, as (member number / user name, label); a person field or a list field with
    #: a person column: the cooperative's people to pick from, as (user name, full name).
    people: list[tuple[str, str]] = field(default_factory=list)
    #: A list field: its rows, each cell as text to edit (column id -> text).
    rows: list[dict[str, str]] = field(default_factory=list)
    #: A list field: the choices of each choice column (column id -> options).
    column_options: dict[str, list[str]] = field(default_factory=dict)


class AttachmentView(NamedTuple):
    """A file attached to a case."""

    field: str
    filename: str
    sha256: str
    size: int
    media_type: str = ""

    @property
    def size_label(self) -> str:
        """The size as people read it ("201 KB")."""
        return human_size(self.size)

    @property
    def is_image(self) -> bool:
        """A photo a page may show inline (JPEG or PNG)."""
        return self.media_type in ("image/jpeg", "image/png")

    @property
    def is_pdf(self) -> bool:
        """A PDF whose first page a page may show as a picture."""
        return self.media_type == "application/pdf"


@dataclass(frozen=True)
class FactView:
    """One fact of a case as its page shows it: a field's label and value, or the file attached to it."""

    name: str
    label: str
    value: str
    attachment: AttachmentView | None = None
    #: A list field: its rows under the column labels.
    table: ListTable | None = None


@dataclass(frozen=True)
class IssuedView:
    """A document issued about a case (from the register of issued documents)."""

    number: str
    title: str
    issued_at: datetime
    pages: int
    sha256: str


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
    inputs: list[FormInput] = field(default_factory=list)
    files: list[AttachmentView] = field(default_factory=list)
    issued: list[IssuedView] = field(default_factory=list)
    decided: bool = False
    #: The case's filled-in fields, in the procedure's order (files with their attachment).
    facts: list[FactView] = field(default_factory=list)
    #: Who may act on the current step today, as (full name, role label), whoever is reading.
    waiting: list[tuple[str, str]] = field(default_factory=list)
    #: The day the current step is due (local time), None without a deadline or once final.
    due_on: date | None = None
    #: The current step's escalations, oldest first: (what was done, e.g. "dialihkan juga ke Wakil Ketua
    #: Bidang Usaha", when). Empty while the step is not overdue.
    escalations: list[tuple[str, datetime]] = field(default_factory=list)
    #: Each filled-in list field as a table (column labels, formatted cells), by field id.
    tables: dict[str, ListTable] = field(default_factory=dict)


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
    label: str = ""


@dataclass(frozen=True)
class Membership:
    """A cooperative a person serves, with the roles held today."""

    slug: str
    name: str
    city: str | None
    roles: frozenset[str]
    #: A sandbox cooperative ("latihan"): kept out of the menu, the real tasks and every overview.
    training: bool = False

    @property
    def labels(self) -> str:
        """Roles as people read them."""
        hidden = {"pengurus"} if self.roles - {"pengurus", "anggota"} else set()
        return ", ".join(sorted(role_label(r) for r in self.roles - hidden))


@dataclass(frozen=True)
class User:
    """A signed-in person and where they may look."""

    id: int
    username: str
    full_name: str
    memberships: tuple[Membership, ...] = field(default=())
    #: Where notification e-mails go (None: shown in the web app only).
    email: str | None = None
    #: How many of their notifications are unread (the menu's badge).
    unread: int = 0

    def membership(self, slug: str) -> Membership | None:
        """Membership in one cooperative (None = no access)."""
        return next((m for m in self.memberships if m.slug == slug), None)

    def holds(self, slug: str, *roles: str) -> bool:
        """Holds any of these roles in that cooperative today."""
        member = self.membership(slug)
        return bool(member and member.roles & set(roles))

    @property
    def is_dinas(self) -> bool:
        """An officer of the Dinas for at least one cooperative."""
        return any("dinas" in m.roles for m in self.memberships)


#: The procedure that follows up an audit finding: its open cases are the cooperative's open findings.
FOLLOWUP_WORKFLOW = "tindak_lanjut_temuan"


@dataclass(frozen=True)
class DinasRow:
    """One cooperative on the Dinas overview."""

    slug: str
    name: str
    rk_rapb: str
    rat: str
    open_cases: int
    overdue: int
    trail_ok: bool
    trail_size: int
    #: Open follow-ups of audit findings (cases of ``tindak_lanjut_temuan`` not yet closed).
    findings: int = 0
    #: When the cooperative's trail last grew (None: nothing recorded yet).
    last_activity: datetime | None = None

    @property
    def attention(self) -> tuple[bool, int, int, float]:
        """Sort key, most in need of attention first: a broken trail, then overdue steps, then open
        findings, then the cooperative that has been quiet longest."""
        quiet = self.last_activity.timestamp() if self.last_activity else float("-inf")
        return (self.trail_ok, -self.overdue, -self.findings, quiet)


@dataclass(frozen=True)
class MemberView:
    """One line of the Buku Daftar Anggota as a page or a terminal shows it (the NIK masked)."""

    number: str
    name: str
    nik_masked: str
    joined_on: date
    left_on: date | None
    status: str
    simpanan_pokok: int
    source: str


@dataclass(frozen=True)
class RegisterImport:
    """What importing a register workbook did."""

    coop: str
    lines: int
    added: int
    updated: int

    @property
    def changed(self) -> bool:
        """Something in the register changed (and the trail has an ``impor_anggota`` entry)."""
        return bool(self.added or self.updated)


#: Headings of the procedure categories (``Definition.category``) on the start picker.
CATEGORY_LABELS = {"keuangan": "Keuangan", "usaha": "Usaha", "kelembagaan": "Kelembagaan",
                   "pengawasan": "Pengawasan"}


@dataclass(frozen=True)
class StartChoice:
    """A procedure a person may start in a cooperative today, with how often it was used there."""

    workflow: str
    title: str
    nomor: str
    category: str
    cases: int

    @property
    def category_label(self) -> str:
        """The category as people read it."""
        return CATEGORY_LABELS.get(self.category, self.category.capitalize())


@dataclass(frozen=True)
class StartForm:
    """The form that starts a case: nothing exists until it is saved as a draft or submitted."""

    workflow: str
    title: str
    summary: str | None
    nomor: str
    guidance: str | None
    inputs: list[FormInput]
    #: The checklist of the first step that submitting needs ticked: (id, label).
    checks: list[tuple[str, str]]
    #: The submit action this person may take from the first step (None: only a draft can be saved).
    submit: str | None = None
    submit_label: str | None = None
    requires_comment: bool = False
