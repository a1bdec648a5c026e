"""Small drivers for the shipped-workflow tests: start, act (ticking the step's checklist),
look at the state, and assert that a refused action changed nothing."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML
from sqlalchemy import select

from engine.adapters.store.models import Case, Cooperative, DefinitionRecord
from engine.demo import DEMO_ORG
from engine.errors import TatakelolaError
from engine.services import ActResult, Services
from engine.services.members import MemberIn, import_members
from tests.helpers import COOP

Files = Callable[..., Path]


def start(services: Services, workflow: str, user: str, values: Mapping[str, Any] | None = None,
          files: Mapping[str, Path] | None = None) -> str:
    """Start a case and return its number."""
    view = services.start_case(workflow, COOP, user, values={k: str(v) for k, v in (values or {}).items()},
                               files=files)
    return view.summary.number


def checklist(services: Services, number: str) -> list[str]:
    """Ids of the current step's checklist items (read straight from the store: cheaper than a view)."""
    with services.db.session() as session:
        current, workflow, version = session.execute(
            select(Case.state, DefinitionRecord.workflow_id, DefinitionRecord.version)
            .join(DefinitionRecord, DefinitionRecord.id == Case.definition_id)
            .where(Case.number == number)).one()
    definition = services.registry.get(workflow).definition
    assert definition.version == version
    return [item.id for item in definition.states[current].checklist]


def act(services: Services, number: str, action: str, user: str, *, values: Mapping[str, Any] | None = None,
        files: Mapping[str, Path] | None = None, comment: str | None = None,
        checks: Iterable[str] | None = None) -> ActResult:
    """Take an action; ticks every checklist item of the current step unless ``checks`` is given."""
    ticked = checklist(services, number) if checks is None else list(checks)
    return services.act(number, action, user, values={k: str(v) for k, v in (values or {}).items()},
                        files=files, comment=comment, checks=ticked)


def state(services: Services, number: str) -> str:
    """The case's current state id."""
    return services.show(number, None).summary.state


def snapshot(services: Services, number: str) -> tuple[str, int, list[tuple[str, str]]]:
    """State, length of the trail and the field values: what a refusal must leave untouched."""
    view = services.show(number, None)
    return view.summary.state, len(view.history), [(name, value) for name, _, value in view.fields]


def refused(services: Services, number: str, action: str, user: str, error: type[TatakelolaError],
            match: str | None = None, **kwargs: Any) -> TatakelolaError:
    """Assert the action is refused with ``error`` and that nothing changed."""
    before = snapshot(services, number)
    with pytest.raises(error, match=match) as info:
        act(services, number, action, user, **kwargs)
    assert snapshot(services, number) == before
    return info.value


def pdfs(files: Files, *fields: str) -> dict[str, Path]:
    """One small PDF per attachment field."""
    return {name: files(f"{name}.pdf") for name in fields}


def reimport(services: Services, tmp_path: Path, *, settings: Mapping[str, Any] | None = None,
             roles: Iterable[Mapping[str, Any]] = (), ended: Mapping[tuple[str, str], str] | None = None) -> None:
    """Re-import the demo organisation with some AD/ART settings changed, some terms of office
    ended early (``ended[(person, role)] = last day``) and extra terms added."""
    yaml = YAML(typ="safe")
    org = yaml.load(DEMO_ORG.read_text(encoding="utf-8"))
    coop = org["cooperatives"][0]
    coop["settings"] = {**coop["settings"], **(settings or {})}
    terms = [dict(t) for t in coop["roles"]]
    for term in terms:
        last_day = (ended or {}).get((term["person"], term["role"]))
        if last_day is not None:
            term["end"] = last_day
    coop["roles"] = terms + [dict(r) for r in roles]
    path = tmp_path / "org-ubah.yaml"
    with path.open("w", encoding="utf-8") as handle:
        yaml.dump(org, handle)
    services.import_org(path)


def members(services: Services, count: int, *, joined: date = date(2026, 1, 5), first: int = 1001) -> list[str]:
    """Write ``count`` members (KKMP-STN-1001 …) into the demo KKMP's Buku Daftar Anggota; their numbers."""
    rows = [MemberIn(number=f"KKMP-STN-{first + i:04d}", name=f"Anggota Uji {first + i}", nik=f"3576{first + i:012d}",
                     joined=joined) for i in range(count)]
    with services.db.session() as session:
        coop = session.scalars(select(Cooperative).where(Cooperative.slug == COOP)).one()
        import_members(session, coop, rows, now=services.clock(), signer=services.signer, actor="uji", source="uji")
    return [row.number for row in rows]


def present(numbers: Iterable[str]) -> str:
    """A daftar hadir as typed: member numbers or user names, comma separated."""
    return ",".join(numbers)
