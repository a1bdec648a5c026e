"""The pages a new bendahara, pengawas or Dinas officer reads without help: the stored RAPB listed on
the Dokumen page, a PDF nota seen as a picture, the RAPB line's remaining budget on the step page,
and the Dinas overview sorted by what needs attention."""

from __future__ import annotations

import io
import re
from pathlib import Path

from openpyxl import load_workbook
from PIL import Image

from engine.services import Services
from tests.helpers import COOP, KAS_PAY_CHECKS, KAS_VERIFY_CHECKS, sentanan_org, submitted_kas, tiny_pdf


def test_the_dokumen_page_lists_the_stored_rapb_and_names_bad_cells(as_user) -> None:
    sri = as_user("sri")
    before = sri.client.get(f"/k/{COOP}/dokumen?tahun=2027")
    assert "Belum ada RAPB untuk tahun buku 2027" in before.text
    assert "Unduh RAPB (PDF)" not in before.text  # no button that leads to "not found"
    example = sri.client.get(f"/k/{COOP}/dokumen/rapb.xlsx?contoh=1&tahun=2027").content
    ok = sri.post_form(f"/k/{COOP}/dokumen/rapb", {"tahun": "2027"}, token_from=f"/k/{COOP}/dokumen",
                       files={"berkas": ("rapb-2027.xlsx", example, "application/octet-stream")})
    assert ok.status_code == 200
    assert "draf, belum disahkan" in ok.text and "Penjualan sembako kepada anggota" in ok.text
    assert "Rp 1.380.000.000" in ok.text  # the line's plan for 2027, as the workbook has it
    assert "Biaya unit usaha" in ok.text and "Rencana Kerja" in ok.text
    later = sri.client.get(f"/k/{COOP}/dokumen?tahun=2027")
    assert "Penjualan sembako kepada anggota" in later.text and "Unduh RAPB (PDF)" in later.text

    book = load_workbook(io.BytesIO(example))
    book["Pendapatan"]["F5"].value = "satu juta"
    book["Biaya"]["F5"].value = -5
    buffer = io.BytesIO()
    book.save(buffer)
    bad = sri.post_form(f"/k/{COOP}/dokumen/rapb", {"tahun": "2027"}, token_from=f"/k/{COOP}/dokumen",
                        files={"berkas": ("rapb-2027.xlsx", buffer.getvalue(), "application/octet-stream")})
    assert bad.status_code == 422
    cells = re.findall(r"<li><strong>(Sheet &#39;\w+&#39;, sel [A-Z]+\d+)</strong>: ([^<]+)</li>", bad.text)
    assert [c for c, _ in cells] == ["Sheet &#39;Pendapatan&#39;, sel F5", "Sheet &#39;Biaya&#39;, sel F5"], cells
    assert "bukan angka rupiah" in cells[0][1]
    assert "Tidak ada yang tersimpan" in bad.text
    assert "Penjualan sembako kepada anggota" in bad.text  # the stored revision is still listed, unchanged


def test_a_pdf_nota_is_seen_as_a_picture_of_its_first_page(as_user, web_services: Services, tmp_path: Path) -> None:
    nota = tmp_path / "nota-118.pdf"
    nota.write_bytes(tiny_pdf())
    number = submitted_kas(web_services, 360_000, nota)
    sri = as_user("sri")
    page = sri.client.get(f"/k/{COOP}/kasus/{number}").text
    sha = re.search(r'src="[^"]+/lampiran/([0-9a-f]{64})/pratinjau.png"', page)
    assert sha, "no first-page picture on the step page"
    picture = sri.client.get(f"/k/{COOP}/kasus/{number}/lampiran/{sha.group(1)}/pratinjau.png")
    assert picture.status_code == 200 and picture.headers["content-type"] == "image/png"
    image = Image.open(io.BytesIO(picture.content))
    assert image.width == 640 and image.height > image.width  # an A4 page, portrait
    assert min(image.convert("L").getdata()) < 100  # the nota's text is drawn, not a blank page
    # Someone of another cooperative sees nothing, and a file that is not a PDF has no picture.
    assert as_user("hadi").client.get(f"/k/{COOP}/kasus/{number}/lampiran/{sha.group(1)}/pratinjau.png"
                                      ).status_code == 404
    assert sri.client.get(f"/k/{COOP}/kasus/{number}/lampiran/{'0' * 64}/pratinjau.png").status_code == 404


def test_the_step_page_shows_what_is_left_on_the_rapb_line(web_services: Services, as_user, tmp_path: Path,
                                                          files) -> None:
    year = web_services.today().year
    web_services.import_org(sentanan_org(tmp_path, f", rapb_{year}: {{Alat tulis kantor: 1000000}}"))
    paid = submitted_kas(web_services, 300_000, files("a.pdf"))
    web_services.act(paid, "verifikasi", "sri", checks=KAS_VERIFY_CHECKS)
    web_services.act(paid, "bayar", "sri", checks=KAS_PAY_CHECKS, files={"kuitansi": files("k.pdf")})
    waiting = submitted_kas(web_services, 800_000, files("b.pdf"))
    page = as_user("sri").client.get(f"/k/{COOP}/kasus/{waiting}").text
    assert "Sisa anggaran pos" in page
    assert f"Rp 700.000 dari Rp 1.000.000 (RAPB {year})" in page
    assert "pengeluaran ini MELEBIHI sisa sebesar Rp 100.000" in page
    small = submitted_kas(web_services, 200_000, files("c.pdf"))
    assert "setelah pengeluaran ini Rp 500.000" in as_user("sri").client.get(f"/k/{COOP}/kasus/{small}").text


def test_the_dinas_overview_puts_what_needs_attention_first(web_services: Services, as_user, clock, files) -> None:
    page = as_user("ratna").client.get("/dinas").text
    order = re.findall(r'<td class="head"><a href="/k/([a-z-]+)">', page)
    assert set(order) == {"kkmp-sentanan", "kkmp-kranggan"}
    number = submitted_kas(web_services, 360_000, files("n.pdf"))  # Sentanan is busy...
    clock.advance(days=30)  # ...and a month later its step is long overdue
    page = as_user("ratna").client.get("/dinas").text
    order = re.findall(r'<td class="head"><a href="/k/([a-z-]+)">', page)
    assert order[0] == "kkmp-sentanan", order
    assert "1 kasus" in page and "Kegiatan terakhir" in page and "4 minggu yang lalu" in page
    assert number
