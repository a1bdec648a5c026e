"""One error tree for the whole engine.

Every error carries an Indonesian message for people; context travels as attributes (a
list of :class:`FieldProblem` or :class:`Problem`, a headline, the rule that refused),
never parsed back out of the text. The CLI exit code and the HTTP status of each class are
set here and nowhere else: entry points ask :func:`exit_code_for` and :func:`http_status_for`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "EXIT_CONFIG",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_TEMPFAIL",
    "EXIT_UNEXPECTED",
    "AlreadyDecidedError",
    "AuditIntegrityError",
    "BackupError",
    "BackupToolMissingError",
    "ChecksFailedError",
    "ConfigurationError",
    "DatabaseBusyError",
    "DatabaseUnavailableError",
    "DefinitionChangedError",
    "DefinitionError",
    "EnvironmentFaultError",
    "FieldProblem",
    "FormExpiredError",
    "GuardError",
    "LoginRefusedError",
    "LoginRequiredError",
    "NotFoundError",
    "PayloadTooLargeError",
    "PermissionDeniedError",
    "Problem",
    "ReadOnlyStorageError",
    "RequestConflictError",
    "SeatTakenError",
    "StorageFullError",
    "TatakelolaError",
    "TooManyAttemptsError",
    "UsageError",
    "ValidationError",
    "exit_code_for",
    "http_status_for",
]

EXIT_OK = 0
#: Anything not raised on purpose: a bug. The CLI says so without a traceback.
EXIT_UNEXPECTED = 70
#: Ctrl+C.
EXIT_INTERRUPTED = 130
#: The database is busy (another process holds its write lock); nothing was changed, try again (EX_TEMPFAIL).
EXIT_TEMPFAIL = 75
#: The environment does not allow the work: database unreachable, missing, login refused, read-only, disk
#: full (EX_CONFIG). Nothing was changed; fix the set-up, then run the command again.
EXIT_CONFIG = 78


@dataclass(frozen=True)
class Problem:
    """One located problem in a file: ``file:line:col: message``."""

    file: str
    line: int
    col: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}: {self.message}"


@dataclass(frozen=True)
class FieldProblem:
    """A problem with one input: a case field, a checklist item, a setting, a cell, an option.

    ``label`` is what people read ("Jumlah", "Sheet 'Biaya', sel C7"); ``name`` is the
    identifier the input has in a form or a definition (``jumlah``), when it has one.
    """

    label: str
    message: str
    name: str | None = None

    def __str__(self) -> str:
        where = f"{self.label} ({self.name})" if self.name and self.name != self.label else self.label
        return f"{where}: {self.message}"


class TatakelolaError(Exception):
    """Base of every error the engine raises on purpose."""

    exit_code: int = 1
    http_status: int = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    @property
    def headline(self) -> str:
        """The first sentence people see (the whole message unless a subclass has more)."""
        return self.message


class UsageError(TatakelolaError):
    """A command or request was written wrongly (an option without its value, a bad pair)."""

    exit_code = 2
    http_status = 400


class ConfigurationError(TatakelolaError):
    """The installation is not set up (no schema, no signing key, bad URL or setting)."""

    exit_code = 2
    http_status = 500


class EnvironmentFaultError(TatakelolaError):
    """The environment around the engine failed (database server, disk, file permissions), not the input.

    ``fault`` names what failed (``unreachable``, ``unknown_host``, ``missing_database``, ``login_refused``,
    ``cannot_open``, ``not_a_database``, ``io``, ``read_only``, ``disk_full``, ``busy``). The message never
    carries SQL, parameters or the driver's own text.
    """

    exit_code = EXIT_CONFIG
    http_status = 503

    def __init__(self, message: str, *, fault: str) -> None:
        super().__init__(message)
        self.fault = fault


class DatabaseBusyError(EnvironmentFaultError):
    """Another process holds the database's write lock past the wait allowed; retrying later will do."""

    exit_code = EXIT_TEMPFAIL
    http_status = 503


class DatabaseUnavailableError(EnvironmentFaultError):
    """The database cannot be reached or opened: refused, unknown host, missing, login refused, not a database."""


class ReadOnlyStorageError(EnvironmentFaultError):
    """The database (or the folder of a file the engine writes) takes no writes: write-protected, ``mode=ro``."""


class StorageFullError(EnvironmentFaultError):
    """The disk (or the database's storage) is full."""


class BackupToolMissingError(EnvironmentFaultError):
    """A program a backup or restore needs (``pg_dump``, ``pg_restore``) is not installed or not on PATH."""

    def __init__(self, message: str) -> None:
        super().__init__(message, fault="tool_missing")


class BackupError(TatakelolaError):
    """A backup or restore was refused or failed: the file exists, is no backup, the tool failed.

    Nothing was changed: a backup is written to a temporary file and renamed only when complete; a
    restore replaces the database in one step or not at all.
    """

    http_status = 422


class DefinitionError(TatakelolaError):
    """A workflow definition or organisation file is malformed; carries every located problem."""

    http_status = 422

    def __init__(self, problems: Sequence[Problem], headline: str | None = None) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(([headline] if headline else []) + [str(p) for p in self.problems]))


class DefinitionChangedError(TatakelolaError):
    """A definition's content changed while its version number stayed the same."""

    http_status = 409

    def __init__(self, workflow_id: str, version: int, known_sha: str, new_sha: str) -> None:
        self.workflow_id = workflow_id
        self.version = version
        self.known_sha = known_sha
        self.new_sha = new_sha
        super().__init__(
            f"Isi prosedur '{workflow_id}' berubah tetapi versinya tetap {version} "
            f"(tercatat {known_sha[:12]}…, berkas kini {new_sha[:12]}…). "
            "Naikkan nomor `version` agar kasus yang berjalan tetap memakai versi lama."
        )


class ValidationError(TatakelolaError):
    """Input data is invalid; carries one problem per input. Nothing was changed."""

    http_status = 422

    def __init__(self, problems: Sequence[FieldProblem], headline: str | None = None) -> None:
        self.problems = list(problems)
        self._headline = headline or "Data belum lengkap atau tidak valid:"
        lines = [self._headline] + [f"  - {p}" for p in self.problems]
        super().__init__("\n".join(lines))

    @property
    def headline(self) -> str:
        """The sentence above the list of problems."""
        return self._headline


class PayloadTooLargeError(ValidationError):
    """An upload or request is over its size limit."""

    http_status = 413


class GuardError(TatakelolaError):
    """A guard expression is malformed, or could not be evaluated on the data given."""

    http_status = 422


class NotFoundError(TatakelolaError):
    """A cooperative, person, case, workflow or page does not exist (or is not the asker's to see)."""

    exit_code = 3
    http_status = 404


class PermissionDeniedError(TatakelolaError):
    """The actor may not take this action (role, term, segregation of duties, quorum)."""

    exit_code = 4
    http_status = 403

    def __init__(self, message: str, *, rule: str = "peran") -> None:
        super().__init__(message)
        self.rule = rule


class LoginRequiredError(TatakelolaError):
    """The page or call needs a signed-in person."""

    exit_code = 4
    http_status = 401

    def __init__(self, message: str = "Perlu masuk (login).") -> None:
        super().__init__(message)


class LoginRefusedError(TatakelolaError):
    """Wrong user name or password."""

    exit_code = 4
    http_status = 401


class TooManyAttemptsError(LoginRefusedError):
    """Too many failed logins from this name or address; try again later."""

    http_status = 429


class FormExpiredError(TatakelolaError):
    """A form's CSRF token is missing, wrong or from an old session."""

    exit_code = 4
    http_status = 403


class AlreadyDecidedError(TatakelolaError):
    """Somebody else decided this step first; the case has moved on."""

    exit_code = 5
    http_status = 409


class RequestConflictError(TatakelolaError):
    """A client request id was already used for a different request; nothing was done."""

    exit_code = 5
    http_status = 409


class SeatTakenError(TatakelolaError):
    """A single-seat role (ketua, bendahara ...) would have two holders on the same day; nothing was saved."""

    exit_code = 5
    http_status = 409

    def __init__(self, message: str, *, role: str) -> None:
        super().__init__(message)
        self.role = role


class AuditIntegrityError(TatakelolaError):
    """The approval trail does not verify."""

    http_status = 500


class ChecksFailedError(TatakelolaError):
    """A check ran and found problems (lint, trail verification, audit findings, a document).

    The findings themselves were already reported; the message is the one-line summary.
    """

    http_status = 422


def exit_code_for(exc: BaseException) -> int:
    """The CLI exit code for an exception (70 for anything not raised on purpose)."""
    if isinstance(exc, KeyboardInterrupt):
        return EXIT_INTERRUPTED
    return exc.exit_code if isinstance(exc, TatakelolaError) else EXIT_UNEXPECTED


def http_status_for(exc: BaseException) -> int:
    """The HTTP status for an exception (500 for anything not raised on purpose)."""
    return exc.http_status if isinstance(exc, TatakelolaError) else 500
