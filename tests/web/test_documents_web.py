"""Documents from the web app: Berita Acara, SOP PDF, Buku SOP, RK/RAPB with XLSX upload, audit report."""

from __future__ import annotations

import io
import time

import pytest
from openpyxl import load_workbook

from engine.services import Services
from engine.web import create_app
from tests.helpers import COOP, KAS_VERIFY_CHECKS, submitted_kas
from tests.web.conftest import Browser


@pytest.fixture
def decided(web_services: Services, files) -> str:
    number = submitted_kas(web_services, 900_000, files("n.pdf"))
    web_services.act(number, "verifikasi", "sri", checks=KAS_VERIFY_CHECKS)
    web_services.act(number, "setujui", "bambang", comment="Sesuai RAPB")
    return number


def test_the_berita_acara_of_a_decided_case_downloads_and_is_listed(as_user, decided: str) -> None:
    agus = as_user("agus")
    page = agus.client.get(f"/k/{COOP}/kasus/{decided}")
    assert "berita-acara.pdf" in page.text
    pdf = agus.client.get(f"/k/{COOP}/kasus/{decided}/berita-acara.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert 'filename="001-BA-KKMP-SNT-XI-2026.pdf"' in pdf.headers["content-disposition"]
    from engine.services.documents import verify_pdf

    signed = verify_pdf(pdf.content)  # signed in the request's worker thread, verifiable offline
    assert signed.ok and signed.signer == "Tatakelola — tatakelola", [c.message for c in signed.checks]
    assert "001/BA/KKMP-SNT/XI/2026" in agus.client.get(f"/k/{COOP}/kasus/{decided}").text  # now in the register


def test_another_kkmp_cannot_download_the_berita_acara(as_user, decided: str) -> None:
    assert as_user("hadi").client.get(f"/k/{COOP}/kasus/{decided}/berita-acara.pdf").status_code == 404


def download(browser: Browser, path: str, *, seconds: float = 300):  # type: ignore[no-untyped-def]
    """GET a document that may be built first: follow "Sedang disiapkan…" (202, Refresh) until the PDF comes."""
    deadline = time.monotonic() + seconds
    while True:
        response = browser.client.get(path)
        if response.status_code != 202 or time.monotonic() > deadline:
            return response
        assert "Sedang disiapkan" in response.text and response.headers["refresh"] == "3"
        assert response.headers["retry-after"] == "3"
        time.sleep(0.2)


def test_the_sop_pdf_from_the_procedure_page(as_user) -> None:
    sri = as_user("sri")
    assert "/prosedur/pengeluaran_kas/sop.pdf?koperasi=kkmp-sentanan" in sri.client.get("/prosedur/pengeluaran_kas").text
    pdf = download(sri, "/prosedur/pengeluaran_kas/sop.pdf?koperasi=kkmp-sentanan")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert as_user("hadi").client.get("/prosedur/pengeluaran_kas/sop.pdf?koperasi=kkmp-sentanan").status_code == 404


def test_the_budget_workbook_uploads_and_bad_cells_are_named(as_user) -> None:
    sri = as_user("sri")
    example = sri.client.get(f"/k/{COOP}/dokumen/rapb.xlsx?contoh=1&tahun=2027")
    assert example.status_code == 200
    ok = sri.post_form(f"/k/{COOP}/dokumen/rapb", {"tahun": "2027"}, token_from=f"/k/{COOP}/dokumen",
                       files={"berkas": ("rapb.xlsx", example.content, "application/octet-stream")})
    assert ok.status_code == 200 and "RAPB tersimpan" in ok.text
    book = load_workbook(io.BytesIO(example.content))
    sheet = book["Pendapatan"]
    target = sheet["F5"]
    assert isinstance(target.value, int)
    target.value = "satu juta"
    buffer = io.BytesIO()
    book.save(buffer)
    bad = sri.post_form(f"/k/{COOP}/dokumen/rapb", {"tahun": "2027"}, token_from=f"/k/{COOP}/dokumen",
                        files={"berkas": ("rapb.xlsx", buffer.getvalue(), "application/octet-stream")})
    assert bad.status_code == 422 and target.coordinate in bad.text and sheet.title in bad.text
    wrong = sri.post_form(f"/k/{COOP}/dokumen/rapb", {"tahun": "2027"}, token_from=f"/k/{COOP}/dokumen",
                          files={"berkas": ("rapb.exe", b"MZ", "application/octet-stream")})
    assert wrong.status_code == 422 and "xlsx" in wrong.text
    pdf = sri.client.get(f"/k/{COOP}/dokumen/rapb.pdf?tahun=2027")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_only_planners_upload_budgets(as_user) -> None:
    siti = as_user("siti")
    response = siti.post_form(f"/k/{COOP}/dokumen/rapb", {"tahun": "2027"}, token_from=f"/k/{COOP}/dokumen",
                              files={"berkas": ("rapb.xlsx", b"x", "application/octet-stream")})
    assert response.status_code == 403


def test_the_audit_report_is_for_the_pengawas(as_user, decided: str) -> None:
    url = f"/k/{COOP}/laporan-pengawas.pdf?dari=2026-11-01&sampai=2026-11-30"
    assert as_user("sri").client.get(url).status_code == 403
    pdf = as_user("agus").client.get(url)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_the_buku_sop_is_built_off_the_request_and_served_from_the_cache_once_ready(web_services: Services) -> None:
    settings = web_services.settings.model_copy(update={"document_wait_s": 0})  # never wait: always the page first
    services = Services(settings, registry=web_services.registry, clock=web_services.clock)
    sri = Browser(create_app(settings, services=services, secret_key="test-secret"))
    sri.login("sri")
    first = sri.client.get(f"/k/{COOP}/dokumen/buku-sop.pdf")
    assert first.status_code == 202 and "Sedang disiapkan" in first.text and "Buku Standar" in first.text
    assert first.headers["refresh"] == "3" and first.headers["cache-control"] == "no-store"
    second = sri.client.get(f"/k/{COOP}/dokumen/buku-sop.pdf")  # while the first build runs: the same build
    assert second.status_code in (200, 202)
    pdf = download(sri, f"/k/{COOP}/dokumen/buku-sop.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert 'filename="BUKU-SOP-2026.pdf"' in pdf.headers["content-disposition"]
    check = services.documents.verify(pdf.content)  # recorded when handed out
    assert check.ok, [c.message for c in check.problems]
    again = sri.client.get(f"/k/{COOP}/dokumen/buku-sop.pdf")
    assert again.status_code == 200 and again.content == pdf.content
    hadi = Browser(create_app(settings, services=services, secret_key="test-secret"))
    hadi.login("hadi")  # the ketua of another KKMP: nothing is built or revealed for him
    assert hadi.client.get(f"/k/{COOP}/dokumen/buku-sop.pdf").status_code == 404
