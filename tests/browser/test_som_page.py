"""The Standar Operasional Manajemen page on a phone and a laptop: it fits the screen and reads plainly."""

from __future__ import annotations

import pytest

from engine.services import Services
from tests.browser.test_every_page import LAPTOP, PHONE, VISIBLE_TEXT, raw_words
from tests.browser.test_journey import login
from tests.helpers import COOP


@pytest.mark.parametrize(("who", "viewport"), [("sri", PHONE), ("ratna", LAPTOP)])
def test_the_som_page_fits_and_has_no_developer_word(chromium, live_server: str, web_services: Services, shot,
                                                     who: str, viewport: dict[str, int]) -> None:
    context, page = login(chromium, live_server, who, viewport)
    try:
        page.goto(f"{live_server}/k/{COOP}")
        page.click("text=Standar Operasional Manajemen (SOM)")
        assert page.url.endswith(f"/k/{COOP}/som")
        page.click("details#jabatan-bendahara summary")  # a job description opens on a tap
        assert page.is_visible("#jabatan-bendahara >> text=Langkah dalam SOP")
        shot(page, f"som-{who}")
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        assert raw_words(page.evaluate(VISIBLE_TEXT)) == []
        assert "sampai Rp 500.000" in page.inner_text("#matriks")
    finally:
        context.close()
