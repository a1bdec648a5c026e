"""The SOP language: pydantic models of one workflow definition (one YAML file).

A definition is data reviewed like code. The same model drives the guided procedure,
the state machine, the approval trail and the printed SOP (Permenpan-RB 35/2012).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime, timedelta, tzinfo
from typing import Annotated, Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, field_validator, model_validator

from engine.domain.definitions.bounds import MAX_DEADLINE, MAX_DEADLINE_DAYS, MAX_VERSION, guard_size_problem
from engine.domain.limits import stored_date

__all__ = [
    "CANCELLED_STATE",
    "CANCEL_ACTION",
    "CHECKING_KINDS",
    "COLUMN_TYPES",
    "DECIDING_KINDS",
    "FORWARD_KINDS",
    "MAX_LIST_ROWS",
    "MEMBER_REGISTER",
    "Action",
    "ActionKind",
    "AddMember",
    "Appoint",
    "Attendance",
    "ChecklistItem",
    "Deadline",
    "DeclaredRole",
    "Definition",
    "Delay",
    "Effect",
    "EndMember",
    "EscalationKind",
    "EscalationLevel",
    "FieldDef",
    "FieldType",
    "Install",
    "MutuBaku",
    "Quorum",
    "Rule",
    "SettingDef",
    "SopIdentity",
    "State",
    "WorkingDays",
    "slugify",
    "with_draft_cancel",
]

Identifier = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]
FieldType = Literal["text", "money", "date", "integer", "choice", "attachment", "attendance", "person", "list"]
#: Column types a list field's rows may have.
COLUMN_TYPES: frozenset[str] = frozenset({"text", "money", "date", "integer", "choice", "person"})
#: Most rows a list field may hold (a candidate list, an order, a budget).
MAX_LIST_ROWS = 500
ActionKind = Literal["submit", "verify", "approve", "reject", "return", "cancel"]

#: Kinds that move a case forward; they require the from-state's checklist by default.
FORWARD_KINDS: frozenset[str] = frozenset({"submit", "verify", "approve"})
#: Kinds whose actors count as having decided in a case (segregation of duties).
DECIDING_KINDS: frozenset[str] = frozenset({"submit", "verify", "approve"})
#: Kinds whose actor checks someone else's work: the maker of a case may never take them.
CHECKING_KINDS: frozenset[str] = frozenset({"verify", "approve"})
#: The engine's own way out of a draft, added to every procedure that does not define one.
CANCEL_ACTION = "batalkan_draf"
CANCELLED_STATE = "dibatalkan"
#: ``of: anggota`` in an attendance field: the Buku Daftar Anggota, not the holders of the anggota role.
MEMBER_REGISTER = "anggota"


def slugify(text: str) -> str:
    """Turn a checklist label into a stable identifier (``Nota terlampir`` -> ``nota_terlampir``)."""
    slug = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")
    return (slug or "item")[:48]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class SopIdentity(_Strict):
    """Identity fields of the printed SOP (Permenpan-RB 35/2012, Bagian Identitas)."""

    nomor: Annotated[str, Field(min_length=1, max_length=40)]
    tanggal_pembuatan: date
    tanggal_revisi: date | None = None
    tanggal_efektif: date
    disahkan_oleh: Identifier = Field(description="Role that ratifies the SOP, e.g. ketua.")
    dasar_hukum: list[str] = Field(min_length=1)
    kualifikasi_pelaksana: list[str] = Field(min_length=1)
    keterkaitan: list[str] = Field(default_factory=list)
    peralatan: list[str] = Field(min_length=1)
    peringatan: str = Field(min_length=1)
    pencatatan: list[str] = Field(min_length=1)


class SettingDef(_Strict):
    """A cooperative setting (an AD/ART limit) the workflow reads, with its default."""

    default: int | str | bool | list[str]
    label: str
    source: str | None = Field(default=None, description="Where the value comes from (AD clause).")


class FieldDef(_Strict):
    """A typed field of case data."""

    type: FieldType
    label: str
    required: bool = False
    help: str | None = None
    min: int | None = None
    max: int | None = None
    max_length: int | None = Field(default=None, ge=1, le=20000)
    pattern: str | None = Field(default=None, description="Regular expression a text must match.")
    pattern_hint: str | None = Field(default=None, description="Shown when the pattern fails.")
    options: list[str] | None = None
    options_setting: Identifier | None = Field(
        default=None, description="Setting holding the list of choices (per cooperative)."
    )
    accept: list[str] | None = Field(default=None, description="Allowed file extensions.")
    max_mb: float | None = Field(default=None, gt=0, le=50)
    of: Identifier | None = Field(
        default=None, description="attendance: who may be listed present: 'anggota' (the member register) "
                                  "or a role (its holders in the cooperative), on the meeting date.")
    on: Identifier | None = Field(
        default=None, description="attendance: the date field holding the meeting date "
                                  "(default: the day the attendance is recorded). person: the date on which "
                                  "the person must hold the role named by 'of' (default: the day of the action).")
    columns: dict[Identifier, FieldDef] | None = Field(
        default=None, description="list: the columns of each row (text, money, date, integer, choice, person).")
    min_rows: int | None = Field(default=None, ge=0, le=MAX_LIST_ROWS, description="list: fewest rows.")
    max_rows: int | None = Field(default=None, ge=1, le=MAX_LIST_ROWS,
                                 description=f"list: most rows (default and cap {MAX_LIST_ROWS}).")

    @model_validator(mode="after")
    def _check_type_options(self) -> FieldDef:
        if self.type == "attendance" and self.of is None:
            raise ValueError("field bertipe attendance memerlukan 'of' (anggota atau kode peran)")
        if self.type not in ("attendance", "person") and (self.of is not None or self.on is not None):
            raise ValueError("'of' dan 'on' hanya untuk field bertipe attendance atau person")
        if self.type == "list":
            if not self.columns:
                raise ValueError("field bertipe list memerlukan 'columns' (kolom setiap baris)")
            for name, column in self.columns.items():
                if column.type not in COLUMN_TYPES:
                    raise ValueError(f"kolom '{name}': jenis '{column.type}' tidak dapat menjadi kolom daftar "
                                     f"(pakai: {', '.join(sorted(COLUMN_TYPES))})")
            if self.min_rows is not None and self.max_rows is not None and self.min_rows > self.max_rows:
                raise ValueError("'min_rows' lebih besar dari 'max_rows'")
        elif self.columns is not None or self.min_rows is not None or self.max_rows is not None:
            raise ValueError("'columns', 'min_rows' dan 'max_rows' hanya untuk field bertipe list")
        if self.type == "choice" and not (self.options or self.options_setting):
            raise ValueError("field bertipe choice memerlukan 'options' atau 'options_setting'")
        if self.type != "choice" and (self.options or self.options_setting):
            raise ValueError("'options' hanya untuk field bertipe choice")
        if self.type != "attachment" and (self.accept or self.max_mb):
            raise ValueError("'accept' dan 'max_mb' hanya untuk field bertipe attachment")
        if self.pattern is not None:
            if self.type != "text":
                raise ValueError("'pattern' hanya untuk field bertipe text")
            try:
                re.compile(self.pattern)
            except re.error as exc:
                raise ValueError(f"pola tidak sah: {exc}") from None
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError("'min' lebih besar dari 'max'")
        return self


class ChecklistItem(_Strict):
    """One checklist item; ``id`` is derived from the label when not given."""

    id: Identifier
    label: str

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, value: Any) -> Any:
        if isinstance(value, str):
            return {"id": slugify(value), "label": value}
        if isinstance(value, dict) and "label" in value and "id" not in value:
            return {**value, "id": slugify(str(value["label"]))}
        return value


class MutuBaku(_Strict):
    """Per-step quality standard: prerequisites, time and output."""

    kelengkapan: str
    waktu: str
    output: str


_DEADLINE_RE = re.compile(r"^\s*(\d{1,3})\s+(hari kerja|hari|jam)\s*$")


def _span_from_text(value: Any) -> Any:
    """``"N jam"``, ``"N hari"``, ``"N hari kerja"`` as {amount, unit}; too long a span is refused."""
    if isinstance(value, str):
        match = _DEADLINE_RE.match(value)
        if not match:
            raise ValueError("tenggat harus berbentuk 'N jam', 'N hari' atau 'N hari kerja'")
        return {"amount": int(match.group(1)), "unit": match.group(2)}
    if isinstance(value, dict):
        amount, unit = value.get("amount"), value.get("unit")
        if isinstance(amount, int) and isinstance(unit, str) and amount > MAX_DEADLINE.get(unit, amount):
            raise ValueError(f"tenggat terlalu lama: {amount} {unit} (maks. {MAX_DEADLINE[unit]} {unit}, "
                             f"yaitu {MAX_DEADLINE_DAYS // 365} tahun)")
    return value


_RELATIVE_RE = re.compile(r"^\s*(\d{1,4})\s+(hari kerja|hari)\s+(sebelum|setelah)\s+([a-z][a-z0-9_]*)\s*$")


class Deadline(_Strict):
    """A service level for a step: an amount of hours, days or working days after the step is entered,
    or (``relative_to`` a date field) days before or after that date: "7 hari sebelum tanggal_rat"."""

    amount: int = Field(ge=0, le=MAX_DEADLINE["jam"])
    unit: Literal["jam", "hari", "hari kerja"]
    relative_to: Identifier | None = Field(default=None, description="A date field the deadline counts from.")
    direction: Literal["sebelum", "setelah"] | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, value: Any) -> Any:
        if isinstance(value, str) and (match := _RELATIVE_RE.match(value)):
            amount = int(match.group(1))
            if amount > MAX_DEADLINE[match.group(2)]:
                raise ValueError(f"tenggat terlalu lama: {amount} {match.group(2)}")
            return {"amount": amount, "unit": match.group(2), "direction": match.group(3),
                    "relative_to": match.group(4)}
        if isinstance(value, str) and not _DEADLINE_RE.match(value):
            raise ValueError("tenggat harus berbentuk 'N jam', 'N hari', 'N hari kerja' atau "
                             "'N hari sebelum/setelah field_tanggal'")
        return _span_from_text(value)

    @model_validator(mode="after")
    def _shape(self) -> Deadline:
        if (self.relative_to is None) != (self.direction is None):
            raise ValueError("tenggat relatif memerlukan 'relative_to' dan 'direction' bersama")
        if self.relative_to is None and self.amount < 1:
            raise ValueError("tenggat minimal 1")
        if self.relative_to is not None and self.unit == "jam":
            raise ValueError("tenggat relatif terhadap tanggal dihitung dalam hari atau hari kerja")
        return self

    def __str__(self) -> str:
        if self.relative_to is not None:
            return f"{self.amount} {self.unit} {self.direction} {self.relative_to}"
        return f"{self.amount} {self.unit}"

    def words(self, d: Definition) -> str:
        """The deadline as people read it: "2 hari kerja", "7 hari sebelum tanggal RAT"."""
        if self.relative_to is None:
            return str(self)
        spec = d.fields.get(self.relative_to)
        label = spec.label if spec is not None else self.relative_to
        label = label[:1].lower() + label[1:] if len(label) > 1 and not label[1].isupper() else label
        return f"{self.amount} {self.unit} {self.direction} {label}"

    def due(self, since: datetime, tz: tzinfo, calendar: WorkingDays | None = None,
            data: Mapping[str, Any] | None = None) -> datetime | None:
        """When a step entered at ``since`` is due; None only for a deadline relative to a date field that
        ``data`` (the case's data) does not hold yet.

        Working days skip Saturdays and Sundays, and with a ``calendar`` (see
        :class:`engine.domain.calendar.WorkCalendar`) its holidays and cuti bersama too. A relative deadline
        ("7 hari sebelum tanggal_rat") is due at the end of its target day, local time.
        """
        if self.relative_to is not None:
            return self._relative_due(since, tz, calendar, data or {})
        if self.unit == "jam":
            return since + timedelta(hours=self.amount)
        if self.unit == "hari":
            return since + timedelta(days=self.amount)
        local = since.astimezone(tz)
        if calendar is not None:
            day = calendar.add_working_days(local.date(), self.amount)
            local = local + timedelta(days=(day - local.date()).days)
            return local.astimezone(since.tzinfo)
        added = 0
        while added < self.amount:
            local += timedelta(days=1)
            if local.weekday() < 5:
                added += 1
        return local.astimezone(since.tzinfo)

    def _relative_due(self, since: datetime, tz: tzinfo, calendar: WorkingDays | None,
                      data: Mapping[str, Any]) -> datetime | None:
        base = stored_date(data.get(self.relative_to or ""))
        if base is None:
            return None
        sign = -1 if self.direction == "sebelum" else 1
        target = base
        if self.unit == "hari kerja":
            for _ in range(self.amount):
                target += timedelta(days=sign)
                while target.weekday() >= 5 or (calendar is not None and not _is_working(calendar, target)):
                    target += timedelta(days=sign)
        else:
            target = base + timedelta(days=sign * self.amount)
        end = datetime.combine(target + timedelta(days=1), datetime.min.time(), tzinfo=tz)
        return end.astimezone(since.tzinfo)


def _is_working(calendar: WorkingDays, day: date) -> bool:
    """Whether ``day`` is a working day in ``calendar`` (the day before it plus one working day is itself)."""
    return calendar.add_working_days(day - timedelta(days=1), 1) == day


class WorkingDays(Protocol):
    """What a deadline needs of a working-day calendar."""

    def add_working_days(self, start: date, n: int) -> date:
        """The ``n``-th working day after ``start``."""
        ...


EscalationKind = Literal["ingatkan", "alihkan", "naikkan"]


class Delay(_Strict):
    """How long after a step's deadline an escalation level comes: ``0 hari``, ``2 hari kerja``, ``4 jam``."""

    amount: int = Field(ge=0, le=MAX_DEADLINE["jam"])
    unit: Literal["jam", "hari", "hari kerja"]

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, value: Any) -> Any:
        return _span_from_text(value)

    def __str__(self) -> str:
        return f"{self.amount} {self.unit}"

    def after(self, moment: datetime, tz: tzinfo, calendar: WorkingDays | None = None) -> datetime:
        """``moment`` plus this delay (working days as :meth:`Deadline.due` counts them)."""
        if self.amount == 0:
            return moment
        due = Deadline(amount=self.amount, unit=self.unit).due(moment, tz, calendar)
        assert due is not None  # not relative: always a moment
        return due


class EscalationLevel(_Strict):
    """One level of escalation of an overdue step, counted from its deadline.

    ``ingatkan``: remind the people who may act. ``alihkan``: the step may also be taken by the holders of
    ``to`` (a deputy), under every other rule. ``naikkan``: tell the holders of ``to`` (the pengawas); they
    do not act.
    """

    after: Delay = Field(default_factory=lambda: Delay(amount=0, unit="hari"))
    do: EscalationKind
    to: Identifier | None = Field(default=None, description="The role handed or raised to (alihkan, naikkan).")

    @model_validator(mode="after")
    def _target(self) -> EscalationLevel:
        if self.do in ("alihkan", "naikkan") and self.to is None:
            raise ValueError(f"'{self.do}' memerlukan 'to' (kode peran tujuan)")
        if self.do == "ingatkan" and self.to is not None:
            raise ValueError("'ingatkan' mengingatkan yang berwenang bertindak; 'to' hanya untuk alihkan/naikkan")
        return self


class State(_Strict):
    """A step of the procedure."""

    title: str
    status_label: str | None = Field(
        default=None, description="Status word shown to people, e.g. 'Menunggu persetujuan ketua'."
    )
    guidance: str | None = None
    checklist: list[ChecklistItem] = Field(default_factory=list)
    mutu_baku: MutuBaku | None = None
    deadline: Deadline | None = None
    final: bool = False
    issues: list[Literal["berita_acara"]] = Field(default_factory=list)
    escalation: list[EscalationLevel] = Field(
        default_factory=list, description="What happens when the step is overdue, level by level (counted from "
                                          "the deadline); a step with a deadline and none is reminded at the deadline.")

    @property
    def escalation_levels(self) -> list[EscalationLevel]:
        """The levels the engine applies: as declared, or one reminder at the deadline (none without one)."""
        if self.deadline is None or self.final:
            return []
        return list(self.escalation) or [EscalationLevel(do="ingatkan")]


class Quorum(_Strict):
    """n-of-m decision: the transition fires on the n-th distinct eligible voter."""

    count: int | Identifier = Field(
        description="Number of distinct votes needed, or the name of a setting holding it."
    )
    role: Identifier | None = Field(
        default=None, description="Role whose holders vote; defaults to the action's roles."
    )

    @field_validator("count")
    @classmethod
    def _positive(cls, value: int | str) -> int | str:
        if isinstance(value, int) and value < 1:
            raise ValueError("kuorum minimal 1")
        return value


class Attendance(_Strict):
    """The meeting an action is taken at: its daftar hadir, and the share of those who could attend that must.

    With ``percent``: present × 100 > eligible × percent (``more_than``) or ≥ (not ``more_than``), the
    eligible counted on the meeting date; ``reached: false`` turns it round (an action for a meeting that
    did not reach its quorum, such as a postponement). With a ``quorum`` on the same action and a list of
    role holders, only those present vote.
    """

    field: Identifier = Field(description="The attendance field (type: attendance) of the meeting.")
    percent: StrictInt | Identifier | None = Field(
        default=None, description="Attendance quorum in percent of those who could attend (1-100), "
                                  "or the name of a setting holding it.")
    more_than: StrictBool | Identifier = Field(
        default=True, description="Attendance must be more than the percentage (true) or at least it (false); "
                                  "or the name of a setting holding true/false.")
    reached: bool = Field(
        default=True, description="false: the action is only for a meeting whose attendance is below the quorum.")

    @field_validator("percent")
    @classmethod
    def _percent(cls, value: int | str | None) -> int | str | None:
        if isinstance(value, int) and not 1 <= value <= 100:
            raise ValueError("persentase kuorum kehadiran harus 1 sampai 100")
        return value


class Rule(_Strict):
    """A condition an action refuses without, with the sentence people read when it fails.

    ``check`` is a guard expression; with ``for_each`` (a list field) it is checked for every row, the
    row's columns read by name and ``nomor`` the row's number (1, 2, ...). ``message`` may name values
    as ``{{ nama }}`` (a date or a person is written as people read it).
    """

    check: str = Field(min_length=1)
    message: str = Field(min_length=1, max_length=300)
    for_each: Identifier | None = Field(default=None, description="A list field whose every row must pass.")

    @field_validator("check")
    @classmethod
    def _guard_size(cls, value: str) -> str:
        problem = guard_size_problem(value)
        if problem:
            raise ValueError(problem)
        return value


class Appoint(_Strict):
    """Appoint the people named in a field (a person, a list of persons or a list's person column
    ``daftar.kolom``) to ``role`` from the day the action is taken; ``until``: the day the case ends
    (``selesai``) or a date field."""

    role: Identifier
    people: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)?$", max_length=129)]
    until: Identifier = Field(default="selesai", description="'selesai' (the case ends) or a date field.")


class Install(_Strict):
    """Set terms of office from a list: each row names a person and the role they take from ``start`` to
    ``end`` (date fields). Whoever holds one of those roles on ``start`` leaves it the day before, so the
    board hands over on one date."""

    rows: Identifier = Field(description="The list field, one row per office.")
    person: Identifier = Field(description="The row's person column.")
    role: Identifier = Field(description="The row's column holding the role (a choice of role ids).")
    start: Identifier = Field(description="The date field on which the new terms start.")
    end: Identifier | None = Field(default=None, description="The date field on which they end (open if none).")


class AddMember(_Strict):
    """Write the person the case is about into the Buku Daftar Anggota (or reopen their former line),
    reading each column from a field of the case."""

    number: Identifier = Field(description="The text field holding the member number (empty: the next number).")
    name: Identifier = Field(description="The text field holding the full name.")
    nik: Identifier = Field(description="The text field holding the NIK (16 digits).")
    address: Identifier | None = Field(default=None, description="The text field holding the address.")
    joined: Identifier | None = Field(default=None, description="The date field of joining (default: the day).")
    simpanan_pokok: Identifier | None = Field(default=None, description="The money field of the simpanan pokok paid.")


class EndMember(_Strict):
    """End a member's line in the Buku Daftar Anggota (the member number from a field; the NIK, when
    given, must match)."""

    number: Identifier = Field(description="The text field holding the member number.")
    nik: Identifier | None = Field(default=None, description="The text field holding the NIK to match.")
    on: Identifier | None = Field(default=None, description="The date field of leaving (default: the day).")


class Effect(_Strict):
    """One change to the organisation an action makes when it fires, in the same transaction: exactly one
    of ``appoint``, ``install`` (terms of office, on the trail), ``add_member`` or ``end_member`` (the
    Buku Daftar Anggota line names the case)."""

    appoint: Appoint | None = None
    install: Install | None = None
    add_member: AddMember | None = None
    end_member: EndMember | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Effect:
        given = [x for x in (self.appoint, self.install, self.add_member, self.end_member) if x is not None]
        if len(given) != 1:
            raise ValueError("setiap efek berisi tepat satu dari: appoint, install, add_member, end_member")
        return self


class DeclaredRole(_Strict):
    """A role a procedure introduces (a committee such as ``panitia_pemilihan``), beside the catalogue's."""

    label: str = Field(min_length=3, max_length=80)
    max_seats: int | None = Field(default=None, ge=1, le=1000)
    implies: list[Identifier] = Field(default_factory=list)


class Action(_Strict):
    """A transition: who may take it, when, and what it needs."""

    id: Identifier
    label: str | None = None
    kind: ActionKind
    from_: list[Identifier] = Field(alias="from", min_length=1)
    to: Identifier
    roles: list[Identifier] = Field(min_length=1)
    when: str | None = Field(default=None, description="Guard expression over fields and settings.")
    requires: list[Identifier] = Field(default_factory=list)
    checks: list[Identifier] | Literal["all", "none"] | None = Field(
        default=None,
        description="Checklist items of the from-state that must be ticked "
        "(default: all for submit/verify/approve, none for reject/return).",
    )
    sets: list[Identifier] | Literal["all"] | None = Field(
        default=None,
        description="Fields the actor may change with this action "
        "(default: all for submit, the required fields otherwise).",
    )
    not_by: list[Identifier] = Field(
        default_factory=list,
        description="Actions whose actors in this case may not take this one "
        "(adds to the default rule for approve).",
    )
    quorum: Quorum | None = None
    attendance: Attendance | None = Field(
        default=None, description="The meeting's daftar hadir and attendance quorum this action needs.")
    requires_comment: bool = False
    not_roles: list[Identifier] = Field(
        default_factory=list, description="Roles whose holders (on the day) may not take this action.")
    rules: list[Rule] = Field(
        default_factory=list, description="Conditions the action refuses without, each with its own message.")
    effects: list[Effect] = Field(
        default_factory=list, description="Changes to the organisation made when the action fires.")

    @field_validator("from_", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("when")
    @classmethod
    def _guard_size(cls, value: str | None) -> str | None:
        problem = None if value is None else guard_size_problem(value)
        if problem:
            raise ValueError(problem)
        return value

    @property
    def display(self) -> str:
        """Label shown to people."""
        return self.label or self.id.replace("_", " ").capitalize()


class Definition(_Strict):
    """One procedure (SOP/SOM or business process)."""

    id: Identifier
    version: int = Field(ge=1, le=MAX_VERSION)
    title: str = Field(min_length=3)
    category: Literal["kelembagaan", "usaha", "keuangan", "pengawasan"]
    number_prefix: Annotated[str, Field(pattern=r"^[A-Z][A-Z0-9]{1,7}$")] = Field(
        description="Prefix of case numbers, e.g. KAS gives KAS/2026/0001."
    )
    summary: str | None = None
    sop: SopIdentity
    roles: list[Identifier] = Field(min_length=1)
    declared_roles: dict[Identifier, DeclaredRole] = Field(
        default_factory=dict, description="Roles this procedure introduces beside the catalogue's (committees).")
    settings_used: dict[Identifier, SettingDef] = Field(default_factory=dict)
    fields: dict[Identifier, FieldDef] = Field(default_factory=dict)
    initial: Identifier | None = None
    states: dict[Identifier, State] = Field(min_length=2)
    actions: list[Action] = Field(min_length=1)

    @property
    def initial_state(self) -> str:
        """The state a new case starts in (``initial`` or the first state)."""
        return self.initial or next(iter(self.states))

    @property
    def ref(self) -> str:
        """``id@version`` (the hash is added by the loader)."""
        return f"{self.id}@{self.version}"

    def actions_from(self, state: str) -> list[Action]:
        """Actions available from a state, in file order."""
        return [a for a in self.actions if state in a.from_]

    def action_ids(self) -> list[str]:
        """Distinct action ids in file order."""
        return list(dict.fromkeys(a.id for a in self.actions))

    def required_checks(self, action: Action, state: str | None = None) -> list[str]:
        """Checklist item ids that must be ticked for this action: from the step the case is in
        (``state``), or from every from-state when none is given (the printed SOP)."""
        if action.checks == "none":
            return []
        sources = [state] if state is not None and state in action.from_ else action.from_
        if action.checks is None or action.checks == "all":
            if action.checks is None and action.kind not in FORWARD_KINDS:
                return []
            items: list[str] = []
            for state_id in sources:
                spec = self.states.get(state_id)
                if spec:
                    items += [i.id for i in spec.checklist if i.id not in items]
            return items
        if state is not None and state in action.from_:
            here = {i.id for i in self.states[state].checklist}
            return [c for c in action.checks if c in here]
        return list(action.checks)

    def settable_fields(self, action: Action) -> list[str]:
        """Fields an actor may change with this action."""
        if action.sets == "all" or (action.sets is None and action.kind == "submit"):
            return list(self.fields)
        if action.sets is None:
            return list(action.requires)
        return list(action.sets)


def with_draft_cancel(definition: Definition) -> Definition:
    """The procedure as the engine runs it: the draft's maker may always cancel it ("Batalkan draf").

    Added to every definition that has no cancel action from its first step; the file (and its
    hash) stay as written. The cancelled state is final and carries the reason on the trail.
    """
    initial = definition.initial_state
    if any(a.kind == "cancel" for a in definition.actions_from(initial)):
        return definition
    state_id = CANCELLED_STATE
    while state_id in definition.states and not definition.states[state_id].final:
        state_id += "_draf"
    states = dict(definition.states)
    states.setdefault(state_id, State(title="Dibatalkan", status_label="Dibatalkan oleh pembuatnya", final=True,
                                      guidance="Draf ini dibatalkan oleh pembuatnya; alasannya ada di riwayat."))
    starters = list(dict.fromkeys(r for a in definition.actions_from(initial) for r in a.roles))
    cancel = Action.model_validate({
        "id": CANCEL_ACTION, "label": "Batalkan draf", "kind": "cancel", "from": [initial], "to": state_id,
        "roles": starters, "checks": "none", "sets": [], "requires_comment": True})
    return definition.model_copy(update={"states": states, "actions": [*definition.actions, cancel]})
