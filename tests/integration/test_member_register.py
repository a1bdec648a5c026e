"""The Buku Daftar Anggota as its keepers use it: XLSX import and export, the register on a date."""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from engine.adapters.render.register_workbook import HEADERS, MAX_ROWS, read_register
from engine.adapters.store.models import AuditEntry
from engine.demo import DEMO_CITY, DEMO_MEMBERS
from engine.errors import NotFoundError, PayloadTooLargeError, PermissionDeniedError, ValidationError
from engine.services import Services
from engine.services.members import example_workbook
from tests.helpers import COOP
from tests.integration.workflows.helpers import act, pdfs, start

TODAY = date(2026, 11, 24)  # the test clock's day in Asia/Jakarta


def workbook(rows: Sequence[Sequence[Any]], *, header: Sequence[str] = HEADERS, title: str = "Buku Daftar Anggota",
             above: Sequence[str] = ("Buku Daftar Anggota KKMP Sentanan",)) -> bytes:
    """A real XLSX file: a title line or two, the header row, then the rows as given."""
    book = Workbook()
    ws = book.active
    assert ws is not None
    ws.title = title
    for line in above:
        ws.append([line])
    ws.append(list(header))
    for row in rows:
        ws.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


GOOD = [
    ["KKMP-STN-0101", "Sumiati", "3576014101700001", "Jl. Empunala 3", datetime(2025, 10, 5), None, "Rp. 100.000,-"],
    ["KKMP-STN-0102", "Bagyo Santoso", "3576 0102 0375 0002", None, "12-11-2025", None, 100000],
    ["KKMP-STN-0103", "Wartini", "3576014303800003", "Jl. Majapahit 9", "2025-08-17", "2026-06-30", "100.000"],
]


def trail(services: Services) -> list[dict[str, Any]]:
    with services.db.session() as session:
        return [json.loads(body) for body in session.scalars(
            select(AuditEntry.body).where(AuditEntry.case_id.is_(None)).order_by(AuditEntry.seq))]


def trail_size(services: Services) -> int:
    with services.db.session() as session:
        return int(session.scalar(select(func.count(AuditEntry.seq))) or 0)


def problems_of(excinfo: pytest.ExceptionInfo[ValidationError]) -> dict[str, str]:
    return {p.label: p.message for p in excinfo.value.problems}


def test_a_good_workbook_imports_is_counted_by_date_and_is_on_the_trail(services: Services) -> None:
    result = services.members.import_workbook(COOP, workbook(GOOD), "rina")
    assert (result.lines, result.added, result.updated, result.changed) == (3, 3, 0, True)
    assert services.members.count_on(COOP, TODAY) == 2  # Wartini left on 30 June 2026
    assert services.members.count_on(COOP, date(2026, 6, 29)) == 3
    assert services.members.count_on(COOP, date(2025, 10, 4)) == 1  # only Wartini had joined
    entry = [e for e in trail(services) if e.get("action") == "impor_anggota"]
    assert len(entry) == 1
    assert entry[0]["actor"] == "rina" and entry[0]["source"] == "xlsx" and entry[0]["lines"] == 3
    assert "3576014101700001" not in json.dumps(entry)  # no personal data on the trail
    assert all(report.ok for report in services.verify(COOP))

    rows = {m.number: m for m in services.members.register(COOP, TODAY, include_former=True)}
    assert rows["KKMP-STN-0101"].simpanan_pokok == 100_000 and rows["KKMP-STN-0101"].joined_on == date(2025, 10, 5)
    assert rows["KKMP-STN-0102"].nik_masked == "3576 •••• •••• 0002"
    assert rows["KKMP-STN-0103"].status == "berhenti" and rows["KKMP-STN-0103"].left_on == date(2026, 6, 30)
    assert rows["KKMP-STN-0101"].source == "impor berkas Excel"

    size = trail_size(services)
    again = services.members.import_workbook(COOP, workbook(GOOD), None)
    assert not again.changed and trail_size(services) == size


def test_every_bad_cell_is_named_and_nothing_is_saved(services: Services) -> None:
    before = trail_size(services)
    bad = [
        ["KKMP-STN-0101", "Sumiati", "357601410170001", None, "05-10-2025", None, 100000],       # C: 15 digits
        ["KKMP-STN-0102", "Bagyo", 3576010203750002, None, "31-02-2026", None, "seratus ribu"],  # C, E, G
        ["KKMP-STN-0103", None, "3576014303800003", None, "2025-08-17", "2025-01-01", None],    # B empty, F early
        ["KKMP-STN-0101", "Wagimin", "3576014303800004", None, "2025-08-17", None, -5],         # A twice, G minus
        ["KKMP STN 0105", "Karsiyem", "3576014303800005", None, "2025-08-17", None, None],      # A: spaces
    ]
    with pytest.raises(ValidationError) as excinfo:
        services.members.import_workbook(COOP, workbook(bad), "rina")
    found = problems_of(excinfo)
    sheet = "Sheet 'Buku Daftar Anggota', sel "
    assert found[sheet + "C3"].startswith("NIK harus 16 angka")
    assert "sebagai angka" in found[sheet + "C4"]
    assert "bukan tanggal" in found[sheet + "E4"]
    assert "bukan angka rupiah" in found[sheet + "G4"]
    assert found[sheet + "B5"] == "nama lengkap kosong"
    assert found[sheet + "F5"] == "tanggal keluar sebelum tanggal masuk"
    assert "sudah dipakai di baris 3" in found[sheet + "A6"]
    assert found[sheet + "G6"] == "tidak boleh negatif"
    assert "nomor anggota hanya huruf" in found[sheet + "A7"]
    assert "tidak ada yang disimpan" in excinfo.value.headline
    assert services.members.count_on(COOP, TODAY) == 0
    assert trail_size(services) == before


def test_a_long_list_of_mistakes_stops_after_fifty_with_a_count(services: Services) -> None:
    rows = [[f"A-{n:03d}", f"Anggota {n}", "12345", None, "01-01-2026", None, None] for n in range(60)]
    with pytest.raises(ValidationError) as excinfo:
        services.members.import_workbook(COOP, workbook(rows), None)
    problems = excinfo.value.problems
    assert len(problems) == 51
    assert problems[-1].label == "…dan 10 kesalahan lain"
    assert "(60 kesalahan)" in excinfo.value.headline


def test_a_masked_export_cannot_be_imported_back_and_a_full_one_can(services: Services) -> None:
    services.import_org(DEMO_MEMBERS)
    masked = services.members.export_workbook(COOP, full_nik=False)
    assert masked == services.members.export_workbook(COOP, full_nik=False)  # same register, same bytes
    ws = load_workbook(io.BytesIO(masked))["Buku Daftar Anggota"]
    texts = [str(c.value) for row in ws.iter_rows() for c in row if c.value is not None]
    assert "3576015507790003" not in texts and "3576 •••• •••• 0003" in texts
    assert any("TIDAK dapat diimpor ulang" in t for t in texts)
    with pytest.raises(ValidationError) as excinfo:
        services.members.import_workbook(COOP, masked, "rina")
    assert len(excinfo.value.problems) == 1  # one line for the whole column, not one per member
    assert "NIK disamarkan" in excinfo.value.problems[0].message

    full = services.members.export_workbook(COOP, full_nik=True, actor="rina")
    ws = load_workbook(io.BytesIO(full))["Buku Daftar Anggota"]
    texts = [str(c.value) for row in ws.iter_rows() for c in row if c.value is not None]
    assert "3576015507790003" in texts and any("NIK LENGKAP" in t for t in texts)
    result = services.members.import_workbook(COOP, full, "rina")
    assert result.lines == 25 and not result.changed


def test_only_a_pengurus_in_office_may_import_or_take_full_niks(services: Services) -> None:
    services.import_org(DEMO_CITY)
    content = workbook(GOOD)
    for user in ("siti", "agus", "fajar", "wahyu", "hadi"):  # anggota, pengawas, manajer, term ended, other KKMP
        with pytest.raises(PermissionDeniedError, match="hanya untuk pengurus"):
            services.members.import_workbook(COOP, content, user)
    with pytest.raises(PermissionDeniedError):
        services.members.export_workbook(COOP, full_nik=True, actor="agus")
    with pytest.raises(NotFoundError):
        services.members.import_workbook(COOP, content, "tidak-ada")
    with pytest.raises(NotFoundError):
        services.members.import_workbook("koperasi-lain", content, None)
    assert services.members.count_on(COOP, TODAY) == 0
    assert services.members.import_workbook(COOP, content, "endang").added == 3  # wakil ketua bidang keanggotaan


def test_a_nik_already_in_the_register_is_refused(services: Services) -> None:
    services.import_org(DEMO_MEMBERS)  # Siti Maemunah, KKMP-STN-0007, 3576015507790003
    size = trail_size(services)
    twin = [["KKMP-STN-0200", "Siti M.", "3576015507790003", None, "01-11-2026", None, 100000]]
    with pytest.raises(ValidationError, match=r"3576 •••• •••• 0003 sudah terdaftar sebagai anggota nomor KKMP-STN-0007"):
        services.members.import_workbook(COOP, workbook(twin), "rina")
    same_file = [["A-1", "Satu", "3576015507790099", None, "01-11-2026", None, None],
                 ["A-2", "Dua", "3576015507790099", None, "01-11-2026", None, None]]
    with pytest.raises(ValidationError) as excinfo:
        services.members.import_workbook(COOP, workbook(same_file), "rina")
    assert "NIK sama dengan baris 3" in problems_of(excinfo)["Sheet 'Buku Daftar Anggota', sel C4"]
    assert trail_size(services) == size


def test_the_register_on_a_date_lists_only_who_was_a_member_then(services: Services, files) -> None:
    services.import_org(DEMO_MEMBERS)
    case = start(services, "penerimaan_anggota", "endang", {
        "nama": "Suwarni", "nik": "3576014507800003", "alamat": "Jl. Empunala 12", "kelurahan_ktp": "Sentanan"},
        pdfs(files, "ktp"))
    act(services, case, "ajukan", "endang")
    act(services, case, "periksa", "rina")
    act(services, case, "terima", "bambang")
    act(services, case, "catat_simpanan", "sri", values={
        "simpanan_pokok_dibayar": 100_000, "tanggal_bayar": "2026-11-23", "nomor_anggota": "KKMP-STN-0142"})
    before = {m.number for m in services.members.register(COOP, date(2026, 11, 22))}
    after = {m.number: m for m in services.members.register(COOP, date(2026, 11, 23))}
    assert "KKMP-STN-0142" not in before and "KKMP-STN-0142" in after
    assert after["KKMP-STN-0142"].source == f"dari kasus {case}"
    assert services.members.count_on(COOP, date(2026, 11, 23)) == len(before) + 1
    early = {m.number for m in services.members.register(COOP, date(2025, 8, 10), include_former=True)}
    assert early == {"KKMP-STN-0019", "KKMP-STN-0033"}  # joined 9 and 3 August 2025
    assert services.members.register(COOP) == services.members.register(COOP, TODAY)


def test_the_template_has_two_example_rows_that_must_go_before_import(services: Services) -> None:
    template = example_workbook()
    assert template == example_workbook()
    with pytest.raises(ValidationError, match="baris contoh"):
        services.members.import_workbook(COOP, template, "rina")
    book = load_workbook(io.BytesIO(template))
    ws = book["Buku Daftar Anggota"]
    ws["A6"], ws["A7"] = "KKMP-STN-0301", "KKMP-STN-0302"
    buffer = io.BytesIO()
    book.save(buffer)
    assert services.members.import_workbook(COOP, buffer.getvalue(), "rina").added == 2


def test_headers_are_found_by_name_in_any_order_with_extra_columns(services: Services) -> None:
    header = ["No", "NIK", "Nama", "No. Anggota", "Tgl. Masuk", "Keterangan"]
    rows = [[1, "3576014101700001", "Sumiati", "KKMP-STN-0101", "05-10-2025", "pindahan"]]
    result = services.members.import_workbook(COOP, workbook(rows, header=header, title="Sheet1", above=()), None)
    assert result.added == 1
    assert services.members.register(COOP, TODAY)[0].simpanan_pokok == 0


def test_the_work_is_capped_before_the_rows_are_read(services: Services) -> None:
    wide = Workbook()
    ws = wide.active
    assert ws is not None
    ws.append(list(HEADERS))
    ws.cell(row=2, column=25, value="x")
    buffer = io.BytesIO()
    wide.save(buffer)
    with pytest.raises(PayloadTooLargeError, match="25 kolom"):
        services.members.import_workbook(COOP, buffer.getvalue(), None)

    tall = Workbook()
    ws = tall.active
    assert ws is not None
    ws.append(list(HEADERS))
    ws.cell(row=MAX_ROWS + 100, column=1, value="KKMP-STN-9999")
    buffer = io.BytesIO()
    tall.save(buffer)
    with pytest.raises(PayloadTooLargeError, match=r"paling banyak 20\.000 anggota"):
        services.members.import_workbook(COOP, buffer.getvalue(), None)

    content = workbook(GOOD)
    with pytest.raises(PayloadTooLargeError, match="lebih dari batas"):
        read_register(content, lambda row: row, max_bytes=len(content) - 1)
    with pytest.raises(ValidationError, match=r"\.xls"):
        services.members.import_workbook(COOP, b"\xd0\xcf\x11\xe0" + b"\x00" * 100, None)
    with pytest.raises(ValidationError, match="bukan buku kerja Excel"):
        services.members.import_workbook(COOP, b"Nomor anggota;Nama\n", None)
