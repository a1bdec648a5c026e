"""What every command receives in ``ctx.obj``: the settings, the two consoles, the services.

The root callback builds one :class:`CliContext` from the global options; commands fetch it
with :func:`cli_context`. Nothing here is module state, and the services facade (with its
database) is only created when a command first asks for it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import typer
from rich.console import Console

from engine.errors import UsageError

if TYPE_CHECKING:  # the facade pulls in the database layer, the settings pydantic: imported when first used
    from engine.services import Services
    from engine.settings import Settings

__all__ = ["CliContext", "cli_context", "make_consoles"]


def make_consoles() -> tuple[Console, Console]:
    """The (stdout, stderr) consoles every command prints through.

    No emoji codes: ``rat.yaml:100:12`` must print as written, not with ``:100:`` turned into 💯.
    """
    return (Console(highlight=False, soft_wrap=True, emoji=False),
            Console(stderr=True, highlight=False, soft_wrap=True, emoji=False))


@dataclass
class CliContext:
    """One run of the command: its configuration, where it prints, and its services."""

    settings: Settings
    out: Console
    err: Console
    _services: Services | None = field(default=None, init=False, repr=False)

    @property
    def db_configured(self) -> bool:
        """True when a database was named (``--db`` or TATAKELOLA_DB), not just the default."""
        return "db_url" in self.settings.model_fields_set

    @property
    def services(self) -> Services:
        """The engine's use cases over the configured database (created on first use)."""
        if self._services is None:
            self._services = self.services_for(self.settings)
        return self._services

    @staticmethod
    def services_for(settings: Settings) -> Services:
        """Services over other settings (e.g. ``doc verify --db``)."""
        from engine.services import Services

        return Services(settings)


def cli_context(ctx: typer.Context) -> CliContext:
    """The :class:`CliContext` the root callback stored for this run."""
    obj = ctx.find_root().obj
    if not isinstance(obj, CliContext):  # a sub-app invoked on its own, without the root callback
        raise UsageError("Perintah ini dijalankan tanpa perintah utama `tatakelola`.")
    return obj
