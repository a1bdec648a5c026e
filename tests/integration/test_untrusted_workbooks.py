"""Uploaded workbooks are bounded: refused before openpyxl opens them, whatever they claim, in little memory."""

from __future__ import annotations

import io
import tracemalloc
from collections.abc import Callable
from typing import Any

import pytest
from openpyxl import load_workbook

from engine.adapters.render.register_workbook import read_register
from engine.adapters.render.workbook import MAX_LINES, WorkbookError, example_budget, read_workbook, write_workbook
from engine.errors import PayloadTooLargeError, ValidationError
from engine.services import Services
from tests.crafted_workbooks import (
    entity_bomb,
    far_cell,
    far_cell_undeclared,
    lying_sizes,
    many_rows,
    with_far_cell,
    zip_bomb,
)
from tests.helpers import COOP

MB = 1024 * 1024


def _rapb(content: bytes) -> object:
    return read_workbook(content, 2027)


def _register(content: bytes) -> object:
    return read_register(content, lambda row: row, max_bytes=5 * MB)


READERS = {"rapb": _rapb, "register": _register}


def refused(read: Callable[[bytes], object], content: bytes) -> tuple[ValidationError, int]:
    """The error ``read`` raises on ``content`` and the peak memory (bytes) Python allocated meanwhile."""
    tracemalloc.start()
    try:
        with pytest.raises(ValidationError) as caught:
            read(content)
        return caught.value, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("reader", READERS)
@pytest.mark.parametrize("make", [far_cell, far_cell_undeclared], ids=["declared", "undeclared"])
def test_a_single_cell_at_xfd1048576_is_refused_by_its_column(reader: str, make: Callable[[], bytes]) -> None:
    title = "Pendapatan" if reader == "rapb" else "Buku Daftar Anggota"
    error, peak = refused(READERS[reader], make() if make is far_cell_undeclared else far_cell(title))
    assert isinstance(error, PayloadTooLargeError) and error.http_status == 413
    assert error.headline.startswith("Berkas") and "terlalu besar" in error.headline
    assert "16.384 kolom (sampai kolom XFD)" in str(error) and "XFD1048576" in str(error)
    assert peak < 5 * MB


def test_the_fourteen_kilobyte_rapb_of_issue_11_is_refused_at_once() -> None:
    content = with_far_cell(write_workbook(example_budget(2027, extra_lines=25), "KKMP Sentanan"), "Pendapatan")
    assert len(content) < 20_000  # took the old reader 101 s and 1.96 GB
    error, peak = refused(_rapb, content)
    assert isinstance(error, PayloadTooLargeError) and "Sheet 'Pendapatan'" in str(error)
    assert "XFD1048576" in str(error) and peak < 5 * MB


@pytest.mark.parametrize("reader", READERS)
def test_a_zip_bomb_is_refused_from_the_zip_directory_without_unpacking(reader: str) -> None:
    error, peak = refused(READERS[reader], zip_bomb(60))
    assert isinstance(error, PayloadTooLargeError)
    assert "setelah dibuka" in str(error) or "membesar" in str(error)
    assert peak < 5 * MB
    error, _ = refused(READERS[reader], zip_bomb(20))  # under the total: the ratio of the part refuses it
    assert "xl/worksheets/sheet1.xml membesar" in str(error) and "paling banyak 100 kali" in str(error)


@pytest.mark.parametrize("reader", READERS)
def test_a_part_that_lies_about_its_size_is_unpacked_no_further_than_it_says(reader: str) -> None:
    error, peak = refused(READERS[reader], lying_sizes())
    assert not isinstance(error, PayloadTooLargeError) and "tidak dapat dibaca" in error.headline
    assert "xl/worksheets/sheet1.xml" in str(error)
    assert peak < 5 * MB


@pytest.mark.parametrize("reader", READERS)
def test_an_entity_bomb_is_refused_before_any_entity_expands(reader: str) -> None:
    error, peak = refused(READERS[reader], entity_bomb())
    assert "memuat DTD" in str(error)
    assert peak < 5 * MB


def test_a_hundred_thousand_rows_stop_at_the_row_cap() -> None:
    content = many_rows(100_000)
    error, peak = refused(_rapb, content)
    assert isinstance(error, PayloadTooLargeError)
    assert f"lebih dari {MAX_LINES:,} baris".replace(",", ".") in str(error) and "sel A1016" in str(error)
    assert peak < 10 * MB
    error, peak = refused(_register, content)
    assert "lebih dari 20.000 baris" in str(error) and "paling banyak 20.000 anggota" in str(error)
    assert peak < 10 * MB


def test_the_upload_limit_and_the_unpacked_limit_are_the_callers() -> None:
    content = write_workbook(example_budget(2027), "KKMP Uji")
    with pytest.raises(PayloadTooLargeError, match="lebih dari batas"):
        read_workbook(content, 2027, max_bytes=len(content) - 1)
    with pytest.raises(PayloadTooLargeError, match="setelah dibuka"):
        read_workbook(content, 2027, max_unpacked=len(content))
    assert read_workbook(content, 2027) == example_budget(2027)


def _edited(content: bytes, edit: Callable[[Any], None]) -> bytes:
    book = load_workbook(io.BytesIO(content))
    edit(book)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_a_rapb_over_the_line_cap_is_refused_with_how_many_it_has() -> None:
    content = write_workbook(example_budget(2027, extra_lines=MAX_LINES), "KKMP Uji")
    with pytest.raises(PayloadTooLargeError) as caught:
        read_workbook(content, 2027)
    assert "Biaya" in str(caught.value) and "paling banyak 1.000" in str(caught.value)
    lines = [f"Kegiatan {n}" for n in range(400)]

    def spread(book: Any) -> None:  # 400 lines on each of three sheets: every sheet within its cap
        for title in ("Pendapatan", "Investasi", "Sumber Dana"):
            ws = book[title]
            first = 5 + ws.max_row
            for n, text in enumerate(lines):
                row = [None, "Unit", text, 1, 1, 1] if title == "Pendapatan" else [None, text, 1, 1, 1]
                for column, value in enumerate(row, start=1):
                    ws.cell(row=first + n, column=column, value=value)

    # 3 × 400 + the example's lines (the cash projection counts one line per item and month)
    with pytest.raises(PayloadTooLargeError, match=r"memuat 1\.\d{3} baris anggaran; paling banyak 1\.000"):
        read_workbook(_edited(write_workbook(example_budget(2027), "KKMP Uji"), spread), 2027)


def test_many_bad_cells_are_listed_fifty_then_counted() -> None:
    content = write_workbook(example_budget(2027, extra_lines=60), "KKMP Uji")

    def spoil(book: Any) -> None:
        ws = book["Biaya"]
        for row in range(5, 5 + 70):
            ws.cell(row=row, column=7, value="satu juta")

    with pytest.raises(WorkbookError) as caught:
        read_workbook(_edited(content, spoil), 2027)
    problems = caught.value.problems
    assert len(problems) == 51 and problems[0].label == "Sheet 'Biaya', sel G5"
    assert problems[-1].label == "…dan 20 masalah lain"
    assert "(70 masalah)" in caught.value.headline


def test_a_formula_saved_without_its_value_is_named_at_its_cell() -> None:
    content = write_workbook(example_budget(2027), "KKMP Uji")  # openpyxl saves formulas without values
    with_formula = _edited(content, lambda book: book["Pendapatan"].cell(row=6, column=6, value="=D6*2"))
    with pytest.raises(WorkbookError, match="sel F6: berisi rumus tanpa nilai tersimpan"):
        read_workbook(with_formula, 2027)


def test_a_refused_member_register_saves_nothing_and_says_why(services: Services) -> None:
    with pytest.raises(PayloadTooLargeError, match=r"16\.384 kolom"):
        services.members.import_workbook(COOP, far_cell("Buku Daftar Anggota"), None)
    assert services.members.count_on(COOP, services.today()) == 0
