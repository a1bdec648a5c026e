"""hot-path indexes: the queries a decision, a case page and the task inbox run stay flat
as the log grows to millions of entries and the cases to hundreds of thousands

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    # a case page, a proof and a document read a case's entries
    op.create_index('ix_audit_entries_case', 'audit_entries', ['case_id'], unique=False)
    # a case is found by its number alone (CLI, web links); (coop_id, number) cannot serve that
    op.create_index('ix_cases_number', 'cases', ['number'], unique=False)
    # the task inbox reads the open cases, oldest first: a partial index holds only those, so it
    # stays small and right whatever the planner's statistics say about the closed ones
    open_cases = sa.text('closed_at IS NULL')
    op.create_index('ix_cases_open', 'cases', ['coop_id', 'state_since'], unique=False,
                    sqlite_where=open_cases, postgresql_where=open_cases)


def downgrade() -> None:
    op.drop_index('ix_cases_open', table_name='cases')
    op.drop_index('ix_cases_number', table_name='cases')
    op.drop_index('ix_audit_entries_case', table_name='audit_entries')
