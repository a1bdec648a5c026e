"""document certificates: the installation's PDF-signing certificates (append-only)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None

_TABLE = "document_certificates"


def upgrade() -> None:
    op.create_table(_TABLE,
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('certificate', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_document_certificates')),
    sa.UniqueConstraint('fingerprint', name=op.f('uq_document_certificates_fingerprint'))
    )
    if op.get_bind().dialect.name == "postgresql":  # the function comes from 0001
        op.execute(f"CREATE TRIGGER trg_{_TABLE}_append_only BEFORE UPDATE OR DELETE ON {_TABLE} "
                   "FOR EACH ROW EXECUTE FUNCTION tatakelola_append_only()")
        op.execute(f"CREATE TRIGGER trg_{_TABLE}_no_truncate BEFORE TRUNCATE ON {_TABLE} "
                   "FOR EACH STATEMENT EXECUTE FUNCTION tatakelola_append_only()")
    else:
        for op_name in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER trg_{_TABLE}_no_{op_name.lower()} BEFORE {op_name} ON {_TABLE} "
                       f"BEGIN SELECT RAISE(ABORT, 'tatakelola: {_TABLE} is append-only ({op_name} refused)'); END")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP TRIGGER IF EXISTS trg_{_TABLE}_append_only ON {_TABLE}")
        op.execute(f"DROP TRIGGER IF EXISTS trg_{_TABLE}_no_truncate ON {_TABLE}")
    else:
        op.execute(f"DROP TRIGGER IF EXISTS trg_{_TABLE}_no_update")
        op.execute(f"DROP TRIGGER IF EXISTS trg_{_TABLE}_no_delete")
    op.drop_table(_TABLE)
