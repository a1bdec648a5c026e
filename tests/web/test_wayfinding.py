"""Issue 12: every role lands on its own page, errors keep the menu, no dead ends or commands on the web."""

from __future__ import annotations

import re

from engine.services import Services
from tests.helpers import COOP, KAS_VERIFY_CHECKS, start_kas, submitted_kas

TRAIL = f"/k/{COOP}/jejak"


def _login(browser, username: str, next_page: str = "/"):  # type: ignore[no-untyped-def]
    from engine.demo import demo_password
    return browser.client.post("/login", data={"csrf": browser.csrf(), "username": username,
                                               "password": demo_password(username), "next": next_page},
                               follow_redirects=False)


def test_each_role_lands_on_its_own_home_after_login_and_on_root(browser, as_user) -> None:
    # agus is only ketua pengawas, ratna only Dinas; sri (bendahara), fajar (manajer) and siti (anggota) act.
    homes = {"agus": TRAIL, "ratna": "/dinas", "sri": "/tugas", "fajar": "/tugas", "siti": "/tugas"}
    for who, home in homes.items():
        fresh = type(browser)(browser.client.app)
        response = _login(fresh, who)
        assert response.status_code == 303 and response.headers["location"] == home, (who, response.headers)
        assert fresh.client.get("/", follow_redirects=False).headers["location"] == home, who
        # the old default target of the login form is read as "home" too; an explicit page is kept
        assert _login(type(browser)(browser.client.app), who, "/tugas").headers["location"] == home, who
    assert _login(type(browser)(browser.client.app), "agus", "/akun").headers["location"] == "/akun"
    assert as_user("agus").client.get("/").url.path == TRAIL


def test_empty_tasks_link_a_pengawas_and_the_dinas_to_their_pages(as_user) -> None:
    agus = as_user("agus").client.get("/tugas")
    assert agus.status_code == 200 and "Tidak ada kasus yang menunggu Anda" in agus.text
    assert f'href="{TRAIL}"' in agus.text and f'href="/k/{COOP}/temuan"' in agus.text
    ratna = as_user("ratna").client.get("/tugas")
    assert 'class="button" href="/dinas"' in ratna.text
    sri = as_user("sri").client.get("/tugas")  # someone who acts in cases gets no such list
    assert "Pekerjaan Anda ada di halaman berikut" not in sri.text


def _has_menu(html: str, username: str) -> bool:
    return 'aria-label="Menu utama"' in html and f"Keluar ({username})" in html


def test_error_pages_are_indonesian_keep_the_menu_and_hide_the_exception(app, as_user) -> None:
    def boom() -> None:
        raise RuntimeError("secret internal detail /srv/db")

    app.add_api_route("/meledak", boom)
    app.add_api_route("/api/meledak", boom)
    sri = as_user("sri").client
    cases = {
        "/tidak-ada": (sri.get, 404, "Halaman tidak ditemukan"),
        f"/k/{COOP}/jejak": (sri.get, 403, "Tidak diizinkan"),
        "/tugas": (sri.post, 405, "tidak dapat dibuka dengan cara itu"),
        f"/k/{COOP}?semua=abc": (sri.get, 422, "tidak sah"),
        "/meledak": (sri.get, 500, "Terjadi kesalahan tak terduga"),
    }
    for path, (method, status, words) in cases.items():
        response = method(path)
        assert response.status_code == status, (path, response.status_code)
        assert response.headers["content-type"].startswith("text/html"), path
        assert words in response.text and _has_menu(response.text, "sri"), (path, response.text[:800])
        assert '<html lang="id">' in response.text
        for leak in ("Traceback", "RuntimeError", "secret internal", "Not Found", "Method Not Allowed",
                     '"detail"'):
            assert leak not in response.text, (path, leak)
    anonymous = as_user("anon").client.get("/tidak-ada")  # logged out: the page, without a menu
    assert anonymous.status_code == 404 and "Halaman tidak ditemukan" in anonymous.text
    assert 'aria-label="Menu utama"' not in anonymous.text
    # The JSON API keeps JSON errors.
    assert sri.get("/api/tidak-ada").json() == {"error": "Halaman tidak ditemukan."}
    failed = sri.get("/api/meledak")
    assert failed.status_code == 500 and "secret" not in failed.text and "error" in failed.json()


def test_no_swagger_page_or_link_but_the_openapi_document_stays(as_user) -> None:
    sri = as_user("sri").client
    assert sri.get("/api/docs").status_code == 404
    assert sri.get("/api/openapi.json").json()["info"]["title"] == "Tatakelola"
    for path in ("/tugas", f"/k/{COOP}", f"/k/{COOP}/dokumen", "/akun"):
        assert "/api/docs" not in sri.get(path).text, path


def _badge(html: str) -> str:
    match = re.search(r'<span class="badge (\w+)"><span class="mark" aria-hidden="true">(.)</span> ([^<]+)</span>',
                      html)
    assert match, html[:2000]
    return " ".join(match.groups())


def test_open_done_and_rejected_badges_differ_in_colour_and_marker(web_services: Services, files,
                                                                 as_user) -> None:
    open_case = submitted_kas(web_services, 900_000, files("a.pdf"))
    rejected = submitted_kas(web_services, 900_000, files("b.pdf"))
    web_services.act(rejected, "tolak", "sri", comment="Nota tidak sah.")
    sri = as_user("sri").client
    page = f"/k/{COOP}/kasus/"
    assert _badge(sri.get(page + open_case).text) == "open ● Menunggu verifikasi bendahara"
    assert _badge(sri.get(page + rejected).text) == "rejected ✕ Ditolak"
    listing = sri.get(f"/k/{COOP}?semua=1").text
    assert '<span class="mark" aria-hidden="true">✕</span> Ditolak' in listing
    css = sri.get("/static/app.css").text
    for kind in ("done", "rejected"):
        assert f".badge.{kind} " in css
    assert re.search(r"\.badge\.done \{[^}]*green", css) and re.search(r"\.badge\.rejected \{[^}]*red", css)


def test_a_final_success_badge_is_green_with_a_tick(app, web_services: Services) -> None:
    from types import SimpleNamespace

    from engine.services.views import _outcome
    d = web_services.registry.get("pengeluaran_kas").definition
    cancelled = next(a.to for a in d.actions if a.kind == "cancel")
    assert (_outcome(d, "dibayar"), _outcome(d, "ditolak"), _outcome(d, cancelled)) == ("done", "rejected",
                                                                                           "cancelled")
    macro = app.state.templates.env.get_template("_macros.html").module.status_badge
    paid = SimpleNamespace(final=True, outcome="done", status="Dibayar")
    assert _badge(str(macro(paid))) == "done ✓ Dibayar"
    dropped = SimpleNamespace(final=True, outcome="cancelled", status="Dibatalkan")
    assert _badge(str(macro(dropped))) == "cancelled – Dibatalkan"


def test_berita_acara_is_offered_only_once_it_can_be_made(web_services: Services, files, as_user) -> None:
    draft = start_kas(web_services, 900_000, files("a.pdf"))
    submitted = submitted_kas(web_services, 900_000, files("b.pdf"))
    verified = submitted_kas(web_services, 900_000, files("c.pdf"))
    web_services.act(verified, "verifikasi", "sri", checks=KAS_VERIFY_CHECKS)
    sri = as_user("sri").client
    for number in (draft, submitted):  # nothing decided yet: no link (the PDF would be refused)
        assert "Unduh Berita Acara" not in sri.get(f"/k/{COOP}/kasus/{number}").text, number
    html = sri.get(f"/k/{COOP}/kasus/{verified}").text
    assert "Unduh Berita Acara" in html
    link = re.search(r'href="([^"]+/berita-acara\.pdf)"', html)
    assert link is not None
    pdf = sri.get(link.group(1))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_no_rapb_yet_points_to_the_upload_form_not_to_a_command(as_user) -> None:
    sri = as_user("sri").client
    for path in (f"/k/{COOP}/dokumen/rapb.pdf?tahun=2031", f"/k/{COOP}/dokumen/rencana-kerja.pdf?tahun=2031",
                 f"/k/{COOP}/dokumen/rapb.xlsx?tahun=2031"):
        response = sri.get(path)
        assert response.status_code == 404, path
        assert "tatakelola " not in response.text and "budget-import" not in response.text, path
        assert "Belum ada RAPB tahun buku 2031" in response.text and _has_menu(response.text, "sri"), path
        assert f'href="/k/{COOP}/dokumen#unggah-rapb"' in response.text, path
    assert 'id="unggah-rapb"' in sri.get(f"/k/{COOP}/dokumen").text
    siti = as_user("siti").client.get(f"/k/{COOP}/dokumen/rapb.pdf?tahun=2031")  # anggota cannot upload
    assert "pengurus atau manajer" in siti.text and f'href="/k/{COOP}/dokumen"' in siti.text


def test_dinas_page_names_no_command(as_user) -> None:
    assert "tatakelola " not in as_user("ratna").client.get("/dinas").text


def test_task_cards_show_the_amount_and_who_asked(web_services: Services, files, as_user) -> None:
    number = submitted_kas(web_services, 750_000, files("nota.pdf"))
    page = as_user("sri").client.get("/tugas").text
    card = page[page.index(number):]
    card = card[:card.index("</li>")]
    assert "Rp 750.000" in card and "diajukan oleh Fajar Nugroho" in card
