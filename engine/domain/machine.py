"""Definition -> ``transitions.Machine``: built once per definition version, shared by all cases.

``transitions`` decides: :meth:`WorkflowMachine.decide` triggers the event on a transient
model (never registered on the shared machine, so no lock is needed). Each variant's guard
is a condition evaluated by the machine, at most once, in file order; the first variant
whose guard holds is *chosen*, and the caller's ``ready`` callback then says whether it
fires now (it raises to refuse, returns False to record a vote that does not yet complete
a quorum). The chosen variant and the resulting state come back in a :class:`Decision`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from transitions import EventData, Machine

from engine.domain.definitions.expr import compile_guard
from engine.domain.definitions.loader import LoadedDefinition
from engine.domain.definitions.model import Action

__all__ = ["CaseModel", "Decision", "WorkflowMachine", "machine_for"]


class CaseModel:
    """The transient model a case is represented by while one event is processed."""

    def __init__(self, state: str) -> None:
        self.state = state


def _never(_action: Action) -> bool:
    return False


@dataclass
class Decision:
    """What the machine decided for one event: the chosen variant, whether it fired, the state after."""

    context: Mapping[str, Any]
    ready: Callable[[Action], bool] = _never
    chosen: Action | None = None
    fired: bool = False
    state: str = ""


def _condition(action: Action) -> Callable[[EventData], bool]:
    evaluate = compile_guard(action.when) if action.when else None

    def condition(event: EventData) -> bool:
        decision: Decision = event.kwargs["decision"]
        if decision.chosen is not None:
            return False  # an earlier variant's guard held: it is the one, fired or not
        if evaluate is not None and not evaluate(decision.context):
            return False
        decision.chosen = action
        return decision.ready(action)

    return condition


class WorkflowMachine:
    """A shared state machine for one definition version."""

    def __init__(self, loaded: LoadedDefinition) -> None:
        self.loaded = loaded
        definition = loaded.definition
        self._actions: dict[tuple[str, str], list[Action]] = {}
        transitions: list[dict[str, Any]] = []
        for action in definition.actions:
            for source in action.from_:
                self._actions.setdefault((action.id, source), []).append(action)
                transitions.append({
                    "trigger": action.id,
                    "source": source,
                    "dest": action.to,
                    "conditions": [_condition(action)],
                })
        self.machine = Machine(
            model=None,
            states=list(definition.states),
            transitions=transitions,
            initial=definition.initial_state,
            auto_transitions=False,
            send_event=True,
            ignore_invalid_triggers=False,
        )

    def candidates(self, state: str, action_id: str) -> list[Action]:
        """Action variants with this id from this state, in file order."""
        return list(self._actions.get((action_id, state), []))

    def decide(self, state: str, action_id: str, context: Mapping[str, Any],
               ready: Callable[[Action], bool] = _never) -> Decision:
        """Process ``action_id`` from ``state`` over ``context``.

        Args:
            state: The case's current state (it must have a variant of ``action_id``).
            action_id: The event.
            context: Case fields by name and ``settings``, as the guards read them.
            ready: Called once with the chosen variant; True fires it, False leaves the
                state unchanged; raising refuses the whole event. The default never fires,
                which asks which variant applies.

        Returns:
            The decision; ``chosen`` is None when no variant's guard holds.
        """
        decision = Decision(context, ready)
        model = CaseModel(state)
        decision.fired = bool(self.machine.events[action_id].trigger(model, decision=decision))
        decision.state = model.state
        return decision

    def mermaid(self) -> str:
        """A mermaid ``stateDiagram-v2`` of the procedure."""
        definition = self.loaded.definition
        lines = ["stateDiagram-v2", f"    [*] --> {definition.initial_state}"]
        for state_id, state in definition.states.items():
            lines.append(f'    {state_id} : {state.title.replace(":", " ")}')
        for action in definition.actions:
            label = action.display + (f" [{action.when}]" if action.when else "")
            label = label.replace(":", " ")
            for source in action.from_:
                lines.append(f"    {source} --> {action.to} : {label}")
        for state_id, state in definition.states.items():
            if state.final:
                lines.append(f"    {state_id} --> [*]")
        return "\n".join(lines) + "\n"


_CACHE: dict[str, WorkflowMachine] = {}
_CACHE_LOCK = threading.Lock()


def machine_for(loaded: LoadedDefinition) -> WorkflowMachine:
    """The shared machine for a definition version (keyed by content hash), built once."""
    machine = _CACHE.get(loaded.sha256)
    if machine is None:
        with _CACHE_LOCK:
            machine = _CACHE.get(loaded.sha256)
            if machine is None:
                machine = WorkflowMachine(loaded)
                _CACHE[loaded.sha256] = machine
    return machine
