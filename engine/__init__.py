"""Tatakelola: SOP workflows for Indonesian cooperatives, with a verifiable approval trail.

The public API is listed in ``__all__``; everything else is internal. Names are loaded on
first use, so ``import engine.cli`` stays light (the CLI starts without SQLAlchemy or
WeasyPrint until a command needs them).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

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

if TYPE_CHECKING:
    from engine.domain.definitions import Definition, LoadedDefinition, Registry, lint_many, load_definition
    from engine.services import ActResult, CaseView, Services
    from engine.settings import Settings

__version__ = "0.1.0"

_LAZY = {
    "Definition": "engine.domain.definitions",
    "LoadedDefinition": "engine.domain.definitions",
    "Registry": "engine.domain.definitions",
    "lint_many": "engine.domain.definitions",
    "load_definition": "engine.domain.definitions",
    "ActResult": "engine.services",
    "CaseView": "engine.services",
    "Services": "engine.services",
    "Settings": "engine.settings",
}

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


def __getattr__(name: str) -> Any:
    """Load a public name from its module on first use (PEP 562)."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'engine' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value
