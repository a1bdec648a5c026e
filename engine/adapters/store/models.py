"""SQLAlchemy 2 typed models. Every per-cooperative table carries ``coop_id``."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = [
    "APPEND_ONLY_TABLES",
    "VERIFICATION_APPEND_ONLY_TABLES",
    "Attachment",
    "AuditEntry",
    "AuditHead",
    "AuditVerification",
    "Base",
    "Case",
    "CaseCounter",
    "CaseEvent",
    "Checkpoint",
    "Cooperative",
    "DataRevision",
    "DefinitionRecord",
    "DocumentCertificate",
    "Member",
    "Person",
    "RoleAssignment",
    "SigningKey",
    "Vote",
    "WebSession",
]

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: Tables that only ever grow; database triggers reject UPDATE, DELETE and TRUNCATE.
APPEND_ONLY_TABLES = ("audit_entries", "checkpoints", "data_revisions", "votes", "case_events",
                      "signing_keys")

Timestamp = DateTime(timezone=True)


class Base(DeclarativeBase):
    """Declarative base with a constraint naming convention (stable Alembic diffs)."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, list[Any]: JSON}


class Cooperative(Base):
    """A cooperative (KKMP/KDMP) with its AD/ART settings."""

    __tablename__ = "cooperatives"
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    city: Mapped[str | None] = mapped_column(String(120))
    kelurahan: Mapped[str | None] = mapped_column(String(120))
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(Timestamp)
    #: A sandbox for practice ("latihan"): its trail is its own and no report or overview counts it.
    training: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class Person(Base):
    """A person who can hold roles (global: one person may serve several cooperatives)."""

    __tablename__ = "people"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(Timestamp)
    email: Mapped[str | None] = mapped_column(String(254))


class WebSession(Base):
    """A signed-in browser or API client. Keyed by the SHA-256 of its random token: the token itself
    lives only in the person's cookie, so a copy of this table opens no session."""

    __tablename__ = "web_sessions"
    __table_args__ = (Index("ix_web_sessions_person", "person_id"),)
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[datetime] = mapped_column(Timestamp)
    last_seen_at: Mapped[datetime] = mapped_column(Timestamp)
    expires_at: Mapped[datetime] = mapped_column(Timestamp)
    revoked_at: Mapped[datetime | None] = mapped_column(Timestamp)
    reason: Mapped[str | None] = mapped_column(String(60))
    user_agent: Mapped[str | None] = mapped_column(String(200))


class RoleAssignment(Base):
    """A person holding a role in a cooperative for a term of office."""

    __tablename__ = "role_assignments"
    __table_args__ = (
        UniqueConstraint("coop_id", "person_id", "role", "starts_on"),
        Index("ix_role_assignments_coop_role", "coop_id", "role"),
        Index("ix_role_assignments_case", "case_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    coop_id: Mapped[int] = mapped_column(ForeignKey("cooperatives.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    role: Mapped[str] = mapped_column(String(40))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(String(200))
    #: The case that appointed or installed the term (an ``appoint``/``install`` effect, migration 0010);
    #: None for a term from the organisation file.
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))


class DefinitionRecord(Base):
    """An immutable workflow definition version: source text and content hash."""

    __tablename__ = "definitions"
    __table_args__ = (UniqueConstraint("workflow_id", "version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    workflow_id: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(Text)
    source_path: Mapped[str] = mapped_column(String(300))
    registered_at: Mapped[datetime] = mapped_column(Timestamp)

    @property
    def pinned_ref(self) -> str:
        """``id@version#sha256``."""
        return f"{self.workflow_id}@{self.version}#{self.sha256}"


class CaseCounter(Base):
    """Next human case number per cooperative, prefix and year (locked on increment)."""

    __tablename__ = "case_counters"
    coop_id: Mapped[int] = mapped_column(ForeignKey("cooperatives.id"), primary_key=True)
    prefix: Mapped[str] = mapped_column(String(8), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last: Mapped[int] = mapped_column(Integer)


class Case(Base):
    """One run of a procedure, pinned to the definition version it started with."""

    __tablename__ = "cases"
    __table_args__ = (
        UniqueConstraint("coop_id", "number"),
        UniqueConstraint("coop_id", "id"),
        Index("ix_cases_coop_closed", "coop_id", "closed_at"),
        Index("ix_cases_number", "number"),
        Index("ix_cases_open", "coop_id", "state_since", sqlite_where=text("closed_at IS NULL"),
              postgresql_where=text("closed_at IS NULL")),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    coop_id: Mapped[int] = mapped_column(ForeignKey("cooperatives.id"))
    number: Mapped[str] = mapped_column(String(32))
    definition_id: Mapped[int] = mapped_column(ForeignKey("definitions.id"))
    state: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    step_no: Mapped[int] = mapped_column(Integer, default=0)
    data_rev: Mapped[int] = mapped_column(Integer, default=0)
    state_since: Mapped[datetime] = mapped_column(Timestamp)
    created_by: Mapped[int] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[datetime] = mapped_column(Timestamp)
    closed_at: Mapped[datetime | None] = mapped_column(Timestamp)
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class Member(Base):
    """One line of the Buku Daftar Anggota: a member of a cooperative from ``joined_on`` until ``left_on``.

    Fed by the admission and resignation procedures (``case_id`` / ``left_case_id``) or an import.
    The NIK is stored for the register's own checks and shown masked.
    """

    __tablename__ = "members"
    __table_args__ = (
        UniqueConstraint("coop_id", "number"),
        UniqueConstraint("coop_id", "nik"),
        Index("ix_members_coop_dates", "coop_id", "joined_on", "left_on"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    coop_id: Mapped[int] = mapped_column(ForeignKey("cooperatives.id"))
    number: Mapped[str] = mapped_column(String(30))
    full_name: Mapped[str] = mapped_column(String(120))
    nik: Mapped[str] = mapped_column(String(16))
    address: Mapped[str | None] = mapped_column(String(300))
    joined_on: Mapped[date] = mapped_column(Date)
    left_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20))
    simpanan_pokok: Mapped[int] = mapped_column(BigInteger, default=0)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    left_case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    source: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(Timestamp)
    updated_at: Mapped[datetime] = mapped_column(Timestamp)


class DataRevision(Base):
    """The case data after one action; the audit entry commits to its SHA-256."""

    __tablename__ = "data_revisions"
    __table_args__ = (
        UniqueConstraint("case_id", "rev"),
        ForeignKeyConstraint(["coop_id", "case_id"], ["cases.coop_id", "cases.id"]),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    coop_id: Mapped[int] = mapped_column(ForeignKey("cooperatives.id"))
    case_id: Mapped[int] = mapped_column(Integer)
    rev: Mapped[int] = mapped_column(Integer)
    canonical: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(Timestamp)


class CaseEvent(Base):
    """Human-readable detail of one logged action (comment, ticks); one per audit entry."""

    __tablename__ = "case_events"
    __table_args__ = (
        UniqueConstraint("coop_id", "seq"),
        Index("ix_case_events_case", "case_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    coop_id: Mapped[int] = mapped_column(ForeignKey("cooperatives.id"))
    seq: Mapped[int] = mapped_column(BigInteger)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    step_no: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    from_state: Mapped[str] = mapped_column(String(64))
    to_state: Mapped[str] = mapped_column(String(64))
    actor_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    role: Mapped[str] = mapped_column(String(40))
    comment: Mapped[str | None] = mapped_column(Text)
    checks: Mapped[list[Any]] = mapped_column(default=list)
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    data_rev: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(Timestamp)
    #: Acting "a.n." this role holder under a delegation (None: in one's own right).
    on_behalf_of_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))


class Vote(Base):
    """One vote of an n-of-m decision; unique per voter and step visit."""

    __tablename__ = "votes"
    __table_args__ = (UniqueConstraint("case_id", "step_no", "action", "person_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    coop_id: Mapped[int] = mapped_column(ForeignKey("cooperatives.id"))
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    step_no: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(64))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    role: Mapped[str] = mapped_column(String(40))
    seq: Mapped[int] = mapped_column(BigInteger)
    cast_at: Mapped[datetime] = mapped_column(Timestamp)


class Attachment(Base):
    """An uploaded file: metadata and SHA-256; content in the database or on disk."""

    __tablename__ = "attachments"
    __table_args__ = (Index("ix_attachments_case", "case_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    coop_id: Mapped[int] = mapped_column(ForeignKey("cooperatives.id"))
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    field: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(255))
    media_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes | None] = mapped_column(LargeBinary)
    storage_path: Mapped[str | None] = mapped_column(String(500))
    uploaded_by: Mapped[int] = mapped_column(ForeignKey("people.id"))
    uploaded_at: Mapped[datetime] = mapped_column(Timestamp)


class AuditHead(Base):
    """The head of a cooperative's log: size and compact range; locked to append."""

    __tablename__ = "audit_heads"
    coop_id: Mapped[int] = mapped_column(ForeignKey("cooperatives.id"), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    frontier: Mapped[list[Any]] = mapped_column(default=list)
    root: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(Timestamp)


class AuditEntry(Base):
    """One log entry: RFC 8785 canonical JSON and its RFC 6962 leaf hash."""

    __tablename__ = "audit_entries"
    __table_args__ = (Index("ix_audit_entries_case", "case_id"),)
    coop_id: Mapped[int] = mapped_column(ForeignKey("cooperatives.id"), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    body: Mapped[str] = mapped_column(Text)
    leaf_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(Timestamp)


class Checkpoint(Base):
    """A signed checkpoint (C2SP signed note) of a cooperative's log at some size."""

    __tablename__ = "checkpoints"
    __table_args__ = (UniqueConstraint("coop_id", "size", "key_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    coop_id: Mapped[int] = mapped_column(ForeignKey("cooperatives.id"))
    size: Mapped[int] = mapped_column(BigInteger)
    root: Mapped[str] = mapped_column(String(64))
    key_id: Mapped[int] = mapped_column(ForeignKey("signing_keys.id"))
    note: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(Timestamp)


class SigningKey(Base):
    """A public checkpoint-signing key (the private key stays in a file, never here)."""

    __tablename__ = "signing_keys"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    public_key: Mapped[str] = mapped_column(String(100), unique=True)
    verifier_key: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(Timestamp)


#: Verification history only grows. Kept apart from APPEND_ONLY_TABLES (migration 0001 creates triggers for
#: every name in that tuple); migration 0007 creates this table's triggers.
VERIFICATION_APPEND_ONLY_TABLES = ("audit_verifications",)


class AuditVerification(Base):
    """One recorded verification of a cooperative's log: how far it reached and what it found.

    ``size``, ``root`` and ``frontier`` (the compact range) are the log as recomputed from its entries;
    the newest row with ``ok`` is where the next verification ``--sejak-terakhir`` (and the Dinas
    overview) continues from, checking only the entries added since. Append-only: a verification is
    history, never corrected in place.
    """

    __tablename__ = "audit_verifications"
    __table_args__ = (Index("ix_audit_verifications_coop", "coop_id", "id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    coop_id: Mapped[int] = mapped_column(ForeignKey("cooperatives.id"))
    mode: Mapped[str] = mapped_column(String(16))  # penuh | biasa | sejak_terakhir
    from_size: Mapped[int] = mapped_column(BigInteger)  # 0 when the whole log was read
    size: Mapped[int] = mapped_column(BigInteger)
    root: Mapped[str] = mapped_column(String(64))
    frontier: Mapped[list[Any]] = mapped_column(default=list)
    checkpoint_size: Mapped[int] = mapped_column(BigInteger)  # the newest signed checkpoint it checked
    key_id: Mapped[int | None] = mapped_column(ForeignKey("signing_keys.id"))  # ... and the key that signed it
    signatures: Mapped[int] = mapped_column(Integer)  # Ed25519 signatures checked by this pass
    ok: Mapped[bool] = mapped_column(Boolean)
    findings: Mapped[int] = mapped_column(Integer)
    first_finding: Mapped[str | None] = mapped_column(String(500))
    verified_at: Mapped[datetime] = mapped_column(Timestamp)


# -- documents (engine/documents) ----------------------------------------------------------

#: Document tables that only ever grow. Kept apart from APPEND_ONLY_TABLES because migration
#: 0001 creates triggers for every name in that tuple; 0002 creates these tables' triggers.
DOCUMENT_APPEND_ONLY_TABLES = ("issued_documents",)


class DocumentCertificate(Base):
    """A certificate this installation signs issued PDFs with (append-only; the private key stays in a file).

    ``doc verify`` against the database accepts a signature only by a certificate registered here.
    """

    __tablename__ = "document_certificates"
    id: Mapped[int] = mapped_column(primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64), unique=True)
    subject: Mapped[str] = mapped_column(String(200))
    certificate: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(Timestamp)


class IssuedDocument(Base):
    """A PDF the engine issued: its number, kind and SHA-256 (append-only register)."""

    __tablename__ = "issued_documents"
    __table_args__ = (
        Index("ix_issued_documents_coop_number", "coop_id", "number"),
        Index("ix_issued_documents_sha256", "sha256"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    coop_id: Mapped[int | None] = mapped_column(ForeignKey("cooperatives.id"))
    number: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(24))
    title: Mapped[str] = mapped_column(String(300))
    subject: Mapped[str | None] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    pages: Mapped[int] = mapped_column(Integer)
    log_size: Mapped[int | None] = mapped_column(BigInteger)
    log_root: Mapped[str | None] = mapped_column(String(64))
    issued_at: Mapped[datetime] = mapped_column(Timestamp)


class Budget(Base):
    """One RAPB/RK of a cooperative for a financial year (revision 0 = the first plan)."""

    __tablename__ = "budgets"
    __table_args__ = (UniqueConstraint("coop_id", "year", "revision"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    coop_id: Mapped[int] = mapped_column(ForeignKey("cooperatives.id"))
    year: Mapped[int] = mapped_column(Integer)
    revision: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16), default="draf")
    locked_at: Mapped[datetime | None] = mapped_column(Timestamp)
    case_number: Mapped[str | None] = mapped_column(String(32))
    source_name: Mapped[str | None] = mapped_column(String(255))
    source_sha256: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(Timestamp)
    updated_at: Mapped[datetime] = mapped_column(Timestamp)


class BudgetLine(Base):
    """One RAPB line: section, business unit, description and three years of figures."""

    __tablename__ = "budget_lines"
    __table_args__ = (Index("ix_budget_lines_budget", "budget_id", "position"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    coop_id: Mapped[int] = mapped_column(ForeignKey("cooperatives.id"))
    budget_id: Mapped[int] = mapped_column(ForeignKey("budgets.id"))
    position: Mapped[int] = mapped_column(Integer)
    section: Mapped[str] = mapped_column(String(4))
    unit: Mapped[str | None] = mapped_column(String(120))
    uraian: Mapped[str] = mapped_column(String(300))
    realisasi: Mapped[int | None] = mapped_column(BigInteger)
    anggaran: Mapped[int | None] = mapped_column(BigInteger)
    rencana: Mapped[int | None] = mapped_column(BigInteger)
    keterangan: Mapped[str | None] = mapped_column(String(500))


class WorkPlanItem(Base):
    """One Rencana Kerja line: field (bidang), programme, activity, target, time, owner."""

    __tablename__ = "work_plan_items"
    __table_args__ = (Index("ix_work_plan_items_budget", "budget_id", "position"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    coop_id: Mapped[int] = mapped_column(ForeignKey("cooperatives.id"))
    budget_id: Mapped[int] = mapped_column(ForeignKey("budgets.id"))
    position: Mapped[int] = mapped_column(Integer)
    bidang: Mapped[str] = mapped_column(String(16))
    program: Mapped[str] = mapped_column(String(300))
    kegiatan: Mapped[str] = mapped_column(String(500))
    target: Mapped[str | None] = mapped_column(String(300))
    waktu: Mapped[str | None] = mapped_column(String(120))
    penanggung_jawab: Mapped[str | None] = mapped_column(String(200))


__all__ += ["DOCUMENT_APPEND_ONLY_TABLES", "Budget", "BudgetLine", "IssuedDocument", "WorkPlanItem"]


# -- idempotent commands and one-seat roles (migration 0008) ---------------------------------

#: Roles only one person may hold on any day. Migration 0008 enforces it in the database (an exclusion
#: constraint over the term's daterange on PostgreSQL, triggers on SQLite) with its own frozen copy of
#: this list; tests hold the two equal to the roles with ``max_seats == 1``.
ONE_SEAT_CONSTRAINT = "ex_role_assignments_one_seat"


class IdempotencyKey(Base):
    """A client's request id for a start or an action, saved in the unit of work of the decision it made.

    A retry with the same id (same cooperative) gets ``result`` back instead of a second case or a false
    "already decided"; the same id with other content (``fingerprint``) is refused.
    """

    __tablename__ = "idempotency_keys"
    coop_id: Mapped[int] = mapped_column(ForeignKey("cooperatives.id"), primary_key=True)
    request_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    command: Mapped[str] = mapped_column(String(8))  # start | act
    fingerprint: Mapped[str] = mapped_column(String(64))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    result: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(Timestamp)


__all__ += ["ONE_SEAT_CONSTRAINT", "IdempotencyKey"]


# -- delegation, deadlines, notifications, migrations, training (migration 0009) ----------------------


class Delegation(Base):
    """A role holder hands one role to another person for a period (``a.n.``, atas nama).

    Active from ``starts_on`` to ``ends_on`` inclusive (local dates), unless ``revoked_at`` is set; ``seq``
    and ``revoked_seq`` are the entries on the cooperative's trail that record the grant and the revocation.
    """

    __tablename__ = "delegations"
    __table_args__ = (Index("ix_delegations_coop_delegate", "coop_id", "delegate_id", "starts_on"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    coop_id: Mapped[int] = mapped_column(ForeignKey("cooperatives.id"))
    role: Mapped[str] = mapped_column(String(40))
    holder_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    delegate_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    reason: Mapped[str | None] = mapped_column(String(300))
    created_by: Mapped[int] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[datetime] = mapped_column(Timestamp)
    seq: Mapped[int] = mapped_column(BigInteger)
    revoked_at: Mapped[datetime | None] = mapped_column(Timestamp)
    revoked_seq: Mapped[int | None] = mapped_column(BigInteger)


class Escalation(Base):
    """One escalation of an overdue step, taken exactly once: (case, step, level) is unique."""

    __tablename__ = "escalations"
    __table_args__ = (UniqueConstraint("case_id", "step_no", "level"),
                      Index("ix_escalations_coop", "coop_id", "at"))
    id: Mapped[int] = mapped_column(primary_key=True)
    coop_id: Mapped[int] = mapped_column(ForeignKey("cooperatives.id"))
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    step_no: Mapped[int] = mapped_column(Integer)
    level: Mapped[int] = mapped_column(Integer)  # index in the state's escalation list
    kind: Mapped[str] = mapped_column(String(16))  # ingatkan | alihkan | naikkan
    to_role: Mapped[str | None] = mapped_column(String(40))
    due_at: Mapped[datetime] = mapped_column(Timestamp)
    at: Mapped[datetime] = mapped_column(Timestamp)
    seq: Mapped[int] = mapped_column(BigInteger)


class OutboxMessage(Base):
    """A notification for one person: shown in the web app, e-mailed when SMTP is configured.

    ``email_state``: ``menunggu`` (to send, at ``next_attempt_at``), ``terkirim``, ``gagal`` (gave up after
    the last retry), ``tanpa_email`` (the person has no address or SMTP is not configured). ``dedupe_key``
    keeps one message per event (a retried decision or a second tick adds nothing).
    """

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_person", "person_id", "created_at"),
                      Index("ix_outbox_email", "email_state", "next_attempt_at"))
    id: Mapped[int] = mapped_column(primary_key=True)
    coop_id: Mapped[int | None] = mapped_column(ForeignKey("cooperatives.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    kind: Mapped[str] = mapped_column(String(20))  # tugas | keputusan | tenggat | delegasi | ...
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(String(300))
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(Timestamp)
    read_at: Mapped[datetime | None] = mapped_column(Timestamp)
    email_state: Mapped[str] = mapped_column(String(12))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(Timestamp)
    last_error: Mapped[str | None] = mapped_column(String(300))
    sent_at: Mapped[datetime | None] = mapped_column(Timestamp)


class CaseMigration(Base):
    """A running case moved to another version of its procedure, under an approved migration case."""

    __tablename__ = "case_migrations"
    __table_args__ = (Index("ix_case_migrations_case", "case_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    coop_id: Mapped[int] = mapped_column(ForeignKey("cooperatives.id"))
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    from_definition_id: Mapped[int] = mapped_column(ForeignKey("definitions.id"))
    to_definition_id: Mapped[int] = mapped_column(ForeignKey("definitions.id"))
    from_state: Mapped[str] = mapped_column(String(64))
    to_state: Mapped[str] = mapped_column(String(64))
    approval_case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    seq: Mapped[int] = mapped_column(BigInteger)
    at: Mapped[datetime] = mapped_column(Timestamp)


__all__ += ["CaseMigration", "Delegation", "Escalation", "OutboxMessage"]
