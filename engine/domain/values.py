"""Typed case values: parsing what people type, validating, formatting for Indonesians."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from engine.domain.definitions.model import Definition, FieldDef
from engine.domain.limits import (
    COMMENT_MAX,
    MONEY_MAX,
    TEXT_MAX,
    integer_problem,
    parse_date,
    parse_integer,
    setting_problem,
    text_problem,
)
from engine.errors import FieldProblem, ValidationError

__all__ = [
    "format_date_id",
    "format_rupiah",
    "format_value",
    "human_size",
    "is_empty",
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


def parse_value(name: str, field: FieldDef, raw: str, settings: Mapping[str, Any]) -> Any:
    """Parse typed text (CLI ``--set``, web form) into the stored value; raises ValidationError."""
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
    return text


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


def format_value(field: FieldDef, value: Any) -> str:
    """A stored value as people read it."""
    if is_empty(value):
        return "—"
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
