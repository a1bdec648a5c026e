"""Limits declared once, enforced the same on SQLite and PostgreSQL.

What either database (or the RFC 8785 JSON of the approval trail) cannot hold exactly is refused
here, at input, with an Indonesian message, before anything is written:

- integers within ±(2^53−1), the range JSON numbers hold exactly; money as whole rupiah up to
  :data:`MONEY_MAX`; numbers typed with the ASCII digits 0–9 only;
- dates typed with zero padding (``TTTT-BB-HH`` or ``HH-BB-TTTT``);
- text without NUL, C0/C1 control characters or unpaired surrogates (non-UTF-8 bytes), within
  the length of the column it is stored in; tab and line breaks only where a text may span lines;
- attachment file names normalised (NFC, no folders, no control characters) and shortened by
  their stem, never their extension.

The stored lengths mirror the models' ``String(n)`` (``engine/adapters/store/models.py``); the
domain may not import the store, so ``tests/reliability/test_limits.py`` holds the two equal.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pydantic import AfterValidator

__all__ = [
    "CITY",
    "COLUMN_LIMITS",
    "COMMENT_MAX",
    "COOP_NAME",
    "DEFINITION_TITLE",
    "EMAIL",
    "FILENAME_MAX",
    "KELURAHAN",
    "MEMBER_ADDRESS",
    "MEMBER_NAME",
    "MONEY_MAX",
    "PERSON_NAME",
    "SAFE_INTEGER",
    "SETTING_LIST_MAX",
    "SETTING_TEXT_MAX",
    "TERM_NOTE",
    "TEXT_MAX",
    "USERNAME_PATTERN",
    "checked_email",
    "checked_settings",
    "checked_text",
    "email_problem",
    "integer_problem",
    "parse_date",
    "parse_integer",
    "safe_filename",
    "setting_problem",
    "stored_date",
    "terminal_safe",
    "text_problem",
]

#: The largest integer every layer holds exactly: JSON (RFC 8785 / IEEE 754 doubles), SQLite, PostgreSQL.
SAFE_INTEGER = 2**53 - 1
#: Money is whole rupiah from 0 up to a thousand trillion (Rp 1.000.000.000.000.000): above is a typo.
MONEY_MAX = 10**15
#: A typed text field without its own ``max_length`` (the definitions allow at most 20.000).
TEXT_MAX = 20_000
#: A comment on a decision (stored as TEXT; bounded so a pasted file is not a comment).
COMMENT_MAX = 4_000
#: One text value in a cooperative's settings (AD/ART), and one list of them.
SETTING_TEXT_MAX = 500
SETTING_LIST_MAX = 500
#: An attachment's stored file name (the column holds 255).
FILENAME_MAX = 200

COOP_NAME = 200
CITY = 120
KELURAHAN = 120
PERSON_NAME = 200
TERM_NOTE = 200
DEFINITION_TITLE = 200
MEMBER_NAME = 120
MEMBER_ADDRESS = 300
#: An e-mail address (RFC 5321: at most 254 characters in a path, 64 before the @).
EMAIL = 254

#: ``table.column`` -> the length people's text may have there (the models' ``String(n)``).
COLUMN_LIMITS: dict[str, int] = {
    "cooperatives.name": COOP_NAME,
    "cooperatives.city": CITY,
    "cooperatives.kelurahan": KELURAHAN,
    "people.full_name": PERSON_NAME,
    "role_assignments.note": TERM_NOTE,
    "definitions.title": DEFINITION_TITLE,
    "members.full_name": MEMBER_NAME,
    "members.address": MEMBER_ADDRESS,
    "people.email": EMAIL,
}

# C0 controls, DEL, C1 controls, and the bidirectional overrides that reorder what a terminal shows.
_CONTROL = "".join(map(chr, [*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0)])) + "\u202a\u202b\u202c\u202d\u202e" \
    "\u2066\u2067\u2068\u2069"
_LINE_BREAKS = "\t\n\r"
_BAD_LINE = re.compile(f"[{re.escape(_CONTROL)}]")
_BAD_MULTILINE = re.compile(f"[{re.escape(''.join(c for c in _CONTROL if c not in _LINE_BREAKS))}]")
_SURROGATE = re.compile("[\ud800-\udfff]")
_ASCII_INT = re.compile(r"[+-]?[0-9]+")
_ISO_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_ID_DATE = re.compile(r"([0-9]{2})([-/])([0-9]{2})\2([0-9]{4})")
#: Longest integer text worth reading: 2^53−1 has 16 digits (a few leading zeros are forgiven).
_MAX_DIGITS = 24


def _shown(char: str) -> str:
    return f"U+{ord(char):04X}"


def text_problem(value: str, *, max_length: int, multiline: bool = False) -> str | None:
    """Why ``value`` cannot be stored as text (None when it can).

    Refuses non-UTF-8 bytes (surrogates), NUL and every C0/C1 control character (tab and line
    breaks are allowed when ``multiline``), and text longer than ``max_length`` characters.
    """
    if _SURROGATE.search(value):
        return "berisi byte yang bukan UTF-8; tulis ulang teksnya"
    bad = (_BAD_MULTILINE if multiline else _BAD_LINE).search(value)
    if bad:
        allowed = " (tab dan baris baru boleh)" if multiline else ""
        return f"berisi karakter kendali {_shown(bad.group())} yang tidak boleh disimpan{allowed}"
    if len(value) > max_length:
        return f"terlalu panjang ({len(value)} huruf, maksimal {max_length})"
    return None


def checked_text(max_length: int, *, multiline: bool = False) -> AfterValidator:
    """A pydantic validator (``Annotated[str, checked_text(120)]``) applying :func:`text_problem`."""
    from pydantic import AfterValidator

    def check(value: str) -> str:
        problem = text_problem(value, max_length=max_length, multiline=multiline)
        if problem:
            raise ValueError(problem)
        return value

    return AfterValidator(check)


def checked_settings() -> AfterValidator:
    """A pydantic validator for a cooperative's settings mapping, applying :func:`setting_problem` per key."""
    from pydantic import AfterValidator

    def check(value: dict[str, Any]) -> dict[str, Any]:
        for key, item in value.items():
            problem = setting_problem(item)
            if problem:
                raise ValueError(f"{key}: {problem}")
        return value

    return AfterValidator(check)


#: An address as people type it into a mail program: ASCII letters, digits and ``._%+-`` before the @,
#: a domain of dot-separated labels (letters, digits, inner hyphens) ending in a name of letters.
_EMAIL = re.compile(r"[A-Za-z0-9_%+-]+(?:\.[A-Za-z0-9_%+-]+)*@"
                    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}")


def email_problem(value: str) -> str | None:
    """Why ``value`` is not an e-mail address this engine sends to (None when it is).

    Strict but simple: no display name, quotes, comments or international characters; at most
    :data:`EMAIL` characters, 64 before the @.
    """
    if len(value) > EMAIL:
        return f"terlalu panjang ({len(value)} huruf, maksimal {EMAIL})"
    if not _EMAIL.fullmatch(value) or len(value.partition("@")[0]) > 64:
        return "bukan alamat e-mail yang sah (contoh: nama@contoh.id)"
    return None


def checked_email() -> AfterValidator:
    """A pydantic validator (``Annotated[str, checked_email()]``) applying :func:`email_problem`."""
    from pydantic import AfterValidator

    def check(value: str) -> str:
        problem = email_problem(value.strip())
        if problem:
            raise ValueError(problem)
        return value.strip()

    return AfterValidator(check)


def integer_problem(value: int, *, lowest: int = -SAFE_INTEGER, highest: int = SAFE_INTEGER) -> str | None:
    """Why ``value`` is outside the range every layer holds exactly (None when inside)."""
    if not lowest <= value <= highest:
        if lowest == 0 and highest == MONEY_MAX:
            return "jumlah di luar batas wajar (maksimal Rp 1.000.000.000.000.000)"
        return f"di luar batas yang dapat disimpan ({lowest:,} sampai {highest:,})".replace(",", ".")
    return None


def parse_integer(text: str, *, lowest: int = -SAFE_INTEGER, highest: int = SAFE_INTEGER) -> int:
    """An integer typed with ASCII digits 0–9 (an optional sign) within the range; ValueError otherwise.

    Python's ``int()`` also reads Arabic-Indic (``٣``) and full-width (``３``) digits and underscores;
    people's data must not, and the length is bounded before converting.
    """
    text = text.strip()
    if not _ASCII_INT.fullmatch(text):
        if any(c.isdigit() for c in text) or any(unicodedata.category(c) == "Nd" for c in text):
            raise ValueError("pakai angka 0–9 saja")
        raise ValueError("harus bilangan bulat (angka 0–9)")
    if len(text.lstrip("+-").lstrip("0")) > _MAX_DIGITS:
        raise ValueError(integer_problem(SAFE_INTEGER + 1, lowest=lowest, highest=highest))
    value = int(text)
    problem = integer_problem(value, lowest=lowest, highest=highest)
    if problem:
        raise ValueError(problem)
    return value


#: A user name as organisation files and person fields write it.
USERNAME_PATTERN = r"[a-z0-9][a-z0-9._-]{1,62}"


def stored_date(value: object) -> date | None:
    """A date as case data or a setting keeps it (ISO text, or a date): None when empty or not a date."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and value.strip():
        try:
            return date.fromisoformat(value.strip()[:10])
        except ValueError:
            return None
    return None


def parse_date(text: str) -> date:
    """A date typed ``TTTT-BB-HH`` (ISO) or ``HH-BB-TTTT`` / ``HH/BB/TTTT``, zero-padded; ValueError otherwise."""
    text = text.strip()
    iso = _ISO_DATE.fullmatch(text)
    local = _ID_DATE.fullmatch(text)
    if iso:
        year, month, day = (int(g) for g in iso.groups())
    elif local:
        day, month, year = int(local.group(1)), int(local.group(3)), int(local.group(4))
    else:
        if any(unicodedata.category(c) == "Nd" and not "0" <= c <= "9" for c in text):
            raise ValueError("pakai angka 0–9 dan TTTT-BB-HH, mis. 2026-01-05")
        raise ValueError("tanggal tidak dikenali; pakai TTTT-BB-HH (mis. 2026-01-05) atau HH-BB-TTTT")
    try:
        return date(year, month, day)
    except ValueError:
        raise ValueError(f"tanggal tidak dikenali: {text} tidak ada di kalender") from None


def setting_problem(value: Any, *, depth: int = 0) -> str | None:
    """Why a cooperative setting (AD/ART) cannot be kept: a number outside ±(2^53−1), a float,
    text with control characters or too long, lists nested or too long (None when it can)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return integer_problem(value)
    if isinstance(value, float):
        return "harus bilangan bulat, bukan pecahan"
    if isinstance(value, str):
        return text_problem(value, max_length=SETTING_TEXT_MAX)
    if isinstance(value, list | dict):
        if depth >= 2:
            return "bertingkat terlalu dalam"
        items = list(value.items()) if isinstance(value, dict) else list(enumerate(value))
        if len(items) > SETTING_LIST_MAX:
            return f"terlalu banyak isian ({len(items)}, maksimal {SETTING_LIST_MAX})"
        for key, item in items:
            problem = (text_problem(key, max_length=SETTING_TEXT_MAX) if isinstance(key, str) else None) \
                or setting_problem(item, depth=depth + 1)
            if problem:
                return f"[{key}]: {problem}"
        return None
    return f"jenis nilai {type(value).__name__} tidak dapat disimpan"


def safe_filename(filename: str, *, max_length: int = FILENAME_MAX, fallback: str = "lampiran") -> str:
    """A file name fit to store and show: NFC, no folders, no control characters or non-UTF-8 bytes,
    at most ``max_length`` characters with the extension kept (the stem is shortened)."""
    name = _SURROGATE.sub("\ufffd", filename)
    name = unicodedata.normalize("NFC", name).replace("\\", "/").rsplit("/", 1)[-1]
    name = _BAD_LINE.sub("", name).strip().strip(".").strip() or fallback
    if len(name) <= max_length:
        return name
    stem, dot, suffix = name.rpartition(".")
    if not (dot and stem) or len(suffix) > 16:
        return name[:max_length].rstrip()
    return stem[:max_length - len(suffix) - 1].rstrip() + "." + suffix


def terminal_safe(text: str) -> str:
    """``text`` with control characters shown, not obeyed: ESC becomes ``\\x1b``, U+202E ``\\u202e``.

    Line breaks and tabs stay (guidance and comments span lines); a carriage return is shown.
    """
    return _BAD_MULTILINE.sub(_escaped, _SURROGATE.sub("\ufffd", text)).replace("\r", "\\r")


def _escaped(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
