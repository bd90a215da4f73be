"""The layers of ``casework.instruments``: definitions at the bottom, no import circles.

Every ``casework.instruments`` import counts, also one inside a function (a late import is
still a dependency); imports under ``if TYPE_CHECKING:`` do not.
"""

from __future__ import annotations

import ast
from pathlib import Path

import casework.instruments

PKG = Path(casework.instruments.__file__).resolve().parent
PREFIX = "casework.instruments"


def _name(path: Path) -> str:
    return PREFIX if path.stem == "__init__" else f"{PREFIX}.{path.stem}"


def _runtime_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped |= {id(n) for sub in node.body for n in ast.walk(sub)}
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found |= {f"{node.module}.{a.name}" for a in node.names}
    return found


def _graph() -> dict[str, set[str]]:
    modules = {_name(p): p for p in PKG.glob("*.py")}
    return {m: _runtime_imports(p) & (set(modules) - {m}) for m, p in modules.items()}


def test_the_parts_of_a_definition_import_nothing_else_from_the_package() -> None:
    """``_parts`` (items, scales, bands, rules: pure data) is the bottom layer."""
    assert _graph()[f"{PREFIX}._parts"] == set()


def test_scoring_compiling_validating_and_serialising_never_import_the_instrument() -> None:
    """They work on the parts; only the instrument (model) and the layers above import them."""
    graph = _graph()
    for low in ("scoring", "_compiled", "_validate", "_serial", "batch", "_vector"):
        deps = graph[f"{PREFIX}.{low}"]
        assert f"{PREFIX}.model" not in deps, low
        assert PREFIX not in deps, low


def test_there_is_no_import_circle_in_the_package() -> None:
    """A depth-first walk finds no module reachable from itself."""
    graph = _graph()
    done: set[str] = set()

    def walk(module: str, path: tuple[str, ...]) -> None:
        assert module not in path, " -> ".join((*path, module))
        if module in done:
            return
        for dep in sorted(graph[module]):
            walk(dep, (*path, module))
        done.add(module)

    for module in sorted(graph):
        walk(module, ())
