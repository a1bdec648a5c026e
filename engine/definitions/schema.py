"""JSON Schema of the SOP language, for editors (yaml-language-server)."""

from __future__ import annotations

import json
from typing import Any

from engine.definitions.model import Definition

__all__ = ["json_schema", "json_schema_text"]


def json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of one workflow file."""
    schema = Definition.model_json_schema(by_alias=True, mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://tatakelola.id/schema/workflow.schema.json"
    schema["title"] = "Prosedur Tatakelola (SOP/SOM)"
    return schema


def json_schema_text() -> str:
    """The schema as stable, pretty JSON text."""
    return json.dumps(json_schema(), indent=2, ensure_ascii=False, sort_keys=True) + "\n"
