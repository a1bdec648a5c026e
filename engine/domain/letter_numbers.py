"""Letter numbers (nomor surat) of a Berita Acara, in the form the cooperative sets.

A cooperative numbers its letters in its own style, in its settings (``format_nomor_surat``,
e.g. ``{urut}/BA/{kode}/{bulan_romawi}/{tahun}`` -> ``003/BA/KKMP-SNT/XII/2026``). The number
of a case's Berita Acara never changes once given: its running number (``urut``), month and year
come from the case's first decision, counted among the cooperative's cases in the order their
first decisions entered the (append-only) trail, restarting each year. Documents issued before
this setting existed keep their old number (``BA-KAS-2026-0003``, :func:`legacy_minutes_number`).
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from engine.errors import FieldProblem, ValidationError

__all__ = [
    "DEFAULT_FORMAT",
    "FORMAT_SETTING",
    "KODE_SETTING",
    "PLACEHOLDERS",
    "LetterNumber",
    "format_problem",
    "legacy_minutes_number",
    "letter_code",
    "minutes_number",
    "roman_month",
]

FORMAT_SETTING = "format_nomor_surat"
KODE_SETTING = "kode_surat"
DEFAULT_FORMAT = "{urut}/BA/{kode}/{bulan_romawi}/{tahun}"
#: What a format may use, with what each stands for (printed in the error for an unknown one).
PLACEHOLDERS = {
    "urut": "nomor urut Berita Acara dalam tahun itu, tiga angka (003)",
    "kode": "kode surat koperasi (setelan kode_surat, mis. KKMP-SNT)",
    "bulan_romawi": "bulan dalam angka Romawi (XII)",
    "bulan": "bulan, dua angka (12)",
    "tahun": "tahun, empat angka (2026)",
    "prosedur": "kode prosedur dari nomor kasus (KAS)",
    "kasus": "nomor kasus (KAS/2026/0003)",
}
_ROMAN = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII")
_MAX = 80


def roman_month(month: int) -> str:
    """``12`` -> ``XII``."""
    return _ROMAN[month - 1]


def legacy_minutes_number(case_number: str) -> str:
    """The number Berita Acara were given before ``format_nomor_surat``: ``KAS/2026/0001`` -> ``BA-KAS-2026-0001``."""
    return "BA-" + case_number.replace("/", "-")


def format_problem(value: Any) -> str | None:
    """Why ``value`` is not a usable ``format_nomor_surat`` (None when it is)."""
    if not isinstance(value, str) or not value.strip():
        return "harus berupa teks, mis. " + DEFAULT_FORMAT
    if len(value) > _MAX:
        return f"terlalu panjang ({len(value)} huruf, maksimal {_MAX})"
    try:
        parts = list(string.Formatter().parse(value))
    except ValueError:
        return "kurung kurawal tidak berpasangan; tulis tempat isian seperti {urut}"
    known = ", ".join("{" + p + "}" for p in PLACEHOLDERS)
    used: set[str] = set()
    for _, name, spec, conversion in parts:
        if name is None:
            continue
        if name not in PLACEHOLDERS:
            shown = "{" + name + "}" if name else "{}"
            return f"tempat isian {shown} tidak dikenal (dikenal: {known})"
        if spec or conversion:
            return f"tempat isian {{{name}}} ditulis tanpa format tambahan (tanpa ':' atau '!')"
        used.add(name)
    if not used & {"urut", "kasus"}:
        return "harus memuat {urut} atau {kasus}, agar setiap Berita Acara bernomor lain"
    return None


def letter_code(settings: Mapping[str, Any], initials: str, kelurahan: str | None) -> str:
    """The cooperative's letter code: setting ``kode_surat``, else initials and a short place (``KKMP-SNT``)."""
    given = settings.get(KODE_SETTING)
    if isinstance(given, str) and given.strip():
        return given.strip()
    if not kelurahan:
        return initials
    letters = re.sub(r"[^A-Za-z]", "", kelurahan).upper()
    short = letters[:1] + re.sub(r"[AEIOU]", "", letters[1:])
    return f"{initials}-{short[:3]}" if short else initials


@dataclass(frozen=True)
class LetterNumber:
    """What a Berita Acara's number is made of."""

    case_number: str
    urut: int
    day: date
    code: str


def minutes_number(parts: LetterNumber, settings: Mapping[str, Any]) -> str:
    """The Berita Acara's number in the cooperative's format (:data:`DEFAULT_FORMAT` when none is set).

    Raises:
        ValidationError: When the cooperative's ``format_nomor_surat`` is not usable (naming the problem).
    """
    fmt = settings.get(FORMAT_SETTING) or DEFAULT_FORMAT
    problem = format_problem(fmt)
    if problem:
        raise ValidationError([FieldProblem(FORMAT_SETTING, problem)],
                              headline="Setelan nomor surat koperasi tidak dapat dipakai:")
    prefix = parts.case_number.split("/", 1)[0]
    return str(fmt).format(urut=f"{parts.urut:03d}", kode=parts.code, bulan_romawi=roman_month(parts.day.month),
                           bulan=f"{parts.day.month:02d}", tahun=f"{parts.day.year:04d}", prosedur=prefix,
                           kasus=parts.case_number).strip()
