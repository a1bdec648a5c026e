"""The Buku Daftar Anggota page: who may see it, masked NIKs, the register on a date, XLSX upload."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook, load_workbook

from engine.adapters.render.register_workbook import HEADERS
from engine.demo import DEMO_MEMBERS
from engine.services import Services
from tests.helpers import COOP

PAGE = f"/k/{COOP}/anggota"
FULL_NIK = "3576015507790003"  # Siti Maemunah, KKMP-STN-0007, joined 5 October 2025
MASKED = "3576 •••• •••• 0003"


@pytest.fixture
def register(web_services: Services) -> Services:
    web_services.import_org(DEMO_MEMBERS)
    return web_services


def workbook(rows: list[list[object]]) -> bytes:
    book = Workbook()
    ws = book.active
    assert ws is not None
    ws.title = "Buku Daftar Anggota"
    ws.append(list(HEADERS))
    for row in rows:
        ws.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def cells(content: bytes) -> list[str]:
    ws = load_workbook(io.BytesIO(content))["Buku Daftar Anggota"]
    return [str(c.value) for row in ws.iter_rows() for c in row if c.value is not None]


def upload(browser, content: bytes, name: str = "anggota.xlsx"):  # type: ignore[no-untyped-def]
    return browser.post_form(f"{PAGE}/impor", {}, token_from=PAGE,
                             files={"berkas": (name, content, "application/octet-stream")})


def test_the_page_shows_the_count_and_hides_full_niks(as_user, register: Services) -> None:
    sri = as_user("sri")
    page = sri.client.get(PAGE)
    assert page.status_code == 200
    assert "Buku Daftar Anggota" in page.text and "Siti Maemunah" in page.text
    assert MASKED in page.text and FULL_NIK not in page.text
    assert '<span class="number">25</span>' in page.text
    masked = sri.client.get(f"{PAGE}.xlsx")
    assert masked.status_code == 200 and masked.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    assert FULL_NIK not in cells(masked.content) and MASKED in cells(masked.content)
    full = sri.client.get(f"{PAGE}.xlsx?nik=lengkap")
    assert full.status_code == 200 and FULL_NIK in cells(full.content)
    assert "NIK-LENGKAP" in full.headers["content-disposition"]


def test_the_register_on_a_date_before_someone_joined_does_not_list_them(as_user, register: Services) -> None:
    agus = as_user("agus")
    page = agus.client.get(f"{PAGE}?tanggal=2025-09-01")
    assert page.status_code == 200
    assert "Lilik Suryani" in page.text  # joined 3 August 2025
    assert "Siti Maemunah" not in page.text  # joined 5 October 2025
    assert "1 September 2025" in page.text and '<span class="number">6</span>' in page.text
    bad = agus.client.get(f"{PAGE}?tanggal=kemarin")
    assert bad.status_code == 422 and "Tanggal tidak sah" in bad.text


@pytest.mark.parametrize(("user", "status"), [("siti", 403), ("fajar", 403), ("hadi", 404), ("anon", 303)])
def test_only_the_pengurus_pengawas_and_dinas_of_the_kkmp_see_the_register(as_user, register: Services, user: str,
                                                                           status: int) -> None:
    client = as_user(user).client
    for path in (PAGE, f"{PAGE}.xlsx"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == status
        assert FULL_NIK not in response.text and "Siti Maemunah" not in response.text


def test_the_pengawas_and_the_dinas_read_but_neither_upload_nor_take_full_niks(as_user, register: Services) -> None:
    for user in ("agus", "ratna"):
        browser = as_user(user)
        page = browser.client.get(PAGE)
        assert page.status_code == 200 and MASKED in page.text
        assert "/anggota/impor" not in page.text and "nik=lengkap" not in page.text
        assert browser.client.get(f"{PAGE}.xlsx?nik=lengkap").status_code == 403
        assert upload(browser, workbook([])).status_code == 403


def test_the_cooperative_page_links_the_register_for_those_who_may_read_it(as_user, register: Services) -> None:
    assert f'href="{PAGE}"' in as_user("sri").client.get(f"/k/{COOP}").text
    assert f'href="{PAGE}"' not in as_user("siti").client.get(f"/k/{COOP}").text


def test_a_good_workbook_uploads_and_is_counted(as_user, register: Services) -> None:
    sri = as_user("sri")
    content = workbook([["KKMP-STN-0500", "Parmi", "3576014101700001", "Jl. Empunala 1", "01-11-2026", None,
                         "Rp. 100.000,-"]])
    response = upload(sri, content)
    assert response.status_code == 200  # after the redirect
    assert "1 ditambah" in response.text and "Parmi" in response.text
    assert '<span class="number">26</span>' in response.text
    assert all(r.ok for r in register.verify(COOP))


def test_bad_cells_are_shown_and_nothing_is_saved(as_user, register: Services) -> None:
    sri = as_user("sri")
    content = workbook([["KKMP-STN-0500", "Parmi", "35760141017", None, "1 Nov 2026", None, None],
                        ["KKMP-STN-0501", "Sarmi", FULL_NIK, None, "01-11-2026", None, None]])
    response = upload(sri, content)
    assert response.status_code == 422
    assert "sel C2" in response.text and "sel E2" in response.text and "NIK harus 16 angka" in response.text
    assert "Parmi" not in response.text.split("Daftar anggota")[1]
    assert register.members.count_on(COOP, register.today()) == 25
    masked = upload(sri, sri.client.get(f"{PAGE}.xlsx").content)
    assert masked.status_code == 422 and "NIK disamarkan" in masked.text
    wrong = upload(sri, b"MZ", name="anggota.exe")
    assert wrong.status_code == 422 and "xlsx" in wrong.text


def test_an_upload_without_the_form_token_is_refused(as_user, register: Services) -> None:
    sri = as_user("sri")
    response = sri.client.post(f"{PAGE}/impor", files={"berkas": ("a.xlsx", workbook([]), "application/octet-stream")})
    assert response.status_code == 403
    assert register.members.count_on(COOP, register.today()) == 25
