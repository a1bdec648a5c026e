"""Indonesian formatting for printed documents: Rupiah, terbilang, dates, percentages."""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from babel.dates import format_date
from babel.numbers import format_decimal
from num2words import num2words

from engine.domain.values import format_date_id, format_rupiah

__all__ = [
    "angka",
    "hari",
    "persen",
    "porsi",
    "rupiah",
    "tanggal",
    "tanggal_waktu",
    "terbilang",
    "zona",
]

_SCALES = ("", "ribu", "juta", "miliar", "triliun", "kuadriliun")
_ZONES = {"Asia/Jakarta": "WIB", "Asia/Pontianak": "WIB", "Asia/Makassar": "WITA", "Asia/Jayapura": "WIT"}


def angka(amount: int) -> str:
    """``1250000`` -> ``1.250.000`` (negative with a leading minus)."""
    text = format_decimal(abs(amount), format="#,##0", locale="id_ID")
    return f"-{text}" if amount < 0 else text


def rupiah(amount: int) -> str:
    """``1250000`` -> ``Rp 1.250.000``; ``-5000`` -> ``-Rp 5.000``."""
    return f"-{format_rupiah(-amount)}" if amount < 0 else format_rupiah(amount)


def _words(number: int) -> str:
    """Indonesian words for a non-negative integer, with ``seribu`` where Indonesians say it."""
    if number == 0:
        return "nol"
    groups: list[int] = []
    while number:
        number, group = divmod(number, 1000)
        groups.append(group)
    if len(groups) > len(_SCALES):
        raise ValueError("angka terlalu besar untuk ditulis dengan kata")
    parts: list[str] = []
    for index in range(len(groups) - 1, -1, -1):
        group = groups[index]
        if group == 0:
            continue
        scale = _SCALES[index]
        if group == 1 and scale == "ribu":
            parts.append("seribu")
            continue
        words = str(num2words(group, lang="id"))
        parts.append(f"{words} {scale}".strip())
    return " ".join(parts)


def terbilang(amount: int, *, currency: bool = True) -> str:
    """``1250000`` -> ``satu juta dua ratus lima puluh ribu rupiah``."""
    words = _words(abs(amount))
    if amount < 0:
        words = f"minus {words}"
    return f"{words} rupiah" if currency else words


def tanggal(value: date | datetime | str) -> str:
    """``2026-11-24`` -> ``24 November 2026``."""
    if isinstance(value, str):
        value = date.fromisoformat(value)
    if isinstance(value, datetime):
        value = value.date()
    return format_date_id(value)


def hari(value: date | datetime) -> str:
    """Day name: ``Selasa``."""
    return str(format_date(value, format="EEEE", locale="id_ID"))


def zona(tz: ZoneInfo) -> str:
    """Short Indonesian time-zone name (WIB, WITA, WIT) or the zone key."""
    return _ZONES.get(tz.key, tz.key)


def tanggal_waktu(value: datetime, tz: ZoneInfo) -> str:
    """``24 November 2026 pukul 10.00 WIB`` in the cooperative's time zone."""
    local = value.astimezone(tz)
    return f"{format_date_id(local.date())} pukul {local:%H.%M} {zona(tz)}"


def persen(value: Decimal | float | int | None, digits: int = 1, *, signed: bool = True) -> str:
    """``Decimal('12.5')`` -> ``+12,5%`` (or ``12,5%`` unsigned); None -> ``—``."""
    if value is None:
        return "—"
    quantum = Decimal(1).scaleb(-digits)
    number = Decimal(str(value)).quantize(quantum, rounding=ROUND_HALF_UP)
    pattern = "#,##0." + "0" * digits if digits else "#,##0"
    text = format_decimal(abs(number), format=pattern, locale="id_ID")
    sign = "-" if number < 0 else ("+" if number > 0 and signed else "")
    return f"{sign}{text}%"


def porsi(value: Decimal | float | int) -> str:
    """A share of the SHU: ``30`` -> ``30%``, ``2.5`` -> ``2,5%``."""
    number = Decimal(str(value)).normalize()
    exponent = number.as_tuple().exponent
    digits = max(0, -exponent) if isinstance(exponent, int) else 0
    return persen(number, digits, signed=False)
