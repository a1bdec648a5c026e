"""``backup`` and ``restore``: a consistent copy of the whole database, and putting one back."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from engine.cli._context import cli_context
from engine.errors import BackupError, UsageError

if TYPE_CHECKING:
    from engine.services.backup import BackupService

__all__ = ["backup", "restore"]


def _service(ctx: typer.Context) -> BackupService:
    from engine.services.backup import BackupService

    return BackupService(cli_context(ctx).services.context)


def backup(
    ctx: typer.Context,
    output: Annotated[Path, typer.Option("-o", "--output", help="Berkas cadangan yang ditulis.")],
    overwrite: Annotated[bool, typer.Option("--timpa", help="Ganti berkas cadangan yang sudah ada.")] = False,
) -> None:
    """Cadangkan seluruh basis data ke satu berkas, sekali jalan, sementara keputusan tetap berjalan.

    SQLite: salinan daring dalam satu langkah (berkas SQLite mandiri). PostgreSQL: `pg_dump` format custom.
    """
    from engine.domain.values import human_size

    cli = cli_context(ctx)
    result = _service(ctx).backup(output, overwrite=overwrite)
    seconds = f"{result.seconds:.2f}".replace(".", ",")
    cli.out.print(f"Cadangan ditulis ke {escape(str(result.path))}: {human_size(result.size_bytes)} "
                  f"({result.size_bytes} bita), {seconds} detik.")
    for log in result.logs:
        cli.out.print(f"  {escape(log.coop)}: log {log.size} catatan, akar {log.root}")
    if not result.logs:
        cli.out.print("  (belum ada koperasi)")


def restore(
    ctx: typer.Context,
    source: Annotated[Path, typer.Argument(help="Berkas cadangan hasil `tatakelola backup`.")],
    yes: Annotated[bool, typer.Option("--ya", help="Jangan tanya konfirmasi.")] = False,
) -> None:
    """Ganti basis data dengan isi cadangan; percabangan jejak dinyatakan dan nomor kasus tidak terulang.

    Hentikan server web lebih dahulu. Catatan yang dibuat setelah cadangan diambil hilang dari basis data;
    karena itu catatan pertama setelah pemulihan menyatakan "dipulihkan ke ukuran N setelah ukuran M pernah
    diterbitkan", bertanda tangan, dengan bukti bahwa entri 1..N tetap sama.
    """
    cli = cli_context(ctx)
    service = _service(ctx)
    plan = service.plan(source)
    out = cli.out
    out.print(f"Pulihkan basis data {escape(cli.services.database_url)} dari {escape(str(source))}.")
    now = {log.coop: log for log in plan.current or []}
    backed = {log.coop: log for log in plan.backup or []}
    if plan.current is None:
        out.print("  Basis data sekarang tidak dapat dibaca: ukuran log lama tidak diketahui.")
    for coop in sorted(set(now) | set(backed)):
        before = f"{now[coop].size} catatan" if coop in now else "tidak ada"
        after = f"{backed[coop].size} catatan" if coop in backed else (
            "dibaca setelah dipulihkan" if plan.backup is None else "tidak ada")
        out.print(f"  {escape(coop)}: sekarang {before}; di cadangan {after}")
    if not yes:
        if not sys.stdin.isatty():
            raise UsageError("Pemulihan mengganti seluruh basis data. Tambahkan --ya untuk menjalankannya tanpa "
                             "pertanyaan; tidak ada yang diubah.")
        if not typer.confirm("Ganti basis data dengan isi cadangan ini?", default=False):
            raise BackupError("Dibatalkan; basis data tidak diubah.")
    result = service.restore(source)
    for log in result.logs:
        line = f"{escape(log.coop)}: log {log.restored_size} catatan"
        if log.declared_at is not None:
            line += (f"; dipulihkan ke ukuran {log.restored_size} setelah ukuran {log.published_size} pernah "
                     f"diterbitkan — percabangan dinyatakan di catatan #{log.declared_at}")
            if log.prefix:
                line += f" (entri 1..{log.restored_size} terbukti sama; entri {log.restored_size + 1}.." \
                        f"{log.published_size} tidak ada lagi)"
            else:
                line += " (PERINGATAN: cadangan ini bukan awalan log lama; isinya berbeda)"
        if log.counters_raised:
            line += f"; nomor kasus berlanjut setelah {', '.join(log.counters_raised)}"
        out.print(line)
    if not result.previous_readable:
        cli.err.print("Basis data lama tidak dapat dibaca: ukuran log yang pernah diterbitkan tidak diketahui, "
                      "jadi tidak ada percabangan yang dapat dinyatakan.")
    out.print("Pemulihan selesai. Periksa: tatakelola audit verify")
