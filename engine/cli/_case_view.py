"""How a case reads on the terminal: its status, what to do, its data, actions and history."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.padding import Padding
from rich.table import Table

from engine.cli._output import shown
from engine.domain.roles import role_label
from engine.domain.values import format_date_id

if TYPE_CHECKING:
    from engine.domain.values import ListTable
    from engine.services import CaseView

__all__ = ["due_text", "print_view"]


def due_text(due: datetime | None, overdue: bool, tz: ZoneInfo) -> str:
    """A deadline in local time, Indonesian date, marked TERLAMBAT when past."""
    if due is None:
        return "—"
    local = due.astimezone(tz)
    return f"{format_date_id(local.date())} {local:%H.%M}" + (" TERLAMBAT" if overdue else "")


def _table(rows: ListTable) -> Padding:
    """A list field's rows under its column labels, numbered, indented under the field."""
    table = Table("No.", *(shown(h) for h in rows.headers), show_edge=False, pad_edge=False)
    for number, cells in enumerate(rows.rows, start=1):
        table.add_row(str(number), *(shown(c) for c in cells))
    return Padding(table, (0, 0, 0, 4), expand=False)


def print_view(out: Console, view: CaseView, tz: ZoneInfo) -> None:
    """Print a case as one person sees it."""
    s = view.summary
    out.print(f"[bold]{shown(s.number)}[/] — {shown(s.title)} ({shown(s.coop)})")
    status = f"Status: [bold]{shown(s.status)}[/]"
    if s.due and not s.final:
        status += f" · tenggat {due_text(s.due, False, tz)}" + (" [red](TERLAMBAT)[/]" if s.overdue else "")
    out.print(status)
    if s.due and s.overdue and not s.final:
        done = "".join(f"; {shown(what)} pada {due_text(at, False, tz)}" for what, at in view.escalations)
        out.print(f"[red]Melewati tenggat sejak {due_text(s.due, False, tz)}{done}.[/]")
    if view.guidance:
        out.print(f"\n[bold]Yang perlu dilakukan[/]\n{shown(view.guidance)}")
    if view.checklist:
        out.print("\n[bold]Checklist[/] (centang dengan --check ID)")
        for item_id, label in view.checklist:
            out.print(f"  [ ] {item_id}: {shown(label)}")
    if view.mutu_baku:
        mb = view.mutu_baku
        out.print(f"\nMutu baku: kelengkapan {shown(mb['kelengkapan'])}; waktu {shown(mb['waktu'])}; "
                  f"output {shown(mb['output'])}")
    out.print("\n[bold]Data[/]")
    for name, label, value in view.fields:
        out.print(f"  {shown(label)} ({shown(name)}): {shown(value)}")
        if name in view.tables:
            out.print(_table(view.tables[name]))
    for action_id, names in view.votes.items():
        out.print(f"\nSuara '{action_id}': " + ", ".join(shown(n) for n in names))
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
                note = f" — {shown(option.reason)}" if option.reason else ""
                out.print(f"  [green]✔[/] {option.id}: {shown(option.label)}{detail}{note}")
            else:
                out.print(f"  [red]✘[/] {option.id}: {shown(option.label)} — {shown(option.reason or '')}")
    if view.history:
        out.print("\n[bold]Riwayat[/]")
        for e in view.history:
            comment = f" — “{shown(e.comment)}”" if e.comment else ""
            when = due_text(e.at, False, tz)
            seat = f"a.n. {role_label(e.role)} {e.on_behalf}" if e.on_behalf else role_label(e.role)
            out.print(f"  #{e.seq} {when} {shown(e.label or e.action)} oleh {shown(e.actor_name)} "
                      f"\\[{shown(seat)}]{comment}")
    out.print(f"\nProsedur: {shown(view.definition_ref)}")
