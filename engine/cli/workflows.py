"""``workflows``: list, check, show and the JSON Schema of the procedures; migrate running cases."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from engine.cli._context import CliContext, cli_context
from engine.cli._output import shown
from engine.errors import ChecksFailedError, DefinitionError, NotFoundError, Problem

if TYPE_CHECKING:  # the definitions (YAML, pydantic) load inside the commands, not for --help
    from engine.domain.definitions.loader import LoadedDefinition
    from engine.domain.definitions.registry import Registry
    from engine.services.migration import MigrationPlan

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
    """Periksa skema dan lint prosedur. Keluar 0 bila bersih, 1 bila ada temuan.

    Nomor SOP di keterkaitan harus nomor salah satu berkas yang diperiksa atau prosedur yang dipakai.
    """
    from engine.domain.definitions.lint import lint_many
    from engine.domain.definitions.loader import load_definition
    from engine.domain.definitions.registry import data_dir, workflow_files

    cli = cli_context(ctx)
    in_use = list(cli.settings.workflow_dirs) or [data_dir("workflows")]
    targets = paths or in_use
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
    problems += lint_many(loaded, _numbers_in_use(in_use, {Path(item.path) for item in loaded}))
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


@workflows_app.command("migrate")
def workflows_migrate(
    ctx: typer.Context,
    workflow: Annotated[str, typer.Argument(help="ID prosedur yang kasus berjalannya dipindah.")],
    from_version: Annotated[int, typer.Option("--from", help="Versi asal (yang dipakai kasus sekarang).")],
    to_version: Annotated[int, typer.Option("--to", help="Versi tujuan.")],
    coop: Annotated[str, typer.Option("--coop", help="Kode koperasi.")],
    state_map: Annotated[list[str] | None, typer.Option(
        "--map", help="status_lama=status_baru, untuk status yang tidak ada di versi tujuan (boleh berulang).")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Hanya tampilkan rencana; tidak ada yang diubah.")] = False,
    as_user: Annotated[str | None, typer.Option(
        "--as", "--user", help="Sekretaris atau ketua yang mengajukan pemindahan (tanpa --dry-run).")] = None,
) -> None:
    """Pindahkan kasus berjalan ke versi baru prosedurnya: rencana (--dry-run) atau usulan ke rapat pengurus.

    Keluar 1 bila ada kasus yang tidak dapat dipindah (tidak ada yang diajukan).
    """
    from engine.errors import UsageError
    from engine.services.migration import parse_map

    cli = cli_context(ctx)
    mapping = parse_map(state_map or [])
    migrations = cli.services.migrations
    if dry_run:
        plan = migrations.plan(workflow, from_version, to_version, mapping, coop)
    else:
        if not as_user:
            raise UsageError("Sebutkan pengusul dengan --as PENGGUNA (sekretaris atau ketua), atau pakai --dry-run.")
        plan = migrations.plan(workflow, from_version, to_version, mapping, coop)
        if not plan.blocked and plan.lines:
            plan, number = migrations.propose(workflow, from_version, to_version, mapping, coop, as_user)
            _print_plan(cli, plan)
            cli.out.print(f"Usulan pemindahan {shown(number)} diajukan kepada rapat pengurus.")
            cli.out.print(f"Langkah berikutnya: pengurus lain (bukan {shown(as_user)}) menyetujui sampai kuorum AD/ART "
                          f"tercapai, lewat aplikasi web atau `tatakelola case act {shown(number)} setujui --as "
                          "PENGURUS`. Kasus dipindahkan tepat saat persetujuan berlaku.")
            return
    _print_plan(cli, plan)
    if plan.blocked:
        raise ChecksFailedError(f"{len(plan.blocked)} dari {len(plan.lines)} kasus tidak dapat dipindah"
                                + ("" if dry_run else "; usulan tidak dibuat") + ".")
    if not plan.lines:
        cli.out.print(f"Tidak ada kasus berjalan prosedur '{shown(workflow)}' versi {from_version} di {shown(coop)}.")


def _print_plan(cli: CliContext, plan: MigrationPlan) -> None:
    """The plan as a table, with its fingerprint."""
    table = Table("Kasus", "Status sekarang", f"Status di versi {plan.to_version}", "Keterangan",
                  title=f"{shown(plan.title)}: versi {plan.from_version} → {plan.to_version} ({shown(plan.coop)})")
    for line in plan.lines:
        if line.movable:
            table.add_row(shown(line.number), shown(line.from_title), shown(line.to_title or ""), "akan dipindah")
        else:
            table.add_row(shown(line.number), shown(line.from_title), "—",
                          f"[red]tidak dapat dipindah:[/] {shown(line.reason or '')}")
    cli.out.print(table)
    moving = sum(1 for line in plan.lines if line.movable)
    cli.out.print(f"{moving} akan dipindah, {len(plan.lines) - moving} tidak dapat dipindah.")
    cli.out.print(f"Sidik rencana (SHA-256): {plan.sha256}")


def _numbers_in_use(dirs: list[Path], checked: set[Path]) -> set[str]:
    """The SOP numbers of the procedures in use (configured or shipped) that are not being checked.

    A file that does not load adds no number; checking it reports why.
    """
    from engine.domain.definitions.loader import load_definition
    from engine.domain.definitions.registry import workflow_files

    numbers: set[str] = set()
    for path in workflow_files(dirs):
        if path in checked or not path.exists():
            continue
        try:
            numbers.add(load_definition(path).as_written.sop.nomor)
        except DefinitionError:
            continue
    return numbers


def _registry(cli: CliContext) -> Registry:
    """The configured procedures, read without opening the database (as the services read them)."""
    from engine.domain.definitions.registry import Registry

    return Registry.configured(cli.settings.workflow_dirs)
