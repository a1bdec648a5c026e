"""``workflows``: list, check, show and the JSON Schema of the procedures."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from engine.cli._context import CliContext, cli_context
from engine.errors import ChecksFailedError, DefinitionError, NotFoundError, Problem

if TYPE_CHECKING:  # the definitions (YAML, pydantic) load inside the commands, not for --help
    from engine.domain.definitions.loader import LoadedDefinition
    from engine.domain.definitions.registry import Registry

__all__ = ["workflows_app"]

workflows_app = typer.Typer(help="Prosedur (SOP/SOM) dalam folder workflows/.", no_args_is_help=True)


@workflows_app.command("list")
def workflows_list(ctx: typer.Context) -> None:
    """Daftar prosedur yang tersedia."""
    cli = cli_context(ctx)
    table = Table("ID", "Versi", "Nomor SOP", "Judul", "Bidang")
    for loaded in _registry(cli).all():
        d = loaded.definition
        table.add_row(d.id, str(d.version), d.sop.nomor, escape(d.title), d.category)
    cli.out.print(table)


@workflows_app.command("check")
def workflows_check(
    ctx: typer.Context,
    paths: Annotated[list[Path] | None, typer.Argument(help="Berkas atau folder (default: prosedur bawaan).")] = None,
) -> None:
    """Periksa skema dan lint prosedur. Keluar 0 bila bersih, 1 bila ada temuan."""
    from engine.domain.definitions.lint import lint_many
    from engine.domain.definitions.loader import load_definition
    from engine.domain.definitions.registry import data_dir, workflow_files

    cli = cli_context(ctx)
    targets = paths or list(cli.settings.workflow_dirs) or [data_dir("workflows")]
    files = workflow_files(targets)
    if not files:
        folders = ", ".join(str(t) for t in targets)
        raise NotFoundError(f"Tidak ada definisi prosedur di folder {folders} (berkas *.yaml atau *.yml).")
    problems: list[Problem] = []
    loaded: list[LoadedDefinition] = []
    for path in files:
        if not path.exists():
            problems.append(Problem(str(path), 1, 1, "berkas tidak ditemukan"))
            continue
        try:
            loaded.append(load_definition(path))
        except DefinitionError as exc:
            problems += exc.problems
    problems += lint_many(loaded)
    for problem in problems:
        cli.out.print(str(problem), markup=False, emoji=False)
    if problems:
        raise ChecksFailedError(f"{len(problems)} temuan pada {len(files)} berkas.")
    cli.out.print(f"Bersih: {len(files)} berkas prosedur diperiksa.")


@workflows_app.command("show")
def workflows_show(
    ctx: typer.Context,
    workflow: Annotated[str, typer.Argument(help="ID prosedur.")],
    mermaid: Annotated[bool, typer.Option("--mermaid", help="Cetak diagram mermaid.")] = False,
) -> None:
    """Tampilkan langkah, peran dan aksi sebuah prosedur."""
    from engine.domain.roles import role_label

    cli = cli_context(ctx)
    out = cli.out
    loaded = _registry(cli).get(workflow)
    if mermaid:
        from engine.domain.machine import machine_for

        out.print(machine_for(loaded).mermaid(), end="", markup=False)
        return
    d = loaded.definition
    out.print(f"[bold]{escape(d.title)}[/] ({d.sop.nomor}) — {loaded.pinned_ref}")
    if d.summary:
        out.print(escape(d.summary))
    out.print("Peran: " + ", ".join(role_label(r) for r in d.roles))
    for name, spec in d.settings_used.items():
        out.print(f"Setting {name} = {spec.default!r} — {escape(spec.label)}")
    for state_id, state in d.states.items():
        mark = " (akhir)" if state.final else ""
        out.print(f"\n[bold]{state_id}[/]{mark}: {escape(state.title)}")
        for action in d.actions_from(state_id):
            cond = f" bila {action.when}" if action.when else ""
            quorum = f", kuorum {action.quorum.count}" if action.quorum else ""
            meeting = action.attendance
            if meeting is not None:
                quorum += f", daftar hadir {meeting.field}"
                if meeting.percent is not None:
                    percent = f"{meeting.percent}%" if isinstance(meeting.percent, int) else meeting.percent
                    if isinstance(meeting.more_than, bool):
                        rule = f"{'lebih dari' if meeting.more_than else 'sekurang-kurangnya'} {percent}"
                    else:
                        rule = f"{percent} (lebih dari: {meeting.more_than})"
                    quorum += f", kuorum kehadiran {rule}" + ("" if meeting.reached else " tidak tercapai")
            roles = ", ".join(role_label(r) for r in action.roles)
            out.print(f"  → {action.id}: {escape(action.display)} → {action.to} ({roles}{quorum}){escape(cond)}")


@workflows_app.command("schema")
def workflows_schema(
    ctx: typer.Context,
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Tulis ke berkas.")] = None,
) -> None:
    """Cetak JSON Schema bahasa prosedur (untuk editor)."""
    from engine.domain.definitions.schema import json_schema_text

    text = json_schema_text()
    if output:
        output.write_text(text, encoding="utf-8")
        cli_context(ctx).out.print(f"Skema ditulis ke {output}")
    else:
        sys.stdout.write(text)


def _registry(cli: CliContext) -> Registry:
    """The configured procedures, read without opening the database (as the services read them)."""
    from engine.domain.definitions.registry import Registry

    return Registry.configured(cli.settings.workflow_dirs)
