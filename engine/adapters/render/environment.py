"""The Jinja2 environment for sop_templates/: StrictUndefined, autoescape, Indonesian filters."""

from __future__ import annotations

import base64
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from engine.adapters.render import formatting
from engine.domain.definitions.registry import data_dir
from engine.domain.roles import role_label

__all__ = ["css_string", "environment", "render_template", "template_dir"]


def template_dir() -> Path:
    """``sop_templates/`` of the checkout, or ``engine/_data/sop_templates`` in a wheel."""
    return data_dir("sop_templates")


def css_string(text: str) -> Markup:
    """Quote text as a CSS string (for ``content:`` in ``@page`` margin boxes)."""
    escaped = (text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\A ")
               .replace("<", "\\3C ").replace(">", "\\3E "))
    return Markup(f'"{escaped}"')  # noqa: S704 - quoted and escaped for CSS above


def _data_uri(content: bytes, media_type: str) -> str:
    return f"data:{media_type};base64,{base64.b64encode(content).decode()}"


def _lines(text: str | None) -> Markup:
    """Plain text with line breaks kept (escaped)."""
    if not text:
        return Markup("")
    return Markup("<br>").join(Markup.escape(line) for line in text.splitlines())


@lru_cache(maxsize=4)
def environment(directory: Path | None = None) -> Environment:
    """The (cached) environment for a template directory."""
    env = Environment(
        loader=FileSystemLoader(str(directory or template_dir())),
        autoescape=select_autoescape(["html", "xml", "svg"], default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=False,  # HTML collapses whitespace; trimming would glue words around block tags
        lstrip_blocks=False,
        keep_trailing_newline=False,
    )
    env.filters.update({
        "rupiah": formatting.rupiah,
        "angka": formatting.angka,
        "terbilang": formatting.terbilang,
        "tanggal": formatting.tanggal,
        "hari": formatting.hari,
        "persen": formatting.persen,
        "porsi": formatting.porsi,
        "peran": role_label,
        "css_string": css_string,
        "data_uri": _data_uri,
        "baris": _lines,
    })
    return env


def render_template(name: str, context: dict[str, Any], directory: Path | None = None) -> str:
    """Render one template to an HTML string."""
    return environment(directory).get_template(name).render(**context)
