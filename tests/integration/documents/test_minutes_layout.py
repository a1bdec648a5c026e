"""The Berita Acara as a Dinas officer reads it: kop, letter number, signers' seats, masked NIK, no stranded page."""

from __future__ import annotations

import dataclasses
import io
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from pypdf import PdfReader

import engine.services.documents.service as document_service
from engine.domain.definitions.registry import Registry
from engine.domain.letter_numbers import LetterNumber, format_problem, legacy_minutes_number, minutes_number
from engine.errors import DefinitionError, ValidationError
from engine.services import Services
from engine.services.documents.minutes import FieldRow
from tests.conftest import Clock, FileMaker
from tests.helpers import COOP, sentanan_org, submitted_kas
from tests.integration.documents.conftest import pdf_text

KOP = (", badan_hukum_nomor: 'AHU-0012345.AH.01.29.TAHUN 2025', badan_hukum_tanggal: '2025-07-10',"
       " alamat: 'Jl. Raya Sentanan No. 5, Kecamatan Magersari'")


def pages(data: bytes) -> list[str]:
    return [" ".join((page.extract_text() or "").split()) for page in PdfReader(io.BytesIO(data)).pages]


def assert_nothing_stranded(data: bytes) -> None:
    """The closing sentence, every signature and the verification box share one page with body lines."""
    texts = pages(data)
    with_box = [i for i, t in enumerate(texts) if "Keterangan keabsahan dokumen" in t]
    with_signatures = [i for i, t in enumerate(texts) if "Disetujui oleh" in t or "Ditolak oleh" in t
                       or "Diverifikasi oleh" in t]
    assert with_box == [len(texts) - 1] and with_signatures == with_box, (with_box, with_signatures)
    last = texts[-1]
    assert "Demikian berita acara" in last
    body = last[:last.index("Demikian berita acara")]
    assert any(marker in body for marker in ("Riwayat", "Waktu (WIB)", "Pemungutan", "Pokok perkara")), body


@pytest.fixture(scope="module")
def org(shared: Services, tmp_path_factory: pytest.TempPathFactory) -> Services:
    shared.import_org(sentanan_org(tmp_path_factory.mktemp("org"), KOP))
    return shared


@pytest.fixture(scope="module")
def board_minutes(org: Services, shared_files: FileMaker) -> tuple[str, bytes]:
    """A Keputusan Rapat Pengurus: rina proposes, the ketua and two wakil ketua approve as ``pengurus``."""
    number = org.start_case("keputusan_rapat_pengurus", COOP, "rina", values={
        "judul": "Jam buka gerai", "uraian": "Gerai buka 07.00-21.00", "tanggal_rapat": "2026-11-20",
        "hadir": "bambang,dwi,endang,rina"}, files={"notulen": shared_files("notulen.pdf")}).summary.number
    org.act(number, "ajukan", "rina", checks=["undangan_terkirim", "daftar_hadir"])
    for who in ("bambang", "dwi", "endang"):
        org.act(number, "setujui", who)
    return number, org.documents.minutes(number).data


def test_signature_captions_name_the_seat_each_signer_held_that_day(board_minutes: tuple[str, bytes]) -> None:
    text = pages(board_minutes[1])[-1]
    closing = text[text.index("Mojokerto, 24 November 2026"):text.index("Keterangan keabsahan")]
    for caption in ("Diajukan oleh Sekretaris", "Disetujui oleh Ketua Pengurus",
                    "Disetujui oleh Wakil Ketua Bidang Usaha", "Disetujui oleh Wakil Ketua Bidang Keanggotaan"):
        assert caption in closing
    assert "oleh Pengurus" not in closing
    votes = pdf_text(board_minutes[1])
    assert "Bambang Sutrisno Ketua Pengurus" in votes and "Dwi Prasetyo Wakil Ketua Bidang Usaha" in votes


def test_the_kop_shows_the_legal_entity_and_address_and_the_number_is_the_cooperatives_format(
        board_minutes: tuple[str, bytes]) -> None:
    first = pages(board_minutes[1])[0]
    assert "KOPERASI KELURAHAN MERAH PUTIH SENTANAN" in first
    assert "Badan Hukum Nomor AHU-0012345.AH.01.29.TAHUN 2025 tanggal 10 Juli 2025" in first
    assert "Jl. Raya Sentanan No. 5, Kecamatan Magersari, Kelurahan Sentanan, Kota Mojokerto" in first
    assert "Nomor: 001/BA/KKMP-SNT/XI/2026" in first and "BA-RPG" not in first
    assert "None" not in first and "()" not in first


def test_a_short_berita_acara_keeps_signatures_and_box_with_the_body(board_minutes: tuple[str, bytes]) -> None:
    assert_nothing_stranded(board_minutes[1])


def test_the_issued_number_is_registered_and_verifies(org: Services, board_minutes: tuple[str, bytes]) -> None:
    number, data = board_minutes
    result = org.documents.verify(data)
    assert result.ok and result.number == "001/BA/KKMP-SNT/XI/2026"
    assert [d.number for d in org.show(number, None).issued] == ["001/BA/KKMP-SNT/XI/2026"]


def test_a_nik_is_masked_in_fields_and_comments(org: Services, shared_files: FileMaker) -> None:
    number = org.start_case("penerimaan_anggota", COOP, "endang", values={
        "nama": "Suwarni", "nik": "3576014507800003", "alamat": "Jl. Empunala 12", "kelurahan_ktp": "Sentanan"},
        files={"ktp": shared_files("ktp.pdf")}).summary.number
    org.act(number, "ajukan", "endang", checks=["formulir_ditandatangani", "ktp_terlampir"])
    org.act(number, "periksa", "rina", checks=["ktp_cocok", "domisili_sesuai", "belum_terdaftar"],
            comment="NIK 3576014507800003 cocok dengan KTP.")
    data = org.documents.minutes(number).data
    text = pdf_text(data)
    assert "3576014507800003" not in text
    assert "3576 •••• •••• 0003" in text
    assert "cocok dengan KTP.”." not in text and "cocok dengan KTP.”" in text  # no doubled full stop
    assert "Nomor: 002/BA/KKMP-SNT/XI/2026" in text


def test_no_page_holds_only_the_signatures_or_the_box_however_long_the_body(
        org: Services, shared_files: FileMaker, monkeypatch: pytest.MonkeyPatch) -> None:
    """The body is lengthened a few rows at a time, across the point where the closing no longer fits."""
    number = submitted_kas(org, 300_000, shared_files("n.pdf"))
    org.act(number, "tolak", "sri", comment="Nota tidak sah.")
    real = document_service.minutes_view
    extra = [0]

    def longer(*args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        view = real(*args, **kwargs)  # type: ignore[arg-type]
        return dataclasses.replace(view, fields=view.fields + [FieldRow(f"Baris {i}", "isi") for i in range(extra[0])])

    monkeypatch.setattr(document_service, "minutes_view", longer)
    split = False
    for extra[0] in (8, 11, 14):
        data = org.documents.minutes(number).data
        assert_nothing_stranded(data)
        texts = pages(data)
        split = split or "Riwayat langkah" not in texts[-1]
    assert split  # at least one length moved the closing past the history's heading


@pytest.mark.parametrize(("fmt", "problem"), [
    ("{urut}/BA/{kop}/{tahun}", "{kop} tidak dikenal"),
    ("{urut:04d}/BA", "tanpa format tambahan"),
    ("BA/{tahun}", "harus memuat {urut} atau {kasus}"),
    ("{urut/BA", "tidak berpasangan"),
])
def test_a_letter_number_format_with_an_unknown_placeholder_is_refused_by_name(fmt: str, problem: str) -> None:
    found = format_problem(fmt)
    assert found and problem in found
    parts = LetterNumber("KAS/2026/0003", 3, date(2026, 12, 1), "KKMP-SNT")
    with pytest.raises(ValidationError, match="format_nomor_surat"):
        minutes_number(parts, {"format_nomor_surat": fmt})


def test_letter_numbers_in_the_default_and_a_custom_format_and_the_old_form() -> None:
    parts = LetterNumber("KAS/2026/0003", 3, date(2026, 12, 1), "KKMP-SNT")
    assert minutes_number(parts, {}) == "003/BA/KKMP-SNT/XII/2026"
    assert minutes_number(parts, {"format_nomor_surat": "BA-{prosedur}/{urut}/{bulan}.{tahun}"}) == "BA-KAS/003/12.2026"
    assert legacy_minutes_number("KAS/2026/0003") == "BA-KAS-2026-0003"


def test_an_organisation_file_with_an_unknown_placeholder_is_refused(tmp_path: Path, settings,
                                                                     registry: Registry) -> None:
    services = Services(settings, registry=registry, clock=Clock(datetime(2026, 11, 24, tzinfo=UTC)))
    services.init()
    try:
        with pytest.raises(DefinitionError, match=r"format_nomor_surat: tempat isian \{nomor\} tidak dikenal"):
            services.import_org(sentanan_org(tmp_path, ", format_nomor_surat: '{nomor}/BA/{tahun}'"))
    finally:
        services.db.dispose()


def test_a_kop_without_legal_entity_or_address_prints_no_placeholder() -> None:
    from engine.adapters.render.common import OrgInfo

    bare = OrgInfo("x", "Koperasi Desa Merah Putih Maju", None, None)
    assert bare.legal == "" and bare.address == ""
    dated = OrgInfo("x", "K", "Kota Mojokerto", "Sentanan", "AHU-1", "10 Juli 2025", None)
    assert dated.legal == "Badan Hukum Nomor AHU-1 tanggal 10 Juli 2025"
    assert dated.address == "Kelurahan Sentanan, Kota Mojokerto"
