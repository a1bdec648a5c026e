"""The step page on a 360×780 phone: no sideways scrolling, the facts above the buttons, and a
reject that asks for a reason first."""

from __future__ import annotations

from pathlib import Path

from engine.services import Services
from tests.browser.test_journey import login
from tests.helpers import COOP, submitted_kas, tiny_png

PHONE = {"width": 360, "height": 780}


def test_the_step_page_on_a_phone(chromium, live_server: str, web_services: Services, shot, tmp_path: Path) -> None:
    nota = tmp_path / "nota-galon.png"
    nota.write_bytes(tiny_png())
    number = submitted_kas(web_services, 800_000, nota)
    url = f"{live_server}/k/{COOP}/kasus/{number}"

    context, page = login(chromium, live_server, "fajar", PHONE)
    page.goto(url)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert "Menunggu: Sri Handayani (Bendahara)" in page.inner_text(".waiting")
    shot(page, "step-1-manajer-menunggu-ponsel")
    context.close()

    context, page = login(chromium, live_server, "sri", PHONE)
    page.goto(url)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    facts, buttons = page.locator(".facts").bounding_box(), page.locator(".now .buttons").bounding_box()
    assert facts and buttons and facts["y"] + facts["height"] <= buttons["y"]
    assert page.locator("img.preview").evaluate("img => img.complete && img.naturalWidth > 0")
    shot(page, "step-2-bendahara-memutuskan-ponsel")
    page.click("button[value=tolak]")
    assert page.locator(".confirm").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.fill("#comment", "Harga terlalu mahal, minta penawaran lain.")
    shot(page, "step-3-bendahara-konfirmasi-tolak-ponsel")
    page.click("button:has-text('Ya, tolak')")
    assert "Ditolak" in page.inner_text(".badge")
    shot(page, "step-4-ditolak-ponsel")
    context.close()
