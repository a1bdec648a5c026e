"""``delegate`` and ``delegasi``: hand a role to another person for a period (a.n., atas nama).

``tatakelola delegate ketua --coop kkmp-sentanan --from bambang --to dwi --start 2026-12-08 --end 2026-12-21``
records the delegation on the cooperative's trail; every decision Dwi takes as ketua in that period is
recorded "a.n." Bambang. ``delegasi buat`` is the same command; ``delegasi daftar`` lists the delegations,
``delegasi cabut`` ends one early.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer

from engine.cli._context import cli_context
from engine.cli._output import shown
from engine.errors import FieldProblem, ValidationError

__all__ = ["delegate", "delegation_app"]

delegation_app = typer.Typer(help="Delegasi (a.n.): serahkan satu peran kepada orang lain untuk suatu masa.",
                             no_args_is_help=True)

RoleArg = Annotated[str, typer.Argument(help="Peran yang diserahkan, mis. ketua, sekretaris, bendahara.",
                                        show_default=False)]
CoopReq = Annotated[str, typer.Option("--coop", help="Kode koperasi, mis. kkmp-sentanan.", show_default=False)]
FromOpt = Annotated[str, typer.Option("--from", help="Pemegang peran (nama pengguna).", show_default=False)]
ToOpt = Annotated[str, typer.Option("--to", help="Penerima delegasi (nama pengguna).", show_default=False)]
StartOpt = Annotated[str, typer.Option("--start", help="Tanggal mulai (TTTT-BB-HH).", show_default=False)]
EndOpt = Annotated[str, typer.Option("--end", help="Tanggal selesai, ikut dihitung (TTTT-BB-HH).",
                                     show_default=False)]
ReasonOpt = Annotated[str | None, typer.Option("--alasan", help="Alasan, mis. 'Cuti umrah' (disimpan; jejak "
                                                                "mencatat sidiknya).")]
ByOpt = Annotated[str | None, typer.Option("--as", help="Yang membuat delegasi (default: pemegang peran sendiri; "
                                                        "ketua untuk kursi pengurus lain).")]


def _day(text: str, option: str) -> date:
    from engine.domain.limits import parse_date

    try:
        return parse_date(text)
    except ValueError as exc:
        raise ValidationError([FieldProblem(option, f"'{text[:40]}': {exc}")], headline="Tanggal tidak sah:") from None


def delegate(ctx: typer.Context, role: RoleArg, coop: CoopReq, holder: FromOpt, to: ToOpt, start: StartOpt,
             end: EndOpt, reason: ReasonOpt = None, by: ByOpt = None) -> None:
    """Serahkan peran kepada orang lain untuk suatu masa (a.n.); tercatat di jejak persetujuan."""
    cli = cli_context(ctx)
    starts_on, ends_on = _day(start, "--start"), _day(end, "--end")
    view = cli.services.delegations.grant(coop, role, holder, to, starts_on, ends_on, reason,
                                          by_username=by or holder)
    cli.out.print(f"Delegasi #{view.id}: {shown(view.sentence)}. Tercatat di jejak persetujuan (#{view.seq}).")


delegation_app.command("buat")(delegate)


@delegation_app.command("daftar")
def delegation_list(
    ctx: typer.Context,
    coop: CoopReq,
    all_: Annotated[bool, typer.Option("--semua", help="Termasuk yang sudah berakhir atau dicabut.")] = False,
) -> None:
    """Delegasi yang berlaku dan yang terjadwal (dengan --semua: juga yang sudah berakhir)."""
    cli = cli_context(ctx)
    views = cli.services.delegations.listing(coop, include_past=all_)
    if not views:
        cli.out.print("Tidak ada delegasi.")
        return
    for v in views:
        cli.out.print(f"#{v.id} ({v.state}) {shown(v.sentence)}" + (f" — {shown(v.reason)}" if v.reason else ""))


@delegation_app.command("cabut")
def delegation_revoke(
    ctx: typer.Context,
    coop: CoopReq,
    number: Annotated[int, typer.Argument(help="Nomor delegasi (lihat `delegasi daftar`).", show_default=False)],
    by: Annotated[str, typer.Option("--as", help="Yang mengakhiri: pemegang peran, penerima atau ketua.",
                                    show_default=False)],
) -> None:
    """Akhiri delegasi lebih awal; tercatat di jejak persetujuan."""
    cli = cli_context(ctx)
    view = cli.services.delegations.revoke(coop, number, by_username=by)
    cli.out.print(f"Delegasi #{view.id} diakhiri: {shown(view.sentence)}. Tercatat di jejak (#{view.revoked_seq}).")
