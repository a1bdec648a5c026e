"""The Pemberitahuan page: each person reads only their own messages, newest first, with the count of
unread ones on the menu; "Tandai semua sudah dibaca" and the e-mail address on the Akun page are forms
with the session's CSRF token."""

from __future__ import annotations

import re
from pathlib import Path

from engine.services import Services
from tests.helpers import KAS_VERIFY_CHECKS, submitted_kas
from tests.web.conftest import Browser

BADGE = re.compile(r'href="/pemberitahuan"[^>]*>[^<]*&nbsp;<span class="count"[^>]*>(\d+)</span>')


def badge(browser: Browser, path: str = "/tugas") -> int:
    match = BADGE.search(browser.client.get(path).text)
    return int(match.group(1)) if match else 0


def decided(services: Services, tmp_path: Path) -> str:
    """fajar asked (sri: a task), sri verified (bambang: a task), bambang approved (fajar, sri: the decision)."""
    nota = tmp_path / "nota.pdf"
    nota.write_bytes(b"%PDF-1.4\n% nota\n")
    number = submitted_kas(services, 800_000, nota)
    services.act(number, "verifikasi", "sri", checks=KAS_VERIFY_CHECKS)
    services.act(number, "setujui", "bambang")
    return number


def test_a_person_sees_only_their_own_messages_newest_first(as_user, web_services: Services, tmp_path: Path) -> None:
    number = decided(web_services, tmp_path)
    fajar = as_user("fajar")

    page = fajar.client.get("/pemberitahuan")

    assert page.status_code == 200
    assert "Keputusan" in page.text and f"{number} disetujui" in page.text
    assert f'href="/k/kkmp-sentanan/kasus/{number}"' in page.text
    assert "Tugas baru" not in page.text  # sri's and bambang's tasks are theirs
    assert "baru saja" in page.text  # when, as people say it
    sri = as_user("sri").client.get("/pemberitahuan").text
    assert sri.index("Keputusan") < sri.index("Tugas baru")  # the decision came last: it is on top
    for raw in ("tugas:", "keputusan:", "menunggu_ketua", "tanpa_email"):
        assert raw not in sri


def test_the_menu_counts_unread_messages_and_marking_them_read_needs_the_forms_token(
        as_user, web_services: Services, tmp_path: Path) -> None:
    decided(web_services, tmp_path)
    sri = as_user("sri")
    assert badge(sri) == 3  # two tasks, one decision

    forged = sri.client.post("/pemberitahuan/baca", data={"csrf": "palsu"}, follow_redirects=False)
    assert forged.status_code == 403 or forged.status_code == 400
    assert badge(sri) == 3

    done = sri.post_form("/pemberitahuan/baca", {}, token_from="/pemberitahuan")
    assert done.status_code == 200 and "sudah ditandai dibaca" in done.text
    assert badge(sri) == 0
    assert 'class="card unread"' not in sri.client.get("/pemberitahuan").text
    assert badge(as_user("fajar")) == 1  # another person's messages are untouched


def test_signed_out_the_page_asks_to_log_in(browser: Browser) -> None:
    response = browser.client.get("/pemberitahuan", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


def test_a_person_sets_and_clears_their_own_address(as_user, web_services: Services) -> None:
    heru = as_user("heru")

    refused = heru.post_form("/akun/email", {"email": "heru di kkmp"})
    assert refused.status_code == 400 and "bukan alamat e-mail yang sah" in refused.text
    assert 'value="heru di kkmp"' in refused.text  # what was typed is not lost
    assert web_services.notifications.email_of("heru") is None

    saved = heru.post_form("/akun/email", {"email": "heru@kkmp.test"})
    assert saved.status_code == 200 and "heru@kkmp.test" in saved.text
    assert web_services.notifications.email_of("heru") == "heru@kkmp.test"
    assert "Pemberitahuan juga dikirim ke heru@kkmp.test" in heru.client.get("/pemberitahuan").text

    forged = heru.client.post("/akun/email", data={"csrf": "palsu", "email": ""})
    assert forged.status_code in (400, 403)
    assert web_services.notifications.email_of("heru") == "heru@kkmp.test"

    cleared = heru.post_form("/akun/email", {"email": ""})
    assert cleared.status_code == 200 and "Alamat e-mail dihapus" in cleared.text
    assert web_services.notifications.email_of("heru") is None
