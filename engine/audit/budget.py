"""The RAPB/RK as the trail sees it: the approved lines (pos -> planned amount) the spending findings
check against, and whether a ratified RAPB/RK's figures are the ones its approvals bound."""

from __future__ import annotations

import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.adapters.store.models import AuditEntry, Budget, BudgetLine, Case, Cooperative, WorkPlanItem
from engine.domain.budget import BudgetData, Line, PlanItem

__all__ = ["SPENDING_SECTIONS", "approval_problem", "approved_budget", "budget_data"]

#: RAPB sections whose lines are spending: costs (B1-B4) and investment (E).
SPENDING_SECTIONS = ("B1", "B2", "B3", "B4", "E")


def approved_budget(session: Session, coop: Cooperative, year: int) -> dict[str, int] | None:
    """Planned spending per RAPB line for a year, from the latest ratified revision.

    A line is matched by its ``uraian`` (the pos a spending request names). Without a
    ratified RAPB, a cooperative may state its lines in the settings as ``rapb_<year>:
    {pos: amount}``; with neither, None (nothing to check against).
    """
    budget = session.scalars(
        select(Budget).where(Budget.coop_id == coop.id, Budget.year == year, Budget.status == "disahkan")
        .order_by(Budget.revision.desc()).limit(1)).first()
    if budget is not None:
        lines = session.scalars(select(BudgetLine).where(BudgetLine.budget_id == budget.id,
                                                         BudgetLine.section.in_(SPENDING_SECTIONS)))
        out: dict[str, int] = {}
        for line in lines:
            out[line.uraian] = out.get(line.uraian, 0) + (line.rencana or 0)
        return out
    value = coop.settings.get(f"rapb_{year}")
    if isinstance(value, dict):
        return {str(k): int(v) for k, v in value.items() if isinstance(v, int)}
    return None


def budget_data(session: Session, budget: Budget) -> BudgetData:
    """The lines and activities of one stored revision."""
    lines = session.scalars(select(BudgetLine).where(BudgetLine.budget_id == budget.id)
                            .order_by(BudgetLine.position)).all()
    items = session.scalars(select(WorkPlanItem).where(WorkPlanItem.budget_id == budget.id)
                            .order_by(WorkPlanItem.position)).all()
    return BudgetData(
        budget.year,
        tuple(Line(x.section, x.unit, x.uraian, x.realisasi, x.anggaran, x.rencana, x.keterangan) for x in lines),
        tuple(PlanItem(x.bidang, x.program, x.kegiatan, x.target, x.waktu, x.penanggung_jawab) for x in items),
    )


def approval_problem(session: Session, case: Case, printed: str) -> str | None:
    """Why the RAPB/RK with fingerprint ``printed`` is not the one ``case`` approved; None if it is.

    Every approval (and vote) since the case was last submitted must have bound exactly these figures.
    """
    bodies = [json.loads(b) for b in session.scalars(select(AuditEntry.body).where(AuditEntry.case_id == case.id)
                                                      .order_by(AuditEntry.seq))]
    since = max((i for i, b in enumerate(bodies) if b.get("kind") == "submit"), default=0)
    approvals = [b for b in bodies[since:] if b.get("kind") == "approve"]
    if not approvals:
        return f"kasus {case.number} belum mencatat persetujuan atas angka ini"
    for body in approvals:
        bound = (body.get("documents") or {}).get("rapb")
        if not bound:
            return (f"persetujuan '{body.get('action')}' (catatan #{body.get('seq')}) diberikan sebelum RAPB/RK "
                    "diimpor, jadi tidak mengikat angka ini")
        if bound.get("sha256") != printed:
            return (f"angka di dokumen ini berbeda dari yang disetujui pada '{body.get('action')}' "
                    f"(catatan #{body.get('seq')}, revisi {bound.get('revision')}): RAPB/RK diubah setelah disetujui")
    return None
