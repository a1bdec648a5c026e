"""The schema check's idea of the newest migration is Alembic's own head."""

from __future__ import annotations

from alembic.script import ScriptDirectory

from engine.adapters.store import db


def test_the_schema_check_knows_the_newest_migration() -> None:
    alembic_head = ScriptDirectory.from_config(db._alembic_config()).get_current_head()
    assert alembic_head is not None
    assert alembic_head == db.SCHEMA_HEAD, "bump SCHEMA_HEAD in engine/adapters/store/db.py with the new migration"
