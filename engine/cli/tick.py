"""``tick``: escalate the overdue steps now (for cron when ``serve`` does not run it in the background).

The services (the database, the definitions, the holidays) are imported inside the command only.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer

from engine.cli._context import cli_context
from engine.cli._output import shown

__all__ = ["parse_moment", "tick"]


def parse_moment(text: str, tz_name: str) -> datetime:
    """``2026-03-25T09:00`` (local time of the cooperatives) or with an offset (``…+07:00``, ``…Z``)."""
    from zoneinfo import ZoneInfo

    from engine.errors import FieldProblem, ValidationError

    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValidationError([FieldProblem("--now", f"'{text[:40]}' bukan waktu ISO, mis. 2026-03-25T09:00 "
                                                     "atau 2026-03-25T09:00+07:00")]) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=ZoneInfo(tz_name))


def tick(
    ctx: typer.Context,
    now: Annotated[str | None, typer.Option(
        "--now", metavar="WAKTU-ISO",
        help="Jalankan seolah-olah pada waktu ini (mis. 2026-03-25T09:00, waktu setempat), untuk uji coba; "
             "bawaan: sekarang.")] = None,
) -> None:
    """Eskalasi langkah yang melewati tenggat (ingatkan, alihkan, naikkan), masing-masing sekali saja."""
    from engine.cli._case_view import due_text

    cli = cli_context(ctx)
    services = cli.services
    moment = parse_moment(now, cli.settings.timezone) if now is not None else None
    report = services.tick(moment)
    tz = services.tz
    if report.done:
        cli.out.print(f"{len(report.cases)} langkah melewati tenggat: {', '.join(shown(c) for c in report.cases)}")
        for done in report.done:
            cli.out.print(f"  {shown(done.case)} — {shown(done.step)} (tenggat {due_text(done.due, False, tz)}): "
                          f"{shown(done.sentence)}, {done.notified} pesan")
    else:
        cli.out.print(f"Tidak ada langkah yang perlu dieskalasi ({report.checked} langkah bertenggat diperiksa).")
    if report.mailed:
        cli.out.print(f"{report.mailed} surel terkirim.")
    for problem in report.problems:
        cli.err.print(f"[yellow]Dilewati[/] {shown(problem)}")
    if report.problems:
        raise typer.Exit(1)
