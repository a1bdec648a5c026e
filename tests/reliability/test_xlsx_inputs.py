"""The XLSX importers (RAPB/RK workbook, Buku Daftar Anggota) fuzzed from the real example workbooks.

Each example starts from a workbook the engine itself hands out (``export_budget(example=True)``, the
register template) and spoils it the way a keeper, a hostile file or a broken disk would: odd cell
values (huge and negative numbers, NaN, dates, formulas, control characters, very long text,
Arabic-Indic digits, "Rp. 1.000.000,-"), sheets deleted or renamed, extra rows, merged cells, a cell
at XFD1048576, cells whose XML says one type and holds another, and zips truncated, flipped or lying
about their sizes. Whatever the file: the import succeeds and stores exactly what the reader read, or it
raises an error of the one tree naming the sheet and cell at fault, saves nothing, never hangs past 10 s,
and the trail verifies afterwards. On SQLite and on PostgreSQL (``TATAKELOLA_TEST_DB``).
"""

from __future__ import annotations

import contextlib
import io
import re
import struct
import tempfile
import warnings
import zipfile
from collections.abc import Callable
from dataclasses import asdict
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, currently_in_test_context, event, example, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from sqlalchemy import func, select

from engine.adapters.render.register_workbook import RegisterRow, read_register
from engine.adapters.render.workbook import read_workbook
from engine.adapters.store.models import Base
from engine.errors import TatakelolaError, ValidationError, exit_code_for
from engine.services import Services
from engine.services.members import MemberIn, example_workbook
from tests.crafted_workbooks import HEAD, TAIL, one_sheet
from tests.reliability.conftest import scale
from tests.reliability.store_invariants import cli
from tests.reliability.yaml_mutations import time_bound

pytestmark = pytest.mark.filterwarnings("ignore:Duplicate name:UserWarning")  # a spoiled zip is the point

COOP = "kkmp-sentanan"
YEAR = 2027
MB = 1024 * 1024
#: A cell named in a problem: ``Sheet 'Biaya', sel D7``, ``…, baris 5``, ``…, 2 sel NIK (C8 sampai C9)``.
CELL_LABEL = re.compile(r"^Sheet '.+', (sel [A-Z]{1,3}[0-9]+|baris [0-9]+|[0-9]+ sel .*\b[A-Z]{1,3}[0-9]+\b.*)$")

def _member_in(row: RegisterRow) -> MemberIn:
    """What the members service builds from a register row (its own model, its own checks)."""
    return MemberIn.model_validate(asdict(row))


# -- values a keeper, a formula or a hostile file puts in a cell --------------------------------------

ODD_TEXT = ["Rp. 1.000.000,-", "Rp 1.250.000", "1.000.000,00", "1,000,000", "١٢٣٤٥", "１２３", "NaN", "nan",
            "inf", "-", "—", "", " ", "Jumlah", "Subtotal biaya", "=1/0", '=HYPERLINK("http://contoh.id","klik")',
            "=SUM(D5:D7)", "=A1", "x" * 301, "y" * 5000, "\x85\x9b[31mmerah", "teks\u202eterbalik", "\u2066isolasi",
            "B1 Biaya unit usaha", "B9", "organisasi", "2 Usaha", "4 Lain", "contoh-1", "CONTOH-0001",
            "3576014101900001", "3576 •••• •••• 0001", "3576014101xxx", "05-10-2025", "2025-13-45", "31-02-2025",
            "TRUE", "#DIV/0!", "Realisasi 1999", "Rencana 2030", "Uraian", "Nama lengkap", "NIK", "AGT/001",
            "a" * 31, "\t\n", "9007199254740993", "-5"]
_INTS = st.one_of(st.integers(-(10**6), 10**7), st.sampled_from([2**53 - 1, 2**53, 2**53 + 1, 10**15, 10**15 + 1,
                                                                  10**12 + 1, -1, 0, 2**63, -(2**70)]),
                  st.integers(-(2**80), 2**80))
VALUES = st.one_of(
    st.sampled_from(ODD_TEXT), _INTS,
    st.floats(allow_nan=True, allow_infinity=True), st.sampled_from([0.5, -0.0, 1e300, 1250000.0, 1e16]),
    st.dates(date(1900, 3, 1), date(9999, 12, 31)), st.datetimes(datetime(1900, 3, 1), datetime(2200, 1, 1)),
    st.booleans(), st.none(), st.text(max_size=40),
)


def _set(ws: Any, row: int, column: int, value: Any) -> None:
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)  # openpyxl refuses C0 controls; XML cannot carry them
    with contextlib.suppress(AttributeError, ValueError):  # a merged cell, a row past 1048576: no program saves it
        ws.cell(row=row, column=column, value=value)


# -- edits with openpyxl (what a spreadsheet program can save) ------------------------------------

BookEdit = Callable[[Any], None]
SHEET_NAMES = ["Pendapatan", "pendapatan ", "A. Pendapatan", "Biaya", "Belanja", "Investasi", "Sumber_Dana",
               "Rencana Kerja", "RK", "Buku Daftar Anggota", "Anggota", "Sheet1", "Lembar'2", "x" * 31]


@st.composite
def book_edit(draw: st.DrawFn) -> tuple[str, BookEdit]:
    kind = draw(st.sampled_from(["cell", "cell", "cell", "cell", "delete", "rename", "rows", "merge", "far",
                                 "insert", "header"]))
    pick = draw(st.integers(0, 10**6))
    value = draw(VALUES)
    row, column = draw(st.integers(1, 40)), draw(st.integers(1, 9))
    name = draw(st.sampled_from(SHEET_NAMES))
    values = draw(st.lists(VALUES, min_size=1, max_size=8))
    far = draw(st.sampled_from(["XFD1048576", "AD1016", "AE1", "A1016", "G1015", "T20015", "U1"]))

    def edit(book: Any) -> None:
        ws = book.worksheets[pick % len(book.worksheets)]
        if kind == "cell":
            _set(ws, row, column, value)
        elif kind == "delete" and len(book.worksheets) > 1:
            book.remove(ws)
        elif kind == "rename" and name not in book.sheetnames:
            ws.title = name
        elif kind == "rows":
            first = ws.max_row + 1
            for n in range(1 + pick % 60):
                for c, v in enumerate(values, start=1):
                    _set(ws, first + n, c, v)
        elif kind == "merge":
            ws.merge_cells(start_row=row, start_column=column, end_row=row + pick % 4, end_column=column + pick % 3)
        elif kind == "far":
            target = ws[far]
            _set(ws, target.row, target.column, value if value is not None else "x")
        elif kind == "insert" and ws.max_row * ws.max_column < 100_000:  # openpyxl walks every cell of the extent
            (ws.insert_rows if pick % 2 else ws.insert_cols)(1 + pick % 6, 1 + pick % 3)
        elif kind == "header":
            _set(ws, 4 if ws.max_row >= 4 else 5, 1 + pick % 8, value)

    return f"{kind}@{pick % 10}:{row},{column}={value!r:.40}", edit


# -- edits of the saved bytes (what no spreadsheet program saves) ------------------------------------

RAW_CELLS = [b'<c r="{ref}"><v>abc</v></c>', b'<c r="{ref}"><v>nan</v></c>', b'<c r="{ref}"><v>1e400</v></c>',
             b'<c r="{ref}"><v>' + b"9" * 5000 + b"</v></c>", b'<c r="{ref}"><v>\xd9\xa1\xd9\xa2</v></c>',
             b'<c r="{ref}" t="s"><v>999</v></c>', b'<c r="{ref}" t="s"><v>-1</v></c>', b'<c r="{ref}" t="b"><v>x</v></c>',
             b'<c r="{ref}" t="d"><v>2025-13-45</v></c>', b'<c r="{ref}" t="d"><v>2025-02-28T10:00:00</v></c>',
             b'<c r="{ref}" t="e"><f>1/0</f><v>#DIV/0!</v></c>', b'<c r="{ref}"><f>1/0</f></c>',
             b'<c r="{ref}" t="str"><f>HYPERLINK("http://x","klik")</f><v>klik</v></c>', b'<c r="{ref}" s="abc"><v>1</v></c>',
             b'<c r="{ref}" s="99999"><v>45000</v></c>', b'<c r="{ref}" t="zzz"><v>1</v></c>', b'<c r="A0"><v>1</v></c>',
             b'<c r="{ref}" t="inlineStr"><is><t>_x0000_&#x9b;&#x202e;</t></is></c>', b'<c r="{ref}"><v>   </v></c>',
             b'<c r="{ref}" t="n"><v>-0</v></c>', b'<c r="ZZZZ9"><v>1</v></c>', b'<c r="{ref}"><v>1</v><v>2</v></c>',
             b'<c><v>1</v></c>', b"<c/>", b'<c r="{ref}" t="inlineStr"><is><t>' + b"z" * 40_000 + b"</t></is></c>"]


def _rezip(content: bytes, edit: Callable[[str, bytes], bytes | None]) -> bytes:
    """``content`` with each part replaced by ``edit(name, data)`` (None drops the part); as is if unreadable."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as source:
            parts = [(info.filename, source.read(info.filename)) for info in source.infolist()]
    except Exception:  # already broken by an earlier edit: leave it broken
        return content
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in parts:
            changed = edit(name, data)
            if changed is not None:
                target.writestr(name, changed)
    return out.getvalue()


def _declare_size(content: bytes, size: int, nth: int) -> bytes:
    """The zip with the uncompressed size of its ``nth`` central-directory entry rewritten to ``size``."""
    data = bytearray(content)
    starts = [m.start() for m in re.finditer(re.escape(b"PK\x01\x02"), data)]
    if starts:
        struct.pack_into("<I", data, starts[nth % len(starts)] + 24, size)
    return bytes(data)


def _claim_directory_at(content: bytes, shift: int) -> bytes:
    """The zip whose end record puts its central directory ``shift`` bytes later than it is."""
    data = bytearray(content)
    end = data.rfind(b"PK\x05\x06")
    if end >= 0 and len(data) >= end + 20:
        struct.pack_into("<I", data, end + 16, (struct.unpack_from("<I", data, end + 16)[0] + shift) % 2**32)
    return bytes(data)


@st.composite
def raw_edit(draw: st.DrawFn) -> tuple[str, Callable[[bytes], bytes]]:
    kind = draw(st.sampled_from(["cell", "cell", "cell", "truncate", "flip", "insert", "size", "drop", "garble",
                                 "duplicate", "directory"]))
    pick = draw(st.integers(0, 10**6))
    cell = draw(st.sampled_from(RAW_CELLS))
    noise = draw(st.binary(min_size=1, max_size=16))
    size = draw(st.sampled_from([0, 1, 1024, 2**31 - 1, 2**32 - 1]))

    def edit(content: bytes) -> bytes:
        if kind == "cell":
            def put(name: str, data: bytes) -> bytes:
                if not name.startswith("xl/worksheets/"):
                    return data
                cells = list(re.finditer(rb'<c r="([A-Z]+[0-9]+)"[^>]*?(?:/>|>.*?</c>)', data))
                if not cells:
                    return data
                m = cells[pick % len(cells)]
                return data[:m.start()] + cell.replace(b"{ref}", m.group(1)) + data[m.end():]
            return _rezip(content, put)
        at = pick % max(len(content), 1)
        if kind == "truncate":
            return content[:at]
        if kind == "flip":
            return content[:at] + bytes([content[at] ^ (1 + pick % 255)]) + content[at + 1:] if content else content
        if kind == "insert":
            return content[:at] + noise + content[at:]
        if kind == "size":
            return _declare_size(content, size, pick)
        if kind == "directory":
            return _claim_directory_at(content, 1 + pick % 5000)
        names = ["[Content_Types].xml", "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/styles.xml",
                 "_rels/.rels", "xl/worksheets/sheet2.xml", "xl/worksheets/sheet1.xml"]
        target = names[pick % len(names)]
        if kind == "drop":
            return _rezip(content, lambda name, data: None if name == target else data)
        if kind == "garble":
            return _rezip(content, lambda name, data: data[:pick % (len(data) + 1)] + noise if name == target else data)
        out = io.BytesIO(content)  # "duplicate": a second part under the same name, appended
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)  # the duplicate name is the point
                with zipfile.ZipFile(out, "a") as archive:
                    archive.writestr(target, b"<x/>")
        except Exception:  # a zip an earlier edit broke takes no more parts: leave it broken
            return content
        return out.getvalue()

    return f"{kind}@{pick}", edit


class Mutant:
    """A spoiled workbook and how it was made (a failing example shows the steps, not the bytes)."""

    def __init__(self, content: bytes, steps: tuple[str, ...]) -> None:
        self.content = content
        self.steps = steps

    def __repr__(self) -> str:
        return f"Mutant({len(self.content)} byte, {self.steps!r})"


def _apply(source: bytes, edits: list[tuple[str, BookEdit]], raws: list[tuple[str, Callable[[bytes], bytes]]]
           ) -> Mutant:
    content = source
    if edits:
        book = load_workbook(io.BytesIO(source))
        for _, edit in edits:
            edit(book)
        buffer = io.BytesIO()
        book.save(buffer)
        content = buffer.getvalue()
    for _, raw in raws:
        content = raw(content)
    return Mutant(content, tuple(step for step, _ in [*edits, *raws]))


@st.composite
def mutated(draw: st.DrawFn, source: Callable[[], bytes]) -> Mutant:
    """One example workbook with up to four openpyxl edits and, one time in two, up to two byte edits."""
    edits = draw(st.lists(book_edit(), max_size=4))
    raws = draw(st.lists(raw_edit(), max_size=2)) if draw(st.booleans()) else []
    return _apply(source(), edits, raws)


# -- the sources: what the engine itself hands out ----------------------------------------------------

_SOURCES: dict[str, bytes] = {}


def rapb_example() -> bytes:
    """The RAPB example as `doc budget-export --contoh` writes it (fixed bytes: no database needed)."""
    if "rapb" not in _SOURCES:
        from engine.adapters.render.workbook import example_budget, write_workbook

        _SOURCES["rapb"] = write_workbook(example_budget(YEAR), "Koperasi Kelurahan Merah Putih Sentanan")
    return _SOURCES["rapb"]


def register_filled() -> bytes:
    """The register template (`anggota contoh`) with its two CONTOH rows made real members."""
    if "register" not in _SOURCES:
        book = load_workbook(io.BytesIO(example_workbook()))
        ws = book.active
        assert ws is not None
        for row, (number, nik) in enumerate((("AGT-9001", "3576019901900001"), ("AGT-9002", "3576019901900002")),
                                            start=6):
            ws.cell(row=row, column=1, value=number)
            ws.cell(row=row, column=3, value=nik)
        buffer = io.BytesIO()
        book.save(buffer)
        _SOURCES["register"] = buffer.getvalue()
    return _SOURCES["register"]


def register_template() -> bytes:
    return example_workbook()


REGISTER_SOURCES = st.sampled_from([register_filled, register_filled, register_template])

# -- what must hold ---------------------------------------------------------------------------------


def counts(services: Services) -> dict[str, int]:
    """Rows per table (budgets, budget_lines, work_plan_items, members, audit_entries ... all of them)."""
    with services.db.db_engine.connect() as conn:
        return {t.name: int(conn.scalar(select(func.count()).select_from(t)) or 0) for t in Base.metadata.sorted_tables}


def _note(what: str) -> None:
    """Count an outcome (``--hypothesis-show-statistics`` shows how many examples imported, how many were refused)."""
    if currently_in_test_context():
        event(what)


def assert_refusal_is_named(exc: TatakelolaError) -> None:
    """A refusal of the one tree, never exit 70, with Indonesian problems naming the sheet and cell at fault."""
    assert exit_code_for(exc) != 70, exc
    _note(f"ditolak: {type(exc).__name__}: {exc.problems[0].message[:30] if exc.problems else exc.headline[:30]}"
          if isinstance(exc, ValidationError) else f"ditolak: {type(exc).__name__}")
    assert isinstance(exc, ValidationError), f"{type(exc).__name__}: {exc}"
    assert exc.headline and "Traceback" not in str(exc)
    for problem in exc.problems:
        assert problem.label and problem.message, exc
        if " sel " in problem.label or " baris " in problem.label:
            assert CELL_LABEL.match(problem.label), problem.label
    assert not re.search(r"invalid literal|out of range|Error:|object has no", str(exc)), str(exc)


def import_budget(services: Services, mutant: Mutant) -> None:
    """Import through the service layer; a refusal saves nothing, a success stores exactly what was read."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "rapb.xlsx"
        path.write_bytes(mutant.content)
        before = counts(services)
        with time_bound(10, "impor RAPB"):
            try:
                services.documents.import_budget(COOP, YEAR, path)
            except TatakelolaError as exc:  # anything outside the tree fails the test with its traceback
                assert_refusal_is_named(exc)
                assert counts(services) == before, f"tulisan separuh setelah {type(exc).__name__}: {exc}"
            else:
                _note("diimpor")
                read = read_workbook(mutant.content, YEAR)
                stored = services.documents.budget_summary(COOP, YEAR)
                assert stored is not None
                assert tuple(line for section in stored.sections for line in section.lines) == read.lines
                assert stored.plan == read.plan
    assert all(report.ok for report in services.verify())


def import_register(services: Services, mutant: Mutant) -> None:
    before = counts(services)
    with time_bound(10, "impor Buku Daftar Anggota"):
        try:
            result = services.members.import_workbook(COOP, mutant.content, None)
        except TatakelolaError as exc:
            assert_refusal_is_named(exc)
            assert counts(services) == before, f"tulisan separuh setelah {type(exc).__name__}: {exc}"
        else:
            _note("diimpor")
            read = read_register(mutant.content, _member_in, max_bytes=5 * MB)
            stored = {m.number: m for m in services.members.register(COOP, include_former=True)}
            assert result.lines == len(read)
            assert all(stored[row.number].name == row.name for row in read)
    assert all(report.ok for report in services.verify())


FUZZ = settings(max_examples=scale(30, 1000), deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.function_scoped_fixture])


def _regression(cell: bytes, title: str = "Pendapatan") -> Mutant:
    """A one-sheet workbook whose D5 is ``cell`` (findings of this fuzzing, kept as examples)."""
    head = b"".join(b'<c r="%s4" t="inlineStr"><is><t>%s</t></is></c>' % (c, t) for c, t in (
        (b"A", b"Nomor anggota"), (b"B", b"Nama lengkap"), (b"C", b"Uraian"), (b"D", b"NIK")))
    return Mutant(one_sheet(HEAD + b'<row r="4">' + head + b'</row><row r="5">' + cell + b"</row>" + TAIL, title),
                  ("regresi",))


REGRESSIONS = [b'<c r="D5"><v>abc</v></c>', b'<c r="D5"><v>nan</v></c>', b'<c r="D5" t="s"><v>7</v></c>',
               b'<c r="D5" t="b"><v>x</v></c>', b'<c r="D5" t="d"><v>2025-13-45</v></c>',
               b'<c r="D5" s="abc"><v>1</v></c>', b'<c r="D5"><v>' + b"9" * 5000 + b"</v></c>"]


@FUZZ
@given(mutant=mutated(rapb_example))
@example(mutant=_regression(REGRESSIONS[0]))
@example(mutant=_regression(REGRESSIONS[2]))
@example(mutant=Mutant(_declare_size(rapb_example(), 2**32 - 1, 3), ("ukuran palsu",)))
def test_fuzzed_rapb_workbooks_import_or_are_refused_without_a_partial_write(services: Services,
                                                                             mutant: Mutant) -> None:
    import_budget(services, mutant)


@FUZZ
@given(mutant=REGISTER_SOURCES.flatmap(mutated))
@example(mutant=_regression(REGRESSIONS[1], "Buku Daftar Anggota"))
@example(mutant=_regression(REGRESSIONS[4], "Buku Daftar Anggota"))
@example(mutant=Mutant(_claim_directory_at(register_filled(), 1000), ("direktori zip 1000 byte terlalu jauh",)))
def test_fuzzed_member_registers_import_or_are_refused_without_a_partial_write(services: Services,
                                                                              mutant: Mutant) -> None:
    import_register(services, mutant)


# -- findings kept as plain tests ---------------------------------------------------------------------


@pytest.mark.parametrize("cell", REGRESSIONS, ids=["angka-abc", "nan", "teks-bersama-hilang", "bool-x",
                                                   "tanggal-13", "gaya-abc", "5000-digit"])
def test_a_cell_whose_xml_lies_about_its_type_is_named_not_a_crash(cell: bytes) -> None:
    for read in (lambda c: read_workbook(c, YEAR), lambda c: read_register(c, _member_in, max_bytes=5 * MB)):
        with pytest.raises(ValidationError) as caught:
            read(_regression(cell).content)
        assert_refusal_is_named(caught.value)
        assert "tidak dapat dibaca" in caught.value.headline
        assert [p.label for p in caught.value.problems] in (["Sheet 'Pendapatan', sel D5"],
                                                            ["Sheet 'Pendapatan', baris 5"])


def test_control_characters_and_overlong_plan_text_are_named_at_their_cell(services: Services) -> None:
    book = load_workbook(io.BytesIO(rapb_example()))
    book["Pendapatan"]["C5"] = "Penjualan\x9b[31m sembako"
    book["Rencana Kerja"]["E6"] = "t" * 301  # target: String(300); PostgreSQL refused it with exit 70
    book["Rencana Kerja"]["F7"] = "w" * 121  # waktu: String(120)
    buffer = io.BytesIO()
    book.save(buffer)
    with pytest.raises(ValidationError) as caught:
        read_workbook(buffer.getvalue(), YEAR)
    messages = {p.label: p.message for p in caught.value.problems}
    assert "karakter kendali U+009B" in messages["Sheet 'Pendapatan', sel C5"]
    assert "maksimal 300" in messages["Sheet 'Rencana Kerja', sel E6"]
    assert "maksimal 120" in messages["Sheet 'Rencana Kerja', sel F7"]
    import_budget(services, Mutant(buffer.getvalue(), ("kendali",)))


# -- the same through the real CLI, as subprocesses ----------------------------------------------------

CLI_CASES = {
    "rapb-angka-abc": ("rapb", _regression(REGRESSIONS[0]).content, "Sheet 'Pendapatan', sel D5"),
    "rapb-terpotong": ("rapb", rapb_example()[:3000], "bukan buku kerja Excel"),
    "rapb-ukuran-palsu": ("rapb", _declare_size(rapb_example(), 2**32 - 1, 3), "RAPB"),
    "anggota-teks-hilang": ("register", _regression(REGRESSIONS[2], "Buku Daftar Anggota").content,
                            "Sheet 'Buku Daftar Anggota', baris 5"),
    "anggota-contoh": ("register", register_template(), "baris contoh dari templat"),
}


def test_the_cli_refuses_spoiled_workbooks_with_exit_1_and_saves_nothing(services: Services, tmp_path: Path) -> None:
    settings_ = services.context.settings
    env = {"TATAKELOLA_DB": settings_.db_url, "TATAKELOLA_KEY": str(settings_.resolved_key_path)}
    before = counts(services)
    for name, (kind, content, expected) in CLI_CASES.items():
        path = tmp_path / f"{name}.xlsx"
        path.write_bytes(content)
        argv = (["doc", "budget-import", "--coop", COOP, "--year", str(YEAR), str(path)] if kind == "rapb"
                else ["anggota", "impor", "--coop", COOP, str(path)])
        result = cli(*argv, env=env, timeout=60)
        assert result.returncode == 1, (name, result.returncode, result.stdout, result.stderr)
        assert "Traceback" not in result.stdout + result.stderr, name
        assert expected in result.stderr, (name, result.stderr)
        assert counts(services) == before, name
    verified = cli("audit", "verify", env=env, timeout=60)
    assert verified.returncode == 0, verified.stdout + verified.stderr
