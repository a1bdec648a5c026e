"""Typed case values: parsing what people type, validating, formatting for Indonesians."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any, NamedTuple

from engine.domain.definitions.model import MAX_LIST_ROWS, Definition, FieldDef
from engine.domain.limits import (
    COMMENT_MAX,
    MONEY_MAX,
    TEXT_MAX,
    USERNAME_PATTERN,
    integer_problem,
    parse_date,
    parse_integer,
    setting_problem,
    text_problem,
)
from engine.errors import FieldProblem, ValidationError

__all__ = [
    "LIST_TEXT_MAX",
    "ListTable",
    "editable_rows",
    "format_date_id",
    "format_rupiah",
    "format_value",
    "human_size",
    "is_empty",
    "list_table",
    "parse_value",
    "request_problems",
    "resolved_settings",
    "validate_value",
]

# ASCII digits only: Python's \\d also matches Arabic-Indic and full-width digits.
_MONEY_RE = re.compile(r"^(?:rp\.?\s*)?([0-9]{1,3}(?:\.[0-9]{3})+|[0-9]+)(?:,00?)?$", re.IGNORECASE)
_MAX_MONEY = MONEY_MAX
#: One name or member number in an attendance list.
_ATTENDEE_MAX = 120
_USERNAME_RE = re.compile(USERNAME_PATTERN)
#: Longest typed list (JSON text) read: 500 full rows fit; a larger paste is refused before it is parsed.
LIST_TEXT_MAX = 1_000_000
_MONTHS = ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober",
           "November", "Desember")

# The two formats every screen shows, written out: Babel's id_ID data ("#,##0", "d MMMM y") costs more
# to load than the rest of `case show`. tests/unit/test_values.py holds them equal to Babel's; the
# printed documents (adapters/render/formatting.py) use Babel for everything else.


def format_rupiah(amount: int) -> str:
    """``1250000`` -> ``Rp 1.250.000``."""
    return "Rp " + f"{amount:,d}".replace(",", ".")


def format_date_id(value: date) -> str:
    """``2026-11-28`` -> ``28 November 2026``."""
    return f"{value.day} {_MONTHS[value.month - 1]} {value.year}"


def is_empty(value: Any) -> bool:
    """None, empty text or empty list/dict count as not filled."""
    return value is None or (isinstance(value, str | list | dict) and not value)


def resolved_settings(definition: Definition, coop_settings: Mapping[str, Any]) -> dict[str, Any]:
    """The settings a definition reads: the cooperative's values over the documented defaults.

    A value of the wrong type (a quoted number, a list where a number belongs) is refused
    rather than guessed at: the AD/ART decides, so a typo must surface.
    """
    out: dict[str, Any] = {}
    problems: list[FieldProblem] = []
    for name, spec in definition.settings_used.items():
        value = coop_settings.get(name, spec.default)
        expected = type(spec.default)
        if isinstance(value, bool) != isinstance(spec.default, bool) or not isinstance(value, expected):
            problems.append(FieldProblem(f"setting {name}", f"harus bertipe {expected.__name__} seperti nilai "
                                                            f"bawaannya ({spec.default!r}); tercatat {_brief(value)}"))
        elif problem := setting_problem(value):
            problems.append(FieldProblem(f"setting {name}", problem))
        out[name] = value
    if problems:
        raise ValidationError(problems, headline="Setting koperasi tidak sah; perbaiki berkas organisasi (AD/ART):")
    return out


def _brief(value: Any) -> str:
    """A stored value in a message, cut short (a number of 10^30 or a long text stays readable)."""
    if isinstance(value, int) and abs(value) >= 10**20:  # str() of a huge int is slow, and refused over 4.300 digits
        return f"bilangan ±10^{int(value.bit_length() * 0.30103)}"
    shown = repr(value)
    return shown if len(shown) <= 80 else shown[:77] + "…"


def _options(field: FieldDef, settings: Mapping[str, Any]) -> list[str]:
    if field.options:
        return list(field.options)
    value = settings.get(field.options_setting or "", [])
    return [str(v) for v in value] if isinstance(value, list) else []


def parse_value(name: str, field: FieldDef, raw: Any, settings: Mapping[str, Any]) -> Any:
    """Parse typed text (CLI ``--set``, web form) into the stored value; raises ValidationError.

    A ``list`` field takes JSON text (``[{"anggota": "siti", "jabatan": "Ketua"}]``) or an already
    parsed list of rows; each cell is parsed and checked by its column's own rules."""
    if field.type == "list":
        return _parse_list(name, field, raw, settings)
    text = raw.strip()
    if text == "":
        return None
    if field.type == "money":
        compact = re.sub(r"\s+", " ", text)
        match = _MONEY_RE.match(compact)
        if not match:
            hint = "pakai angka 0–9; " if any(c.isdigit() and not "0" <= c <= "9" for c in text) else ""
            raise _problem(name, field, f"jumlah uang tidak dikenali; {hint}tulis misalnya 1.250.000 (rupiah utuh)")
        try:
            return parse_integer(match.group(1).replace(".", ""), lowest=0, highest=MONEY_MAX)
        except ValueError as exc:
            raise _problem(name, field, str(exc)) from None
    if field.type == "integer":
        try:
            return parse_integer(text)
        except ValueError as exc:
            raise _problem(name, field, str(exc)) from None
    if field.type == "date":
        try:
            return parse_date(text).isoformat()
        except ValueError as exc:
            raise _problem(name, field, str(exc)) from None
    if field.type == "choice":
        options = _options(field, settings)
        for option in options:
            if option.lower() == text.lower():
                return option
        if re.fullmatch(r"[0-9]{1,4}", text) and 1 <= int(text) <= len(options):
            return options[int(text) - 1]
        raise _problem(name, field, "pilihan tidak dikenal; pilih salah satu dari: " + "; ".join(options))
    if field.type == "text":
        problem = text_problem(text, max_length=field.max_length or TEXT_MAX, multiline=True)
        if problem:
            raise _problem(name, field, problem)
    if field.type == "attachment":
        raise _problem(name, field, "lampiran diunggah sebagai berkas, bukan diketik")
    if field.type == "attendance":  # one list, comma separated: KKMP-STN-0007,KKMP-STN-0021 or bambang,dwi
        entries = [part.strip() for part in re.split(r"[,;\n]", text) if part.strip()]
        for entry in entries:
            problem = text_problem(entry, max_length=_ATTENDEE_MAX)
            if problem:
                raise _problem(name, field, f"'{entry[:40]}': {problem}")
        return sorted(entries) or None
    if field.type == "person":
        return _parse_person(name, field, text)
    return text


def _parse_person(name: str, field: FieldDef, text: str) -> str:
    """A person of the cooperative by user name: trimmed and lower-cased (who it is: people_fields)."""
    username = text.strip().lower()
    problem = text_problem(username, max_length=64)
    if problem:
        raise _problem(name, field, problem)
    if not _USERNAME_RE.fullmatch(username):
        raise _problem(name, field, f"'{username[:40]}' bukan nama pengguna; tulis nama pengguna orangnya "
                                    "(huruf kecil, angka, titik, garis bawah atau tanda hubung), mis. siti")
    return username


def _column_key(field: FieldDef, key: str) -> str | None:
    """The column a row's key names: its id or its label, in any case."""
    columns = field.columns or {}
    wanted = key.strip().lower()
    for column_id, column in columns.items():
        if wanted in (column_id, column.label.strip().lower()):
            return column_id
    return None


def _cell_text(value: Any) -> str | None:
    """A cell as typed text (numbers as digits); None when it is neither text nor a whole number."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return None


def _parse_list(name: str, field: FieldDef, raw: Any, settings: Mapping[str, Any]) -> list[dict[str, Any]] | None:
    """Rows of a list field, each cell by its column's rules; rows with every cell empty are dropped.

    Problems name the row as typed (``Baris 2, Anggota: ...``), every one of them at once."""
    columns = field.columns or {}
    rows: Any = raw
    if isinstance(raw, str):
        text = raw.strip()
        if text == "":
            return None
        if len(text) > LIST_TEXT_MAX:
            raise _problem(name, field, f"daftar terlalu besar ({len(text) // 1000} ribu huruf, "
                                        f"maksimal {LIST_TEXT_MAX // 1000} ribu)")
        try:
            rows = json.loads(text)
        except (ValueError, RecursionError):
            raise _problem(name, field, "bukan daftar yang dapat dibaca; tulis sebagai JSON, mis. "
                                        + _example(field)) from None
    if rows is None:
        return None
    if not isinstance(rows, list):
        raise _problem(name, field, "harus daftar baris, mis. " + _example(field))
    cap = field.max_rows or MAX_LIST_ROWS
    if len(rows) > 2 * MAX_LIST_ROWS:  # refused before any cell is parsed
        raise _problem(name, field, f"terlalu banyak baris: {len(rows)} (maksimal {cap})")
    problems: list[FieldProblem] = []
    out: list[dict[str, Any]] = []
    for number, row in enumerate(rows, start=1):
        if not isinstance(row, dict):
            problems.append(FieldProblem(field.label, f"Baris {number}: harus berisi kolom dan nilainya, "
                                                      f"mis. {_example(field)}", name))
            continue
        typed: dict[str, str] = {}
        for key, cell in row.items():
            column_id = _column_key(field, str(key))
            if column_id is None:
                problems.append(FieldProblem(field.label, f"Baris {number}: kolom '{str(key)[:40]}' tidak dikenal; "
                                                          f"kolom yang ada: {_column_names(field)}", name))
                continue
            cell_text = _cell_text(cell)
            if cell_text is None:
                problems.append(FieldProblem(field.label, f"Baris {number}, {columns[column_id].label}: "
                                                          "harus teks atau bilangan bulat", name))
                continue
            typed[column_id] = cell_text
        if all(not t.strip() for t in typed.values()):
            continue  # an empty row (a form's spare rows): not a row
        parsed: dict[str, Any] = {}
        for column_id, column in columns.items():
            try:
                value = parse_value(column_id, column, typed.get(column_id, ""), settings)
            except ValidationError as exc:
                problems += [_in_row(field, name, number, column, p.message) for p in exc.problems]
                continue
            if value is None and column.required:
                problems.append(_in_row(field, name, number, column, "wajib diisi"))
            elif (problem := validate_value(column_id, column, value, settings)) is not None:
                problems.append(_in_row(field, name, number, column, problem.message))
            parsed[column_id] = value
        out.append(parsed)
    if len(out) > cap:
        problems.append(FieldProblem(field.label, f"terlalu banyak baris: {len(out)} (maksimal {cap})", name))
    elif out and field.min_rows is not None and len(out) < field.min_rows:
        problems.append(FieldProblem(field.label, f"minimal {field.min_rows} baris (terisi {len(out)})", name))
    if problems:
        raise ValidationError(problems)
    return out or None


def _in_row(field: FieldDef, name: str, number: int, column: FieldDef, message: str) -> FieldProblem:
    return FieldProblem(field.label, f"Baris {number}, {column.label}: {message}", name)


def _column_names(field: FieldDef) -> str:
    return ", ".join(f"{c} ({col.label})" for c, col in (field.columns or {}).items())


def _example(field: FieldDef) -> str:
    """``[{"anggota": "...", "jabatan": "..."}]`` for this field's columns."""
    cells = {"text": "...", "money": 1250000, "integer": 1, "date": "2026-01-20", "choice": "...",
             "person": "siti"}
    row = {c: cells.get(col.type, "...") for c, col in (field.columns or {}).items()}
    return json.dumps([row], ensure_ascii=False)


def request_problems(definition: Definition, attachments: Iterable[str], comment: str | None) -> list[FieldProblem]:
    """What is wrong with a start or an action's request beyond its typed values, checked before anything
    is read or written: an ``--attach`` naming a field that is not an attachment, a comment that cannot
    be stored (control characters, non-UTF-8 bytes, longer than :data:`~engine.domain.limits.COMMENT_MAX`)."""
    problems: list[FieldProblem] = []
    known = [n for n, f in definition.fields.items() if f.type == "attachment"]
    for name in attachments:
        if name and name not in known:
            what = "bukan field lampiran" if name in definition.fields else "field lampiran tidak dikenal"
            choices = ", ".join(known) or "tidak ada"
            problems.append(FieldProblem(f"--attach {name[:40]}", f"{what}; field lampiran yang ada: {choices}"))
    if comment:
        problem = text_problem(comment, max_length=COMMENT_MAX, multiline=True)
        if problem:
            problems.append(FieldProblem("Catatan", problem, "comment"))
    return problems


def _problem(name: str, field: FieldDef, message: str) -> ValidationError:
    return ValidationError([FieldProblem(field.label, message, name)])


def validate_value(name: str, field: FieldDef, value: Any, settings: Mapping[str, Any]) -> FieldProblem | None:
    """Check a stored value against its field definition; None when valid (or empty)."""
    if is_empty(value):
        return None
    if field.type in ("money", "integer"):
        if not isinstance(value, int) or isinstance(value, bool):
            return FieldProblem(field.label, "harus bilangan bulat", name)
        problem = integer_problem(value, lowest=0, highest=_MAX_MONEY) if field.type == "money" \
            else integer_problem(value)
        if problem:
            return FieldProblem(field.label, problem, name)
        if field.min is not None and value < field.min:
            shown = format_rupiah(field.min) if field.type == "money" else str(field.min)
            return FieldProblem(field.label, f"minimal {shown}", name)
        if field.max is not None and value > field.max:
            shown = format_rupiah(field.max) if field.type == "money" else str(field.max)
            return FieldProblem(field.label, f"maksimal {shown}", name)
    elif field.type == "text":
        if not isinstance(value, str):
            return FieldProblem(field.label, "harus berupa teks", name)
        problem = text_problem(value, max_length=field.max_length or TEXT_MAX, multiline=True)
        if problem:
            return FieldProblem(field.label, problem, name)
        if field.pattern and not re.fullmatch(field.pattern, value):
            return FieldProblem(field.label, field.pattern_hint or f"format tidak sesuai ({field.pattern})", name)
    elif field.type == "choice":
        if value not in _options(field, settings):
            return FieldProblem(field.label, "pilihan tidak dikenal", name)
    elif field.type == "date":
        try:
            date.fromisoformat(str(value))
        except ValueError:
            return FieldProblem(field.label, "tanggal tidak sah", name)
    elif field.type == "attachment" and not (isinstance(value, dict) and "sha256" in value):
        return FieldProblem(field.label, "lampiran tidak sah", name)
    elif field.type == "attendance" and not (isinstance(value, list) and all(isinstance(v, str) and v for v in value)):
        # who may be listed (and nobody twice) is checked against the register: engine.domain.attendance.check_list
        return FieldProblem(field.label, "harus daftar nomor anggota atau nama pengguna", name)
    elif field.type == "person":
        # who it may be (someone of the cooperative, holding a role) is checked against the roster: people_fields
        if not isinstance(value, str) or not _USERNAME_RE.fullmatch(value):
            return FieldProblem(field.label, "harus nama pengguna", name)
    elif field.type == "list":
        return _list_problem(name, field, value, settings)
    return None


def _list_problem(name: str, field: FieldDef, value: Any, settings: Mapping[str, Any]) -> FieldProblem | None:
    """The first thing wrong with stored rows (a list of {column: value} in the columns' order)."""
    columns = field.columns or {}
    if not isinstance(value, list):
        return FieldProblem(field.label, "harus daftar baris", name)
    cap = field.max_rows or MAX_LIST_ROWS
    if len(value) > cap:
        return FieldProblem(field.label, f"terlalu banyak baris: {len(value)} (maksimal {cap})", name)
    if field.min_rows is not None and len(value) < field.min_rows:
        return FieldProblem(field.label, f"minimal {field.min_rows} baris (terisi {len(value)})", name)
    for number, row in enumerate(value, start=1):
        if not isinstance(row, dict):
            return FieldProblem(field.label, f"Baris {number}: bukan baris", name)
        unknown = [str(k) for k in row if k not in columns]
        if unknown:
            return FieldProblem(field.label, f"Baris {number}: kolom '{unknown[0][:40]}' tidak dikenal; "
                                             f"kolom yang ada: {_column_names(field)}", name)
        for column_id, column in columns.items():
            cell = row.get(column_id)
            if is_empty(cell):
                if column.required:
                    return _in_row(field, name, number, column, "wajib diisi")
                continue
            problem = validate_value(column_id, column, cell, settings)
            if problem is not None:
                return _in_row(field, name, number, column, problem.message)
    return None


def human_size(size: int) -> str:
    """A file size as people read it: "di bawah 1 KB", "201 KB", "1,4 MB", "2,1 GB"."""
    if size < 1024:
        return "di bawah 1 KB"
    if size < 1024 * 1024:
        return f"{max(1, round(size / 1024))} KB"
    if size < 1 << 30:
        return f"{size / (1024 * 1024):.1f} MB".replace(".", ",")
    return f"{size / (1 << 30):.1f} GB".replace(".", ",")


class ListTable(NamedTuple):
    """A list field as a table: its column labels and each row's cells as people read them."""

    headers: list[str]
    rows: list[list[str]]


def list_table(field: FieldDef, value: Any, names: Mapping[str, str] | None = None) -> ListTable:
    """A list field's rows for a page or a document; ``names`` (user name -> full name) shows a person
    as "Siti Aminah (siti)"."""
    columns = field.columns or {}
    rows: list[list[str]] = []
    for row in value if isinstance(value, list) else []:
        if not isinstance(row, dict):
            continue
        cells = []
        for column_id, column in columns.items():
            cell = row.get(column_id)
            if column.type == "person" and isinstance(cell, str) and names and cell in names:
                cells.append(f"{names[cell]} ({cell})")
            else:
                cells.append(format_value(column, cell))
        rows.append(cells)
    return ListTable([c.label for c in columns.values()], rows)


def editable_rows(field: FieldDef, value: Any) -> list[dict[str, str]]:
    """A list field's rows as a form shows them to edit: each cell as text :func:`parse_value` reads back
    (money ``1.250.000``, dates ``2026-01-20``, a person's user name)."""
    out: list[dict[str, str]] = []
    for row in value if isinstance(value, list) else []:
        if not isinstance(row, dict):
            continue
        cells: dict[str, str] = {}
        for column_id, column in (field.columns or {}).items():
            cell = row.get(column_id)
            if cell is None:
                cells[column_id] = ""
            elif column.type == "money" and isinstance(cell, int):
                cells[column_id] = f"{cell:,}".replace(",", ".")
            else:
                cells[column_id] = str(cell)
        out.append(cells)
    return out


def format_value(field: FieldDef, value: Any) -> str:
    """A stored value as people read it (a list: how many rows; :func:`list_table` shows them)."""
    if is_empty(value):
        return "—"
    if field.type == "list" and isinstance(value, list):
        return f"{len(value)} baris"
    if field.type == "money" and isinstance(value, int):
        return format_rupiah(value)
    if field.type == "date":
        return format_date_id(date.fromisoformat(str(value)))
    if field.type == "attachment" and isinstance(value, dict):
        size = value.get("size")
        return f"{value.get('name')} ({human_size(size) if isinstance(size, int) else '?'})"
    if field.type == "attendance" and isinstance(value, list):
        listed = f": {', '.join(str(v) for v in value)}" if len(value) <= 40 else ""
        return f"{len(value)} hadir{listed}"
    return str(value)
