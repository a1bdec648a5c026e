"""A bendahara submits on a laptop, the ketua approves on a phone, the pengawas checks the trail
and downloads the Berita Acara."""

from __future__ import annotations

import re
from pathlib import Path

from engine.demo import demo_password
from engine.services import Services

LAPTOP = {"width": 1280, "height": 900}
PHONE = {"width": 360, "height": 740}


def login(browser, base: str, username: str, viewport: dict[str, int]):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport=viewport, accept_downloads=True)
    page = context.new_page()
    page.goto(base + "/login")
    page.fill("#username", username)
    page.fill("#password", demo_password(username))
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: url.startswith(base) and "/login" not in url)  # each role's own home
    return context, page


def test_a_spending_request_from_submission_to_trail(chromium, live_server: str, web_services: Services,
                                                    shot, tmp_path: Path) -> None:
    base = live_server
    receipt = tmp_path / "nota-galon.jpg"
    receipt.write_bytes(b"\xff\xd8\xff\xe0 foto nota galon")

    # 1. The bendahara, on the office laptop, starts and submits the request with the receipt attached.
    context, page = login(chromium, base, "sri", LAPTOP)
    page.click("text=KKMP Sentanan")
    page.click("a[href$='/mulai?prosedur=pengeluaran_kas']")  # the start form: nothing is created yet
    page.fill("#f\\.keperluan", "Pembelian 20 galon air minum untuk gerai")
    page.fill("#f\\.jumlah", "Rp 360.000")
    page.select_option("#f\\.pos_rapb", "Biaya operasional gerai")
    page.fill("#f\\.penerima", "Depot Tirta Majapahit")
    page.set_input_files("#a\\.nota", str(receipt))
    shot(page, "1-bendahara-mengisi")
    page.click("button[value=ajukan]")  # checklist not ticked yet: the draft is kept and its page says why
    assert page.locator(".error").is_visible()
    assert page.input_value("#f\\.keperluan") == "Pembelian 20 galon air minum untuk gerai"
    page.set_input_files("#a\\.nota", str(receipt))
    page.check("input[name='c.nota_terlampir']")
    page.check("input[name='c.pos_sesuai']")
    page.click("button[value=ajukan_ke_ketua]")
    assert "Menunggu persetujuan ketua" in page.inner_text(".badge")
    number = page.inner_text("h1").split("\n")[0].strip()
    assert number.startswith("KAS/")
    shot(page, "2-bendahara-mengajukan")
    context.close()

    # 2. The ketua, on a phone, finds it under Tugas saya and approves.
    context, page = login(chromium, base, "bambang", PHONE)
    assert number in page.inner_text("main")
    shot(page, "3-ketua-tugas-ponsel")
    page.click(f"text={number}")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360  # no sideways scrolling
    assert "Rp 360.000" in page.inner_text("main")
    page.fill("#comment", "Setuju, stok air habis.")
    page.click("button[value=setujui]")
    assert "Disetujui" in page.inner_text(".badge")
    shot(page, "4-ketua-menyetujui-ponsel")
    context.close()

    # 3. The pengawas sees the decision in the trail and verifies it.
    context, page = login(chromium, base, "agus", LAPTOP)
    page.goto(base + f"/k/kkmp-sentanan/kasus/{number}")
    timeline = page.inner_text(".timeline")
    assert "Bambang Sutrisno" in timeline and "Setuju, stok air habis." in timeline
    page.goto(base + "/k/kkmp-sentanan/jejak")
    page.click("button:has-text('Periksa sekarang')")
    assert "Jejak persetujuan utuh" in page.inner_text(".verdict")
    with page.expect_download() as download:
        page.click("text=Unduh checkpoint")
    saved = download.value.path()
    assert saved is not None and Path(saved).read_text().startswith("tatakelola/kkmp-sentanan\n")
    shot(page, "5-pengawas-jejak")
    page.goto(base + f"/k/kkmp-sentanan/kasus/{number}")
    with page.expect_download() as download:
        page.click("text=Unduh Berita Acara (PDF)")
    minutes = download.value.path()
    assert minutes is not None and Path(minutes).read_bytes().startswith(b"%PDF")
    letter = re.fullmatch(r"(\d{3})-BA-KKMP-SNT-([IVX]+)-(\d{4})\.pdf", download.value.suggested_filename)
    assert letter is not None, download.value.suggested_filename  # named by the cooperative's letter number
    page.reload()
    issued = f"{letter[1]}/BA/KKMP-SNT/{letter[2]}/{letter[3]}"
    assert issued in page.inner_text("main")  # the issued document is listed
    shot(page, "6-pengawas-berita-acara")
    context.close()
    assert web_services.show(number, None).summary.state == "disetujui"
