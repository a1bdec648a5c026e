"""Interface translations: Indonesian source strings, an English catalogue (gettext .po via Babel)."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

__all__ = ["LANGUAGES", "translator"]

LANGUAGES = ("id", "en")
_LOCALE_DIR = Path(__file__).resolve().parent / "locale"


@lru_cache(maxsize=4)
def _catalog(lang: str) -> Catalog | None:
    path = _LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po"
    if not path.exists():
        return None
    with path.open("rb") as handle:
        return read_po(handle, locale=lang)


def translator(lang: str) -> Callable[[str], str]:
    """``_()`` for templates: the translation, or the Indonesian text itself."""
    catalog = _catalog(lang) if lang != "id" else None

    def gettext(message: str) -> str:
        if catalog is None:
            return message
        entry = catalog.get(message)
        return str(entry.string) if entry is not None and entry.string else message

    return gettext
