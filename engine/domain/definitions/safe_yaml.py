"""YAML as the engine accepts it: standard tags only, bounded depth, size and alias expansion.

:func:`check_yaml` walks the parser's event stream (flat, no recursion, stops at the first fault)
before any loader builds Python objects, so a file nested 50,000 levels deep, an alias bomb or a
``!!python/...`` tag is a located :class:`~engine.errors.DefinitionError`, not a RecursionError,
a segfault, a hang or a ConstructorError. :func:`read_yaml_text` locates bytes that are not UTF-8
by line and column, and :func:`yaml_problem` turns any YAML library error into a located problem.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import (
    AliasEvent,
    CollectionEndEvent,
    CollectionStartEvent,
    DocumentStartEvent,
    Event,
    MappingStartEvent,
    ScalarEvent,
    SequenceStartEvent,
)
from ruamel.yaml.nodes import ScalarNode
from ruamel.yaml.reader import ReaderError

from engine.domain.definitions.bounds import (
    MAX_INT,
    MAX_NUMBER_CHARS,
    MAX_YAML_BYTES,
    MAX_YAML_DEPTH,
    MAX_YAML_NODES,
)
from engine.errors import DefinitionError, Problem

__all__ = ["ALLOWED_TAGS", "check_yaml", "position_tree", "read_yaml_text", "safe_load", "text_keys", "yaml_problem"]

_CORE = "tag:yaml.org,2002:"
#: Explicit tags a file may carry (``!!str 007``); anything else (``!rahasia``, ``!!python/...``) is refused.
ALLOWED_TAGS = frozenset({"!", *(_CORE + t for t in ("str", "int", "float", "bool", "null", "map", "seq",
                                                       "timestamp"))})

_SCALAR_TAGS = frozenset({"!", *(_CORE + t for t in ("str", "int", "float", "bool", "null", "timestamp"))})
_TAGS_BY_KIND: dict[type[Event], frozenset[str]] = {
    ScalarEvent: _SCALAR_TAGS, MappingStartEvent: frozenset({"!", _CORE + "map"}),
    SequenceStartEvent: frozenset({"!", _CORE + "seq"})}


def text_keys(value: Any) -> Any:
    """Mapping keys as text, as the position tree has them (``2026:`` is the key ``"2026"``)."""
    if isinstance(value, dict):
        return {str(k): text_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [text_keys(v) for v in value]
    return value


def read_yaml_text(path: Path) -> str:
    """The file's text; unreadable, too large or non-UTF-8 files are located problems."""
    name = str(path)
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_YAML_BYTES + 1)
    except OSError as exc:
        raise DefinitionError([Problem(name, 1, 1, f"tidak dapat dibaca: {exc.strerror or exc}")]) from None
    if len(raw) > MAX_YAML_BYTES:
        raise DefinitionError([Problem(name, 1, 1, f"berkas terlalu besar (maks. {MAX_YAML_BYTES // 1_000_000} MB)")])
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, col = _byte_position(raw, exc.start)
        bad = raw[exc.start:exc.end].hex(" ")
        raise DefinitionError([Problem(name, line, col, f"bukan UTF-8 (bita {bad}); simpan berkas "
                                                         "sebagai UTF-8")]) from None


def _byte_position(raw: bytes, offset: int) -> tuple[int, int]:
    """1-based line and column (in characters) of a byte offset."""
    start = raw.rfind(b"\n", 0, offset) + 1
    line = raw.count(b"\n", 0, offset) + 1
    col = len(raw[start:offset].decode("utf-8", errors="replace")) + 1
    return line, col


def _char_position(text: str, index: int) -> tuple[int, int]:
    index = max(0, min(index, len(text)))
    return text.count("\n", 0, index) + 1, index - (text.rfind("\n", 0, index) + 1) + 1


def yaml_problem(exc: YAMLError, text: str, path: str) -> Problem:
    """A YAML library error as a located problem."""
    if isinstance(exc, MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        return Problem(path, line, col, f"YAML tidak sah: {exc.problem or exc.context}")
    if isinstance(exc, ReaderError):
        line, col = _char_position(text, exc.position)
        code = ord(exc.character) if isinstance(exc.character, str) and len(exc.character) == 1 else exc.character
        shown = f" (U+{code:04X})" if isinstance(code, int) else ""
        return Problem(path, line, col, f"karakter kendali tidak diizinkan dalam YAML{shown}")
    return Problem(path, 1, 1, f"YAML tidak sah: {exc}")


def _at(path: str, event: Event, message: str) -> DefinitionError:
    mark = event.start_mark
    line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
    return DefinitionError([Problem(path, line, col, message)])


def _shown_tag(tag: str) -> str:
    return "!!" + tag[len(_CORE):] if tag.startswith(_CORE) else tag


class _Scalars:
    """Resolves and builds plain scalars the way the loaders will, so a value that would crash them
    (a date 2025-13-45, ``0x_``, ``!!bool mungkin``, a 5,000-digit number) is refused here, located."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.resolver, self.constructor = _resolver_and_constructor()

    def check(self, event: ScalarEvent) -> None:
        tag = None if event.tag is None else str(event.tag)
        if tag is None or tag == "!":
            if event.style or tag == "!" or not event.value or event.value[0] not in _NUMBER_START:
                return  # quoted or forced text, or plain text that is no number, date or time
            tag = str(self.resolver.resolve(ScalarNode, event.value, (True, False)))
        if tag not in _BUILT:
            return
        value = event.value
        if tag in (_CORE + "int", _CORE + "float") and len(value) > MAX_NUMBER_CHARS:
            raise _at(self.path, event, f"angka terlalu panjang ({len(value)} karakter; maks. {MAX_NUMBER_CHARS})")
        if len(value) > MAX_NUMBER_CHARS:
            raise _at(self.path, event, f"nilai {_shown_tag(tag)} tidak sah")
        node = ScalarNode(tag, value, start_mark=event.start_mark, end_mark=event.end_mark)
        try:
            built = getattr(self.constructor, _BUILT[tag])(node)
        except (ValueError, KeyError, IndexError, OverflowError, TypeError, YAMLError):
            shown = {"int": "bilangan bulat", "float": "bilangan", "bool": "true/false",
                     "timestamp": "tanggal", "null": "null"}[tag[len(_CORE):]]
            raise _at(self.path, event, f"'{value}' bukan {shown} yang sah") from None
        if isinstance(built, int) and not isinstance(built, bool) and abs(built) > MAX_INT:
            raise _at(self.path, event, f"bilangan {value} di luar batas (maks. {MAX_INT:,})".replace(",", "."))


#: How a plain number, date or time begins (true/false and null cannot fail to build).
_NUMBER_START = frozenset("-+.0123456789")
#: How any plain scalar that is not text begins (numbers, dates, true/false, null, ``~``, ``<<``).
_TYPED_START = _NUMBER_START | frozenset("tTfFnN~<=")


@lru_cache(maxsize=1)
def _resolver_and_constructor() -> tuple[Any, Any]:
    """The safe loader's own resolver and constructor (stateless for single scalars), made once."""
    yaml = YAML(typ="safe", pure=True)
    return yaml.resolver, yaml.constructor


_BUILT = {_CORE + "int": "construct_yaml_int", _CORE + "float": "construct_yaml_float",
          _CORE + "bool": "construct_yaml_bool", _CORE + "null": "construct_yaml_null",
          _CORE + "timestamp": "construct_yaml_timestamp"}


def check_yaml(text: str, path: str) -> None:
    """Refuse, with its position, the first unsafe thing in a YAML text; return None when it is safe to load.

    Safe means: one document, standard tags only, at most :data:`MAX_YAML_DEPTH` levels of mappings and
    lists, at most :data:`MAX_YAML_NODES` nodes with every alias counted at its full size, and no integer
    beyond :data:`MAX_INT`. Syntax errors are located too.
    """
    if len(text) > MAX_YAML_BYTES:
        raise DefinitionError([Problem(path, 1, 1, f"berkas terlalu besar (maks. {MAX_YAML_BYTES // 1_000_000} MB)")])
    total = 0
    # per open collection: [nodes before it, height of its deepest child]
    stack: list[list[int]] = []
    anchors_open: list[str | None] = []
    anchors: dict[str, tuple[int, int]] = {}  # anchor -> (nodes, height) of its whole subtree
    scalars = _Scalars(path)
    documents = 0
    try:
        for event in YAML(typ="safe").parse(text):
            allowed = _TAGS_BY_KIND.get(type(event))
            tag = None if getattr(event, "tag", None) is None else str(event.tag)
            if allowed is not None and tag is not None and tag not in allowed:
                known = tag in ALLOWED_TAGS
                raise _at(path, event, f"tag {_shown_tag(str(tag))} tidak cocok untuk nilai ini" if known else
                          f"tag tidak dikenal: {_shown_tag(str(tag))} (hanya tag YAML standar seperti !!str)")
            if isinstance(event, DocumentStartEvent):
                documents += 1
                if documents > 1:
                    raise _at(path, event, "berkas hanya boleh berisi satu dokumen YAML")
                if event.version not in (None, (1, 2)):
                    raise _at(path, event, "hanya YAML 1.2 yang didukung (hapus direktif %YAML)")
            if isinstance(event, CollectionStartEvent):
                if len(stack) + 1 > MAX_YAML_DEPTH:
                    raise _at(path, event, f"struktur terlalu bertingkat (lebih dari {MAX_YAML_DEPTH} tingkat)")
                stack.append([total, 0])
                anchors_open.append(event.anchor)
                total += 1
            elif isinstance(event, CollectionEndEvent):
                before, height = stack.pop()
                anchor = anchors_open.pop()
                if anchor is not None:
                    anchors[anchor] = (total - before, height + 1)
                if stack:
                    stack[-1][1] = max(stack[-1][1], height + 1)
            elif isinstance(event, ScalarEvent):
                scalars.check(event)
                total += 1
                if event.anchor is not None:
                    anchors[event.anchor] = (1, 0)
            elif isinstance(event, AliasEvent):
                if event.anchor not in anchors:
                    raise _at(path, event, f"alias '*{event.anchor}' menunjuk jangkar yang belum ada")
                nodes, height = anchors[event.anchor]
                if len(stack) + height > MAX_YAML_DEPTH:
                    raise _at(path, event, f"alias '*{event.anchor}' membuat struktur terlalu bertingkat "
                                           f"(lebih dari {MAX_YAML_DEPTH} tingkat)")
                total += nodes
                if stack:
                    stack[-1][1] = max(stack[-1][1], height)
            if total > MAX_YAML_NODES:
                raise _at(path, event, f"isi berkas terlalu besar setelah alias dijabarkan "
                                       f"(lebih dari {MAX_YAML_NODES:,} simpul)".replace(",", "."))
    except YAMLError as exc:
        raise DefinitionError([yaml_problem(exc, text, path)]) from None


def safe_load(text: str, path: str) -> Any:
    """Plain data from a YAML text that passed :func:`check_yaml`, through the C parser; errors located.

    Keys stay as YAML typed them; the round-trip tree (with positions) is parsed only to locate a problem.
    """
    check_yaml(text, path)
    try:
        return YAML(typ="safe").load(text)
    except YAMLError as exc:
        raise DefinitionError([yaml_problem(exc, text, path)]) from None


_AWAITING_KEY = object()


def _scalar_value(event: ScalarEvent) -> Any:
    """A scalar as the safe loader types it (text, number, true/false, null, date)."""
    tag = None if event.tag is None else str(event.tag)
    if tag == "!" or (tag is None and (event.style or (event.value and event.value[0] not in _TYPED_START))):
        return event.value
    resolver, constructor = _resolver_and_constructor()
    if tag is None:
        tag = str(resolver.resolve(ScalarNode, event.value, (True, False)))
    method = _BUILT.get(tag)
    if method is None:
        return event.value
    try:
        return getattr(constructor, method)(ScalarNode(tag, event.value))
    except (ValueError, KeyError, IndexError, OverflowError, TypeError, YAMLError):
        return event.value


def position_tree(text: str, path: str) -> Any:
    """The document's mappings and lists with the line and column of every key, value and item.

    Built from the C parser's events in one pass (the round-trip loader, in pure Python, takes tens of
    seconds on a large file with many problems): a :class:`CommentedMap`/:class:`CommentedSeq` tree whose
    ``lc`` marks are what the round-trip loader gives; scalars and keys typed as the safe loader types
    them; an alias is the anchored node itself (never a copy). For locating problems, not for loading.
    """
    anchors: dict[str, Any] = {}
    stack: list[list[Any]] = []  # [node, pending key, (key line, key col)]
    root: Any = None
    try:
        for event in YAML(typ="safe").parse(text):
            if isinstance(event, CollectionEndEvent):
                stack.pop()
                continue
            if isinstance(event, AliasEvent):
                node: Any = anchors.get(event.anchor or "")
            elif isinstance(event, ScalarEvent):
                node = _scalar_value(event)
            elif isinstance(event, CollectionStartEvent):
                node = CommentedMap() if isinstance(event, MappingStartEvent) else CommentedSeq()
                node.lc.line, node.lc.col = event.start_mark.line, event.start_mark.column
            else:
                continue
            if getattr(event, "anchor", None) is not None and not isinstance(event, AliasEvent):
                anchors[event.anchor] = node
            mark = event.start_mark
            if not stack:
                root = node
            else:
                frame = stack[-1]
                parent = frame[0]
                if isinstance(parent, CommentedSeq):
                    parent.lc.add_idx_line_col(len(parent), [mark.line, mark.column])
                    parent.append(node)
                elif frame[1] is _AWAITING_KEY:
                    hashable = not isinstance(node, CommentedMap | CommentedSeq)
                    frame[1] = node if hashable else f"<kunci {mark.line + 1}:{mark.column + 1}>"
                    frame[2] = (mark.line, mark.column)
                else:
                    key = frame[1]
                    parent[key] = node
                    parent.lc.add_kv_line_col(key, [*frame[2], mark.line, mark.column])
                    frame[1] = _AWAITING_KEY
            if isinstance(event, CollectionStartEvent):
                stack.append([node, _AWAITING_KEY, (0, 0)])
    except YAMLError as exc:
        raise DefinitionError([yaml_problem(exc, text, path)]) from None
    return root
