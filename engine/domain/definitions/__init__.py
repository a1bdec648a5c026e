"""The SOP language: models, loader with located errors, lint, registry, JSON Schema.

Names load on first use (PEP 562): importing one submodule (say ``model``) does not parse
YAML, compile guards or build the lint, so a command pays only for what it touches.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from engine.domain.definitions.expr import GuardError, compile_guard, guard_names
    from engine.domain.definitions.lint import lint_definition, lint_many
    from engine.domain.definitions.loader import (
        LoadedDefinition,
        definition_hash,
        load_definition,
        load_definition_text,
    )
    from engine.domain.definitions.model import Action, Definition, FieldDef, State
    from engine.domain.definitions.registry import Registry, data_dir, workflow_files
    from engine.domain.definitions.schema import json_schema

_LAZY = {
    "GuardError": "expr",
    "compile_guard": "expr",
    "guard_names": "expr",
    "lint_definition": "lint",
    "lint_many": "lint",
    "LoadedDefinition": "loader",
    "definition_hash": "loader",
    "load_definition": "loader",
    "load_definition_text": "loader",
    "Action": "model",
    "Definition": "model",
    "FieldDef": "model",
    "State": "model",
    "Registry": "registry",
    "data_dir": "registry",
    "workflow_files": "registry",
    "json_schema": "schema",
}

__all__ = [
    "Action",
    "Definition",
    "FieldDef",
    "GuardError",
    "LoadedDefinition",
    "Registry",
    "State",
    "compile_guard",
    "data_dir",
    "definition_hash",
    "guard_names",
    "json_schema",
    "lint_definition",
    "lint_many",
    "load_definition",
    "load_definition_text",
    "workflow_files",
]


def __getattr__(name: str) -> Any:
    """Load a public name from its submodule on first use."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
