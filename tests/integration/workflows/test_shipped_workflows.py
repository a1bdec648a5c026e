"""Every shipped procedure: clean check, full Permenpan-RB identity, settings with a source,
no limit written into a guard, and a user guide in docs/sop/."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest
from jinja2 import nodes
from jinja2.sandbox import SandboxedEnvironment
from typer.testing import CliRunner

from engine.cli import app
from engine.domain.definitions.lint import lint_many
from engine.domain.definitions.registry import Registry
from engine.domain.roles import ROLES

DOCS = Path(__file__).resolve().parents[3] / "docs" / "sop"
SOP_NUMBER = re.compile(r"^SOP-(KEL|USH|KEU|PWS)-[0-9]{2}$")
#: Numbers a guard may contain: comparisons with nothing, "one more than", and percentages.
NEUTRAL_NUMBERS = {0, 1, 100}


@cache
def shipped() -> list:
    return Registry.shipped().all()


def test_workflows_check_is_clean_on_every_shipped_file() -> None:
    result = CliRunner().invoke(app, ["workflows", "check"])
    assert result.exit_code == 0, result.output
    assert "Bersih" in result.output
    assert lint_many(shipped()) == []


@pytest.mark.parametrize("loaded", shipped(), ids=lambda loaded: loaded.definition.id)
def test_every_shipped_workflow_has_its_full_sop_identity(loaded) -> None:
    sop = loaded.definition.sop
    assert SOP_NUMBER.match(sop.nomor), sop.nomor
    assert sop.tanggal_pembuatan <= sop.tanggal_efektif
    assert sop.disahkan_oleh in ROLES
    for name in ("dasar_hukum", "kualifikasi_pelaksana", "keterkaitan", "peralatan", "pencatatan"):
        items = getattr(sop, name)
        assert items and all(item.strip() for item in items), name
    assert sop.peringatan.strip()


@pytest.mark.parametrize("loaded", shipped(), ids=lambda loaded: loaded.definition.id)
def test_every_setting_used_has_a_label_and_a_source(loaded) -> None:
    for name, setting in loaded.definition.settings_used.items():
        assert setting.label.strip(), name
        assert setting.source and setting.source.strip(), name


@pytest.mark.parametrize("loaded", shipped(), ids=lambda loaded: loaded.definition.id)
def test_every_step_says_what_to_do_how_well_and_by_when(loaded) -> None:
    for state_id, state in loaded.definition.states.items():
        if state.final:
            continue
        assert state.guidance and len(state.guidance.split()) >= 15, state_id
        assert state.mutu_baku is not None, state_id
        assert state.deadline is not None, state_id


@pytest.mark.parametrize("loaded", shipped(), ids=lambda loaded: loaded.definition.id)
def test_no_guard_writes_a_limit_that_belongs_in_the_settings(loaded) -> None:
    env = SandboxedEnvironment()
    for action in loaded.definition.actions:
        if not action.when:
            continue
        tree = env.parse("{{ (" + action.when + ") }}")
        numbers = {c.value for c in tree.find_all(nodes.Const) if isinstance(c.value, int | float)
                   and not isinstance(c.value, bool)}
        assert numbers <= NEUTRAL_NUMBERS, (action.id, action.when)


def test_sop_numbers_and_case_prefixes_are_unique() -> None:
    definitions = [loaded.definition for loaded in shipped()]
    numbers = [d.sop.nomor for d in definitions]
    prefixes = [d.number_prefix for d in definitions]
    assert len(set(numbers)) == len(numbers)
    assert len(set(prefixes)) == len(prefixes)


@pytest.mark.parametrize("loaded", shipped(), ids=lambda loaded: loaded.definition.id)
def test_every_shipped_workflow_has_a_guide_listed_in_the_index(loaded) -> None:
    d = loaded.definition
    guide = DOCS / f"{d.id}.md"
    assert guide.is_file(), guide
    text = guide.read_text(encoding="utf-8")
    assert d.sop.nomor in text and d.title in text
    for name in d.settings_used:
        assert f"`{name}`" in text, name
    assert f"({d.id}.md)" in (DOCS / "README.md").read_text(encoding="utf-8")
