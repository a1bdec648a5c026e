"""Sending e-mail through an SMTP server (the standard library's smtplib).

One :class:`Mailer` opens one connection per batch (:meth:`Mailer.session`) and sends each message
with :meth:`MailSession.send`. A refusal of one recipient is that message's failure; a server that
cannot be reached fails every message of the batch. Errors are reported as :class:`MailError` with a
short text fit to store (never the password, never the whole server dialogue).
"""

from __future__ import annotations

import smtplib
import socket
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr

from engine.settings import Settings

__all__ = ["MailError", "MailSession", "Mailer", "Outgoing"]


class MailError(Exception):
    """A message could not be handed to the SMTP server (``text`` is safe to store and show)."""

    def __init__(self, text: str, *, connection: bool = False) -> None:
        super().__init__(text)
        self.text = text[:300]
        self.connection = connection  # the server itself failed: the rest of the batch fails too


@dataclass(frozen=True)
class Outgoing:
    """One e-mail: to one person, with a Message-ID that is the same every time it is sent."""

    to_address: str
    to_name: str
    subject: str
    body: str
    message_id: str
    date: datetime


class MailSession:
    """One open SMTP connection."""

    def __init__(self, smtp: smtplib.SMTP, sender: str) -> None:
        self._smtp = smtp
        self._sender = sender

    def send(self, mail: Outgoing) -> None:
        """Hand one message to the server; MailError when it is refused."""
        message = EmailMessage()
        message["From"] = self._sender
        message["To"] = formataddr((mail.to_name, mail.to_address))
        message["Subject"] = mail.subject
        message["Date"] = format_datetime(mail.date)
        message["Message-ID"] = mail.message_id
        message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies to a notification
        message.set_content(mail.body)
        try:
            self._smtp.send_message(message, from_addr=_address_of(self._sender), to_addrs=[mail.to_address])
        except smtplib.SMTPRecipientsRefused as exc:
            code, reply = next(iter(exc.recipients.values()), (0, b""))
            raise MailError(f"alamat ditolak server ({code} {_text(reply)})") from None
        except smtplib.SMTPResponseException as exc:
            raise MailError(f"ditolak server ({exc.smtp_code} {_text(exc.smtp_error)})",
                            connection=exc.smtp_code == 421) from None
        except (smtplib.SMTPException, OSError) as exc:
            raise MailError(f"koneksi ke server surat terputus ({type(exc).__name__})", connection=True) from None


class Mailer:
    """The configured SMTP server (``Settings.smtp_*``)."""

    def __init__(self, settings: Settings) -> None:
        if not settings.smtp_host or not settings.smtp_from:
            raise ValueError("SMTP is not configured")
        self.settings = settings

    @contextmanager
    def session(self) -> Iterator[MailSession]:
        """Connect (TLS on port 465, else STARTTLS when configured), log in when a user is set;
        MailError when the server cannot be reached or refuses the login."""
        s = self.settings
        assert s.smtp_host is not None and s.smtp_from is not None
        try:
            smtp: smtplib.SMTP
            if s.smtp_port == 465:
                smtp = smtplib.SMTP_SSL(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout_s,
                                        context=ssl.create_default_context())
            else:
                smtp = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout_s)
                if s.smtp_starttls:
                    smtp.starttls(context=ssl.create_default_context())
            if s.smtp_user:
                smtp.login(s.smtp_user, s.smtp_password.get_secret_value() if s.smtp_password else "")
        except smtplib.SMTPAuthenticationError as exc:
            raise MailError(f"login SMTP ditolak ({exc.smtp_code})", connection=True) from None
        except smtplib.SMTPNotSupportedError:
            raise MailError("server surat tidak mendukung STARTTLS (atur TATAKELOLA_SMTP_STARTTLS=0 bila "
                            "memang tanpa enkripsi)", connection=True) from None
        except (smtplib.SMTPException, OSError, ssl.SSLError) as exc:
            detail = "waktu habis" if isinstance(exc, socket.timeout | TimeoutError) else type(exc).__name__
            raise MailError(f"server surat {s.smtp_host}:{s.smtp_port} tidak dapat dihubungi ({detail})",
                            connection=True) from None
        try:
            yield MailSession(smtp, s.smtp_from)
        finally:
            try:
                smtp.quit()
            except (smtplib.SMTPException, OSError):
                smtp.close()


def _address_of(sender: str) -> str:
    return sender.rsplit("<", 1)[-1].rstrip(">").strip()


def _text(reply: bytes | str) -> str:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    return " ".join(text.split())[:200]
