"""Benchmark the simulation: one simulated station-year, many replications.

Run from the repository root with the project's venv active (and ``casework[sim]``)::

    python bench/bench_simulation.py                     # 1,000 replications
    python bench/bench_simulation.py --replications 50   # quick run
    python bench/bench_simulation.py --executors         # serial vs process pool vs dask

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

With ``--executors`` it measures instead how the same replications spread over executors,
in one run and with the same seeds: ``run_montecarlo`` serially in this process, with a
``ProcessPoolExecutor`` of ``--workers`` processes (2), and on a dask ``LocalCluster`` of as
many single-threaded worker processes (``casework[cluster]``).  For each executor: the time
to start it and warm it up (its workers import casework and run a few replications), the best
wall time of the study over ``--rounds`` interleaved rounds (3), and the speed-up over serial;
every study's runs must be identical to the serial one's.

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
    parser.add_argument(
        "--executors", action="store_true", help="serial vs process pool vs dask LocalCluster"
    )
    parser.add_argument("--workers", type=int, default=2, help="processes for --executors")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (--executors)")
    args = parser.parse_args(argv)
    if args.executors:
        return bench_executors(args.replications, args.seed, args.workers, args.rounds)

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


def bench_executors(replications: int, seed: int, workers: int, rounds: int) -> int:
    """Serial vs a process pool vs a dask LocalCluster: same seeds, one run, wall times.

    Each executor is started (and its workers warmed up) once; then ``rounds`` rounds each run
    the study serially, on the pool and on dask, one after the other, and the best wall time
    of each is kept, so that other work on a shared machine disturbs the ratios less.
    """
    from concurrent.futures import Executor, ProcessPoolExecutor
    from contextlib import ExitStack

    from casework.simulation import dask_executor, load_scenarios, run_montecarlo

    scenario = load_scenarios(SCENARIO)[0]
    run_montecarlo(scenario, replications=2, seed=seed + 1)  # warm up this process
    serial_runs = ""

    def study(executor: Executor | None) -> float:
        nonlocal serial_runs
        t0 = time.perf_counter()
        mc = run_montecarlo(scenario, replications=replications, seed=seed, executor=executor)
        wall = time.perf_counter() - t0
        if executor is None:
            serial_runs = repr(mc.runs)
        elif repr(mc.runs) != serial_runs:
            raise SystemExit(f"runs differ from serial under {executor!r}")
        return wall

    def warm(executor: Executor) -> Executor:
        # start every worker: each imports casework and runs a replication or two
        run_montecarlo(scenario, replications=2 * workers, seed=seed + 1, executor=executor)
        return executor

    loads = [os.getloadavg()[0]]
    names = ["serial (this process)", f"ProcessPoolExecutor({workers})"]
    with ExitStack() as stack:
        t0 = time.perf_counter()
        pool = warm(stack.enter_context(ProcessPoolExecutor(max_workers=workers)))
        starts = [0.0, time.perf_counter() - t0]
        executors: list[Executor | None] = [None, pool]
        try:
            t0 = time.perf_counter()
            dask = warm(stack.enter_context(dask_executor(n_workers=workers)))
        except ImportError as exc:
            print(f"(dask skipped: {exc})")
        else:
            starts.append(time.perf_counter() - t0)
            executors.append(dask)
            names.append(f"dask LocalCluster({workers} processes x 1 thread)")
        walls: list[list[float]] = [[] for _ in executors]
        for _ in range(rounds):
            for k, executor in enumerate(executors):
                walls[k].append(study(executor))
                loads.append(os.getloadavg()[0])

    best = [min(w) for w in walls]
    rows = [
        {
            "executor": name,
            "start_seconds": start,
            "wall_seconds_best": wall,
            "wall_seconds_all": all_walls,
            "speedup": best[0] / wall,
            "speedup_with_start": best[0] / (wall + start),
        }
        for name, start, wall, all_walls in zip(names, starts, best, walls, strict=True)
    ]
    result = {
        "when": datetime.now().isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.platform()}",
        "python": sys.version.split()[0],
        "load_average_1min": loads,
        "replications": replications,
        "rounds": rounds,
        "workers": workers,
        "identical_runs": True,  # checked on every study above
        "rows": rows,
    }
    RESULTS_DIR.mkdir(exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    out = RESULTS_DIR / f"simulation-executors-{stamp}-{replications}.json"
    out.write_text(json.dumps(result, indent=2) + "\n", "utf-8")

    print(f"replications on executors: {replications} of one station-year ({SCENARIO.name})")
    print(f"machine: {result['machine']}; Python {result['python']}")
    print(
        f"best of {rounds} interleaved rounds; 1-minute load average {min(loads):.2f}-"
        f"{max(loads):.2f}\n"
    )
    print(
        "| executor | start + warm-up | study, best (wall) | ms per replication | speed-up | "
        "speed-up incl. start |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    for name, start, wall in zip(names, starts, best, strict=True):
        print(
            f"| {name} | {start:.1f} s | {wall:.1f} s | {1000 * wall / replications:.1f} "
            f"| {best[0] / wall:.2f}x | {best[0] / (wall + start):.2f}x |"
        )
    print(f"\nruns identical to serial in every study: True (wrote {out})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
