"""terms of office made by a procedure: role_assignments.case_id names the case that appointed or
installed the term (an ``appoint``/``install`` effect); NULL for a term from the organisation file

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-08
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        # SQLite adds a column's reference only in ADD COLUMN itself; a plain ADD COLUMN keeps the
        # one-seat triggers of migration 0008 (a batch copy of the table would drop them).
        op.execute('ALTER TABLE role_assignments ADD COLUMN case_id INTEGER '
                   'CONSTRAINT fk_role_assignments_case_id_cases REFERENCES cases (id)')
    else:
        op.add_column('role_assignments', sa.Column('case_id', sa.Integer(), nullable=True))
        op.create_foreign_key(op.f('fk_role_assignments_case_id_cases'), 'role_assignments', 'cases',
                              ['case_id'], ['id'])
    op.create_index('ix_role_assignments_case', 'role_assignments', ['case_id'])


def downgrade() -> None:
    op.drop_index('ix_role_assignments_case', table_name='role_assignments')
    if op.get_bind().dialect.name != 'sqlite':
        op.drop_constraint(op.f('fk_role_assignments_case_id_cases'), 'role_assignments', type_='foreignkey')
    op.drop_column('role_assignments', 'case_id')
