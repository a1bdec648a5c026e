"""A list field on the web: a table of inputs (one per column per row, empty rows to fill, "Tambah baris"
without JavaScript), people picked by user name from the cooperative's people; the case page shows the
rows under their column labels."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from engine.adapters.store.models import Person
from engine.demo import DEMO_ORG, demo_password
from engine.domain.definitions.registry import Registry
from engine.services import Services
from engine.settings import Settings
from tests.conftest import Clock
from tests.helpers import COOP
from tests.integration.test_list_fields import DAFTAR, WF
from tests.web.conftest import _hash

FORM = f"/k/{COOP}/mulai?prosedur={WF}"


@pytest.fixture
def services(settings: Settings, clock: Clock) -> Iterator[Services]:
    """The demo KKMP running the test procedure with a list of candidates; rina (sekretaris) can log in."""
    svc = Services(settings, clock=clock, registry=Registry.from_paths([DAFTAR]))
    svc.init()
    svc.import_org(DEMO_ORG)
    yield svc
    svc.db.dispose()


@pytest.fixture
def rina(web_services: Services, as_user):  # type: ignore[no-untyped-def]
    with web_services.db.session() as session:
        session.scalars(select(Person).where(Person.username == "rina")).one().password_hash = \
            _hash(demo_password("rina"))
    return as_user("rina")


def text(response) -> str:  # type: ignore[no-untyped-def]
    return html.unescape(response.text)


def count(services: Services) -> int:
    return len(services.list_cases(COOP))


def post_start(browser, data: dict[str, str]):  # type: ignore[no-untyped-def]
    return browser.post_form(f"/k/{COOP}/mulai", {"prosedur": WF, **data}, token_from=FORM)


ROWS = {"f.tanggal_rapat": "2026-11-20",
        "f.calon__0__anggota": "siti", "f.calon__0__jabatan": "Ketua", "f.calon__0__simpanan": "250.000",
        "f.calon__1__anggota": "Lilik", "f.calon__1__jabatan": "Bendahara", "f.calon__1__simpanan": "",
        "f.calon__2__anggota": "", "f.calon__2__jabatan": "", "f.calon__2__simpanan": ""}


def test_the_start_form_shows_a_list_as_a_table_of_inputs_with_the_cooperatives_people(rina, web_services) -> None:  # type: ignore[no-untyped-def]
    page = rina.client.get(FORM)
    assert page.status_code == 200
    body = page.text
    for n in range(3):  # three empty rows, one input per column
        for column in ("anggota", "jabatan", "simpanan", "sejak"):
            assert f'name="f.calon__{n}__{column}"' in body
    assert 'name="f.calon__3__anggota"' not in body
    assert re.search(r'<select name="f\.calon__0__jabatan"[^>]*>.*<option value="Bendahara">', body)
    assert 'type="date" name="f.calon__0__sejak"' in body
    assert 'name="f.calon__0__anggota" value="" list="orang.calon"' in body
    assert '<datalist id="orang.calon">' in body and '<option value="siti">Siti Maemunah</option>' in body
    assert 'id="f.ketua_panitia" name="f.ketua_panitia" value="" list="orang.ketua_panitia"' in body
    assert '<th scope="col">Anggota <span class="req">*</span></th>' in body and "Tambah baris" in body
    assert 'name="tambah" value="calon"' in body and 'name="csrf"' in body


def test_tambah_baris_shows_more_empty_rows_and_saves_nothing(rina, web_services) -> None:  # type: ignore[no-untyped-def]
    before = count(web_services)
    response = post_start(rina, {**ROWS, "tambah": "calon"})
    assert response.status_code == 200
    assert count(web_services) == before
    body = response.text
    assert 'name="f.calon__0__anggota" value="siti"' in body and 'name="f.calon__1__anggota" value="Lilik"' in body
    # two rows typed and one spare, three more: as many as the field's 5 rows allow, and no "Tambah baris" then
    assert 'name="f.calon__4__anggota"' in body and 'name="f.calon__5__anggota"' not in body
    assert 'name="tambah"' not in body
    assert re.search(r'name="f\.calon__1__jabatan".*?<option value="Bendahara" selected>', body, re.S)


def test_a_refused_row_names_the_row_and_column_and_keeps_what_was_typed(rina, web_services) -> None:  # type: ignore[no-untyped-def]
    before = count(web_services)
    response = post_start(rina, {**ROWS, "f.calon__1__anggota": "budi", "tombol": "draf"})
    assert response.status_code == 422
    assert "Baris 2, Anggota: 'budi' bukan orang di koperasi ini" in text(response)
    assert 'name="f.calon__1__anggota" value="budi"' in response.text
    assert count(web_services) == before
    response = post_start(rina, {**ROWS, "f.calon__0__anggota": "fajar", "tombol": "draf"})
    assert response.status_code == 422
    assert "Baris 1, Anggota: 'fajar' tidak memegang jabatan Anggota pada 20 November 2026" in text(response)
    assert count(web_services) == before


def test_a_case_started_and_decided_on_the_web_keeps_the_rows_and_shows_them_as_a_table(
        rina, as_user, web_services: Services) -> None:  # type: ignore[no-untyped-def]
    response = post_start(rina, {**ROWS, "f.ketua_panitia": "joko", "tombol": "ajukan"})
    assert response.status_code == 200, text(response)[:2000]
    number = web_services.list_cases(COOP)[0].number
    assert web_services.show(number, None).summary.state == "periksa"
    table = web_services.show(number, None).tables["calon"]
    assert table.rows == [["Siti Maemunah (siti)", "Ketua", "Rp 250.000", "—"],
                          ["Lilik Suryani (lilik)", "Bendahara", "—", "—"]]
    # someone who only reads the case sees the rows under the column labels, no ids
    page = as_user("sri").client.get(f"/k/{COOP}/kasus/{number}").text
    assert '<th scope="col">Anggota</th><th scope="col">Jabatan</th>' in page
    assert "<td>Siti Maemunah (siti)</td><td>Ketua</td><td>Rp 250.000</td>" in page
    assert "calon__" not in page and "Ketua panitia" in page and "Joko Susilo (joko)" in page
    # the ketua may change the list when approving: "Tambah baris" decides nothing, then the rows go in
    bambang = as_user("bambang")
    url = f"/k/{COOP}/kasus/{number}"
    step = web_services.show(number, None).step_no
    form = {"step": str(step), "f.calon__0__anggota": "siti", "f.calon__0__jabatan": "Ketua",
            "f.calon__1__anggota": "joko", "f.calon__1__jabatan": "Sekretaris"}
    response = bambang.post_form(url + "/aksi", {**form, "tambah": "calon"}, token_from=url)
    assert response.status_code == 200  # two rows typed, none spare: three empty rows more
    assert 'name="f.calon__4__anggota"' in response.text and 'name="f.calon__5__anggota"' not in response.text
    assert 'name="f.calon__1__anggota" value="joko"' in response.text
    assert web_services.show(number, None).summary.state == "periksa"
    response = bambang.post_form(url + "/aksi", {**form, "f.calon__1__anggota": "tono", "action": "sahkan"},
                                 token_from=url)
    assert response.status_code == 422 and "Baris 2, Anggota: 'tono' bukan orang di koperasi ini" in text(response)
    assert web_services.show(number, None).summary.state == "periksa"
    response = bambang.post_form(url + "/aksi", {**form, "action": "sahkan"}, token_from=url)
    assert response.status_code == 200, text(response)[:2000]
    view = web_services.show(number, None)
    assert view.summary.state == "selesai"
    assert [r[0] for r in view.tables["calon"].rows] == ["Siti Maemunah (siti)", "Joko Susilo (joko)"]
