"""Attachments are judged by their bytes, not by their names (issue 10)."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import func, select

from engine.adapters.store.models import Attachment, AuditEntry, Case
from engine.domain.definitions import Registry, load_definition_text
from engine.domain.definitions.registry import data_dir
from engine.errors import ValidationError
from engine.services import Services
from engine.settings import Settings
from tests.helpers import COOP, start_kas
from tests.helpers import tiny_png as png

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"


def counts(services: Services) -> tuple[int, int, int, list[tuple[str, int, bool]]]:
    with services.db.session() as session:
        rows = tuple(int(session.scalar(select(func.count()).select_from(t)) or 0)
                     for t in (Attachment, AuditEntry, Case))
    return (*rows, [(r.coop, r.size, r.ok) for r in services.verify()])  # type: ignore[return-value]


def stored(services: Services) -> list[Attachment]:
    with services.db.session() as session:
        return list(session.scalars(select(Attachment).order_by(Attachment.id)))


def pdf_only(services: Services, accept: str = "pdf", version: int = 2) -> Services:
    """The same database with pengeluaran_kas version 2, whose nota accepts PDF only (or ``accept``)."""
    source = (data_dir("workflows") / "pengeluaran_kas.yaml").read_text(encoding="utf-8")
    changed = source.replace("nota: {type: attachment, label: Nota / penawaran harga, accept: [pdf, jpg, jpeg, png]",
                             f"nota: {{type: attachment, label: Nota / penawaran harga, accept: [{accept}]")
    assert changed != source
    changed = changed.replace("version: 1\n", f"version: {version}\n", 1)
    return Services(services.settings, clock=services.clock,
                    registry=Registry([load_definition_text(changed, "pengeluaran_kas.yaml")]))


def test_a_text_file_named_pdf_is_refused_and_nothing_is_written(services: Services, files, tmp_path: Path) -> None:
    on_disk = tmp_path / "lampiran"
    disk = Services(Settings(db_url=services.settings.db_url, key_path=services.settings.key_path,
                             attachments_dir=on_disk), clock=services.clock)
    before = counts(disk)
    fake = files("nota.pdf", b"bukan PDF sama sekali\n")
    with pytest.raises(ValidationError) as refused:
        start_kas(disk, 100_000, fake)
    problem = refused.value.problems[0]
    assert problem.label == "Nota / penawaran harga" and problem.name == "nota"
    assert "jenis berkas teks biasa tidak diterima" in problem.message
    assert "yang diterima: pdf, jpg, jpeg, png" in problem.message
    assert counts(disk) == before and not on_disk.exists()


def test_one_size_cap_and_a_field_may_only_lower_it(services: Services, files, tmp_path: Path) -> None:
    capped = Services(Settings(db_url=services.settings.db_url, key_path=services.settings.key_path,
                               max_attachment_mb=1), clock=services.clock)  # below the field's max_mb: 10
    before = counts(capped)
    with pytest.raises(ValidationError, match=r"berkas terlalu besar \(1\.0 MB; maksimal 1 MB\)"):
        start_kas(capped, 100_000, files("besar.pdf", b"%PDF-1.4\n" + b"0" * (1024 * 1024)))
    with pytest.raises(ValidationError, match=r"berkas terlalu besar .* maksimal 10 MB"):
        start_kas(services, 100_000, files("besar.pdf", b"%PDF-1.4\n" + b"0" * (10 * 1024 * 1024)))
    with pytest.raises(ValidationError, match=r"jenis berkas \.exe tidak diterima"):
        start_kas(capped, 100_000, files("nota.pdf", b"MZ\x90\x00\x03\x00\x00\x00"))
    assert counts(capped) == before


def test_a_png_named_pdf_is_refused_where_only_pdf_is_accepted(services: Services, files) -> None:
    strict = pdf_only(services)
    before = counts(strict)
    with pytest.raises(ValidationError, match=r"jenis berkas \.png tidak diterima .*yang diterima: pdf$"):
        start_kas(strict, 100_000, files("foto.pdf", png()))
    assert counts(strict) == before


def test_a_png_named_pdf_is_stored_as_a_png_where_png_is_accepted(services: Services, files) -> None:
    number = start_kas(services, 100_000, files("foto.pdf", png()))
    [row] = stored(services)
    assert (row.filename, row.media_type, row.size) == ("foto.png", "image/png", len(png()))
    value = next(v for n, _, v in services.show(number, None).fields if n == "nota")
    assert "foto.png" in value
    assert services.attachment(COOP, number, row.sha256)[:2] == ("foto.png", "image/png")


def test_a_jpeg_with_a_long_name_keeps_its_extension(services: Services, files) -> None:
    long = "nota-pembelian-galon-air-minum-" * 10 + ".jpg"
    start_kas(services, 100_000, files(long[-150:], JPEG), by="fajar")  # the file system keeps short names
    number = services.start_case("pengeluaran_kas", COOP, "fajar", values={
        "keperluan": "Galon", "jumlah": "45000", "pos_rapb": "Alat tulis kantor", "penerima": "Depot"},
        files={"nota": (long, JPEG)}).summary.number
    first, second = stored(services)
    assert first.filename == long[-150:] and first.media_type == "image/jpeg"
    assert len(second.filename) == 200 and second.filename.endswith(".jpg") and second.media_type == "image/jpeg"
    assert second.filename.startswith("nota-pembelian-galon")
    assert services.show(number, None).summary.number == number


def test_a_jpeg_named_jpeg_or_without_extension_is_named_by_its_content(services: Services, files) -> None:
    start_kas(services, 100_000, files("Foto.JPEG", JPEG))
    start_kas(services, 100_000, files("nota 12.03.2026", JPEG))
    assert [(r.filename, r.media_type) for r in stored(services)] == [
        ("Foto.JPEG", "image/jpeg"), ("nota 12.03.2026.jpg", "image/jpeg")]


def test_an_xlsx_is_recognised_by_its_parts(services: Services, files) -> None:
    from openpyxl import Workbook

    buffer = io.BytesIO()
    Workbook().save(buffer)
    strict = pdf_only(services)
    with pytest.raises(ValidationError, match=r"jenis berkas \.xlsx tidak diterima"):
        start_kas(strict, 100_000, files("rekap.pdf", buffer.getvalue()))
    with pytest.raises(ValidationError, match=r"jenis berkas \.zip tidak diterima"):
        zipped = io.BytesIO()
        with zipfile.ZipFile(zipped, "w") as archive:
            archive.writestr("xl/workbook.xml", "<workbook/>")  # no [Content_Types].xml: not an OOXML file
        start_kas(services, 100_000, files("rekap.pdf", zipped.getvalue()))


def test_text_is_accepted_only_where_the_field_takes_plain_text(services: Services, files) -> None:
    text = pdf_only(services, "pdf, csv", version=3)
    start_kas(text, 100_000, files("rekap.pdf", b"tanggal,jumlah\n2026-11-30,45000\n"))
    start_kas(text, 100_000, files("rekap.csv", b"BM,kode barang\n1,2\n"))  # "BM" opens a bitmap, too
    with pytest.raises(ValidationError, match=r"jenis berkas tak dikenal tidak diterima .*yang diterima: pdf, csv"):
        start_kas(text, 100_000, files("rekap.csv", b"\x00\x01\x02 bukan teks"))
    with pytest.raises(ValidationError, match=r"jenis berkas teks biasa tidak diterima"):
        start_kas(pdf_only(services), 100_000, files("rekap.pdf", b"tanggal,jumlah\n"))
    assert [(r.filename, r.media_type) for r in stored(services)] == [
        ("rekap.csv", "text/csv"), ("rekap.csv", "text/csv")]
