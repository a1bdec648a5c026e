"""``latihan``: open or restart a person's sandbox cooperative (training mode)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from engine.cli._context import CliContext, cli_context
from engine.cli._output import shown

if TYPE_CHECKING:
    from engine.services.training import Sandbox

__all__ = ["training_app"]

training_app = typer.Typer(
    help="Mode latihan: ruang latihan (koperasi tiruan) per orang; tidak tercatat di koperasi sungguhan.",
    no_args_is_help=True)

_USER = typer.Option("--user", "--as", "-u", help="Nama pengguna peserta latihan.")
_ROLE = typer.Option("--peran", help="Jabatan yang dilatih di ruang latihan baru (default: jabatannya di "
                                     "koperasinya, atau bendahara).")


def _first(sandbox: Sandbox) -> str:
    return sandbox.colleagues[0].username if sandbox.colleagues else "latihan.NAMA.ketua"


def _print(cli: CliContext, sandbox: Sandbox, opened: str) -> None:
    cli.out.print(f"{opened}: {shown(sandbox.slug)} ({shown(sandbox.name)})")
    roles = ", ".join(sandbox.trainee_roles) or "—"
    cli.out.print(f"Jabatan {shown(sandbox.owner)} di ruang latihan: {shown(roles)}")
    cli.out.print("Rekan latihan:")
    for colleague in sandbox.colleagues:
        cli.out.print(f"  {shown(colleague.username)}  {shown(colleague.label)}")
    cli.out.print(f"Masuk ke web sebagai {shown(sandbox.owner)} (kata sandinya sendiri), buka /latihan atau "
                  f"/k/{shown(sandbox.slug)}. Di baris perintah: --coop {shown(sandbox.slug)}, mis. "
                  f"`tatakelola tasks --as {shown(sandbox.owner)} --coop {shown(sandbox.slug)}`; "
                  "langkah rekan latihan: "
                  f"`case act NOMOR AKSI --as {shown(_first(sandbox))} --coop {shown(sandbox.slug)}`.")
    cli.out.print("Semua yang dilakukan di sana tercatat di jejak ruang latihan itu saja, "
                  "tidak di koperasi sungguhan.")


@training_app.command("buka")
def training_open(ctx: typer.Context, user: Annotated[str, _USER],
                  role: Annotated[str | None, _ROLE] = None) -> None:
    """Buka ruang latihan seseorang (atau tampilkan yang sudah ada)."""
    cli = cli_context(ctx)
    sandbox = cli.services.training.open_for(user, role)
    _print(cli, sandbox, "Ruang latihan dibuat" if sandbox.created else "Ruang latihan yang sudah ada")


@training_app.command("ulang")
def training_reset(ctx: typer.Context, user: Annotated[str, _USER],
                   role: Annotated[str | None, _ROLE] = None) -> None:
    """Mulai dari awal: ruang latihan baru; yang lama beserta jejaknya tetap tersimpan."""
    cli = cli_context(ctx)
    sandbox = cli.services.training.reset(user, role)
    _print(cli, sandbox, "Ruang latihan baru dibuat")
