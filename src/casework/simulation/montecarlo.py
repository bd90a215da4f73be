"""Monte Carlo: many runs of one scenario, each with its own explicit seed, as distributions.

Replication ``i`` of a study with seed ``s`` always runs with :func:`replication_seed` ``(s, i)``,
whichever process runs it, so a study spread over processes (``workers=K``) or run by any
executor (``executor=``: threads, a process pool, a dask cluster) gives exactly the same runs,
in the same order, as a serial one.  Results are the per-run
:class:`~casework.simulation.metrics.Metrics` and, for each indicator, the median and the
5-95 % interval over runs.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Sequence
from concurrent.futures import Executor

import attrs

from casework.catalogue import Catalogue
from casework.errors import InvalidValue
from casework.simulation._deps import require_simpy
from casework.simulation.executors import (
    Progress,
    batch_size,
    run_batches,
    run_in_processes,
    run_one_batch,
)
from casework.simulation.metrics import HEADLINE, LABELS, Metrics
from casework.simulation.scenario import Scenario
from casework.simulation.table import Table

__all__ = [
    "Distribution",
    "MonteCarlo",
    "Progress",
    "quantile",
    "replication_seed",
    "run_montecarlo",
]


def replication_seed(seed: int, index: int) -> int:
    """The seed of replication ``index`` of a study seeded ``seed`` (stable across platforms)."""
    digest = hashlib.sha256(f"casework.simulation:{seed}:{index}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


def quantile(sorted_values: Sequence[float], p: float) -> float:
    """The ``p`` quantile of sorted values, interpolated linearly (numpy's default method)."""
    if not sorted_values:
        return math.nan
    pos = p * (len(sorted_values) - 1)
    lo = math.floor(pos)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo)


@attrs.frozen
class Distribution:
    """An indicator over runs: median, 5 % and 95 % quantiles, mean, and how many runs had it."""

    name: str
    median: float
    low: float
    high: float
    mean: float
    n: int

    @classmethod
    def of(cls, name: str, values: Iterable[float]) -> Distribution:
        """The distribution of ``values``, leaving out runs where the indicator is undefined."""
        xs = sorted(v for v in values if not math.isnan(v))
        mean = sum(xs) / len(xs) if xs else math.nan
        return cls(name, quantile(xs, 0.5), quantile(xs, 0.05), quantile(xs, 0.95), mean, len(xs))

    def __str__(self) -> str:
        return f"{self.name}: {self.median:.3g} [{self.low:.3g}-{self.high:.3g}] (n={self.n})"


def _label(name: str, lang: str) -> str:
    en, zh, _unit = LABELS.get(name, (name, name, ""))
    return zh if lang == "zh" else en


@attrs.frozen(repr=False)
class MonteCarlo:
    """Runs of one scenario: ``runs[i]`` used ``replication_seed(seed, i)``."""

    scenario: Scenario
    seed: int
    runs: tuple[Metrics, ...]

    def distribution(self, name: str) -> Distribution:
        """The distribution of indicator ``name`` over the runs."""
        return Distribution.of(name, (m.value(name) for m in self.runs))

    def summary(self, names: Sequence[str] = HEADLINE) -> list[Distribution]:
        """The distributions of ``names`` (the headline indicators by default)."""
        return [self.distribution(n) for n in names]

    def waiting_list(self) -> list[tuple[str, float, float, float]]:
        """(month, median, 5 %, 95 %) of the number of children waiting, month by month."""
        months = [m for m, _ in self.runs[0].waiting_list] if self.runs else []
        rows = []
        for i, month in enumerate(months):
            d = Distribution.of(month, (r.waiting_list[i][1] for r in self.runs))
            rows.append((month, d.median, d.low, d.high))
        return rows

    def table(self, names: Sequence[str] = HEADLINE, lang: str = "en") -> Table:
        """The summary as a table: one row per indicator, median and 5-95 % interval."""
        head = (
            ("indicator", "median", "5%", "95%")
            if lang != "zh"
            else ("指标", "中位数", "5%", "95%")
        )
        rows = [
            dict(zip(head, (_label(d.name, lang), d.median, d.low, d.high), strict=True))
            for d in self.summary(names)
        ]
        title = f"{self.scenario.name}: {len(self.runs)} runs, seed {self.seed}"
        return Table(head, rows, title)

    def __repr__(self) -> str:
        return f"<MonteCarlo {self.scenario.name!r}: {len(self.runs)} runs, seed {self.seed}>"

    def _repr_html_(self) -> str:
        return self.table()._repr_html_()


def run_montecarlo(
    scenario: Scenario,
    *,
    replications: int = 100,
    seed: int = 0,
    workers: int = 1,
    executor: Executor | None = None,
    progress: Progress | None = None,
    catalogue: Catalogue | None = None,
) -> MonteCarlo:
    """Run ``scenario`` ``replications`` times, in this process or spread over workers.

    ``workers > 1`` starts that many processes for the study; ``executor`` runs it on any
    :class:`concurrent.futures.Executor` you already have (a ``ThreadPoolExecutor``, a
    ``ProcessPoolExecutor``, a dask cluster's ``Client.get_executor()``), which is used and
    left open.  Give one or the other.  The result does not depend on either: the same
    ``seed`` gives the same runs.  A replication that fails raises
    :class:`~casework.simulation.executors.ReplicationFailed` naming its seed.  The
    scenario's lifecycle is found in ``catalogue`` (default: the shipped one), which is sent
    to the workers with the scenario.

    .. versionchanged:: 0.1.0 ``executor``.
    """
    problems = []
    if isinstance(replications, bool) or not isinstance(replications, int) or replications < 1:
        problems.append(f"replications must be a positive whole number, got {replications!r}")
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        problems.append(f"workers must be a positive whole number, got {workers!r}")
    if isinstance(seed, bool) or not isinstance(seed, int):
        problems.append(f"seed must be a whole number, got {seed!r}")
    if executor is not None and not isinstance(executor, Executor):
        problems.append(
            "executor must be a concurrent.futures.Executor (or None), "
            f"got {type(executor).__name__} {executor!r}"
        )
    elif executor is not None and workers != 1:
        problems.append(
            f"give workers or executor, not both (workers={workers!r} with an executor)"
        )
    if problems:
        raise InvalidValue("run_montecarlo", "; ".join(problems))
    require_simpy()  # a missing extra is named as such, not as every replication failing
    seeds = [replication_seed(seed, i) for i in range(replications)]
    return MonteCarlo(
        scenario,
        seed,
        tuple(
            run_seeds(scenario, seeds, workers, progress, executor=executor, catalogue=catalogue)
        ),
    )


def run_seeds(
    scenario: Scenario,
    seeds: Sequence[int],
    workers: int = 1,
    progress: Progress | None = None,
    *,
    executor: Executor | None = None,
    catalogue: Catalogue | None = None,
) -> list[Metrics]:
    """Metrics of one run per seed, in the order of ``seeds``."""
    total = len(seeds)
    if executor is not None:
        size = batch_size(total, None)
        return run_batches(executor, scenario, seeds, size, progress, catalogue=catalogue)
    if workers > 1 and total > 1:
        return run_in_processes(scenario, seeds, workers, progress, catalogue)
    out: list[Metrics] = []
    for s in seeds:
        out.extend(run_one_batch(scenario, [s], catalogue))
        if progress is not None:
            progress(len(out), total)
    return out
