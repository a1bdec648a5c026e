"""One error tree for the whole engine.

Every error carries an Indonesian message for people, the CLI exit code and the HTTP
status the web layer maps it to. Context travels as attributes, never parsed out of text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "AlreadyDecidedError",
    "AuditIntegrityError",
    "ConfigurationError",
    "DefinitionChangedError",
    "DefinitionError",
    "FieldProblem",
    "NotFoundError",
    "PermissionDeniedError",
    "Problem",
    "TatakelolaError",
    "ValidationError",
]


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
    """A problem with one input field (a case field, a checklist item, a setting)."""

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class TatakelolaError(Exception):
    """Base of every error the engine raises on purpose."""

    exit_code: int = 1
    http_status: int = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ConfigurationError(TatakelolaError):
    """The installation is not set up (no schema, no signing key, bad URL)."""

    exit_code = 2
    http_status = 500


class DefinitionError(TatakelolaError):
    """A workflow definition is malformed; carries every located problem."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class DefinitionChangedError(TatakelolaError):
    """A definition's content changed while its version number stayed the same."""

    exit_code = 1
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
    """Input data is invalid; carries one problem per field. Nothing was changed."""

    http_status = 422

    def __init__(self, problems: Sequence[FieldProblem], headline: str | None = None) -> None:
        self.problems = list(problems)
        lines = [headline or "Data belum lengkap atau tidak valid:"]
        lines += [f"  - {p}" for p in self.problems]
        super().__init__("\n".join(lines))


class NotFoundError(TatakelolaError):
    """A cooperative, person, case or workflow does not exist."""

    exit_code = 3
    http_status = 404


class PermissionDeniedError(TatakelolaError):
    """The actor may not take this action (role, term, segregation of duties)."""

    exit_code = 4
    http_status = 403

    def __init__(self, message: str, *, rule: str) -> None:
        super().__init__(message)
        self.rule = rule


class AlreadyDecidedError(TatakelolaError):
    """Somebody else decided this step first; the case has moved on."""

    exit_code = 5
    http_status = 409


class AuditIntegrityError(TatakelolaError):
    """The approval trail does not verify."""

    http_status = 500
