"""Fixtures for the document tests: a document service, decided cases, PDF text and attachments."""

from __future__ import annotations

import io
import re
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter
from pypdf.generic import NameObject
from sqlalchemy import create_engine

from engine.adapters.store.db import normalise_url
from engine.demo import DEMO_MEMBERS, DEMO_ORG
from engine.domain.definitions.registry import Registry
from engine.services import Services
from engine.services.documents import DocumentService
from engine.settings import Settings
from tests.conftest import ON_POSTGRES, TEST_DB, Clock, FileMaker
from tests.helpers import COOP, KAS_VERIFY_CHECKS, submitted_kas

ORG_EXTRA = """
people:
  - {username: joko, name: Joko Susilo}
cooperatives:
  - slug: kkmp-sentanan
    name: Koperasi Kelurahan Merah Putih Sentanan
    city: Kota Mojokerto
    kelurahan: Sentanan
    roles:
      - {person: joko, role: pimpinan_rapat, start: 2026-01-01, note: Pimpinan Rapat Anggota Perencanaan}
"""


@pytest.fixture(scope="session")
def registry() -> Registry:
    """The shipped workflows, parsed once for the whole session (parsing YAML is the slow part)."""
    return Registry.shipped()


@pytest.fixture
def services(settings: Settings, clock: Clock, registry: Registry) -> Iterator[Services]:
    """Like the suite's ``services`` fixture, with the workflows parsed once."""
    svc = Services(settings, registry=registry, clock=clock)
    svc.init()
    svc.import_org(DEMO_ORG)
    yield svc
    svc.db.dispose()


@pytest.fixture
def docs(services: Services) -> DocumentService:
    return services.documents


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory, registry: Registry) -> Iterator[Services]:
    """One initialised database with the demo KKMP for a whole test module (read-mostly tests)."""
    tmp = tmp_path_factory.mktemp("documents")
    schema = None
    url = f"sqlite:///{tmp / 'test.db'}"
    if ON_POSTGRES:
        schema = f"t_{uuid.uuid4().hex[:12]}"
        admin = create_engine(normalise_url(TEST_DB), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
        url = f"{TEST_DB}{'&' if '?' in TEST_DB else '?'}options=-csearch_path%3D{schema}"
    svc = Services(Settings(db_url=url, key_path=tmp / "signing.key"), registry=registry,
                   clock=Clock(datetime(2026, 11, 24, 3, 0, tzinfo=UTC)))
    svc.init()
    svc.import_org(DEMO_ORG)
    yield svc
    svc.db.dispose()
    if schema is not None:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        admin.dispose()


@pytest.fixture(scope="module")
def shared_files(tmp_path_factory: pytest.TempPathFactory) -> FileMaker:
    return FileMaker(tmp_path_factory.mktemp("uploads"))


def pdf_text(data: bytes) -> str:
    """All text of a PDF, whitespace collapsed to single spaces."""
    reader = PdfReader(io.BytesIO(data))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


def attachments(data: bytes) -> dict[str, bytes]:
    reader = PdfReader(io.BytesIO(data))
    return {name: contents[0] for name, contents in reader.attachments.items()}


def replace_attachment(data: bytes, name: str, change: Callable[[bytes], bytes]) -> bytes:
    """A copy of the PDF in which one embedded file's content is replaced (everything else kept)."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    names = writer.root_object["/Names"]["/EmbeddedFiles"]["/Names"]
    for i in range(0, len(names), 2):
        if names[i] == name:
            stream = names[i + 1].get_object()["/EF"]["/F"].get_object()
            stream.set_data(change(stream.get_data()))
            stream[NameObject("/Params")] = stream.get("/Params", {})
            break
    else:
        raise AssertionError(f"no attachment {name}")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def flip(content: bytes, at: int | None = None) -> bytes:
    """Change one byte (in the middle by default)."""
    index = len(content) // 2 if at is None else at
    changed = bytes([content[index] ^ 0x01])
    return content[:index] + changed + content[index + 1:]


def quorum_kas(services: Services, files: Callable[..., Path]) -> str:
    """KAS/2026/0001: Rp 18.750.000, verified, approved by the ketua, then 2 of 3 pengawas."""
    number = submitted_kas(services, "18.750.000", files("penawaran.pdf"))
    services.act(number, "verifikasi", "sri", checks=KAS_VERIFY_CHECKS)
    services.act(number, "setujui", "bambang", comment="Stok beras menipis.")
    services.act(number, "setujui_pengawas", "agus", comment="Harga sesuai HET.")
    services.act(number, "setujui_pengawas", "heru")
    return number


#: 18 of the demo register's 25 members, present at the Rapat Anggota of 24 November 2026.
RA_PRESENT = ",".join(f"KKMP-STN-{n:04d}" for n in range(1, 19))


def with_pimpinan_rapat(services: Services, tmp_path: Path) -> None:
    """Give the demo cooperative a pimpinan Rapat Anggota (joko) and its Buku Daftar Anggota (25 members),
    for RK/RAPB ratification."""
    services.import_org(DEMO_MEMBERS)  # first: a members-only file leaves the city and kelurahan empty
    org = tmp_path / "org-extra.yaml"
    org.write_text(ORG_EXTRA, encoding="utf-8")
    services.import_org(org)


def ratified_rk_rapb(services: Services, files: Callable[..., Path], year: int = 2027, *,
                     target: int = 2_095_300_000, biaya: int = 1_969_896_500, investasi: int = 59_750_000,
                     present: str = RA_PRESENT) -> str:
    """Run an RK/RAPB case for ``year`` through pengurus, pengawas and the Rapat Anggota (``present``: its
    daftar hadir, member numbers comma separated)."""
    view = services.start_case("rk_rapb", COOP, "sri", values={
        "tahun_anggaran": str(year), "jenis": "Rencana awal", "target_pendapatan": str(target),
        "rencana_biaya": str(biaya), "rencana_investasi": str(investasi)},
        files={"dokumen_rk": files("rk.pdf"), "dokumen_rapb": files("rapb.pdf")})
    number = view.summary.number
    services.act(number, "ajukan", "sri", checks=["evaluasi_tahun_berjalan", "rapb_per_unit"])
    for who in ("bambang", "dwi", "endang"):
        services.act(number, "setujui_pengurus", who)
    for who in ("heru", "nuraini"):
        services.act(number, "setujui_pengawas", who)
    services.act(number, "sahkan", "joko", values={
        "tanggal_rapat_anggota": "2026-11-24", "panggilan_rapat": "Rapat pertama", "daftar_hadir": present},
        checks=["dibahas_dalam_rapat"], files={"berita_acara_ra": files("ba-ra.pdf")})
    return number


def _glyphs(text: str) -> list[bytes]:
    """WeasyPrint's DejaVu subsets keep the font's glyph ids: '0'-'9' are <0013>-<001c>, '.' is <0011>."""
    return [b"<0011>" if ch == "." else f"<{0x13 + int(ch):04x}>".encode() for ch in text]


def change_printed_amount(data: bytes, old: str, new: str, *, incremental: bool = False) -> bytes:
    """A copy of the PDF whose first page prints ``new`` where it printed ``old`` (digits and dots only).

    The page's content stream is decoded, the glyphs of the figure replaced one by one, and the
    file written again as a PDF editor would: rewritten whole, or (``incremental``) with the
    changed stream appended as an incremental update after the signature.
    """
    if incremental:
        writer = PdfWriter(io.BytesIO(data), incremental=True)
    else:
        writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    contents = writer.pages[0]["/Contents"].get_object()
    raw = contents.get_data()
    found = re.search(rb"-?[\d.]*".join(re.escape(g) for g in _glyphs(old)), raw)
    assert found is not None, f"{old} is not printed on the first page"
    changed, rest = b"", found.group(0)
    for before, after in zip(_glyphs(old), _glyphs(new), strict=True):
        at = rest.index(before)
        changed, rest = changed + rest[:at] + after, rest[at + len(before):]
    contents.set_data(raw[:found.start()] + changed + rest + raw[found.end():])
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def unsigned_revision(data: bytes) -> bytes:
    """The PDF as WeasyPrint wrote it, before the signature's incremental update."""
    end = data.index(b"%%EOF") + len(b"%%EOF")
    return data[:end + 1] if data[end:end + 1] == b"\n" else data[:end]
