"""The year's approved RAPB lines, as the findings need them (pos -> planned amount)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.adapters.store.models import Budget, BudgetLine, Cooperative

__all__ = ["SPENDING_SECTIONS", "approved_budget"]

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
