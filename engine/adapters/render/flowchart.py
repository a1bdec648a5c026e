"""The SOP flowchart (Permenpan-RB 35/2012): steps as rows, one swimlane per pelaksana.

Only the five standard symbols are drawn: terminator (start/end), process, decision,
arrow and off-page connector. The flowchart is laid out here, in millimetres:

* each row is one step; its symbol sits in the lane (or adjacent lanes) of the role(s)
  that act on it, vertically centred in the row;
* connecting lines are CSS background layers of the lane cells, anchored only at the
  top, centre or bottom of a row, so they stay joined whatever height a row grows to;
* symbols, arrowheads and branch labels are a small inline SVG centred in the row;
* the rows are split into pages here (not by the renderer), so an edge that crosses a
  page break ends in a lettered off-page connector and resumes from the same letter.

The web app draws the same layout on one continuous page (:func:`continuous_layout`, drawn
as a single SVG by :mod:`engine.adapters.render.flowchart_svg`), so screen and paper agree.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from markupsafe import Markup, escape

from engine.adapters.render import textfit
from engine.domain.definitions.model import FORWARD_KINDS, Action, Definition, EscalationLevel, State
from engine.domain.definitions.phrase import phrase_guard
from engine.domain.roles import role_label

__all__ = [
    "SYMBOL_H",
    "VERIFICATION_TAIL",
    "Draw",
    "FlowPage",
    "FlowRow",
    "Flowchart",
    "Geometry",
    "Lane",
    "LaneCell",
    "Layout",
    "Step",
    "build_flowchart",
    "continuous_layout",
    "guard_text",
    "label_slots",
    "legend_svgs",
]

Shape = Literal["terminator", "process", "decision"]

PAGE_WIDTH = 273.0  # A4 landscape minus 12 mm margins
PAGE_BODY = 168.0  # A4 landscape height minus 16 mm top and 26 mm bottom margins
HEADING = 8.0  # the "Bagan Alir" line above each page's table
SAFETY = 5.0
LINE = 0.3
ROW_MIN = 19.0
ROW_CONNECTOR = 25.0
SYMBOL_H: dict[str, float] = {"terminator": 7.0, "process": 8.0, "decision": 10.0}
VERIFICATION_TAIL = 34.0  # the "Keterangan keabsahan dokumen" box after an SOP's last flowchart row
LABEL_MM = 1.9  # branch labels
LABEL_STEP = 2.1  # between two labels stacked on one side of a symbol
SVG_PAD = 2.8  # room above (arrowhead) and below (branch label) the symbol
CHANNEL_STEP = 1.1
CHANNEL_EDGE = 1.9  # distance of the first routing channel from the lane border
BODY_PT = 7.2
LINE_MM = BODY_PT * textfit.PT_TO_MM * 1.25
CELL_PAD = 2.2


@dataclass(frozen=True)
class Lane:
    """One swimlane: a role and its Indonesian label."""

    role: str
    label: str


@dataclass
class Step:
    """One row of the flowchart table."""

    index: int
    no: int
    state: str
    shape: Shape
    first_lane: int
    last_lane: int
    title: str
    text: str
    kelengkapan: str
    waktu: str
    output: str
    notes: list[str] = field(default_factory=list)
    start: bool = False
    end: bool = False
    who: list[str] = field(default_factory=list)  # the lanes (role labels) that act on this step
    mark: str = ""  # the word in a terminator: Mulai, Selesai, or the end status (Ditolak)


@dataclass(frozen=True)
class Edge:
    """A drawn transition between two rows."""

    source: int
    target: int
    label: str | None


@dataclass(frozen=True)
class LaneCell:
    """One ``<td>`` of the lane area: colspan, CSS background layers, optional symbol SVG."""

    colspan: int
    style: str
    svg: Markup | None


@dataclass(frozen=True)
class FlowRow:
    """A step with its lane cells and the height it needs."""

    step: Step
    cells: list[LaneCell]
    height: float


@dataclass(frozen=True)
class FlowPage:
    """The rows printed on one page."""

    rows: list[FlowRow]
    continued: bool


@dataclass(frozen=True)
class Flowchart:
    """Everything the flowchart template prints."""

    #: Page layout, not data: left out of ``content.json`` (the steps it draws are ``definition.json``).
    layout_only: ClassVar[bool] = True

    lanes: list[Lane]
    lane_width: float
    columns: dict[str, float]
    pages: list[FlowPage]
    steps: list[Step]
    edges: list[Edge]
    connectors: int


# -- steps from the definition -------------------------------------------------------------


def _first_sentence(text: str | None) -> str:
    if not text:
        return ""
    flat = " ".join(text.split())
    match = re.search(r"(?<=[.!?])\s+(?=[A-Z])", flat[25:])
    return flat if match is None else flat[: 25 + match.start()]


def guard_text(expression: str, d: Definition, settings: Mapping[str, Any]) -> str:
    """A guard expression as people read it, with the cooperative's values (one renderer for the
    SOP, the procedure page, the step page and ``case show``: engine.domain.definitions.phrase)."""
    return phrase_guard(expression, d, settings)


def _lanes(d: Definition) -> list[Lane]:
    roles = list(dict.fromkeys([*d.roles, *(r for a in d.actions for r in a.roles)]))
    return [Lane(r, role_label(r)) for r in roles]


def _performers(actions: Sequence[Action], index: Mapping[str, int]) -> list[int]:
    forward = [a for a in actions if a.kind in FORWARD_KINDS] or list(actions)
    return sorted({index[r] for a in forward for r in a.roles})


def _span(lanes: list[int], primary: int | None = None) -> tuple[int, int, bool]:
    """First and last lane of a symbol, and whether that span is exactly the performers.

    A symbol spans its performers' lanes only when they are side by side: it never crosses the lane
    of a role that takes no part. Otherwise it sits in the lane of the ``primary`` performer (the
    role of the step's first forward action) and the Keterangan column names every performer.
    """
    if not lanes:
        return 0, 0, True
    first, last = lanes[0], lanes[-1]
    if last - first + 1 == len(lanes):
        return first, last, True
    lane = primary if primary in lanes else first
    return lane, lane, False


def _shorten(text: str, limit: int = 16) -> str:
    """A branch label: the first words of ``text`` that fit ``limit`` characters (parentheses dropped)."""
    flat = " ".join(re.sub(r"\s*\([^)]*\)", "", text).split()) or " ".join(text.split())
    if len(flat) <= limit:
        return flat
    words: list[str] = []
    for word in flat.split():
        if len(" ".join([*words, word])) > limit - 1:
            break
        words.append(word)
    return (" ".join(words) or flat[: limit - 1]) + "…"


_COMPARE = (("paling banyak", "≤"), ("paling sedikit", "≥"), ("tidak sama dengan", "≠"), ("sama dengan", "="),
            ("di atas", ">"), ("di bawah", "<"))


def _guard_label(phrase: str) -> str:
    """A guard phrase compacted for a branch line: "jumlah paling banyak Rp 500.000" → "≤ Rp 500.000"."""
    if " dan " in phrase or " atau " in phrase:
        return _shorten(phrase)
    for words, sign in _COMPARE:
        head, found, tail = phrase.partition(f" {words} ")
        if found and head:
            return _shorten(f"{sign} {tail}")
    return _shorten(phrase)


def _branch_labels(actions: Sequence[Action], d: Definition, settings: Mapping[str, Any],
                   row_of: Mapping[str, int]) -> dict[str, str]:
    """The label on each outgoing line of a branching step, by target state: the guard (compacted) of a
    forward variant, else the action's own label (Setujui, Tolak, Kembalikan). Two lines never carry the
    same words: then the action's label, who acts, or the step the line leads to (the Keterangan column
    says the condition in full)."""
    by_target: dict[str, Action] = {}
    for action in actions:
        by_target.setdefault(action.to, action)

    def repeated(labels: Mapping[str, str]) -> set[str]:
        return {text for text in labels.values() if list(labels.values()).count(text) > 1}

    labels: dict[str, str] = {}
    for target, action in by_target.items():
        if action.when and action.kind in FORWARD_KINDS:
            labels[target] = _guard_label(guard_text(action.when, d, settings))
        else:
            labels[target] = _shorten(action.display)
    def fallback(action: Action, level: int) -> str:
        if level == 0:
            return _shorten(action.display)
        if level == 1:
            return _shorten("oleh " + role_label(action.roles[0]))
        return f"ke langkah {row_of[action.to] + 1}"

    for level in range(3):
        clash = repeated(labels)
        if not clash:
            break
        for target, action in by_target.items():
            if labels[target] in clash:
                labels[target] = fallback(action, level)
    return labels


def _escalation_note(levels: Sequence[EscalationLevel]) -> str:
    """The declared escalation in words: "Bila lewat tenggat: diingatkan; 2 hari kerja setelah tenggat dialihkan
    juga ke …"."""
    verbs = {"ingatkan": "diingatkan", "alihkan": "dialihkan juga ke", "naikkan": "dinaikkan ke"}
    parts = []
    for level in levels:
        what = verbs[level.do] + (f" {role_label(level.to)}" if level.to else "")
        parts.append(what if level.after.amount == 0 else f"{level.after} setelah tenggat {what}")
    return "Bila lewat tenggat: " + "; ".join(parts) + "."


def _quorum_note(action: Action, settings: Mapping[str, Any]) -> str | None:
    if action.quorum is None:
        return None
    count = action.quorum.count
    needed = settings.get(count) if isinstance(count, str) else count
    role = role_label(action.quorum.role or action.roles[0]).lower()
    source = " (menurut AD/ART)" if isinstance(count, str) else ""
    return f"Diputuskan bila {needed} {role} setuju{source}."


def _finals(d: Definition) -> list[str]:
    """Every final state an action reaches: the successful ends first, then Ditolak, Dibatalkan and the like."""
    reached = {a.to for a in d.actions if d.states[a.to].final}
    success = {a.to for a in d.actions if a.kind not in ("reject", "cancel") and d.states[a.to].final}
    ordered = [s for s in d.states if s in reached]
    return [s for s in ordered if s in success] + [s for s in ordered if s not in success]


def _mutu(state: State, d: Definition) -> tuple[str, str, str]:
    if state.mutu_baku is not None:
        return state.mutu_baku.kelengkapan, state.mutu_baku.waktu, state.mutu_baku.output
    return "—", state.deadline.words(d) if state.deadline else "—", "—"


def build_steps(d: Definition, settings: Mapping[str, Any]) -> tuple[list[Lane], list[Step], list[Edge]]:
    """Rows (non-final states in file order, then every final state) and drawn edges."""
    lanes = _lanes(d)
    lane_index = {lane.role: i for i, lane in enumerate(lanes)}
    finals = _finals(d)
    order = [s for s, state in d.states.items() if not state.final] + finals
    if d.initial_state in order:
        order.remove(d.initial_state)
        order.insert(0, d.initial_state)
    row_of = {s: i for i, s in enumerate(order)}
    success = {a.to for a in d.actions if a.kind not in ("reject", "cancel")}
    steps: list[Step] = []
    edges: list[Edge] = []
    for i, state_id in enumerate(order):
        state = d.states[state_id]
        actions = d.actions_from(state_id)
        if state.final:
            sources = [row_of[a_state] for a in d.actions if a.to == state_id
                       for a_state in a.from_ if a_state in row_of and a_state != state_id]
            source_step = steps[min(sources)] if sources else None
            first = source_step.first_lane if source_step else 0
            end_notes = ["Berita Acara diterbitkan."] if "berita_acara" in state.issues else []
            output = "Berita Acara" if "berita_acara" in state.issues else (state.status_label or state.title)
            status = state.status_label or state.title
            # the end's own word (Ditolak, Dibatalkan, Ditunda): the first word of a long status
            mark = "Selesai" if state_id in success else (status if len(status) <= 11 else status.split()[0][:11])
            steps.append(Step(i, i + 1, state_id, "terminator", first, first, state.title,
                              "Proses selesai" + (f" dengan status {state.status_label}." if state.status_label
                                                  else "."),
                              "—", "—", output, end_notes, end=True, mark=mark))
            continue
        performers = _performers(actions, lane_index)
        forward = [a for a in actions if a.kind in FORWARD_KINDS]
        primary_role = next((r for a in (forward or list(actions)) for r in a.roles), None)
        primary_lane = lane_index.get(primary_role) if primary_role else None
        if i == 0 and performers:  # the start symbol sits in the lane of the role that starts
            lane = primary_lane if primary_lane is not None else performers[0]
            first, last, exact = lane, lane, len(performers) == 1
        else:
            first, last, exact = _span(performers, primary_lane)
        notes: list[str] = []
        if not exact:
            notes.append("Pelaksana: " + ", ".join(lanes[j].label for j in performers) + ".")
        returns = [a for a in actions if a.kind == "return"]
        rejects = [a for a in actions if a.kind in ("reject", "cancel")]
        forward_targets = list(dict.fromkeys(a.to for a in forward if a.to in row_of))
        return_targets = list(dict.fromkeys(a.to for a in returns if a.to in row_of and a.to != state_id))
        reject_targets = list(dict.fromkeys(a.to for a in rejects if a.to in row_of and a.to not in forward_targets))
        targets = [*forward_targets, *return_targets, *reject_targets]
        shape: Shape = "decision" if len(targets) >= 2 else "process"
        if i == 0:
            shape = "terminator"  # a procedure starts with a terminator, however it branches
        labels = _branch_labels([*forward, *returns, *rejects], d, settings, row_of) if len(targets) >= 2 else {}
        for target in targets:
            edges.append(Edge(i, row_of[target], labels.get(target)))
        for action in forward:
            note = _quorum_note(action, settings)
            if note and note not in notes:
                notes.append(note)
        if len(forward_targets) > 1:
            for action in forward:
                if action.to not in row_of:
                    continue
                who = " atau ".join(role_label(r) for r in action.roles)
                condition = f"Bila {guard_text(action.when, d, settings)}" if action.when else f"Bila oleh {who}"
                notes.append(f"{condition}: ke langkah {row_of[action.to] + 1}.")
        for target in return_targets:
            action = next(a for a in returns if a.to == target)
            if row_of[target] < i:
                notes.append(f"Tidak sesuai: dikembalikan ke langkah {row_of[target] + 1}.")
            else:
                notes.append(f"{action.display}: ke langkah {row_of[target] + 1}.")
        for target in reject_targets:
            who = ", ".join(dict.fromkeys(role_label(r) for a in rejects if a.to == target for r in a.roles))
            verb = "ditolak" if any(a.kind == "reject" for a in rejects if a.to == target) else "dibatalkan"
            end = d.states[target]
            notes.append(f"Dapat {verb} ({who}): ke langkah {row_of[target] + 1}, status "
                         f"{end.status_label or end.title}.")
        if "berita_acara" in state.issues:
            notes.append("Berita Acara diterbitkan.")
        if state.escalation and state.deadline is not None:
            notes.append(_escalation_note(state.escalation))
        kelengkapan, waktu, output = _mutu(state, d)
        steps.append(Step(i, i + 1, state_id, shape, first, last, state.title, _first_sentence(state.guidance),
                          kelengkapan, waktu, output, notes, start=(i == 0),
                          who=[lanes[j].label for j in performers], mark="Mulai" if i == 0 else ""))
    return lanes, steps, edges


# -- geometry ------------------------------------------------------------------------------


def _columns(n_lanes: int) -> tuple[dict[str, float], float]:
    if n_lanes <= 5:
        fixed = {"no": 8.0, "kelengkapan": 31.0, "waktu": 18.0, "output": 29.0, "keterangan": 40.0}
    else:
        fixed = {"no": 7.0, "kelengkapan": 26.0, "waktu": 15.0, "output": 24.0, "keterangan": 33.0}
    remaining = PAGE_WIDTH - sum(fixed.values())
    lane = max(15.0, min(26.0, (remaining - 52.0) / max(n_lanes, 1)))
    kegiatan = remaining - lane * n_lanes
    return {**fixed, "kegiatan": round(kegiatan, 2)}, lane


def _symbol_width(shape: Shape, span: float) -> float:
    if shape == "decision":
        return max(6.0, min(span - 10.0, 13.0))
    cap = 20.0 if span < 30 else 34.0
    return max(7.0, min(span - 8.0, cap))


def _b64svg(svg: str) -> str:
    return "url(data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode() + ")"


#: One black pixel, stretched by background-size into every line segment (cheaper to draw than SVG).
_LINE_IMAGE = ("url(data:image/png;base64,"
               "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGNgYGAAAAAEAAH2FzhVAAAAAElFTkSuQmCC)")
CONNECTOR_SIZE = 5.0


def _connector_image(label: str) -> str:
    svg = ('<svg xmlns="http://www.w3.org/2000/svg" width="5mm" height="5mm" viewBox="0 0 5 5">'
           '<path d="M0.2,0.2 H4.8 V3.1 L2.5,4.8 L0.2,3.1 Z" fill="#fff" stroke="#000" stroke-width="0.25"/>'
           f'<text x="2.5" y="2.75" font-family="DejaVu Sans" font-size="2.3" font-weight="bold" '
           f'text-anchor="middle">{escape(label)}</text></svg>')
    return _b64svg(svg)


@dataclass
class Draw:
    """Primitives of one row, in lane-area millimetres."""

    vertical: list[tuple[float, str]] = field(default_factory=list)  # (x, "upper"|"lower"|"full")
    horizontal: list[tuple[float, float]] = field(default_factory=list)  # centre line from x0 to x1
    connectors: list[tuple[float, str, str]] = field(default_factory=list)  # (x, "top"|"bottom", label)
    arrows: list[tuple[str, float]] = field(default_factory=list)  # ("top"|"bottom"|"left"|"right", x)
    #: ("bottom"|"left"|"right"|"above-right", text, x)
    labels: list[tuple[str, str, float]] = field(default_factory=list)


@dataclass(frozen=True)
class Geometry:
    lane_width: float
    steps: list[Step]

    def span(self, step: Step) -> tuple[float, float]:
        return step.first_lane * self.lane_width, (step.last_lane + 1) * self.lane_width

    def center(self, step: Step) -> float:
        x0, x1 = self.span(step)
        return (x0 + x1) / 2

    def symbol(self, step: Step) -> tuple[float, float]:
        """Left and right x of the symbol."""
        x0, x1 = self.span(step)
        width = _symbol_width(step.shape, x1 - x0)
        mid = (x0 + x1) / 2
        return mid - width / 2, mid + width / 2


class _Channels:
    """Vertical routing channels along a lane's left (skip) or right (back) edge."""

    def __init__(self) -> None:
        self._used: dict[tuple[int, str], list[tuple[int, int, int, int]]] = {}

    def take(self, lane: int, side: str, low: int, high: int, target: int) -> int:
        taken = self._used.setdefault((lane, side), [])
        for slot in range(3):
            clash = [t for t in taken if t[0] == slot and not (high < t[1] or t[2] < low) and t[3] != target]
            if not clash:
                taken.append((slot, low, high, target))
                return slot
        taken.append((2, low, high, target))
        return 2


def _straight_x(geo: Geometry, src: Step, dst: Step) -> float:
    """Where a line from one row to the next leaves: straight down when the symbols overlap."""
    s_left, s_right = geo.symbol(src)
    d_left, d_right = geo.symbol(dst)
    target, source = geo.center(dst), geo.center(src)
    if s_left + 1 <= target <= s_right - 1:
        x = target
    elif d_left + 1 <= source <= d_right - 1:
        x = source
    else:
        x = source
    border = round(x / geo.lane_width) * geo.lane_width
    if abs(x - border) < 1.2:  # a line along a lane border would vanish into it
        shifted = x + (2.5 if target >= x else -2.5)
        if s_left + 1 <= shifted <= s_right - 1:
            x = shifted
    return x


def _route(edges: Sequence[Edge], geo: Geometry, page_of: Sequence[int],
           pages: Sequence[Sequence[int]]) -> tuple[dict[int, Draw], int]:
    draws: dict[int, Draw] = {s.index: Draw() for s in geo.steps}
    channels = _Channels()
    letters: dict[tuple[int, float, int, str], str] = {}

    def letter(key: tuple[int, float, int, str]) -> str:
        if key not in letters:
            n = len(letters)
            letters[key] = chr(ord("A") + n % 26) + ("" if n < 26 else str(n // 26))
        return letters[key]

    def enter(target: Step, x: float, *, from_above: bool) -> None:
        left, right = geo.symbol(target)
        draw = draws[target.index]
        draw.vertical.append((x, "upper" if from_above else "lower"))
        if left + 0.6 <= x <= right - 0.6:
            draw.arrows.append(("top" if from_above else "bottom", x))
        elif x < left:
            draw.horizontal.append((x, left))
            draw.arrows.append(("left", left))
        else:
            draw.horizontal.append((right, x))
            draw.arrows.append(("right", right))

    for edge in edges:
        src, dst = geo.steps[edge.source], geo.steps[edge.target]
        s_page, t_page = page_of[edge.source], page_of[edge.target]
        left, right = geo.symbol(src)
        if edge.target == edge.source + 1:
            x = _straight_x(geo, src, dst)
            draws[src.index].vertical.append((x, "lower"))
            if edge.label:
                draws[src.index].labels.append(("bottom", edge.label, x))
            if s_page != t_page:
                mark = letter((edge.source, round(x, 2), edge.target, "next"))
                draws[src.index].connectors.append((x, "bottom", mark))
                draws[dst.index].connectors.append((x, "top", mark))
            enter(dst, x, from_above=True)
            continue
        down = edge.target > edge.source
        if down and dst.first_lane > src.last_lane:  # down and to the right: leave on the right side
            slot = channels.take(src.last_lane, "right", edge.source, edge.target, edge.target)
            x = (src.last_lane + 1) * geo.lane_width - CHANNEL_EDGE - CHANNEL_STEP * slot
            draws[src.index].horizontal.append((right, x))
            draws[src.index].vertical.append((x, "lower"))
            if edge.label:
                draws[src.index].labels.append(("above-right", edge.label, x))
        elif down:
            slot = channels.take(src.first_lane, "left", edge.source, edge.target, edge.target)
            x = src.first_lane * geo.lane_width + CHANNEL_EDGE + CHANNEL_STEP * slot
            draws[src.index].horizontal.append((x, left))
            draws[src.index].vertical.append((x, "lower"))
            if edge.label:
                draws[src.index].labels.append(("left", edge.label, x))
        else:
            slot = channels.take(src.last_lane, "right", edge.target, edge.source, edge.target)
            x = (src.last_lane + 1) * geo.lane_width - CHANNEL_EDGE - CHANNEL_STEP * slot
            draws[src.index].horizontal.append((right, x))
            draws[src.index].vertical.append((x, "upper"))
            if edge.label:
                draws[src.index].labels.append(("right", edge.label, x))
        low, high = sorted((edge.source, edge.target))
        for row in range(low + 1, high):
            if page_of[row] in (s_page, t_page):
                draws[row].vertical.append((x, "full"))
        if s_page != t_page:
            mark = letter((edge.source, round(x, 2), edge.target, "down" if down else "up"))
            if down:
                draws[pages[s_page][-1]].connectors.append((x, "bottom", mark))
                draws[pages[t_page][0]].connectors.append((x, "top", mark))
            else:
                draws[pages[s_page][0]].connectors.append((x, "top", mark))
                draws[pages[t_page][-1]].connectors.append((x, "bottom", mark))
        enter(dst, x, from_above=down)
    return draws, len(letters)


# -- SVG and CSS per cell ------------------------------------------------------------------


def _trusted(svg: str) -> Markup:
    """SVG built here from numbers and escaped text only."""
    return Markup(svg)  # noqa: S704 - every dynamic part is a number or passed through escape()


def _fmt(value: float) -> str:
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return text if text not in ("", "-0") else "0"


def _symbol_svg(step: Step, geo: Geometry, draw: Draw) -> Markup:
    x0, x1 = geo.span(step)
    width = x1 - x0
    sym_h = SYMBOL_H[step.shape]
    height = sym_h + 2 * SVG_PAD
    cy = height / 2
    left, right = geo.symbol(step)
    left -= x0
    right -= x0
    cx = (left + right) / 2
    parts: list[str] = []
    stroke = 'fill="#fff" stroke="#000" stroke-width="0.3"'
    if step.shape == "terminator":
        r = sym_h / 2
        parts.append(f'<rect x="{_fmt(left)}" y="{_fmt(cy - r)}" width="{_fmt(right - left)}" '
                     f'height="{_fmt(sym_h)}" rx="{_fmt(r)}" ry="{_fmt(r)}" {stroke}/>')
        word = step.mark
        size = min(2.1, (right - left - 1.2) / (0.53 * max(len(word), 7)))
        if word and size >= 1.1:  # an end status of up to 11 letters (Dibatalkan) fits at a smaller size
            parts.append(f'<text x="{_fmt(cx)}" y="{_fmt(cy + size * 0.36)}" font-family="DejaVu Sans" '
                         f'font-size="{_fmt(size)}" text-anchor="middle">{word}</text>')
    elif step.shape == "process":
        parts.append(f'<rect x="{_fmt(left)}" y="{_fmt(cy - sym_h / 2)}" width="{_fmt(right - left)}" '
                     f'height="{_fmt(sym_h)}" {stroke}/>')
    else:
        h = sym_h / 2
        parts.append(f'<path d="M{_fmt(cx)},{_fmt(cy - h)} L{_fmt(right)},{_fmt(cy)} L{_fmt(cx)},{_fmt(cy + h)} '
                     f'L{_fmt(left)},{_fmt(cy)} Z" {stroke}/>')
    top = cy - sym_h / 2
    for kind, x in draw.arrows:
        if kind == "top":
            ax = x - x0
            parts.append(f'<path d="M{_fmt(ax - 0.9)},{_fmt(top - 1.7)} L{_fmt(ax + 0.9)},{_fmt(top - 1.7)} '
                         f'L{_fmt(ax)},{_fmt(top)} Z" fill="#000"/>')
        elif kind == "bottom":
            ax, bottom = x - x0, cy + sym_h / 2
            parts.append(f'<path d="M{_fmt(ax - 0.9)},{_fmt(bottom + 1.7)} L{_fmt(ax + 0.9)},{_fmt(bottom + 1.7)} '
                         f'L{_fmt(ax)},{_fmt(bottom)} Z" fill="#000"/>')
        elif kind == "left":
            ax = x - x0
            parts.append(f'<path d="M{_fmt(ax - 1.7)},{_fmt(cy - 0.9)} L{_fmt(ax - 1.7)},{_fmt(cy + 0.9)} '
                         f'L{_fmt(ax)},{_fmt(cy)} Z" fill="#000"/>')
        else:
            ax = x - x0
            parts.append(f'<path d="M{_fmt(ax + 1.7)},{_fmt(cy - 0.9)} L{_fmt(ax + 1.7)},{_fmt(cy + 0.9)} '
                         f'L{_fmt(ax)},{_fmt(cy)} Z" fill="#000"/>')
    font = f'font-family="DejaVu Sans" font-size="{_fmt(LABEL_MM)}"'
    for where, text, at, k in label_slots(draw):
        label = escape(text)
        if where == "bottom":
            parts.append(f'<text x="{_fmt(at - x0 + 0.8)}" y="{_fmt(cy + sym_h / 2 + 2.5 + LABEL_STEP * k)}" '
                         f'{font}>{label}</text>')
        elif where == "left":  # the channel runs down from here: the labels sit above the line
            parts.append(f'<text x="{_fmt(left + 0.8)}" y="{_fmt(cy - 0.9 - LABEL_STEP * k)}" {font} '
                         f'text-anchor="end">{label}</text>')
        elif where == "above-right":  # the channel runs down on the right: the labels sit above the line
            parts.append(f'<text x="{_fmt(right + 0.5)}" y="{_fmt(cy - 0.9 - LABEL_STEP * k)}" {font}>{label}</text>')
        else:  # the channel runs up from here: the labels sit below the line
            parts.append(f'<text x="{_fmt(right - 0.8)}" y="{_fmt(cy + 2.5 + LABEL_STEP * k)}" {font}>{label}</text>')
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" class="symbol" width="{_fmt(width)}mm" '
           f'height="{_fmt(height)}mm" viewBox="0 0 {_fmt(width)} {_fmt(height)}" overflow="visible">'
           + "".join(parts) + "</svg>")
    return _trusted(svg)


def label_slots(draw: Draw) -> list[tuple[str, str, float, int]]:
    """Each branch label with its place in the stack on its side of the symbol (0 nearest the line),
    so two lines leaving on the same side never print their labels on top of each other."""
    seen: dict[str, int] = {}
    slots = []
    for where, text, at in draw.labels:
        slots.append((where, text, at, seen.get(where, 0)))
        seen[where] = seen.get(where, 0) + 1
    return slots


def _cell_style(x0: float, x1: float, draw: Draw) -> str:
    images: list[str] = []
    positions: list[str] = []
    sizes: list[str] = []
    seen: set[tuple[Any, ...]] = set()
    for x, where, label in draw.connectors:
        if not x0 <= x < x1 or ("c", round(x, 2), where) in seen:
            continue
        seen.add(("c", round(x, 2), where))
        cx = min(max(x - x0 - CONNECTOR_SIZE / 2, 0.2), x1 - x0 - CONNECTOR_SIZE - 0.2)
        images.append(_connector_image(label))
        positions.append(f"left {_fmt(cx)}mm {where} 0.5mm")
        sizes.append(f"{_fmt(CONNECTOR_SIZE)}mm {_fmt(CONNECTOR_SIZE)}mm")
    for x, part in draw.vertical:
        if not x0 <= x < x1 or ("v", round(x, 2), part) in seen:
            continue
        seen.add(("v", round(x, 2), part))
        images.append(_LINE_IMAGE)
        offset = _fmt(x - x0 - LINE / 2)
        if part == "upper":
            positions.append(f"left {offset}mm top 0")
            sizes.append(f"{_fmt(LINE)}mm 50.5%")
        elif part == "lower":
            positions.append(f"left {offset}mm bottom 0")
            sizes.append(f"{_fmt(LINE)}mm 50.5%")
        else:
            positions.append(f"left {offset}mm top 0")
            sizes.append(f"{_fmt(LINE)}mm 100%")
    for a, b in draw.horizontal:
        lo, hi = max(min(a, b), x0), min(max(a, b), x1)
        if hi - lo <= 0.01 or ("h", round(lo, 2), round(hi, 2)) in seen:
            continue
        seen.add(("h", round(lo, 2), round(hi, 2)))
        images.append(_LINE_IMAGE)
        positions.append(f"left {_fmt(lo - x0 - LINE / 2)}mm top 50%")
        sizes.append(f"{_fmt(hi - lo + LINE)}mm {_fmt(LINE)}mm")
    if not images:
        return ""
    return (f"background-image: {', '.join(images)}; background-position: {', '.join(positions)}; "
            f"background-size: {', '.join(sizes)}; background-repeat: no-repeat")


def _cells(step: Step, geo: Geometry, draw: Draw, n_lanes: int) -> list[LaneCell]:
    cells: list[LaneCell] = []
    lane = 0
    while lane < n_lanes:
        if lane == step.first_lane:
            x0, x1 = geo.span(step)
            cells.append(LaneCell(step.last_lane - step.first_lane + 1, _cell_style(x0, x1, draw),
                                  _symbol_svg(step, geo, draw)))
            lane = step.last_lane + 1
            continue
        x0 = lane * geo.lane_width
        cells.append(LaneCell(1, _cell_style(x0, x0 + geo.lane_width, draw), None))
        lane += 1
    return cells


# -- pagination ----------------------------------------------------------------------------


def _row_height(step: Step, columns: Mapping[str, float]) -> float:
    def lines(text: str, column: str, *, bold: bool = False) -> int:
        return textfit.line_count(text, columns[column] - CELL_PAD, BODY_PT, bold=bold)

    kegiatan = lines(step.title, "kegiatan", bold=True) + lines(step.text, "kegiatan")
    keterangan = sum(lines(n, "keterangan") for n in step.notes)
    tallest = max(kegiatan, keterangan, lines(step.kelengkapan, "kelengkapan"), lines(step.waktu, "waktu"),
                  lines(step.output, "output"), 1)
    symbol = SYMBOL_H[step.shape] + 2 * SVG_PAD + 3
    return max(ROW_MIN, tallest * LINE_MM + CELL_PAD + 1.2, symbol)


def _paginate(heights: Sequence[float], capacity: float) -> list[list[int]]:
    """Rows per page; a page that would hold a single row takes one more from the page before it."""
    pages: list[list[int]] = []
    current: list[int] = []
    used = 0.0
    for row, height in enumerate(heights):
        here = max(height, ROW_CONNECTOR) if not current else height
        if current and used + max(here, ROW_CONNECTOR) > capacity:
            pages.append(current)
            current, used = [], 0.0
            here = max(height, ROW_CONNECTOR)
        current.append(row)
        used += here
    if current:
        pages.append(current)
    if len(pages) > 1 and len(pages[-1]) == 1 and len(pages[-2]) >= 3:
        moved = [pages[-2][-1], *pages[-1]]
        if sum(max(heights[r], ROW_CONNECTOR) for r in moved) <= capacity:
            pages[-2] = pages[-2][:-1]
            pages[-1] = moved
    return pages


def header_height(lanes: Sequence[Lane], lane_width: float) -> float:
    """Height of the two-row table header (lane labels may wrap)."""
    label_lines = max((textfit.line_count(lane.label, lane_width - 1.6, 6.6, bold=True) for lane in lanes),
                      default=1)
    return 6.5 + max(label_lines, 2) * 6.6 * textfit.PT_TO_MM * 1.2 + 2.0


def build_flowchart(d: Definition, settings: Mapping[str, Any], *, rows_height: float = PAGE_BODY,
                    tail: float = 0.0) -> Flowchart:
    """Lay out a definition's flowchart on as many landscape pages as it needs.

    ``tail`` is the height (mm) of what the document prints after the last row (the verification
    box): the last page keeps room for it, so it never lands alone on a page of its own.
    """
    lanes, steps, edges = build_steps(d, settings)
    columns, lane_width = _columns(len(lanes))
    geo = Geometry(lane_width, steps)
    heights = [_row_height(s, columns) for s in steps]
    capacity = rows_height - HEADING - header_height(lanes, lane_width) - SAFETY
    pages = _paginate([*heights[:-1], heights[-1] + tail] if heights else heights, capacity)
    page_of = [0] * len(steps)
    for number, rows in enumerate(pages):
        for row in rows:
            page_of[row] = number
    draws, connectors = _route(edges, geo, page_of, pages)
    out_pages: list[FlowPage] = []
    for number, rows in enumerate(pages):
        flow_rows = []
        for position, row in enumerate(rows):
            step = steps[row]
            height = heights[row]
            if len(pages) > 1 and (position == 0 or position == len(rows) - 1):
                height = max(height, ROW_CONNECTOR)
            if draws[row].connectors:
                height = max(height, ROW_CONNECTOR)
            flow_rows.append(FlowRow(step, _cells(step, geo, draws[row], len(lanes)), round(height, 1)))
        out_pages.append(FlowPage(flow_rows, continued=number > 0))
    return Flowchart(lanes, lane_width, columns, out_pages, steps, edges, connectors)


@dataclass(frozen=True)
class Layout:
    """The flowchart as one continuous page: what the web app draws as a single SVG.

    The same lanes, steps, symbol positions and routed lines as the printed pages (x in lane-area
    millimetres; a line is anchored to the top, centre or bottom of its row, so rows may be any
    height), without page breaks and therefore without off-page connectors.
    """

    lanes: list[Lane]
    steps: list[Step]
    edges: list[Edge]
    geometry: Geometry
    draws: dict[int, Draw]


def continuous_layout(d: Definition, settings: Mapping[str, Any]) -> Layout:
    """Lay out a definition's flowchart exactly as :func:`build_flowchart` does, on one page."""
    lanes, steps, edges = build_steps(d, settings)
    _, lane_width = _columns(len(lanes))
    geo = Geometry(lane_width, steps)
    draws, _ = _route(edges, geo, [0] * len(steps), [list(range(len(steps)))])
    return Layout(lanes, steps, edges, geo, draws)


def legend_svgs() -> dict[str, Markup]:
    """The five symbols, small, for the legend printed with the flowchart."""
    stroke = 'fill="#fff" stroke="#000" stroke-width="0.3"'
    head = '<svg xmlns="http://www.w3.org/2000/svg" width="9mm" height="5mm" viewBox="0 0 9 5">'
    return {
        "Terminator (mulai/selesai)": _trusted(head + f'<rect x="0.5" y="0.8" width="8" height="3.4" rx="1.7" '
                                             f'{stroke}/></svg>'),
        "Proses": _trusted(head + f'<rect x="0.8" y="0.6" width="7.4" height="3.8" {stroke}/></svg>'),
        "Keputusan": _trusted(head + f'<path d="M4.5,0.3 L8.5,2.5 L4.5,4.7 L0.5,2.5 Z" {stroke}/></svg>'),
        "Arah alur": _trusted(head + '<path d="M0.5,2.5 H7" stroke="#000" stroke-width="0.3"/>'
                                   '<path d="M6.8,1.6 L8.6,2.5 L6.8,3.4 Z" fill="#000"/></svg>'),
        "Penghubung antarhalaman": _trusted(head + f'<path d="M2.7,0.3 H6.3 V3.1 L4.5,4.7 L2.7,3.1 Z" {stroke}/>'
                                                 '</svg>'),
    }
