"""The sentences a procedure's rules speak when they refuse: ``{{ nama }}`` filled in, in Jinja2's sandbox.

A message names values, not code: a date is written "20 Januari 2026", a person by name, a number
with thousands dots; ``| rupiah`` writes money. Only ``{{ ... }}`` is allowed (no statements).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from functools import lru_cache
from typing import Any

from jinja2 import ChainableUndefined, StrictUndefined, TemplateSyntaxError, meta, nodes
from jinja2.exceptions import SecurityError, UndefinedError
from jinja2.sandbox import SandboxedEnvironment

from engine.domain.definitions.expr import FUNCTIONS
from engine.domain.values import format_date_id, format_rupiah

__all__ = ["message_names", "message_problem", "render_message"]

_MAX_OUTPUT = 400


def _finalize(value: Any) -> Any:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "ya" if value else "tidak"
    if isinstance(value, date):
        return format_date_id(value)
    if isinstance(value, int):
        return f"{value:,d}".replace(",", ".")
    return value


class _Blank(ChainableUndefined):
    """A value the message could not read: written as a dash."""

    def __str__(self) -> str:
        return "—"


def _rupiah(value: Any) -> Any:
    return format_rupiah(value) if isinstance(value, int) and not isinstance(value, bool) else _finalize(value)


def _tanggal(value: Any) -> Any:
    return format_date_id(value) if isinstance(value, date) else _finalize(value)


_ENV = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False, finalize=_finalize)
_LENIENT = SandboxedEnvironment(undefined=_Blank, autoescape=False, finalize=_finalize)
for _env in (_ENV, _LENIENT):
    _env.filters["rupiah"] = _rupiah
    _env.filters["tanggal"] = _tanggal


def message_problem(message: str) -> str | None:
    """Why a rule's message cannot be used (None when it can)."""
    try:
        tree = _ENV.parse(message)
    except TemplateSyntaxError as exc:
        return f"pesan tidak sah: {exc.message}"
    for node in tree.body:
        if not isinstance(node, nodes.Output):
            return "pesan hanya boleh berisi teks dan {{ nilai }}"
    for call in tree.find_all(nodes.Call):
        if not isinstance(call.node, nodes.Name) or call.node.name not in FUNCTIONS:
            return "pesan hanya boleh memanggil fungsi bahasa SOP (count, sum, add_days, ...)"
    for attr in tree.find_all(nodes.Getattr):
        if attr.attr.startswith("_"):
            return f"pesan menyebut atribut tersembunyi '{attr.attr}'"
    return None


def message_names(message: str) -> set[str]:
    """The names a (valid) message reads: fields, columns, ``settings`` and the like."""
    return set(meta.find_undeclared_variables(_ENV.parse(message)))


@lru_cache(maxsize=512)
def _template(message: str) -> Any:
    return _ENV.from_string(message)


def render_message(message: str, context: Mapping[str, Any]) -> str:
    """The message with its values filled in; a value that cannot be read is written "—"."""
    try:
        text = str(_template(message).render(**context))
    except (UndefinedError, TypeError, SecurityError, ArithmeticError, AttributeError):
        text = str(_LENIENT.from_string(message).render(**context))
    return text[:_MAX_OUTPUT]
