"""The web diagram is the printed SOP flowchart's layout drawn as one SVG: same steps, lanes and routes."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from engine.adapters.render.flowchart import build_flowchart, continuous_layout
from engine.adapters.render.flowchart_svg import MIN_FONT_PX, flowchart_svg
from engine.domain.definitions.loader import LoadedDefinition, load_definition_text
from engine.domain.definitions.registry import Registry
from engine.domain.values import resolved_settings

SVG = "{http://www.w3.org/2000/svg}"
SHIPPED = Registry.shipped().all()


def _draw(loaded: LoadedDefinition) -> tuple[ET.Element, int, int]:
    d = loaded.as_written
    drawing = flowchart_svg(continuous_layout(d, resolved_settings(d, {})), title=f"Diagram alur {d.title}",
                            description="uraian", ident=f"alur-{d.id}")
    return ET.fromstring(str(drawing.svg)), drawing.min_width, drawing.max_width


def _texts(root: ET.Element) -> list[str]:
    return [t.text or "" for t in root.iter(f"{SVG}text")]


@pytest.mark.parametrize("loaded", SHIPPED, ids=lambda loaded: loaded.definition.id)
def test_every_procedure_draws_the_printed_steps_and_lanes_in_indonesian(loaded: LoadedDefinition) -> None:
    d = loaded.as_written
    root, min_width, max_width = _draw(loaded)
    printed = build_flowchart(d, resolved_settings(d, {}))
    joined = " ".join(" ".join(_texts(root)).split())
    for lane in printed.lanes:  # every role's lane, by its label
        assert lane.label in joined, lane.label
    for step in printed.steps:  # every printed row, in the same order and with the same number
        assert f"{step.no}. {step.title}" in joined, step.title
    raw = {i for i in [*d.states, *d.fields, *d.roles] if "_" in i}  # an id, never a word
    assert not [w for w in joined.split() if w in raw] and "_" not in joined, "raw ids leak into the drawing"
    assert root.get("role") == "img"
    labelled = (root.get("aria-labelledby") or "").split()
    assert [root.find(f".//*[@id='{i}']") is not None for i in labelled] == [True, True]
    assert root.find(f"{SVG}title").text == f"Diagram alur {d.title}"  # type: ignore[union-attr]
    view_width = float((root.get("viewBox") or "").split()[2])
    assert min_width < max_width and int(root.get("width") or 0) == max_width
    smallest = min(float(g.get("font-size") or 99) for g in root.iter() if g.get("font-size"))
    assert smallest * min_width / view_width >= MIN_FONT_PX - 0.05  # at its narrowest, labels stay legible
    assert "style" not in str(ET.tostring(root)), "presentation attributes only: the CSP allows no inline style"


def test_the_web_diagram_routes_every_line_the_printed_one_does() -> None:
    d = Registry.shipped().get("pengeluaran_kas").as_written
    settings = resolved_settings(d, {})
    printed = build_flowchart(d, settings, rows_height=1000)  # long enough for one page: no connectors
    layout = continuous_layout(d, settings)
    assert len(printed.pages) == 1 and printed.connectors == 0
    assert [(s.state, s.shape, s.first_lane, s.last_lane) for s in layout.steps] == \
        [(s.state, s.shape, s.first_lane, s.last_lane) for s in printed.steps]
    assert layout.edges == printed.edges
    arrows = sum(len(draw.arrows) for draw in layout.draws.values())
    root, _, _ = _draw(Registry.shipped().get("pengeluaran_kas"))
    heads = [p for p in root.iter(f"{SVG}path") if p.get("fill") == "#1b1f23"]
    assert len(heads) == 1 and (heads[0].get("d") or "").count("Z") == arrows
    assert {"Tolak", "Kembalikan…", "Mulai", "Selesai", "Ditolak"} <= set(_texts(root))


def test_titles_from_a_definition_file_are_escaped(tmp_path: Path) -> None:
    source = (Path(__file__).resolve().parents[2] / "workflows" / "pengeluaran_kas.yaml").read_text()
    hostile = '<script>alert("x")</script> & <b onload=1>'
    assert "    title: Verifikasi bendahara\n" in source
    loaded = load_definition_text(source.replace("    title: Verifikasi bendahara\n",
                                                 f"    title: '{hostile}'\n"), str(tmp_path / "kas.yaml"))
    d = loaded.as_written
    drawing = flowchart_svg(continuous_layout(d, resolved_settings(d, {})), title=f'Diagram "{hostile}"',
                            description=hostile, ident='alur-"><script>')
    markup = str(drawing.svg)
    assert "<script" not in markup and "<b " not in markup and "onload=1>" not in markup
    root = ET.fromstring(markup)  # still one well-formed drawing
    assert re.search(r"alert", " ".join(_texts(root)))
    assert all(re.fullmatch(r"[A-Za-z0-9_-]+", e.get("id") or "x") for e in root.iter())
