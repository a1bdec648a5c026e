"""Use cases over a unit of work; ``Services`` is the facade entry points call."""

from engine.services.dto import ActionOption, ActResult, CaseSummary, CaseView, EventView, User
from engine.services.facade import Services

__all__ = ["ActResult", "ActionOption", "CaseSummary", "CaseView", "EventView", "Services", "User"]
