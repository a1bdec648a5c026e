"""Definition -> ``transitions.Machine``: built once per definition version, shared by all cases.

No model stays registered on a shared machine: a case is attached for one action and
detached in ``finally``, under a per-machine lock.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from transitions import EventData, Machine

from engine.domain.definitions.expr import compile_guard
from engine.domain.definitions.loader import LoadedDefinition
from engine.domain.definitions.model import Action

__all__ = ["CaseModel", "WorkflowMachine", "machine_for"]


class CaseModel:
    """The transient model a case is represented by while one action fires."""

    def __init__(self, state: str) -> None:
        self.state = state


@dataclass
class _Candidate:
    action: Action
    transition: Any


def _guard(action: Action) -> Any:
    evaluate = compile_guard(action.when) if action.when else None

    def condition(event: EventData) -> bool:
        if evaluate is None:
            return True
        context: Mapping[str, Any] = event.kwargs["context"]
        return evaluate(context)

    return condition


class WorkflowMachine:
    """A shared state machine for one definition version."""

    def __init__(self, loaded: LoadedDefinition) -> None:
        self.loaded = loaded
        definition = loaded.definition
        self._lock = threading.Lock()
        self._actions: dict[tuple[str, str], list[Action]] = {}
        transitions: list[dict[str, Any]] = []
        for action in definition.actions:
            for source in action.from_:
                self._actions.setdefault((action.id, source), []).append(action)
                transitions.append({
                    "trigger": action.id,
                    "source": source,
                    "dest": action.to,
                    "conditions": [_guard(action)],
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

    def select(self, state: str, action_id: str, context: Mapping[str, Any]) -> Action | None:
        """The variant ``transitions`` would fire: the first whose guard holds."""
        for transition, action in zip(
            self.machine.get_transitions(trigger=action_id, source=state),
            self.candidates(state, action_id),
            strict=True,
        ):
            assert transition.dest == action.to
            if action.when is None or compile_guard(action.when)(context):
                return action
        return None

    def fire(self, state: str, action_id: str, context: Mapping[str, Any]) -> str:
        """Fire an action from ``state`` and return the new state (unchanged if no guard held)."""
        model = CaseModel(state)
        with self._lock:
            self.machine.add_model(model, initial=state)
            try:
                model.trigger(action_id, context=context)  # type: ignore[attr-defined]
            finally:
                self.machine.remove_model(model)
        return model.state

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
