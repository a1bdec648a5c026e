"""Every interface string in the templates has an English translation."""

from __future__ import annotations

import re
from pathlib import Path

from engine.web.i18n import translator

TEMPLATES = Path(__file__).resolve().parents[2] / "engine" / "web" / "templates"


def test_every_template_string_is_in_the_english_catalogue() -> None:
    english = translator("en")
    strings = {s for f in TEMPLATES.glob("*.html") for s in re.findall(r"_\('([^']*)'\)", f.read_text())}
    assert strings
    untranslated = sorted(s for s in strings if english(s) == s and s not in {"Checklist", "Data", "Dinas", "Status"})
    assert untranslated == []


def test_indonesian_is_the_source() -> None:
    assert translator("id")("Tugas saya") == "Tugas saya"
    assert translator("en")("Tugas saya") == "My tasks"
