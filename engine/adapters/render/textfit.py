"""Estimate how many lines a text wraps to in a column, from DejaVu Sans metrics.

Used to paginate the SOP flowchart ourselves (so off-page connectors land on the right
rows). Estimates err on the generous side; without the font file a wide average is used.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

__all__ = ["line_count", "text_width"]

PT_TO_MM = 25.4 / 72
_FALLBACK_EM = 0.62  # average advance per character, in em, when metrics are unavailable
_SAFETY = 1.06  # kerning, hinting and justification differences
_FONT_DIRS = (
    "/usr/share/fonts/truetype/dejavu",
    "/usr/share/fonts/dejavu",
    "/usr/share/fonts/TTF",
    "/usr/local/share/fonts",
    "/Library/Fonts",
)


@lru_cache(maxsize=2)
def _advances(bold: bool) -> tuple[dict[int, float], float] | None:
    """Advance widths in em by code point, plus the average; None without the font."""
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    path = next((Path(d) / name for d in _FONT_DIRS if (Path(d) / name).is_file()), None)
    if path is None:
        return None
    try:
        from fontTools.ttLib import TTFont

        font = TTFont(str(path), lazy=True)
        units = float(font["head"].unitsPerEm)
        metrics = font["hmtx"].metrics
        cmap = font.getBestCmap()
        widths = {cp: metrics[glyph][0] / units for cp, glyph in cmap.items() if glyph in metrics}
        font.close()
    except Exception:  # a broken or unexpected font file: fall back to the average
        return None
    latin = [widths[c] for c in range(0x20, 0x7F) if c in widths]
    return widths, (sum(latin) / len(latin) if latin else _FALLBACK_EM)


def text_width(text: str, size_pt: float, *, bold: bool = False) -> float:
    """Width of ``text`` in millimetres at ``size_pt``."""
    table = _advances(bold)
    em = size_pt * PT_TO_MM
    if table is None:
        return len(text) * _FALLBACK_EM * em * _SAFETY
    widths, average = table
    return sum(widths.get(ord(ch), average) for ch in text) * em * _SAFETY


def line_count(text: str, width_mm: float, size_pt: float, *, bold: bool = False) -> int:
    """Lines ``text`` wraps to in a box ``width_mm`` wide (greedy, at spaces; 0 for empty text)."""
    total = 0
    space = text_width(" ", size_pt, bold=bold)
    for paragraph in text.splitlines() or [""]:
        words = paragraph.split()
        if not words:
            continue
        lines, current = 1, 0.0
        for word in words:
            width = text_width(word, size_pt, bold=bold)
            if width > width_mm:  # breaks inside the word
                extra = int(width // width_mm)
                lines += extra + (1 if current else 0)
                current = width - extra * width_mm
                continue
            needed = width if current == 0 else current + space + width
            if needed > width_mm:
                lines += 1
                current = width
            else:
                current = needed
        total += lines
    return total
