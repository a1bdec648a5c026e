"""The ``tatakelola`` command: parse -> service -> print; errors -> exit codes.

Messages are in Indonesian. Exit codes come from :func:`engine.errors.exit_code_for`: 0 ok,
1 invalid input / findings / verification failed, 2 usage or set-up problem, 3 not found,
4 not permitted, 5 already decided, 70 unexpected internal error (never with a traceback
unless TATAKELOLA_DEBUG=1), 130 interrupted.

One module per command group; the root callback turns the global options into one
:class:`~engine.cli._context.CliContext` in ``ctx.obj``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from engine.cli._context import CliContext, make_consoles
from engine.cli.audit import audit_app
from engine.cli.cases import case_app, tasks
from engine.cli.documents import doc_app
from engine.cli.members import members_app
from engine.cli.setup import init, org_app, user_app
from engine.cli.web import demo, serve
from engine.cli.workflows import workflows_app
from engine.errors import EXIT_UNEXPECTED, ChecksFailedError, TatakelolaError, exit_code_for
from engine.settings import Settings, debug_enabled

__all__ = ["app", "main"]

app = typer.Typer(
    name="tatakelola",
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
    settings = Settings.from_env(db_url=db, key_path=key, workflow_dirs=tuple(workflows) if workflows else None)
    out, err = make_consoles()
    ctx.obj = CliContext(settings, out, err)


for command in (init, tasks, demo, serve):
    app.command()(command)
app.add_typer(org_app, name="org")
app.add_typer(workflows_app, name="workflows")
app.add_typer(case_app, name="case")
app.add_typer(audit_app, name="audit")
app.add_typer(doc_app, name="doc")
app.add_typer(user_app, name="user")
app.add_typer(members_app, name="anggota")
app.add_typer(members_app, name="members", hidden=True)


def main() -> None:
    """Console entry point: engine errors become Indonesian messages and exit codes."""
    try:
        app()  # standalone: usage errors exit 2, typer.Exit carries its code
    except ChecksFailedError as exc:  # a report whose details are already printed, not an error
        _stderr().print(escape(exc.message))
        sys.exit(exit_code_for(exc))
    except TatakelolaError as exc:
        _stderr().print(f"[red]Galat:[/] {escape(exc.message)}")
        sys.exit(exit_code_for(exc))
    except KeyboardInterrupt as exc:
        sys.exit(exit_code_for(exc))
    except Exception as exc:
        if debug_enabled():
            raise
        _stderr().print(f"[red]Terjadi kesalahan tak terduga:[/] {escape(type(exc).__name__)}: "
                        f"{escape(str(exc)[:500])}\n"
                        "Tidak ada perubahan yang disimpan. Jalankan ulang dengan TATAKELOLA_DEBUG=1 untuk rinciannya.")
        sys.exit(EXIT_UNEXPECTED)


def _stderr() -> Console:
    return make_consoles()[1]
