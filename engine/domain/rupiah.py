"""Rupiah amounts as Indonesians type them: ``Rp. 1.000.000,-``, ``IDR 1 250 000``, ``1.250.000,00``.

Accepted: an optional ``Rp``, ``Rp.`` or ``IDR`` prefix; digits grouped by three with dots, spaces or
non-breaking spaces as thousands separators (one kind per amount), or no separator at all; an optional
``,-``, ``,00``, ``,0`` or ``.-`` suffix (no sen). Refused, with the reason: anything whose meaning is
ambiguous, e.g. ``1,5`` or ``1.5`` (a decimal or a thousands separator?), ``1,500`` (English
thousands), groups that are not three digits (``12.50.000``), or mixed separators.
"""

from __future__ import annotations

import re

from engine.domain.values import format_rupiah

__all__ = ["RupiahError", "format_rp", "parse_rupiah"]

_SPACES = "\u00a0\u202f\u2007\u2009"  # no-break, narrow no-break, figure and thin spaces
_PREFIX = re.compile(r"^(?:rp\.?|idr)\s*", re.IGNORECASE)
_SUFFIX = re.compile(r"(?:,-|,0{1,2}|\.-|,\s*-)$")
_GROUPED = re.compile(r"^\d{1,3}(?:(?P<sep>[. ])\d{3})(?:(?P=sep)\d{3})*$")


class RupiahError(ValueError):
    """Text that is not a whole-rupiah amount; ``str(error)`` says why, in Indonesian."""


def format_rp(amount: int) -> str:
    """``10476500`` -> ``Rp 10.476.500``, ``-5000`` -> ``-Rp 5.000`` (for messages; documents format with Babel)."""
    return "-" + format_rupiah(-amount) if amount < 0 else format_rupiah(amount)


def parse_rupiah(text: str) -> int:
    """The whole-rupiah amount ``text`` denotes (negative with a leading minus).

    Raises:
        RupiahError: When the text is not an amount, or its notation is ambiguous.
    """
    raw = text
    for space in _SPACES:
        text = text.replace(space, " ")
    text = " ".join(text.split())
    negative = text.startswith("-")
    if negative:
        text = text[1:].lstrip()
    text = _PREFIX.sub("", text)
    if text.startswith("-") and not negative:  # "Rp -5.000"
        negative, text = True, text[1:].lstrip()
    text = _SUFFIX.sub("", text).rstrip()
    shown = raw.strip()[:60]
    if not text or not text[0].isdigit():
        raise RupiahError(f"'{shown}' bukan angka rupiah (tulis misalnya 1.250.000)")
    if text.isdigit():
        amount = int(text)
    elif _GROUPED.match(text):
        amount = int(re.sub(r"[. ]", "", text))
    elif re.fullmatch(r"\d{1,3}(?:\.\d{3})+,\d{1,2}", text):
        raise RupiahError(f"'{shown}' berisi sen; tulis rupiah utuh, misalnya 1.250.000")
    elif re.fullmatch(r"\d+[.,]\d{1,2}", text) or re.fullmatch(r"\d{1,3}(?:,\d{3})+", text):
        raise RupiahError(f"'{shown}' bermakna ganda (desimal atau pemisah ribuan?); tulis rupiah utuh dengan "
                          "titik sebagai pemisah ribuan, misalnya 1.500.000 atau 1500000")
    else:
        raise RupiahError(f"'{shown}' bukan angka rupiah: pisahkan ribuan dengan titik (atau spasi) per tiga "
                          "angka, misalnya 1.250.000, Rp 1.250.000 atau 1 250 000")
    return -amount if negative else amount
