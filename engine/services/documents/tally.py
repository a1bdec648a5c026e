"""Cases of a period counted once each, by where they stood at its end; codes put into words.

A case with three decisions in a period is one case: the reports count it under its status at the
end of the period (done, rejected, returned for revision, still running), never once per action.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.adapters.store.db import as_utc
from engine.adapters.store.models import Case, CaseEvent, Cooperative, DefinitionRecord
from engine.audit.findings import Finding
from engine.domain.definitions.loader import LoadedDefinition
from engine.domain.definitions.model import Definition

__all__ = ["OUTCOMES", "CaseStatus", "case_statuses", "findings_in_words", "in_words", "word_map"]

#: Where a case can stand at the end of a period, in report order, with its column heading.
OUTCOMES: dict[str, str] = {
    "selesai": "Selesai/disetujui",
    "ditolak": "Ditolak/dibatalkan",
    "dikembalikan": "Dikembalikan",
    "berjalan": "Masih berjalan",
}

_REFUSED_STATES = frozenset({"ditolak", "dibatalkan"})
_REFUSED_LABELS = ("ditolak", "dibatalkan")


@dataclass(frozen=True)
class CaseStatus:
    """One case active in a period, as it stood at the end of it."""

    case_id: int
    number: str
    definition_id: int
    state: str
    outcome: str
    started_in_period: bool
    entered: datetime
    data: Mapping[str, object]


def _outcome(d: Definition | None, state: str, last_fired_kind: str) -> str:
    spec = d.states.get(state) if d is not None else None
    if spec is not None and spec.final:
        label = (spec.status_label or "").lower()
        refused = (state in _REFUSED_STATES or last_fired_kind in ("reject", "cancel")
                   or label.startswith(_REFUSED_LABELS))
        return "ditolak" if refused else "selesai"
    return "dikembalikan" if last_fired_kind == "return" else "berjalan"


def case_statuses(session: Session, coop_id: int, low: datetime, high: datetime,
                  definition: Callable[[int], Definition | None]) -> list[CaseStatus]:
    """Every case of a cooperative with an event in [low, high), by its state at ``high``.

    ``definition``: the definition (by its record id) a case runs on.
    """
    events: dict[int, list[CaseEvent]] = {}
    for event in session.scalars(select(CaseEvent).where(CaseEvent.coop_id == coop_id, CaseEvent.at < high)
                                 .order_by(CaseEvent.seq)):
        events.setdefault(event.case_id, []).append(event)
    active = [case_id for case_id, rows in events.items() if any(as_utc(e.at) >= low for e in rows)]
    if not active:
        return []
    cases = {c.id: c for c in session.scalars(select(Case).where(Case.id.in_(active)))}
    out: list[CaseStatus] = []
    for case_id in active:
        case, rows = cases[case_id], events[case_id]
        last = rows[-1]
        fired = [e for e in rows if e.from_state != e.to_state or e.kind == "start"]
        kind = fired[-1].kind if fired else last.kind
        entered = as_utc(fired[-1].at) if fired else as_utc(case.created_at)
        out.append(CaseStatus(case.id, case.number, case.definition_id, last.to_state,
                              _outcome(definition(case.definition_id), last.to_state, kind),
                              rows[0].kind == "start" and as_utc(rows[0].at) >= low, entered, case.data))
    return sorted(out, key=lambda s: s.number)


def word_map(definitions: Iterable[Definition]) -> dict[str, str]:
    """Codes a finding may quote -> words: procedure ids -> titles, steps -> titles, actions -> labels.
    Definitions given first win (pass the case's own first)."""
    words: dict[str, str] = {}
    for d in definitions:
        for action in d.actions:
            words.setdefault(action.id, action.display)
        for state_id, state in d.states.items():
            words.setdefault(state_id, state.title)
        words.setdefault(d.id, d.title)
    return words


_QUOTED = re.compile(r"'([a-z][a-z0-9_]*)'")


def in_words(text: str, words: Mapping[str, str]) -> str:
    """A finding's text with the codes it quotes ('setujui_pengawas') replaced by what people read."""
    return _QUOTED.sub(lambda m: f"\u201c{words[m.group(1)]}\u201d" if m.group(1) in words else m.group(0), text)


def findings_in_words(session: Session, coop: Cooperative, findings: Iterable[Finding],
                      pinned: Callable[[DefinitionRecord], LoadedDefinition]) -> list[dict[str, object]]:
    """Findings as JSON-ready dicts whose message and source name steps and actions by their titles."""
    records = {r.id: r for r in session.scalars(select(DefinitionRecord).order_by(DefinitionRecord.version.desc()))}
    loaded: dict[int, Definition] = {}

    def of(record_id: int) -> Definition:
        if record_id not in loaded:
            loaded[record_id] = pinned(records[record_id]).definition
        return loaded[record_id]

    numbers = {f.case for f in findings if f.case}
    case_defs = dict(session.execute(select(Case.number, Case.definition_id).where(
        Case.coop_id == coop.id, Case.number.in_(numbers))).all()) if numbers else {}
    everything: dict[str, str] | None = None
    out = []
    for f in findings:
        if f.case in case_defs:
            words = word_map([of(case_defs[f.case])])
        else:
            if everything is None:
                everything = word_map(of(r) for r in records)
            words = everything
        item = f.to_json()
        item["message"], item["source"] = in_words(f.message, words), in_words(f.source, words)
        out.append(item)
    return out
