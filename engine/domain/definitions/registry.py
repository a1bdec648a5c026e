"""Find and load the shipped workflow files (from a checkout or an installed wheel)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from engine.domain.definitions.loader import LoadedDefinition, load_definition
from engine.errors import DefinitionError, NotFoundError, Problem

__all__ = ["Registry", "data_dir", "workflow_files"]


def data_dir(name: str) -> Path:
    """Directory of shipped data (``workflows`` or ``sop_templates``).

    In a wheel they live in ``engine/_data/``; in a checkout, at the repository root.
    """
    package = Path(__file__).resolve().parents[2]  # the ``engine`` package
    installed = package / "_data" / name
    if installed.is_dir():
        return installed
    return package.parent / name


def workflow_files(paths: Iterable[Path]) -> list[Path]:
    """Expand files and directories into a sorted list of ``*.yaml``/``*.yml`` files."""
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            out += sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
        else:
            out.append(path)
    return out


class Registry:
    """The workflow definitions available to start new cases, keyed by id."""

    def __init__(self, loaded: Iterable[LoadedDefinition]) -> None:
        self._by_id: dict[str, LoadedDefinition] = {}
        for item in loaded:
            self._by_id[item.definition.id] = item

    @classmethod
    def from_paths(cls, paths: Iterable[Path]) -> Registry:
        """Load every workflow under the given paths; raise DefinitionError on any problem."""
        loaded: list[LoadedDefinition] = []
        problems: list[Problem] = []
        for path in workflow_files(paths):
            try:
                loaded.append(load_definition(path))
            except DefinitionError as exc:
                problems += exc.problems
        if problems:
            raise DefinitionError(problems, headline="Prosedur tidak dapat dimuat (periksa dengan "
                                                     "`tatakelola workflows check`):")
        return cls(loaded)

    @classmethod
    def configured(cls, dirs: Iterable[Path]) -> Registry:
        """The configured workflow directories (``Settings.workflow_dirs``), else the shipped ones."""
        return cls.from_paths(list(dirs) or [data_dir("workflows")])

    @classmethod
    def shipped(cls) -> Registry:
        """The workflows shipped with Tatakelola."""
        return cls.from_paths([data_dir("workflows")])

    def get(self, workflow_id: str) -> LoadedDefinition:
        """The current definition of a workflow. Raises NotFoundError."""
        try:
            return self._by_id[workflow_id]
        except KeyError:
            known = ", ".join(sorted(self._by_id)) or "(tidak ada)"
            raise NotFoundError(f"Prosedur '{workflow_id}' tidak dikenal. Yang tersedia: {known}") from None

    def all(self) -> list[LoadedDefinition]:
        """All definitions, sorted by id."""
        return [self._by_id[k] for k in sorted(self._by_id)]
