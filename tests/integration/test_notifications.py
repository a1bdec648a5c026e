"""Notifications: a decision writes each person's messages in its own unit of work; a real SMTP server
(aiosmtpd on 127.0.0.1) receives them; a server that is down never blocks a decision, and the outbox
retries until the server is back (then sends each message once) or gives up after the last attempt."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from engine.adapters.store.models import OutboxMessage, Person
from engine.demo import DEMO_ORG
from engine.services import Services
from engine.services.notifications import MAX_ATTEMPTS
from engine.settings import Settings
from tests.conftest import Clock
from tests.helpers import KAS_DRAFT_CHECKS, KAS_VERIFY_CHECKS, start_kas

ADDRESSES = {"fajar": "fajar@kkmp.test", "sri": "sri@kkmp.test"}  # bambang (ketua) has none


class Inbox:
    """What the SMTP server received: (envelope recipients, parsed message)."""

    def __init__(self) -> None:
        self.received: list[tuple[list[str], EmailMessage]] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content, policy=default)
        assert isinstance(message, EmailMessage)
        with self.lock:
            self.received.append((list(envelope.rcpt_tos), message))
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for rcpt, m in self.received if address in rcpt]


class SmtpServer:
    """A local SMTP server that can be stopped and started again on the same port."""

    def __init__(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.inbox = Inbox()
        self._controller: Controller | None = None

    def start(self) -> None:
        self._controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


def mail_settings(db_url: str, tmp_path: Path, port: int) -> Settings:
    return Settings(db_url=db_url, key_path=tmp_path / "signing.key", smtp_host="127.0.0.1", smtp_port=port,
                    smtp_from="tatakelola@kkmp.test", smtp_starttls=False, smtp_timeout_s=5,
                    public_url="https://kkmp.test")


@pytest.fixture
def mailing(db_url: str, tmp_path: Path, clock: Clock, smtp: SmtpServer) -> Iterator[Services]:
    """The demo KKMP on an installation that sends e-mail; fajar and sri have addresses, bambang none."""
    svc = Services(mail_settings(db_url, tmp_path, smtp.port), clock=clock)
    svc.init()
    svc.import_org(DEMO_ORG)
    for username, address in ADDRESSES.items():
        svc.notifications.set_email(username, address)
    yield svc
    svc.db.dispose()


def outbox(services: Services) -> list[tuple[str, str, str, int]]:
    """(person, kind, e-mail state, attempts) of every message, oldest first."""
    with services.db.reader() as session:
        return [(username, m.kind, m.email_state, m.attempts) for m, username in session.execute(
            select(OutboxMessage, Person.username).join(Person, Person.id == OutboxMessage.person_id)
            .order_by(OutboxMessage.id))]


def rows(services: Services) -> list[OutboxMessage]:
    with services.db.reader() as session:
        found = list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
        session.expunge_all()
        return found


def approved_kas(services: Services, tmp_path: Path, amount: int = 800_000) -> str:
    """fajar asks, sri verifies (above batas_manajer: on to the ketua), bambang approves."""
    nota = tmp_path / "nota.pdf"
    nota.write_bytes(b"%PDF-1.4\n% nota\n")
    number = start_kas(services, amount, nota)
    services.act(number, "ajukan", "fajar", checks=KAS_DRAFT_CHECKS)
    services.act(number, "verifikasi", "sri", checks=KAS_VERIFY_CHECKS)
    services.act(number, "setujui", "bambang")
    return number


def test_a_decision_tells_who_must_act_next_and_the_submitter_what_was_decided(
        mailing: Services, smtp: SmtpServer, tmp_path: Path) -> None:
    number = approved_kas(mailing, tmp_path)

    assert outbox(mailing) == [
        ("sri", "tugas", "menunggu", 0),        # submitted: the bendahara verifies
        ("bambang", "tugas", "menunggu", 0),    # verified above the manager's limit: the ketua decides
        ("sri", "tugas", "menunggu", 0),        # approved: the bendahara records the payment;
        ("fajar", "keputusan", "menunggu", 0),  # the one who asked is told ...
        ("sri", "keputusan", "menunggu", 0),    # ... and so is the earlier decider
    ]
    report = mailing.notifications.deliver_due()

    assert (report.sent, report.retrying, report.without_email) == (4, 0, 1)
    assert outbox(mailing) == [("sri", "tugas", "terkirim", 1), ("bambang", "tugas", "tanpa_email", 0),
                               ("sri", "tugas", "terkirim", 1), ("fajar", "keputusan", "terkirim", 1),
                               ("sri", "keputusan", "terkirim", 1)]
    [decided] = smtp.inbox.to("fajar@kkmp.test")
    assert decided["To"] == "Fajar Nugroho <fajar@kkmp.test>"
    assert decided["Subject"] == f"{number} disetujui \u2014 Persetujuan Pengeluaran Kas"
    text = decided.get_content()
    assert "Bambang Sutrisno (Ketua Pengurus) melakukan \u201cSetujui\u201d pada kasus " + number in text
    assert "Status kini: Disetujui." in text
    assert f"Buka: https://kkmp.test/k/kkmp-sentanan/kasus/{number}" in text
    assert decided["Message-ID"].endswith("@kkmp.test>")
    first_task = smtp.inbox.to("sri@kkmp.test")[0]
    assert first_task["Subject"] == f"Tugas baru: {number} \u2014 Menunggu verifikasi bendahara"
    assert "menunggu tindakan Anda sebagai Bendahara" in first_task.get_content()
    assert "_" not in first_task.get_content().split("Buka:")[0]  # no state, action or field ids in the text

    again = mailing.notifications.deliver_due()
    assert again.attempted == 0 and len(smtp.inbox.received) == 4


def test_with_the_server_down_decisions_succeed_and_the_outbox_retries_until_it_is_back(
        mailing: Services, smtp: SmtpServer, clock: Clock, tmp_path: Path) -> None:
    smtp.stop()
    number = approved_kas(mailing, tmp_path)
    assert mailing.show(number, "sri").summary.state == "disetujui"

    report = mailing.notifications.deliver_due()

    assert (report.sent, report.retrying) == (0, 4)
    assert "tidak dapat dihubungi" in report.errors[0]
    waiting = [m for m in rows(mailing) if m.email_state == "menunggu"]
    assert len(waiting) == 4 and all(m.attempts == 1 and m.last_error for m in waiting)
    assert all(m.next_attempt_at is not None and as_naive(m.next_attempt_at) > as_naive(clock.now)
               for m in waiting)
    assert mailing.notifications.deliver_due().attempted == 0  # not due again before the back-off ends

    smtp.start()
    assert mailing.notifications.deliver_due().attempted == 0
    clock.advance(minutes=2)
    assert mailing.notifications.deliver_due().sent == 4
    clock.advance(days=2)
    assert mailing.notifications.deliver_due().attempted == 0
    assert sorted(r[0] for r, _m in smtp.inbox.received) == ["fajar@kkmp.test"] + ["sri@kkmp.test"] * 3
    assert [m.attempts for m in rows(mailing) if m.email_state == "terkirim"] == [2, 2, 2, 2]


def test_after_the_last_attempt_a_message_is_given_up_but_stays_in_the_web_inbox(
        mailing: Services, smtp: SmtpServer, clock: Clock, tmp_path: Path) -> None:
    smtp.stop()
    nota = tmp_path / "nota.pdf"
    nota.write_bytes(b"%PDF-1.4\n% nota\n")
    number = start_kas(mailing, 300_000, nota)
    mailing.act(number, "ajukan", "fajar", checks=KAS_DRAFT_CHECKS)  # one message: sri's task

    for attempt in range(1, MAX_ATTEMPTS + 1):
        report = mailing.notifications.deliver_due()
        assert report.attempted == 1, attempt
        clock.advance(hours=13)

    [message] = rows(mailing)
    assert (message.email_state, message.attempts, message.next_attempt_at) == ("gagal", MAX_ATTEMPTS, None)
    assert message.last_error and "tidak dapat dihubungi" in message.last_error
    assert report.failed == 1
    assert mailing.notifications.deliver_due().attempted == 0
    [item] = mailing.notifications.inbox("sri")
    assert item.subject.startswith(f"Tugas baru: {number}") and not item.read


def test_a_person_without_an_address_or_an_installation_without_smtp_keeps_messages_in_the_web_app(
        services: Services, tmp_path: Path) -> None:
    services.notifications.set_email("sri", "sri@kkmp.test")  # an address, but no SMTP server configured
    nota = tmp_path / "nota.pdf"
    nota.write_bytes(b"%PDF-1.4\n% nota\n")
    number = start_kas(services, 300_000, nota)
    services.act(number, "ajukan", "fajar", checks=KAS_DRAFT_CHECKS)

    assert outbox(services) == [("sri", "tugas", "tanpa_email", 0)]
    assert services.notifications.deliver_due().attempted == 0
    assert [i.kind_label for i in services.notifications.inbox("sri")] == ["Tugas baru"]
    assert services.notifications.unread_count("sri") == 1


def test_a_retried_decision_adds_no_second_message(mailing: Services, tmp_path: Path) -> None:
    nota = tmp_path / "nota.pdf"
    nota.write_bytes(b"%PDF-1.4\n% nota\n")
    number = start_kas(mailing, 300_000, nota)
    first = mailing.act(number, "ajukan", "fajar", checks=KAS_DRAFT_CHECKS, request_id="kirim-1")
    second = mailing.act(number, "ajukan", "fajar", checks=KAS_DRAFT_CHECKS, request_id="kirim-1")

    assert first == second
    assert outbox(mailing) == [("sri", "tugas", "menunggu", 0)]


def test_two_deliverers_at_once_send_each_message_once(
        mailing: Services, smtp: SmtpServer, clock: Clock, tmp_path: Path, db_url: str) -> None:
    for _ in range(3):
        approved_kas(mailing, tmp_path)
    expected = sum(1 for person, _k, _s, _a in outbox(mailing) if person in ADDRESSES)
    other = Services(mail_settings(db_url, tmp_path, smtp.port), clock=clock)
    sent: list[int] = []
    start = threading.Barrier(2)

    def deliver(services: Services) -> None:
        start.wait()
        sent.append(services.notifications.deliver_due().sent)

    threads = [threading.Thread(target=deliver, args=(s,)) for s in (mailing, other)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    other.db.dispose()

    assert sum(sent) == expected == len(smtp.inbox.received)
    ids = [m["Message-ID"] for _r, m in smtp.inbox.received]
    assert len(set(ids)) == len(ids)
    assert all(state != "menunggu" for _p, _k, state, _a in outbox(mailing))


def test_the_web_inbox_is_each_persons_own_and_can_be_marked_read(mailing: Services, tmp_path: Path) -> None:
    approved_kas(mailing, tmp_path)
    notes = mailing.notifications

    assert [i.kind for i in notes.inbox("sri")] == ["keputusan", "tugas", "tugas"]  # newest first
    assert notes.unread_count("sri") == 3 and notes.unread_count("fajar") == 1
    fajar_ids = [i.id for i in notes.inbox("fajar")]
    assert notes.mark_read("sri", fajar_ids) == 0  # another person's message is not touched
    assert notes.unread_count("fajar") == 1
    assert notes.mark_read("sri", [notes.inbox("sri")[0].id]) == 1
    assert notes.unread_count("sri") == 2
    assert notes.mark_read("sri") == 2
    assert notes.unread_count("sri") == 0 and all(i.read for i in notes.inbox("sri"))


def test_an_address_is_checked_before_it_is_stored(mailing: Services) -> None:
    from engine.errors import ValidationError

    with pytest.raises(ValidationError) as refused:
        mailing.notifications.set_email("fajar", "fajar at kkmp")
    assert "bukan alamat e-mail yang sah" in refused.value.problems[0].message
    assert mailing.notifications.email_of("fajar") == "fajar@kkmp.test"
    assert mailing.notifications.set_email("fajar", "  ") is None
    assert mailing.notifications.email_of("fajar") is None


def as_naive(moment: Any) -> Any:
    return moment.replace(tzinfo=None)


def test_the_tick_sends_what_is_due_after_escalating(mailing: Services, smtp: SmtpServer, tmp_path: Path) -> None:
    nota = tmp_path / "nota.pdf"
    nota.write_bytes(b"%PDF-1.4\n% nota\n")
    number = start_kas(mailing, 300_000, nota)
    mailing.act(number, "ajukan", "fajar", checks=KAS_DRAFT_CHECKS)

    report = mailing.tick()

    assert report.mailed == 1
    assert [m["Subject"] for m in smtp.inbox.to("sri@kkmp.test")] == [
        f"Tugas baru: {number} \u2014 Menunggu verifikasi bendahara"]
