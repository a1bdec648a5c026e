"""delegation (a.n.), escalation of overdue steps, the notification outbox, case migrations between
procedure versions, training cooperatives and people's e-mail addresses

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('cooperatives', sa.Column('training', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.add_column('people', sa.Column('email', sa.String(length=254), nullable=True))
    # case_events is append-only (triggers reject UPDATE/DELETE): adding a nullable column rewrites no row.
    if op.get_bind().dialect.name == 'sqlite':  # SQLite adds a column's reference only in ADD COLUMN itself
        op.execute('ALTER TABLE case_events ADD COLUMN on_behalf_of_id INTEGER '
                   'CONSTRAINT fk_case_events_on_behalf_of_id_people REFERENCES people (id)')
    else:
        op.add_column('case_events', sa.Column('on_behalf_of_id', sa.Integer(), nullable=True))
        op.create_foreign_key(op.f('fk_case_events_on_behalf_of_id_people'), 'case_events', 'people',
                              ['on_behalf_of_id'], ['id'])
    op.create_table('delegations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('coop_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=40), nullable=False),
    sa.Column('holder_id', sa.Integer(), nullable=False),
    sa.Column('delegate_id', sa.Integer(), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('reason', sa.String(length=300), nullable=True),
    sa.Column('created_by', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_seq', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['coop_id'], ['cooperatives.id'], name=op.f('fk_delegations_coop_id_cooperatives')),
    sa.ForeignKeyConstraint(['created_by'], ['people.id'], name=op.f('fk_delegations_created_by_people')),
    sa.ForeignKeyConstraint(['delegate_id'], ['people.id'], name=op.f('fk_delegations_delegate_id_people')),
    sa.ForeignKeyConstraint(['holder_id'], ['people.id'], name=op.f('fk_delegations_holder_id_people')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_delegations'))
    )
    op.create_index('ix_delegations_coop_delegate', 'delegations', ['coop_id', 'delegate_id', 'starts_on'])
    op.create_table('escalations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('coop_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('step_no', sa.Integer(), nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('to_role', sa.String(length=40), nullable=True),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_escalations_case_id_cases')),
    sa.ForeignKeyConstraint(['coop_id'], ['cooperatives.id'], name=op.f('fk_escalations_coop_id_cooperatives')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_escalations')),
    sa.UniqueConstraint('case_id', 'step_no', 'level', name=op.f('uq_escalations_case_id_step_no_level'))
    )
    op.create_index('ix_escalations_coop', 'escalations', ['coop_id', 'at'])
    op.create_table('outbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('coop_id', sa.Integer(), nullable=True),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('link', sa.String(length=300), nullable=True),
    sa.Column('dedupe_key', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('email_state', sa.String(length=12), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.String(length=300), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_outbox_case_id_cases')),
    sa.ForeignKeyConstraint(['coop_id'], ['cooperatives.id'], name=op.f('fk_outbox_coop_id_cooperatives')),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_outbox_person_id_people')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox')),
    sa.UniqueConstraint('dedupe_key', name=op.f('uq_outbox_dedupe_key'))
    )
    op.create_index('ix_outbox_person', 'outbox', ['person_id', 'created_at'])
    op.create_index('ix_outbox_email', 'outbox', ['email_state', 'next_attempt_at'])
    op.create_table('case_migrations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('coop_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('from_definition_id', sa.Integer(), nullable=False),
    sa.Column('to_definition_id', sa.Integer(), nullable=False),
    sa.Column('from_state', sa.String(length=64), nullable=False),
    sa.Column('to_state', sa.String(length=64), nullable=False),
    sa.Column('approval_case_id', sa.Integer(), nullable=True),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['approval_case_id'], ['cases.id'], name=op.f('fk_case_migrations_approval_case_id_cases')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_migrations_case_id_cases')),
    sa.ForeignKeyConstraint(['coop_id'], ['cooperatives.id'], name=op.f('fk_case_migrations_coop_id_cooperatives')),
    sa.ForeignKeyConstraint(['from_definition_id'], ['definitions.id'], name=op.f('fk_case_migrations_from_definition_id_definitions')),
    sa.ForeignKeyConstraint(['to_definition_id'], ['definitions.id'], name=op.f('fk_case_migrations_to_definition_id_definitions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_migrations'))
    )
    op.create_index('ix_case_migrations_case', 'case_migrations', ['case_id'])


def downgrade() -> None:
    op.drop_index('ix_case_migrations_case', table_name='case_migrations')
    op.drop_table('case_migrations')
    op.drop_index('ix_outbox_email', table_name='outbox')
    op.drop_index('ix_outbox_person', table_name='outbox')
    op.drop_table('outbox')
    op.drop_index('ix_escalations_coop', table_name='escalations')
    op.drop_table('escalations')
    op.drop_index('ix_delegations_coop_delegate', table_name='delegations')
    op.drop_table('delegations')
    if op.get_bind().dialect.name != 'sqlite':
        op.drop_constraint(op.f('fk_case_events_on_behalf_of_id_people'), 'case_events', type_='foreignkey')
    op.drop_column('case_events', 'on_behalf_of_id')
    op.drop_column('people', 'email')
    op.drop_column('cooperatives', 'training')
