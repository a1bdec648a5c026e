"""idempotent commands and one-seat roles held by the database: the client's request id stored with
the decision it made; one holder per single-seat role on any day (an exclusion constraint over the
term's daterange on PostgreSQL, triggers on SQLite)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None

# Frozen copies: a migration must not change when models.py or roles.py do.
_ONE_SEAT_ROLES = ("ketua", "wakil_ketua_usaha", "wakil_ketua_anggota", "sekretaris", "bendahara",
                   "ketua_pengawas", "manajer", "pimpinan_rapat")
_CONSTRAINT = "ex_role_assignments_one_seat"


def upgrade() -> None:
    op.create_table('idempotency_keys',
    sa.Column('coop_id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.String(length=64), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('command', sa.String(length=8), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('result', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_idempotency_keys_case_id_cases')),
    sa.ForeignKeyConstraint(['coop_id'], ['cooperatives.id'], name=op.f('fk_idempotency_keys_coop_id_cooperatives')),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_idempotency_keys_person_id_people')),
    sa.PrimaryKeyConstraint('coop_id', 'request_id', name=op.f('pk_idempotency_keys'))
    )
    _refuse_existing_overlaps()
    if op.get_bind().dialect.name == "postgresql":
        roles = ", ".join(f"'{r}'" for r in _ONE_SEAT_ROLES)
        # btree_gist (a trusted extension: the database owner may create it) lets a GiST index compare
        # coop_id and role by equality beside the date ranges. Put in `public` when there is one, so a
        # schema dropped later (a test's, a tenant's) does not take other schemas' constraints with it.
        op.execute(
            "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'btree_gist') THEN "
            "IF EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = 'public') THEN "
            "CREATE EXTENSION btree_gist SCHEMA public; ELSE CREATE EXTENSION btree_gist; END IF; END IF; END $$"
        )
        op.execute(
            f"ALTER TABLE role_assignments ADD CONSTRAINT {_CONSTRAINT} EXCLUDE USING gist "
            "(coop_id WITH =, role WITH =, person_id WITH <>, daterange(starts_on, ends_on, '[]') WITH &&) "
            f"WHERE (role IN ({roles}))"
        )
        return
    for role in _ONE_SEAT_ROLES:
        for event, other in (("insert", ""), ("update", " AND r.id <> NEW.id")):
            # The message names the role: SQLite's RAISE takes a literal only, hence one trigger per role.
            op.execute(
                f"CREATE TRIGGER trg_one_seat_{role}_{event} BEFORE {event.upper()} ON role_assignments "  # noqa: S608
                f"WHEN NEW.role = '{role}' AND EXISTS (SELECT 1 FROM role_assignments r "
                "WHERE r.coop_id = NEW.coop_id AND r.role = NEW.role AND r.person_id <> NEW.person_id"
                f"{other} AND r.starts_on <= COALESCE(NEW.ends_on, '9999-12-31') "
                "AND NEW.starts_on <= COALESCE(r.ends_on, '9999-12-31')) "
                f"BEGIN SELECT RAISE(ABORT, '{_CONSTRAINT}: {role}'); END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"ALTER TABLE role_assignments DROP CONSTRAINT IF EXISTS {_CONSTRAINT}")
    else:
        for role in _ONE_SEAT_ROLES:
            for event in ("insert", "update"):
                op.execute(f"DROP TRIGGER IF EXISTS trg_one_seat_{role}_{event}")
    op.drop_table('idempotency_keys')


def _refuse_existing_overlaps() -> None:
    """Stop (changing nothing) when two people already hold one seat on the same day: say who and where."""
    roles = ", ".join(f"'{r}'" for r in _ONE_SEAT_ROLES)
    rows = op.get_bind().execute(sa.text(
        "SELECT c.slug, a.role, pa.username, pb.username FROM role_assignments a "  # noqa: S608
        "JOIN role_assignments b ON b.coop_id = a.coop_id AND b.role = a.role AND b.person_id <> a.person_id "
        "AND b.id > a.id AND a.starts_on <= COALESCE(b.ends_on, '9999-12-31') "
        "AND b.starts_on <= COALESCE(a.ends_on, '9999-12-31') "
        "JOIN cooperatives c ON c.id = a.coop_id JOIN people pa ON pa.id = a.person_id "
        f"JOIN people pb ON pb.id = b.person_id WHERE a.role IN ({roles}) ORDER BY c.slug, a.role"
    )).all()
    if rows:
        from engine.errors import ConfigurationError

        listed = "; ".join(f"{slug}: {role} dipegang {a} dan {b}" for slug, role, a, b in rows[:10])
        raise ConfigurationError(
            "Basis data tidak dapat diperbarui: jabatan satu kursi dipegang dua orang pada hari yang sama "
            f"({listed}). Perbaiki masa jabatan itu dahulu, lalu jalankan `tatakelola init` lagi.")
