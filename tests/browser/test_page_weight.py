"""Every main page opens on a slow phone connection: ≤ 100 KB transferred, usable within 5 s under
Chromium's slow-3G emulation (400 ms latency, 400 kbit/s), and the procedure diagram fits a phone."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from engine.demo import demo_password
from engine.services import Services
from tests.helpers import COOP, KAS_VERIFY_CHECKS, submitted_kas

BUDGET_BYTES = 100 * 1024
BUDGET_SECONDS = 5.0
SLOW_3G = {"offline": False, "latency": 400, "downloadThroughput": 400 * 1024 / 8,
           "uploadThroughput": 400 * 1024 / 8}
LAPTOP = {"width": 1280, "height": 800}
PHONE = {"width": 360, "height": 780}
PROCEDURES = ("pengeluaran_kas", "rat")


@dataclass(frozen=True)
class Load:
    """One page load on slow 3G: bytes on the wire and when it became usable."""

    path: str
    transferred: int
    requests: int
    dom_content_loaded: float  # seconds from navigation start
    load: float  # every stylesheet, script and image in
    sideways: bool  # the page itself scrolls sideways on this screen


class SlowPhone:
    """A browser tab behind slow 3G with its cache off, counting every response's encoded size.

    With the cache off every page pays for the stylesheet too: the worst case, a first visit.
    """

    def __init__(self, browser: Any, base: str, viewport: dict[str, int]) -> None:
        self.base = base
        self.context = browser.new_context(viewport=viewport)
        self.page = self.context.new_page()
        self._sizes: dict[str, float] = {}
        self._cdp = self.context.new_cdp_session(self.page)
        self._cdp.on("Network.loadingFinished",
                     lambda event: self._sizes.__setitem__(event["requestId"], event["encodedDataLength"]))
        self._cdp.send("Network.enable")

    def login(self, username: str) -> None:
        """Signs in at full speed (the login page is measured on its own)."""
        self.page.goto(self.base + "/login")
        self.page.fill("#username", username)
        self.page.fill("#password", demo_password(username))
        self.page.click("button[type=submit]")
        self.page.wait_for_url(lambda url: url.startswith(self.base) and "/login" not in url)  # the role's home

    def load(self, path: str) -> Load:
        self._cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
        self._cdp.send("Network.emulateNetworkConditions", SLOW_3G)
        self._sizes.clear()
        response = self.page.goto(self.base + path, wait_until="load", timeout=120_000)
        assert response is not None and response.status == 200, (path, response and response.status)
        self.page.wait_for_timeout(100)  # let the last loadingFinished events arrive
        timing = self.page.evaluate(
            "(() => { const n = performance.getEntriesByType('navigation')[0], d = document.documentElement;"
            " return [n.domContentLoadedEventEnd, n.loadEventEnd, d.scrollWidth > d.clientWidth]; })()")
        self._cdp.send("Network.emulateNetworkConditions", {**SLOW_3G, "latency": 0, "downloadThroughput": -1,
                                                            "uploadThroughput": -1})
        return Load(path, int(sum(self._sizes.values())), len(self._sizes), timing[0] / 1000,
                    timing[1] / 1000, bool(timing[2]))

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def case_number(web_services: Services, files) -> str:  # type: ignore[no-untyped-def]
    number = submitted_kas(web_services, 900_000, files("nota.pdf"))
    web_services.act(number, "verifikasi", "sri", checks=KAS_VERIFY_CHECKS)
    return number


def test_every_main_page_is_light_and_quick_on_slow_3g(chromium, live_server: str, case_number: str) -> None:
    case = f"/k/{COOP}/kasus/{case_number}"
    procedures = [f"/prosedur/{p}" for p in PROCEDURES]
    visits: dict[str | None, list[str]] = {
        None: ["/login"],
        "bambang": ["/tugas", case, *procedures, f"/k/{COOP}", f"/k/{COOP}/dokumen",  # ketua, on a phone
                    f"/k/{COOP}/anggota", "/pemberitahuan"],
        "agus": ["/tugas", case, f"/k/{COOP}/jejak", f"/k/{COOP}/dokumen", procedures[0]],  # ketua pengawas
        "ratna": ["/dinas", f"/k/{COOP}/jejak", case, "/tugas"],  # Dinas Koperasi
    }
    loads: list[tuple[str, Load]] = []
    for who, paths in visits.items():
        phone = SlowPhone(chromium, live_server, PHONE)
        try:
            if who is not None:
                phone.login(who)
            loads.extend((who or "anon", phone.load(path)) for path in paths)
        finally:
            phone.close()
    report = "\n".join(f"{who:8} {load.path:45} {load.transferred / 1024:7.1f} KB {load.requests:2} req "
                       f"DCL {load.dom_content_loaded:4.2f} s  load {load.load:4.2f} s" for who, load in loads)
    print("\n" + report)
    heavy = [(who, load.path, load.transferred) for who, load in loads if load.transferred > BUDGET_BYTES]
    slow = [(who, load.path, round(load.load, 2)) for who, load in loads
            if max(load.dom_content_loaded, load.load) > BUDGET_SECONDS]
    assert heavy == [], report
    assert slow == [], report
    assert [(who, load.path) for who, load in loads if load.sideways] == [], "the page scrolls sideways at 360 px"


@pytest.mark.parametrize("procedure", PROCEDURES)
def test_the_procedure_diagram_fits_a_phone_and_a_laptop(chromium, live_server: str, shot, procedure: str) -> None:
    for name, viewport in (("ponsel", PHONE), ("laptop", LAPTOP)):
        tab = SlowPhone(chromium, live_server, viewport)  # at full speed here: only the layout is looked at
        tab.login("bambang")
        page = tab.page
        page.goto(f"{live_server}/prosedur/{procedure}")
        shot(page, f"prosedur-{procedure}-{name}")
        # The page never scrolls sideways; a wide diagram scrolls inside its own box.
        assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth"), name
        diagram = page.locator("figure.diagram svg.flow")
        assert diagram.count() == 1 and diagram.get_attribute("role") == "img"
        assert (diagram.locator("title").text_content() or "").startswith("Diagram alur")
        # Labels stay legible, on a phone too (where the diagram scrolls sideways inside its box instead).
        smallest = page.evaluate(
            "Math.min(...[...document.querySelectorAll('figure.diagram svg.flow text')]"
            ".map(t => parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a))")
        assert smallest >= 10.9, (name, smallest)
        # No label runs into another.
        overlaps = page.evaluate("""(() => {
            const texts = [...document.querySelectorAll('figure.diagram svg.flow text')];
            const boxes = texts.map(t => t.getBoundingClientRect());
            const hits = [];
            for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
              const a = boxes[i], b = boxes[j];
              if (a.left < b.right - 1 && b.left < a.right - 1 && a.top < b.bottom - 1 && b.top < a.bottom - 1)
                hits.push([texts[i].textContent, texts[j].textContent]);
            }
            return hits; })()""")
        assert overlaps == [], (name, overlaps)
        tab.close()
