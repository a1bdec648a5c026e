"""The SOP language: models, loader with located errors, lint, registry, JSON Schema."""

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
