"""Benchmark projections: yearly indicators from fact tables, rebuilds and catch-ups.

Run from the repository root with the project's venv active::

    python bench/bench_projections.py                        # 10,000 and 100,000 cases
    python bench/bench_projections.py --sizes 2000 --activities 400   # quick run

The workload is bench_indicators.py's (built once per size and cached in ``bench/results``);
each run works on a copy of the cached file.  For each size, in one run:

* **rebuild**: ``Projection(store).rebuild()`` (every fact table from zero) against today's
  ``Dataset.from_store(store)`` (decode and replay every case), and the parallel rebuild
  ``rebuild(executor=ProcessPoolExecutor(2))`` (the pool's start and shutdown timed too: what a
  user pays), its tables checked equal to the serial rebuild's;
* **indicators**: the figures of bench_indicators.py for 2023 (case flow, cases by state,
  sessions per case, person-times, volunteer hours by team, days in open states, the monthly
  series) from an up-to-date projection (``projection.dataset()`` and the indicator
  functions) against the pandas baseline of bench_indicators.py (its load plus its compute)
  and against the replayed dataset, the answers checked equal;
* **catch-up**: one more command (a transfer of an open case), then ``projection.catch_up()``.

Times are wall-clock seconds (``time.perf_counter``): one run each for the rebuild, the replay
path and the catch-up; the pandas baseline and the projected figures are run ``--repeat``
times (default 3), alternately, and their medians compared (the ratio of each pair is
printed too, so the spread a shared machine gives is seen).
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_indicators import RESULTS, build, figures, pandas_side
from casework import STANDARD, Engine
from casework.reporting import (
    Dataset,
)
from casework.reporting.projections import TABLES, Projection
from casework.store import SQLiteStore


def projected_figures(path: Path) -> tuple[dict[str, Any], float]:
    """A fresh reader's figures from the up-to-date projection: open, read, compute."""
    with SQLiteStore(path) as store:
        t = time.perf_counter()
        ours = figures(Projection(store).dataset())
        return ours, time.perf_counter() - t


def _timed(call: Any) -> float:
    gc.collect()  # each side starts without the garbage of the one before
    t = time.perf_counter()
    call()
    return time.perf_counter() - t


def _parallel_rebuild(projection: Projection) -> None:
    with ProcessPoolExecutor(2) as pool:  # started and shut down inside the timing
        projection.rebuild(executor=pool)


def run(
    n_cases: int, n_activities: int, work: Path, repeat: int = 3, rebuild_repeat: int = 3
) -> dict[str, Any]:
    cached = RESULTS / f"indicators-{n_cases}-{n_activities}.sqlite"
    if not cached.exists():
        build(cached, n_cases, n_activities)
    path = work / cached.name
    shutil.copyfile(cached, path)
    with sqlite3.connect(path) as db:
        n_events = db.execute("SELECT count(*) FROM events").fetchone()[0]
    out: dict[str, Any] = {"cases": n_cases, "activities": n_activities, "events": n_events}
    with SQLiteStore(path) as store:
        t = time.perf_counter()
        replayed = Dataset.from_store(store)
        from_store_times = [time.perf_counter() - t]
        t = time.perf_counter()
        theirs_replay = figures(replayed)
        out["replay_compute"] = time.perf_counter() - t
        del replayed
        projection = Projection(store)
        serial_times = [_timed(projection.rebuild)]
        serial_tables = {name: projection.tuples(name) for name in TABLES}
        parallel_times = [_timed(lambda: _parallel_rebuild(projection))]
        out["agree_parallel"] = serial_tables == {name: projection.tuples(name) for name in TABLES}
        del serial_tables
        sides = {
            "from_store": (from_store_times, lambda: Dataset.from_store(store)),
            "rebuild": (serial_times, projection.rebuild),
            "rebuild_parallel": (parallel_times, lambda: _parallel_rebuild(projection)),
        }
        order = list(sides)
        for turn in range(1, max(1, rebuild_repeat)):  # each turn in another order
            for name in order[turn % 3 :] + order[: turn % 3]:
                times, call = sides[name]
                times.append(_timed(call))
        for name, (times, _) in sides.items():
            out[name] = statistics.median(times)
            out[f"{name}_times"] = times
    pandas_times, projected_times = [], []
    for _ in range(max(1, repeat)):  # alternately, so both sides meet the same load
        theirs, pd_load, pd_compute = pandas_side(path)
        pandas_times.append(pd_load + pd_compute)
        ours, spent = projected_figures(path)
        projected_times.append(spent)
    out["pandas"] = statistics.median(pandas_times)
    out["projected"] = statistics.median(projected_times)
    out["ratios"] = [a / b for a, b in zip(pandas_times, projected_times, strict=True)]
    with SQLiteStore(path) as store:
        out["agree_pandas"] = ours == theirs
        out["agree_replay"] = ours == theirs_replay
        if not out["agree_pandas"] or not out["agree_replay"]:
            out["diffs"] = {
                k: (ours[k], theirs[k], theirs_replay[k])
                for k in ours
                if not ours[k] == theirs[k] == theirs_replay[k]
            }
        engine = Engine(STANDARD, store=store)
        case = store.load(store.cases(state="intervention")[0].case_id)
        projection = Projection(store)
        engine.transfer(case, "sw2", reason="leave", at=datetime(2024, 1, 2), by="lead")
        t = time.perf_counter()
        done = projection.catch_up()
        out["catch_up"] = time.perf_counter() - t
        out["catch_up_events"] = done.events
    return out


def _each(r: dict[str, Any], name: str) -> str:
    return "[" + ", ".join(f"{x:.2f}" for x in r[f"{name}_times"]) + "]"


def _pairs(r: dict[str, Any], name: str) -> str:
    """Each turn's ratio to that turn's from_store."""
    pairs = zip(r[f"{name}_times"], r["from_store_times"], strict=True)
    return "[" + ", ".join(f"{a / b:.2f}x" for a, b in pairs) + "]"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--activities", type=int, nargs="+", default=None)
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs of pandas and of the projected figures"
    )
    parser.add_argument(
        "--rebuild-repeat",
        type=int,
        default=3,
        help="runs of from_store, the serial rebuild and the parallel one (in turned orders)",
    )
    args = parser.parse_args()
    acts = args.activities or [max(1, n // 5) for n in args.sizes]
    import pandas  # imported before any timing: neither side pays for the import

    del pandas
    RESULTS.mkdir(exist_ok=True)
    print(f"machine: {platform.platform()}, {os.cpu_count()} cores")
    print(f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}")
    results = []
    with tempfile.TemporaryDirectory() as folder:
        for n, a in zip(args.sizes, acts, strict=True):
            r = run(n, a, Path(folder), args.repeat, args.rebuild_repeat)
            results.append(r)
            print(f"\n{r['cases']:,} cases, {r['activities']:,} activities, {r['events']:,} events")
            fs, rb = r["from_store"], r["rebuild"]
            print(f"  Dataset.from_store        {fs:8.2f} s (median) {_each(r, 'from_store')}")
            print(f"  projection rebuild        {rb:8.2f} s (median) {_each(r, 'rebuild')}")
            print(f"    rebuild / from_store    {rb / fs:8.2f}x {_pairs(r, 'rebuild')}")
            print(
                f"  rebuild on 2 processes    {r['rebuild_parallel']:8.2f} s (median) "
                f"{_each(r, 'rebuild_parallel')}, pool start included"
            )
            print(
                f"    parallel / from_store   {r['rebuild_parallel'] / r['from_store']:8.2f}x "
                f"{_pairs(r, 'rebuild_parallel')}"
            )
            print(f"    parallel / serial       {r['rebuild_parallel'] / r['rebuild']:8.2f}x")
            print("    tables equal to serial" if r["agree_parallel"] else "    TABLES DIFFER")
            print(f"  pandas load + compute     {r['pandas']:8.2f} s (median)")
            print(f"  projected indicators      {r['projected']:8.2f} s (median)")
            print(f"    pandas / projected      {r['pandas'] / r['projected']:8.2f}x")
            print(f"    each run's ratio        {', '.join(f'{x:.2f}x' for x in r['ratios'])}")
            print(f"  replayed: from_store + compute {r['from_store'] + r['replay_compute']:.2f} s")
            print(
                f"  catch-up after 1 command  {r['catch_up'] * 1000:8.2f} ms "
                f"({r['catch_up_events']} event)"
            )
            agree = r["agree_pandas"] and r["agree_replay"]
            print("  answers agree (pandas, replay)" if agree else f"  DIFFER: {r['diffs']}")
    if len(results) > 1:
        a, b = results[0], results[-1]
        print(
            f"\ncatch-up at {b['cases']:,} / at {a['cases']:,} cases: "
            f"{b['catch_up'] / a['catch_up']:.2f}x"
        )
    ok = all(r["agree_pandas"] and r["agree_replay"] and r["agree_parallel"] for r in results)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
