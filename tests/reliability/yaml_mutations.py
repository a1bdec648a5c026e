"""Bad YAML, made from good YAML: hypothesis strategies that mutate the shipped files.

Each example starts from a real file (a shipped procedure, a demo organisation file) and applies one
to three mutations a careless editor, a hostile file or a broken disk would: unknown and mismatched
tags, deep nesting, huge or malformed numbers and dates, wrong types, aliases and alias bombs, long
guards, lines deleted, duplicated or re-indented, control characters, and bytes that are not UTF-8.
"""

from __future__ import annotations

import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

from hypothesis import strategies as st

__all__ = ["mutated_yaml", "time_bound"]

TAGS = ["!rahasia", "!!python/object/apply:os.system", "!!python/name:os.system", "!!binary", "!!set", "!!omap",
        "!!pairs", "!!int", "!!float", "!!bool", "!!timestamp", "!!null", "!!map", "!!seq", "!!str", "!",
        "!<tag:yaml.org,2002:str>", "!<!rahasia>", "!!merge", "!!value"]
ODD_SCALARS = ["1e999", "-1e999", ".nan", ".inf", "0x_", "0b_", "0o_", "0x", "1_000", "1__0", "٣", "１２",
               "2025-13-45", "2025-02-30", "2025-1-1", "2025-02-28 25:00:00", "0999-12-31", "9999-12-31",
               "2025-02-28T10:00:00.99999999999999+14:00", "-0", "+7", "0o777777777777777777777777777",
               "0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFF", "9007199254740992", "-9007199254740993", "1" * 50,
               "1" * 5000, "~", "null", "yes", "no", "on", "True", "''", '""', "'\x00'", '"\\0"', '"\\x1b[31m"',
               '"\\uD800"', "<<", "=", "-", "? x", "[]", "{}", "[1, [2, [3]]]", "{a: {b: {c: d}}}", "|\n  blok",
               ">\n  lipat", "*tidak_ada", "&jangkar x", "!!binary aGFsbw==", "!!set {a, b}"]


def _value_lines(lines: list[str]) -> list[int]:
    return [i for i, line in enumerate(lines) if ": " in line and not line.lstrip().startswith("#")] or [0]


def _replace_value(line: str, value: str) -> str:
    key, _, _ = line.partition(": ")
    return f"{key}: {value}\n"


@st.composite
def _mutation(draw: st.DrawFn) -> Callable[[list[str]], list[str]]:
    kind = draw(st.sampled_from(["tag", "deep", "deep_map", "scalar", "number", "guard", "alias", "bomb",
                                 "delete", "duplicate", "indent", "text"]))
    pick = draw(st.integers(0, 10**6))
    tag = draw(st.sampled_from(TAGS))
    scalar = draw(st.sampled_from(ODD_SCALARS))
    depth = draw(st.one_of(st.integers(1, 80), st.integers(400, 3000)))
    number = draw(st.integers(-(10**40), 10**40))
    ands = draw(st.integers(0, 4000))
    noise = draw(st.text(min_size=1, max_size=20))

    def apply(lines: list[str]) -> list[str]:
        lines = list(lines)
        if not lines:
            return lines
        at = _value_lines(lines)[pick % len(_value_lines(lines))]
        line = lines[at] if lines[at].endswith("\n") else lines[at] + "\n"
        key, sep, value = line.partition(": ")
        if kind == "tag" and sep:
            lines[at] = f"{key}: {tag} {value}"
        elif kind == "deep":
            lines[at] = _replace_value(line, "[" * depth + "]" * depth)
        elif kind == "deep_map":
            lines[at] = _replace_value(line, "{a: " * depth + "1" + "}" * depth)
        elif kind == "scalar":
            lines[at] = _replace_value(line, scalar)
        elif kind == "number":
            lines[at] = _replace_value(line, str(number))
        elif kind == "guard":
            guard = draw_guard(ands, pick)
            indent = len(line) - len(line.lstrip(" -"))
            lines.insert(at + 1, " " * indent + f"when: {guard}\n")
        elif kind == "alias":
            lines[at] = f"{key}: &jangkar {value}" if sep else line
            lines.append(f"lain: *{'jangkar' if pick % 2 else 'hilang'}\n")
        elif kind == "bomb":
            levels = 3 + pick % 8
            bomb = ['bom0: &b0 ["ha", "ha", "ha", "ha", "ha", "ha", "ha", "ha", "ha"]\n']
            bomb += [f"bom{i}: &b{i} [{', '.join([f'*b{i - 1}'] * 9)}]\n" for i in range(1, levels)]
            lines[at:at] = bomb if not line.startswith(" ") else []
            if line.startswith(" "):
                lines[at] = _replace_value(line, f"*b{levels - 1}")
                lines[0:0] = bomb
        elif kind == "delete":
            del lines[at]
        elif kind == "duplicate":
            lines.insert(at, line)
        elif kind == "indent":
            lines[at] = ("   " + line) if pick % 2 else line.lstrip()
        elif kind == "text":
            cut = pick % (len(line) + 1)
            lines[at] = line[:cut] + noise + line[cut:]
        return lines

    return apply


def draw_guard(ands: int, pick: int) -> str:
    """A guard from empty to thousands of operators, or nested brackets."""
    shapes = ['""', '"   "', '"' + " and ".join(["jumlah > 0"] * max(1, ands)) + '"',
              '"' + "(" * (ands % 200) + "jumlah" + ")" * (ands % 200) + '"', '"not ' * 1 + "not " * (ands % 500) + 'x"',
              '"jumlah > settings.batas' + " + 1" * (ands % 300) + '"', '"jumlah.__class__"', '"lipsum()"']
    return shapes[pick % len(shapes)]


@st.composite
def mutated_yaml(draw: st.DrawFn, sources: list[Path]) -> bytes:
    """One shipped file with one to three mutations, as bytes (the last may break the UTF-8)."""
    source = draw(st.sampled_from(sources))
    lines = source.read_text(encoding="utf-8").splitlines(keepends=True)
    for mutate in draw(st.lists(_mutation(), min_size=1, max_size=3)):
        lines = mutate(lines)
    data = "".join(lines).encode("utf-8")
    if draw(st.integers(0, 9)) == 0:  # one example in ten carries bytes that are not UTF-8
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.sampled_from([b"\xff", b"\xc3", b"\xe2\x82", b"\xed\xa0\x80", b"\x80\x80"])) \
            + data[at:]
    return data


@contextmanager
def time_bound(seconds: int, what: str) -> Iterator[None]:
    """Fail (TimeoutError) when the block runs longer than ``seconds``: a hang is a finding."""

    def expired(_signum: int, _frame: FrameType | None) -> None:
        raise TimeoutError(f"{what} lebih dari {seconds} detik")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
