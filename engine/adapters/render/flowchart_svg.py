"""The SOP flowchart as one inline SVG for the web page, drawn from the printed SOP's layout.

:func:`~engine.adapters.render.flowchart.continuous_layout` decides everything the printed
flowchart decides: the lanes, which lane(s) each step's symbol sits in, its shape and width, and
every routed line, arrowhead and branch label (x in lane-area millimetres, y anchored to the
top, centre or bottom of a row). This module only maps that onto screen pixels: each lane becomes
at least wide enough for its role's longest word, rows become as tall as their step title needs,
and the step number is written in its symbol so a phone user who scrolled the diagram sideways
still knows which row is which. Nothing here decides a route, so the two cannot drift apart.

The SVG uses presentation attributes only (no ``style``, so the page's CSP needs no inline styles),
inherits the page's font and states its natural size in ``viewBox``. The page scales it to its
box between two widths: not so narrow that a label falls below :data:`MIN_FONT_PX` (a phone
scrolls the diagram sideways inside its box instead), not so wide that a two-lane procedure
fills a laptop screen. All text is escaped.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from markupsafe import Markup, escape

from engine.adapters.render import textfit
from engine.adapters.render.flowchart import Draw, Layout, Step, label_slots

__all__ = ["MIN_FONT_PX", "FlowchartSvg", "flowchart_svg"]

PX_PER_MM = 4.6  # lane-area scale when every role label fits
MIN_FONT_PX = 11.0  # no label is drawn smaller than this, however narrow the screen
MAX_SCALE = 1.25  # nor larger than this times its natural size, however wide
TITLE_PX = 13.0
LABEL_PX = 12.0
HEAD_PX = 12.0
TITLE_LINE = 17.0
HEAD_LINE = 15.0
KEGIATAN = 190.0  # the column with each step's number and title
KEGIATAN_MANY_LANES = 160.0  # ... when six or more lanes need the room
NUMBER_COL = 36.0  # step numbers end here; titles start here
PAD = 8.0
ROW_PAD = 24.0  # above and below a symbol: room for the arrowhead and a branch label
MARGIN = 4.0  # beyond the table, for a branch label that leaves the last lane
ARROW_LEN = 8.0
ARROW_HALF = 4.5
SYMBOL_PX = {"terminator": 30.0, "process": 34.0, "decision": 46.0}
INK = "#1b1f23"
GRID = "#c3cbd3"
HEAD_BG = "#eef1f4"


def _fmt(value: float) -> str:
    text = f"{value:.1f}".rstrip("0").rstrip(".")
    return text if text not in ("", "-0") else "0"


def _width(text: str, size_px: float, *, bold: bool = False) -> float:
    """Width in px of ``text`` (DejaVu Sans metrics, generous for narrower phone fonts)."""
    return textfit.text_width(text, size_px * 0.75, bold=bold) * 96 / 25.4


def _wrap(text: str, width_px: float, size_px: float, *, bold: bool = False) -> list[str]:
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}" if current else word
        if current and _width(candidate, size_px, bold=bold) > width_px:
            lines.append(current)
            current = word
        else:
            current = candidate
    if current:
        lines.append(current)
    return lines or [""]


def _text(x: float, y: float, content: str, *, anchor: str = "start", extra: str = "") -> str:
    anchor_attr = "" if anchor == "start" else f' text-anchor="{anchor}"'
    return f'<text x="{_fmt(x)}" y="{_fmt(y)}"{anchor_attr}{extra}>{escape(content)}</text>'


def _group(attributes: str, items: Iterable[str]) -> str:
    body = "".join(items)
    return f"<g {attributes}>{body}</g>" if body else ""


class _Canvas:
    """Lane-area millimetres and row anchors mapped to pixels."""

    def __init__(self, layout: Layout) -> None:
        self.layout = layout
        geo = layout.geometry
        widest = max((_width(word, HEAD_PX) for lane in layout.lanes for word in lane.label.split()), default=0.0)
        self.lane_px = max(geo.lane_width * PX_PER_MM, widest + 2 * PAD)
        self.scale = self.lane_px / geo.lane_width
        self.left = KEGIATAN if len(layout.lanes) <= 5 else KEGIATAN_MANY_LANES
        self.head_lines = [_wrap(lane.label, self.lane_px - 2 * PAD, HEAD_PX) for lane in layout.lanes]
        self.head = max([2, *(len(lines) for lines in self.head_lines)]) * HEAD_LINE + 2 * PAD
        self.titles = [_wrap(step.title, self.left - NUMBER_COL - PAD, TITLE_PX, bold=True) for step in layout.steps]
        self.rows: list[tuple[float, float]] = []
        y = self.head
        for step, title in zip(layout.steps, self.titles, strict=True):
            height = max(SYMBOL_PX[step.shape] + 2 * ROW_PAD, len(title) * TITLE_LINE + 2 * PAD)
            self.rows.append((y, y + height))
            y += height
        self.height = y
        self.table_width = self.left + self.lane_px * len(layout.lanes)
        ends = [x + (_width(text, LABEL_PX) if anchor == "start" else 0.0) for text, x, _, anchor in self.labels()]
        self.width = max([self.table_width, *ends]) + MARGIN

    def x(self, mm: float) -> float:
        return self.left + mm * self.scale

    def labels(self) -> Iterable[tuple[str, float, float, str]]:
        """Each branch label: its text, x, baseline y and anchor ("start" or "end")."""
        for step in self.layout.steps:
            left, top, right, bottom = self.symbol(step)
            cy = (top + bottom) / 2
            inset = 4.0 if step.shape == "decision" else -4.0  # beside a diamond's point, outside a box
            for where, text, x_mm, k in label_slots(self.layout.draws[step.index]):
                step_y = (LABEL_PX + 2) * k  # labels on one side stack, nearest the line first
                if where == "bottom":  # beside the line leaving downwards
                    yield text, self.x(x_mm) + 5, bottom + LABEL_PX + 2 + step_y, "start"
                elif where == "left":  # the line leaves to the left, then down: the labels sit above it
                    yield text, left + inset, cy - 5 - step_y, "end"
                elif where == "above-right":  # the line leaves to the right, then down: the labels sit above it
                    yield text, right - inset, cy - 5 - step_y, "start"
                else:  # the line leaves to the right, then up: the labels sit below it
                    yield text, right - inset, cy + LABEL_PX + 3 + step_y, "start"

    def symbol(self, step: Step) -> tuple[float, float, float, float]:
        """Left, top, right, bottom of a step's symbol."""
        left, right = self.layout.geometry.symbol(step)
        y0, y1 = self.rows[step.index]
        cy = (y0 + y1) / 2
        half = SYMBOL_PX[step.shape] / 2
        return self.x(left), cy - half, self.x(right), cy + half


def _grid(c: _Canvas) -> Iterable[str]:
    n = len(c.layout.lanes)
    right = c.left + c.lane_px * n
    yield (f'<rect x="0" y="0" width="{_fmt(right)}" height="{_fmt(c.head)}" fill="{HEAD_BG}"/>')
    d = [f"M0,{_fmt(c.head)}H{_fmt(right)}"]
    for _, y1 in c.rows:
        d.append(f"M0,{_fmt(y1)}H{_fmt(right)}")
    d.append(f"M{_fmt(c.left)},0V{_fmt(c.height)}")
    for lane in range(1, n):
        x = _fmt(c.left + lane * c.lane_px)
        d.append(f"M{x},0V{_fmt(c.head)}")
        for step, (y0, y1) in zip(c.layout.steps, c.rows, strict=True):
            if not step.first_lane < lane <= step.last_lane:  # a step across lanes is one merged cell
                d.append(f"M{x},{_fmt(y0)}V{_fmt(y1)}")
    yield f'<path d="{"".join(d)}" fill="none" stroke="{GRID}" stroke-width="1"/>'
    yield (f'<rect x="0.5" y="0.5" width="{_fmt(right - 1)}" height="{_fmt(c.height - 1)}" fill="none" '
           f'stroke="{GRID}" stroke-width="1"/>')


def _headings(c: _Canvas) -> Iterable[str]:
    middle = c.head / 2
    yield _text(PAD, middle + 4, "Langkah")
    for lane, lines in enumerate(c.head_lines):
        cx = c.left + (lane + 0.5) * c.lane_px
        first = middle - (len(lines) - 1) * HEAD_LINE / 2 + 4
        for i, line in enumerate(lines):
            yield _text(cx, first + i * HEAD_LINE, line, anchor="middle")


def _titles(c: _Canvas) -> Iterable[str]:
    for step, lines, (y0, _) in zip(c.layout.steps, c.titles, c.rows, strict=True):
        base = y0 + PAD + TITLE_PX
        yield _text(NUMBER_COL - 6, base, f"{step.no}.", anchor="end")
        for i, line in enumerate(lines):
            yield _text(NUMBER_COL, base + i * TITLE_LINE, line)


def _lines(c: _Canvas) -> str:
    d: list[str] = []
    seen: set[tuple[object, ...]] = set()
    for step in c.layout.steps:
        draw: Draw = c.layout.draws[step.index]
        y0, y1 = c.rows[step.index]
        cy = (y0 + y1) / 2
        for x_mm, part in draw.vertical:
            key: tuple[object, ...] = ("v", step.index, round(x_mm, 2), part)
            if key in seen:
                continue
            seen.add(key)
            top, bottom = {"upper": (y0, cy), "lower": (cy, y1)}.get(part, (y0, y1))
            d.append(f"M{_fmt(c.x(x_mm))},{_fmt(top)}V{_fmt(bottom)}")
        for a, b in draw.horizontal:
            key = ("h", step.index, round(min(a, b), 2), round(max(a, b), 2))
            if key in seen or abs(a - b) < 0.01:
                continue
            seen.add(key)
            d.append(f"M{_fmt(c.x(min(a, b)))},{_fmt(cy)}H{_fmt(c.x(max(a, b)))}")
    return f'<path d="{"".join(d)}" fill="none" stroke="{INK}" stroke-width="1.6"/>'


def _symbols(c: _Canvas) -> Iterable[str]:
    stroke = f'fill="#fff" stroke="{INK}" stroke-width="1.6"'
    for step in c.layout.steps:
        left, top, right, bottom = c.symbol(step)
        cx, cy = (left + right) / 2, (top + bottom) / 2
        if step.shape == "terminator":
            r = (bottom - top) / 2
            yield (f'<rect x="{_fmt(left)}" y="{_fmt(top)}" width="{_fmt(right - left)}" height="{_fmt(bottom - top)}" '
                   f'rx="{_fmt(r)}" {stroke}/>')
            word = step.mark
            if not word or _width(word, LABEL_PX) > right - left - 6:  # the rounded ends leave the middle free
                word = str(step.no)  # a narrow lane: the step number, as in the other symbols
            yield _text(cx, cy + LABEL_PX * 0.36, word, anchor="middle")
            continue
        if step.shape == "process":
            yield (f'<rect x="{_fmt(left)}" y="{_fmt(top)}" width="{_fmt(right - left)}" '
                   f'height="{_fmt(bottom - top)}" {stroke}/>')
        else:
            yield (f'<path d="M{_fmt(cx)},{_fmt(top)}L{_fmt(right)},{_fmt(cy)}L{_fmt(cx)},{_fmt(bottom)}'
                   f'L{_fmt(left)},{_fmt(cy)}Z" {stroke}/>')
        yield _text(cx, cy + TITLE_PX * 0.36, str(step.no), anchor="middle",
                    extra=f' font-size="{_fmt(TITLE_PX)}" font-weight="bold"')


def _arrows(c: _Canvas) -> str:
    heads: list[str] = []
    for step in c.layout.steps:
        left, top, right, bottom = c.symbol(step)
        cy = (top + bottom) / 2
        for kind, x_mm in c.layout.draws[step.index].arrows:
            x = c.x(x_mm)
            if kind == "top":
                tip, base = (x, top), (x, top - ARROW_LEN)
            elif kind == "bottom":
                tip, base = (x, bottom), (x, bottom + ARROW_LEN)
            elif kind == "left":
                tip, base = (left, cy), (left - ARROW_LEN, cy)
            else:
                tip, base = (right, cy), (right + ARROW_LEN, cy)
            if tip[0] == base[0]:
                wing = f"L{_fmt(base[0] - ARROW_HALF)},{_fmt(base[1])}L{_fmt(base[0] + ARROW_HALF)},{_fmt(base[1])}"
            else:
                wing = f"L{_fmt(base[0])},{_fmt(base[1] - ARROW_HALF)}L{_fmt(base[0])},{_fmt(base[1] + ARROW_HALF)}"
            heads.append(f"M{_fmt(tip[0])},{_fmt(tip[1])}{wing}Z")
    return f'<path d="{"".join(heads)}" fill="{INK}"/>' if heads else ""


def _labels(c: _Canvas) -> Iterable[str]:
    for text, x, y, anchor in c.labels():
        yield _text(x, y, text, anchor=anchor)


@dataclass(frozen=True)
class FlowchartSvg:
    """The drawing and the widths (CSS px) between which a page should draw it."""

    svg: Markup
    min_width: int  # narrower would make the smallest label less than MIN_FONT_PX
    max_width: int  # wider would only make it coarse


def flowchart_svg(layout: Layout, *, title: str, description: str, ident: str) -> FlowchartSvg:
    """The whole flowchart as one ``<svg role="img">`` with a ``<title>`` and ``<desc>``.

    ``ident`` prefixes the element ids (it must be unique on the page). The ``width`` attribute is
    :attr:`FlowchartSvg.max_width`; a page shrinks it to its box, but not below ``min_width``.
    """
    c = _Canvas(layout)
    smallest = min(LABEL_PX, HEAD_PX, TITLE_PX)
    min_width = math.ceil(c.width * MIN_FONT_PX / smallest)
    max_width = math.ceil(c.width * MAX_SCALE)
    height = math.ceil(c.height * max_width / c.width)
    safe_id = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in ident)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="flow" role="img" '
        f'aria-labelledby="{safe_id}-judul {safe_id}-uraian" viewBox="0 0 {_fmt(c.width)} {_fmt(c.height)}" '
        f'width="{max_width}" height="{height}" font-size="{_fmt(LABEL_PX)}" fill="{INK}">',
        f'<title id="{safe_id}-judul">{escape(title)}</title>',
        f'<desc id="{safe_id}-uraian">{escape(description)}</desc>',
        *_grid(c),
        _group(f'font-size="{_fmt(HEAD_PX)}"', _headings(c)),
        _group(f'font-size="{_fmt(TITLE_PX)}" font-weight="bold"', _titles(c)),
        _lines(c),
        *_symbols(c),
        _arrows(c),
        _group('stroke="#fff" stroke-width="4" stroke-linejoin="round" paint-order="stroke"', _labels(c)),
        "</svg>",
    ]
    return FlowchartSvg(Markup("".join(parts)), min_width, max_width)  # noqa: S704 - numbers and escaped text only
