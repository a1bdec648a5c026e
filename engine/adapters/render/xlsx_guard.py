"""Open an uploaded XLSX without trusting what it says about itself.

An XLSX file is a zip of XML parts, and a small one can ask for a lot: a single cell at
``XFD1048576`` makes a naive reader walk 17 billion empty cells, a part that unpacks a
thousandfold fills the memory, an entity declaration multiplies text. So before openpyxl sees
a workbook:

1. its size is checked against the upload limit;
2. the zip directory is read (nothing is unpacked yet): the parts may unpack to at most
   ``max_unpacked`` bytes together, and no part over 1 MB may unpack to more than
   :data:`MAX_RATIO` times its packed size. The sizes a zip declares are also the most
   :mod:`zipfile` unpacks, so they cannot be exceeded by lying about them;
3. every XML part is streamed once through expat, no tree built: a DTD is refused, elements
   are counted against a budget, and in every worksheet both the ``<dimension>`` it claims and
   every cell that holds something are checked against the caps on rows, columns and cells,
   stopping at the first one over. The same pass notes formulas saved without their value.

Only then is the workbook opened, read-only (streaming), and a sheet's rows are read within
the extent the scan found, never the one the file claims. Whatever the file, the work before a
refusal is bounded by the caps, not by the file.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from xml.parsers import expat

from engine.errors import FieldProblem, PayloadTooLargeError, ValidationError

__all__ = [
    "MAX_RATIO",
    "Caps",
    "CheckedWorkbook",
    "SheetScan",
    "check_size",
    "count",
    "open_checked",
]

#: A part over 1 MB may unpack to at most this many times its packed size (sheet XML packs 5–30×).
MAX_RATIO = 100
_RATIO_FROM = 1024 * 1024
#: Parts one workbook may have (an ordinary one has 10–30).
_MAX_PARTS = 1_000
#: Formulas without a saved value that are remembered (each becomes one problem line at most).
_MAX_UNSAVED = 200
_CHUNK = 64 * 1024
_COORD_RE = re.compile(r"^\$?([A-Za-z]{1,3})\$?([0-9]{1,7})$")
#: What openpyxl can turn into a value, by cell type (``t``); ASCII digits only (``int`` would take ``١٢``).
_NUMBER_RE = re.compile(r"^\s*[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]{1,4})?\s*$")
_INDEX_RE = re.compile(r"^\s*[+-]?[0-9]{1,9}\s*$")
#: Longest number text a cell may hold (Excel writes at most 17 significant digits and an exponent).
_MAX_NUMBER_TEXT = 40
_MAX_COLUMN = 16_384  # XFD
_MAX_ROW = 1_048_576
_OLE = b"\xd0\xcf\x11\xe0"
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_STRICT = "http://purl.oclc.org/ooxml/spreadsheetml/main"


def count(number: int) -> str:
    """``20000`` -> ``20.000`` (Indonesian thousands separator)."""
    return f"{number:,}".replace(",", ".")


def _column_letter(index: int) -> str:
    letters = ""
    while index > 0:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _column_index(letters: str) -> int:
    index = 0
    for ch in letters.upper():
        index = index * 26 + ord(ch) - 64
    return index


@dataclass(frozen=True)
class Caps:
    """How much one workbook may make the server do.

    ``max_rows`` counts the data rows of a sheet; ``header_rows`` more are allowed above them
    (title lines and the header row). ``subject`` names the workbook in the headline of a
    refusal ("Buku Daftar Anggota"), ``noun`` what the row cap counts ("anggota per berkas").
    """

    subject: str
    noun: str
    max_bytes: int
    max_unpacked: int
    max_rows: int
    max_columns: int
    max_cells: int
    header_rows: int = 15
    #: The error for a file that is not a readable workbook (a reader's own ValidationError subclass).
    unreadable: type[ValidationError] = ValidationError

    @property
    def last_row(self) -> int:
        """The last row number a sheet may use."""
        return self.max_rows + self.header_rows

    @property
    def max_elements(self) -> int:
        """XML elements the whole workbook may have (a cell is two or three; styles and themes a few thousand)."""
        return 4 * self.max_cells + 50_000


@dataclass(frozen=True)
class SheetScan:
    """What a worksheet really holds (not what it claims): its extent, cells, unsaved formulas."""

    title: str
    rows: int
    columns: int
    cells: int
    #: Cells (``D7``) holding a formula whose value was never saved (openpyxl reads them as empty).
    unsaved_formulas: frozenset[str] = frozenset()


class _Refused(Exception):
    def __init__(self, error: ValidationError) -> None:
        super().__init__(error.message)
        self.error = error


def _too_large(caps: Caps, label: str, message: str) -> _Refused:
    return _Refused(PayloadTooLargeError([FieldProblem(label, message)],
                                         headline=f"Berkas {caps.subject} terlalu besar:"))


def _unreadable(caps: Caps, message: str, label: str = "Berkas") -> ValidationError:
    return caps.unreadable([FieldProblem(label, message)], headline=f"Berkas {caps.subject} tidak dapat dibaca:")


def _local(name: str) -> str:
    return name.rpartition(" ")[2]


#: Worksheet elements the scan looks at, by their expanded name (transitional and strict namespaces).
_TAGS = {f"{ns} {local}": local for ns in (_MAIN, _STRICT) for local in ("c", "row", "v", "is", "f", "dimension")}
_CELL_TAGS = frozenset({f"{_MAIN} c", f"{_STRICT} c"})
_KINDS = {"n": "angka", "s": "nomor teks bersama", "b": "nilai benar/salah", "d": "tanggal"}


def _parser(start: Callable[[str, dict[str, str]], None] | None, end: Callable[[str], None] | None,
            refuse: Callable[[], _Refused]) -> Any:
    parser = expat.ParserCreate(namespace_separator=" ")

    def no_dtd(*_: object) -> None:
        raise refuse()

    parser.StartDoctypeDeclHandler = no_dtd
    parser.EntityDeclHandler = no_dtd
    if start is not None:
        parser.StartElementHandler = start
    if end is not None:
        parser.EndElementHandler = end
    return parser


class _Budget:
    """Elements left for the whole workbook."""

    def __init__(self, caps: Caps) -> None:
        self.caps = caps
        self.left = caps.max_elements

    def spend(self, part: str) -> None:
        self.left -= 1
        if self.left < 0:
            raise _too_large(self.caps, "Berkas", f"isinya terlalu rumit (lebih dari {count(self.caps.max_elements)} "
                                                  f"unsur XML, di bagian {part}); bagi menjadi beberapa berkas")


def _feed(archive: zipfile.ZipFile, name: str, parser: Any, caps: Caps) -> None:
    try:
        with archive.open(name) as stream:
            while chunk := stream.read(_CHUNK):
                parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except expat.ExpatError as exc:
        raise _Refused(_unreadable(caps, f"bagian {name} bukan XML yang sah ({expat.errors.messages[exc.code]})")
                       ) from None
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, RuntimeError, NotImplementedError,
            ValueError) as exc:  # ValueError: a part whose offset points before the file ("negative seek")
        raise _Refused(_unreadable(caps, f"bagian {name} rusak ({type(exc).__name__})")) from None


class _SheetScanner:
    """Streams one worksheet, checking the claimed dimension and every cell that holds something."""

    def __init__(self, title: str, part: str, caps: Caps, budget: _Budget) -> None:
        self.title, self.part, self.caps, self.budget = title, part, caps, budget
        self.label = f"Sheet '{title}'"
        self.row = 0
        self.column = 0
        self.rows = self.columns = self.cells = 0
        self.in_cell = self.in_value = False
        self.has_value = self.has_formula = False
        self.kind = "n"
        self.raw: list[str] = []
        self.unsaved: list[str] = []

    def _position(self, ref: str | None) -> tuple[int, int]:
        if ref:
            match = _COORD_RE.match(ref)
            if match is None:
                raise _Refused(_unreadable(self.caps, f"{self.label}: alamat sel '{ref[:20]}' tidak sah"))
            return int(match.group(2)), _column_index(match.group(1))
        return self.row, self.column + 1

    def _check(self, row: int, column: int, *, claimed: bool) -> None:
        caps = self.caps
        if column <= caps.max_columns and row <= caps.last_row:
            return
        ref = f"{_column_letter(column)}{row}"
        said = f"menyatakan ukuran sampai sel {ref}" if claimed else f"berisi data sampai sel {ref}"
        if column > caps.max_columns:
            raise _too_large(caps, self.label, f"{said}: memakai {count(column)} kolom (sampai kolom "
                                               f"{_column_letter(column)}), paling banyak {caps.max_columns} kolom")
        raise _too_large(caps, self.label, f"{said}: lebih dari {count(caps.max_rows)} baris; paling banyak "
                                           f"{count(caps.max_rows)} {caps.noun} (hapus isi di bawah data, atau "
                                           "bagi berkasnya)")

    def start(self, name: str, attrs: dict[str, str]) -> None:
        budget = self.budget
        budget.left -= 1
        if budget.left < 0:
            budget.spend(self.part)  # raises
        local = _TAGS.get(name) or _local(name)
        if local == "c":
            self.in_cell = True
            self.has_value = self.has_formula = False
            self.row, self.column = self._position(attrs.get("r"))
            self.kind, self.raw = attrs.get("t") or "n", []
            style = attrs.get("s")
            if style and not _INDEX_RE.match(style):
                raise _Refused(_unreadable(self.caps, f"gaya sel '{style[:20]}' tidak sah",
                                           f"{self.label}, sel {self._ref()}"))
        elif local == "row":
            number = attrs.get("r") or ""
            try:
                self.row = int(number) if number.isdigit() else int(float(number)) if number else self.row + 1
            except (ValueError, OverflowError):
                raise _Refused(_unreadable(self.caps, f"{self.label}: nomor baris '{number[:20]}' tidak sah")) from None
            self.column = 0
        elif not self.in_cell:
            if local == "dimension":
                ref = (attrs.get("ref") or "").rpartition(":")[2]
                match = _COORD_RE.match(ref)
                if match is not None:
                    self._check(int(match.group(2)), _column_index(match.group(1)), claimed=True)
        elif local == "v":
            self.in_value = True  # a value only if it has text: openpyxl writes a formula's as <v></v>
        elif local == "is":
            self.has_value = True
        elif local == "f":
            self.has_formula = True

    def text(self, data: str) -> None:
        if self.in_value:
            if len(self.raw) < 8:  # enough to judge a value; a longer one is refused anyway
                self.raw.append(data[:_MAX_NUMBER_TEXT + 1])
            if not self.has_value and data.strip():
                self.has_value = True

    def end(self, name: str) -> None:
        self.in_value = False
        if name not in _CELL_TAGS and _local(name) != "c":
            return
        self.in_cell = False
        if self.raw:
            self._check_value("".join(self.raw))
        if not (self.has_value or self.has_formula):
            return  # formatting only: no content, not part of the extent
        row, column = self.row, self.column
        if not 1 <= row <= _MAX_ROW or not 1 <= column <= _MAX_COLUMN:
            raise _Refused(_unreadable(self.caps, f"{self.label}: sel {_column_letter(column)}{row} di luar "
                                                  "lembar kerja"))
        self._check(row, column, claimed=False)
        self.cells += 1
        if self.cells > self.caps.max_cells:
            most = count(self.caps.max_cells)
            raise _too_large(self.caps, self.label, f"lebih dari {most} sel berisi; paling banyak {most} sel per "
                                                    "sheet (bagi berkasnya)")
        if row > self.rows:
            self.rows = row
        if column > self.columns:
            self.columns = column
        if self.has_formula and not self.has_value and len(self.unsaved) < _MAX_UNSAVED:
            self.unsaved.append(f"{_column_letter(column)}{row}")

    def _ref(self) -> str:
        return f"{_column_letter(self.column)}{self.row}"

    def _check_value(self, raw: str) -> None:
        """Refuse a value openpyxl cannot read as its type says (it would raise, not report the cell)."""
        kind = self.kind
        if kind == "n":
            ok = len(raw) <= _MAX_NUMBER_TEXT and _NUMBER_RE.match(raw) is not None
        elif kind in ("s", "b"):
            ok = _INDEX_RE.match(raw) is not None and (kind == "b" or int(raw) >= 0)
        elif kind == "d":
            from openpyxl.utils.datetime import from_ISO8601  # rare: a date cell saved as ISO text

            try:
                ok = len(raw) <= _MAX_NUMBER_TEXT and bool(from_ISO8601(raw.strip()))
            except (ValueError, TypeError, OverflowError, AttributeError):
                ok = False
        else:
            return
        if not ok:
            shown = raw.strip()[:20] + ("…" if len(raw.strip()) > 20 else "")
            raise _Refused(_unreadable(self.caps, f"nilai '{shown}' bukan {_KINDS[kind]} yang sah",
                                       f"{self.label}, sel {self._ref()}"))

    def dtd(self) -> _Refused:
        return _Refused(_unreadable(self.caps, f"{self.label} memuat DTD"))

    def result(self) -> SheetScan:
        return SheetScan(self.title, self.rows, self.columns, self.cells, frozenset(self.unsaved))


def _attributes(archive: zipfile.ZipFile, name: str, tag: str, caps: Caps, budget: _Budget) -> list[dict[str, str]]:
    """The attributes of every ``tag`` element of a small XML part (relationships, the sheet list)."""
    found: list[dict[str, str]] = []

    def start(element: str, attrs: dict[str, str]) -> None:
        budget.spend(name)
        if _local(element) == tag:
            found.append({_local(k): v for k, v in attrs.items()})

    _feed(archive, name, _parser(start, None, lambda: _Refused(_unreadable(caps, f"bagian {name} memuat DTD"))), caps)
    return found


def _relations(archive: zipfile.ZipFile, names: set[str], source: str, caps: Caps, budget: _Budget
               ) -> dict[str, tuple[str, str]]:
    """Relationship id -> (type, part name) of ``source`` (``""`` for the package)."""
    folder, base = posixpath.split(source)
    rels = posixpath.join(folder, "_rels", base + ".rels")
    if rels not in names:
        return {}
    out: dict[str, tuple[str, str]] = {}
    for attrs in _attributes(archive, rels, "Relationship", caps, budget):
        target = attrs.get("Target", "")
        if attrs.get("TargetMode") == "External" or not target:
            continue
        path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
        out[attrs.get("Id", "")] = (attrs.get("Type", ""), path)
    return out


def _sheet_titles(archive: zipfile.ZipFile, names: set[str], caps: Caps, budget: _Budget) -> dict[str, str]:
    """Worksheet part name -> sheet title, from the workbook's own list."""
    book = next((path for kind, path in _relations(archive, names, "", caps, budget).values()
                 if kind.endswith("/officeDocument")), "xl/workbook.xml")
    if book not in names:
        return {}
    targets = _relations(archive, names, book, caps, budget)
    titles: dict[str, str] = {}
    for attrs in _attributes(archive, book, "sheet", caps, budget):
        kind, path = targets.get(attrs.get("id", ""), ("", ""))
        if kind.endswith("/worksheet") and path:
            titles[path] = attrs.get("name", path)
    return titles


def _counting_parser(part: str, caps: Caps, budget: _Budget) -> Any:
    def start(_: str, __: dict[str, str]) -> None:
        budget.spend(part)

    return _parser(start, None, lambda: _Refused(_unreadable(caps, f"bagian {part} memuat DTD")))


def check_size(size: int, caps: Caps) -> None:
    """Refuse a file of ``size`` bytes over the upload limit (before it is read)."""
    if size > caps.max_bytes:
        raise _too_large(caps, "Berkas", f"{size / (1024 * 1024):.1f} MB, lebih dari batas "
                                         f"{caps.max_bytes / (1024 * 1024):g} MB").error


def _scan(content: bytes, caps: Caps) -> dict[str, SheetScan]:
    check_size(len(content), caps)
    if content.startswith(_OLE):
        raise _Refused(_unreadable(caps, "berkas Excel lama (.xls); buka di Excel/LibreOffice lalu simpan sebagai "
                                         ".xlsx"))
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise _Refused(_unreadable(caps, "bukan buku kerja Excel (.xlsx)")) from None
    with archive:
        infos = archive.infolist()
        if len(infos) > _MAX_PARTS:
            raise _too_large(caps, "Berkas", f"terdiri dari {count(len(infos))} bagian; buku kerja biasa hanya puluhan")
        unpacked = sum(info.file_size for info in infos)
        if unpacked > caps.max_unpacked:
            raise _too_large(caps, "Berkas", f"isinya {unpacked / (1024 * 1024):.0f} MB setelah dibuka, lebih dari "
                                             f"batas {caps.max_unpacked / (1024 * 1024):g} MB; bagi menjadi beberapa "
                                             "berkas")
        for info in infos:
            if info.file_size > _RATIO_FROM and info.file_size > MAX_RATIO * max(info.compress_size, 1):
                ratio = info.file_size // max(info.compress_size, 1)
                raise _too_large(caps, "Berkas", f"bagian {info.filename} membesar {count(ratio)} kali saat dibuka "
                                                 f"(paling banyak {MAX_RATIO} kali): bukan buku kerja biasa")
        names = {info.filename for info in infos}
        budget = _Budget(caps)
        titles = _sheet_titles(archive, names, caps, budget)
        scans: dict[str, SheetScan] = {}
        for info in infos:
            name = info.filename
            if not name.lower().endswith((".xml", ".rels", ".vml")) or name.endswith("/"):
                continue
            if name in titles or (name.startswith("xl/worksheets/") and name.count("/") == 2):
                scanner = _SheetScanner(titles.get(name, name), name, caps, budget)
                parser = _parser(scanner.start, scanner.end, scanner.dtd)
                parser.buffer_text = True
                parser.CharacterDataHandler = scanner.text
                _feed(archive, name, parser, caps)
                scans[scanner.title] = scanner.result()
            else:
                _feed(archive, name, _counting_parser(name, caps, budget), caps)
        return scans


class CheckedWorkbook:
    """An openpyxl read-only workbook whose every sheet was scanned within the caps."""

    def __init__(self, book: Any, scans: dict[str, SheetScan], caps: Caps | None = None) -> None:
        self.book = book
        self.scans = scans
        self.caps = caps

    @property
    def sheetnames(self) -> list[str]:
        """The sheet titles in workbook order."""
        return list(self.book.sheetnames)

    def scan(self, title: str) -> SheetScan:
        """What the sheet holds (an empty scan for a sheet that is not a worksheet, e.g. a chart sheet)."""
        return self.scans.get(title) or SheetScan(title, 0, 0, 0)

    def rows(self, title: str) -> list[tuple[Any, ...]]:
        """The values of rows 1..last row with content, each padded to the last column with content."""
        scan = self.scan(title)
        if not scan.rows or not scan.columns:
            return []
        ws = self.book[title]
        width = scan.columns
        out: list[tuple[Any, ...]] = []
        from openpyxl.utils.exceptions import CellCoordinatesException

        try:
            for values in ws.iter_rows(min_row=1, max_row=scan.rows, min_col=1, max_col=width, values_only=True):
                out.append(tuple(values) + (None,) * (width - len(values)))
        except (ValueError, TypeError, IndexError, KeyError, OverflowError, AttributeError,
                CellCoordinatesException) as exc:  # what the scan cannot see, e.g. a shared text that is not there
            caps = self.caps or Caps("buku kerja", "baris", 0, 0, 0, 0, 0)
            raise _unreadable(caps, f"ada sel yang tidak dapat dibaca ({type(exc).__name__})",
                              f"Sheet '{title}', baris {len(out) + 1}") from None
        return out

    def close(self) -> None:
        """Close the underlying archive."""
        self.book.close()


@contextmanager
def open_checked(content: bytes, caps: Caps) -> Iterator[CheckedWorkbook]:
    """Check ``content`` as the module describes, then open it read-only.

    Raises:
        PayloadTooLargeError: the file, a part or a sheet is over a cap (the problem says which).
        ValidationError: not an XLSX workbook that can be read.
    """
    try:
        scans = _scan(content, caps)
    except _Refused as refused:
        raise refused.error from None
    from openpyxl import load_workbook  # only for a workbook that passed: importing it takes a tenth of a second
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError, InvalidFileException) as exc:
        raise _unreadable(caps, f"bukan buku kerja Excel (.xlsx) yang dapat dibaca ({type(exc).__name__})") from None
    checked = CheckedWorkbook(book, scans, caps)
    try:
        yield checked
    finally:
        checked.close()
