"""The Buku Daftar Anggota (member register) in an Excel workbook, as the sekretaris keeps it.

One sheet, ``Buku Daftar Anggota``: a few title lines, then a header row

    Nomor anggota | Nama lengkap | NIK | Alamat | Tanggal masuk | Tanggal keluar | Simpanan pokok (Rp)

and one member per row. Reading is pure (bytes in, rows out) and all or nothing: every bad cell
is named (``Sheet 'Buku Daftar Anggota', sel C7: ...``), up to :data:`MAX_PROBLEMS` of them.
The work is capped before the rows are read (``xlsx_guard``): the file size (given by the
caller), the size of its unpacked parts, :data:`MAX_ROWS` rows, :data:`MAX_COLUMNS` columns and
:data:`MAX_CELLS` cells, whatever the file claims; the rows are streamed, read-only.

NIKs are text. A NIK stored as a number is refused (a spreadsheet keeps only 15 significant
digits, so the 16th may already be lost), and so is a masked one (``3576 •••• •••• 0001``):
an export with masked NIKs is for reading, never for importing back.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet
from pydantic import ValidationError as PydanticValidationError

from engine.adapters.render.workbook import _fixed_zip
from engine.adapters.render.xlsx_guard import Caps, CheckedWorkbook, count, open_checked
from engine.domain.values import format_date_id
from engine.errors import FieldProblem, PayloadTooLargeError, ValidationError

__all__ = [
    "HEADERS",
    "MAX_CELLS",
    "MAX_COLUMNS",
    "MAX_PROBLEMS",
    "MAX_ROWS",
    "SHEET",
    "RegisterRow",
    "read_register",
    "write_register",
    "write_template",
]

SHEET = "Buku Daftar Anggota"
HEADERS = ("Nomor anggota", "Nama lengkap", "NIK", "Alamat", "Tanggal masuk", "Tanggal keluar",
           "Simpanan pokok (Rp)")
#: Member rows one workbook may hold (a KKMP has hundreds to a few thousand members).
MAX_ROWS = 20_000
#: Columns one sheet may use (the layout has 7; a few extra for the keeper's own notes).
MAX_COLUMNS = 20
#: Cells with content one sheet may hold (20.000 members with 7 columns and a few notes).
MAX_CELLS = 250_000
#: Bad cells named before the list stops with "…dan N kesalahan lain".
MAX_PROBLEMS = 50
#: Without a limit from the caller, parts may unpack to this many times the upload limit (zip bomb).
_UNPACKED_FACTOR = 20
_HEADER_SCAN_ROWS = 15
_FIRST_DATA_ROW = 6
_EXAMPLE_PREFIX = "contoh"
_MASK_CHARS = ("•", "*", "●", "·", "…")
_MONEY_RE = re.compile(r"^(?:rp\.?\s*)?(\d{1,3}(?:\.\d{3})+|\d+)(?:,(?:0{1,2}|-{1,2}))?$", re.IGNORECASE)
_DATE_FORMATS = ("%d-%m-%Y", "%Y-%m-%d", "%d/%m/%Y")
_MAX_MONEY = 10**12

T = TypeVar("T")


@dataclass(frozen=True)
class RegisterRow:
    """One line of the register as a workbook holds it (``nik`` as written: full or masked)."""

    number: str
    name: str
    nik: str
    joined: date
    left: date | None = None
    address: str | None = None
    simpanan_pokok: int = 0


#: Field -> (column index in HEADERS order, what to say when the row's model refuses the value).
_FIELDS: dict[str, tuple[int, str]] = {
    "number": (0, "nomor anggota hanya huruf, angka, titik, garis miring atau tanda hubung, diawali huruf "
                  "atau angka, paling panjang 30"),
    "name": (1, "nama lengkap 2 sampai 120 huruf"),
    "nik": (2, "NIK harus 16 angka"),
    "address": (3, "alamat paling panjang 300 huruf"),
    "joined": (4, "tanggal masuk tidak sah"),
    "left": (5, "tanggal keluar tidak sah"),
    "simpanan_pokok": (6, "simpanan pokok di luar batas wajar"),
}


def _norm(text: Any) -> str:
    return re.sub(r"[\s_.:]+", " ", str(text or "")).strip().lower()


def _field_of_header(text: str) -> str | None:
    """The field a header cell names (tolerant of the spellings registers use)."""
    if not text:
        return None
    if text.startswith(("nomor anggota", "no anggota", "nomor induk anggota", "nia")):
        return "number"
    if text.startswith(("nik", "nomor induk kependudukan", "no ktp", "nomor ktp")):
        return "nik"
    if text.startswith("nama"):
        return "name"
    if text.startswith("alamat"):
        return "address"
    if "masuk" in text or "menjadi anggota" in text or text.startswith("tanggal daftar"):
        return "joined"
    if "keluar" in text or "berhenti" in text:
        return "left"
    if text.startswith("simpanan pokok"):
        return "simpanan_pokok"
    return None


_MASKED = ("NIK disamarkan: berkas ekspor dengan NIK disamarkan tidak dapat diimpor ulang; pakai ekspor dengan NIK "
           "lengkap (khusus pengurus) atau tulis NIK 16 angka")


class _Problems:
    """Bad cells, the first :data:`MAX_PROBLEMS` of them kept, the rest counted.

    Masked NIKs are gathered into one line: a masked export offered for import has one problem,
    not one per member.
    """

    def __init__(self, sheet: str) -> None:
        self.sheet = sheet
        self.items: list[FieldProblem] = []
        self.masked: list[str] = []
        self.more = 0

    @property
    def count(self) -> int:
        return len(self.items) + len(self.masked) + self.more

    def add(self, ref: str, message: str) -> None:
        if message == _MASKED:
            self.masked.append(ref)
        elif len(self.items) < MAX_PROBLEMS:
            self.items.append(FieldProblem(f"Sheet '{self.sheet}', sel {ref}", message))
        else:
            self.more += 1

    def raise_if_any(self) -> None:
        if not self.count:
            return
        problems = list(self.items)
        if len(self.masked) == 1:
            problems.insert(0, FieldProblem(f"Sheet '{self.sheet}', sel {self.masked[0]}", _MASKED))
        elif self.masked:
            cells = f"{self.masked[0]} sampai {self.masked[-1]}"
            problems.insert(0, FieldProblem(f"Sheet '{self.sheet}', {len(self.masked)} sel NIK ({cells})", _MASKED))
        if self.more:
            problems.append(FieldProblem(f"…dan {self.more} kesalahan lain",
                                         "perbaiki yang di atas, lalu impor lagi untuk melihatnya"))
        raise ValidationError(problems, headline=f"Buku Daftar Anggota tidak diimpor ({self.count} kesalahan); "
                                                 "tidak ada yang disimpan. Perbaiki sel berikut:")


def _caps(max_bytes: int, max_unpacked: int | None) -> Caps:
    return Caps(subject="Buku Daftar Anggota", noun="anggota per berkas", max_bytes=max_bytes,
                max_unpacked=max_unpacked if max_unpacked is not None else max_bytes * _UNPACKED_FACTOR,
                max_rows=MAX_ROWS, max_columns=MAX_COLUMNS, max_cells=MAX_CELLS, header_rows=_HEADER_SCAN_ROWS)


def _sheet(book: CheckedWorkbook) -> str:
    names = book.sheetnames
    for name in names:
        if _norm(name) in ("buku daftar anggota", "daftar anggota", "buku anggota", "anggota"):
            return name
    if len(names) == 1:
        return names[0]
    listed = ", ".join(f"'{n}'" for n in names)
    raise ValidationError([FieldProblem(f"Sheet '{SHEET}'", f"tidak ada di berkas (yang ada: {listed})")],
                          headline="Buku Daftar Anggota tidak diimpor:")


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime | date):
        value = value.isoformat()[:10]
    text = " ".join(str(value).split())
    return text or None


def _date(value: Any) -> tuple[date | None, str | None]:
    """(date, None) or (None, what is wrong); (None, None) for an empty cell."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, None
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        day = value
    elif isinstance(value, bool | int | float):
        return None, f"'{_text(value)}' adalah angka, bukan tanggal; format sel sebagai tanggal atau tulis HH-BB-TTTT"
    else:
        text = str(value).strip()
        for pattern in _DATE_FORMATS:
            try:
                day = datetime.strptime(text, pattern).date()
                break
            except ValueError:
                continue
        else:
            return None, f"'{text}' bukan tanggal; tulis HH-BB-TTTT (mis. 05-10-2025) atau TTTT-BB-HH"
    if not 1900 <= day.year <= 2100:
        return None, f"tahun {day.year} di luar batas wajar"
    return day, None


def _money(value: Any) -> tuple[int | None, str | None]:
    if value is None:
        return 0, None
    if isinstance(value, bool | datetime | date):
        return None, "bukan angka rupiah"
    if isinstance(value, int | float):
        if isinstance(value, float) and not value.is_integer():
            return None, f"'{value}' bukan rupiah utuh (tanpa sen)"
        amount = int(value)
    else:
        text = re.sub(r"\s+", " ", str(value)).strip()
        if text in ("", "-", "—", "–"):
            return 0, None
        match = _MONEY_RE.match(text)
        if not match:
            return None, f"'{text}' bukan angka rupiah (tulis misalnya 100.000 atau Rp. 100.000,-)"
        amount = int(match.group(1).replace(".", ""))
    if amount < 0:
        return None, "tidak boleh negatif"
    if amount > _MAX_MONEY:
        return None, "di luar batas wajar"
    return amount, None


def _nik(value: Any) -> tuple[str | None, str | None]:
    if value is None:
        return None, "NIK kosong"
    if isinstance(value, bool | int | float):
        return None, ("NIK tersimpan sebagai angka, sehingga angka terakhirnya bisa sudah berubah (Excel hanya "
                      "menyimpan 15 angka); ubah format kolom NIK menjadi Teks lalu ketik ulang NIK-nya")
    text = str(value).strip()
    if any(mark in text for mark in _MASK_CHARS) or re.search(r"\d[xX]{3,}", text):
        return None, _MASKED
    digits = re.sub(r"[\s.\-]", "", text)
    if not re.fullmatch(r"[0-9]{16}", digits):
        return None, f"NIK harus 16 angka (berisi {len(re.sub(r'[^0-9]', '', digits))} angka)"
    return digits, None


def _header(values: Sequence[Any]) -> dict[str, int]:
    columns: dict[str, int] = {}
    for index, value in enumerate(values):
        field = _field_of_header(_norm(value)) if isinstance(value, str) else None
        if field and field not in columns:
            columns[field] = index
    return columns


def read_register(content: bytes, build: Callable[[RegisterRow], T], *, max_bytes: int,
                  max_unpacked: int | None = None) -> list[T]:
    """Every member row of the workbook, each passed through ``build`` (the caller's model).

    The workbook is checked before it is opened and read streaming (``xlsx_guard``): at most
    ``max_bytes`` as a file, ``max_unpacked`` unpacked (default 20 times ``max_bytes``),
    :data:`MAX_ROWS` rows, :data:`MAX_COLUMNS` columns and :data:`MAX_CELLS` cells.

    Raises ValidationError listing every bad cell (nothing is returned then), and
    PayloadTooLargeError for a file, sheet or row count over the caps. ``build`` may raise a
    pydantic ValidationError: each refused field is reported at its cell.
    """
    with open_checked(content, _caps(max_bytes, max_unpacked)) as book:
        sheet = _sheet(book)
        return _read_rows(sheet, book.rows(sheet), build)


def _read_rows(sheet: str, rows: Sequence[Sequence[Any]], build: Callable[[RegisterRow], T]) -> list[T]:
    problems = _Problems(sheet)
    columns: dict[str, int] | None = None
    header_row = 0
    out: list[T] = []
    seen_numbers: dict[str, int] = {}
    seen_niks: dict[str, int] = {}
    for row, values in enumerate(rows, start=1):
        if columns is None:
            found = _header(values)
            if "nik" in found and "name" in found:
                columns, header_row = found, row
                for field, label in (("number", HEADERS[0]), ("name", HEADERS[1]), ("nik", HEADERS[2]),
                                     ("joined", HEADERS[4])):
                    if field not in columns:
                        problems.add(f"A{row}", f"kolom '{label}' tidak ada di baris judul")
                problems.raise_if_any()
            elif row >= _HEADER_SCAN_ROWS:
                problems.add("A1", f"baris judul kolom tidak ditemukan (cari kolom 'Nama lengkap' dan 'NIK' "
                                   f"di {_HEADER_SCAN_ROWS} baris pertama)")
                problems.raise_if_any()
            continue
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
            continue
        if row - header_row > MAX_ROWS:
            raise PayloadTooLargeError([FieldProblem(f"Sheet '{sheet}'", f"lebih dari {count(MAX_ROWS)} baris "
                                                                         "anggota; bagi menjadi beberapa berkas")],
                                       headline="Berkas Buku Daftar Anggota terlalu besar:")
        built = _read_row(row, values, columns, problems, seen_numbers, seen_niks, build)
        if built is not None:
            out.append(built)
    if columns is None:
        problems.add("A1", "baris judul kolom tidak ditemukan (cari kolom 'Nama lengkap' dan 'NIK')")
    elif not out and not problems.count:
        problems.add(f"A{header_row + 1}", "belum ada baris anggota di bawah baris judul")
    problems.raise_if_any()
    return out


def _read_row(row: int, values: Sequence[Any], columns: dict[str, int], problems: _Problems,
              seen_numbers: dict[str, int], seen_niks: dict[str, int],
              build: Callable[[RegisterRow], T]) -> T | None:
    def value(field: str) -> Any:
        index = columns.get(field)
        return values[index] if index is not None and index < len(values) else None

    def ref(field: str) -> str:
        index = columns.get(field)
        return f"{get_column_letter(index + 1)}{row}" if index is not None else f"A{row}"

    before = problems.count

    def bad(field: str, message: str) -> None:
        problems.add(ref(field), message)

    number = _text(value("number"))
    if number is None:
        bad("number", "nomor anggota kosong")
    elif number.lower().startswith(_EXAMPLE_PREFIX):
        bad("number", "baris contoh dari templat; hapus baris ini sebelum mengimpor")
        return None
    elif number in seen_numbers:
        bad("number", f"nomor anggota {number} sudah dipakai di baris {seen_numbers[number]}")
    else:
        seen_numbers[number] = row
    name = _text(value("name"))
    if name is None:
        bad("name", "nama lengkap kosong")
    nik, wrong = _nik(value("nik"))
    if wrong:
        bad("nik", wrong)
    elif nik is not None:
        if nik in seen_niks:
            bad("nik", f"NIK sama dengan baris {seen_niks[nik]}; satu orang hanya satu baris")
        else:
            seen_niks[nik] = row
    joined, wrong = _date(value("joined"))
    if wrong:
        bad("joined", wrong)
    elif joined is None:
        bad("joined", "tanggal masuk kosong")
    left, wrong = _date(value("left"))
    if wrong:
        bad("left", wrong)
    elif left is not None and joined is not None and left < joined:
        bad("left", "tanggal keluar sebelum tanggal masuk")
    amount, wrong = _money(value("simpanan_pokok"))
    if wrong:
        bad("simpanan_pokok", wrong)
    address = _text(value("address"))
    if problems.count > before:
        return None
    assert number is not None and name is not None and nik is not None and joined is not None and amount is not None
    try:
        return build(RegisterRow(number=number, name=name, nik=nik, joined=joined, left=left, address=address,
                                 simpanan_pokok=amount))
    except PydanticValidationError as exc:
        for error in exc.errors():
            field = str(error["loc"][0]) if error["loc"] else ""
            if field in _FIELDS:
                bad(field, _FIELDS[field][1])
            else:
                problems.add(f"A{row}", f"baris tidak sah ({error['msg']})")
        return None


# -- writing -------------------------------------------------------------------------------

_THIN = Side(style="thin", color="000000")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEAD_FILL = PatternFill("solid", fgColor="E8E8E8")
_WIDTHS = (18, 32, 22, 40, 15, 15, 20)
_DATE_FORMAT = "DD-MM-YYYY"
_MONEY_FORMAT = "#,##0"
_TEMPLATE_STAMP = datetime(2026, 1, 1)
_EXAMPLES = (
    RegisterRow("CONTOH-0001", "Siti Aminah", "3576014101900001", date(2025, 10, 5), None,
                "Jl. Empunala 12, RT 02 RW 03, Sentanan", 100_000),
    RegisterRow("CONTOH-0002", "Budi Santoso", "3576010202850002", date(2025, 11, 21), date(2026, 6, 30),
                "Jl. Majapahit 7, RT 01 RW 01, Sentanan", 100_000),
)


def _book(title: str, stamp: datetime) -> tuple[Workbook, Worksheet]:
    book = Workbook()
    book.properties.creator = "Tatakelola"
    book.properties.created = stamp.replace(tzinfo=None)
    book.properties.modified = stamp.replace(tzinfo=None)
    book.properties.title = title
    ws = book.active
    assert ws is not None
    ws.title = SHEET
    return book, ws


def _lines(ws: Worksheet, lines: Sequence[tuple[str, Font]]) -> None:
    for row, (text, font) in enumerate(lines, start=1):
        cell = ws.cell(row=row, column=1, value=text)
        cell.font = font
        cell.alignment = Alignment(wrap_text=False)


def _table(ws: Worksheet, rows: Sequence[RegisterRow], *, nik_check: bool) -> None:
    head = _FIRST_DATA_ROW - 1
    for column, (name, width) in enumerate(zip(HEADERS, _WIDTHS, strict=True), start=1):
        cell = ws.cell(row=head, column=column, value=name)
        cell.font = Font(bold=True)
        cell.fill = _HEAD_FILL
        cell.border = _BORDER
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        ws.column_dimensions[get_column_letter(column)].width = width
    ws.column_dimensions["C"].number_format = "@"  # NIKs typed into new rows stay text
    for offset, line in enumerate(rows):
        row = _FIRST_DATA_ROW + offset
        values: tuple[Any, ...] = (line.number, line.name, line.nik, line.address, line.joined, line.left,
                                   line.simpanan_pokok)
        for column, value in enumerate(values, start=1):
            cell = ws.cell(row=row, column=column, value=value)
            cell.border = _BORDER
            cell.alignment = Alignment(vertical="top", wrap_text=column in (2, 4))
            if column in (1, 3):
                cell.number_format = "@"
            elif column in (5, 6):
                cell.number_format = _DATE_FORMAT
            elif column == 7:
                cell.number_format = _MONEY_FORMAT
    last = _FIRST_DATA_ROW + max(len(rows), 1) - 1
    ws.freeze_panes = ws.cell(row=_FIRST_DATA_ROW, column=1)
    ws.auto_filter.ref = f"A{head}:G{last}"
    ws.print_title_rows = f"{head}:{head}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    if nik_check:
        check = DataValidation(type="textLength", operator="equal", formula1="16", allow_blank=True,
                               showErrorMessage=True, errorTitle="NIK", error="NIK harus 16 angka.")
        check.add(f"C{_FIRST_DATA_ROW}:C{_FIRST_DATA_ROW + MAX_ROWS - 1}")
        ws.add_data_validation(check)


def _save(book: Workbook, stamp: datetime) -> bytes:
    buffer = io.BytesIO()
    book.save(buffer)
    return _fixed_zip(buffer.getvalue(), stamp)


def write_register(rows: Sequence[RegisterRow], *, coop_name: str, as_of: date, masked: bool,
                   when: datetime) -> bytes:
    """The register in the layout :func:`read_register` reads (same data and day: same bytes).

    ``masked``: the rows' NIKs are masked; the sheet says the file cannot be imported back.
    ``when`` is the moment stamped in the file (the register's last change).
    """
    book, ws = _book(f"{SHEET} {coop_name}", when)
    active = sum(1 for r in rows if r.left is None or r.left > as_of)
    former = len(rows) - active
    if masked:
        note = ("NIK disamarkan agar daftar ini aman dibagikan. Berkas ini TIDAK dapat diimpor ulang; untuk "
                "mengubah data, pengurus mengekspor dengan NIK lengkap.")
        note_font = Font(italic=True)
    else:
        note = ("BERISI NIK LENGKAP (data pribadi). Simpan di tempat aman, jangan dibagikan, hapus setelah "
                "dipakai. Berkas ini dapat diubah lalu diimpor ulang.")
        note_font = Font(bold=True, color="B3261E")
    _lines(ws, (
        (f"{SHEET} — {coop_name}", Font(bold=True, size=12)),
        (f"Keadaan per {format_date_id(as_of)}: {active} anggota aktif, {former} sudah berhenti.", Font()),
        (note, note_font),
    ))
    _table(ws, rows, nik_check=not masked)
    return _save(book, when)


def write_template(coop_name: str | None = None) -> bytes:
    """An empty register to fill in, with two example rows to replace (always the same bytes)."""
    book, ws = _book(SHEET, _TEMPLATE_STAMP)
    _lines(ws, (
        (f"{SHEET}" + (f" — {coop_name}" if coop_name else ""), Font(bold=True, size=12)),
        ("Satu baris per anggota mulai baris 6. NIK 16 angka ditulis sebagai teks. Tanggal HH-BB-TTTT. "
         "Tanggal keluar dikosongkan bagi anggota aktif.", Font()),
        ("Dua baris CONTOH di bawah ini harus dihapus atau ditimpa sebelum diimpor.", Font(italic=True)),
    ))
    _table(ws, _EXAMPLES, nik_check=True)
    return _save(book, _TEMPLATE_STAMP)
