"""The package's layers: no import circle anywhere, and every layer imports only those below.

Every ``casework`` import counts, at module level or inside a function (a late import is still
a dependency); imports under ``if TYPE_CHECKING:`` do not.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import casework

ROOT = Path(casework.__file__).resolve().parent


def _module(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_module(p): p for p in ROOT.rglob("*.py")}


def _resolve(name: str) -> str | None:
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped |= {id(n) for sub in node.body for n in ast.walk(sub)}
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # ``from pkg import mod`` depends on pkg.mod where that is a module, else on pkg
            names = [
                f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in MODULES else node.module
                for a in node.names
            ]
        for name in names:
            target = _resolve(name) if name.startswith("casework") else None
            if target is not None:
                found.add(target)
    return found


GRAPH = {m: _imports(p) - {m} for m, p in MODULES.items()}


def _reaches(start: str) -> set[str]:
    seen: set[str] = set()
    todo = [start]
    while todo:
        for nxt in GRAPH[todo.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def test_no_import_circles() -> None:
    circles = sorted(m for m in GRAPH if m in _reaches(m))
    assert circles == [], f"modules in import circles: {circles}"


#: (layer, modules): each layer may import only layers listed before it.
LAYERS = [
    (
        "records and events",
        ["errors", "_support", "_validators", "events", "records", "plan", "station", "outreach"],
    ),
    (
        "definitions",
        [
            "instruments",
            "assessment",
            "lifecycle",
            "rules",
            "guards",
            "standard",
            "due",
            "retention",
        ],
    ),
    ("the catalogue", ["catalogue"]),
    ("the seam with transitions", ["_machine"]),
    ("cases", ["case", "journal", "recording", "register"]),
    ("the engine", ["hooks", "engine", "referral"]),
    ("stores and the codec", ["keys", "serialize", "store", "erasure", "encryption"]),
    ("read side and simulation", ["reporting", "simulation", "demo"]),
    ("the command line", ["cli", "__main__"]),
]


def _layer_of(module: str) -> int:
    short = module.removeprefix("casework").lstrip(".")
    head = short.split(".")[0] if short else ""
    if head == "":
        return len(LAYERS) - 1  # the facade re-exports the public names; only the CLI uses it
    for i, (_, heads) in enumerate(LAYERS):
        if head in heads:
            return i
    raise AssertionError(f"{module} is in no layer: add it to LAYERS")


@pytest.mark.parametrize("module", sorted(GRAPH))
def test_each_module_imports_only_its_own_layer_and_those_below(module: str) -> None:
    mine = _layer_of(module)
    above = sorted(m for m in GRAPH[module] if _layer_of(m) > mine)
    assert above == [], f"{module} ({LAYERS[mine][0]}) imports from above: {above}"


def test_definitions_know_neither_the_machine_nor_cases_nor_guards() -> None:
    for module in ("casework.lifecycle", "casework.instruments.model"):
        reached = _reaches(module)
        for forbidden in ("casework._machine", "casework.case", "casework.guards"):
            assert forbidden not in reached, f"{module} reaches {forbidden}"


def test_the_codec_never_imports_reporting() -> None:
    assert not any(m.startswith("casework.reporting") for m in _reaches("casework.serialize"))
