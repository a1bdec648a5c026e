"""The year's approved RAPB lines, as the findings need them (pos -> planned amount)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from engine.store.models import Cooperative

__all__ = ["approved_budget"]


def approved_budget(session: Session, coop: Cooperative, year: int) -> dict[str, int] | None:
    """Approved spending per RAPB pos for a year, or None when no RAPB is recorded.

    Until the documents module records ratified RAPB lines, a cooperative may state them in
    its settings as ``rapb_<year>: {pos: amount}`` (imported with the organisation file).
    """
    value = coop.settings.get(f"rapb_{year}")
    if isinstance(value, dict):
        return {str(k): int(v) for k, v in value.items() if isinstance(v, int)}
    return None
