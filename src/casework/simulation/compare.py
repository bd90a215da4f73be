"""Scenario comparison: several plans run with the same seeds, one table and one chart.

Every scenario runs with the same replication seeds (common random numbers), so differences
between plans are not blurred by luck of the draw as much as independent seeds would.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Executor
from typing import Any

import attrs

from casework.catalogue import Catalogue
from casework.errors import InvalidValue
from casework.simulation._deps import require
from casework.simulation.metrics import HEADLINE, LABELS
from casework.simulation.montecarlo import MonteCarlo, Progress, run_montecarlo
from casework.simulation.scenario import Scenario
from casework.simulation.table import Table

__all__ = ["Comparison", "compare"]


def _label(name: str, lang: str) -> str:
    en, zh, _ = LABELS.get(name, (name, name, ""))
    return zh if lang == "zh" else en


@attrs.frozen(repr=False)
class Comparison:
    """Monte Carlo results of several scenarios, run with the same seeds."""

    results: tuple[MonteCarlo, ...]

    @property
    def names(self) -> tuple[str, ...]:
        """The scenarios' names, in order."""
        return tuple(r.scenario.name for r in self.results)

    def rows(self, names: Sequence[str] = HEADLINE) -> list[dict[str, Any]]:
        """Plain rows, one per scenario and indicator: median, 5 % and 95 % over runs."""
        return [
            {
                "scenario": r.scenario.name,
                "indicator": d.name,
                "median": d.median,
                "p5": d.low,
                "p95": d.high,
                "runs": d.n,
            }
            for r in self.results
            for d in r.summary(names)
        ]

    def table(self, names: Sequence[str] = HEADLINE, lang: str = "en") -> Table:
        """One row per indicator, one column per scenario: ``median [5%-95%]``."""
        first = "指标" if lang == "zh" else "indicator"
        rows = []
        for name in names:
            row: dict[str, Any] = {first: _label(name, lang)}
            for r in self.results:
                d = r.distribution(name)
                row[r.scenario.name] = f"{d.median:.3g} [{d.low:.3g}-{d.high:.3g}]"
            rows.append(row)
        runs = len(self.results[0].runs) if self.results else 0
        return Table((first, *self.names), rows, f"median [5%-95%] over {runs} runs each")

    def to_pandas(self, names: Sequence[str] = HEADLINE) -> Any:
        """:meth:`rows` as a pandas DataFrame (``pip install 'casework[notebook]'``)."""
        pd = require("pandas", "notebook", "Comparison.to_pandas")
        return pd.DataFrame(self.rows(names))

    def plot(self, names: Sequence[str] = HEADLINE, lang: str = "en") -> Any:
        """One chart: a panel per indicator, each scenario's median with its 5-95 % interval.

        Returns the matplotlib Figure (``pip install 'casework[notebook]'``).
        """
        require("matplotlib", "notebook", "Comparison.plot")
        from matplotlib.figure import Figure

        cols = 2 if len(names) == 4 else min(3, len(names))
        nrows = -(-len(names) // cols)
        fig = Figure(figsize=(4.2 * cols, 2.6 * nrows), layout="constrained")
        axes = fig.subplots(nrows, cols, squeeze=False)
        ys = list(range(len(self.results)))
        for k, name in enumerate(names):
            ax = axes[k // cols][k % cols]
            ds = [r.distribution(name) for r in self.results]
            med = [d.median for d in ds]
            err = [[d.median - d.low for d in ds], [d.high - d.median for d in ds]]
            ax.errorbar(med, ys, xerr=err, fmt="o", capsize=4, color="#2a6f97")
            ax.set_yticks(ys, self.names)
            ax.set_ylim(len(ys) - 0.5, -0.5)  # first scenario on top, half a row of margin
            en, zh, unit = LABELS.get(name, (name, name, ""))
            ax.set_title(en if lang != "zh" else zh, fontsize=9)
            ax.set_xlabel(unit, fontsize=8)
            ax.grid(axis="x", alpha=0.3)
        for k in range(len(names), nrows * cols):
            axes[k // cols][k % cols].set_visible(False)
        return fig

    def __repr__(self) -> str:
        return str(self.table())

    def _repr_html_(self) -> str:
        return self.table()._repr_html_()


def compare(
    scenarios: Sequence[Scenario],
    *,
    replications: int = 100,
    seed: int = 0,
    workers: int = 1,
    executor: Executor | None = None,
    progress: Progress | None = None,
    catalogue: Catalogue | None = None,
) -> Comparison:
    """Run every scenario ``replications`` times with the same seeds, side by side.

    ``workers``, ``executor`` and ``catalogue`` are as for :func:`run_montecarlo`; one
    executor runs every scenario's study in turn.
    """
    if not scenarios:
        raise InvalidValue("scenarios", "nothing to compare")
    names = [s.name for s in scenarios]
    if len(set(names)) != len(names):
        raise InvalidValue("scenarios", f"scenario names must differ, got {names}")
    total = replications * len(scenarios)
    results = []
    for i, scenario in enumerate(scenarios):
        step = None
        if progress is not None:
            offset = i * replications

            def step(done: int, _total: int, offset: int = offset) -> None:
                progress(offset + done, total)

        results.append(
            run_montecarlo(
                scenario,
                replications=replications,
                seed=seed,
                workers=workers,
                executor=executor,
                progress=step,
                catalogue=catalogue,
            )
        )
    return Comparison(tuple(results))
