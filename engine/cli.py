"""The ``tatakelola`` command: parse -> service -> print; errors -> exit codes.

Messages are in Indonesian. Exit codes: 0 ok, 1 invalid input / findings / verification
failed, 2 usage or set-up problem, 3 not found, 4 not permitted, 5 already decided,
70 unexpected internal error (never with a traceback unless TATAKELOLA_DEBUG=1).
"""

from __future__ import annotations

import json
import os
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from engine.audit.findings import RULES
from engine.cli_doc import doc_app
from engine.domain.definitions import lint_many, load_definition, workflow_files
from engine.domain.definitions.registry import data_dir
from engine.domain.definitions.schema import json_schema_text
from engine.domain.machine import machine_for
from engine.domain.roles import role_label
from engine.domain.values import format_date_id
from engine.errors import DefinitionError, Problem, TatakelolaError
from engine.services import CaseView, Services
from engine.settings import Settings

__all__ = ["app", "main"]

app = typer.Typer(
    name="tatakelola",
    help="Tatakelola: SOP koperasi yang berjalan, dengan jejak persetujuan yang dapat diverifikasi.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
org_app = typer.Typer(help="Data organisasi: koperasi, pengurus, pengawas, anggota.", no_args_is_help=True)
wf_app = typer.Typer(help="Prosedur (SOP/SOM) dalam folder workflows/.", no_args_is_help=True)
case_app = typer.Typer(help="Kasus: satu jalannya prosedur.", no_args_is_help=True)
audit_app = typer.Typer(help="Jejak persetujuan: verifikasi dan checkpoint.", no_args_is_help=True)
app.add_typer(org_app, name="org")
app.add_typer(wf_app, name="workflows")
app.add_typer(case_app, name="case")
app.add_typer(audit_app, name="audit")
app.add_typer(doc_app, name="doc")

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


class _State:
    db: str | None = None
    key: Path | None = None
    workflows: list[Path] | None = None


_state = _State()


def _settings() -> Settings:
    return Settings.from_env(db_url=_state.db, key_path=_state.key,
                             workflow_dirs=tuple(_state.workflows) if _state.workflows else None)


def _services() -> Services:
    return Services(_settings())


@app.callback()
def _global(
    db: Annotated[str | None, typer.Option("--db", help="Alamat basis data (default: sqlite:///tatakelola.db "
                                            "atau TATAKELOLA_DB).", show_default=False)] = None,
    key: Annotated[Path | None, typer.Option("--key", help="Berkas kunci penanda tangan checkpoint "
                                              "(default: di samping berkas SQLite, atau TATAKELOLA_KEY).")] = None,
    workflows: Annotated[list[Path] | None, typer.Option(
        "--workflows", help="Folder prosedur yang dipakai menggantikan prosedur bawaan.")] = None,
) -> None:
    _state.db, _state.key, _state.workflows = db, key, workflows


def _pairs(items: list[str] | None, option: str) -> dict[str, str]:
    result: dict[str, str] = {}
    for item in items or []:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise typer.BadParameter(f"tulis {option} field=nilai (diterima: {item!r})")
        result[name.strip()] = value
    return result


def _files(items: list[str] | None) -> dict[str, Path]:
    result: dict[str, Path] = {}
    for item in items or []:
        name, sep, value = item.partition("=")
        if sep and name and not Path(item).exists():
            result[name.strip()] = Path(value)
        else:
            result[""] = Path(item)
    return result


# -- init / org ----------------------------------------------------------------------------


@app.command()
def init() -> None:
    """Siapkan atau perbarui skema basis data dan buat kunci penanda tangan."""
    services = _services()
    path, created = services.init()
    out.print(f"Basis data siap: {services.db.display_url}")
    if created:
        out.print(f"Kunci penanda tangan dibuat: {path} (simpan salinannya di tempat aman)")
    else:
        out.print(f"Kunci penanda tangan dipakai: {path}")
    out.print(f"Kunci verifikasi untuk pengawas: {services.signer.verifier_key}")


@org_app.command("import")
def org_import(file: Annotated[Path, typer.Argument(help="Berkas organisasi (YAML).")]) -> None:
    """Impor koperasi, setting AD/ART, orang dan masa jabatan (aman diulang)."""
    summary = _services().import_org(file)
    out.print(
        f"Impor selesai: koperasi +{summary.cooperatives_added} (diperbarui {summary.cooperatives_updated}), "
        f"orang +{summary.people_added} (diperbarui {summary.people_updated}), "
        f"jabatan +{summary.terms_added} (diperbarui {summary.terms_updated})."
    )


@org_app.command("list")
def org_list() -> None:
    """Daftar koperasi."""
    table = Table("Kode", "Nama", "Kota", "Pemegang jabatan", "Kasus terbuka")
    for coop, holders, open_cases in _services().cooperatives():
        table.add_row(coop.slug, escape(coop.name), escape(coop.city or "—"), str(holders), str(open_cases))
    out.print(table)


# -- workflows -----------------------------------------------------------------------------


@wf_app.command("list")
def workflows_list() -> None:
    """Daftar prosedur yang tersedia."""
    table = Table("ID", "Versi", "Nomor SOP", "Judul", "Bidang")
    for loaded in _services().registry.all():
        d = loaded.definition
        table.add_row(d.id, str(d.version), d.sop.nomor, escape(d.title), d.category)
    out.print(table)


@wf_app.command("check")
def workflows_check(
    paths: Annotated[list[Path] | None, typer.Argument(help="Berkas atau folder (default: prosedur bawaan).")] = None,
) -> None:
    """Periksa skema dan lint prosedur. Keluar 0 bila bersih, 1 bila ada temuan."""
    targets = paths or list(_state.workflows or []) or [data_dir("workflows")]
    files = workflow_files(targets)
    problems: list[Problem] = []
    loaded = []
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
        out.print(escape(str(problem)))
    if problems:
        err.print(f"{len(problems)} temuan pada {len(files)} berkas.")
        raise typer.Exit(1)
    out.print(f"Bersih: {len(files)} berkas prosedur diperiksa.")


@wf_app.command("show")
def workflows_show(
    workflow: Annotated[str, typer.Argument(help="ID prosedur.")],
    mermaid: Annotated[bool, typer.Option("--mermaid", help="Cetak diagram mermaid.")] = False,
) -> None:
    """Tampilkan langkah, peran dan aksi sebuah prosedur."""
    loaded = _services().registry.get(workflow)
    if mermaid:
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
            roles = ", ".join(role_label(r) for r in action.roles)
            out.print(f"  → {action.id}: {escape(action.display)} → {action.to} ({roles}{quorum}){escape(cond)}")


@wf_app.command("schema")
def workflows_schema(
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Tulis ke berkas.")] = None,
) -> None:
    """Cetak JSON Schema bahasa prosedur (untuk editor)."""
    text = json_schema_text()
    if output:
        output.write_text(text, encoding="utf-8")
        out.print(f"Skema ditulis ke {output}")
    else:
        sys.stdout.write(text)


# -- cases ---------------------------------------------------------------------------------


def _due_text(due: datetime | None, overdue: bool, tz: ZoneInfo) -> str:
    if due is None:
        return "—"
    local = due.astimezone(tz)
    return f"{format_date_id(local.date())} {local:%H.%M}" + (" TERLAMBAT" if overdue else "")


def _print_view(view: CaseView, tz: ZoneInfo) -> None:
    s = view.summary
    out.print(f"[bold]{s.number}[/] — {escape(s.title)} ({s.coop})")
    status = f"Status: [bold]{escape(s.status)}[/]"
    if s.due and not s.final:
        status += f" · tenggat {_due_text(s.due, False, tz)}" + (" [red](TERLAMBAT)[/]" if s.overdue else "")
    out.print(status)
    if view.guidance:
        out.print(f"\n[bold]Yang perlu dilakukan[/]\n{escape(view.guidance)}")
    if view.checklist:
        out.print("\n[bold]Checklist[/] (centang dengan --check ID)")
        for item_id, label in view.checklist:
            out.print(f"  [ ] {item_id}: {escape(label)}")
    if view.mutu_baku:
        mb = view.mutu_baku
        out.print(f"\nMutu baku: kelengkapan {escape(mb['kelengkapan'])}; waktu {escape(mb['waktu'])}; "
                  f"output {escape(mb['output'])}")
    out.print("\n[bold]Data[/]")
    for name, label, value in view.fields:
        out.print(f"  {escape(label)} ({name}): {escape(value)}")
    for action_id, names in view.votes.items():
        out.print(f"\nSuara '{action_id}': " + ", ".join(escape(n) for n in names))
    if view.options:
        out.print("\n[bold]Aksi[/]")
        for option in view.options:
            if option.allowed:
                extra = []
                if option.requires:
                    extra.append("isi: " + ", ".join(option.requires))
                if option.checks:
                    extra.append("centang: " + ", ".join(option.checks))
                if option.requires_comment:
                    extra.append("wajib --comment")
                detail = f" ({'; '.join(extra)})" if extra else ""
                note = f" — {escape(option.reason)}" if option.reason else ""
                out.print(f"  [green]✔[/] {option.id}: {escape(option.label)}{detail}{note}")
            else:
                out.print(f"  [red]✘[/] {option.id}: {escape(option.label)} — {escape(option.reason or '')}")
    if view.history:
        out.print("\n[bold]Riwayat[/]")
        for e in view.history:
            comment = f" — “{escape(e.comment)}”" if e.comment else ""
            when = f"{e.at.astimezone(tz):%d-%m-%Y %H.%M}"
            out.print(f"  #{e.seq} {when} {e.action} ({e.from_state or 'mulai'} → {e.to_state}) "
                      f"oleh {escape(e.actor_name)} [{role_label(e.role)}]{comment}")
    out.print(f"\nProsedur: {view.definition_ref}")


AsUser = Annotated[str, typer.Option("--as", help="Pengguna yang bertindak (operator bertindak atas nama).")]
SetOpt = Annotated[list[str] | None, typer.Option("--set", help="field=nilai (boleh berulang).")]
AttachOpt = Annotated[list[str] | None, typer.Option("--attach", help="BERKAS atau field=BERKAS.")]
CommentOpt = Annotated[str | None, typer.Option("--comment", help="Catatan untuk riwayat.")]
CoopOpt = Annotated[str | None, typer.Option("--coop", help="Kode koperasi.")]


@case_app.command("start")
def case_start(
    workflow: Annotated[str, typer.Argument(help="ID prosedur.")],
    coop: Annotated[str, typer.Option("--coop", help="Kode koperasi.")],
    as_user: AsUser,
    set_: SetOpt = None,
    attach: AttachOpt = None,
    comment: CommentOpt = None,
) -> None:
    """Mulai kasus baru; mencetak nomor kasus."""
    view = _services().start_case(workflow, coop, as_user, values=_pairs(set_, "--set"),
                                  files=_files(attach), comment=comment)
    out.print(view.summary.number)
    err.print(f"Kasus {view.summary.number} dimulai; status: {view.summary.status}. "
              f"Lihat: tatakelola case show {view.summary.number} --as {as_user}")


@case_app.command("act")
def case_act(
    case: Annotated[str, typer.Argument(help="Nomor kasus, mis. KAS/2026/0001.")],
    action: Annotated[str, typer.Argument(help="ID aksi, mis. ajukan, setujui, tolak.")],
    as_user: AsUser,
    set_: SetOpt = None,
    check: Annotated[list[str] | None, typer.Option("--check", help="ID butir checklist yang sudah dipenuhi.")] = None,
    comment: CommentOpt = None,
    attach: AttachOpt = None,
    coop: CoopOpt = None,
) -> None:
    """Ambil aksi pada kasus (ajukan, verifikasi, setujui, tolak, kembalikan ...)."""
    result = _services().act(case, action, as_user, values=_pairs(set_, "--set"), checks=check or [],
                             comment=comment, files=_files(attach), coop_slug=coop)
    if result.fired:
        out.print(f"{result.number}: {result.action} tercatat (#{result.seq}); status kini: {result.state_title}.")
    else:
        out.print(f"{result.number}: suara '{result.action}' tercatat (#{result.seq}); {result.votes} dari "
                  f"{result.needed} suara; status tetap: {result.state_title}.")


@case_app.command("show")
def case_show(
    case: Annotated[str, typer.Argument(help="Nomor kasus.")],
    as_user: Annotated[str | None, typer.Option("--as", help="Tampilkan aksi untuk pengguna ini.")] = None,
    coop: CoopOpt = None,
) -> None:
    """Status, panduan, checklist, dan aksi yang boleh diambil (dengan alasannya bila tidak)."""
    services = _services()
    _print_view(services.show(case, as_user, coop_slug=coop), services.tz)


@case_app.command("list")
def case_list(
    coop: CoopOpt = None,
    open_: Annotated[bool, typer.Option("--open", help="Hanya kasus yang belum selesai.")] = False,
) -> None:
    """Daftar kasus."""
    table = Table("Nomor", "Koperasi", "Prosedur", "Status", "Tenggat")
    services = _services()
    for s in services.list_cases(coop, open_only=open_):
        table.add_row(s.number, s.coop, escape(s.title), escape(s.status), _due_text(s.due, s.overdue, services.tz))
    out.print(table)


@app.command()
def tasks(as_user: AsUser, coop: CoopOpt = None) -> None:
    """Tugas saya: kasus yang menunggu tindakan pengguna ini."""
    services = _services()
    rows = services.tasks(as_user, coop)
    if not rows:
        out.print("Tidak ada tugas yang menunggu Anda.")
        return
    table = Table("Nomor", "Prosedur", "Status", "Tenggat", "Aksi Anda")
    for summary, options in rows:
        table.add_row(summary.number, escape(summary.title), escape(summary.status),
                      _due_text(summary.due, summary.overdue, services.tz),
                      ", ".join(o.id for o in options))
    out.print(table)


# -- audit ---------------------------------------------------------------------------------


@audit_app.command("verify")
def audit_verify(coop: CoopOpt = None) -> None:
    """Hitung ulang jejak dari basis data dan periksa setiap checkpoint bertanda tangan."""
    reports = _services().verify(coop)
    bad = 0
    for report in reports:
        if report.ok:
            out.print(f"[green]✔[/] {report.coop}: jejak persetujuan utuh — {report.size} catatan, "
                      f"{report.checkpoints} checkpoint bertanda tangan sah, akar {report.root[:32]}")
        else:
            bad += 1
            first = report.first
            out.print(f"[red]✘[/] {report.coop}: jejak TIDAK utuh — {escape(str(first))}")
            for finding in report.findings[1:]:
                out.print(f"    juga: {escape(str(finding))}")
    if not reports:
        out.print("Belum ada koperasi.")
    if bad:
        raise typer.Exit(1)


@audit_app.command("checkpoint")
def audit_checkpoint(coop: Annotated[str, typer.Option("--coop", help="Kode koperasi.")]) -> None:
    """Tanda tangani checkpoint log saat ini dan cetak (simpan untuk pemeriksaan berikutnya)."""
    services = _services()
    cp = services.checkpoint(coop)
    sys.stdout.write(cp.note)
    err.print(f"Checkpoint {coop}: {cp.size} catatan, akar {cp.root}. "
              f"Kunci verifikasi: {services.signer.verifier_key}")


def _date(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    for fmt in ("%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y"):
        try:
            return datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    raise typer.BadParameter(f"{option}: tanggal tidak dikenali ({value}); tulis TTTT-BB-HH")


@audit_app.command("findings")
def audit_findings(
    coop: Annotated[str, typer.Option("--coop", help="Kode koperasi.")],
    start: Annotated[str | None, typer.Option("--from", help="Tanggal awal (TTTT-BB-HH).")] = None,
    end: Annotated[str | None, typer.Option("--to", help="Tanggal akhir (TTTT-BB-HH).")] = None,
    fmt: Annotated[str, typer.Option("--format", help="text atau json.")] = "text",
    open_cases: Annotated[bool, typer.Option("--open-cases", help="Buka kasus tindak lanjut per temuan baru.")] = False,
    as_user: Annotated[str | None, typer.Option("--as", help="Pengawas yang membuka kasus tindak lanjut.")] = None,
) -> None:
    """Temuan audit: keputusan yang tidak mengikuti aturan yang berlaku saat itu. Keluar 1 bila ada temuan."""
    if fmt not in ("text", "json"):
        raise typer.BadParameter("--format: text atau json")
    services = _services()
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
            out.print(f"  {escape(RULES[f.rule])}: {escape(f.message)}")
            out.print(f"  Dasar: {escape(f.source)}")
    if open_cases:
        if not as_user:
            raise typer.BadParameter("--open-cases memerlukan --as PENGAWAS")
        opened = services.open_followups(coop, as_user, report.findings)
        err.print(f"Kasus tindak lanjut dibuka: {', '.join(opened) or 'tidak ada (semua sudah ditindaklanjuti)'}")
    if report.findings:
        raise typer.Exit(1)


@audit_app.command("export")
def audit_export(
    coop: Annotated[str, typer.Option("--coop", help="Kode koperasi.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Folder bundel (baru/kosong).")],
) -> None:
    """Tulis bundel untuk pengawas: catatan, revisi data, checkpoint, kunci, dan verify.py."""
    manifest = _services().export(coop, output)
    out.print(f"Bundel {coop} ditulis ke {output}: {manifest['entries']} catatan, {manifest['checkpoints']} "
              f"checkpoint. Periksa luring: python {output / 'verify.py'} {output}")


@audit_app.command("verify-export")
def audit_verify_export(
    bundle: Annotated[Path, typer.Argument(help="Folder bundel.")],
    since: Annotated[Path | None, typer.Option("--since", help="Checkpoint yang disimpan sebelumnya.")] = None,
    key: Annotated[str | None, typer.Option("--key-string", help="Kunci verifikasi yang Anda simpan.")] = None,
) -> None:
    """Periksa bundel ekspor seperti verify.py (tanpa basis data). Keluar 0 utuh, 1 tidak."""
    from engine.audit.core.offline import BundleProblem, verify_bundle

    try:
        summary = verify_bundle(bundle, since.read_text(encoding="utf-8") if since else None, key)
    except (BundleProblem, OSError) as exc:
        out.print(f"[red]✘ TIDAK UTUH:[/] {escape(str(exc))}")
        raise typer.Exit(1) from None
    extra = f"; konsisten dengan checkpoint lama ukuran {summary['since']}" if "since" in summary else ""
    out.print(f"[green]✔ UTUH:[/] {summary['coop']}: {summary['size']} catatan, {summary['checkpoints']} "
              f"checkpoint sah, akar {summary['root']}{extra}")


@audit_app.command("prove")
def audit_prove(
    case: Annotated[str, typer.Argument(help="Nomor kasus.")],
    coop: CoopOpt = None,
) -> None:
    """Bukti inklusi (RFC 6962) setiap keputusan kasus terhadap checkpoint terakhir, sebagai JSON."""
    proofs = _services().prove_case(case, coop)
    bad = [p.seq for p in proofs if not p.verifies()]
    sys.stdout.write(json.dumps({"case": case, "proofs": [p.to_json() for p in proofs]},
                                ensure_ascii=False, indent=2) + "\n")
    if bad:
        err.print(f"[red]Bukti tidak cocok untuk catatan {bad}[/]")
        raise typer.Exit(1)
    err.print(f"{len(proofs)} keputusan {case} terbukti tercakup checkpoint ukuran {proofs[0].size if proofs else 0}.")


@audit_app.command("consistency")
def audit_consistency(
    old: Annotated[Path, typer.Argument(help="Checkpoint lama (berkas).")],
    new: Annotated[Path, typer.Argument(help="Checkpoint baru (berkas).")],
) -> None:
    """Bukti konsistensi antara dua checkpoint: log yang baru memperpanjang yang lama tanpa mengubahnya."""
    slug, old_size, new_size, proof = _services().consistency(old.read_text(encoding="utf-8"),
                                                              new.read_text(encoding="utf-8"))
    sys.stdout.write(json.dumps({"coop": slug, "old_size": old_size, "new_size": new_size,
                                 "consistency_proof": [p.hex() for p in proof]}, indent=2) + "\n")
    err.print(f"Konsisten: log {slug} ukuran {new_size} memperpanjang ukuran {old_size} tanpa perubahan.")


# -- demo ----------------------------------------------------------------------------------


@app.command()
def demo(
    directory: Annotated[Path, typer.Option("--dir", help="Folder basis data demo.")] = Path("tatakelola-demo"),
) -> None:
    """Buat KKMP contoh di Kota Mojokerto, jalankan beberapa kasus, dan verifikasi jejaknya."""
    from engine.demo import run_demo

    run_demo(directory, out)


user_app = typer.Typer(help="Pengguna aplikasi web.", no_args_is_help=True)
app.add_typer(user_app, name="user")


@user_app.command("password")
def user_password(
    username: Annotated[str, typer.Argument(help="Nama pengguna.")],
    stdin: Annotated[bool, typer.Option("--stdin", help="Baca kata sandi dari masukan standar.")] = False,
) -> None:
    """Atur kata sandi web seseorang (argon2id)."""
    if stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("Kata sandi baru", hide_input=True, confirmation_prompt="Ulangi kata sandi")
    _services().set_password(username, password)
    out.print(f"Kata sandi {username} sudah diatur.")


@app.command()
def serve(
    host: Annotated[str, typer.Option("--host", help="Alamat yang didengarkan.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Porta.")] = 8000,
    demo_mode: Annotated[bool, typer.Option("--demo", help="Jalankan di atas koperasi demo.")] = False,
    directory: Annotated[Path, typer.Option("--dir", help="Folder demo untuk --demo.")] = Path("tatakelola-demo"),
    secure_cookies: Annotated[bool, typer.Option("--secure-cookies", help="Cookie hanya lewat HTTPS.")] = False,
) -> None:
    """Jalankan aplikasi web."""
    import uvicorn

    from engine.web import create_app

    if demo_mode:
        from engine.demo import demo_password, run_demo, set_demo_passwords

        services = run_demo(directory, Console(quiet=True))
        rows = set_demo_passwords(services)
        table = Table("Pengguna", "Kata sandi", "Nama", "Peran")
        for username, name, roles in rows:
            table.add_row(username, demo_password(username), escape(name), escape(roles))
        out.print("[bold]Login demo[/] (hanya untuk basis data demo):")
        out.print(table)
    else:
        services = _services()
        services.db.require_schema()
    out.print(f"Tatakelola berjalan di http://{host}:{port}/ — tekan Ctrl+C untuk berhenti.")
    uvicorn.run(create_app(services.settings, services=services, secure_cookies=secure_cookies),
                host=host, port=port, log_level="warning")


def main() -> None:
    """Console entry point: engine errors become Indonesian messages and exit codes."""
    try:
        app()  # standalone: usage errors exit 2, typer.Exit carries its code
    except TatakelolaError as exc:
        err.print(f"[red]Galat:[/] {escape(exc.message)}")
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:
        if os.environ.get("TATAKELOLA_DEBUG") == "1":
            raise
        err.print(f"[red]Terjadi kesalahan tak terduga:[/] {escape(type(exc).__name__)}: {escape(str(exc)[:500])}\n"
                  "Tidak ada perubahan yang disimpan. Jalankan ulang dengan TATAKELOLA_DEBUG=1 untuk rinciannya.")
        sys.exit(70)
