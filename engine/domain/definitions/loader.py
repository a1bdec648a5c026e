"""Load workflow YAML into a validated Definition, reporting ``file:line:col: message``."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import rfc8785
from pydantic import ValidationError as PydanticValidationError
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from engine.domain.definitions.model import Definition, with_draft_cancel
from engine.domain.definitions.safe_yaml import position_tree, read_yaml_text, safe_load
from engine.domain.roles import declare_roles
from engine.errors import DefinitionError, Problem

__all__ = [
    "LoadedDefinition",
    "definition_hash",
    "definition_payload",
    "load_definition",
    "load_definition_text",
    "located_problems",
    "parse_yaml",
    "plain",
    "position_of",
]

#: Most problems reported for one file: a file with 100,000 wrong entries gets a readable answer at once.
_MAX_PROBLEMS = 100


@dataclass(frozen=True)
class LoadedDefinition:
    """A validated definition with its source, content hash and (lazily) its YAML positions.

    ``definition`` is the procedure as the engine runs it (the file plus the engine's own rules,
    such as cancelling a draft); ``declared`` is the file as written, which the hash covers.
    """

    definition: Definition
    source: str
    sha256: str
    path: str
    declared: Definition | None = None
    _tree: list[Any] = field(default_factory=list, repr=False, compare=False)

    @property
    def as_written(self) -> Definition:
        """The definition exactly as the file states it (what ``sha256`` is the hash of)."""
        return self.declared or self.definition

    @property
    def tree(self) -> Any:
        """The round-trip YAML tree with line/column marks, parsed only when a position is needed."""
        if not self._tree:
            self._tree.append(parse_yaml(self.source, self.path))
        return self._tree[0]

    @property
    def pinned_ref(self) -> str:
        """``id@version#sha256``: what a case is pinned to."""
        return f"{self.definition.ref}#{self.sha256}"

    def position(self, *loc: str | int) -> tuple[int, int]:
        """1-based (line, col) of a node in the YAML tree; falls back to the nearest parent."""
        return position_of(self.tree, loc)

    def problem(self, message: str, *loc: str | int) -> Problem:
        """A Problem located at ``loc``."""
        line, col = self.position(*loc)
        return Problem(self.path, line, col, message)


def definition_payload(definition: Definition) -> dict[str, Any]:
    """The definition as the JSON its hash covers (and a printed SOP embeds)."""
    payload = definition.model_dump(mode="json", by_alias=True)
    # Keys added to the language later are left out while empty: a file without them keeps the hash it
    # always had, so the cases pinned to it stay pinned.
    _drop_empty(payload, ("declared_roles",))
    for state in payload.get("states", {}).values():
        _drop_empty(state, ("escalation",))
        if isinstance(state.get("deadline"), dict):
            _drop_empty(state["deadline"], ("relative_to", "direction"))
    for spec in payload.get("fields", {}).values():
        _drop_empty(spec, ("columns", "min_rows", "max_rows"))
        for column in (spec.get("columns") or {}).values():
            _drop_empty(column, ("columns", "min_rows", "max_rows"))
    for action in payload.get("actions", []):
        _drop_empty(action, ("not_roles", "rules", "effects"))
        for effect in action.get("effects", []):  # only the kind written (a kind added later leaves hashes be)
            _drop_empty(effect, [k for k, v in effect.items() if v is None])
            for body in effect.values():
                if isinstance(body, dict):
                    _drop_empty(body, [k for k, v in body.items() if v is None])
        for rule in action.get("rules", []):
            _drop_empty(rule, ("for_each",))
    return payload


def _drop_empty(node: dict[str, Any], keys: Sequence[str]) -> None:
    for key in keys:
        if key in node and node[key] in (None, [], {}):
            del node[key]


def definition_hash(definition: Definition) -> str:
    """SHA-256 of the definition's canonical JSON (RFC 8785): comments and layout don't count."""
    return hashlib.sha256(rfc8785.dumps(definition_payload(definition))).hexdigest()


def position_of(tree: Any, loc: Sequence[str | int]) -> tuple[int, int]:
    """1-based (line, col) of the node at ``loc`` (or its nearest existing parent)."""
    node = tree
    line, col = 0, 0
    for key in loc:
        if isinstance(node, CommentedMap) and key in node:
            line, col = node.lc.value(key) if _is_scalar(node[key]) else node.lc.key(key)
            node = node[key]
        elif isinstance(node, CommentedSeq) and isinstance(key, int) and 0 <= key < len(node):
            line, col = node.lc.item(key)
            node = node[key]
        else:
            if isinstance(node, CommentedMap | CommentedSeq) and (line, col) == (0, 0):
                line, col = node.lc.line, node.lc.col
            break
    return line + 1, col + 1


def _is_scalar(value: Any) -> bool:
    return not isinstance(value, CommentedMap | CommentedSeq)


_MESSAGES = {
    "missing": "wajib diisi",
    "extra_forbidden": "kunci tidak dikenal",
    "string_type": "harus berupa teks",
    "int_type": "harus bilangan bulat",
    "int_parsing": "harus bilangan bulat",
    "bool_type": "harus true atau false",
    "bool_parsing": "harus true atau false",
    "list_type": "harus berupa daftar",
    "dict_type": "harus berupa pemetaan (kunci: nilai)",
    "model_type": "harus berupa pemetaan (kunci: nilai)",
    "date_type": "harus tanggal (YYYY-MM-DD)",
    "date_from_datetime_parsing": "harus tanggal (YYYY-MM-DD)",
    "date_parsing": "harus tanggal (YYYY-MM-DD)",
    "too_short": "terlalu sedikit isi",
    "string_too_short": "tidak boleh kosong",
    "string_too_long": "terlalu panjang",
}


def _message(error: Any) -> str:
    kind = error["type"]
    if kind == "literal_error":
        expected = error.get("ctx", {}).get("expected", "")
        return f"harus salah satu dari {expected}"
    if kind == "string_pattern_mismatch":
        pattern = error.get("ctx", {}).get("pattern", "")
        return f"format tidak sah (pola {pattern}); pakai huruf kecil, angka dan garis bawah"
    if kind in ("greater_than_equal", "greater_than"):
        return f"harus {'≥' if kind.endswith('equal') else '>'} {error['ctx'].get('ge', error['ctx'].get('gt'))}"
    if kind in ("less_than_equal", "less_than"):
        return f"harus {'≤' if kind.endswith('equal') else '<'} {error['ctx'].get('le', error['ctx'].get('lt'))}"
    if kind in ("value_error", "assertion_error"):
        return str(error.get("ctx", {}).get("error", error["msg"]))
    return _MESSAGES.get(kind, str(error["msg"]))


def _loc_text(loc: Sequence[str | int]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def load_definition_text(text: str, path: str) -> LoadedDefinition:
    """Parse and validate YAML text. Raises DefinitionError with located problems.

    Results are cached by (text, path): definitions are immutable data, and every Services
    (each CLI call, each test) would otherwise parse the same files again.
    """
    return _load_cached(text, path)


@lru_cache(maxsize=512)
def _load_cached(text: str, path: str) -> LoadedDefinition:
    data = _fast_load(text, path)
    try:
        definition = Definition.model_validate(data)
    except PydanticValidationError as exc:
        raise DefinitionError(located_problems(parse_yaml(text, path), exc, path)) from None
    declare_roles(definition)
    return LoadedDefinition(with_draft_cancel(definition), text, definition_hash(definition), path, definition)


def _fast_load(text: str, path: str) -> dict[str, Any]:
    """Plain data through the C-accelerated safe loader (same YAML 1.2 rules, duplicate keys refused), after
    the checks of tags, depth, aliases and numbers, before any Python object is built."""
    data = safe_load(text, path)
    if not isinstance(data, dict):
        raise DefinitionError([Problem(path, 1, 1, "isi berkas harus berupa pemetaan (kunci: nilai)")])
    return {str(k): v for k, v in data.items()}


def parse_yaml(text: str, path: str) -> CommentedMap:
    """The YAML's mappings and lists with their positions (for locating problems); a top-level mapping
    is required. The text must have passed :func:`~engine.domain.definitions.safe_yaml.check_yaml`."""
    tree = position_tree(text, path)
    if not isinstance(tree, CommentedMap):
        raise DefinitionError([Problem(path, 1, 1, "isi berkas harus berupa pemetaan (kunci: nilai)")])
    return tree


def located_problems(tree: Any, exc: PydanticValidationError, path: str) -> list[Problem]:
    """Turn pydantic errors into ``file:line:col`` problems pointing into the YAML."""
    problems = []
    errors = exc.errors()
    for error in errors[:_MAX_PROBLEMS]:
        clean = _trim_loc(tree, [p for p in error["loc"] if isinstance(p, str | int)])
        line, col = position_of(tree, clean)
        where = _loc_text(clean)
        problems.append(Problem(path, line, col, f"{where}: {_message(error)}" if where else _message(error)))
    problems = _dedupe(problems)
    if len(errors) > _MAX_PROBLEMS:
        last = problems[-1]
        problems.append(Problem(path, last.line, last.col, f"… dan {len(errors) - _MAX_PROBLEMS} masalah lain "
                                                            f"(hanya {_MAX_PROBLEMS} pertama yang ditampilkan)"))
    return problems


def _trim_loc(tree: Any, loc: list[str | int]) -> list[str | int]:
    out: list[str | int] = []
    node = tree
    for part in loc:
        if isinstance(node, CommentedMap) and isinstance(part, str):
            out.append(part)
            node = node.get(part)
        elif isinstance(node, CommentedSeq) and isinstance(part, int):
            out.append(part)
            node = node[part] if 0 <= part < len(node) else None
        elif node is None and isinstance(part, str) and out[-1:] != [part]:
            out.append(part)  # a missing key: name it
            break
        else:
            continue
    return out


def _dedupe(problems: list[Problem]) -> list[Problem]:
    seen: dict[tuple[int, int, str], Problem] = {}
    for p in problems:
        seen.setdefault((p.line, p.col, p.message), p)
    return sorted(seen.values(), key=lambda p: (p.line, p.col))


def plain(node: Any) -> Any:
    if isinstance(node, CommentedMap):
        return {str(k): plain(v) for k, v in node.items()}
    if isinstance(node, CommentedSeq):
        return [plain(v) for v in node]
    return node


def load_definition(path: Path) -> LoadedDefinition:
    """Read and validate one workflow file."""
    return load_definition_text(read_yaml_text(path), str(path))
