"""The layering rules of ``engine/``, checked from the source (every import, at any depth of a module).

Layers, inner to outer; a module may import its own layer and the ones inside it, never outward:

    0  engine.errors, engine.settings
    1  engine.domain            the SOP language and the rules
    1  engine.audit.core        stdlib + cryptography only (what the standalone verify.py bundles)
    2  engine.adapters          store, render, attachments, passwords
    3  engine.audit             trail over the store
    4  engine.services          use cases
    5  engine.cli, engine.web, engine.demo    entry points
    6  engine (the public API), engine.__main__

Besides: entry points reach the engine only through the services (plus the domain's pure helpers,
the errors and the settings), never the store or SQLAlchemy; and no import cycle exists.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Module", "check", "import_graph", "violations"]

LAYERS: tuple[tuple[str, int], ...] = (
    ("engine.errors", 0),
    ("engine.settings", 0),
    ("engine.domain", 1),
    ("engine.audit.core", 1),
    ("engine.adapters", 2),
    ("engine.audit", 3),
    ("engine.services", 4),
    ("engine.cli", 5),
    ("engine.web", 5),
    ("engine.demo", 5),
    ("engine.__main__", 6),
    ("engine", 6),
)
ENTRY_POINTS = ("engine.cli", "engine.web", "engine.demo")
ENTRY_MAY_USE = ("engine.services", "engine.domain", "engine.errors", "engine.settings", *ENTRY_POINTS)
STORE = ("engine.adapters.store", "sqlalchemy", "alembic")
CORE = "engine.audit.core"
CORE_MAY_USE = ("cryptography",)


@dataclass(frozen=True)
class Module:
    """One module of the package and what it imports (absolute names, with line numbers)."""

    name: str
    path: Path
    imports: tuple[tuple[str, int], ...]


def _within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def layer_of(name: str) -> tuple[str, int] | None:
    """The most specific layer a module belongs to."""
    matches = [(prefix, rank) for prefix, rank in LAYERS if _within(name, prefix)]
    return max(matches, key=lambda m: len(m[0])) if matches else None


def _module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def import_graph(root: Path) -> dict[str, Module]:
    """Every module under ``root`` (the ``engine`` folder) with the names it imports."""
    modules: dict[str, Module] = {}
    files = sorted(p for p in root.rglob("*.py") if "migrations" not in p.parts or p.name == "env.py")
    names = {_module_name(root, p) for p in files}
    for path in files:
        name = _module_name(root, path)
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        found: list[tuple[str, int]] = []
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found += [(alias.name, node.lineno) for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                for alias in node.names:
                    candidate = f"{node.module}.{alias.name}"
                    found.append((candidate if candidate in names else node.module, node.lineno))
        modules[name] = Module(name, path, tuple(found))
    return modules


def _cycles(modules: dict[str, Module]) -> list[list[str]]:
    graph = {m: sorted({t for t, _ in mod.imports if t in modules and t != m}) for m, mod in modules.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []
    counter = 0

    def visit(node: str) -> None:  # Tarjan's strongly connected components
        nonlocal counter
        index[node] = low[node] = counter
        counter += 1
        stack.append(node)
        on_stack.add(node)
        for target in graph[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for node in sorted(graph):
        if node not in index:
            visit(node)
    return out


def violations(modules: dict[str, Module]) -> list[str]:
    """Every broken rule, as ``path:line: what``."""
    problems: list[str] = []
    for module in modules.values():
        own = layer_of(module.name)
        for target, line in module.imports:
            where = f"{module.path}:{line}"
            if any(_within(module.name, e) for e in ENTRY_POINTS):
                inside = _within(target, "engine") and not any(_within(target, a) for a in ENTRY_MAY_USE)
                if inside or any(_within(target, s) for s in STORE):
                    problems.append(f"{where}: entry point {module.name} imports {target} (call a service instead)")
            if _within(module.name, CORE):
                top = target.split(".")[0]
                allowed = (top in sys.stdlib_module_names or top in CORE_MAY_USE or top == "__future__"
                           or _within(target, CORE))
                if not allowed:
                    problems.append(f"{where}: audit core {module.name} imports {target} "
                                    "(only the standard library and cryptography)")
                continue
            theirs = layer_of(target) if _within(target, "engine") else None
            if own and theirs and theirs[1] > own[1]:
                problems.append(f"{where}: {module.name} (layer {own[0]}) imports outward {target} "
                                f"(layer {theirs[0]})")
    for cycle in _cycles(modules):
        problems.append("import cycle: " + " -> ".join(cycle))
    return problems


def check(root: Path) -> list[str]:
    """Violations of the layering rules in the package at ``root``."""
    return violations(import_graph(root))


def describe(modules: Iterable[Module]) -> str:
    """A one-line count, for failure messages."""
    items = list(modules)
    return f"{len(items)} modules, {sum(len(m.imports) for m in items)} imports"
