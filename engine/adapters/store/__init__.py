"""Persistence adapters: SQLAlchemy models, database setup, Alembic migrations."""

from engine.adapters.store.db import Database, as_utc, normalise_url, utcnow

__all__ = ["Database", "as_utc", "normalise_url", "utcnow"]
