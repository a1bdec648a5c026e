"""The /latihan page and a sandbox's pages: banner, guidance, "Bertindak sebagai" for the owner only."""

from __future__ import annotations

from engine.services import Services
from tests.helpers import COOP, submitted_kas

BANNER = "LATIHAN — tidak tercatat di koperasi Anda"
SANDBOX = "latihan-sri"
GOOD = {"f.keperluan": "Latihan beli galon", "f.jumlah": "Rp 750.000", "f.pos_rapb": "Alat tulis kantor",
        "f.penerima": "Depot Latihan"}
NOTA = {"a.nota": ("nota.jpg", b"\xff\xd8\xff foto", "image/jpeg")}
CHECKS = {"c.nota_terlampir": "1", "c.pos_sesuai": "1"}


def test_the_page_explains_the_sandbox_and_lists_every_procedure(as_user, web_services: Services) -> None:
    sri = as_user("sri")
    page = sri.client.get("/latihan")
    assert page.status_code == 200
    assert "Mode latihan" in page.text and BANNER in page.text
    assert page.text.count("Mulai latihan") == len(web_services.registry.all())
    assert 'action="/latihan/mulai"' in page.text and 'name="csrf"' in page.text
    assert 'href="/latihan"' in sri.client.get("/tugas").text  # the menu has the entry
    assert BANNER not in sri.client.get("/tugas").text


def test_opening_needs_the_forms_token_and_then_opens_the_sandbox(as_user, web_services: Services) -> None:
    sri = as_user("sri")
    refused = sri.client.post("/latihan/buka", data={"csrf": "salah"})
    assert refused.status_code in (400, 403) and web_services.training.current("sri") is None
    opened = sri.post_form("/latihan/buka", {}, token_from="/latihan")
    assert opened.status_code == 200 and SANDBOX in opened.text and "Mulai dari awal" in opened.text
    assert web_services.training.current("sri") is not None
    page = sri.client.get(f"/k/{SANDBOX}")
    assert page.status_code == 200 and BANNER in page.text
    assert f'href="/k/{SANDBOX}"' not in sri.client.get("/tugas").text  # not among the real cooperatives


def test_a_procedure_practised_as_colleagues_from_start_to_decision(as_user, web_services: Services) -> None:
    sri = as_user("sri")
    started = sri.post_form("/latihan/mulai", {"prosedur": "pengeluaran_kas"}, token_from="/latihan")
    assert started.status_code == 200 and f"/k/{SANDBOX}/mulai" in str(started.url)
    assert BANNER in started.text and "Panduan latihan" in started.text
    assert "Bertindak sebagai: Andi (rekan latihan) (Manajer / Pengelola)" in started.text

    form = f"/k/{SANDBOX}/mulai?prosedur=pengeluaran_kas&sebagai=latihan.sri.manajer"
    as_manajer = sri.client.get(form)
    assert "Anda sedang bertindak sebagai" in as_manajer.text and 'name="sebagai"' in as_manajer.text
    submitted = sri.post_form(f"/k/{SANDBOX}/mulai", {"prosedur": "pengeluaran_kas", "sebagai": "latihan.sri.manajer",
                                                      **GOOD, **CHECKS, "tombol": "ajukan"}, files=NOTA,
                              token_from=form)
    assert submitted.status_code == 200 and "Menunggu verifikasi bendahara" in submitted.text
    assert BANNER in submitted.text and "Panduan latihan" in submitted.text
    number = web_services.list_cases(SANDBOX)[0].number
    history = web_services.show(number, None, coop_slug=SANDBOX).history
    assert [(e.action, e.actor) for e in history] == [("mulai", "latihan.sri.manajer"),
                                                      ("ajukan", "latihan.sri.manajer")]
    assert history[-1].comment == "[Latihan: dilakukan oleh sri]"
    assert "Pengaju tidak dapat" in submitted.text or "pemisahan tugas" in submitted.text

    case = f"/k/{SANDBOX}/kasus/{number}"
    sri.post_form(f"{case}/aksi", {"action": "verifikasi", "step": "1", "c.jumlah_sesuai_nota": "1",
                                   "c.saldo_cukup": "1", "c.pos_tersedia": "1"}, token_from=case)
    as_ketua = f"{case}?sebagai=latihan.sri.ketua"
    assert "Bertindak sebagai: Hendra (rekan latihan)" in sri.client.get(case).text
    approved = sri.post_form(f"{case}/aksi", {"action": "setujui", "step": "2", "sebagai": "latihan.sri.ketua"},
                             token_from=as_ketua)
    assert approved.status_code == 200, approved.text[:500]
    assert web_services.show(number, None, coop_slug=SANDBOX).summary.state == "disetujui"
    assert all(s.coop != SANDBOX for s, _ in web_services.tasks("sri"))
    assert number not in sri.client.get("/tugas").text
    assert number in sri.client.get("/latihan").text


def test_acting_as_someone_else_is_refused_in_a_real_cooperative(as_user, web_services: Services, files) -> None:  # type: ignore[no-untyped-def]
    number = submitted_kas(web_services, 45_000, files("nota.pdf"))
    sri = as_user("sri")
    case = f"/k/{COOP}/kasus/{number}"
    page = sri.client.get(case)
    assert page.status_code == 200 and BANNER not in page.text and "Bertindak sebagai" not in page.text
    assert sri.client.get(f"{case}?sebagai=fajar").status_code == 403
    before = web_services.show(number, None).history
    refused = sri.post_form(f"{case}/aksi", {"action": "verifikasi", "step": "1", "sebagai": "bambang",
                                             "c.jumlah_sesuai_nota": "1", "c.saldo_cukup": "1",
                                             "c.pos_tersedia": "1"}, token_from=case)
    assert refused.status_code == 403
    assert web_services.show(number, None).history == before


def test_only_the_owner_acts_as_her_colleagues(as_user, web_services: Services) -> None:
    web_services.training.open_for("sri")
    web_services.training.open_for("bambang")
    bambang = as_user("bambang")
    assert bambang.client.get(f"/k/{SANDBOX}").status_code == 404  # another person's sandbox is not his
    own = "latihan-bambang"
    form = f"/k/{own}/mulai?prosedur=pengeluaran_kas"
    assert bambang.client.get(form).status_code == 403  # the ketua does not start a pengeluaran kas ...
    assert bambang.client.get(f"{form}&sebagai=latihan.bambang.manajer").status_code == 200  # his manajer does
    assert bambang.client.get(f"{form}&sebagai=latihan.sri.manajer").status_code == 403
    refused = bambang.post_form(f"/k/{own}/mulai", {"prosedur": "pengeluaran_kas", "sebagai": "latihan.sri.manajer",
                                                    **GOOD, **CHECKS, "tombol": "ajukan"}, files=NOTA,
                                token_from="/latihan")
    assert refused.status_code == 403 and web_services.list_cases(own) == []


def test_starting_afresh_keeps_the_old_sandbox(as_user, web_services: Services) -> None:
    sri = as_user("sri")
    sri.post_form("/latihan/buka", {}, token_from="/latihan")
    again = sri.post_form("/latihan/ulang", {}, token_from="/latihan")
    assert again.status_code == 200 and "latihan-sri-2" in again.text
    assert web_services.verify(SANDBOX)[0].ok
