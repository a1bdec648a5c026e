"""The election procedure (SOP-KEL-11) in the web app: lists typed in table forms, rule refusals named in
words on the page with nothing saved, and the new board shown after the decision."""

from __future__ import annotations

import html
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from engine.adapters.store.models import Person
from engine.demo import demo_password
from engine.services import Services
from tests.helpers import COOP
from tests.integration.workflows.helpers import act, members, pdfs
from tests.integration.workflows.test_pemilihan_pengurus import HASIL, RAT, add_people, terms
from tests.web.conftest import _hash

WF = "pemilihan_pengurus"


@pytest.fixture
def people(web_services: Services, tmp_path: Path) -> Services:
    add_people(web_services, tmp_path)
    with web_services.db.session() as session:
        for person in session.scalars(select(Person).where(Person.username.in_(("rina", "lilik", "ani", "joko",
                                                                                 "dwi", "endang")))):
            person.password_hash = _hash(demo_password(person.username))
    return web_services


def text(response) -> str:  # type: ignore[no-untyped-def]
    return html.unescape(response.text)


def panitia(*people: tuple[str, str]) -> dict[str, str]:
    out = {"f.tanggal_rat": RAT, "f.tempat_rat": "Balai Kelurahan Sentanan"}
    for i, (username, task) in enumerate(people):
        out[f"f.panitia__{i}__anggota"], out[f"f.panitia__{i}__tugas"] = username, task
    return out


def test_an_election_on_the_web_names_each_refusal_and_installs_the_board(
        people: Services, as_user, files) -> None:  # type: ignore[no-untyped-def]
    rina = as_user("rina")
    form = f"/k/{COOP}/mulai?prosedur={WF}"
    page = rina.client.get(form)
    assert page.status_code == 200 and 'name="f.panitia__0__anggota"' in page.text
    before = len(people.list_cases(COOP))
    refused = rina.post_form(f"/k/{COOP}/mulai", {"prosedur": WF, "tombol": "ajukan", "c.panitia_bersedia": "on",
                                                  **panitia(("bambang", "Ketua panitia"), ("siti", "Anggota panitia"))},
                             token_from=form)
    assert refused.status_code == 422
    body = text(refused)
    assert "Panitia 1 (Bambang Sutrisno) sedang menjabat pengurus atau pengawas" in body
    assert "baru 2 orang" in body and "count(" not in body and "anggota.peran" not in body
    assert "sudah tersimpan, tetapi belum dapat diajukan" in body
    [draft] = people.list_cases(COOP)[: len(people.list_cases(COOP)) - before]
    number = draft.number
    assert people.show(number, None).summary.state == "pembentukan_panitia"  # a draft, not submitted
    url = f"/k/{COOP}/kasus/{number}"
    fixed = rina.post_form(url + "/aksi", {"step": str(people.show(number, None).step_no), "action": "ajukan_panitia",
                                           "c.panitia_bersedia": "on",
                                           **panitia(("siti", "Ketua panitia"), ("lilik", "Sekretaris panitia"),
                                                     ("ani", "Anggota panitia"))}, token_from=url)
    assert fixed.status_code == 200, text(fixed)[:1500]
    for voter in ("bambang", "dwi", "endang"):
        browser = as_user(voter)
        step = people.show(number, None).step_no
        done = browser.post_form(url + "/aksi", {"step": str(step), "action": "sahkan_panitia"}, token_from=url)
        assert done.status_code == 200, text(done)[:1500]
    assert people.show(number, None).summary.state == "pendaftaran_calon"

    siti = as_user("siti")
    page = siti.client.get(url)
    assert 'name="f.calon__0__orang"' in page.text and "Tetapkan daftar calon" in page.text
    step = people.show(number, None).step_no
    calon = {"step": str(step), "action": "tetapkan_calon", "c.pernyataan_calon": "on", "c.calon_diumumkan": "on",
             "f.calon__0__orang": "bambang", "f.calon__0__jabatan": "Ketua Pengurus",
             "f.calon__1__orang": "budi", "f.calon__1__jabatan": "Bendahara"}
    refused = siti.post_form(url + "/aksi", calon, token_from=url)
    assert refused.status_code == 422
    assert "Calon 2 (Budi Hartono) belum 12 bulan menjadi anggota pada 19 Desember 2026 (anggota sejak 1 Juni " \
           "2026)" in text(refused)
    assert people.show(number, None).summary.state == "pendaftaran_calon"
    done = siti.post_form(url + "/aksi", {**calon, "f.calon__1__orang": "rina", "f.calon__1__jabatan": "Sekretaris"},
                          token_from=url)
    assert done.status_code == 200, text(done)[:1500]

    act(people, number, "catat_hasil", "lilik", values={"daftar_hadir": ",".join(members(people, 30)),
                                                        "hasil": HASIL}, files=pdfs(files, "berita_acara_suara"))
    joko = as_user("joko")
    step = people.show(number, None).step_no
    done = joko.post_form(url + "/aksi", {"step": str(step), "action": "sahkan_hasil",
                                          "f.tanggal_mulai": "2027-01-01", "f.tanggal_akhir": "2031-12-31"},
                          token_from=url)
    assert done.status_code == 200, text(done)[:1500]
    assert terms(people, "bambang", "ketua")[-1] == (date(2027, 1, 1), date(2031, 12, 31))
    page = text(siti.client.get(url))
    assert "Bambang Sutrisno" in page and "Ketua Pengurus" in page and "terpilih" not in page.lower().split("<th")[0]


def test_the_json_api_takes_a_list_as_rows(people: Services, app) -> None:  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    client = TestClient(app, raise_server_exceptions=False)
    login = client.post("/api/login", json={"username": "rina", "password": demo_password("rina")})
    assert login.status_code == 200, login.text
    headers = {"X-CSRF-Token": login.json()["csrf"]}
    rows = [{"anggota": "siti", "tugas": "Ketua panitia"}, {"anggota": "fajar", "tugas": "Anggota panitia"}]
    refused = client.post(f"/api/koperasi/{COOP}/kasus", headers=headers, json={
        "workflow": WF, "values": {"tanggal_rat": RAT, "tempat_rat": "Balai", "panitia": rows}})
    assert refused.status_code == 422 and "Baris 2, Anggota panitia: 'fajar' tidak memegang jabatan Anggota" \
        in refused.text
    rows[1]["anggota"] = "lilik"
    started = client.post(f"/api/koperasi/{COOP}/kasus", headers=headers, json={
        "workflow": WF, "values": {"tanggal_rat": RAT, "tempat_rat": "Balai", "panitia": rows}})
    assert started.status_code == 201, started.text
    number = started.json()["summary"]["number"]
    assert [r[0] for r in people.show(number, None).tables["panitia"].rows] == ["Siti Maemunah (siti)",
                                                                                "Lilik Suryani (lilik)"]


def test_a_deadline_at_the_end_of_a_day_reads_as_that_day(people: Services, as_user) -> None:  # type: ignore[no-untyped-def]
    number = people.start_case(WF, COOP, "rina", values={
        "tanggal_rat": RAT, "tempat_rat": "Balai", "panitia": '[{"anggota": "siti", "tugas": "Ketua panitia"},'
        ' {"anggota": "lilik", "tugas": "Sekretaris panitia"}, {"anggota": "ani", "tugas": "Anggota panitia"}]'}
    ).summary.number
    act(people, number, "ajukan_panitia", "rina")
    for voter in ("bambang", "dwi", "endang"):
        act(people, number, "sahkan_panitia", voter)
    page = text(as_user("siti").client.get(f"/k/{COOP}/kasus/{number}"))
    assert "tenggat 12 Desember 2026, 24.00 WIB" in page  # 7 days before the meeting on 19 December
