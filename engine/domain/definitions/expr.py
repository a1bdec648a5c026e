"""Guard expressions, evaluated in Jinja2's sandbox (never ``eval``).

A guard reads case fields by name and the cooperative's settings as ``settings.NAME``,
e.g. ``jumlah > settings.batas_ketua``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from jinja2 import StrictUndefined, TemplateSyntaxError, UndefinedError, nodes
from jinja2.environment import TemplateExpression
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment

from engine.domain.definitions.bounds import guard_size_problem
from engine.errors import GuardError

__all__ = ["FUNCTIONS", "NAMES", "ROW_FUNCTIONS", "GuardError", "GuardNames", "compile_guard", "compile_value",
           "evaluate_clause", "guard_names", "guard_names_of", "parse_guard"]

#: Functions a guard may call, by name only (no method is callable); see engine.domain.guard_context.
FUNCTIONS: frozenset[str] = frozenset({
    "count", "sum", "all", "any", "add_days", "add_months", "days_between", "months_between", "roles_on",
    "members_on", "holders",
})
#: Names every guard can read besides fields and settings.
NAMES: frozenset[str] = frozenset({"today", "actor"})
#: Functions whose second argument (text) is a condition, or a column, read in each row of the list.
ROW_FUNCTIONS: frozenset[str] = frozenset({"count", "sum", "all", "any"})
#: Names a condition inside a row function (or a rule ``for_each``) reads besides the row's columns.
ROW_NAMES: frozenset[str] = frozenset({"row", "nomor"})

#: Largest exponent and repeat count a guard may compute (``jumlah ** jumlah`` or ``"x" * jumlah``
#: would otherwise run for hours or fill the memory on a large amount).
_MAX_EXPONENT = 64
_MAX_REPEAT = 10_000


class _GuardEnvironment(SandboxedEnvironment):
    """The sandbox, with powers and repetitions bounded."""

    intercepted_binops = frozenset({"**", "*"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" and isinstance(right, int | float) and abs(right) > _MAX_EXPONENT:
            raise SecurityError(f"pangkat {right} terlalu besar (maks. {_MAX_EXPONENT})")
        if operator == "*":
            sized = isinstance(left, str | list | tuple) or isinstance(right, str | list | tuple)
            count = right if isinstance(right, int) else left
            if sized and isinstance(count, int) and count > _MAX_REPEAT:
                raise SecurityError(f"pengulangan {count} kali terlalu besar (maks. {_MAX_REPEAT})")
        return super().call_binop(context, operator, left, right)


_ENV = _GuardEnvironment(undefined=StrictUndefined, autoescape=False)
_CONSTANTS = frozenset({"true", "false", "none", "True", "False", "None"})


@dataclass(frozen=True)
class GuardNames:
    """Names a guard reads: bare names (fields), ``settings.X`` attributes, functions called, and the names
    read inside rows (``rows``: list field -> names its conditions read); ``other`` holds what is refused."""

    fields: frozenset[str]
    settings: frozenset[str]
    other: frozenset[str]
    functions: frozenset[str] = frozenset()
    rows: tuple[tuple[str, frozenset[str]], ...] = ()


def parse_guard(expression: str) -> nodes.Expr:
    """The guard's expression tree (Jinja2 nodes); GuardError when malformed or too large to parse safely."""
    too_large = guard_size_problem(expression)
    if too_large:
        raise GuardError(too_large)
    try:
        parser_src = _ENV.parse("{{ (" + expression + ") }}")
    except TemplateSyntaxError as exc:
        raise GuardError(f"ekspresi tidak sah: {exc.message}") from exc
    output = parser_src.body[0]
    assert isinstance(output, nodes.Output)
    node = output.nodes[0]
    assert isinstance(node, nodes.Expr)
    return node


def _every(root: nodes.Node, kinds: tuple[type[nodes.Node], ...]) -> list[nodes.Node]:
    return ([root] if isinstance(root, kinds) else []) + list(root.find_all(kinds))


def guard_names(expression: str, row_context: bool = False) -> GuardNames:
    """Return the names a guard reads. Raises GuardError if malformed.

    ``row_context``: the expression is read in a row (a rule's ``for_each`` or a row function's text),
    where ``row`` and ``nomor`` are names too.
    """
    root = parse_guard(expression)
    fields: set[str] = set()
    settings: set[str] = set()
    other: set[str] = set()
    functions: set[str] = set()
    rows: list[tuple[str, frozenset[str]]] = []
    setting_nodes: set[int] = set()
    called: set[int] = set()
    for node in _every(root, (nodes.Getattr, nodes.Getitem)):
        target = getattr(node, "node", None)
        if isinstance(target, nodes.Name) and target.name == "settings":
            setting_nodes.add(id(target))
            arg = getattr(node, "arg", None)
            if isinstance(node, nodes.Getattr):
                settings.add(node.attr)
            elif isinstance(arg, nodes.Const) and isinstance(arg.value, str):
                settings.add(arg.value)
            else:
                other.add("settings[...]")
    for call in _every(root, (nodes.Call,)):
        assert isinstance(call, nodes.Call)
        target = call.node
        if not isinstance(target, nodes.Name) or target.name not in FUNCTIONS:
            if isinstance(target, nodes.Name):
                called.add(id(target))
            shown = target.name if isinstance(target, nodes.Name) else "metode"
            other.add(f"pemanggilan fungsi '{shown}' (yang tersedia: {', '.join(sorted(FUNCTIONS))})")
            continue
        if call.kwargs or call.dyn_args or call.dyn_kwargs:
            other.add(f"argumen bernama pada '{target.name}'")
        called.add(id(target))
        functions.add(target.name)
        if target.name in ROW_FUNCTIONS and len(call.args) >= 2:
            inner = call.args[1]
            first = call.args[0]
            if not isinstance(inner, nodes.Const) or not isinstance(inner.value, str):
                other.add(f"'{target.name}': argumen kedua harus teks berisi syarat atau kolom")
                continue
            if not isinstance(first, nodes.Name):
                other.add(f"'{target.name}': argumen pertama harus nama field daftar")
                continue
            try:
                names = guard_names(inner.value, row_context=True)
            except GuardError as exc:
                other.add(f"'{target.name}': {exc}")
                continue
            settings |= names.settings
            other |= names.other
            functions |= names.functions
            rows.append((first.name, names.fields))
            rows.extend(names.rows)
    for name in _every(root, (nodes.Name,)):
        assert isinstance(name, nodes.Name)
        if name.name == "settings":
            if id(name) not in setting_nodes:
                other.add("settings")
        elif (id(name) in called or name.name in _CONSTANTS or name.name in NAMES
              or (row_context and name.name in ROW_NAMES)):
            continue
        else:
            fields.add(name.name)
    for node in _every(root, (nodes.Getattr,)):
        if isinstance(node, nodes.Getattr) and node.attr.startswith("_"):
            other.add(f"atribut tersembunyi '{node.attr}'")
    return GuardNames(frozenset(fields), frozenset(settings), frozenset(other), frozenset(functions), tuple(rows))


@lru_cache(maxsize=1024)
def compile_guard(expression: str) -> Callable[[Mapping[str, Any]], bool]:
    """Compile a guard once; the result evaluates it over a context mapping."""
    parse_guard(expression)  # syntax check with a clear message
    compiled = _ENV.compile_expression(expression, undefined_to_none=False)

    def evaluate(context: Mapping[str, Any]) -> bool:
        try:
            return bool(compiled(**context))
        except (UndefinedError, TypeError, SecurityError, ArithmeticError) as exc:
            raise GuardError(f"syarat '{expression}' tidak dapat dievaluasi: {exc}") from exc

    return evaluate


def guard_names_of(node: nodes.Expr) -> frozenset[str]:
    """The bare names one parsed clause reads (fields, columns, and names such as ``today``)."""
    return frozenset(n.name for n in _every(node, (nodes.Name,)) if isinstance(n, nodes.Name)
                     and n.name not in _CONSTANTS and n.name != "settings")


def evaluate_clause(node: nodes.Expr, context: Mapping[str, Any]) -> bool:
    """Evaluate one clause of a parsed guard (see ``phrase_clauses``); GuardError when it cannot be."""
    key = id(node)
    compiled = _CLAUSES.get(key)
    if compiled is None or compiled[0] is not node:
        body = [nodes.Assign(nodes.Name("result", "store", lineno=1), node, lineno=1)]
        template = _ENV.from_string(nodes.Template(body, lineno=1))
        compiled = (node, TemplateExpression(template, False))
        if len(_CLAUSES) > 4096:
            _CLAUSES.clear()
        _CLAUSES[key] = compiled
    try:
        return bool(compiled[1](**context))
    except (UndefinedError, TypeError, SecurityError, ArithmeticError, GuardError) as exc:
        raise GuardError(f"syarat tidak dapat dievaluasi: {exc}") from exc


_CLAUSES: dict[int, tuple[nodes.Expr, Any]] = {}


@lru_cache(maxsize=1024)
def compile_value(expression: str) -> Callable[[Mapping[str, Any]], Any]:
    """Compile an expression whose value (not its truth) is wanted: a column summed in a list."""
    parse_guard(expression)
    compiled = _ENV.compile_expression(expression, undefined_to_none=False)

    def evaluate(context: Mapping[str, Any]) -> Any:
        try:
            return compiled(**context)
        except (UndefinedError, TypeError, SecurityError, ArithmeticError) as exc:
            raise GuardError(f"nilai '{expression}' tidak dapat dihitung: {exc}") from exc

    return evaluate
