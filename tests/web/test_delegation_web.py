"""The delegation page: a holder hands his seat by name, with dates; the page says who acts a.n. whom."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select

from engine.adapters.store.models import OutboxMessage, Person
from engine.services import Services
from tests.conftest import Clock
from tests.helpers import COOP, KAS_VERIFY_CHECKS, submitted_kas

PAGE = f"/k/{COOP}/delegasi"
LEAVE = {"peran": "ketua", "kepada": "dwi", "mulai": "2026-12-08", "selesai": "2026-12-21", "alasan": "Cuti umrah"}
SENTENCE = "Dwi Prasetyo menjalankan tugas Ketua Pengurus a.n. Bambang Sutrisno, 8\u201321 Desember 2026"


def test_the_holder_hands_his_seat_to_a_person_chosen_by_name(as_user, web_services: Services) -> None:
    bambang = as_user("bambang")
    page = bambang.client.get(PAGE)
    assert page.status_code == 200
    assert '<option value="ketua">Ketua Pengurus</option>' in page.text
    assert ">Dwi Prasetyo</option>" in page.text and "Hadi Purnomo" not in page.text  # this cooperative only
    assert ">Bambang Sutrisno</option>" not in page.text  # not to himself

    done = bambang.post_form(PAGE, LEAVE, token_from=PAGE)
    assert done.status_code == 200 and done.url.path == PAGE  # redirected back
    assert SENTENCE in done.text and "Terjadwal" in done.text and "Cuti umrah" in done.text
    with web_services.db.session() as session:
        told = session.scalars(select(OutboxMessage.kind).join(Person, Person.id == OutboxMessage.person_id)
                               .where(Person.username == "dwi")).all()
    assert list(told) == ["delegasi"]
    assert "Delegasi (a.n.)" in bambang.client.get(f"/k/{COOP}").text  # linked from the cooperative's page


def test_another_cooperatives_person_or_a_forged_form_is_refused(as_user, web_services: Services) -> None:
    bambang = as_user("bambang")
    refused = bambang.post_form(PAGE, {**LEAVE, "kepada": "hadi"}, token_from=PAGE)
    assert refused.status_code == 422
    assert "pilih orang dari daftar" in refused.text and 'value="2026-12-21"' in refused.text  # typed dates kept
    forged = bambang.client.post(PAGE, data={"csrf": "palsu", **LEAVE})
    assert forged.status_code == 403
    bad = bambang.post_form(PAGE, {**LEAVE, "selesai": "21-12"}, token_from=PAGE)
    assert bad.status_code == 422 and "bukan tanggal" in bad.text
    sod = bambang.post_form(PAGE, {**LEAVE, "kepada": "heru"}, token_from=PAGE)
    assert sod.status_code == 403 and "pemisahan tugas" in sod.text
    assert web_services.delegations.listing(COOP, include_past=True) == []
    assert as_user("hadi").client.get(PAGE).status_code == 404  # another cooperative's page is not found


def test_the_holder_ends_a_delegation_early_after_confirming(as_user, web_services: Services) -> None:
    bambang = as_user("bambang")
    bambang.post_form(PAGE, LEAVE, token_from=PAGE)
    (view,) = web_services.delegations.listing(COOP)
    confirm = f"{PAGE}/{view.id}/akhiri"
    question = bambang.client.get(confirm)
    assert question.status_code == 200 and "Akhiri delegasi?" in question.text and SENTENCE in question.text
    assert bambang.client.post(confirm, data={"csrf": "palsu"}).status_code == 403
    ended = bambang.post_form(confirm, {}, token_from=confirm)
    assert ended.status_code == 200 and "Delegasi diakhiri" in ended.text
    assert web_services.delegations.listing(COOP) == []
    assert as_user("sri").client.get(PAGE).text.count("Akhiri lebih awal") == 0


def test_the_case_page_names_the_holder_a_delegate_acted_for(as_user, web_services: Services, clock: Clock,
                                                             files) -> None:
    number = submitted_kas(web_services, 800_000, files("nota.pdf"))
    web_services.act(number, "verifikasi", "sri", checks=KAS_VERIFY_CHECKS)
    web_services.delegations.grant(COOP, "ketua", "bambang", "dwi", date(2026, 12, 8), date(2026, 12, 21),
                                   by_username="bambang")
    clock.now = datetime(2026, 12, 8, 3, 0, tzinfo=UTC)
    web_services.act(number, "setujui", "dwi")
    page = as_user("bambang").client.get(f"/k/{COOP}/kasus/{number}")
    assert page.status_code == 200
    assert "a.n. Ketua Pengurus Bambang Sutrisno" in page.text
