"""Benchmark the simulation: one simulated station-year, many replications.

Run from the repository root with the project's venv active (and ``casework[sim]``)::

    python bench/bench_simulation.py                     # 1,000 replications
    python bench/bench_simulation.py --replications 50   # quick run

The workload is the base scenario of ``docs/scenarios/xinqiao.toml`` (one station-year, about
70 referrals, 3 social workers and 12 volunteer counsellors), run serially in this process:
each replication simulates the year with SimPy, drives every case through the real engine, and
computes the run's metrics from the events.  Reported:

* time per replication (CPU time of this process, ``time.process_time``, and wall time), over
  all replications, after two warm-up runs;
* events and commands per replication;
* where the time goes, from a cProfile run over a sample of replications: cumulative time
  under the lifecycle engine (``Engine.execute`` and ``Engine.open``, which include the guards,
  the ``transitions`` machine, the MHT scoring hook and applying events to cases), under MHT
  scoring alone (``Instrument.score``), in computing metrics, and the rest (SimPy, the
  model's own code, building clients, sessions and answers).

Writes JSON to ``bench/results/`` (gitignored) and prints a markdown table.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import platform
import pstats
import sys
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = ROOT / "docs" / "scenarios" / "xinqiao.toml"
RESULTS_DIR = Path(__file__).resolve().parent / "results"


def _cumulative(stats: pstats.Stats, file_part: str, function: str) -> float:
    """Cumulative seconds of every profiled function named ``function`` in a matching file."""
    table = stats.stats  # type: ignore[attr-defined]
    return sum(
        row[3]
        for (filename, _line, name), row in table.items()
        if name == function and file_part in filename.replace(os.sep, "/")
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=1000)
    parser.add_argument("--profile-sample", type=int, default=100, help="runs to profile")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    from casework.simulation import load_scenarios, replication_seed, simulate

    scenario = load_scenarios(SCENARIO)[0]
    seeds = [replication_seed(args.seed, i) for i in range(args.replications)]
    for s in seeds[:2]:  # warm up imports and caches
        simulate(scenario, seed=s).metrics()

    events = commands = 0
    cpu0, wall0 = time.process_time(), time.perf_counter()
    for s in seeds:
        run = simulate(scenario, seed=s)
        run.metrics()
        n = sum(c.version for c in run.cases)
        events += n
        commands += n - sum(1 for c in run.cases for e in c.history if e.type == "alert_raised")
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0

    sample = seeds[: min(args.profile_sample, len(seeds))]
    profile = cProfile.Profile()
    profile.enable()
    for s in sample:
        simulate(scenario, seed=s).metrics()
    profile.disable()
    stats = pstats.Stats(profile)
    total = stats.total_tt  # type: ignore[attr-defined]
    engine = _cumulative(stats, "casework/engine.py", "execute") + _cumulative(
        stats, "casework/engine.py", "open"
    )
    scoring = _cumulative(stats, "casework/instruments/model.py", "score")
    metrics = _cumulative(stats, "casework/simulation/metrics.py", "measure")

    n = len(seeds)
    result = {
        "when": datetime.now().isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.platform()}",
        "python": sys.version.split()[0],
        "replications": n,
        "cpu_seconds": cpu,
        "wall_seconds": wall,
        "ms_per_replication_cpu": 1000 * cpu / n,
        "ms_per_replication_wall": 1000 * wall / n,
        "events_per_replication": events / n,
        "commands_per_replication": commands / n,
        "us_per_event": 1e6 * cpu / events,
        "profile_sample": len(sample),
        "share_engine": engine / total,
        "share_scoring": scoring / total,
        "share_metrics": metrics / total,
        "share_rest": 1 - (engine + metrics) / total,
    }
    RESULTS_DIR.mkdir(exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    out = RESULTS_DIR / f"simulation-{stamp}-{n}.json"
    out.write_text(json.dumps(result, indent=2) + "\n", "utf-8")

    print(f"simulation benchmark: {n} replications of one station-year ({SCENARIO.name})")
    print(f"machine: {result['machine']}; Python {result['python']}\n")
    print("| figure | value |\n|---|---|")
    print(f"| time per replication (CPU) | {result['ms_per_replication_cpu']:.1f} ms |")
    print(f"| time per replication (wall) | {result['ms_per_replication_wall']:.1f} ms |")
    print(f"| {n} replications (CPU / wall) | {cpu:.1f} s / {wall:.1f} s |")
    print(f"| events per replication | {result['events_per_replication']:.0f} |")
    print(f"| CPU per event, all included | {result['us_per_event']:.0f} µs |")
    print(f"| share in the lifecycle engine (incl. scoring) | {result['share_engine']:.0%} |")
    print(f"| of which MHT scoring | {result['share_scoring']:.0%} |")
    print(f"| share computing metrics from events | {result['share_metrics']:.0%} |")
    print(f"| share elsewhere (SimPy, model, inputs) | {result['share_rest']:.0%} |")
    print(f"\n(profile shares from cProfile over {len(sample)} replications; wrote {out})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
