"""Every notebook in docs/ runs: its code cells are executed in order, from docs/, like Jupyter."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parent.parent / "docs"
#: Notebooks with a test of their own, which checks more than that they run.
OWN_TESTS = {"shiqiao.ipynb": "tests/reporting/test_rep_notebook.py"}
NOTEBOOKS = sorted(p for p in DOCS.glob("*.ipynb") if p.name not in OWN_TESTS)


def code_cells(path: Path) -> list[tuple[int, str]]:
    """(cell number, source) of each code cell; outputs are not stored in these notebooks."""
    notebook = json.loads(path.read_text(encoding="utf-8"))
    assert notebook["nbformat"] == 4, f"{path.name}: not an nbformat 4 notebook"
    found = []
    for i, cell in enumerate(notebook["cells"]):
        if cell["cell_type"] == "code":
            assert not cell.get("outputs"), f"{path.name} cell {i}: clear outputs before saving"
            found.append((i, "".join(cell["source"])))
    return found


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs(path: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    monkeypatch.chdir(DOCS)
    monkeypatch.setenv("MPLCONFIGDIR", str(tmp_path))
    namespace: dict[str, object] = {"__name__": "__main__"}
    for number, source in code_cells(path):
        try:
            exec(compile(source, f"{path.name}[cell {number}]", "exec"), namespace)
        except Exception as exc:
            pytest.fail(f"{path.name}: cell {number} failed: {type(exc).__name__}: {exc}")


def test_every_notebook_is_run_by_some_test() -> None:
    root = DOCS.parent
    assert {p.name for p in NOTEBOOKS} >= {"planner.ipynb"}
    for name, test in OWN_TESTS.items():
        assert name in (root / test).read_text(encoding="utf-8")
