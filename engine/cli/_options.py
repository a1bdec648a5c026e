"""Option types shared by more than one command group, and the check every argument passes first."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

import typer

from engine.errors import UsageError

__all__ = ["CoopOpt", "check_argv"]

CoopOpt = Annotated[str | None, typer.Option("--coop", help="Kode koperasi.")]


def check_argv(argv: Sequence[str]) -> None:
    """Refuse arguments that are not UTF-8 text (or hold NUL), naming the option they belong to.

    On Linux, Python hands bytes that are not UTF-8 over as lone surrogates (PEP 383); no database
    and no terminal can take them, so they are refused here, before anything is read or written.
    A shell cannot pass NUL, but a caller running :func:`engine.cli.main` in process can.
    """
    for index, arg in enumerate(argv):
        if not any("\ud800" <= c <= "\udfff" or c == "\x00" for c in arg):
            continue
        option, _, _ = arg.partition("=") if arg.startswith("--") else ("", "", "")
        if not option and index and argv[index - 1].startswith("-"):
            option = argv[index - 1]
        where = f"nilai {option}" if option and option != arg else f"argumen ke-{index + 1}"
        readable = arg.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace").replace("\x00", "\\x00")
        what = "karakter NUL" if "\x00" in arg else "byte yang bukan UTF-8"
        raise UsageError(f"{where} berisi {what} ('{readable[:60]}'); tulis teksnya dalam UTF-8 "
                         "(nama berkas: ganti namanya dulu).")
