"""The hot paths stay flat as the log and the case table grow: every query a decision, a case
page and the task inbox run finds its rows of the big tables through an index, never by reading
the whole table (SQLite's EXPLAIN QUERY PLAN says SCAN for that)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from engine.services import Services
from tests.conftest import ON_POSTGRES
from tests.helpers import KAS_DRAFT_CHECKS, KAS_VERIFY_CHECKS, start_kas

pytestmark = pytest.mark.skipif(ON_POSTGRES, reason="reads SQLite's query plans")

#: Tables that grow with the log or with the cases. A full scan of any of them on a hot path makes
#: that path cost more every month; the small tables (people, terms of office, settings) may be read whole.
BIG = ("audit_entries", "checkpoints", "case_events", "cases", "data_revisions", "votes", "attachments",
       "issued_documents", "members")


@pytest.fixture
def statements(services: Services) -> Iterator[list[tuple[str, Any]]]:
    """Every SELECT the engine sends from now on, with its parameters."""
    seen: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append((statement, parameters))

    event.listen(services.db.db_engine, "before_cursor_execute", record)
    yield seen
    event.remove(services.db.db_engine, "before_cursor_execute", record)


def _scans(services: Services, statements: list[tuple[str, Any]]) -> list[str]:
    """The statements whose plan reads a big table whole."""
    bad = []
    raw = services.db.db_engine.raw_connection()
    try:
        cursor = raw.cursor()
        for statement, parameters in statements:
            cursor.execute(f"EXPLAIN QUERY PLAN {statement}", parameters)
            for row in cursor.fetchall():
                detail = str(row[-1])
                match = re.match(r"SCAN (\w+)", detail)
                if match and match.group(1) in BIG:  # "SCAN t USING ... INDEX" reads a whole index: as bad
                    bad.append(f"{detail}  <-  {statement.strip()[:200]}")
    finally:
        raw.close()
    return bad


def test_decision_and_case_page_use_indexes(services: Services, tmp_path: Path,
                                            statements: list[tuple[str, Any]]) -> None:
    nota = tmp_path / "nota.pdf"
    nota.write_bytes(b"%PDF-1.4 nota")
    number = start_kas(services, 300_000, nota)
    services.act(number, "ajukan", "fajar", checks=KAS_DRAFT_CHECKS)
    services.act(number, "verifikasi", "sri", checks=KAS_VERIFY_CHECKS)
    services.show(number, "sri")
    assert statements, "no query was recorded"
    assert _scans(services, statements) == []


def test_task_inbox_uses_indexes(services: Services, tmp_path: Path, statements: list[tuple[str, Any]]) -> None:
    nota = tmp_path / "nota.pdf"
    nota.write_bytes(b"%PDF-1.4 nota")
    for _ in range(3):
        services.act(start_kas(services, 300_000, nota), "ajukan", "fajar", checks=KAS_DRAFT_CHECKS)
    statements.clear()
    assert len(services.tasks("sri")) == 3
    assert statements, "no query was recorded"
    assert _scans(services, statements) == []


def test_the_check_sees_a_full_scan(services: Services, statements: list[tuple[str, Any]]) -> None:
    """The guard itself works: a lookup by a column no index leads with is reported, even when the
    plan reads a whole index instead of the table."""
    with services.db.db_engine.connect() as conn:
        conn.exec_driver_sql("SELECT id FROM cases WHERE state = 'draf'").all()
        conn.exec_driver_sql("SELECT coop_id FROM cases WHERE number = 'X'").all()  # (coop_id, number) index
    found = _scans(services, statements)
    assert any("SCAN cases" in line and "state" in line for line in found)
