"""The step page, decision first: the facts, then the decision (or who it waits for)."""

from __future__ import annotations

import re
from pathlib import Path

from engine.services import Services
from tests.helpers import COOP, KAS_VERIFY_CHECKS, submitted_kas, tiny_png


def _case(web_services: Services, tmp_path: Path, amount: int = 800_000, *, photo: bool = False) -> str:
    nota = tmp_path / ("nota.png" if photo else "nota.pdf")
    nota.write_bytes(tiny_png() if photo else b"%PDF-1.4\n% nota\n" + b"x" * 205_000)
    return submitted_kas(web_services, amount, nota)


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_maker_sees_who_the_case_waits_for_not_the_bendaharas_work(
        as_user, web_services: Services, tmp_path: Path) -> None:
    number = _case(web_services, tmp_path)
    page = as_user("fajar").client.get(f"/k/{COOP}/kasus/{number}")
    assert page.status_code == 200
    text = _text(page.text)
    assert re.search(r"Menunggu: Sri Handayani \(Bendahara\) · tenggat \d{1,2} \w+ 20\d\d", text), text[:3000]
    assert "Jumlah sesuai nota" not in text  # the bendahara's checklist
    assert "Cocokkan nota" not in text  # and her guidance
    assert "hanya untuk" not in text  # no "Aksi ini hanya untuk Bendahara"
    assert 'name="action"' not in page.text


def test_the_bendahara_sees_the_facts_before_the_buttons_and_the_checklist_next_to_them(
        as_user, web_services: Services, tmp_path: Path) -> None:
    number = _case(web_services, tmp_path)
    html = as_user("sri").client.get(f"/k/{COOP}/kasus/{number}").text
    amount, payee = html.index("Rp 800.000"), html.index("Toko Maju")
    checklist, buttons = html.index("Jumlah sesuai nota"), html.index('name="action"')
    assert amount < buttons and payee < buttons
    between = html[html.index('<fieldset class="checklist"'):buttons]
    assert "Jumlah sesuai nota" in between and "<textarea" not in between and "<input type=\"text\"" not in between
    assert checklist < buttons
    assert "Menunggu:" not in _text(html)
    # No raw ids, sizes in KB, no hashes for pengurus.
    assert "(nota_terlampir)" not in html and "SHA-256" not in html
    assert "nota.pdf" in html and "200 KB" in html and "bita" not in html
    assert "catatan jejak" not in html and "Tercatat di jejak" in html


def test_the_history_names_actions_not_ids(as_user, web_services: Services, tmp_path: Path) -> None:
    number = _case(web_services, tmp_path)
    sri = as_user("sri")
    url = f"/k/{COOP}/kasus/{number}"
    response = sri.post_form(url + "/aksi", {"action": "verifikasi", "step": "1",
                                             **{f"c.{c}": "1" for c in KAS_VERIFY_CHECKS}}, token_from=url)
    assert response.status_code == 200, response.text[:500]
    timeline = response.text[response.text.index('class="timeline"'):]
    assert "Verifikasi dan teruskan ke ketua" in timeline and "— Ajukan" in timeline
    assert "— verifikasi" not in timeline and "— ajukan" not in timeline


def test_reject_asks_for_a_reason_and_a_yes_first(as_user, web_services: Services, tmp_path: Path) -> None:
    number = _case(web_services, tmp_path)
    sri = as_user("sri")
    url = f"/k/{COOP}/kasus/{number}"
    asked = sri.post_form(url + "/aksi", {"action": "tolak", "step": "1", "comment": "Harga terlalu mahal"},
                          token_from=url)
    assert asked.status_code == 200
    assert "Ya, tolak" in asked.text and 'name="konfirmasi" value="1"' in asked.text
    assert "Harga terlalu mahal" in asked.text  # what was typed is kept
    assert web_services.show(number, "sri").summary.state == "verifikasi_bendahara"

    no_reason = sri.post_form(url + "/aksi", {"action": "tolak", "step": "1", "konfirmasi": "1", "comment": " "},
                              token_from=url)
    assert no_reason.status_code == 400 and "Ya, tolak" in no_reason.text
    assert web_services.show(number, "sri").summary.state == "verifikasi_bendahara"

    done = sri.post_form(url + "/aksi", {"action": "tolak", "step": "1", "konfirmasi": "1",
                                         "comment": "Harga terlalu mahal"}, token_from=url)
    assert done.status_code == 200
    assert web_services.show(number, "sri").summary.state == "ditolak"


def test_the_confirmation_can_be_opened_by_link(as_user, web_services: Services, tmp_path: Path) -> None:
    number = _case(web_services, tmp_path)
    page = as_user("sri").client.get(f"/k/{COOP}/kasus/{number}?konfirmasi=kembalikan")
    assert "Ya, kembalikan untuk perbaikan" in page.text and "Batal" in page.text
    assert "Ya," not in as_user("fajar").client.get(f"/k/{COOP}/kasus/{number}?konfirmasi=tolak").text


def test_a_photo_is_shown_inline_and_the_pengawas_keeps_the_hash(
        as_user, web_services: Services, tmp_path: Path) -> None:
    number = _case(web_services, tmp_path, photo=True)
    url = f"/k/{COOP}/kasus/{number}"
    html = as_user("sri").client.get(url).text
    match = re.search(r'<img class="preview" src="([^"]+)"', html)
    assert match and match.group(1).startswith(url + "/lampiran/")
    assert as_user("sri").client.get(match.group(1)).headers["content-type"] == "image/png"
    pengawas = as_user("agus").client.get(url).text
    assert "SHA-256:" in pengawas and f'href="/k/{COOP}/jejak">Tercatat di jejak' in pengawas
