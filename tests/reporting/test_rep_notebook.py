"""docs/shiqiao.ipynb runs: every code cell, in order, in one namespace, with matplotlib on
Agg and no Jupyter kernel; a failure names the cell.  The notebook is stored without outputs."""

from __future__ import annotations

import json
import os
import traceback
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("matplotlib")

NOTEBOOK = Path(__file__).resolve().parents[2] / "docs" / "shiqiao.ipynb"


def _notebook() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(NOTEBOOK.read_text("utf-8"))
    return data


def _source(cell: dict[str, Any]) -> str:
    src = cell["source"]
    return "".join(src) if isinstance(src, list) else str(src)


def test_the_notebook_is_nbformat_4_without_outputs() -> None:
    """The structure nbformat 4 requires, with no outputs or execution counts stored."""
    nb = _notebook()
    assert nb["nbformat"] == 4 and nb["nbformat_minor"] >= 4
    assert nb["metadata"]["kernelspec"]["language"] == "python"
    ids = [c["id"] for c in nb["cells"]]
    assert len(ids) == len(set(ids))
    for cell in nb["cells"]:
        assert cell["cell_type"] in ("markdown", "code") and isinstance(cell["source"], list)
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None
    first = _source(nb["cells"][0])
    assert "illustrative" in first.lower()  # the invented parts are labelled as such


def test_every_code_cell_runs_in_order(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Exec each code cell in one namespace; a failure names the cell and its first line."""
    import matplotlib

    matplotlib.use("Agg")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.chdir(tmp_path)  # anything the notebook wrote would land here
    namespace: dict[str, Any] = {"__name__": "__shiqiao__"}
    ran = 0
    for n, cell in enumerate(_notebook()["cells"]):
        if cell["cell_type"] != "code":
            continue
        source = _source(cell)
        assert not any(line.lstrip().startswith(("%", "!")) for line in source.splitlines()), (
            f"cell {n} uses IPython magics, which plain Python cannot run"
        )
        try:
            exec(compile(source, f"{NOTEBOOK.name}[cell {n}]", "exec"), namespace)
        except Exception:
            first = source.strip().splitlines()[0] if source.strip() else ""
            pytest.fail(
                f"{NOTEBOOK.name}: code cell {n} ({first!r}) failed:\n{traceback.format_exc()}",
                pytrace=False,
            )
        ran += 1
    assert ran >= 10
    assert os.listdir(tmp_path) == []  # the notebook writes no file
    ds = namespace["ds"]  # the station built from the article's figures
    assert len(ds.volunteers) == 209 and len(ds.teams) == 2 and len(ds.partners) == 8
    assert len(ds.activities) >= 100
    assert namespace["hours"].row(team="total")["hours"] == 2029
    assert namespace["persons"].row(source="total")["person_times"] >= 4000
    assert len(namespace["report"].charts) >= 4
