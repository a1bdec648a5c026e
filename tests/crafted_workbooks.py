"""Hostile XLSX files for the import limits (used by tests and ``bench/bench_imports.py``).

Each is small as uploaded and asks for a lot once opened naively.
"""

from __future__ import annotations

import io
import struct
import zipfile

from openpyxl import Workbook, load_workbook

_TYPES = (b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
          b'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
          b'<Default Extension="xml" ContentType="application/xml"/>'
          b'<Override PartName="/xl/workbook.xml" '
          b'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
          b'<Override PartName="/xl/worksheets/sheet1.xml" '
          b'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>')
_PACKAGE_RELS = (b'<?xml version="1.0"?><Relationships '
                 b'xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                 b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
                 b'officeDocument" Target="xl/workbook.xml"/></Relationships>')
_BOOK_RELS = (b'<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
              b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
              b'worksheet" Target="worksheets/sheet1.xml"/></Relationships>')
HEAD = b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
TAIL = b"</sheetData></worksheet>"


def one_sheet(sheet_xml: bytes, title: str = "Pendapatan") -> bytes:
    """A minimal workbook of one sheet whose XML is given."""
    book = ('<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
            f'<sheet name="{title}" sheetId="1" r:id="rId1"/></sheets></workbook>').encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, data in (("[Content_Types].xml", _TYPES), ("_rels/.rels", _PACKAGE_RELS),
                           ("xl/workbook.xml", book), ("xl/_rels/workbook.xml.rels", _BOOK_RELS),
                           ("xl/worksheets/sheet1.xml", sheet_xml)):
            archive.writestr(name, data)
    return out.getvalue()


def far_cell(title: str = "Pendapatan") -> bytes:
    """One cell at XFD1048576, saved by openpyxl (with the dimension it declares)."""
    book = Workbook()
    ws = book.active
    assert ws is not None
    ws.title = title
    ws["XFD1048576"] = "x"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def with_far_cell(content: bytes, title: str) -> bytes:
    """A real workbook with one more cell, at XFD1048576 of sheet ``title`` (the 14 KB RAPB of issue 11)."""
    book = load_workbook(io.BytesIO(content))
    book[title]["XFD1048576"] = "x"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def far_cell_undeclared(title: str = "Pendapatan") -> bytes:
    """One cell at XFD1048576 in a sheet that declares no dimension."""
    return one_sheet(HEAD + b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>' + TAIL, title)


def zip_bomb(megabytes: int = 60, title: str = "Pendapatan") -> bytes:
    """One row of millions of identical cells: about 0.15 MB packed, ``megabytes`` unpacked."""
    cell = b'<c t="n"><v>1</v></c>'
    count = megabytes * 1024 * 1024 // len(cell)
    return one_sheet(HEAD + b'<row r="1">' + cell * count + b"</row>" + TAIL, title)


def lying_sizes(title: str = "Pendapatan") -> bytes:
    """A zip bomb whose directory claims the big part unpacks to 1 KB (zipfile stops there; the CRC fails)."""
    data = bytearray(zip_bomb(20, title))
    name = b"xl/worksheets/sheet1.xml"
    for signature, size_at in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        start = 0
        while (start := data.find(signature, start)) >= 0:
            name_len = struct.unpack_from("<H", data, start + (26 if signature == b"PK\x03\x04" else 28))[0]
            name_at = start + (30 if signature == b"PK\x03\x04" else 46)
            if bytes(data[name_at:name_at + name_len]) == name:
                struct.pack_into("<I", data, start + size_at, 1024)
            start += 4
    return bytes(data)


def many_rows(rows: int = 100_000, title: str = "Pendapatan") -> bytes:
    """``rows`` rows of two cells each (about 1 MB packed)."""
    body = b"".join(b'<row r="%d"><c r="A%d" t="inlineStr"><is><t>x</t></is></c><c r="B%d"><v>%d</v></c></row>'
                    % (i, i, i, i) for i in range(1, rows + 1))
    return one_sheet(HEAD + body + TAIL, title)


def entity_bomb(title: str = "Pendapatan") -> bytes:
    """The "billion laughs": entities that expand to gigabytes of text."""
    doctype = b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">' + b"".join(
        b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10) for i in range(1, 10)) + b"]>"
    sheet = (doctype + b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
             b'<row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row>' + TAIL)
    return one_sheet(sheet, title)
