"""Authorisation matrix, CSRF, sessions, throttling."""

from __future__ import annotations

import pytest

from engine.services import Services
from tests.helpers import COOP, KAS_VERIFY_CHECKS, submitted_kas

OWN = "kkmp-sentanan"
OTHER = "kkmp-kranggan"


@pytest.fixture
def case(web_services: Services, files) -> str:
    number = submitted_kas(web_services, 900_000, files("n.pdf"))
    web_services.act(number, "verifikasi", "sri", checks=KAS_VERIFY_CHECKS)
    return number


# (route template, who may see it). Roles: sri bendahara, bambang ketua, fajar manajer, agus ketua pengawas,
# siti anggota, ratna Dinas (both KKMP), hadi ketua of the OTHER KKMP, anon logged out.
MEMBERS = {"sri", "bambang", "fajar", "agus", "siti", "ratna"}
AUDITORS = {"agus", "ratna"}
GET_ROUTES = [
    ("/tugas", MEMBERS | {"hadi"}),
    ("/akun", MEMBERS | {"hadi"}),
    ("/k/{own}", MEMBERS),
    ("/k/{other}", {"hadi", "ratna"}),
    ("/k/{own}/kasus/{case}", MEMBERS),
    ("/k/{own}/jejak", AUDITORS),
    ("/k/{own}/jejak/checkpoint.txt", AUDITORS),
    ("/k/{own}/jejak/bundel.zip", AUDITORS),
    ("/k/{own}/temuan", AUDITORS),
    ("/k/{other}/jejak", {"ratna"}),
    ("/dinas", {"ratna"}),
    ("/k/{own}/dokumen", MEMBERS),
    ("/k/{own}/kasus/{case}/berita-acara.pdf", MEMBERS),
    ("/prosedur/pengeluaran_kas/sop.pdf?koperasi={own}", MEMBERS),
    ("/k/{own}/laporan-pengawas.pdf?dari=2026-11-01&sampai=2026-11-30", AUDITORS),
    ("/prosedur/pengeluaran_kas", MEMBERS | {"hadi"}),
    ("/api/tugas", MEMBERS | {"hadi"}),
    ("/api/koperasi/{own}/kasus/{case}", MEMBERS),
    ("/api/koperasi/{other}/kasus/{case}", set()),
    ("/api/koperasi/{own}/jejak", AUDITORS),
    ("/api/koperasi/{own}/temuan", AUDITORS),
]
WHO = ["sri", "bambang", "fajar", "agus", "siti", "ratna", "hadi", "anon"]


@pytest.mark.parametrize("who", WHO)
def test_every_page_is_scoped_to_the_cooperatives_and_roles_held(as_user, case: str, who: str) -> None:
    browser = as_user(who)
    wrong = []
    for template, allowed in GET_ROUTES:
        path = template.format(own=OWN, other=OTHER, case=case)
        response = browser.client.get(path, follow_redirects=False)
        ok = response.status_code in (200, 202)  # 202: a document being built ("Sedang disiapkan…")
        if who == "anon":
            refused = response.status_code in (303, 401) and (
                path.startswith("/api/") or response.headers["location"].startswith("/login"))
            if not refused or ok:
                wrong.append((path, response.status_code))
        elif ok != (who in allowed) or response.status_code >= 500:
            wrong.append((path, response.status_code))
    assert wrong == [], f"{who}: {wrong}"


def test_a_pengurus_of_one_kkmp_sees_nothing_of_another(as_user, case: str) -> None:
    hadi = as_user("hadi")
    page = hadi.client.get(f"/k/{OWN}/kasus/{case}")
    main = page.text.split('<main id="isi">')[1]
    assert page.status_code == 404 and "Sentanan" not in page.text and case not in main
    assert OWN not in hadi.client.get("/tugas").text


POSTS = [
    "/logout", "/akun/sandi", "/k/{own}/mulai", "/k/{own}/kasus/{case}/aksi", "/k/{own}/jejak/verifikasi",
    "/k/{own}/dokumen/rapb",
]


@pytest.mark.parametrize("template", POSTS)
def test_every_post_without_a_valid_csrf_token_is_refused(as_user, case: str, template: str) -> None:
    browser = as_user("bambang")
    path = template.format(own=OWN, case=case)
    for data in ({}, {"csrf": "palsu"}, {"csrf": ""}):
        response = browser.client.post(path, data={**data, "action": "setujui", "prosedur": "pengeluaran_kas"},
                                       follow_redirects=False)
        assert response.status_code == 403, (path, data, response.status_code)
    assert "Disetujui" not in browser.client.get(f"/k/{OWN}/kasus/{case}").text.split("Riwayat")[0]


def test_login_needs_a_csrf_token_too(browser) -> None:
    response = browser.client.post("/login", data={"username": "sri", "password": "sri-demo"})
    assert response.status_code == 403


def test_json_api_posts_need_the_csrf_header(as_user, case: str) -> None:
    api = as_user("anon")
    login = api.client.post("/api/login", json={"username": "bambang", "password": "bambang-demo"})
    assert login.status_code == 200
    token = login.json()["csrf"]
    path = f"/api/koperasi/{OWN}/kasus/{case}/aksi"
    assert api.client.post(path, json={"action": "setujui"}).status_code == 403
    assert api.client.post(path, json={"action": "setujui"}, headers={"X-CSRF-Token": "x"}).status_code == 403
    done = api.client.post(path, json={"action": "setujui"}, headers={"X-CSRF-Token": token})
    assert done.status_code == 200 and done.json()["to_state"] == "disetujui"
    again = api.client.post(path, json={"action": "setujui"}, headers={"X-CSRF-Token": token})
    assert again.status_code == 409 and "sudah diputuskan" in again.json()["error"]


def test_the_session_cookie_is_httponly_and_samesite(browser) -> None:
    response = browser.login("sri")
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    assert "argon2" not in response.text


def test_passwords_are_stored_as_argon2_hashes(web_services: Services) -> None:
    from sqlalchemy import select

    from engine.adapters.store.models import Person

    with web_services.db.session() as session:
        stored = session.scalar(select(Person.password_hash).where(Person.username == "sri"))
    assert stored is not None and stored.startswith("$argon2id$") and "sri-demo" not in stored


def test_wrong_passwords_are_throttled(browser) -> None:
    for _ in range(5):
        assert browser.login("sri", "salah-sandi").status_code == 401
    blocked = browser.login("sri")  # even the right password waits now
    assert blocked.status_code == 429 and "Terlalu banyak percobaan" in blocked.text


def test_logout_ends_the_session(as_user) -> None:
    browser = as_user("sri")
    assert browser.post_form("/logout", {}).status_code in (200, 303)
    assert browser.client.get("/tugas", follow_redirects=False).status_code == 303


def test_password_change(as_user) -> None:
    browser = as_user("siti")
    bad = browser.post_form("/akun/sandi", {"lama": "siti-demo", "baru": "pendek", "ulang": "pendek"})
    assert bad.status_code == 400 and "minimal 10" in bad.text
    good = browser.post_form("/akun/sandi", {"lama": "siti-demo", "baru": "Kopi-Tubruk-Sentanan",
                                             "ulang": "Kopi-Tubruk-Sentanan"})
    assert good.status_code == 200 and "sudah diganti" in good.text
    fresh = as_user("anon")
    assert fresh.login("siti", "Kopi-Tubruk-Sentanan").status_code == 303


def test_security_headers(as_user) -> None:
    response = as_user("sri").client.get("/tugas")
    assert response.headers["x-frame-options"] == "DENY"
    assert "default-src 'self'" in response.headers["content-security-policy"]


def test_the_openapi_document_describes_the_api(browser) -> None:
    spec = browser.client.get("/api/openapi.json").json()
    assert "/api/koperasi/{slug}/kasus/{prefix}/{year}/{seq}/aksi" in spec["paths"]
    assert "/api/tugas" in spec["paths"]


def test_pages_and_scripts_travel_compressed(as_user) -> None:
    browser = as_user("sri")
    for path in (f"/k/{COOP}", "/prosedur/rat", "/static/app.css"):
        response = browser.client.get(path, headers={"Accept-Encoding": "gzip"})
        assert response.status_code == 200 and response.headers.get("content-encoding") == "gzip", path
        assert int(response.headers.get("content-length", "0")) < len(response.content), path
    plain = browser.client.get("/tugas", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
