"""The Standar Operasional Manajemen: seats from the Roster, the approval matrix from the guards and the AD/ART
settings, job descriptions with the steps each role takes, the 16 registers, the SOPs per field, and its PDF."""

from __future__ import annotations

import io
import re
import subprocess
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader

from engine.demo import DEMO_CITY
from engine.domain.roles import CATALOGUE, role_label
from engine.errors import PermissionDeniedError
from engine.services import Services
from engine.services.documents import DocumentService
from engine.services.documents.som import MatrixEntry, SomView, som_data, som_page, som_pdf
from tests.helpers import COOP, KAS_VERIFY_CHECKS, sentanan_org, submitted_kas


def _view(docs: DocumentService, actor: str | None = None) -> SomView:
    return som_page(docs, COOP, actor=actor)[1]


def _entry(view: SomView, nomor: str) -> MatrixEntry:
    return next(m for m in view.matrix if m.nomor == nomor)


def _limits(tmp_path: Path, **values: int) -> Path:
    """Sentanan's organisation file with some limits changed."""
    path = sentanan_org(tmp_path)
    text = path.read_text(encoding="utf-8")
    for key, value in values.items():
        text, n = re.subn(rf"{key}: \d+", f"{key}: {value}", text)
        if not n:
            text = text.replace("simpanan_pokok:", f"{key}: {value}, simpanan_pokok:")
    path.write_text(text, encoding="utf-8")
    return path


def test_the_matrix_reads_the_cash_procedures_guards_at_the_cooperatives_limits(docs: DocumentService) -> None:
    kas = _entry(_view(docs), "SOP-KEU-03")
    assert kas.title == "Persetujuan Pengeluaran Kas" and kas.amount == "Jumlah"
    assert [(t.band, t.decided_by) for t in kas.tiers] == [
        ("sampai Rp 500.000", "Bendahara"),
        ("di atas Rp 500.000 sampai Rp 5.000.000", "Ketua Pengurus"),
        ("di atas Rp 5.000.000", "2 Pengawas")]
    assert kas.tiers[2].path == ("Diajukan Manajer / Pengelola → diverifikasi Bendahara → disetujui Ketua Pengurus "
                                 "→ disetujui 2 Pengawas")
    assert any("bila jumlah di atas Rp 5.000.000" in c for c in kas.conditions)


def test_the_matrix_changes_when_the_ad_art_limits_change(services: Services, docs: DocumentService,
                                                          tmp_path: Path) -> None:
    services.import_org(_limits(tmp_path, batas_manajer=1_000_000, batas_ketua=7_500_000, kuorum_pengawas=3))
    view = _view(docs)
    kas = _entry(view, "SOP-KEU-03")
    assert [(t.band, t.decided_by) for t in kas.tiers] == [
        ("sampai Rp 1.000.000", "Bendahara"),
        ("di atas Rp 1.000.000 sampai Rp 7.500.000", "Ketua Pengurus"),
        ("di atas Rp 7.500.000", "3 Pengawas")]
    limit = next(s for s in view.settings if s.value == "Rp 7.500.000")
    assert limit.own and "SOP-KEU-03" in limit.used_in
    assert limit.label == "Batas persetujuan ketua; di atasnya perlu persetujuan pengawas"
    assert any(q.nomor == "SOP-KEU-03" and q.votes == "3 Pengawas yang berbeda" for q in view.quorums)


def test_a_case_at_the_printed_limit_is_decided_by_whom_the_matrix_names(services: Services, docs: DocumentService,
                                                                          files) -> None:
    """The matrix is the engine's own rule: Rp 5.000.000 (the ketua's band's top) ends with the ketua."""
    [band] = [t for t in _entry(_view(docs), "SOP-KEU-03").tiers if t.band.endswith("sampai Rp 5.000.000")]
    assert band.decided_by == "Ketua Pengurus"
    at_limit = submitted_kas(services, 5_000_000, files("nota.pdf"))
    services.act(at_limit, "verifikasi", "sri", checks=KAS_VERIFY_CHECKS)
    services.act(at_limit, "setujui", "bambang")
    assert services.show(at_limit, None).summary.state == "disetujui"
    over = submitted_kas(services, 5_000_001, files("nota2.pdf"))
    services.act(over, "verifikasi", "sri", checks=KAS_VERIFY_CHECKS)
    services.act(over, "setujui", "bambang")
    assert services.show(over, None).summary.state == "menunggu_pengawas"


def test_a_roles_job_description_lists_the_steps_it_takes(docs: DocumentService) -> None:
    jobs = {j.title: j for j in _view(docs).jobs}
    bendahara = jobs["Bendahara"]
    assert bendahara.holders == "Sri Handayani" and bendahara.reports_to == "Ketua Pengurus"
    kas = next(g for g in bendahara.procedures if g.nomor == "SOP-KEU-03")
    assert "Verifikasi bendahara: Verifikasi, Verifikasi dan teruskan ke ketua, Kembalikan untuk perbaikan, Tolak" \
        in kas.steps
    manajer = jobs["Manajer / Pengelola"]
    assert any(g.nomor == "SOP-KEU-03" and "Draf pengajuan: Ajukan" in g.steps for g in manajer.procedures)
    assert not any(g.nomor == "SOP-KEU-03" for g in jobs["Sekretaris"].procedures)  # takes no step there
    assert "Pengurus" in jobs["Ketua Pengurus"].shared  # the ketua also votes as a pengurus
    pengawas = jobs["Pengawas"]
    assert any("Setujui (pengawas) (kuorum)" in step for g in pengawas.procedures for step in g.steps)


def test_every_catalogue_role_has_a_job_description(docs: DocumentService) -> None:
    data = som_data()["roles"]
    assert set(data) >= CATALOGUE
    for role in CATALOGUE:
        spec = data[role]
        assert spec["duties"] and spec["authority"] and spec["basis"] and spec["reports_to"], role
    titles = [j.title for j in _view(docs).jobs]
    assert {role_label(r) for r in CATALOGUE} <= set(titles)
    assert titles.index("Ketua Pengurus") == 0
    legal = {r: data[r]["basis"] for r in CATALOGUE}
    assert "Pasal 30" in legal["ketua"] and "Pasal 39" in legal["pengawas"] and "AD/ART" in legal["manajer"]


def test_the_seats_are_todays_holders_and_a_vacant_seat_says_so(docs: DocumentService) -> None:
    organs = {o.title: o for o in _view(docs).organs}
    board = {s.role: s for s in organs["Pengurus"].seats}
    assert [h.name for h in board["Bendahara"].holders] == ["Sri Handayani"]  # not Wahyu, whose term ended
    assert board["Ketua Pengurus"].holders[0].term == "1 Juli 2025 s.d. 30 Juni 2030"
    staff = {s.role: s for s in organs["Pengelola dan karyawan"].seats}
    assert staff["Kasir"].vacant and staff["Manajer / Pengelola"].holders[0].name == "Fajar Nugroho"
    assert "Pasal 38 sampai 40" in " ".join(organs["Pengawas"].basis)


def test_the_sixteen_registers_are_those_the_buku_wajib_procedure_checks(docs: DocumentService, registry) -> None:
    registers = _view(docs).registers
    assert len(registers) == 16 and [r.no for r in registers] == list(range(1, 17))
    checklist = registry.get("buku_wajib").as_written.states["pemeriksaan"].checklist
    assert [item.id for item in checklist] == [r["id"] for r in som_data()["registers"]]
    assert [item.label for item in checklist] == [f"{r.no}. {r.title}" for r in registers]
    by_title = {r.title: r for r in registers}
    assert by_title["Buku Simpanan Anggota"].keepers == "Bendahara"
    assert by_title["Buku Simpanan Anggota"].holders == "Sri Handayani"
    assert by_title["Buku Catatan Kegiatan Pengawas"].keepers == "Ketua Pengawas dan Pengawas"


def test_the_sop_list_groups_every_loaded_procedure_by_field(docs: DocumentService, registry) -> None:
    groups = _view(docs).groups
    assert [g.title for g in groups][:4] == ["Kelembagaan", "Usaha", "Keuangan", "Pengawasan"]
    rows = [r for g in groups for r in g.rows]
    assert len(rows) == len(registry.all())
    kas = next(r for r in rows if r.nomor == "SOP-KEU-03")
    assert (kas.title, kas.prefix) == ("Persetujuan Pengeluaran Kas", "KAS")


def test_the_som_is_for_the_pengurus_the_pengawas_and_the_dinas(services: Services, docs: DocumentService) -> None:
    for reader in ("bambang", "sri", "heru", "agus"):
        assert _view(docs, reader).matrix
    for other in ("fajar", "siti"):  # the manajer, an anggota
        with pytest.raises(PermissionDeniedError, match="hanya untuk pengurus, pengawas"):
            som_page(docs, COOP, actor=other)
        with pytest.raises(PermissionDeniedError):
            som_pdf(docs, COOP, actor=other)
    services.import_org(DEMO_CITY)
    assert _view(docs, "ratna").organs  # the Dinas officer


def _ink(png: Path) -> float:
    """Share of the page (inside the margins' header and footer) that is not white."""
    image = Image.open(png).convert("L")
    width, height = image.size
    body = image.crop((0, int(height * 0.06), width, int(height * 0.88)))
    dark = sum(body.histogram()[:200])
    return dark / (body.size[0] * body.size[1])


KOP = (", badan_hukum_nomor: 'AHU-0012345.AH.01.29.TAHUN 2025', badan_hukum_tanggal: '2025-07-10',"
       " alamat: 'Jl. Raya Sentanan No. 5, Kecamatan Magersari'")


def test_the_pdf_has_a_kop_contents_page_numbers_and_no_near_empty_page(shared: Services, tmp_path: Path) -> None:
    shared.import_org(sentanan_org(tmp_path, KOP))
    issued = som_pdf(shared.documents, COOP)
    assert re.fullmatch(r"SOM-\d{8}", issued.number) and issued.recorded
    pages = [" ".join((p.extract_text() or "").split()) for p in PdfReader(io.BytesIO(issued.data)).pages]
    assert len(pages) == issued.pages >= 10
    assert "STANDAR OPERASIONAL MANAJEMEN" in pages[1] and "KOPERASI KELURAHAN MERAH PUTIH SENTANAN" in pages[1]
    assert "Badan Hukum Nomor AHU-0012345.AH.01.29.TAHUN 2025 tanggal 10 Juli 2025" in pages[1]
    assert "Jl. Raya Sentanan No. 5, Kecamatan Magersari, Kelurahan Sentanan, Kota Mojokerto" in pages[1]
    assert "DAFTAR ISI" in pages[2] and re.search(r"Matriks kewenangan persetujuan \.+ ?\d+", pages[2])
    for number, text in enumerate(pages, start=1):
        assert "Standar Operasional Manajemen (SOM)" in text, number  # the running header
        assert f"Halaman {number} dari {len(pages)}" in text, number
    text = " ".join(pages)
    for heading in ("I. ORGAN KOPERASI DAN KEWENANGANNYA", "II. MATRIKS KEWENANGAN PERSETUJUAN",
                    "III. URAIAN TUGAS JABATAN", "IV. BUKU WAJIB ORGANISASI DAN PEMEGANGNYA",
                    "V. DAFTAR SOP PER BIDANG", "Keterangan keabsahan dokumen"):
        assert heading in text
    assert "sampai Rp 500.000 Bendahara" in text and "Bambang Sutrisno" in text
    codes = set(re.findall(r"\b[a-z]+_[a-z_]+\b", text)) - {"manifest_sha"}
    assert not codes, codes  # no role ids or setting keys
    subprocess.run(["pdftoppm", "-png", "-r", "30", "-", str(tmp_path / "p")], input=issued.data, check=True)
    images = sorted(tmp_path.glob("p-*.png"))
    assert len(images) == len(pages)
    inks = [_ink(png) for png in images]
    assert all(ink > 0.02 for ink in inks), [round(i, 3) for i in inks]  # no near-empty page
    assert all(len(t) > 350 for t in pages), [len(t) for t in pages]
    assert shared.documents.verify(issued.data).ok
