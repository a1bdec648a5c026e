"""``notifikasi``: send the notification e-mails that are due; list a person's messages."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from engine.cli._context import cli_context
from engine.cli._output import shown

__all__ = ["notifications_app", "report_delivery"]

notifications_app = typer.Typer(
    help="Pemberitahuan: kirim e-mail yang sudah waktunya, lihat pemberitahuan seseorang.", no_args_is_help=True)


def report_delivery(ctx: typer.Context, limit: int = 100) -> None:
    """Send what is due and say what happened (also the end of ``tick``)."""
    cli = cli_context(ctx)
    report = cli.services.notifications.deliver_due(limit)
    if not cli.settings.smtp_configured:
        cli.out.print("Server surat (SMTP) belum diatur: pemberitahuan hanya tampil di aplikasi web"
                      + (f" ({report.without_email} ditandai tanpa e-mail)." if report.without_email else "."))
        return
    cli.out.print(f"E-mail pemberitahuan: terkirim {report.sent}, dicoba lagi nanti {report.retrying}, "
                  f"gagal {report.failed}, tanpa alamat e-mail {report.without_email}.")
    for error in report.errors:
        cli.err.print(f"Belum terkirim: {shown(error)}")


@notifications_app.command("kirim")
def send(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option("--batas", min=1, max=1000, help="Paling banyak sekian pesan sekali jalan.")]
    = 100,
) -> None:
    """Kirim e-mail pemberitahuan yang sudah waktunya (yang gagal dicoba lagi nanti; aman diulang)."""
    report_delivery(ctx, limit)


@notifications_app.command("daftar")
def listing(
    ctx: typer.Context,
    user: Annotated[str, typer.Option("--user", help="Nama pengguna.")],
    limit: Annotated[int, typer.Option("--batas", min=1, max=500, help="Paling banyak sekian pesan.")] = 50,
) -> None:
    """Pemberitahuan seseorang, yang terbaru di atas."""
    cli = cli_context(ctx)
    services = cli.services
    items = services.notifications.inbox(user, limit)
    if not items:
        cli.out.print(f"Belum ada pemberitahuan untuk {shown(user)}.")
        return
    table = Table("Waktu", "Jenis", "Perihal", "Dibaca", "E-mail")
    for item in items:
        table.add_row(f"{item.created_at.astimezone(services.tz):%d-%m-%Y %H.%M}", shown(item.kind_label),
                      shown(item.subject), "ya" if item.read else "belum", shown(item.email_word))
    cli.out.print(table)
