"""Figures the RAPB states a rule for must follow the rule: rate × base, count × amount.

A line's Keterangan may state how its figure is made; then the figure is checked against it
(the document never prints a figure that contradicts its own label):

* ``R% dari DASAR`` (also ``R% per tahun dari DASAR``): in each of the three columns the figure
  must be R% of the base in the same column, within :data:`RATE_TOLERANCE` (rounding). DASAR
  is ``omzet`` (also ``omset``, ``pendapatan``, ``jumlah pendapatan``: the Jumlah Pendapatan (A))
  or the Uraian of another line, written exactly (case and spacing aside). An unknown base is
  an error: the rule cannot be checked, so it cannot be printed as if it held.
* ``N … × Rp X`` (``×``, ``x`` or ``*``; more factors allowed, e.g. ``400 anggota × Rp 10.000 ×
  12 bulan``): the Rencana figure must equal the product exactly.

The monthly cash projection (G) is not checked this way. A rule marked as an estimate (``±``, ``~``,
``sekitar``, ``kira-kira``, ``kurang lebih``) is not checked.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Protocol

from engine.domain.rupiah import RupiahError, format_rp, parse_rupiah

__all__ = ["CASH_SECTIONS", "OMZET_WORDS", "RATE_TOLERANCE", "LineProblem", "line_problems"]

#: The stored sections of the monthly cash projection (G).
CASH_SECTIONS = ("GS", "GM", "GK")


class Line(Protocol):
    """What the checks read of an RAPB line (:class:`engine.domain.budget.Line`)."""

    @property
    def section(self) -> str: ...
    @property
    def uraian(self) -> str: ...
    @property
    def realisasi(self) -> int | None: ...
    @property
    def anggaran(self) -> int | None: ...
    @property
    def rencana(self) -> int | None: ...
    @property
    def keterangan(self) -> str | None: ...

#: The largest difference (rupiah) between a figure and rate × base that still counts as rounding.
RATE_TOLERANCE = 1_000
#: Bases that mean the Jumlah Pendapatan (A) of the same column.
OMZET_WORDS = frozenset({"omzet", "omset", "omzet usaha", "pendapatan", "jumlah pendapatan", "total pendapatan",
                         "peredaran bruto", "omzet (jumlah pendapatan)"})
_COLUMNS = ("realisasi", "anggaran", "rencana")
_RATE = re.compile(r"(?P<rate>\d+(?:[.,]\d+)?)\s*%\s*(?:per\s*tahun\s*|setahun\s*|p\.?\s*a\.?\s*)?dari\s+(?P<base>.+)$",
                   re.IGNORECASE)
_ESTIMATE = re.compile(r"±|~|\bsekitar\b|\bkira|\bkurang lebih\b|\bperkiraan\b", re.IGNORECASE)
_TIMES = re.compile(r"\s*(?:×|\*|(?<=[\s\d])x(?=[\s\d]))\s*", re.IGNORECASE)
_NUMBER = re.compile(r"(?:rp\.?\s*|idr\s*)?(\d[\d.]*\d|\d)", re.IGNORECASE)


@dataclass(frozen=True)
class LineProblem:
    """A figure that contradicts the rule its Keterangan states: line index, column, why."""

    index: int
    column: str
    message: str


def _norm(text: str) -> str:
    return " ".join(text.lower().split()).strip(" .;:)(")


def _percent(text: str) -> str:
    return text.replace(".", ",")


def _amount(line: Line, column: str) -> int | None:
    value: int | None = getattr(line, column)
    return value


def _rate_problems(index: int, line: Line, match: re.Match[str], lines: Sequence[Line]) -> list[LineProblem]:
    rate = Decimal(match.group("rate").replace(",", "."))
    base_text = _norm(match.group("base"))
    if base_text in OMZET_WORDS:
        base_lines = [x for x in lines if x.section == "A"]
        base_name = "omzet (Jumlah Pendapatan A)"
    else:
        base_lines = [x for i, x in enumerate(lines)
                      if i != index and x.section not in CASH_SECTIONS and _norm(x.uraian) == base_text]
        base_name = f"'{match.group('base').strip()}'"
        if not base_lines:
            return [LineProblem(index, "keterangan", (
                f"menyebut '{match.group(0).strip()}', tetapi '{match.group('base').strip()}' bukan dasar yang "
                "dikenal; tulis 'dari omzet' atau uraian baris lain persis sama, supaya angkanya dapat diperiksa"))]
    problems: list[LineProblem] = []
    for column in _COLUMNS:
        base = sum(_amount(x, column) or 0 for x in base_lines)
        expected = int((Decimal(base) * rate / 100).to_integral_value(rounding=ROUND_HALF_UP))
        typed = _amount(line, column)
        if typed is None and expected == 0:
            continue
        if abs((typed or 0) - expected) > RATE_TOLERANCE:
            shown = "kosong" if typed is None else format_rp(typed)
            problems.append(LineProblem(index, column, (
                f"tertulis '{_percent(match.group('rate'))}% dari {match.group('base').strip()}': "
                f"{_percent(match.group('rate'))}% × {base_name} {format_rp(base)} = {format_rp(expected)}, "
                f"bukan {shown}")))
    return problems


def _product_problem(index: int, line: Line, text: str) -> LineProblem | None:
    factors = _TIMES.split(text)
    if len(factors) < 2:
        return None
    numbers: list[int] = []
    for factor in factors:
        found = _NUMBER.search(factor)
        if found is None:
            return None
        try:
            numbers.append(parse_rupiah(found.group(0)))
        except RupiahError:
            return None
    expected = 1
    for n in numbers:
        expected *= n
    if line.rencana != expected:
        shown = "kosong" if line.rencana is None else format_rp(line.rencana)
        return LineProblem(index, "rencana", f"tertulis '{text.strip()}' = {format_rp(expected)}, bukan {shown}")
    return None


def line_problems(lines: Sequence[Line]) -> list[LineProblem]:
    """Every figure (line index, column) that contradicts the rule stated in its Keterangan."""
    problems: list[LineProblem] = []
    for index, line in enumerate(lines):
        text = line.keterangan or ""
        if not text or line.section in CASH_SECTIONS or _ESTIMATE.search(text):
            continue
        match = _RATE.search(text)
        if match is not None:
            problems.extend(_rate_problems(index, line, match, lines))
        elif "%" not in text:
            product = _product_problem(index, line, text)
            if product is not None:
                problems.append(product)
    return problems
