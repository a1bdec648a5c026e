"""``audit``: verify the trail, sign checkpoints, findings, export bundles and proofs."""

from __future__ import annotations

import json
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from engine.cli._context import cli_context
from engine.cli._options import CoopOpt
from engine.errors import AuditIntegrityError, ChecksFailedError, UsageError

__all__ = ["audit_app"]

audit_app = typer.Typer(help="Jejak persetujuan: verifikasi dan checkpoint.", no_args_is_help=True)


def _date(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    for fmt in ("%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y"):
        try:
            return datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    raise UsageError(f"{option}: tanggal tidak dikenali ({value}); tulis TTTT-BB-HH")


@audit_app.command("verify")
def audit_verify(
    ctx: typer.Context,
    coop: CoopOpt = None,
    since_last: Annotated[bool, typer.Option(
        "--sejak-terakhir", help="Periksa hanya catatan yang ditambahkan sejak verifikasi terakhir yang lolos "
                                 "(cepat; jalankan tanpa opsi ini secara berkala untuk membaca ulang seluruh log).")
    ] = False,
    full: Annotated[bool, typer.Option(
        "--penuh", help="Periksa juga tanda tangan setiap checkpoint, bukan hanya yang terbaru dan sampelnya.")
    ] = False,
) -> None:
    """Hitung ulang jejak dari basis data dan periksa checkpoint bertanda tangan.

    Bawaan: seluruh catatan dibaca ulang; tanda tangan diperiksa pada checkpoint terbaru setiap kunci,
    satu per 1.000 ukuran, dan setiap checkpoint yang tidak cocok.
    """
    if since_last and full:
        raise UsageError("--sejak-terakhir dan --penuh tidak dapat dipakai bersama; pilih salah satu")
    cli = cli_context(ctx)
    out = cli.out
    reports = cli.services.verify(coop, since_last=since_last, all_signatures=full)
    bad = 0
    for report in reports:
        if report.ok:
            out.print(f"[green]✔[/] {report.coop}: jejak persetujuan utuh — {_verified(report)}, "
                      f"akar {report.root[:32]}")
        else:
            bad += 1
            first = report.first
            out.print(f"[red]✘[/] {report.coop}: jejak TIDAK utuh — {escape(str(first))}")
            for finding in report.findings[1:]:
                out.print(f"    juga: {escape(str(finding))}")
    if not reports:
        out.print("Belum ada koperasi.")
    if bad:
        raise ChecksFailedError(f"Jejak persetujuan {bad} dari {len(reports)} koperasi tidak utuh.")


def _verified(report: Any) -> str:
    """What an intact report covers, in words: entries, checkpoints, signatures."""
    entries = f"{report.size} catatan" if report.size else "belum ada catatan"
    if report.since is not None:
        new = report.entries_checked
        entries += (f" ({new} baru sejak verifikasi terakhir #{report.since})" if new else
                    f" (tidak ada yang baru sejak verifikasi terakhir #{report.since})")
        checkpoints = f"{report.checkpoints} checkpoint baru cocok" if new else ""
    else:
        checkpoints = f"{report.checkpoints} checkpoint cocok" if report.checkpoints else ""
    if not report.signatures:
        signatures = "belum ada checkpoint bertanda tangan"
    elif report.all_signatures:
        signatures = f"semua {report.signatures} tanda tangan sah"
    else:
        signatures = f"tanda tangan checkpoint terbaru sah ({report.signatures} diperiksa)"
    return ", ".join(part for part in (entries, checkpoints, signatures) if part)


@audit_app.command("checkpoint")
def audit_checkpoint(ctx: typer.Context, coop: Annotated[str, typer.Option("--coop", help="Kode koperasi.")]) -> None:
    """Tanda tangani checkpoint log saat ini dan cetak (simpan untuk pemeriksaan berikutnya)."""
    cli = cli_context(ctx)
    services = cli.services
    cp = services.checkpoint(coop)
    sys.stdout.write(cp.note)
    cli.err.print(f"Checkpoint {coop}: {cp.size} catatan, akar {cp.root}. "
                  f"Kunci verifikasi: {services.signer.verifier_key}")


@audit_app.command("findings")
def audit_findings(
    ctx: typer.Context,
    coop: Annotated[str, typer.Option("--coop", help="Kode koperasi.")],
    start: Annotated[str | None, typer.Option("--from", help="Tanggal awal (TTTT-BB-HH).")] = None,
    end: Annotated[str | None, typer.Option("--to", help="Tanggal akhir (TTTT-BB-HH).")] = None,
    fmt: Annotated[str, typer.Option("--format", help="text atau json.")] = "text",
    open_cases: Annotated[bool, typer.Option("--open-cases", help="Buka kasus tindak lanjut per temuan baru.")] = False,
    as_user: Annotated[str | None, typer.Option("--as", help="Pengawas yang membuka kasus tindak lanjut.")] = None,
) -> None:
    """Temuan audit: keputusan yang tidak mengikuti aturan yang berlaku saat itu. Keluar 1 bila ada temuan."""
    cli = cli_context(ctx)
    out = cli.out
    if fmt not in ("text", "json"):
        raise UsageError("--format: text atau json")
    services = cli.services
    report = services.findings(coop, _date(start, "--from"), _date(end, "--to"))
    if fmt == "json":
        payload = {"coop": report.coop, "from": start, "to": end, "cases_checked": report.cases_checked,
                   "decisions_checked": report.decisions_checked,
                   "findings": [f.to_json() for f in report.findings]}
        sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2) + "\n")
    else:
        period = f" {start or 'awal'} s.d. {end or 'hari ini'}" if start or end else ""
        out.print(f"Temuan audit {report.coop}{period}: {len(report.findings)} temuan dari "
                  f"{report.decisions_checked} keputusan pada {report.cases_checked} kasus.")
        for f in report.findings:
            where = f" {f.case}" if f.case else ""
            entries = f" (catatan {', '.join('#' + str(s) for s in f.entries)})" if f.entries else ""
            colour = "red" if f.severity == "tinggi" else "yellow"
            out.print(f"\n[{colour}]{f.severity.upper()}[/] {f.id}{where}{entries}")
            out.print(f"  {escape(f.title)}: {escape(f.message)}")
            out.print(f"  Dasar: {escape(f.source)}")
    if open_cases:
        if not as_user:
            raise UsageError("--open-cases memerlukan --as PENGAWAS")
        opened = services.open_followups(coop, as_user, report.findings)
        cli.err.print(f"Kasus tindak lanjut dibuka: {', '.join(opened) or 'tidak ada (semua sudah ditindaklanjuti)'}")
    if report.findings:
        raise ChecksFailedError(f"{len(report.findings)} temuan audit pada {report.coop}.")


@audit_app.command("export")
def audit_export(
    ctx: typer.Context,
    coop: Annotated[str, typer.Option("--coop", help="Kode koperasi.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Folder bundel (baru/kosong).")],
) -> None:
    """Tulis bundel untuk pengawas: catatan, revisi data, checkpoint, kunci, dan verify.py."""
    cli = cli_context(ctx)
    manifest = cli.services.export(coop, output)
    cli.out.print(f"Bundel {coop} ditulis ke {output}: {manifest['entries']} catatan, {manifest['checkpoints']} "
                  f"checkpoint. Periksa luring: python {output / 'verify.py'} {output}")


@audit_app.command("verify-export")
def audit_verify_export(
    ctx: typer.Context,
    bundle: Annotated[Path, typer.Argument(help="Folder bundel.")],
    since: Annotated[Path | None, typer.Option("--since", help="Checkpoint yang disimpan sebelumnya.")] = None,
    key: Annotated[str | None, typer.Option("--key-string", help="Kunci verifikasi yang Anda simpan.")] = None,
) -> None:
    """Periksa bundel ekspor seperti verify.py (tanpa basis data). Keluar 0 utuh, 1 tidak."""
    from engine.services.audit import check_bundle

    out = cli_context(ctx).out
    try:
        summary = check_bundle(bundle, since, key)
    except AuditIntegrityError as exc:
        out.print(f"[red]✘ TIDAK UTUH:[/] {escape(exc.message)}")
        raise ChecksFailedError(f"Bundel {bundle} tidak utuh.") from None
    out.print(f"[green]✔ UTUH:[/] {escape(summary['verdict'])}")


@audit_app.command("prove")
def audit_prove(
    ctx: typer.Context,
    case: Annotated[str, typer.Argument(help="Nomor kasus.")],
    coop: CoopOpt = None,
) -> None:
    """Bukti inklusi (RFC 6962) setiap keputusan kasus terhadap checkpoint terakhir, sebagai JSON."""
    cli = cli_context(ctx)
    proofs = cli.services.prove_case(case, coop)
    bad = [p.seq for p in proofs if not p.verifies()]
    sys.stdout.write(json.dumps({"case": case, "proofs": [p.to_json() for p in proofs]},
                                ensure_ascii=False, indent=2) + "\n")
    if bad:
        raise ChecksFailedError(f"Bukti tidak cocok untuk catatan {bad}")
    cli.err.print(f"{len(proofs)} keputusan {case} terbukti tercakup checkpoint ukuran "
                  f"{proofs[0].size if proofs else 0}.")


@audit_app.command("consistency")
def audit_consistency(
    ctx: typer.Context,
    old: Annotated[Path, typer.Argument(help="Checkpoint lama (berkas).")],
    new: Annotated[Path, typer.Argument(help="Checkpoint baru (berkas).")],
) -> None:
    """Bukti konsistensi antara dua checkpoint: log yang baru memperpanjang yang lama tanpa mengubahnya.

    Checkpoint yang tidak lagi dimuat log (basis data dipulihkan dari cadangan) dilaporkan sebagai salinan
    lama atau percabangan yang dinyatakan bila catatan pemulihan membuktikannya; selain itu, perubahan.
    """
    cli = cli_context(ctx)
    result = cli.services.audit.compare_checkpoints(_note(old), _note(new))
    payload: dict[str, Any] = {"coop": result.coop, "old_size": result.old_size, "new_size": result.new_size,
                               "consistency_proof": [p.hex() for p in result.proof], "verdict": result.verdict,
                               "log_size": result.log_size}
    if result.restore_entry is not None and result.missing is not None:
        payload["restore_entry"] = result.restore_entry
        payload["missing"] = list(result.missing)
    sys.stdout.write(json.dumps(payload, indent=2) + "\n")
    cli.err.print(escape(result.message))


def _note(path: Path) -> str:
    """A saved checkpoint file's text."""
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "bukan teks UTF-8"
        raise UsageError(f"Checkpoint {path} tidak dapat dibaca ({reason}).") from None
