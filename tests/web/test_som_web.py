"""The Standar Operasional Manajemen on the web: for the pengurus, the pengawas and the Dinas, like the LHP."""

from __future__ import annotations

import gzip
import re

from tests.helpers import COOP

PAGE = f"/k/{COOP}/som"
PDF = f"/k/{COOP}/som.pdf"


def test_the_som_page_shows_seats_matrix_jobs_registers_and_sops_in_words(as_user) -> None:
    response = as_user("sri").client.get(PAGE)  # the bendahara: a pengurus seat
    assert response.status_code == 200
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.text))
    assert "Standar Operasional Manajemen (SOM)" in text
    assert "Ketua Pengurus Bambang Sutrisno" in text and "Bendahara Sri Handayani" in text
    assert "SOP-KEU-03 Persetujuan Pengeluaran Kas" in text
    assert "sampai Rp 500.000 Bendahara" in text and "di atas Rp 5.000.000 2 Pengawas" in text
    assert "Buku Daftar Anggota" in text and "Buku Simpanan Anggota" in text
    assert f'href="{PDF}"' in response.text
    # labels, never setting keys or role ids
    for code in ("batas_ketua", "batas_manajer", "kuorum_pengawas", "wakil_ketua_usaha", "settings."):
        assert code not in text, code
    assert not re.findall(r"\b[a-z]+_[a-z0-9_]+\b", text)
    assert len(gzip.compress(response.content)) < 100 * 1024  # it travels compressed (tests/browser/test_page_weight.py)


def test_the_cooperative_and_document_pages_link_to_the_som(as_user) -> None:
    agus = as_user("agus")
    assert f'href="{PAGE}"' in agus.client.get(f"/k/{COOP}").text
    assert f'href="{PDF}"' in agus.client.get(f"/k/{COOP}/dokumen").text
    assert f'href="{PAGE}"' not in as_user("fajar").client.get(f"/k/{COOP}").text  # the manajer: not offered


def test_a_member_of_another_cooperative_gets_404_and_a_non_reader_403(as_user) -> None:
    hadi = as_user("hadi")  # ketua of KKMP Kranggan
    assert hadi.client.get(PAGE).status_code == 404
    assert hadi.client.get(PDF).status_code == 404
    for who in ("fajar", "siti"):  # the manajer and an anggota of Sentanan
        assert as_user(who).client.get(PAGE).status_code == 403
        assert as_user(who).client.get(PDF).status_code == 403
    assert as_user("anon").client.get(PAGE, follow_redirects=False).status_code in (302, 303, 401)


def test_the_pengawas_and_the_dinas_download_the_pdf(as_user) -> None:
    assert as_user("ratna").client.get(PAGE).status_code == 200  # the Dinas officer
    pdf = as_user("heru").client.get(PDF)  # a pengawas; a GET: no CSRF token needed
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert re.search(r'filename="SOM-\d{8}\.pdf"', pdf.headers["content-disposition"])
