"""RAPB/RK storage per cooperative and year, on the trail, locked once the RK/RAPB procedure ratifies it.

Every import that changes a year's lines is an entry on the approval trail (with the content's
SHA-256). Every decision on an ``rk_rapb`` case binds the fingerprint of the year's RAPB/RK as it
is at that moment (``bound_documents``), so a printed RAPB says DISAHKAN only when its figures
are the ones every approval of the ratifying case saw (``approval_problem``).

A budget is ratified when a case of the ``rk_rapb`` workflow for that year reaches a
successful end state (``disahkan``); the revision that existed at that moment is locked and
linked to the case. A locked budget is changed only through a new revision, which an open
``rk_rapb`` case of kind "Revisi" for the same year allows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from engine.adapters.store.db import as_utc
from engine.adapters.store.models import (
    Budget,
    BudgetLine,
    Case,
    Cooperative,
    DefinitionRecord,
    WorkPlanItem,
)
from engine.audit.budget import approval_problem, budget_data
from engine.audit.keys import Signer
from engine.audit.log import append_entry
from engine.domain.budget import BudgetData
from engine.domain.definitions.loader import LoadedDefinition
from engine.errors import NotFoundError, ValidationError

__all__ = [
    "PLANNER_ROLES",
    "RK_RAPB_WORKFLOW",
    "BudgetCase",
    "approval_problem",
    "bound_documents",
    "budget_cases",
    "load_budget",
    "save_budget",
    "sync_ratification",
]

#: The workflow whose cases ratify a year's RK/RAPB.
RK_RAPB_WORKFLOW = "rk_rapb"
#: Who may import a year's RAPB/RK workbook.
PLANNER_ROLES = frozenset({"ketua", "sekretaris", "bendahara", "manajer", "pengurus"})

Pinned = Callable[[DefinitionRecord], LoadedDefinition]


@dataclass(frozen=True)
class BudgetCase:
    """An ``rk_rapb`` case for a year: its state and whether it ratified the plan."""

    case: Case
    loaded: LoadedDefinition
    ratified: bool
    status: str

    @property
    def data(self) -> dict[str, Any]:
        """The case data (summary figures, meeting details)."""
        return dict(self.case.data)


def budget_cases(session: Session, coop: Cooperative, year: int, pinned: Pinned) -> list[BudgetCase]:
    """Every ``rk_rapb`` case of the cooperative for ``year``, oldest first."""
    rows = session.execute(
        select(Case, DefinitionRecord).join(DefinitionRecord, DefinitionRecord.id == Case.definition_id)
        .where(Case.coop_id == coop.id, DefinitionRecord.workflow_id == RK_RAPB_WORKFLOW)
        .order_by(Case.created_at, Case.id)).all()
    out: list[BudgetCase] = []
    for case, record in rows:
        if case.data.get("tahun_anggaran") != year:
            continue
        loaded = pinned(record)
        d = loaded.definition
        state = d.states[case.state]
        success = {a.to for a in d.actions if a.kind not in ("reject", "cancel") and d.states[a.to].final}
        out.append(BudgetCase(case, loaded, case.state in success, state.status_label or state.title))
    return out


def _latest(session: Session, coop: Cooperative, year: int) -> Budget | None:
    return session.scalars(select(Budget).where(Budget.coop_id == coop.id, Budget.year == year)
                           .order_by(Budget.revision.desc()).limit(1)).first()


def sync_ratification(session: Session, coop: Cooperative, year: int, pinned: Pinned) -> Budget | None:
    """Lock the latest revision if an RK/RAPB case ratified it after it was last changed."""
    budget = _latest(session, coop, year)
    if budget is None or budget.status == "disahkan":
        return budget
    for item in budget_cases(session, coop, year, pinned):
        closed = item.case.closed_at
        if item.ratified and closed is not None and as_utc(budget.updated_at) <= as_utc(closed):
            budget.status = "disahkan"
            budget.locked_at = closed
            budget.case_number = item.case.number
            session.flush()
            break
    return budget


def load_budget(session: Session, coop: Cooperative, year: int) -> tuple[Budget, BudgetData]:
    """The latest revision of a year's RAPB/RK; NotFoundError when nothing was imported."""
    budget = _latest(session, coop, year)
    if budget is None:
        raise NotFoundError(
            f"Belum ada data RAPB {year} untuk {coop.name}. Impor buku kerjanya dengan "
            f"`tatakelola doc budget-import --coop {coop.slug} --year {year} BERKAS.xlsx` "
            f"(contoh: `tatakelola doc budget-export --coop {coop.slug} --year {year} --contoh -o contoh.xlsx`).")
    data = budget_data(session, budget)
    return budget, data


def bound_documents(session: Session, coop: Cooperative, workflow_id: str, data: dict[str, Any]
                    ) -> dict[str, Any] | None:
    """What a decision on this case binds besides its own data: for ``rk_rapb``, the year's RAPB/RK as it is now."""
    year = data.get("tahun_anggaran")
    if workflow_id != RK_RAPB_WORKFLOW or not isinstance(year, int):
        return None
    budget = _latest(session, coop, year)
    if budget is None:
        return {"rapb": None}
    return {"rapb": {"year": year, "revision": budget.revision, "sha256": load_budget(session, coop, year)[1].sha256}}


def save_budget(session: Session, coop: Cooperative, data: BudgetData, *, source_name: str | None,
                source_sha256: str | None, now: datetime, pinned: Pinned, signer: Signer, actor: str) -> Budget:
    """Replace the lines of the open revision (or start a revision when an RK/RAPB revision case is open).

    A change is appended to the approval trail as ``impor_rapb`` with the content's SHA-256.

    Raises:
        ValidationError: When the year's RAPB is ratified and no revision case is open.
    """
    year = data.year
    budget = sync_ratification(session, coop, year, pinned)
    if budget is not None and load_budget(session, coop, year)[1] == data:
        return budget  # nothing changed: keep the dates (and so the documents' bytes)
    if budget is not None and budget.status == "disahkan":
        cases = budget_cases(session, coop, year, pinned)
        revision_open = any(c.case.closed_at is None and c.data.get("jenis") == "Revisi" for c in cases)
        if not revision_open:
            raise ValidationError(
                [], headline=(f"RAPB {year} sudah disahkan (kasus {budget.case_number}) dan terkunci. Perubahan "
                              "diajukan sebagai revisi: mulai prosedur Penyusunan dan Pengesahan Rencana Kerja "
                              "dan RAPB dengan jenis 'Revisi' untuk tahun itu, lalu unggah ulang."))
        budget = Budget(coop_id=coop.id, year=year, revision=budget.revision + 1, status="draf", created_at=now,
                        updated_at=now)
        session.add(budget)
        session.flush()
    elif budget is None:
        budget = Budget(coop_id=coop.id, year=year, revision=0, status="draf", created_at=now, updated_at=now)
        session.add(budget)
        session.flush()
    session.execute(delete(BudgetLine).where(BudgetLine.budget_id == budget.id))
    session.execute(delete(WorkPlanItem).where(WorkPlanItem.budget_id == budget.id))
    for position, line in enumerate(data.lines, start=1):
        session.add(BudgetLine(coop_id=coop.id, budget_id=budget.id, position=position, section=line.section,
                               unit=line.unit, uraian=line.uraian, realisasi=line.realisasi, anggaran=line.anggaran,
                               rencana=line.rencana, keterangan=line.keterangan))
    for position, item in enumerate(data.plan, start=1):
        session.add(WorkPlanItem(coop_id=coop.id, budget_id=budget.id, position=position, bidang=item.bidang,
                                 program=item.program, kegiatan=item.kegiatan, target=item.target, waktu=item.waktu,
                                 penanggung_jawab=item.penanggung_jawab))
    budget.source_name = source_name
    budget.source_sha256 = source_sha256
    budget.updated_at = now
    session.flush()
    append_entry(session, coop, signer, {
        "action": "impor_rapb", "kind": "document", "actor": actor, "year": year, "revision": budget.revision,
        "content_sha256": data.sha256, "source_sha256": source_sha256, "lines": len(data.lines),
        "plan_items": len(data.plan)}, case_id=None, now=now)
    return budget
