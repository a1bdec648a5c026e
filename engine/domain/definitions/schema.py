"""JSON Schema of the SOP language, for editors (yaml-language-server)."""

from __future__ import annotations

import json
from typing import Any

from engine.domain.definitions.model import Definition

__all__ = ["json_schema", "json_schema_text"]


def _short_forms(schema: dict[str, Any]) -> None:
    """Accept the shorthand the loader accepts: ``from: draf``, ``deadline: 2 hari kerja``,
    and checklist items written as plain text or without an ``id``."""
    defs = schema["$defs"]
    action_from = defs["Action"]["properties"]["from"]
    defs["Action"]["properties"]["from"] = {
        "anyOf": [{"$ref": "#/$defs/Identifier"}, action_from], "title": action_from.get("title", "From")}
    defs["Identifier"] = dict(action_from["items"])
    deadline = defs["State"]["properties"]["deadline"]
    deadline["anyOf"].insert(0, {"type": "string", "pattern": r"^\s*\d{1,3}\s+(hari kerja|hari|jam)\s*$",
                                 "description": "'N jam', 'N hari' atau 'N hari kerja'"})
    deadline["anyOf"].insert(1, {
        "type": "string", "pattern": r"^\s*\d{1,4}\s+(hari kerja|hari)\s+(sebelum|setelah)\s+[a-z][a-z0-9_]*\s*$",
        "description": "'N hari sebelum field_tanggal' atau 'N hari kerja setelah field_tanggal'"})
    delay = defs["EscalationLevel"]["properties"]["after"]
    defs["EscalationLevel"]["properties"]["after"] = {
        "anyOf": [{"type": "string", "pattern": r"^\s*\d{1,3}\s+(hari kerja|hari|jam)\s*$",
                   "description": "'0 hari', 'N jam', 'N hari' atau 'N hari kerja' setelah tenggat"},
                  {key: value for key, value in delay.items() if key != "default"}],
        "title": delay.get("title", "After")}
    item = defs["ChecklistItem"]
    defs["ChecklistItem"] = {"anyOf": [{"type": "string", "minLength": 1}, {**item, "required": ["label"]}],
                             "description": item.get("description", "")}


def json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of one workflow file."""
    schema = Definition.model_json_schema(by_alias=True, mode="validation")
    _short_forms(schema)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://tatakelola.id/schema/workflow.schema.json"
    schema["title"] = "Prosedur Tatakelola (SOP/SOM)"
    return schema


def json_schema_text() -> str:
    """The schema as stable, pretty JSON text."""
    return json.dumps(json_schema(), indent=2, ensure_ascii=False, sort_keys=True) + "\n"
