"""documents: issued documents register, RAPB lines and Rencana Kerja items

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None

#: Frozen here on purpose: a migration must not change when the models module does.
_APPEND_ONLY = ("issued_documents",)


def upgrade() -> None:
    op.create_table('budgets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('coop_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('locked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('case_number', sa.String(length=32), nullable=True),
    sa.Column('source_name', sa.String(length=255), nullable=True),
    sa.Column('source_sha256', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['coop_id'], ['cooperatives.id'], name=op.f('fk_budgets_coop_id_cooperatives')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_budgets')),
    sa.UniqueConstraint('coop_id', 'year', 'revision', name=op.f('uq_budgets_coop_id_year_revision'))
    )
    op.create_table('issued_documents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('coop_id', sa.Integer(), nullable=True),
    sa.Column('number', sa.String(length=80), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=True),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('pages', sa.Integer(), nullable=False),
    sa.Column('log_size', sa.BigInteger(), nullable=True),
    sa.Column('log_root', sa.String(length=64), nullable=True),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['coop_id'], ['cooperatives.id'], name=op.f('fk_issued_documents_coop_id_cooperatives')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_issued_documents'))
    )
    op.create_index('ix_issued_documents_coop_number', 'issued_documents', ['coop_id', 'number'], unique=False)
    op.create_index('ix_issued_documents_sha256', 'issued_documents', ['sha256'], unique=False)
    op.create_table('budget_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('coop_id', sa.Integer(), nullable=False),
    sa.Column('budget_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('section', sa.String(length=4), nullable=False),
    sa.Column('unit', sa.String(length=120), nullable=True),
    sa.Column('uraian', sa.String(length=300), nullable=False),
    sa.Column('realisasi', sa.BigInteger(), nullable=True),
    sa.Column('anggaran', sa.BigInteger(), nullable=True),
    sa.Column('rencana', sa.BigInteger(), nullable=True),
    sa.Column('keterangan', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['budget_id'], ['budgets.id'], name=op.f('fk_budget_lines_budget_id_budgets')),
    sa.ForeignKeyConstraint(['coop_id'], ['cooperatives.id'], name=op.f('fk_budget_lines_coop_id_cooperatives')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_budget_lines'))
    )
    op.create_index('ix_budget_lines_budget', 'budget_lines', ['budget_id', 'position'], unique=False)
    op.create_table('work_plan_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('coop_id', sa.Integer(), nullable=False),
    sa.Column('budget_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('bidang', sa.String(length=16), nullable=False),
    sa.Column('program', sa.String(length=300), nullable=False),
    sa.Column('kegiatan', sa.String(length=500), nullable=False),
    sa.Column('target', sa.String(length=300), nullable=True),
    sa.Column('waktu', sa.String(length=120), nullable=True),
    sa.Column('penanggung_jawab', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['budget_id'], ['budgets.id'], name=op.f('fk_work_plan_items_budget_id_budgets')),
    sa.ForeignKeyConstraint(['coop_id'], ['cooperatives.id'], name=op.f('fk_work_plan_items_coop_id_cooperatives')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_work_plan_items'))
    )
    op.create_index('ix_work_plan_items_budget', 'work_plan_items', ['budget_id', 'position'], unique=False)

    _create_append_only_triggers()


def downgrade() -> None:
    _drop_append_only_triggers()
    op.drop_index('ix_work_plan_items_budget', table_name='work_plan_items')
    op.drop_table('work_plan_items')
    op.drop_index('ix_budget_lines_budget', table_name='budget_lines')
    op.drop_table('budget_lines')
    op.drop_index('ix_issued_documents_sha256', table_name='issued_documents')
    op.drop_index('ix_issued_documents_coop_number', table_name='issued_documents')
    op.drop_table('issued_documents')
    op.drop_table('budgets')


def _create_append_only_triggers() -> None:
    """Same triggers as 0001 (its tatakelola_append_only() function is reused on PostgreSQL)."""
    dialect = op.get_bind().dialect.name
    for table in _APPEND_ONLY:
        if dialect == "postgresql":
            op.execute(
                f"CREATE TRIGGER trg_{table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION tatakelola_append_only()"
            )
            op.execute(
                f"CREATE TRIGGER trg_{table}_no_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION tatakelola_append_only()"
            )
        else:
            for op_name in ("UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER trg_{table}_no_{op_name.lower()} BEFORE {op_name} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, 'tatakelola: {table} is append-only "
                    f"({op_name} refused)'); END"
                )


def _drop_append_only_triggers() -> None:
    dialect = op.get_bind().dialect.name
    for table in _APPEND_ONLY:
        if dialect == "postgresql":
            op.execute(f"DROP TRIGGER IF EXISTS trg_{table}_append_only ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS trg_{table}_no_truncate ON {table}")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS trg_{table}_no_update")
            op.execute(f"DROP TRIGGER IF EXISTS trg_{table}_no_delete")
