"""The SOP document is generated from the workflow definition in the Permenpan-RB 35/2012 format."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from engine.adapters.render.formatting import tanggal
from engine.adapters.store.models import IssuedDocument
from engine.domain.roles import role_label
from engine.domain.values import resolved_settings
from engine.services import Services
from engine.services.documents import DocumentService, IssuedPdf, build_flowchart
from tests.helpers import COOP
from tests.integration.documents.conftest import attachments, pdf_text


@pytest.fixture(scope="module")
def kas_sop(shared: Services) -> IssuedPdf:
    """The SOP of pengeluaran_kas printed for the demo cooperative."""
    return shared.documents.sop("pengeluaran_kas", COOP)


def test_the_identity_page_prints_every_identity_field(kas_sop: IssuedPdf, shared: Services) -> None:
    text = pdf_text(kas_sop.data)
    sop = shared.registry.get("pengeluaran_kas").as_written.sop
    for label in ("Nomor SOP", "Tanggal Pembuatan", "Tanggal Revisi", "Tanggal Efektif", "Disahkan oleh",
                  "Nama SOP", "Dasar Hukum", "Kualifikasi Pelaksana", "Keterkaitan", "Peralatan/Perlengkapan",
                  "Peringatan", "Pencatatan dan Pendataan"):
        assert label in text
    assert sop.nomor in text
    assert tanggal(sop.tanggal_pembuatan) in text and tanggal(sop.tanggal_efektif) in text
    for item in [*sop.dasar_hukum, *sop.kualifikasi_pelaksana, *sop.keterkaitan, *sop.peralatan, *sop.pencatatan]:
        assert " ".join(item.split()) in text, item
    assert " ".join(sop.peringatan.split()) in text
    assert "PERSETUJUAN PENGELUARAN KAS" in text
    assert "Bambang Sutrisno" in text  # the ketua who ratifies, from the cooperative's terms of office
    assert "Rp 500.000" in text and "Rp 5.000.000" in text  # the AD/ART limits the procedure reads


def test_the_flowchart_has_a_swimlane_for_every_actor_and_the_mutu_baku(kas_sop: IssuedPdf,
                                                                        shared: Services) -> None:
    d = shared.registry.get("pengeluaran_kas").as_written
    text = pdf_text(kas_sop.data)
    for heading in ("No", "Kegiatan", "Pelaksana", "Mutu Baku", "Kelengkapan", "Waktu", "Output", "Keterangan"):
        assert heading in text
    for role in d.roles:
        assert role_label(role) in text
    for state in d.states.values():
        assert state.title in text
        if state.mutu_baku:
            assert state.mutu_baku.kelengkapan in text and state.mutu_baku.output in text
    for symbol in ("Terminator", "Proses", "Keputusan", "Arah alur", "Penghubung antarhalaman"):
        assert symbol in text
    assert "Mulai" in text and "Selesai" in text and "Ditolak" in text and "Tolak" in text


def test_decisions_branch_and_long_procedures_continue_through_connectors(shared: Services) -> None:
    d = shared.registry.get("pengeluaran_kas").as_written
    chart = build_flowchart(d, resolved_settings(d, {}))
    decisions = [s for s in chart.steps if s.shape == "decision"]
    assert decisions, "verification and approval steps are decisions"
    labels = {e.label for e in chart.edges}
    assert {"Tolak", "Kembalikan…", "≤ Rp 500.000", "> Rp 500.000"} <= labels
    back = [e for e in chart.edges if e.target < e.source]
    assert back, "'kembalikan' loops back to an earlier step"
    short = build_flowchart(d, resolved_settings(d, {}), rows_height=110)
    assert len(short.pages) >= 2 and short.connectors >= 1
    first_page_last = short.pages[0].rows[-1]
    second_page_first = short.pages[1].rows[0]
    assert any("image/svg" in c.style for c in first_page_last.cells if c.style)
    assert any("image/svg" in c.style for c in second_page_first.cells if c.style)


def test_every_shipped_workflow_renders_as_an_sop(shared: Services) -> None:
    docs = shared.documents
    for loaded in shared.registry.all():
        d = loaded.definition
        chart = build_flowchart(d, resolved_settings(d, {}))
        rows = [row.step.state for page in chart.pages for row in page.rows]
        assert len(rows) == len(set(rows)) and d.initial_state == rows[0]
    text = pdf_text(docs.sop("rk_rapb").data)
    assert "SOP-KEL-05" in text and "Pimpinan Rapat Anggota" in text


def test_a_printed_sop_embeds_its_definition_and_the_latest_checkpoint(kas_sop: IssuedPdf,
                                                                     shared: Services) -> None:
    docs, issued = shared.documents, kas_sop
    files = attachments(issued.data)
    assert {"definition.json", "checkpoint.txt", "verifier-key.txt", "manifest.json"} <= set(files)
    loaded = shared.registry.get("pengeluaran_kas")
    assert loaded.sha256 in files["manifest.json"].decode()
    assert docs.verify(issued.data).ok
    bare = docs.sop("pengeluaran_kas")
    assert set(attachments(bare.data)) == {"definition.json", "content.json", "manifest.json"}
    assert f"sidik {loaded.sha256[:32]}" in pdf_text(bare.data)


def test_the_same_definition_prints_the_same_bytes_and_is_recorded_once(docs: DocumentService,
                                                                       services: Services) -> None:
    first, second = docs.sop("penerimaan_anggota", COOP), docs.sop("penerimaan_anggota", COOP)
    assert first.data == second.data and first.data.startswith(b"%PDF-1.7")
    with services.db.session() as session:
        rows = session.scalars(select(IssuedDocument).where(IssuedDocument.sha256 == first.sha256)).all()
    assert [(r.number, r.kind) for r in rows] == [("SOP-KEL-01-V1", "sop")]


def test_pages_are_numbered_x_of_y_with_the_document_number(kas_sop: IssuedPdf) -> None:
    issued = kas_sop
    text = pdf_text(issued.data)
    for page in range(1, issued.pages + 1):
        assert f"Halaman {page} dari {issued.pages}" in text
    assert text.count("Dokumen No. SOP-KEU-03-V1") == issued.pages


def test_the_header_names_the_sop_once_and_no_page_is_near_empty(kas_sop: IssuedPdf) -> None:
    from io import BytesIO

    from pypdf import PdfReader

    pages = [page.extract_text() for page in PdfReader(BytesIO(kas_sop.data)).pages]
    assert all("SOP-KEU-03 · Persetujuan Pengeluaran Kas" in text for text in pages)
    assert not [line for text in pages for line in text.splitlines() if "SOP SOP-" in line and "Nomor SOP" not in line]
    running = ("Koperasi ", "Dokumen No. ")  # the running header and footer lines of every page
    for number, text in enumerate(pages[1:], start=2):  # the cover is short by design
        body = [line for line in text.splitlines() if not line.startswith(running)]
        assert sum(len(line) for line in body) >= 400, f"page {number} is near empty"
