"""Printing people's data on a terminal: markup escaped, control sequences shown instead of obeyed.

Names, titles, comments and case data come from people and files; an ANSI escape sequence in them
must not recolour, move the cursor or retitle the terminal of whoever reads ``case show``. Every
command prints such text through :func:`shown`.
"""

from __future__ import annotations

from rich.markup import escape

__all__ = ["shown"]


def shown(text: object) -> str:
    """``text`` safe to hand to ``Console.print``: Rich markup escaped, control characters made visible."""
    from engine.domain.limits import terminal_safe  # `--help` loads engine.cli and engine.errors only

    return escape(terminal_safe(str(text)))
