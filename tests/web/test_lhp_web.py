"""The Laporan Hasil Pengawasan on the web: offered to the pengawas, refused to the pengurus."""

from __future__ import annotations

from tests.helpers import COOP

URL = f"/k/{COOP}/lhp.pdf?dari=2026-11-01&sampai=2026-11-30"


def test_the_lhp_is_offered_to_the_pengawas_and_refused_to_the_bendahara(as_user) -> None:
    sri = as_user("sri")
    assert sri.client.get(URL).status_code == 403
    assert "Laporan Hasil Pengawasan" not in sri.client.get(f"/k/{COOP}/dokumen").text
    agus = as_user("agus")
    assert 'action="/k/kkmp-sentanan/lhp.pdf"' in agus.client.get(f"/k/{COOP}/dokumen").text
    assert f"/k/{COOP}/dokumen#lhp" in agus.client.get(f"/k/{COOP}/temuan").text
    pdf = agus.client.get(URL)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert "LHP-20261101-20261130.pdf" in pdf.headers["content-disposition"]


def test_a_period_that_ends_before_it_starts_is_refused(as_user) -> None:
    response = as_user("heru").client.get(f"/k/{COOP}/lhp.pdf?dari=2026-11-30&sampai=2026-11-01")
    assert response.status_code == 422
