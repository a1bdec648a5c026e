"""The procedure page: the flowchart as inline SVG and its steps as text, from the printed SOP's layout."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from engine.adapters.render.flowchart import continuous_layout
from engine.adapters.render.flowchart_svg import FlowchartSvg, flowchart_svg
from engine.domain.definitions.loader import LoadedDefinition
from engine.domain.definitions.model import Definition
from engine.domain.values import resolved_settings
from engine.services.context import Context

__all__ = ["ProcedureStep", "ProcedureView", "Procedures"]

#: "(menurut AD/ART)": the printed SOP points at its table of AD/ART values; the page says so once, above.
_SETTING_NAME = re.compile(r" \((?:setting [a-z_][a-z0-9_]*|menurut AD/ART)\)")


@dataclass(frozen=True)
class ProcedureStep:
    """One numbered step, as the diagram and the printed SOP number it."""

    no: int
    title: str
    who: list[str]  # role labels; empty for the end of the procedure
    guidance: str | None
    mutu_baku: tuple[str, str, str] | None  # kelengkapan, waktu, output
    notes: list[str]  # the printed Keterangan: branches, returns, quorum, Berita Acara
    end: bool


@dataclass(frozen=True)
class ProcedureView:
    """What the procedure page shows."""

    loaded: LoadedDefinition
    definition: Definition  # as written: what the printed SOP shows
    diagram: FlowchartSvg  # .svg, drawn between .min_width and .max_width CSS px
    steps: list[ProcedureStep]
    settings_source: str | None  # whose AD/ART values the conditions quote; None when none are used


class Procedures:
    """Read models of the procedures themselves (no case involved)."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def view(self, workflow_id: str, coop_slug: str | None = None) -> ProcedureView:
        """A procedure with its diagram; conditions quote ``coop_slug``'s settings (else the defaults)."""
        loaded = self.ctx.registry.get(workflow_id)
        d = loaded.as_written
        coop_settings: dict[str, Any] = {}
        coop_name: str | None = None
        if coop_slug and d.settings_used:
            with self.ctx.db.reader() as session:
                coop = self.ctx.coop(session, coop_slug)
                coop_settings, coop_name = dict(coop.settings), coop.name
        layout = continuous_layout(d, resolved_settings(d, coop_settings))
        lanes = ", ".join(lane.label for lane in layout.lanes)
        diagram = flowchart_svg(
            layout, title=f"Diagram alur {d.title}", ident=f"alur-{d.id}",
            description=(f"Bagan alir {len(layout.steps)} langkah dalam lajur pelaksana: {lanes}. "
                         "Urutan langkah dan pelaksananya tercantum di bawah diagram."))
        steps = []
        for step in layout.steps:
            state = d.states[step.state]
            mutu = state.mutu_baku
            steps.append(ProcedureStep(
                no=step.no, title=step.title, who=step.who,
                guidance=" ".join(state.guidance.split()) if state.guidance else None,
                mutu_baku=(mutu.kelengkapan, mutu.waktu, mutu.output) if mutu is not None else None,
                notes=[_SETTING_NAME.sub("", n) for n in step.notes if not n.startswith("Pelaksana: ")],
                end=step.end))
        if not d.settings_used:
            source = None
        elif coop_name is None:
            source = "Batas dan jumlah memakai nilai bawaan prosedur; koperasi menetapkannya dalam AD/ART."
        else:
            own = [name for name in d.settings_used if name in coop_settings]
            source = (f"Batas dan jumlah memakai setting {coop_name}"
                      + ("" if len(own) == len(d.settings_used) else "; yang belum ditetapkan memakai nilai bawaan")
                      + ".")
        return ProcedureView(loaded, d, diagram, steps, source)
