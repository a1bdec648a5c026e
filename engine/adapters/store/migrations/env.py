"""Alembic environment: runs on the connection handed in by engine.adapters.store.db."""

from alembic import context

from engine.adapters.store.models import Base

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # pragma: no cover - always called through Database.upgrade
    raise RuntimeError("run migrations through `tatakelola init`")
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
