"""The footer QR code (segno), as an SVG data URI for a CSS margin box."""

from __future__ import annotations

import base64
import io

import segno

__all__ = ["qr_data_uri"]


def qr_data_uri(text: str, size_mm: float = 17.0) -> str:
    """An SVG QR code of ``text`` (error correction L, no quiet zone), ``size_mm`` wide, as a data URI."""
    code = segno.make(text, error="l", micro=False, boost_error=False)
    modules = code.symbol_size(border=0)[0]
    buffer = io.BytesIO()
    code.save(buffer, kind="svg", xmldecl=False, svgns=True, nl=False, border=0, unit="mm",
              scale=round(size_mm / modules, 4))
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()
