"""A list field's table in a real browser at phone size: it fits (the table scrolls inside its box), no
developer word is on screen, "Tambah baris" adds rows without JavaScript, and the rows are kept."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from engine.adapters.store.models import Person
from engine.demo import DEMO_ORG, demo_password
from engine.domain.definitions.registry import Registry
from engine.services import Services
from engine.settings import Settings
from tests.browser.test_every_page import PHONE, VISIBLE_TEXT, raw_words
from tests.browser.test_journey import login
from tests.conftest import Clock
from tests.helpers import COOP
from tests.integration.test_list_fields import DAFTAR, WF
from tests.web.conftest import _hash


@pytest.fixture
def services(settings: Settings, clock: Clock) -> Iterator[Services]:
    svc = Services(settings, clock=clock, registry=Registry.from_paths([DAFTAR]))
    svc.init()
    svc.import_org(DEMO_ORG)
    yield svc
    svc.db.dispose()


def test_the_list_table_fits_a_phone_and_adds_rows_without_javascript(chromium, live_server: str,
                                                                      web_services: Services, shot) -> None:  # type: ignore[no-untyped-def]
    with web_services.db.session() as session:
        session.scalars(select(Person).where(Person.username == "rina")).one().password_hash = \
            _hash(demo_password("rina"))
    context, page = login(chromium, live_server, "rina", PHONE)
    try:
        page.goto(f"{live_server}/k/{COOP}/mulai?prosedur={WF}")
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        assert raw_words(page.evaluate(VISIBLE_TEXT)) == []
        assert page.locator("table.rows-input tbody tr").count() == 3
        page.fill("input[name='f.tanggal_rapat']", "2026-11-20")
        page.fill("input[name='f.calon__0__anggota']", "siti")
        page.select_option("select[name='f.calon__0__jabatan']", "Ketua")
        page.fill("input[name='f.calon__0__simpanan']", "250.000")
        page.click("button[name='tambah']")
        page.wait_for_load_state()
        assert page.locator("table.rows-input tbody tr").count() == 5  # the field's max_rows
        assert page.input_value("input[name='f.calon__0__anggota']") == "siti"
        assert page.input_value("input[name='f.tanggal_rapat']") == "2026-11-20"
        assert web_services.list_cases(COOP) == []
        page.fill("input[name='f.calon__4__anggota']", "joko")
        page.select_option("select[name='f.calon__4__jabatan']", "Sekretaris")
        shot(page, "list-form-phone")
        page.click("button[value='ajukan']")
        page.wait_for_load_state()
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        assert raw_words(page.evaluate(VISIBLE_TEXT)) == []
        body = page.evaluate(VISIBLE_TEXT)
        assert "Siti Maemunah (siti)" in body and "Joko Susilo (joko)" in body and "Rp 250.000" in body
        shot(page, "list-case-phone")
    finally:
        context.close()
    (summary,) = web_services.list_cases(COOP)
    assert summary.state == "periksa"
