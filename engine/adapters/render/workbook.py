"""RAPB and Rencana Kerja in an Excel workbook laid out the way a bendahara keeps it.

One sheet per part, a title on top and a header row with Indonesian column names:

* ``Pendapatan``: No | Unit Usaha | Uraian | Realisasi <Y-2> | Anggaran <Y-1> | Rencana <Y> | Keterangan
* ``Biaya``: No | Kelompok (B1 unit usaha, B2 organisasi, B3 bunga, B4 pajak) | Unit Usaha | Uraian | ...
* ``Investasi`` and ``Sumber Dana``: No | Uraian | Realisasi | Anggaran | Rencana | Keterangan
* ``Permodalan`` (F): No | Jenis Modal | Uraian | Realisasi | Anggaran | Rencana | Keterangan
* ``Arus Kas`` (G): No | Arus (Saldo awal, Masuk, Keluar) | Uraian | Jan … Des | Jumlah | Keterangan
* ``Rencana Kerja``: No | Bidang | Program | Kegiatan | Target | Waktu | Penanggung Jawab

Blank Unit/Jenis Modal/Kelompok/Arus/Bidang cells repeat the row above (grouped layouts).
Amounts are read by :func:`engine.domain.rupiah.parse_rupiah`. No row is dropped silently: a
row whose Uraian starts with "Jumlah", "Total" or "Subtotal" is a sum and must equal the lines
above it (else it is named and the import refused); a row with figures or notes but no Uraian
(or Kegiatan) is named. A figure that contradicts the rule its Keterangan states ("0,5% dari
omzet", "150 anggota × Rp 100.000": ``budget_checks``) is named at its cell. Every problem is
reported as ``Sheet 'Pendapatan', sel D7: 'satu juta' bukan angka rupiah`` or ``Sheet
'Pendapatan', baris 15: …`` (the first fifty, then how many more). An upload is checked before it is
opened and read streaming, within caps on its
size, rows, columns and cells (``xlsx_guard``): a RAPB has at most :data:`MAX_LINES` lines.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from engine.adapters.render.xlsx_guard import Caps, CheckedWorkbook, check_size, count, open_checked
from engine.domain.budget import (
    BIDANG,
    DEFAULT_PEMBAGIAN_SHU,
    MONTHS,
    SECTIONS,
    BudgetData,
    Line,
    PlanItem,
    share_label,
)
from engine.domain.budget_checks import line_problems
from engine.domain.limits import text_problem
from engine.domain.rupiah import RupiahError, format_rp, parse_rupiah
from engine.errors import FieldProblem, PayloadTooLargeError, ValidationError
from engine.settings import Settings

__all__ = [
    "EXAMPLE_WORKBOOK",
    "MAX_LINES",
    "WorkbookError",
    "example_budget",
    "read_workbook",
    "write_example_workbook",
    "write_workbook",
]

#: The example workbook shipped with the package (``tatakelola doc budget-export`` writes the same layout).
EXAMPLE_WORKBOOK = Path(__file__).resolve().parent / "contoh_rapb.xlsx"

_SUM_RE = re.compile(r"^\s*(jumlah|total|sub\s*-?\s*total)\b", re.IGNORECASE)
_MAX_MONEY = 10**15
_HEADER_SCAN_ROWS = 15
#: Rows with data one sheet may have, and lines (or Rencana Kerja items) one RAPB may have: a KKMP's
#: RAPB has tens to a few hundred lines; a thousand prints on some 25 pages.
MAX_LINES = 1_000
#: Columns one sheet may use (the layout has 7 or 8, a few more for the bendahara's own notes).
MAX_COLUMNS = 30
#: Cells with content one sheet may hold.
MAX_CELLS = 30_000
#: Bad cells named before the list stops with "…dan N masalah lain".
MAX_PROBLEMS = 50
_MB = 1024 * 1024
#: The limits of an upload when the caller gives none (the settings' defaults).
DEFAULT_MAX_BYTES = int(float(Settings.model_fields["max_workbook_mb"].default) * _MB)
DEFAULT_MAX_UNPACKED = int(float(Settings.model_fields["max_workbook_unpacked_mb"].default) * _MB)


class WorkbookError(ValidationError):
    """The workbook has bad cells; one problem per cell, nothing was imported."""


@dataclass(frozen=True)
class _Sheet:
    title: str
    aliases: tuple[str, ...]
    required: bool
    anchor: str  # a header that identifies the header row


_PENDAPATAN = _Sheet("Pendapatan", ("pendapatan", "a pendapatan"), True, "uraian")
_BIAYA = _Sheet("Biaya", ("biaya", "b biaya", "belanja"), True, "uraian")
_INVESTASI = _Sheet("Investasi", ("investasi", "e investasi", "belanja modal"), False, "uraian")
_SUMBER = _Sheet("Sumber Dana", ("sumber dana", "sumberdana", "sumber_dana", "f sumber dana"), False, "uraian")
_PERMODALAN = _Sheet("Permodalan", ("permodalan", "f permodalan", "rencana permodalan", "modal"), False,
                     "uraian")
_RK = _Sheet("Rencana Kerja", ("rencana kerja", "rk", "program kerja"), False, "program")


def _norm(text: Any) -> str:
    return re.sub(r"[\s_.:]+", " ", str(text or "")).strip().lower()


def _ref(column: int, row: int) -> str:
    return f"{get_column_letter(column)}{row}"


@dataclass(frozen=True)
class _Data:
    """One sheet as read: its rows of values (within the extent the guard found) and its unsaved formulas."""

    title: str
    rows: list[tuple[Any, ...]]
    unsaved: frozenset[str]

    def value(self, row: int, column: int | None) -> Any:
        if column is None or not 1 <= row <= len(self.rows):
            return None
        values = self.rows[row - 1]
        return values[column - 1] if column <= len(values) else None


class _Reader:
    def __init__(self, book: CheckedWorkbook, year: int) -> None:
        self.book = book
        self.year = year
        self.problems: list[FieldProblem] = []
        self.more = 0

    @property
    def count(self) -> int:
        return len(self.problems) + self.more

    def add(self, problem: FieldProblem) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(problem)
        else:
            self.more += 1

    def problem(self, sheet: str, ref: str, message: str) -> None:
        """A problem at a cell (``D7``) or a whole row (``baris 7``)."""
        where = ref if ref.startswith("baris ") else f"sel {ref}"
        self.add(FieldProblem(f"Sheet '{sheet}', {where}", message))

    def listed(self) -> list[FieldProblem]:
        """The problems to show: the first :data:`MAX_PROBLEMS`, then how many more."""
        if not self.more:
            return list(self.problems)
        return [*self.problems, FieldProblem(f"…dan {self.more} masalah lain",
                                             "perbaiki yang di atas, lalu impor lagi untuk melihatnya")]

    def sheet(self, spec: _Sheet) -> _Data | None:
        for name in self.book.sheetnames:
            if _norm(name) in spec.aliases:
                return _Data(name, self.book.rows(name), self.book.scan(name).unsaved_formulas)
        if spec.required:
            names = ", ".join(f"'{n}'" for n in self.book.sheetnames)
            self.add(FieldProblem(f"Sheet '{spec.title}'", f"tidak ada di berkas (yang ada: {names})"))
        return None

    def header(self, ws: _Data, spec: _Sheet) -> tuple[int, dict[str, int]] | None:
        for number, row in enumerate(ws.rows[:_HEADER_SCAN_ROWS], start=1):
            names = {_norm(v): column for column, v in enumerate(row, start=1) if v is not None}
            if spec.anchor in names:
                columns: dict[str, int] = {}
                for column, value in enumerate(row, start=1):
                    key = self._column_key(spec, ws.title, _ref(column, number), value)
                    if key and key not in columns:
                        columns[key] = column
                return number, columns
        self.problem(ws.title, "A1", f"baris judul kolom tidak ditemukan (cari kolom '{spec.anchor.capitalize()}' "
                                     f"di {_HEADER_SCAN_ROWS} baris pertama)")
        return None

    def _column_key(self, spec: _Sheet, sheet: str, ref: str, value: Any) -> str | None:
        text = _norm(value)
        if not text:
            return None
        if spec is _RK:
            for key, starts in (("bidang", ("bidang",)), ("program", ("program",)), ("kegiatan", ("kegiatan",)),
                                ("target", ("target", "sasaran")), ("waktu", ("waktu", "jadwal")),
                                ("penanggung_jawab", ("penanggung", "pj", "pelaksana"))):
                if text.startswith(starts):
                    return key
            return None
        for key, starts in (("unit", ("unit", "jenis modal")), ("kelompok", ("kelompok", "pos ", "jenis biaya")),
                            ("uraian", ("uraian", "rincian")), ("keterangan", ("keterangan", "ket"))):
            if text.startswith(starts) or text == starts[0].strip():
                return key
        expected = {"realisasi": self.year - 2, "anggaran": self.year - 1, "rencana": self.year}
        for key, year in expected.items():
            if text.startswith(key):
                found = re.search(r"\b(19|20)\d{2}\b", text)
                if found and int(found.group(0)) != year:
                    self.problem(sheet, ref, f"judul kolom '{value}' tidak sesuai: untuk RAPB {self.year} kolom {key} "
                                             f"adalah tahun {year}")
                return key
        return None

    def money(self, ws: _Data, ref: str, value: Any) -> int | None:
        sheet = ws.title
        if value is None:
            if ref in ws.unsaved:
                self.problem(sheet, ref, "berisi rumus tanpa nilai tersimpan; buka dan simpan ulang berkas di "
                                         "Excel/LibreOffice, atau tulis angkanya")
            return None
        if isinstance(value, bool):
            self.problem(sheet, ref, f"'{value}' bukan angka rupiah")
            return None
        if isinstance(value, datetime | date):
            self.problem(sheet, ref, "berisi tanggal, bukan angka rupiah")
            return None
        if isinstance(value, int | float):
            if isinstance(value, float) and not value.is_integer():
                self.problem(sheet, ref, f"'{value}' bukan rupiah utuh (tanpa sen)")
                return None
            amount = int(value)
        else:
            text = " ".join(str(value).replace("\u00a0", " ").split())
            if text in ("", "-", "—", "–"):
                return None
            try:
                amount = parse_rupiah(str(value))
            except RupiahError as error:
                self.problem(sheet, ref, str(error))
                return None
        if amount < 0:
            self.problem(sheet, ref, f"'{value}' negatif; tulis biaya di sheet Biaya, bukan sebagai angka minus")
            return None
        if amount > _MAX_MONEY:
            self.problem(sheet, ref, f"'{value}' di luar batas wajar")
            return None
        return amount

    def refused_text(self, sheet: str, cells: dict[str, tuple[str | None, int]]) -> bool:
        """Name every cell whose text cannot be stored (control characters, over its column's length)."""
        refused = False
        for ref, (value, most) in cells.items():
            wrong = text_problem(value, max_length=most) if value else None
            if wrong:
                self.problem(sheet, ref, wrong)
                refused = True
        return refused

    @staticmethod
    def text(value: Any) -> str | None:
        if value is None:
            return None
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        text = " ".join(str(value).split())
        return text or None


def _section_of(text: str) -> str | None:
    norm = _norm(text)
    code = norm.split(" ")[0].upper()
    if code in ("B1", "B2", "B3", "B4"):
        return code
    for needle, section in (("unit", "B1"), ("usaha", "B1"), ("organisasi", "B2"), ("bunga", "B3"),
                            ("pajak", "B4")):
        if needle in norm:
            return section
    return None


def _bidang_of(text: str) -> str | None:
    norm = _norm(text)
    if norm.startswith(("1", "organisasi", "kelembagaan")):
        return "organisasi"
    if norm.startswith(("2", "usaha")):
        return "usaha"
    if norm.startswith(("3", "keuangan", "permodalan", "modal")):
        return "keuangan"
    return None


_AMOUNTS = ("realisasi", "anggaran", "rencana")


@dataclass
class _Origin:
    """Where a line came from: its sheet, row and the cell of each column (for messages per cell)."""

    sheet: str
    row: int
    refs: dict[str, str]


class _Sums:
    """The lines one sheet gave so far, to check a row labelled Jumlah/Total/Subtotal against.

    A sum row is taken as a check, not as a line: each figure it has must equal the sum of the
    lines since the previous sum row, of its unit, of its kelompok, or of the whole sheet so far.
    """

    def __init__(self) -> None:
        self.lines: list[Line] = []
        self.since = 0

    def candidates(self, unit: str | None, section: str | None) -> list[list[Line]]:
        return [self.lines[self.since:], [x for x in self.lines if x.unit == unit],
                [x for x in self.lines if x.section == section], self.lines]

    def matches(self, amounts: dict[str, int | None], unit: str | None, section: str | None) -> bool:
        filled = {k: v for k, v in amounts.items() if v is not None}
        if not filled:
            return True  # a label (or formulas without saved values): nothing to lose
        return any(all(sum(getattr(x, k) or 0 for x in group) == v for k, v in filled.items())
                   for group in self.candidates(unit, section) if group)


def _read_lines(reader: _Reader, spec: _Sheet, section: str | None, lines: list[Line],
                origins: list[_Origin]) -> None:
    ws = reader.sheet(spec)
    if ws is None:
        return
    header = reader.header(ws, spec)
    if header is None:
        return
    header_row, columns = header
    needed = ["uraian", *_AMOUNTS] + (["kelompok"] if section is None else [])
    missing = [c for c in needed if c not in columns]
    if missing:
        for name in missing:
            reader.problem(ws.title, f"A{header_row}", f"kolom '{name.capitalize()}' tidak ada di baris judul")
        return
    carry_unit: str | None = None
    carry_section: str | None = None
    sums = _Sums()
    for row in range(header_row + 1, len(ws.rows) + 1):
        def value(key: str, row: int = row) -> Any:
            return ws.value(row, columns.get(key))

        def ref(key: str, row: int = row) -> str:
            return _ref(columns[key], row)

        uraian = reader.text(value("uraian"))
        unit = reader.text(value("unit"))
        group = reader.text(value("kelompok"))
        keterangan = reader.text(value("keterangan"))
        if reader.refused_text(ws.title, {ref(key): (reader.text(value(key)), 10**6)  # lengths: below, as before
                                          for key in ("uraian", "unit", "keterangan") if key in columns}):
            continue
        is_sum = bool(uraian and _SUM_RE.match(uraian))
        amounts = {key: None if is_sum and ref(key) in ws.unsaved else reader.money(ws, ref(key), value(key))
                   for key in _AMOUNTS}  # a sum's formula without a saved value is just a label
        if uraian and is_sum:
            if not sums.matches(amounts, unit or carry_unit, _section_of(group) if group else carry_section):
                reader.problem(ws.title, f"baris {row}", (
                    f"'{uraian[:60]}' diawali '{_SUM_RE.match(uraian).group(1)}' sehingga dibaca sebagai baris "  # type: ignore[union-attr]
                    "jumlah, tetapi angkanya bukan jumlah baris di atasnya; jika ini baris anggaran, ubah "
                    "uraiannya (misalnya 'Penjualan …'); jika baris jumlah, perbaiki angkanya"))
            sums.since = len(sums.lines)
            continue
        if not uraian:
            if any(v is not None for v in amounts.values()):
                reader.problem(ws.title, ref("uraian"), "uraian kosong padahal baris ini berisi angka")
            elif keterangan:
                reader.problem(ws.title, ref("uraian"), f"uraian kosong padahal baris ini berisi keterangan "
                                                        f"'{keterangan[:40]}'; isi uraiannya atau hapus baris")
            if unit:
                carry_unit = unit
            if group:
                code_of_group = _section_of(group)
                if code_of_group is None:
                    reader.problem(ws.title, ref("kelompok"), f"kelompok '{group[:60]}' tidak dikenal; pilih B1 "
                                                             "Biaya unit usaha, B2 Biaya organisasi, B3 Biaya bunga "
                                                             "atau B4 Pajak")
                carry_section = code_of_group or carry_section
            continue
        if unit:
            carry_unit = unit
        code = section
        if section is None:
            if group:
                code = _section_of(group)
                if code is None:
                    reader.problem(ws.title, ref("kelompok"), f"kelompok '{group[:60]}' tidak dikenal; pilih B1 Biaya "
                                                             "unit usaha, B2 Biaya organisasi, B3 Biaya bunga atau "
                                                             "B4 Pajak")
                    continue
                carry_section = code
            elif carry_section is None:
                reader.problem(ws.title, ref("kelompok"), "kelompok biaya kosong; isi B1, B2, B3 atau B4")
                continue
            else:
                code = carry_section
        assert code is not None
        if len(uraian) > 300:
            reader.problem(ws.title, ref("uraian"), "uraian terlalu panjang (maksimal 300 huruf)")
            continue
        use_unit = carry_unit if code in ("A", "B1", "M") else unit
        line = Line(code, (use_unit or None) and str(use_unit)[:120], uraian, amounts["realisasi"],
                    amounts["anggaran"], amounts["rencana"], keterangan[:500] if keterangan else None)
        lines.append(line)
        sums.lines.append(line)
        origins.append(_Origin(ws.title, row, {key: ref(key) for key in (*_AMOUNTS, "uraian", "keterangan")
                                               if key in columns}))


_MONTH_PREFIXES = (("jan",), ("feb", "peb"), ("mar",), ("apr",), ("mei", "may"), ("jun",), ("jul",),
                   ("agu", "agt", "ags", "aug"), ("sep",), ("okt", "oct"), ("nov", "nop"), ("des", "dec"))
_FLOWS = {"saldo awal": "GS", "saldo": "GS", "masuk": "GM", "kas masuk": "GM", "penerimaan": "GM",
          "keluar": "GK", "kas keluar": "GK", "pengeluaran": "GK"}
_ARUS_KAS = _Sheet("Arus Kas", ("arus kas", "g arus kas", "proyeksi arus kas", "arus kas bulanan"), False, "uraian")


def _flow_of(text: str) -> str | None:
    norm = _norm(text)
    if norm[:1] in ("1", "2", "3") and " " in norm:
        norm = norm.split(" ", 1)[1]
    return _FLOWS.get(norm)


def _read_cash(reader: _Reader, lines: list[Line], origins: list[_Origin]) -> None:
    """G. Arus Kas: No | Arus (Saldo awal, Masuk, Keluar) | Uraian | Jan … Des | Jumlah | Keterangan."""
    ws = reader.sheet(_ARUS_KAS)
    if ws is None:
        return
    found = None
    for number, row_values in enumerate(ws.rows[:_HEADER_SCAN_ROWS], start=1):
        names = [_norm(v) for v in row_values]
        if "uraian" in names:
            found = number, names
            break
    if found is None:
        reader.problem(ws.title, "A1", f"baris judul kolom tidak ditemukan (cari kolom 'Uraian' di "
                                       f"{_HEADER_SCAN_ROWS} baris pertama)")
        return
    header_row, names = found
    columns: dict[str, int] = {}
    for column, name in enumerate(names, start=1):
        if not name:
            continue
        for month, prefixes in enumerate(_MONTH_PREFIXES, start=1):
            if name.startswith(prefixes):
                columns.setdefault(f"m{month}", column)
        for key in ("arus", "uraian", "jumlah", "keterangan"):
            if name.startswith(key) or (key == "arus" and name.startswith("jenis")):
                columns.setdefault(key, column)
    missing = [n for n in ("arus", "uraian") if n not in columns]
    missing += [MONTHS[m - 1] for m in range(1, 13) if f"m{m}" not in columns]
    if missing:
        reader.problem(ws.title, f"A{header_row}", f"kolom {', '.join(repr(n) for n in missing)} tidak ada di baris "
                                                   "judul")
        return
    carry: str | None = None
    for row in range(header_row + 1, len(ws.rows) + 1):
        def ref(key: str, row: int = row) -> str:
            return _ref(columns[key], row)

        arus_text = reader.text(ws.value(row, columns["arus"]))
        uraian = reader.text(ws.value(row, columns["uraian"]))
        keterangan = reader.text(ws.value(row, columns.get("keterangan")))
        most = {"uraian": 300, "keterangan": 500}
        if reader.refused_text(ws.title, {ref(k): (reader.text(ws.value(row, columns[k])), most[k])
                                          for k in most if k in columns}):
            continue
        months = [reader.money(ws, ref(f"m{m}"), ws.value(row, columns[f"m{m}"])) for m in range(1, 13)]
        stated = (reader.money(ws, ref("jumlah"), ws.value(row, columns["jumlah"]))
                  if "jumlah" in columns and ref("jumlah") not in ws.unsaved else None)
        if arus_text:
            flow = _flow_of(arus_text)
            if flow is None:
                reader.problem(ws.title, ref("arus"), f"arus '{arus_text[:40]}' tidak dikenal; tulis Saldo awal, "
                                                      "Masuk atau Keluar")
                continue
            carry = flow
        filled = [m for m in months if m is not None]
        if uraian and _SUM_RE.match(uraian):
            continue_ok = True
            if filled:
                taken = [x for x in lines if x.section == carry]
                for m, v in enumerate(months, start=1):
                    if v is not None and v != sum(x.rencana or 0 for x in taken if x.unit == f"{m:02d}"):
                        continue_ok = False
            if not continue_ok:
                reader.problem(ws.title, f"baris {row}", f"'{uraian[:60]}' dibaca sebagai baris jumlah, tetapi "
                                                         "angkanya bukan jumlah baris di atasnya; ubah uraiannya "
                                                         "atau perbaiki angkanya")
            continue
        if not uraian:
            if filled or keterangan or stated is not None:
                reader.problem(ws.title, ref("uraian"), "uraian kosong padahal baris ini berisi angka atau keterangan")
            continue
        if carry is None:
            reader.problem(ws.title, ref("arus"), "arus kosong; tulis Saldo awal, Masuk atau Keluar")
            continue
        if stated is not None and stated != sum(filled):
            reader.problem(ws.title, ref("jumlah"), f"jumlah {format_rp(stated)} tidak sama dengan jumlah bulan "
                                                    f"Jan–Des {format_rp(sum(filled))}")
            continue
        if carry == "GS":
            if any(v is not None for v in months[1:]):
                reader.problem(ws.title, ref("m2"), "saldo awal kas diisi hanya di kolom Jan (awal tahun)")
                continue
            lines.append(Line("GS", None, uraian, None, None, months[0], keterangan))
            origins.append(_Origin(ws.title, row, {"rencana": ref("m1")}))
            continue
        if not filled:
            reader.problem(ws.title, ref("m1"), f"'{uraian[:60]}' tanpa angka di bulan mana pun; isi angkanya atau "
                                                "hapus baris")
            continue
        for m, v in enumerate(months, start=1):
            if v is not None:
                lines.append(Line(carry, f"{m:02d}", uraian, None, None, v, keterangan))
                origins.append(_Origin(ws.title, row, {"rencana": ref(f"m{m}")}))


def _read_plan(reader: _Reader, plan: list[PlanItem]) -> None:
    ws = reader.sheet(_RK)
    if ws is None:
        return
    header = reader.header(ws, _RK)
    if header is None:
        return
    header_row, columns = header
    for name in ("bidang", "program", "kegiatan"):
        if name not in columns:
            reader.problem(ws.title, f"A{header_row}", f"kolom '{name.capitalize()}' tidak ada di baris judul")
    if any(name not in columns for name in ("bidang", "program", "kegiatan")):
        return
    carry_bidang: str | None = None
    carry_program: str | None = None
    for row in range(header_row + 1, len(ws.rows) + 1):
        def text(key: str, row: int = row) -> str | None:
            return _Reader.text(ws.value(row, columns.get(key)))

        bidang_text, program, kegiatan = text("bidang"), text("program"), text("kegiatan")
        limits = {"program": 10**6, "kegiatan": 10**6, "target": 300, "waktu": 120, "penanggung_jawab": 200}
        if reader.refused_text(ws.title, {_ref(columns[key], row): (text(key), most) for key, most in limits.items()
                                          if key in columns}):
            continue
        if bidang_text:
            bidang = _bidang_of(bidang_text)
            if bidang is None:
                reader.problem(ws.title, _ref(columns["bidang"], row), f"bidang '{bidang_text[:60]}' tidak dikenal; "
                                                                       "pilih 1 Organisasi dan Kelembagaan, 2 Usaha, "
                                                                       "atau 3 Keuangan dan Permodalan")
                continue
            carry_bidang = bidang
        if program:
            carry_program = program
        if not kegiatan:
            rest = [key for key in ("target", "waktu", "penanggung_jawab") if text(key)]
            if rest:
                reader.problem(ws.title, _ref(columns["kegiatan"], row), "kegiatan kosong padahal baris ini berisi "
                                                                         f"{rest[0].replace('_', ' ')}; isi "
                                                                         "kegiatannya atau hapus baris")
            continue
        if carry_bidang is None:
            reader.problem(ws.title, _ref(columns["bidang"], row), "bidang kosong")
            continue
        if carry_program is None:
            reader.problem(ws.title, _ref(columns["program"], row), "program kosong")
            continue
        plan.append(PlanItem(carry_bidang, carry_program[:300], kegiatan[:500], text("target"), text("waktu"),
                             text("penanggung_jawab")))


def _caps(max_bytes: int, max_unpacked: int) -> Caps:
    return Caps(subject="RAPB", noun="baris per sheet", max_bytes=max_bytes, max_unpacked=max_unpacked,
                max_rows=MAX_LINES, max_columns=MAX_COLUMNS, max_cells=MAX_CELLS, header_rows=_HEADER_SCAN_ROWS,
                unreadable=WorkbookError)


def _too_many(what: str, found: int, most: int) -> PayloadTooLargeError:
    return PayloadTooLargeError([FieldProblem("Berkas", f"memuat {count(found)} {what}; paling banyak {count(most)} "
                                                        f"{what} per RAPB (RAPB koperasi biasanya puluhan sampai "
                                                        "beberapa ratus baris)")],
                                headline="Berkas RAPB terlalu besar:")


def read_workbook(source: Path | bytes, year: int, *, max_bytes: int = DEFAULT_MAX_BYTES,
                  max_unpacked: int = DEFAULT_MAX_UNPACKED) -> BudgetData:
    """Read RAPB lines and Rencana Kerja items for ``year``; raise WorkbookError listing every bad cell.

    The workbook is checked before it is opened and streamed read-only (``xlsx_guard``): at most
    ``max_bytes`` as a file and ``max_unpacked`` unpacked, :data:`MAX_LINES` rows in a sheet and
    lines in the RAPB, :data:`MAX_COLUMNS` columns and :data:`MAX_CELLS` cells in a sheet
    (PayloadTooLargeError otherwise). At most :data:`MAX_PROBLEMS` bad cells are listed, then
    how many more.
    """
    caps = _caps(max_bytes, max_unpacked)
    if isinstance(source, bytes):
        data = source
    else:
        check_size(Path(source).stat().st_size, caps)  # a file over the limit is never read
        data = Path(source).read_bytes()
    with open_checked(data, caps) as book:
        reader = _Reader(book, year)
        lines: list[Line] = []
        origins: list[_Origin] = []
        _read_lines(reader, _PENDAPATAN, "A", lines, origins)
        _read_lines(reader, _BIAYA, None, lines, origins)
        _read_lines(reader, _INVESTASI, "E", lines, origins)
        _read_lines(reader, _SUMBER, "F", lines, origins)
        _read_lines(reader, _PERMODALAN, "M", lines, origins)
        _read_cash(reader, lines, origins)
        plan: list[PlanItem] = []
        _read_plan(reader, plan)
    for found in line_problems(lines) if not reader.count else ():  # after the cells parse: a figure that
        origin = origins[found.index]                                # contradicts the rule its Keterangan states
        reader.problem(origin.sheet, origin.refs.get(found.column, f"baris {origin.row}"), found.message)
    if len(lines) > MAX_LINES:
        raise _too_many("baris anggaran", len(lines), MAX_LINES)
    if len(plan) > MAX_LINES:
        raise _too_many("butir rencana kerja", len(plan), MAX_LINES)
    if not reader.count and not [x for x in lines if x.section == "A"]:
        reader.add(FieldProblem("Sheet 'Pendapatan'", "belum ada baris pendapatan"))
    if reader.count:
        raise WorkbookError(reader.listed(), headline=f"Buku kerja RAPB {year} belum dapat diimpor "
                                                      f"({reader.count} masalah):")
    order = {code: i for i, code in enumerate(SECTIONS)}
    lines.sort(key=lambda x: order[x.section])
    return BudgetData(year, tuple(lines), tuple(plan))


# -- writing -------------------------------------------------------------------------------

_THIN = Side(style="thin", color="000000")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEAD_FILL = PatternFill("solid", fgColor="E8E8E8")
_SUM_FILL = PatternFill("solid", fgColor="F4F4F4")
_MONEY_FORMAT = "#,##0"


def _title(ws: Worksheet, coop_name: str, year: int, subtitle: str) -> None:
    ws["A1"] = f"RAPB {coop_name} Tahun Anggaran {year}"
    ws["A1"].font = Font(bold=True, size=12)
    ws["A2"] = subtitle
    ws["A2"].font = Font(bold=True)


def _header(ws: Worksheet, row: int, names: Sequence[str], widths: Sequence[float]) -> None:
    for column, (name, width) in enumerate(zip(names, widths, strict=True), start=1):
        cell = ws.cell(row=row, column=column, value=name)
        cell.font = Font(bold=True)
        cell.fill = _HEAD_FILL
        cell.border = _BORDER
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        ws.column_dimensions[get_column_letter(column)].width = width
    ws.freeze_panes = ws.cell(row=row + 1, column=1)


def _money_columns(year: int) -> list[str]:
    return [f"Realisasi {year - 2}", f"Anggaran {year - 1}", f"Rencana {year}"]


def _write_lines(ws: Worksheet, lines: Sequence[Line], prefix: Sequence[Callable[[Line], Any]],
                 first_money: int, start: int) -> int:
    row = start
    for number, line in enumerate(lines, start=1):
        values: list[Any] = [number, *(f(line) for f in prefix), line.realisasi, line.anggaran, line.rencana,
                             line.keterangan]
        for column, value in enumerate(values, start=1):
            cell = ws.cell(row=row, column=column, value=value)
            cell.border = _BORDER
            cell.alignment = Alignment(vertical="top", wrap_text=column not in range(first_money, first_money + 3))
            if first_money <= column < first_money + 3:
                cell.number_format = _MONEY_FORMAT
        row += 1
    label_column = first_money - 1
    ws.cell(row=row, column=label_column, value="Jumlah").font = Font(bold=True)
    for column in range(1, first_money + 4):
        cell = ws.cell(row=row, column=column)
        cell.border = _BORDER
        cell.fill = _SUM_FILL
    for column in range(first_money, first_money + 3):
        letter = get_column_letter(column)
        cell = ws.cell(row=row, column=column,
                       value=f"=SUM({letter}{start}:{letter}{row - 1})" if lines else 0)
        cell.number_format = _MONEY_FORMAT
        cell.font = Font(bold=True)
    return row


def _write_cash(ws: Worksheet, data: BudgetData, coop_name: str) -> None:
    """G. Arus Kas: one row per item, a column per month, the year's sum as a formula."""
    _title(ws, coop_name, data.year, f"G. Proyeksi arus kas bulanan {data.year} (rupiah)")
    _header(ws, 4, ["No", "Arus", "Uraian", *MONTHS, "Jumlah", "Keterangan"], [5, 12, 34, *([13] * 12), 15, 26])
    rows: list[tuple[str, str, list[int | None], str | None]] = []
    for line in data.section("GS"):
        rows.append(("Saldo awal", line.uraian, [line.rencana, *([None] * 11)], line.keterangan))
    for code, flow in (("GM", "Masuk"), ("GK", "Keluar")):
        items: dict[str, list[int | None]] = {}
        notes: dict[str, str | None] = {}
        for line in data.section(code):
            months = items.setdefault(line.uraian, [None] * 12)
            month = int(line.unit or "1") - 1
            months[month] = (months[month] or 0) + (line.rencana or 0)
            notes.setdefault(line.uraian, line.keterangan)
        rows.extend((flow, uraian, months, notes[uraian]) for uraian, months in items.items())
    for number, (flow, uraian, months, note) in enumerate(rows, start=1):
        row = 4 + number
        values: list[Any] = [number, flow, uraian, *months, f"=SUM(D{row}:O{row})", note]
        for column, value in enumerate(values, start=1):
            cell = ws.cell(row=row, column=column, value=value)
            cell.border = _BORDER
            if 4 <= column <= 16:
                cell.number_format = _MONEY_FORMAT


def _fixed_zip(data: bytes, when: datetime) -> bytes:
    """Rewrite the XLSX zip with fixed timestamps so the same data gives the same bytes."""
    stamp = (max(when.year, 1980), when.month, when.day, when.hour, when.minute, when.second)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=stamp)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o600 << 16
            content = source.read(info.filename)
            if info.filename == "docProps/core.xml":  # openpyxl stamps the save time here
                content = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                                 rb"\g<1>" + when.strftime("%Y-%m-%dT%H:%M:%SZ").encode() + rb"\g<2>", content)
            target.writestr(fixed, content)
    return out.getvalue()


def write_workbook(data: BudgetData, coop_name: str, *, shares: dict[str, Any] | None = None,
                   when: datetime | None = None) -> bytes:
    """Write the RAPB and Rencana Kerja in the layout :func:`read_workbook` reads back."""
    year = data.year
    stamp = when or datetime(year - 1, 1, 1)
    wb = Workbook()
    wb.properties.creator = "Tatakelola"
    wb.properties.created = stamp.replace(tzinfo=None)
    wb.properties.modified = stamp.replace(tzinfo=None)
    wb.properties.title = f"RAPB {coop_name} {year}"

    guide = wb.active
    assert guide is not None
    guide.title = "Petunjuk"
    guide.column_dimensions["A"].width = 110
    for row, text in enumerate((
        f"RAPB dan Rencana Kerja {coop_name} — Tahun Anggaran {year}",
        "",
        "Isi sheet Pendapatan, Biaya, Investasi, Sumber Dana, Permodalan, Arus Kas dan Rencana Kerja. Jangan ubah "
        "baris judul kolom.",
        f"Kolom angka dalam rupiah utuh: Realisasi {year - 2} (tahun lalu), Anggaran {year - 1} (tahun berjalan),"
        f" Rencana {year}.",
        "Angka boleh ditulis 1250000, 1.250.000, 1 250 000, Rp 1.250.000, Rp. 1.250.000,- atau IDR 1.250.000,00. "
        "Angka bermakna ganda seperti 1,5 atau 1.5 ditolak. Sel kosong berarti tidak ada anggaran.",
        "Unit Usaha, Jenis Modal, Kelompok, Arus dan Bidang yang kosong mengikuti baris di atasnya.",
        "Baris yang uraiannya diawali 'Jumlah', 'Total' atau 'Subtotal' dibaca sebagai baris jumlah: angkanya "
        "harus sama dengan jumlah baris di atasnya, kalau tidak impor ditolak. Baris anggaran jangan diawali "
        "kata itu.",
        "Keterangan 'R% dari omzet' atau 'R% dari <uraian baris lain>' dan '150 anggota × Rp 100.000' diperiksa: "
        "angkanya harus sesuai.",
        "Arus Kas: Arus = Saldo awal (isi kolom Jan saja), Masuk atau Keluar; satu kolom per bulan.",
        "Kelompok biaya: B1 Biaya unit usaha, B2 Biaya organisasi, B3 Biaya bunga, B4 Pajak.",
        "Bidang Rencana Kerja: 1 Organisasi dan Kelembagaan, 2 Usaha, 3 Keuangan dan Permodalan.",
        "Pembagian SHU diambil dari setting koperasi (pembagian_shu), bukan dari berkas ini.",
        f"Impor: tatakelola doc budget-import --coop KODE --year {year} BERKAS.xlsx",
    ), start=1):
        guide.cell(row=row, column=1, value=text).alignment = Alignment(wrap_text=True)
    guide["A1"].font = Font(bold=True, size=12)

    money = _money_columns(year)
    ws = wb.create_sheet("Pendapatan")
    _title(ws, coop_name, year, "A. Pendapatan per unit usaha")
    _header(ws, 4, ["No", "Unit Usaha", "Uraian", *money, "Keterangan"], [5, 22, 44, 17, 17, 17, 34])
    _write_lines(ws, data.section("A"), [lambda x: x.unit, lambda x: x.uraian], 4, 5)

    ws = wb.create_sheet("Biaya")
    _title(ws, coop_name, year, "B. Biaya (B1 unit usaha, B2 organisasi, B3 bunga, B4 pajak)")
    _header(ws, 4, ["No", "Kelompok", "Unit Usaha", "Uraian", *money, "Keterangan"], [5, 22, 20, 40, 17, 17, 17, 30])
    costs = [line for code in ("B1", "B2", "B3", "B4") for line in data.section(code)]
    _write_lines(ws, costs, [lambda x: f"{x.section} {SECTIONS[x.section]}", lambda x: x.unit, lambda x: x.uraian],
                 5, 5)

    for title, code, subtitle in (("Investasi", "E", "E. Rencana investasi / belanja modal"),
                                  ("Sumber Dana", "F", "F. Sumber dana investasi")):
        ws = wb.create_sheet(title)
        _title(ws, coop_name, year, subtitle)
        _header(ws, 4, ["No", "Uraian", *money, "Keterangan"], [5, 48, 17, 17, 17, 34])
        _write_lines(ws, data.section(code), [lambda x: x.uraian], 3, 5)

    ws = wb.create_sheet("Permodalan")
    _title(ws, coop_name, year, "F. Rencana permodalan (modal sendiri dan modal luar)")
    _header(ws, 4, ["No", "Jenis Modal", "Uraian", *money, "Keterangan"], [5, 22, 44, 17, 17, 17, 34])
    _write_lines(ws, data.section("M"), [lambda x: x.unit, lambda x: x.uraian], 4, 5)

    _write_cash(wb.create_sheet("Arus Kas"), data, coop_name)

    ws = wb.create_sheet("Rencana Kerja")
    ws["A1"] = f"Rencana Kerja {coop_name} Tahun {year}"
    ws["A1"].font = Font(bold=True, size=12)
    ws["A2"] = "Bidang: 1 Organisasi dan Kelembagaan, 2 Usaha, 3 Keuangan dan Permodalan"
    _header(ws, 4, ["No", "Bidang", "Program", "Kegiatan", "Target", "Waktu", "Penanggung Jawab"],
            [5, 26, 30, 46, 28, 18, 22])
    for number, item in enumerate(data.plan, start=1):
        values = [number, BIDANG[item.bidang], item.program, item.kegiatan, item.target, item.waktu,
                  item.penanggung_jawab]
        for column, value in enumerate(values, start=1):
            cell = ws.cell(row=4 + number, column=column, value=value)
            cell.border = _BORDER
            cell.alignment = Alignment(vertical="top", wrap_text=True)

    ws = wb.create_sheet("Pembagian SHU")
    ws["A1"] = "Pembagian SHU menurut setting koperasi (hanya informasi; tidak diimpor)"
    ws["A1"].font = Font(bold=True)
    ws["A2"] = ("Persentase ini membagi SHU dari transaksi dengan anggota. SHU dari bukan anggota tidak dibagi: "
                "seluruhnya masuk dana cadangan.")
    _header(ws, 3, ["Bagian", "Persen"], [44, 10])
    for row, (key, value) in enumerate((shares or DEFAULT_PEMBAGIAN_SHU).items(), start=4):
        ws.cell(row=row, column=1, value=share_label(str(key))).border = _BORDER
        ws.cell(row=row, column=2, value=float(value) if not isinstance(value, int) else value).border = _BORDER

    buffer = io.BytesIO()
    wb.save(buffer)
    return _fixed_zip(buffer.getvalue(), stamp)


# -- the example ---------------------------------------------------------------------------


def example_budget(year: int = 2027, *, extra_lines: int = 0) -> BudgetData:
    """A realistic RAPB for a KKMP with a sembako shop, savings and loans, and agency income.

    ``extra_lines`` adds that many further organisation cost lines (for benchmarks).
    """
    a = "A"
    lines = [
        Line(a, "Gerai Sembako", "Penjualan sembako kepada anggota", 310_000_000, 1_150_000_000, 1_380_000_000,
             "Beras, minyak, gula, telur"),
        Line(a, "Gerai Sembako", "Penjualan sembako kepada bukan anggota", 98_000_000, 350_000_000, 400_000_000,
             "SHU bukan anggota tidak dibagi"),
        Line(a, "Gerai Sembako", "Penjualan LPG 3 kg (pangkalan)", 42_500_000, 180_000_000, 216_000_000, None),
        Line(a, "Unit Simpan Pinjam", "Jasa pinjaman anggota", 6_250_000, 36_000_000, 54_000_000,
             "Khusus anggota"),
        Line(a, "Unit Simpan Pinjam", "Provisi dan administrasi pinjaman", 1_250_000, 6_000_000, 9_000_000, None),
        Line(a, "Agen dan Layanan", "Komisi agen BRILink", 2_100_000, 12_000_000, 15_600_000, None),
        Line(a, "Agen dan Layanan", "Komisi konsinyasi produk UMKM anggota", 1_800_000, 9_600_000, 14_400_000,
             "Kemitraan UMKM"),
        Line(a, "Lain-lain", "Pendapatan sewa tenda dan kursi", None, 3_000_000, 4_800_000, "Unit baru 2026"),
        Line(a, "Lain-lain", "Bunga bank", 320_000, 1_200_000, 1_500_000, None),
        Line("B1", "Gerai Sembako", "Harga pokok penjualan sembako", 355_000_000, 1_320_000_000, 1_560_000_000,
             "±87% dari penjualan"),
        Line("B1", "Gerai Sembako", "Harga pokok LPG 3 kg", 38_250_000, 162_000_000, 194_400_000, None),
        Line("B1", "Gerai Sembako", "Gaji karyawan gerai (2 orang)", 14_000_000, 62_400_000, 64_800_000, "UMK 2026"),
        Line("B1", "Gerai Sembako", "Listrik, air dan internet gerai", 2_400_000, 9_600_000, 10_800_000, None),
        Line("B1", "Gerai Sembako", "Sewa tempat gerai", 6_000_000, 24_000_000, 24_000_000, None),
        Line("B1", "Gerai Sembako", "Transportasi dan distribusi", 3_250_000, 15_000_000, 18_000_000, None),
        Line("B1", "Gerai Sembako", "Barang rusak dan kedaluwarsa", 1_250_000, 6_000_000, 6_000_000, None),
        Line("B1", "Gerai Sembako", "Penyusutan peralatan gerai", 1_500_000, 6_000_000, 9_000_000, None),
        Line("B1", "Unit Simpan Pinjam", "Biaya administrasi dan cetak buku pinjaman", 400_000, 1_800_000,
             2_400_000, None),
        Line("B1", "Unit Simpan Pinjam", "Cadangan risiko pinjaman", 312_500, 1_800_000, 2_700_000,
             "5% dari Jasa pinjaman anggota"),
        Line("B2", None, "Rapat Anggota Tahunan", 4_500_000, 8_000_000, 9_000_000, None),
        Line("B2", None, "Rapat pengurus dan pengawas", 1_200_000, 4_800_000, 4_800_000, None),
        Line("B2", None, "Honorarium pengurus", 6_000_000, 24_000_000, 24_000_000, "5 orang"),
        Line("B2", None, "Honorarium pengawas", 3_000_000, 10_800_000, 10_800_000, "3 orang"),
        Line("B2", None, "Alat tulis kantor", 850_000, 3_000_000, 3_000_000, None),
        Line("B2", None, "Pendidikan dan pelatihan anggota", None, 5_000_000, 6_000_000, None),
        Line("B2", None, "Audit laporan keuangan", None, 7_500_000, 7_500_000, "Akuntan publik"),
        # 6% × 12.000.000 = 720.000; 6% × 37.000.000 = 2.220.000 (the loan in Sumber Dana)
        Line("B3", None, "Bunga pinjaman Bank Himbara (PMK 49/2025)", None, 720_000, 2_220_000,
             "6% per tahun dari Pinjaman Bank Himbara"),
        # 0,5% of Jumlah Pendapatan: 462.220.000 -> 2.311.100; 1.747.800.000 -> 8.739.000; 2.095.300.000 -> 10.476.500
        Line("B4", None, "Pajak penghasilan final UMKM", 2_311_100, 8_739_000, 10_476_500, "0,5% dari omzet"),
        Line("E", None, "Lemari pendingin (chiller) gerai", None, 18_000_000, 12_500_000, None),
        Line("E", None, "Rak besi dan etalase", 4_500_000, 6_000_000, 3_750_000, None),
        Line("E", None, "Kendaraan roda tiga untuk distribusi", None, None, 36_000_000, None),
        Line("E", None, "Komputer kasir dan printer", 6_250_000, None, 7_500_000, None),
        Line("F", None, "Simpanan pokok dan wajib anggota", 14_000_000, 9_000_000, 12_750_000, None),
        Line("F", None, "Cadangan koperasi", None, 3_000_000, 10_000_000, None),
        Line("F", None, "Pinjaman Bank Himbara", None, 12_000_000, 37_000_000, "PMK 49/2025"),
        Line("M", "Modal sendiri", "Simpanan pokok anggota baru", 14_000_000, 9_000_000, 15_000_000,
             "150 anggota × Rp 100.000"),
        Line("M", "Modal sendiri", "Simpanan wajib anggota", 5_600_000, 24_000_000, 34_800_000,
             "290 anggota × Rp 10.000 × 12 bulan"),
        Line("M", "Modal sendiri", "Dana cadangan dari SHU", None, 3_000_000, 10_000_000, "Ditetapkan RAT"),
        Line("M", "Modal luar", "Pinjaman Bank Himbara PMK 49", None, 12_000_000, 37_000_000, "Tenor 72 bulan"),
        *_example_cash(),
    ]
    for n in range(extra_lines):
        lines.append(Line("B2", None, f"Kegiatan organisasi tambahan {n + 1}", 100_000 * (n + 1),
                          150_000 * (n + 1), 175_000 * (n + 1), None))
    o, u, k = "organisasi", "usaha", "keuangan"
    plan = [
        PlanItem(o, "Keanggotaan", "Menambah anggota dari warga Kelurahan Sentanan", "150 anggota baru",
                 "Januari–Desember", "Wakil Ketua Bidang Keanggotaan"),
        PlanItem(o, "Keanggotaan", "Pendidikan perkoperasian untuk anggota baru", "4 angkatan", "Triwulanan",
                 "Sekretaris"),
        PlanItem(o, "Rapat", "Rapat pengurus bulanan dan rapat gabungan dengan pengawas", "12 kali", "Bulanan",
                 "Ketua"),
        PlanItem(o, "Rapat", "Rapat Anggota Tahunan tahun buku sebelumnya", "RAT sah dan tepat waktu",
                 "Maret", "Ketua"),
        PlanItem(o, "Administrasi", "Melengkapi 16 buku wajib dan arsip digital", "Lengkap dan mutakhir",
                 "Juni", "Sekretaris"),
        PlanItem(u, "Gerai Sembako", "Menambah jenis barang dan kerja sama dengan Bulog", "Omzet naik 20%",
                 "Januari–Desember", "Manajer"),
        PlanItem(u, "Gerai Sembako", "Distribusi sembako ke RW dengan kendaraan roda tiga", "3 RW per minggu",
                 "Mulai April", "Manajer"),
        PlanItem(u, "Simpan Pinjam", "Pinjaman produktif anggota secara tertutup", "Rp 150 juta tersalur",
                 "Januari–Desember", "Wakil Ketua Bidang Usaha"),
        PlanItem(u, "Kemitraan", "Konsinyasi produk UMKM anggota dan pendaftaran e-katalog", "20 produk",
                 "Juli", "Wakil Ketua Bidang Usaha"),
        PlanItem(k, "Permodalan", "Penagihan simpanan wajib tertib bulanan", "Kolektibilitas 95%", "Bulanan",
                 "Bendahara"),
        PlanItem(k, "Permodalan", "Pengajuan pinjaman Bank Himbara untuk kendaraan dan modal kerja",
                 "Rp 37 juta cair", "Januari", "Ketua dan Bendahara"),
        PlanItem(k, "Pelaporan", "Laporan keuangan bulanan ke Dinas dan SIMKOPDES", "12 laporan",
                 "Tanggal 10 tiap bulan", "Bendahara"),
    ]
    return BudgetData(year, tuple(lines), tuple(plan))


def _example_cash() -> list[Line]:
    """G. The example's monthly cash projection (rupiah; the sums match the RAPB lines they fund)."""
    sales = [158, 150, 185, 165, 160, 162, 165, 168, 165, 170, 170, 178]  # juta; sum 1.996 = A sembako + LPG
    purchases = [s * 879_000 for s in sales]  # ≈ HPP 1.754.400.000 (87,9%); December takes the rounding
    purchases[-1] += 1_754_400_000 - sum(purchases)
    masuk: dict[str, list[int]] = {
        "Penjualan tunai gerai sembako dan LPG": [s * 1_000_000 for s in sales],
        "Jasa dan provisi pinjaman anggota": [5_250_000] * 12,
        "Komisi agen dan konsinyasi": [2_500_000] * 12,
        "Simpanan pokok dan wajib anggota": [4_150_000] * 12,
        "Angsuran pokok pinjaman anggota": [0] + [6_000_000] * 11,
        "Pencairan pinjaman Bank Himbara": [37_000_000] + [0] * 11,
    }
    keluar: dict[str, list[int]] = {
        "Pembelian barang dagangan (sembako dan LPG)": purchases,
        "Gaji, sewa, listrik dan transportasi gerai": [9_800_000] * 12,
        "Biaya organisasi (RAT bulan Maret)": [4_500_000, 4_500_000, 15_600_000] + [4_500_000] * 9,
        "Pembelian investasi (chiller, komputer; kendaraan, rak)": [20_000_000, 39_750_000] + [0] * 10,
        "Penyaluran pinjaman anggota": [12_500_000] * 12,
        "Bunga pinjaman Bank Himbara": [185_000] * 12,
        "Pajak penghasilan final UMKM": [873_000] * 11 + [873_500],
    }
    lines = [Line("GS", None, "Saldo awal kas 1 Januari", None, None, 25_000_000, "Kas dan bank")]
    for code, items in (("GM", masuk), ("GK", keluar)):
        for uraian, months in items.items():
            lines.extend(Line(code, f"{m:02d}", uraian, None, None, v, None)
                         for m, v in enumerate(months, start=1) if v)
    return lines


EXAMPLE_COOP = "Koperasi Kelurahan Merah Putih Sentanan"
EXAMPLE_YEAR = 2027


def write_example_workbook(path: Path = EXAMPLE_WORKBOOK) -> Path:
    """(Re)generate the shipped example workbook ``contoh_rapb.xlsx`` (same bytes every time)."""
    path.write_bytes(write_workbook(example_budget(EXAMPLE_YEAR), EXAMPLE_COOP))
    return path
