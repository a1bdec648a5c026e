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
from engine.domain.roles import role_label
from engine.domain.values import format_date_id, format_rupiah
from engine.errors import GuardError

if TYPE_CHECKING:
    from engine.domain.definitions.model import Definition, FieldDef

__all__ = ["guard_sentence", "phrase_clauses", "phrase_guard", "sentence"]

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


_PERSON_ATTRS = {"nama": ("nama {}", "text"), "username": ("{}", "text"), "peran": ("jabatan {}", "set"),
                 "anggota_sejak": ("tanggal {} mulai menjadi anggota", "date")}
_DATE_FUNCTIONS = {"add_days": "hari", "add_months": "bulan"}


class _Phraser:
    def __init__(self, expression: str, d: Definition, settings: Mapping[str, Any],
                 for_each: str | None = None) -> None:
        self.expression = expression
        self.d = d
        self.settings = settings
        self.scopes: list[str] = [for_each] if for_each else []

    def column(self, name: str) -> FieldDef | None:
        """The column ``name`` of the innermost list being read row by row, if it has one."""
        for list_name in reversed(self.scopes):
            spec = self.d.fields.get(list_name)
            if spec is not None and spec.columns and name in spec.columns:
                return spec.columns[name]
        return None

    def spec(self, name: str) -> FieldDef | None:
        return self.column(name) or self.d.fields.get(name)

    def row_phrase(self, list_name: str, inner: nodes.Node, how: str) -> str:
        text = inner.value if isinstance(inner, nodes.Const) and isinstance(inner.value, str) else None
        if text is None:
            raise self.refuse(f"'{how}' memerlukan syarat berupa teks")
        self.scopes.append(list_name)
        try:
            root = parse_guard(text)
            return self.condition(root) if how != "sum" else self.term(root)
        finally:
            self.scopes.pop()

    def refuse(self, what: str) -> GuardError:
        return GuardError(f"syarat '{self.expression}' tidak dapat diungkapkan dalam kata-kata: {what}")

    # -- what a value is ----------------------------------------------------------------

    def kind(self, node: nodes.Node) -> str:
        """'money', 'date', 'number', 'text' or 'bool': how values of this node are read."""
        if isinstance(node, nodes.Name):
            if node.name == "today":
                return "date"
            if node.name == "nomor" and self.scopes:
                return "number"
            field = self.spec(node.name)
            if field is None:
                return "text"
            return {"money": "money", "date": "date", "integer": "number"}.get(field.type, "text")
        if isinstance(node, nodes.Getattr) and not self.is_setting(node):
            return _PERSON_ATTRS.get(node.attr, ("", "text"))[1]
        if isinstance(node, nodes.Call) and isinstance(node.node, nodes.Name):
            name = node.node.name
            if name in _DATE_FUNCTIONS:
                return "date"
            if name == "sum" and len(node.args) == 2 and isinstance(node.args[0], nodes.Name):
                listed = self.d.fields.get(node.args[0].name)
                inner = node.args[1]
                if listed is not None and listed.columns and isinstance(inner, nodes.Const) \
                        and isinstance(inner.value, str) and inner.value in listed.columns:
                    return "money" if listed.columns[inner.value].type == "money" else "number"
            return "bool" if name in ("all", "any") else "set" if name == "roles_on" else "number"
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
        field = self.spec(name)
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
            if node.name == "today":
                return "hari ini"
            if node.name == "actor":
                return "yang mengambil langkah ini"
            if node.name == "nomor" and self.scopes:
                return "nomor baris"
            if node.name == "row" and self.scopes:
                return "baris itu"
            return self.label(node.name)
        if isinstance(node, nodes.Getattr) and not self.is_setting(node) and node.node is not None:
            if node.attr in _PERSON_ATTRS:
                return _PERSON_ATTRS[node.attr][0].format(self.term(node.node))
            if isinstance(node.node, nodes.Name) and node.node.name == "row" and self.column(node.attr):
                return self.label(node.attr)
            raise self.refuse(f"atribut '{node.attr}'")
        if isinstance(node, nodes.Call):
            return self.call(node)
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

    def call(self, node: nodes.Call) -> str:
        """A function's value in words."""
        name = node.node.name if isinstance(node.node, nodes.Name) else ""
        args = node.args
        if name == "count" and args:
            listed = self.term(args[0])
            if len(args) == 1:
                return f"banyaknya {listed}"
            assert isinstance(args[0], nodes.Name)
            return f"banyaknya {listed} yang {self.row_phrase(args[0].name, args[1], 'count')}"
        if name == "sum" and len(args) == 2 and isinstance(args[0], nodes.Name):
            return f"jumlah {self.row_phrase(args[0].name, args[1], 'sum')} dalam {self.term(args[0])}"
        if name in _DATE_FUNCTIONS and len(args) == 2:
            return f"{self.term(args[0], 'date')} ditambah {self.term(args[1], 'number')} {_DATE_FUNCTIONS[name]}"
        if name in ("months_between", "days_between") and len(args) == 2:
            unit = "bulan" if name == "months_between" else "hari"
            return (f"lamanya (dalam {unit}) dari {self.term(args[0], 'date')} sampai "
                    f"{self.term(args[1], 'date')}")
        if name == "roles_on" and args:
            when = f" pada {self.term(args[1], 'date')}" if len(args) > 1 else ""
            return f"jabatan {self.term(args[0])}{when}"
        if name == "members_on":
            when = self.term(args[0], "date") if args else "hari ini"
            return f"jumlah anggota dalam Buku Daftar Anggota pada {when}"
        if name == "holders" and args:
            role = args[0].value if isinstance(args[0], nodes.Const) else None
            when = f" pada {self.term(args[1], 'date')}" if len(args) > 1 else ""
            return f"jumlah pemegang jabatan {role_label(str(role)) if role else self.term(args[0])}{when}"
        raise self.refuse(f"fungsi '{name}'")

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
        if isinstance(node, nodes.Not) and isinstance(node.node, nodes.Call) \
                and isinstance(node.node.node, nodes.Name) and node.node.node.name == "any" \
                and len(node.node.args) == 2 and isinstance(node.node.args[0], nodes.Name):
            listed = self.term(node.node.args[0])
            return f"tidak ada {listed} yang {self.row_phrase(node.node.args[0].name, node.node.args[1], 'any')}"
        if isinstance(node, nodes.Not):
            return f"tidak benar bahwa {self.condition(node.node, nodes.Not)}"
        if isinstance(node, nodes.Call) and isinstance(node.node, nodes.Name) and node.node.name in ("all", "any") \
                and len(node.args) == 2 and isinstance(node.args[0], nodes.Name):
            listed = self.term(node.args[0])
            inner = self.row_phrase(node.args[0].name, node.args[1], node.node.name)
            return f"setiap baris {listed}: {inner}" if node.node.name == "all" else f"ada {listed} yang {inner}"
        if isinstance(node, nodes.Getattr) and node.attr == "anggota" and node.node is not None:
            return f"{self.term(node.node)} anggota koperasi"
        if isinstance(node, nodes.Compare) and len(node.ops) == 1 and node.ops[0].op in ("in", "notin") \
                and self.kind(node.ops[0].expr) == "set" and isinstance(node.expr, nodes.Const):
            target = node.ops[0].expr
            holder = target.node if isinstance(target, nodes.Getattr) else target.args[0] \
                if isinstance(target, nodes.Call) and target.args else None
            if holder is None:
                raise self.refuse("jabatan")
            when = ""
            if isinstance(target, nodes.Call) and len(target.args) > 1:
                when = f" pada {self.term(target.args[1], 'date')}"
            verb = "memegang" if node.ops[0].op == "in" else "tidak memegang"
            return f"{self.term(holder)} {verb} jabatan {role_label(str(node.expr.value))}{when}"
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


def phrase_guard(expression: str, d: Definition, settings: Mapping[str, Any] | None = None,
                 for_each: str | None = None) -> str:
    """The guard as a clause ("jumlah di atas Rp 500.000"); GuardError when it cannot be phrased.

    ``settings``: the cooperative's values (the definition's defaults where one is missing).
    ``for_each``: the list field whose rows the guard reads (a rule's ``for_each``).
    """
    return _Phraser(expression, d, settings or {}, for_each).condition(parse_guard(expression))


def phrase_clauses(expression: str, d: Definition, settings: Mapping[str, Any] | None = None,
                   for_each: str | None = None) -> list[tuple[nodes.Expr, str]]:
    """The guard's top-level ``and`` clauses: (expression, words) each, for naming the one that fails
    (evaluate a clause with :func:`engine.domain.definitions.expr.evaluate_clause`)."""
    root = parse_guard(expression)
    parts: list[nodes.Expr] = []

    def split(node: nodes.Expr) -> None:
        if isinstance(node, nodes.And):
            split(node.left)
            split(node.right)
        else:
            parts.append(node)

    split(root)
    phraser = _Phraser(expression, d, settings or {}, for_each)
    return [(part, phraser.condition(part)) for part in parts]


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
