"""What a case form posts: typed values, with a list field's table assembled into its rows.

A list field is a table of inputs named ``f.calon__0__anggota`` (field, row, column). The rows go to
the use case as one JSON list, as the CLI's ``--set calon='[...]'`` does; the use case parses each
cell by its column's rules and drops the rows left empty. The table comes back as it was typed, with
empty rows to fill (more after "Tambah baris", a submit that saves nothing: no JavaScript needed).
"""

from __future__ import annotations

import json
import re
from typing import Any

from starlette.datastructures import FormData

__all__ = ["FORM_CELLS", "MAX_FORM_ROWS", "SPARE_ROWS", "Grid", "form_values", "grid_of"]

#: Empty rows a list field's table offers to fill (and how many "Tambah baris" adds).
SPARE_ROWS = 3
#: Most rows a form table shows (a longer list: the CLI's ``--set calon=@berkas.csv``).
MAX_FORM_ROWS = 200
#: Most cells one table posts: a form holds at most ``read_form``'s 2000 fields.
FORM_CELLS = 1500
#: Longest text one cell keeps (as the other inputs: the use case says what is too long).
_CELL_MAX = 5000

_CELL = re.compile(r"f\.([a-z][a-z0-9_]*?)__([0-9]{1,4})__([a-z][a-z0-9_]*)")

#: A list field's table as typed: each row's cells (column id -> text), in row order.
Grid = list[dict[str, str]]


def form_values(form: FormData) -> tuple[dict[str, str], dict[str, Grid]]:
    """The typed values of a case form (``f.NAME``; a ticked list, one value per person: comma separated)
    and each list field's table as typed; its rows are in the values as JSON."""
    typed: dict[str, str] = {}
    cells: dict[str, dict[int, dict[str, str]]] = {}
    for key, value in form.multi_items():
        if not isinstance(value, str) or not str(key).startswith("f."):
            continue
        if match := _CELL.fullmatch(str(key)):
            name, row, column = match.group(1), int(match.group(2)), match.group(3)
            if row < MAX_FORM_ROWS:
                cells.setdefault(name, {}).setdefault(row, {})[column] = value[:_CELL_MAX]
            continue
        name = str(key)[2:]
        typed[name] = f"{typed[name]},{value[:_CELL_MAX]}" if typed.get(name) else value[:_CELL_MAX]
    grids: dict[str, Grid] = {}
    for name, rows in cells.items():
        grid = [rows.get(i, {}) for i in range(max(rows) + 1)]
        grids[name] = grid
        typed[name] = json.dumps(grid, ensure_ascii=False)
    return typed, grids


def grid_of(rows: Grid, *, more: bool = False, most: int | None = None) -> Grid:
    """A table to show: the rows as typed or stored (row numbers kept, trailing empty rows left off), then
    :data:`SPARE_ROWS` empty ones, or that many more than there were when ``more`` ("Tambah baris");
    no more rows in all than ``most`` (the field's ``max_rows``) unless that many are filled."""
    filled = list(rows)
    spare = 0
    while filled and not any(str(v).strip() for v in filled[-1].values()):
        filled.pop()
        spare += 1
    spare = spare + SPARE_ROWS if more else max(spare, SPARE_ROWS)
    if most is not None:
        spare = min(spare, max(most - len(filled), 0))
    empty: dict[str, Any] = {}
    return (filled + [dict(empty) for _ in range(spare)])[:MAX_FORM_ROWS]
