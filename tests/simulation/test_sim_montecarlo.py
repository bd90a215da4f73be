"""Monte Carlo and comparison: explicit seeds, serial equals parallel, distributions, tables."""

from __future__ import annotations

import math
import statistics
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from casework.errors import InvalidValue
from casework.simulation import (
    Distribution,
    Scenario,
    compare,
    replication_seed,
    run_montecarlo,
    simulate,
)
from casework.simulation.montecarlo import quantile


def test_replication_seeds_are_stable_and_distinct() -> None:
    seeds = [replication_seed(42, i) for i in range(100)]
    assert len(set(seeds)) == 100
    assert seeds == [replication_seed(42, i) for i in range(100)]
    assert replication_seed(43, 0) != seeds[0]


def test_each_run_is_the_single_run_of_its_seed(scenario: Scenario) -> None:
    mc = run_montecarlo(scenario, replications=3, seed=5)
    for i, m in enumerate(mc.runs):
        assert m.seed == replication_seed(5, i)
        assert repr(m) == repr(simulate(scenario, seed=m.seed).metrics())


def test_the_same_seed_gives_the_same_study(scenario: Scenario) -> None:
    a = run_montecarlo(scenario, replications=4, seed=1)
    b = run_montecarlo(scenario, replications=4, seed=1)
    assert repr(a.runs) == repr(b.runs)
    assert repr(run_montecarlo(scenario, replications=4, seed=2).runs) != repr(a.runs)


def test_processes_give_exactly_the_serial_result(scenario: Scenario) -> None:
    serial = run_montecarlo(scenario, replications=6, seed=3)
    seen: list[tuple[int, int]] = []
    parallel = run_montecarlo(
        scenario, replications=6, seed=3, workers=2, progress=lambda d, t: seen.append((d, t))
    )
    assert repr(parallel.runs) == repr(serial.runs)
    assert seen[-1] == (6, 6)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_distributions_are_median_and_5_95_quantiles(scenario: Scenario) -> None:
    mc = run_montecarlo(scenario, replications=7, seed=2)
    values = sorted(m.sessions_held for m in mc.runs)
    d = mc.distribution("sessions_held")
    assert d.median == statistics.median(values)
    assert d.low <= d.median <= d.high
    assert values[0] <= d.low and d.high <= values[-1]
    assert d.n == 7


def test_quantile_matches_linear_interpolation_worked_by_hand() -> None:
    xs = [1.0, 2.0, 4.0, 8.0]
    assert quantile(xs, 0.5) == 3.0  # halfway between 2 and 4
    assert quantile(xs, 0.05) == pytest.approx(1.15)  # 0.15 of the way from 1 to 2
    assert quantile(xs, 0.95) == pytest.approx(7.4)  # 0.85 of the way from 4 to 8
    assert math.isnan(quantile([], 0.5))
    nan_left_out = Distribution.of("x", [float("nan"), 1.0, 3.0])
    assert (nan_left_out.n, nan_left_out.median) == (2, 2.0)


def test_bad_study_parameters_are_refused_before_running(scenario: Scenario) -> None:
    with pytest.raises(InvalidValue) as info:
        run_montecarlo(scenario, replications=0, workers=0)
    assert "replications" in str(info.value) and "workers" in str(info.value)


def test_comparison_table_rows_and_chart(
    small_scenario: Callable[..., Scenario], tmp_path: Path
) -> None:
    two = small_scenario(name="two-counsellors")
    one = small_scenario(
        name="one-worker",
        teams=[{"name": "sw", "role": "social_worker", "count": 1, "sessions_per_week": 1}],
    )
    cmp = compare([two, one], replications=3, seed=1)
    rows = cmp.rows(["sessions_held", "utilisation"])
    assert [(r["scenario"], r["indicator"]) for r in rows] == [
        ("two-counsellors", "sessions_held"),
        ("two-counsellors", "utilisation"),
        ("one-worker", "sessions_held"),
        ("one-worker", "utilisation"),
    ]
    # the scarcer plan delivers fewer sessions with a busier worker, under the same seeds
    by = {(r["scenario"], r["indicator"]): r["median"] for r in rows}
    assert by[("one-worker", "sessions_held")] < by[("two-counsellors", "sessions_held")]
    assert by[("one-worker", "utilisation")] > by[("two-counsellors", "utilisation")]
    table = cmp.table(lang="zh")
    assert table.columns == ("指标", "two-counsellors", "one-worker")
    assert "<table>" in table._repr_html_() and "服务次数" in str(table)
    pd = pytest.importorskip("pandas")
    frame = cmp.to_pandas(["sessions_held"])
    assert isinstance(frame, pd.DataFrame) and len(frame) == 2
    pytest.importorskip("matplotlib")
    fig = cmp.plot(["sessions_held", "utilisation", "waiting_days", "reliably_improved"])
    path = tmp_path / "comparison.png"
    fig.savefig(path)
    assert path.stat().st_size > 10_000
    assert len([ax for ax in fig.axes if ax.get_visible()]) == 4


def test_comparison_refuses_duplicate_names(scenario: Scenario) -> None:
    with pytest.raises(InvalidValue):
        compare([scenario, scenario], replications=1)


def test_importing_casework_and_the_simulation_needs_no_optional_dependency() -> None:
    code = (
        "import sys, casework, casework.simulation\n"
        "optional = {'simpy', 'pandas', 'matplotlib', 'dask', 'distributed'}\n"
        "assert not optional & set(sys.modules), sorted(sys.modules)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_a_missing_simpy_is_named_with_its_extra(
    scenario: Scenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "simpy", None)  # as if it were not installed
    with pytest.raises(ImportError, match=r"pip install 'casework\[sim\]'"):
        simulate(scenario)


def test_missing_pandas_is_named_with_its_extra(
    scenario: Scenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    mc = run_montecarlo(scenario, replications=1)
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ImportError, match=r"pip install 'casework\[notebook\]'"):
        mc.table().to_pandas()
