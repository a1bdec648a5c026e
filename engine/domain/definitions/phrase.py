"""A guard in plain Indonesian, with the cooperative's own values.

``jumlah > settings.batas_manajer`` reads "jumlah di atas Rp 500.000";
``(uang_disetor - penjualan_tunai) | abs <= settings.toleransi_selisih_kas`` reads "selisih uang
disetor dan penjualan tunai paling banyak Rp 10.000". Fields are named by their labels and settings
by their values, so no field id, setting key or operator reaches the reader. A guard this module
cannot phrase is refused by ``workflows check`` (``GuardError``), so every running guard can be
printed in the SOP and shown on the step page.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import TYPE_CHECKING, Any

from jinja2 import nodes

from engine.domain.definitions.expr import parse_guard
from engine.domain.values import format_date_id, format_rupiah
from engine.errors import GuardError

if TYPE_CHECKING:
    from engine.domain.definitions.model import Definition

__all__ = ["guard_sentence", "phrase_guard", "sentence"]

# (numbers and money, dates, text)
_WORDS: dict[str, tuple[str, str, str]] = {
    "gt": ("di atas", "sesudah", "sesudah"),
    "lt": ("di bawah", "sebelum", "sebelum"),
    "gteq": ("paling sedikit", "paling cepat", "paling cepat"),
    "lteq": ("paling banyak", "paling lambat", "paling lambat"),
    "eq": ("sama dengan", "tanggal", "adalah"),
    "ne": ("tidak sama dengan", "bukan tanggal", "bukan"),
}
_ARITHMETIC = {nodes.Add: "ditambah", nodes.Sub: "dikurangi", nodes.Mul: "dikali", nodes.Div: "dibagi",
               nodes.FloorDiv: "dibagi (dibulatkan ke bawah)", nodes.Mod: "sisa bagi"}
_TRANSPARENT_FILTERS = {"lower", "upper", "trim", "int", "float", "string"}


class _Phraser:
    def __init__(self, expression: str, d: Definition, settings: Mapping[str, Any]) -> None:
        self.expression = expression
        self.d = d
        self.settings = settings

    def refuse(self, what: str) -> GuardError:
        return GuardError(f"syarat '{self.expression}' tidak dapat diungkapkan dalam kata-kata: {what}")

    # -- what a value is ----------------------------------------------------------------

    def kind(self, node: nodes.Node) -> str:
        """'money', 'date', 'number', 'text' or 'bool': how values of this node are read."""
        if isinstance(node, nodes.Name):
            field = self.d.fields.get(node.name)
            if field is None:
                return "text"
            return {"money": "money", "date": "date", "integer": "number"}.get(field.type, "text")
        if isinstance(node, nodes.Getattr) and self.is_setting(node):
            spec = self.d.settings_used.get(node.attr)
            value = self.settings.get(node.attr, spec.default if spec else None)
            if isinstance(value, bool):
                return "bool"
            if isinstance(value, int):
                return "money" if spec is not None and "(Rp)" in spec.label else "number"
            return "text"
        if isinstance(node, nodes.Const):
            value = node.value
            return ("bool" if isinstance(value, bool) else "number" if isinstance(value, int | float)
                    else "text")
        if isinstance(node, nodes.BinExpr):
            kinds = {self.kind(node.left), self.kind(node.right)}
            return "money" if "money" in kinds else "number"
        if isinstance(node, nodes.Filter) and node.node is not None:
            return self.kind(node.node)
        return "text"

    @staticmethod
    def is_setting(node: nodes.Getattr) -> bool:
        return isinstance(node.node, nodes.Name) and node.node.name == "settings"

    # -- words ----------------------------------------------------------------------------

    def value(self, value: Any, kind: str) -> str:
        if isinstance(value, bool):
            return "ya" if value else "tidak"
        if kind == "money" and isinstance(value, int):
            return format_rupiah(value)
        if kind == "date" and isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            return format_date_id(date.fromisoformat(value))
        if isinstance(value, int):
            return f"{value:,d}".replace(",", ".")
        if isinstance(value, str):
            return f"“{value}”"
        if isinstance(value, list):
            return ", ".join(self.value(v, kind) for v in value)
        return str(value)

    def label(self, name: str) -> str:
        field = self.d.fields.get(name)
        if field is None:
            raise self.refuse(f"'{name}' bukan field prosedur ini")
        text = re.sub(r"\s*\((Rp|[^()]*)\)$", "", field.label.strip())
        return text[:1].lower() + text[1:] if len(text) > 1 and not text[1].isupper() else text

    def term(self, node: nodes.Node, kind: str | None = None) -> str:
        """A value: a field, a setting, a constant, arithmetic over them."""
        if isinstance(node, nodes.Name):
            if node.name in ("true", "True"):
                return "ya"
            if node.name in ("false", "False"):
                return "tidak"
            return self.label(node.name)
        if isinstance(node, nodes.Getattr) and self.is_setting(node):
            spec = self.d.settings_used.get(node.attr)
            if spec is None:
                raise self.refuse(f"setting '{node.attr}' tidak dideklarasikan")
            return self.value(self.settings.get(node.attr, spec.default), kind or self.kind(node))
        if isinstance(node, nodes.Const):
            return self.value(node.value, kind or self.kind(node))
        if isinstance(node, nodes.Filter) and node.node is not None:
            if node.name == "abs" and isinstance(node.node, nodes.Sub):
                return f"selisih {self.term(node.node.left, kind)} dan {self.term(node.node.right, kind)}"
            if node.name in _TRANSPARENT_FILTERS:
                return self.term(node.node, kind)
            if node.name == "abs":
                return f"nilai mutlak {self.term(node.node, kind)}"
            if node.name == "length":
                return f"banyaknya {self.term(node.node, kind)}"
            raise self.refuse(f"penyaring '{node.name}'")
        if isinstance(node, nodes.List | nodes.Tuple):
            return ", ".join(self.term(item, kind) for item in node.items)
        for kind_of, word in _ARITHMETIC.items():
            if isinstance(node, kind_of):
                assert isinstance(node, nodes.BinExpr)
                if not isinstance(node, nodes.Add | nodes.Sub):  # a factor or divisor is a count, not money
                    return f"{self.term(node.left, 'number')} {word} {self.term(node.right, 'number')}"
                return f"{self.term(node.left, kind)} {word} {self.term(node.right, kind)}"
        raise self.refuse(type(node).__name__)

    def share(self, left: nodes.Node, right: nodes.Node) -> tuple[str, str, str] | None:
        """``a * 100 <= b * 35`` is "a paling banyak 35% dari b": (a, "35", b), else None."""
        if not (isinstance(left, nodes.Mul) and isinstance(right, nodes.Mul)):
            return None
        if not (isinstance(left.right, nodes.Const) and left.right.value == 100):
            return None
        factor = right.right
        if isinstance(factor, nodes.Const) and isinstance(factor.value, int | float):
            percent = f"{factor.value:g}".replace(".", ",")
        elif isinstance(factor, nodes.Getattr) and self.is_setting(factor):
            percent = self.term(factor, "number")
        else:
            return None
        kind = self.kind(left.left)
        return self.term(left.left, kind), percent, self.term(right.left, kind)

    def condition(self, node: nodes.Node, parent: type[nodes.Node] | None = None) -> str:
        """A yes/no statement."""
        if isinstance(node, nodes.And | nodes.Or):
            word = " dan " if isinstance(node, nodes.And) else " atau "
            text = self.condition(node.left, type(node)) + word + self.condition(node.right, type(node))
            return f"({text})" if parent is not None and parent is not type(node) else text
        if isinstance(node, nodes.Not) and isinstance(node.node, nodes.Test) and node.node.name == "none":
            return f"{self.term(node.node.node)} sudah diisi"
        if isinstance(node, nodes.Test) and node.name == "none":
            return f"{self.term(node.node)} belum diisi"
        if isinstance(node, nodes.Not):
            return f"tidak benar bahwa {self.condition(node.node, nodes.Not)}"
        if isinstance(node, nodes.Compare):
            parts = []
            left = node.expr
            for operand in node.ops:
                if operand.op in ("in", "notin"):
                    word = "salah satu dari" if operand.op == "in" else "bukan salah satu dari"
                    kind = self.kind(left)
                    parts.append(f"{self.term(left)} {word} {self.term(operand.expr, kind)}")
                elif operand.op in _WORDS and (share := self.share(left, operand.expr)) is not None:
                    part, percent, whole = share
                    parts.append(f"{part} {_WORDS[operand.op][0]} {percent}% dari {whole}")
                elif operand.op in _WORDS:
                    kind = self.kind(left) if not isinstance(left, nodes.Const) else self.kind(operand.expr)
                    column = 1 if kind == "date" else 2 if kind in ("text", "bool") else 0
                    parts.append(f"{self.term(left, kind)} {_WORDS[operand.op][column]} "
                                 f"{self.term(operand.expr, kind)}")
                else:
                    raise self.refuse(f"pembanding '{operand.op}'")
                left = operand.expr
            return " dan ".join(parts)
        if isinstance(node, nodes.Name) and self.kind(node) == "bool":
            return f"{self.label(node.name)} dicentang"
        raise self.refuse(type(node).__name__)


def phrase_guard(expression: str, d: Definition, settings: Mapping[str, Any] | None = None) -> str:
    """The guard as a clause ("jumlah di atas Rp 500.000"); GuardError when it cannot be phrased.

    ``settings``: the cooperative's values (the definition's defaults where one is missing).
    """
    return _Phraser(expression, d, settings or {}).condition(parse_guard(expression))


def sentence(clause: str) -> str:
    """A clause as the start of a sentence: first letter upper case."""
    return clause[:1].upper() + clause[1:]


def guard_sentence(expression: str, d: Definition, settings: Mapping[str, Any] | None = None) -> str:
    """The guard as a sentence for a screen; a guard no words fit (a definition that skipped
    ``workflows check``) is named as the procedure's condition, never shown as code."""
    try:
        return sentence(phrase_guard(expression, d, settings))
    except GuardError:
        return "Syarat prosedur"
