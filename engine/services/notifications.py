"""Notifications: each person's messages in the web app, and their delivery by e-mail.

Messages are written by the decisions that cause them (:mod:`engine.services.outbox`); here they are
read, marked read, and sent. :meth:`Notifications.deliver_due` never holds a database transaction while
it talks to the SMTP server:

1. *claim* (one short write): the due messages (``menunggu``, ``next_attempt_at`` ≤ now) are leased by
   moving ``next_attempt_at`` to now + :data:`LEASE`, each with an UPDATE guarded by the value it read,
   so of two deliverers running at once only one claims a message; a message whose person has no
   address, or every message when no SMTP server is configured, becomes ``tanpa_email`` instead;
2. *send* each claimed message, outside any transaction;
3. *mark* each (one short write per message): ``terkirim``, or a retry after :data:`BACKOFF`
   (``attempts`` + 1, ``last_error``), or ``gagal`` after :data:`MAX_ATTEMPTS` failures.

Delivery is *at least once*: a crash between sending and marking sends the message again once its
lease ends. Its Message-ID is derived from the message's event key, the same on every attempt, so
mail programs that de-duplicate by Message-ID show it once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from engine.adapters.store.db import as_utc
from engine.adapters.store.models import OutboxMessage, Person
from engine.domain.limits import email_problem
from engine.errors import FieldProblem, ValidationError
from engine.services.context import Context
from engine.services.outbox import KINDS

__all__ = ["BACKOFF", "EMAIL_STATES", "LEASE", "MAX_ATTEMPTS", "DeliveryReport", "InboxItem", "Notifications",
           "unread_in"]

#: How each e-mail state is said to people.
EMAIL_STATES: dict[str, str] = {"menunggu": "menunggu dikirim", "terkirim": "terkirim", "gagal": "gagal dikirim",
                                "tanpa_email": "tanpa e-mail"}
#: Waits before the 2nd, 3rd, ... attempt; the last one repeats.
BACKOFF: tuple[timedelta, ...] = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30),
                                  timedelta(hours=2), timedelta(hours=12))
#: Failed attempts after which a message is given up (``gagal``; still shown in the web app).
MAX_ATTEMPTS = 8
#: How long a claimed message is left to its deliverer before another may take it (a crash mid-batch).
LEASE = timedelta(minutes=15)


@dataclass
class DeliveryReport:
    """What one delivery run did."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0
    without_email: int = 0
    errors: list[str] = field(default_factory=list)  # distinct error texts, for the operator

    @property
    def attempted(self) -> int:
        """Messages this run tried to send."""
        return self.sent + self.retrying + self.failed


@dataclass(frozen=True)
class InboxItem:
    """One message as the web app and ``notifikasi daftar`` show it."""

    id: int
    kind: str
    kind_label: str
    subject: str
    body: str
    link: str | None
    created_at: datetime
    read: bool
    email_state: str

    @property
    def email_word(self) -> str:
        """The e-mail state as people say it."""
        return EMAIL_STATES.get(self.email_state, self.email_state)


@dataclass(frozen=True)
class _Claimed:
    id: int
    dedupe_key: str
    subject: str
    body: str
    link: str | None
    created_at: datetime
    attempts: int
    address: str
    name: str


def unread_in(session: Session, person_id: int) -> int:
    """How many of this person's messages are unread (one COUNT over the person's index)."""
    return session.scalar(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.person_id == person_id, OutboxMessage.read_at.is_(None))) or 0


class Notifications:
    """Each person's messages; their delivery by e-mail."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    # -- the web inbox -----------------------------------------------------------------------

    def inbox(self, username: str, limit: int = 50) -> list[InboxItem]:
        """This person's messages, newest first."""
        self.ctx.db.require_schema()
        with self.ctx.db.reader() as session:
            person = self.ctx.person(session, username)
            rows = session.scalars(select(OutboxMessage).where(OutboxMessage.person_id == person.id)
                                   .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
                                   .limit(max(1, min(limit, 500))))
            return [InboxItem(m.id, m.kind, KINDS.get(m.kind, m.kind), m.subject, m.body, m.link,
                              as_utc(m.created_at), m.read_at is not None, m.email_state) for m in rows]

    def unread_count(self, username: str) -> int:
        """How many of this person's messages are unread."""
        with self.ctx.db.reader() as session:
            return unread_in(session, self.ctx.person(session, username).id)

    def mark_read(self, username: str, ids: Sequence[int] | None = None) -> int:
        """Mark this person's messages read: those of ``ids`` (others' ids are ignored), or all when None.
        Returns how many changed."""
        now = self.ctx.clock()
        with self.ctx.db.session() as session:
            person = self.ctx.person(session, username)
            stmt = (update(OutboxMessage).where(OutboxMessage.person_id == person.id,
                                                OutboxMessage.read_at.is_(None)).values(read_at=now))
            if ids is not None:
                wanted = [i for i in ids if isinstance(i, int)][:500]
                if not wanted:
                    return 0
                stmt = stmt.where(OutboxMessage.id.in_(wanted))
            return int(session.execute(stmt).rowcount or 0)  # type: ignore[attr-defined]

    # -- e-mail ------------------------------------------------------------------------------

    def email_of(self, username: str) -> str | None:
        """The address this person's notifications are e-mailed to (None: web app only)."""
        with self.ctx.db.reader() as session:
            return self.ctx.person(session, username).email

    def set_email(self, username: str, address: str | None) -> str | None:
        """Set (or, with None or an empty text, clear) a person's address; returns what is stored.

        Messages already waiting are sent to the address stored when they are sent.
        """
        address = (address or "").strip() or None
        if address is not None and (problem := email_problem(address)):
            raise ValidationError([FieldProblem("Alamat e-mail", problem, "email")],
                                  headline="Alamat e-mail belum dapat disimpan:")
        with self.ctx.db.session() as session:
            self.ctx.person(session, username).email = address
        return address

    def deliver_due(self, limit: int = 100, *, now: datetime | None = None) -> DeliveryReport:
        """Send the messages that are due (see the module's description); never raises for a mail problem.

        ``now``: the moment to act at (``tick --now``); default the clock."""
        from engine.adapters.mail import Mailer, MailError, Outgoing

        self.ctx.db.require_schema()
        report = DeliveryReport()

        def moment() -> datetime:
            return now if now is not None else self.ctx.clock()

        claimed = self._claim(limit, report, moment())
        if not claimed:
            return report
        mailer = Mailer(self.ctx.settings)
        domain = (self.ctx.settings.smtp_from or "tatakelola").rpartition("@")[2] or "tatakelola"
        pending = list(claimed)
        try:
            with mailer.session() as smtp:
                while pending:
                    message = pending[0]
                    try:
                        smtp.send(Outgoing(message.address, message.name, message.subject, self._text(message),
                                           _message_id(message.dedupe_key, domain), message.created_at))
                    except MailError as exc:
                        if exc.connection:
                            raise
                        self._failed(message, exc.text, report, moment())
                    else:
                        self._sent(message, report, moment())
                    pending.pop(0)
        except MailError as exc:  # the server is unreachable (or went away): every message left waits
            for message in pending:
                self._failed(message, exc.text, report, moment())
        return report

    def _claim(self, limit: int, report: DeliveryReport, now: datetime) -> list[_Claimed]:
        due = (OutboxMessage.email_state == "menunggu", OutboxMessage.next_attempt_at <= now)
        with self.ctx.db.session() as session:
            if not self.ctx.settings.smtp_configured:
                result = session.execute(update(OutboxMessage).where(*due).values(
                    email_state="tanpa_email", next_attempt_at=None))
                report.without_email += int(result.rowcount or 0)  # type: ignore[attr-defined]
                return []
            rows = session.execute(
                select(OutboxMessage.id, OutboxMessage.next_attempt_at, OutboxMessage.dedupe_key,
                       OutboxMessage.subject, OutboxMessage.body, OutboxMessage.link, OutboxMessage.created_at,
                       OutboxMessage.attempts, Person.email, Person.full_name)
                .join(Person, Person.id == OutboxMessage.person_id)
                .where(*due).order_by(OutboxMessage.next_attempt_at, OutboxMessage.id).limit(max(1, limit))).all()
            claimed: list[_Claimed] = []
            lease = now + LEASE
            for row in rows:
                guard = (OutboxMessage.id == row.id, OutboxMessage.email_state == "menunggu",
                         OutboxMessage.next_attempt_at == row.next_attempt_at)
                if not row.email:
                    result = session.execute(update(OutboxMessage).where(*guard).values(
                        email_state="tanpa_email", next_attempt_at=None))
                    report.without_email += int(result.rowcount or 0)  # type: ignore[attr-defined]
                    continue
                result = session.execute(update(OutboxMessage).where(*guard).values(next_attempt_at=lease))
                if result.rowcount == 1:  # type: ignore[attr-defined]
                    claimed.append(_Claimed(row.id, row.dedupe_key, row.subject, row.body, row.link,
                                            as_utc(row.created_at), row.attempts, row.email, row.full_name))
        return claimed

    def _sent(self, message: _Claimed, report: DeliveryReport, now: datetime) -> None:
        with self.ctx.db.session() as session:
            session.execute(update(OutboxMessage).where(OutboxMessage.id == message.id).values(
                email_state="terkirim", sent_at=now, attempts=message.attempts + 1, next_attempt_at=None,
                last_error=None))
        report.sent += 1

    def _failed(self, message: _Claimed, error: str, report: DeliveryReport, now: datetime) -> None:
        attempts = message.attempts + 1
        give_up = attempts >= MAX_ATTEMPTS
        with self.ctx.db.session() as session:
            session.execute(update(OutboxMessage).where(OutboxMessage.id == message.id).values(
                email_state="gagal" if give_up else "menunggu", attempts=attempts, last_error=error[:300],
                next_attempt_at=None if give_up else now + BACKOFF[min(attempts, len(BACKOFF)) - 1]))
        if give_up:
            report.failed += 1
        else:
            report.retrying += 1
        if error not in report.errors:
            report.errors.append(error)

    def _text(self, message: _Claimed) -> str:
        """The e-mail's body: the message, the page to open, and where it came from."""
        lines = [message.body, ""]
        if message.link:
            base = (self.ctx.settings.public_url or "").rstrip("/")
            where = f"{base}{message.link}" if base else f"halaman {message.link} di aplikasi Tatakelola"
            lines.append(f"Buka: {where}")
        lines += ["", "--", "Pesan ini dikirim otomatis oleh Tatakelola. Semua pemberitahuan Anda juga ada di "
                           "halaman Pemberitahuan aplikasi web."]
        return "\n".join(lines)


def _message_id(dedupe_key: str, domain: str) -> str:
    """The same Message-ID on every attempt of one message (the key itself stays out of the header)."""
    return f"<{hashlib.sha256(dedupe_key.encode()).hexdigest()[:40]}@{domain}>"
