"""Option types shared by more than one command group."""

from __future__ import annotations

from typing import Annotated

import typer

__all__ = ["CoopOpt"]

CoopOpt = Annotated[str | None, typer.Option("--coop", help="Kode koperasi.")]
