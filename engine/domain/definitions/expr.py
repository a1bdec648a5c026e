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
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment

from engine.domain.definitions.bounds import guard_size_problem
from engine.errors import GuardError

__all__ = ["GuardError", "GuardNames", "compile_guard", "guard_names", "parse_guard"]

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
    """Names a guard reads: bare names (fields) and ``settings.X`` attributes."""

    fields: frozenset[str]
    settings: frozenset[str]
    other: frozenset[str]


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


def guard_names(expression: str) -> GuardNames:
    """Return the field and setting names a guard reads. Raises GuardError if malformed."""
    root = parse_guard(expression)
    fields: set[str] = set()
    settings: set[str] = set()
    other: set[str] = set()
    setting_nodes: set[int] = set()
    def every(kinds: tuple[type[nodes.Node], ...]) -> list[nodes.Node]:
        return ([root] if isinstance(root, kinds) else []) + list(root.find_all(kinds))

    for node in every((nodes.Getattr, nodes.Getitem)):
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
    for name in every((nodes.Name,)):
        assert isinstance(name, nodes.Name)
        if name.name == "settings":
            if id(name) not in setting_nodes:
                other.add("settings")
        elif name.name not in _CONSTANTS:
            fields.add(name.name)
    if every((nodes.Call,)):
        other.add("pemanggilan fungsi")
    for node in every((nodes.Getattr,)):
        if isinstance(node, nodes.Getattr) and node.attr.startswith("_"):
            other.add(f"atribut tersembunyi '{node.attr}'")
    return GuardNames(frozenset(fields), frozenset(settings), frozenset(other))


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
