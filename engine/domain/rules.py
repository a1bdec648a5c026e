"""A procedure's rules (``rules:`` on an action) checked over a guard context: each failing rule, or each
failing row of a ``for_each`` rule, refuses with its own sentence, values filled in."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from engine.domain.definitions.expr import compile_guard, evaluate_clause, guard_names_of
from engine.domain.definitions.messages import render_message
from engine.domain.definitions.model import Action, Definition
from engine.domain.definitions.phrase import phrase_clauses
from engine.domain.guard_context import GuardScope, within_row
from engine.domain.values import is_empty
from engine.errors import FieldProblem, GuardError

__all__ = ["Unmet", "rule_problems", "unmet_clauses"]

#: Most refusals one list rule reports (a 500-row list where every row fails stays readable).
_MAX_ROWS_REPORTED = 20


def _holds(check: str, context: Mapping[str, Any]) -> bool:
    """Whether the check holds; one that cannot be evaluated (a value missing) does not."""
    try:
        return compile_guard(check)(context)
    except GuardError:
        return False


@dataclass(frozen=True)
class Unmet:
    """One ``and`` clause of a guard that does not hold: in words, with the fields it needs that are empty
    (when it could not be evaluated for want of them)."""

    words: str
    names: frozenset[str]
    empty: tuple[str, ...] = ()


def unmet_clauses(d: Definition, expression: str, context: Mapping[str, Any], settings: Mapping[str, Any],
                  data: Mapping[str, Any]) -> list[Unmet]:
    """The clauses of a guard that do not hold over ``context``; raises GuardError when the guard cannot be
    phrased (a definition that skipped ``workflows check``)."""
    out: list[Unmet] = []
    for node, words in phrase_clauses(expression, d, settings):
        try:
            if evaluate_clause(node, context):
                continue
            failed = False
        except GuardError:
            failed = True
        names = guard_names_of(node)
        empty = tuple(n for n in sorted(names) if n in d.fields and is_empty(data.get(n))) if failed else ()
        out.append(Unmet(words, names, empty))
    return out


def rule_problems(d: Definition, action: Action, context: GuardScope) -> list[FieldProblem]:
    """The refusals of ``action``'s rules over ``context`` (:func:`engine.domain.guard_context.guard_context`)."""
    problems: list[FieldProblem] = []
    for rule in action.rules:
        if rule.for_each is None:
            if not _holds(rule.check, context):
                problems.append(FieldProblem("Aturan", render_message(rule.message, context)))
            continue
        spec = d.fields[rule.for_each]
        rows = context.get(rule.for_each) or []
        failed = 0
        for index, row in enumerate(rows):
            inner = within_row(context, row, index)
            if _holds(rule.check, inner):
                continue
            failed += 1
            if failed <= _MAX_ROWS_REPORTED:
                problems.append(FieldProblem(spec.label, render_message(rule.message, inner), rule.for_each))
        if failed > _MAX_ROWS_REPORTED:
            problems.append(FieldProblem(spec.label, f"… dan {failed - _MAX_ROWS_REPORTED} baris lain tidak "
                                                     "memenuhi aturan yang sama", rule.for_each))
    return problems
