"""Each role's pages at phone size, walked as a new user would by following links from their home:
no sideways scrolling, and no developer word in the visible text (no field, action, state or
setting id, no CLI flag or command, no unlabelled hash, no raw size or JSON error).

Hashes may appear only where they are labelled for the pengawas and the Dinas: such elements carry
the ``hash`` class and are left out of the scan.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urljoin, urlparse

import pytest

from engine.services import Services
from tests.browser.test_journey import login
from tests.helpers import COOP, KAS_VERIFY_CHECKS, start_kas, submitted_kas, tiny_pdf, tiny_png

PHONE = {"width": 360, "height": 780}
LAPTOP = {"width": 1280, "height": 900}

#: What a pengurus must never read. Each names what it catches.
RAW = {
    "an identifier (field, action, state or setting id)": re.compile(r"\b[a-z]+_[a-z0-9_]+\b"),
    "a command-line flag": re.compile(r"(?<![\w-])--[a-z][a-z-]+"),
    "a setting key": re.compile(r"\bsettings\.[a-z]"),
    "a command to run": re.compile(r"\btatakelola (?:init|doc|case|audit|workflows|serve|org|member)\b"),
    "an unlabelled hash": re.compile(r"\b(?=[0-9a-f]*[a-f])[0-9a-f]{20,}\b"),
    "a size in bytes or with a decimal point": re.compile(r"\b\d+ bita\b|\d+\.\d+ MB"),
    "a JSON error": re.compile(r"\{\s*\"detail\""),
}
#: Links a walk does not follow: downloads, logging out, switching language, posting.
SKIP = (".pdf", ".xlsx", ".zip", ".txt", ".png", "/logout", "/bahasa/", "/lampiran/", "/api/")
#: At most this many pages of one shape (every case page or procedure page looks alike).
PER_SHAPE = 2
VISIBLE_TEXT = """() => {
  const copy = document.body.cloneNode(true);
  copy.querySelectorAll('.hash, script, style, svg title').forEach(e => e.remove());
  return copy.innerText;
}"""


def _shape(path: str) -> str:
    path = re.sub(r"^/k/[a-z0-9-]+", "/k/*", path)
    path = re.sub(r"/kasus/[A-Z]+/\d{4}/\d+", "/kasus/*", path)
    path = re.sub(r"/prosedur/[a-z_]+", "/prosedur/*", path)
    return re.sub(r"prosedur=[a-z_]+", "prosedur=*", path)


def raw_words(text: str) -> list[str]:
    """Every developer word in a page's visible text, each with what it is."""
    return sorted({f"{what}: {m.group(0)!r}" for what, pattern in RAW.items() for m in pattern.finditer(text)})


def walk(page, base: str, limit: int = 32) -> list[tuple[str, int, list[str]]]:  # type: ignore[no-untyped-def]
    """Follow same-site links breadth-first from where the login landed: (path, page width, raw words)."""
    todo, seen, shapes, out = [page.url], set(), {}, []
    while todo and len(out) < limit:
        url = todo.pop(0)
        path = urlparse(url).path + (f"?{urlparse(url).query}" if urlparse(url).query else "")
        if path in seen or shapes.get(_shape(path), 0) >= PER_SHAPE:
            continue
        seen.add(path)
        shapes[_shape(path)] = shapes.get(_shape(path), 0) + 1
        response = page.goto(url)
        assert response is not None and response.status < 500, f"{path}: {response and response.status}"
        out.append((path, page.evaluate("document.documentElement.scrollWidth"), raw_words(page.evaluate(VISIBLE_TEXT))))
        for href in page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))"):
            target = urljoin(url, href).split("#")[0]
            if urlparse(target).netloc == urlparse(base).netloc and not any(s in target for s in SKIP):
                todo.append(target)
    return out


@pytest.fixture
def lived_in(web_services: Services, tmp_path: Path) -> Services:
    """A cooperative with work in every state: waiting, approved, rejected, a PDF nota, a RAPB."""
    nota_pdf, nota_png = tmp_path / "nota-118.pdf", tmp_path / "nota-galon.png"
    nota_pdf.write_bytes(tiny_pdf())
    nota_png.write_bytes(tiny_png())
    submitted_kas(web_services, 360_000, nota_pdf)  # waits for the bendahara
    verified = submitted_kas(web_services, 250_000, nota_png)
    web_services.act(verified, "verifikasi", "sri", checks=KAS_VERIFY_CHECKS)
    rejected = submitted_kas(web_services, 900_000, nota_png)
    web_services.act(rejected, "tolak", "sri", comment="Harga terlalu mahal.")
    start_kas(web_services, 120_000, nota_png)  # a draft
    workbook = tmp_path / "rapb.xlsx"
    workbook.write_bytes(web_services.documents.export_budget(COOP, web_services.today().year + 1, example=True))
    web_services.documents.import_budget(COOP, web_services.today().year + 1, workbook, actor="sri")
    return web_services


@pytest.mark.parametrize(("who", "viewport"), [
    ("sri", PHONE),      # bendahara
    ("bambang", PHONE),  # ketua
    ("fajar", PHONE),    # manajer
    ("agus", PHONE),     # ketua pengawas
    ("ratna", PHONE),    # Dinas
    ("sri", LAPTOP),
    ("ratna", LAPTOP),
])
def test_every_page_of_a_role_reads_plainly_and_fits(chromium, live_server: str, lived_in: Services, who: str,
                                                    viewport: dict[str, int]) -> None:
    context, page = login(chromium, live_server, who, viewport)
    try:
        pages = walk(page, live_server)
    finally:
        context.close()
    shapes = {_shape(path) for path, _, _ in pages}
    assert "/k/*/kasus/*" in shapes and "/prosedur/*" in shapes, shapes  # it reached cases and procedures
    if who in ("sri", "fajar"):
        assert "/k/*/mulai?prosedur=*" in shapes and "/k/*/dokumen" in shapes, shapes
    if who == "ratna":
        assert "/dinas" in shapes, shapes
    too_wide = [(path, width) for path, width, _ in pages if width > viewport["width"]]
    assert too_wide == [], f"{who}: pages wider than the screen: {too_wide}"
    raw = [(path, words) for path, _, words in pages if words]
    assert raw == [], f"{who}: developer words on screen: {raw}"


def test_the_scan_catches_what_it_names() -> None:
    """The scan itself: each kind of developer word is found, plain Indonesian is not."""
    assert raw_words("Jumlah di atas batas manajer (Rp500.000). Menunggu: Sri Handayani (Bendahara)") == []
    for text in ("Wajib: nota_terlampir", "jalankan dengan --comment", "jumlah > settings.batas_manajer",
                 "jalankan tatakelola doc budget-import", "akar 3f9a0c41d2b7e8f6a5c4d3e2", "67 bita",
                 "maks. 10.0 MB", '{"detail":"Not Found"}'):
        assert raw_words(text), text
