"""Use cases over a unit of work; ``Services`` is the facade entry points call."""

from engine.services.facade import ActionOption, ActResult, CaseSummary, CaseView, EventView, Services

__all__ = ["ActResult", "ActionOption", "CaseSummary", "CaseView", "EventView", "Services"]
