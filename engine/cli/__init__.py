"""The ``tatakelola`` command: parse -> service -> print; errors -> exit codes.

Messages are in Indonesian. Exit codes come from :func:`engine.errors.exit_code_for`: 0 ok,
1 invalid input / findings / verification failed, 2 usage or set-up problem, 3 not found,
4 not permitted, 5 already decided, 70 unexpected internal error (never with a traceback
unless TATAKELOLA_DEBUG=1), 75 database busy (try again), 78 environment fault (database
unreachable, missing, login refused, read-only, disk full), 130 interrupted.

One module per command group; the root callback turns the global options into one
:class:`~engine.cli._context.CliContext` in ``ctx.obj``. A command group is imported and built
only when it is named (or listed, for help): see :class:`_Root`.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Callable, Iterator, MutableMapping
from importlib import import_module
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from typer.core import TyperGroup
from typer.main import get_group_from_info
from typer.models import TyperInfo

from engine.cli._context import CliContext, make_consoles
from engine.cli._options import check_argv
from engine.cli._output import shown
from engine.cli.backup import backup, restore
from engine.cli.cases import tasks
from engine.cli.delegation import delegate
from engine.cli.setup import init
from engine.cli.tick import tick
from engine.cli.web import demo, serve
from engine.errors import EXIT_UNEXPECTED, ChecksFailedError, TatakelolaError, exit_code_for

__all__ = ["app", "main"]

_GROUPS: dict[str, tuple[str, str, bool]] = {  # name -> (module, Typer app, hidden), in the order help lists them
    "org": ("engine.cli.setup", "org_app", False),
    "workflows": ("engine.cli.workflows", "workflows_app", False),
    "case": ("engine.cli.cases", "case_app", False),
    "audit": ("engine.cli.audit", "audit_app", False),
    "doc": ("engine.cli.documents", "doc_app", False),
    "user": ("engine.cli.setup", "user_app", False),
    "anggota": ("engine.cli.members", "members_app", False),
    "members": ("engine.cli.members", "members_app", True),
    "latihan": ("engine.cli.training", "training_app", False),
    "delegasi": ("engine.cli.delegation", "delegation_app", False),
    "notifikasi": ("engine.cli.notifications", "notifications_app", False),
}


class _Commands(MutableMapping[str, Any]):
    """The root's commands by name: a group of ``_GROUPS`` is built on its first lookup."""

    def __init__(self, built: MutableMapping[str, Any], build: Callable[[str], Any]) -> None:
        self._built = dict(built)
        self._build = build

    def __getitem__(self, name: str) -> Any:
        if name not in self._built:
            if name not in _GROUPS:
                raise KeyError(name)
            self._built[name] = self._build(name)
        return self._built[name]

    def __setitem__(self, name: str, command: Any) -> None:
        self._built[name] = command

    def __delitem__(self, name: str) -> None:
        del self._built[name]

    def __contains__(self, name: object) -> bool:
        return name in self._built or name in _GROUPS

    def __iter__(self) -> Iterator[str]:
        return iter([*(n for n in self._built if n not in _GROUPS), *_GROUPS])

    def __len__(self) -> int:
        return len(set(self._built) | set(_GROUPS))


class _Root(TyperGroup):
    """``tatakelola`` itself. Typer reads the signature of every command of a group it builds, which
    costs more than most commands' own work; here ``case show`` builds the ``case`` group alone."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.commands = _Commands(self.commands, self._group)

    def _group(self, name: str) -> Any:
        module, attribute, hidden = _GROUPS[name]
        return get_group_from_info(TyperInfo(getattr(import_module(module), attribute), name=name, hidden=hidden),
                                   pretty_exceptions_short=app.pretty_exceptions_short,
                                   rich_markup_mode=self.rich_markup_mode, suggest_commands=self.suggest_commands)


app = typer.Typer(
    name="tatakelola",
    cls=_Root,
    help="Tatakelola: SOP koperasi yang berjalan, dengan jejak persetujuan yang dapat diverifikasi.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def _global(
    ctx: typer.Context,
    db: Annotated[str | None, typer.Option("--db", help="Alamat basis data (default: sqlite:///tatakelola.db "
                                            "atau TATAKELOLA_DB).", show_default=False)] = None,
    key: Annotated[Path | None, typer.Option("--key", help="Berkas kunci penanda tangan checkpoint "
                                              "(default: di samping berkas SQLite, atau TATAKELOLA_KEY).")] = None,
    workflows: Annotated[list[Path] | None, typer.Option(
        "--workflows", help="Folder prosedur yang dipakai menggantikan prosedur bawaan.")] = None,
) -> None:
    from engine.settings import Settings  # pydantic: not needed to print help

    settings = Settings.from_env(db_url=db, key_path=key, workflow_dirs=tuple(workflows) if workflows else None)
    out, err = make_consoles()
    ctx.obj = CliContext(settings, out, err)


for command in (init, tasks, demo, serve, backup, restore, delegate, tick):
    app.command()(command)


def main() -> None:
    """Console entry point: engine errors become Indonesian messages and exit codes."""
    # openpyxl warns in English about odd cells ("Cell F7 is marked as a date..."); the importer names
    # every cell it refuses in Indonesian, so its warnings are not for the person at the terminal.
    warnings.filterwarnings("ignore", category=UserWarning, module=r"openpyxl(\.|$)")
    try:
        check_argv(sys.argv[1:])  # bytes that are not UTF-8: a usage error, before anything runs
        app()  # standalone: usage errors exit 2, typer.Exit carries its code
    except ChecksFailedError as exc:  # a report whose details are already printed, not an error
        _stderr().print(shown(exc.message))
        sys.exit(exit_code_for(exc))
    except TatakelolaError as exc:
        _stderr().print(f"[red]Galat:[/] {shown(exc.message)}")
        sys.exit(exit_code_for(exc))
    except KeyboardInterrupt as exc:
        sys.exit(exit_code_for(exc))
    except Exception as exc:
        from engine.settings import debug_enabled

        if debug_enabled():
            raise
        _stderr().print(f"[red]Terjadi kesalahan tak terduga:[/] {escape(type(exc).__name__)}: "
                        f"{shown(_unexpected_detail(exc))}\n"
                        f"{_saved_sentence()} Jalankan ulang dengan TATAKELOLA_DEBUG=1 untuk rinciannya.")
        sys.exit(EXIT_UNEXPECTED)


_DRIVERS = ("sqlalchemy", "psycopg", "sqlite3", "_sqlite3", "alembic")


def _unexpected_detail(exc: BaseException) -> str:
    """The text of an unexpected error, except a database driver's (it carries SQL and its parameters)."""
    if type(exc).__module__.split(".")[0] in _DRIVERS:
        return "galat basis data (rincian disembunyikan karena dapat memuat data)"
    return str(exc)[:500]


def _saved_sentence() -> str:
    """What was saved before the error, as the units of work recorded it (never a guess)."""
    from engine.services.outcomes import saved_sentence

    return saved_sentence()


def _stderr() -> Console:
    return make_consoles()[1]
