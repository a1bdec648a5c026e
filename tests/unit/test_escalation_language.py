"""Escalation in the SOP language: the model, the schema, the lint (file:line) and the hash of old files."""

from __future__ import annotations

import pytest

from engine.domain.definitions.lint import lint_definition
from engine.domain.definitions.loader import load_definition_text
from engine.errors import DefinitionError
from tests.unit.test_definitions import MINIMAL

ESCALATED = MINIMAL.replace(
    "  menunggu: {title: Menunggu ketua}\n",
    "  menunggu:\n"
    "    title: Menunggu ketua\n"
    "    deadline: 2 hari kerja\n"
    "    escalation:\n"
    "      - after: 0 hari\n"
    "        do: ingatkan\n"
    "      - after: 2 hari kerja\n"
    "        do: alihkan\n"
    "        to: wakil_ketua_usaha\n"
    "      - after: 5 hari kerja\n"
    "        do: naikkan\n"
    "        to: ketua_pengawas\n")


def lint_text(text: str) -> list[str]:
    return [str(p) for p in lint_definition(load_definition_text(text, "w.yaml"))]


def test_a_state_declares_its_escalation_levels() -> None:
    state = load_definition_text(ESCALATED, "w.yaml").definition.states["menunggu"]
    assert [(str(level.after), level.do, level.to) for level in state.escalation_levels] == [
        ("0 hari", "ingatkan", None), ("2 hari kerja", "alihkan", "wakil_ketua_usaha"),
        ("5 hari kerja", "naikkan", "ketua_pengawas")]
    assert lint_text(ESCALATED) == []


def test_a_deadline_without_escalation_is_reminded_at_the_deadline() -> None:
    text = MINIMAL.replace("  menunggu: {title: Menunggu ketua}\n",
                           "  menunggu: {title: Menunggu ketua, deadline: 2 hari kerja}\n")
    definition = load_definition_text(text, "w.yaml").definition
    assert [(str(level.after), level.do) for level in definition.states["menunggu"].escalation_levels] == [
        ("0 hari", "ingatkan")]
    assert definition.states["draf"].escalation_levels == []  # no deadline, nothing to escalate


def test_a_file_without_escalation_keeps_the_hash_it_always_had() -> None:
    # the hash of the minimal definition as the engine computed it before escalation existed: cases
    # pinned to a version stay verifiable
    assert load_definition_text(MINIMAL, "w.yaml").sha256 == (
        "852d76730d05dd9069ec6d930d54d3813fd26ab792434f5b291be75d91cbbe69")
    assert load_definition_text(ESCALATED, "w.yaml").sha256 != load_definition_text(
        ESCALATED.replace("      - after: 5 hari kerja\n        do: naikkan\n        to: ketua_pengawas\n", ""),
        "w.yaml").sha256


@pytest.mark.parametrize(("change", "expected"), [
    (("    deadline: 2 hari kerja\n", ""), "w.yaml:25:5: status 'menunggu': escalation tanpa deadline"),
    (("to: wakil_ketua_usaha", "to: wakil_ketua"), "w.yaml:31:13: status 'menunggu': peran 'wakil_ketua' tidak "
                                                   "dikenal"),
    (("- after: 5 hari kerja", "- after: 2 hari kerja"),
     "w.yaml:32:16: status 'menunggu': tingkat 3 (2 hari kerja setelah tenggat) harus lebih lambat"),
])
def test_lint_finds_a_bad_escalation_on_its_line(change: tuple[str, str], expected: str) -> None:
    found = lint_text(ESCALATED.replace(*change))
    assert any(p.startswith(expected) for p in found), found


@pytest.mark.parametrize(("change", "expected"), [
    (("        to: wakil_ketua_usaha\n", ""), "w.yaml:29:9: .*'alihkan' memerlukan 'to'"),
    (("        do: ingatkan\n", "        do: ingatkan\n        to: ketua\n"), "w.yaml:27:9: .*'to' hanya untuk"),
    (("do: naikkan", "do: teruskan"), r"w.yaml:33:13: .*do"),
    (("- after: 0 hari", "- after: kemarin"), r"w.yaml:27:16: .*tenggat harus berbentuk"),
])
def test_the_schema_refuses_a_malformed_level_on_its_line(change: tuple[str, str], expected: str) -> None:
    with pytest.raises(DefinitionError, match=expected):
        load_definition_text(ESCALATED.replace(*change), "w.yaml")
