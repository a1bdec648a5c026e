"""Typed case values: parsing what people type, validating, formatting for Indonesians."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from engine.domain.definitions.model import Definition, FieldDef
from engine.errors import FieldProblem, ValidationError

__all__ = [
    "format_date_id",
    "format_rupiah",
    "format_value",
    "is_empty",
    "parse_value",
    "resolved_settings",
    "validate_value",
]

_MONEY_RE = re.compile(r"^(?:rp\.?\s*)?(\d{1,3}(?:\.\d{3})+|\d+)(?:,00?)?$", re.IGNORECASE)
_MAX_MONEY = 10**15  # a quadrillion rupiah: anything above is a typo
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
                                                            f"bawaannya ({spec.default!r}); tercatat {value!r}"))
        out[name] = value
    if problems:
        raise ValidationError(problems, headline="Setting koperasi tidak sah; perbaiki berkas organisasi (AD/ART):")
    return out


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
            raise _problem(name, field, "jumlah uang tidak dikenali; tulis misalnya 1.250.000 (rupiah utuh)")
        return int(match.group(1).replace(".", ""))
    if field.type == "integer":
        if not re.fullmatch(r"-?\d+", text):
            raise _problem(name, field, "harus bilangan bulat")
        return int(text)
    if field.type == "date":
        for fmt in ("%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y"):
            try:
                return datetime.strptime(text, fmt).date().isoformat()
            except ValueError:
                continue
        raise _problem(name, field, "tanggal tidak dikenali; tulis HH-BB-TTTT atau TTTT-BB-HH")
    if field.type == "choice":
        options = _options(field, settings)
        for option in options:
            if option.lower() == text.lower():
                return option
        if text.isdigit() and 1 <= int(text) <= len(options):
            return options[int(text) - 1]
        raise _problem(name, field, "pilihan tidak dikenal; pilih salah satu dari: " + "; ".join(options))
    if field.type == "attachment":
        raise _problem(name, field, "lampiran diunggah sebagai berkas, bukan diketik")
    if field.type == "attendance":  # one list, comma separated: KKMP-STN-0007,KKMP-STN-0021 or bambang,dwi
        entries = [part.strip() for part in re.split(r"[,;\n]", text) if part.strip()]
        return sorted(entries) or None
    return text


def _problem(name: str, field: FieldDef, message: str) -> ValidationError:
    return ValidationError([FieldProblem(field.label, message, name)])


def validate_value(name: str, field: FieldDef, value: Any, settings: Mapping[str, Any]) -> FieldProblem | None:
    """Check a stored value against its field definition; None when valid (or empty)."""
    if is_empty(value):
        return None
    if field.type in ("money", "integer"):
        if not isinstance(value, int) or isinstance(value, bool):
            return FieldProblem(field.label, "harus bilangan bulat", name)
        if field.type == "money" and not 0 <= value <= _MAX_MONEY:
            return FieldProblem(field.label, "jumlah di luar batas wajar", name)
        if field.min is not None and value < field.min:
            shown = format_rupiah(field.min) if field.type == "money" else str(field.min)
            return FieldProblem(field.label, f"minimal {shown}", name)
        if field.max is not None and value > field.max:
            shown = format_rupiah(field.max) if field.type == "money" else str(field.max)
            return FieldProblem(field.label, f"maksimal {shown}", name)
    elif field.type == "text":
        if not isinstance(value, str):
            return FieldProblem(field.label, "harus berupa teks", name)
        if field.max_length is not None and len(value) > field.max_length:
            return FieldProblem(field.label, f"terlalu panjang ({len(value)} huruf, maksimal {field.max_length})", name)
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


def format_value(field: FieldDef, value: Any) -> str:
    """A stored value as people read it."""
    if is_empty(value):
        return "—"
    if field.type == "money" and isinstance(value, int):
        return format_rupiah(value)
    if field.type == "date":
        return format_date_id(date.fromisoformat(str(value)))
    if field.type == "attachment" and isinstance(value, dict):
        return f"{value.get('name')} ({value.get('size')} bita, SHA-256 {str(value.get('sha256'))[:16]}…)"
    if field.type == "attendance" and isinstance(value, list):
        listed = f": {', '.join(str(v) for v in value)}" if len(value) <= 40 else ""
        return f"{len(value)} hadir{listed}"
    return str(value)
