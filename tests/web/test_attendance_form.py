"""The daftar hadir on the step page: a checklist of who could attend, ticked boxes sent as one list."""

from __future__ import annotations

import re

from sqlalchemy import select

from engine.adapters.store.models import Person
from engine.demo import demo_password
from engine.services import Services
from tests.helpers import COOP
from tests.web.conftest import _hash


def _meeting(as_user, services: Services):  # type: ignore[no-untyped-def]
    with services.db.session() as session:
        session.scalars(select(Person).where(Person.username == "rina")).one().password_hash = _hash(
            demo_password("rina"))
    number = services.start_case("keputusan_rapat_pengurus", COOP, "rina", values={
        "judul": "Jam buka gerai", "uraian": "Gerai buka 07.00-21.00", "tanggal_rapat": "2026-11-20"}).summary.number
    return as_user("rina"), number, f"/k/{COOP}/kasus/{number}"


def test_the_pengurus_in_office_on_the_meeting_date_are_offered_as_a_checklist(as_user, web_services: Services) -> None:
    rina, _, url = _meeting(as_user, web_services)
    page = rina.client.get(url).text
    offered = re.findall(r'name="f\.hadir" value="([^"]*)"', page)
    assert offered == ["", "bambang", "dwi", "endang", "rina", "sri"]  # the hidden empty value clears the list
    assert "Bambang Sutrisno (bambang)" in page and "wahyu" not in offered


def test_ticked_people_are_recorded_as_one_sorted_list(as_user, web_services: Services) -> None:
    rina, number, url = _meeting(as_user, web_services)
    form = {"action": "ajukan", "f.hadir": ["", "sri", "bambang", "dwi"], "c.undangan_terkirim": "1",
            "c.daftar_hadir": "1"}
    response = rina.post_form(url + "/aksi", form, files={"a.notulen": ("notulen.pdf", b"%PDF-1.4\n%n\n",
                                                                         "application/pdf")}, token_from=url)
    assert response.status_code == 200, response.text[:500]
    view = web_services.show(number, None)
    assert view.summary.state == "pemungutan_suara"
    assert dict((n, v) for n, _, v in view.fields)["hadir"] == "3 hadir: bambang, dwi, sri"


def test_a_meeting_below_its_quorum_is_refused_on_the_form_and_the_ticks_are_kept(
        as_user, web_services: Services) -> None:
    rina, number, url = _meeting(as_user, web_services)
    form = {"action": "ajukan", "f.hadir": ["", "rina"], "c.undangan_terkirim": "1", "c.daftar_hadir": "1"}
    response = rina.post_form(url + "/aksi", form, files={"a.notulen": ("notulen.pdf", b"%PDF-1.4\n%n\n",
                                                                         "application/pdf")}, token_from=url)
    assert response.status_code == 422
    assert 'id="e.hadir"' in response.text
    assert "Hadir 1 dari 5 pengurus; kuorum kehadiran memerlukan lebih dari 50% (minimal 3)" in response.text
    assert re.search(r'value="rina" checked', response.text) and not re.search(r'value="dwi" checked', response.text)
    assert web_services.show(number, None).summary.state == "usulan"
