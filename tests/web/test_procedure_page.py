"""The procedure page: the flowchart drawn on the server as inline SVG, no script, light on the wire."""

from __future__ import annotations

import gzip
import re

from engine.services import Services
from tests.helpers import COOP


def test_the_procedure_page_draws_the_flowchart_without_a_script(as_user) -> None:
    response = as_user("bambang").client.get("/prosedur/pengeluaran_kas", headers={"Accept-Encoding": "gzip"})
    html = response.text
    assert response.status_code == 200
    assert "<script" not in html and "mermaid" not in html
    svg = re.search(r'<svg xmlns="http://www.w3.org/2000/svg" class="flow" role="img".*?</svg>', html, re.S)
    assert svg is not None
    assert "<title id=\"alur-pengeluaran_kas-judul\">Diagram alur Persetujuan Pengeluaran Kas</title>" in svg.group(0)
    for label in ("Manajer / Pengelola", "Bendahara", "Ketua", "Pengawas", "Verifikasi", "Mulai", "Tolak", "Ditolak"):
        assert label in svg.group(0), label
    # The text fallback: each numbered step with who does it, conditions in words with this KKMP's values.
    steps = html.split('id="langkah"')[1]
    assert "Pelaksana: Bendahara" in steps and "Bila jumlah paling banyak Rp 500.000: ke langkah 5." in steps
    assert "Diputuskan bila 2 pengawas setuju." in steps
    assert "settings." not in steps and "<code>" not in steps and "kuorum_pengawas" not in steps
    assert "Koperasi Kelurahan Merah Putih Sentanan" in steps
    assert f"/prosedur/pengeluaran_kas/sop.pdf?koperasi={COOP}" in html
    assert int(response.headers["content-length"]) < 20_000 and len(gzip.compress(response.content)) < 20_000


def test_the_mermaid_bundle_and_inline_styles_are_gone(as_user) -> None:
    browser = as_user("sri")
    assert browser.client.get("/static/mermaid.min.js").status_code == 404
    assert browser.client.get("/static/diagram.js").status_code == 404
    policy = browser.client.get("/prosedur/rat").headers["content-security-policy"]
    assert "unsafe-inline" not in policy and "script-src 'self'" in policy


def test_the_stylesheet_is_cached_and_pages_are_not(as_user) -> None:
    browser = as_user("sri")
    css = browser.client.get("/static/app.css")
    assert css.headers["cache-control"] == "public, max-age=3600" and css.headers.get("etag")
    again = browser.client.get("/static/app.css", headers={"If-None-Match": css.headers["etag"]})
    assert again.status_code == 304 and again.headers["cache-control"] == "public, max-age=3600"
    assert browser.client.get("/prosedur/rat").headers["cache-control"] == "no-store"


def test_conditions_quote_the_cooperative_values_or_else_the_defaults(web_services: Services) -> None:
    default = web_services.procedures.view("pengeluaran_kas")
    own = web_services.procedures.view("pengeluaran_kas", COOP)
    assert default.settings_source is not None and "nilai bawaan" in default.settings_source
    assert own.settings_source is not None and "Sentanan" in own.settings_source
    assert [s.no for s in own.steps] == list(range(1, len(own.steps) + 1)) and own.steps[-1].end
    assert own.steps[1].who == ["Bendahara"] and own.steps[-1].who == []
    assert own.diagram.svg == default.diagram.svg  # the drawing itself quotes no values
