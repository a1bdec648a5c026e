"""Tatakelola: SOP workflows for Indonesian cooperatives, with a verifiable approval trail.

The public API is listed in ``__all__``; everything else is internal.
"""

from engine.domain.definitions import Definition, LoadedDefinition, Registry, lint_many, load_definition
from engine.errors import (
    AlreadyDecidedError,
    AuditIntegrityError,
    ConfigurationError,
    DefinitionChangedError,
    DefinitionError,
    NotFoundError,
    PermissionDeniedError,
    TatakelolaError,
    ValidationError,
)
from engine.services import ActResult, CaseView, Services
from engine.settings import Settings

__version__ = "0.1.0"

__all__ = [
    "ActResult",
    "AlreadyDecidedError",
    "AuditIntegrityError",
    "CaseView",
    "ConfigurationError",
    "Definition",
    "DefinitionChangedError",
    "DefinitionError",
    "LoadedDefinition",
    "NotFoundError",
    "PermissionDeniedError",
    "Registry",
    "Services",
    "Settings",
    "TatakelolaError",
    "ValidationError",
    "__version__",
    "lint_many",
    "load_definition",
]
