"""Validated settings, passed explicitly (never read at import time)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from engine.adapters.store.db import normalise_url

__all__ = ["DEFAULT_DB_URL", "Settings"]

DEFAULT_DB_URL = "sqlite:///tatakelola.db"


class Settings(BaseModel):
    """Where the data lives and how the engine behaves."""

    model_config = ConfigDict(frozen=True)

    db_url: str = DEFAULT_DB_URL
    key_path: Path | None = Field(
        default=None, description="Checkpoint-signing key; default beside the SQLite file."
    )
    key_name: str = Field(default="tatakelola", pattern=r"^[^\s+]+$")
    workflow_dirs: tuple[Path, ...] = ()
    attachments_dir: Path | None = Field(
        default=None, description="Store attachment content on disk here instead of in the database."
    )
    max_attachment_mb: float = 20
    timezone: str = "Asia/Jakarta"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        """Settings from TATAKELOLA_* variables, then explicit overrides (CLI options)."""
        env = os.environ if env is None else env
        values: dict[str, object] = {}
        if env.get("TATAKELOLA_DB"):
            values["db_url"] = env["TATAKELOLA_DB"]
        if env.get("TATAKELOLA_KEY"):
            values["key_path"] = Path(env["TATAKELOLA_KEY"])
        if env.get("TATAKELOLA_WORKFLOWS"):
            values["workflow_dirs"] = tuple(Path(p) for p in env["TATAKELOLA_WORKFLOWS"].split(os.pathsep) if p)
        if env.get("TATAKELOLA_ATTACHMENTS"):
            values["attachments_dir"] = Path(env["TATAKELOLA_ATTACHMENTS"])
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls.model_validate(values)

    @property
    def resolved_key_path(self) -> Path:
        """The key file: explicit, else beside the SQLite file, else in the user's config dir."""
        if self.key_path is not None:
            return self.key_path
        url = normalise_url(self.db_url)
        if url.startswith("sqlite:///") and not url.endswith(":memory:"):
            db_file = Path(url[len("sqlite:///"):]).expanduser()
            return db_file.with_name(db_file.stem + "-signing.key")
        return Path.home() / ".config" / "tatakelola" / "signing.key"
