"""Starting a case is a form: nothing is created until "Simpan draf" or "Ajukan" (issue 12)."""

from __future__ import annotations

import re

from engine.services import Services
from tests.helpers import COOP

FORM = f"/k/{COOP}/mulai?prosedur=pengeluaran_kas"
GOOD = {"f.keperluan": "Beli galon", "f.jumlah": "Rp 45.000", "f.pos_rapb": "Alat tulis kantor",
        "f.penerima": "Depot Tirta"}
NOTA = {"a.nota": ("nota.jpg", b"\xff\xd8\xff foto", "image/jpeg")}
CHECKS = {"c.nota_terlampir": "1", "c.pos_sesuai": "1"}


def count(services: Services) -> int:
    return len(services.list_cases(COOP))


def start(browser, data: dict[str, str], files=None):  # type: ignore[no-untyped-def]
    return browser.post_form(f"/k/{COOP}/mulai", {"prosedur": "pengeluaran_kas", **data}, files=files,
                             token_from=FORM)


def test_the_form_shows_the_procedure_and_creates_nothing(as_user, web_services: Services) -> None:
    fajar = as_user("fajar")
    before = count(web_services)
    page = fajar.client.get(FORM)
    assert page.status_code == 200
    assert "Persetujuan Pengeluaran Kas" in page.text and "diverifikasi bendahara" in page.text  # title, summary
    assert 'id="f.keperluan"' in page.text and 'id="f.jumlah"' in page.text and 'inputmode="numeric"' in page.text
    assert 'id="f.pos_rapb"' in page.text and "Alat tulis kantor" in page.text  # choices from the AD/ART settings
    assert 'type="file" id="a.nota"' in page.text and 'name="c.nota_terlampir"' in page.text
    assert 'value="draf"' in page.text and "Simpan draf" in page.text and 'value="ajukan"' in page.text
    assert 'name="csrf"' in page.text
    assert count(web_services) == before


def test_simpan_draf_creates_one_draft_with_the_values(as_user, web_services: Services) -> None:
    fajar = as_user("fajar")
    before = count(web_services)
    response = start(fajar, {**GOOD, "tombol": "draf"}, NOTA)
    assert response.status_code == 200 and "tersimpan" in response.text
    assert count(web_services) == before + 1
    summary = web_services.list_cases(COOP)[0]
    assert summary.state == "draf" and summary.number in str(response.url)
    fields = {n: v for n, _, v in web_services.show(summary.number, None).fields}
    assert fields["keperluan"] == "Beli galon" and fields["jumlah"] == "Rp 45.000"
    assert "nota.jpg" in fields["nota"]


def test_ajukan_creates_and_submits(as_user, web_services: Services) -> None:
    fajar = as_user("fajar")
    before = count(web_services)
    response = start(fajar, {**GOOD, **CHECKS, "tombol": "ajukan"}, NOTA)
    assert response.status_code == 200 and "Menunggu verifikasi bendahara" in response.text
    assert count(web_services) == before + 1
    number = web_services.list_cases(COOP)[0].number
    view = web_services.show(number, None)
    assert view.summary.state == "verifikasi_bendahara"
    assert [e.action for e in view.history] == ["mulai", "ajukan"]


def test_the_bendahara_submits_with_her_own_action(as_user, web_services: Services) -> None:
    sri = as_user("sri")
    page = sri.client.get(FORM).text
    assert "Ajukan langsung ke ketua" in page
    response = start(sri, {**GOOD, **CHECKS, "tombol": "ajukan"}, NOTA)
    assert response.status_code == 200
    assert web_services.list_cases(COOP)[0].state == "menunggu_ketua"


def test_a_bad_value_shows_the_form_again_and_creates_nothing(as_user, web_services: Services) -> None:
    fajar = as_user("fajar")
    before = count(web_services)
    response = start(fajar, {**GOOD, "f.jumlah": "empat puluh ribu", "tombol": "ajukan", **CHECKS}, NOTA)
    assert response.status_code == 422
    assert 'id="e.jumlah"' in response.text and "jumlah uang tidak dikenali" in response.text
    assert 'value="empat puluh ribu"' in response.text and 'value="Beli galon"' not in response.text  # textarea
    assert ">Beli galon</textarea>" in response.text and "Belum ada yang tersimpan" in response.text
    assert count(web_services) == before


def test_a_refused_submission_keeps_the_draft_and_says_why(as_user, web_services: Services) -> None:
    fajar = as_user("fajar")
    before = count(web_services)
    response = start(fajar, {**GOOD, "tombol": "ajukan"}, NOTA)  # checklist not ticked
    assert response.status_code == 422
    assert "sudah tersimpan, tetapi belum dapat diajukan" in response.text and "belum dicentang" in response.text
    assert count(web_services) == before + 1 and web_services.list_cases(COOP)[0].state == "draf"


def test_a_start_without_a_csrf_token_is_refused_and_creates_nothing(as_user, web_services: Services) -> None:
    fajar = as_user("fajar")
    before = count(web_services)
    for data in ({}, {"csrf": "palsu"}):
        response = fajar.client.post(f"/k/{COOP}/mulai", data={**data, "prosedur": "pengeluaran_kas",
                                                               "tombol": "draf", **GOOD}, follow_redirects=False)
        assert response.status_code == 403
    assert count(web_services) == before


def test_the_picker_groups_by_category_and_preselects_nothing(as_user, web_services: Services) -> None:
    fajar = as_user("fajar")
    html = fajar.client.get(f"/k/{COOP}").text
    picker = html.split('id="mulai"')[1].split("</section>")[0]
    assert "<select" not in picker and "selected" not in picker
    assert "<h3" in picker and "Keuangan" in picker and "Usaha" in picker
    links = re.findall(r'/mulai\?prosedur=(\w+)', picker)
    assert "pengeluaran_kas" in links and "ekatalog_pendaftaran" in links
    assert "rat" not in links  # the sekretaris starts the RAT, not the manajer
    assert fajar.client.get(f"/k/{COOP}/mulai?prosedur=rat").status_code == 403


def test_the_most_used_procedure_comes_first(as_user, web_services: Services) -> None:
    for _ in range(2):
        web_services.open_case("pesanan_instansi", COOP, "fajar")
    fajar = as_user("fajar")
    picker = fajar.client.get(f"/k/{COOP}").text.split('id="mulai"')[1].split("</section>")[0]
    assert re.findall(r'/mulai\?prosedur=(\w+)', picker)[0] == "pesanan_instansi"
    assert picker.index("Usaha") < picker.index("Keuangan")
    assert "2 kasus" in picker


def test_a_draft_can_be_cancelled_from_its_page(as_user, web_services: Services) -> None:
    fajar = as_user("fajar")
    page = start(fajar, {"tombol": "draf"})
    assert page.status_code == 200 and "Batalkan draf" in page.text
