"""Benchmark the SQLite store against plain ``sqlite3`` writing and reading the very same rows.

Run from the repository root with the project's venv active::

    python bench/bench_store.py                          # 100,000 cases (several minutes)
    python bench/bench_store.py --cases 2000 --repeat 3  # quick, repeated, interleaved
    python bench/bench_store.py --json-backend stdlib    # the codec without orjson

Workload: the Xuzhuang demo is run once with the engine (five cases, the MHT lifecycle, about
24 events each: opening, consents, three MHT assessments with their scores, a plan, ten
sessions, closure).  Case ``i`` is demo case ``i % 5`` under a new id, so every event is a
real one the engine produced, with real payloads.

Each measurement runs in its own fresh process (this script re-invokes itself with
``--child NAME``), so each peak-memory figure is its own; with ``--repeat`` the whole sequence
runs again, interleaved, on fresh files.  Wall and CPU time (``process_time``) are both kept.

* ``store-append``: ``SQLiteStore.append(case_events, expected_version=0)`` once per case: one
  durable transaction per case (WAL, ``synchronous=FULL``) that checks the events (a new case
  is replayed), encodes them, reads the case's summary row (the version check), inserts the
  event rows and the summary row.  Building the events is not timed.
* ``plain-insert``: plain ``sqlite3``, same pragmas, the store's own ``CREATE TABLE`` and
  ``CREATE INDEX`` statements, one ``BEGIN IMMEDIATE`` … ``COMMIT`` per case with the exact
  rows the store wrote (event rows and the case's summary row, read from the store's file
  before timing): the store's I/O without casework.  ``plain-insert-events`` does the same
  with the event rows only (no summary table), for reference.
* ``store-load``: ``SQLiteStore.load(case_id)`` for every case, every case kept in memory:
  select, decode, replay.
* ``plain-select``: plain ``sqlite3`` running the store's own query for each case, rows kept;
  then (timed apart) ``json.loads`` of every payload, and ``orjson.loads`` when installed.

Peak memory: ``ru_maxrss`` of the child (RSS high-water mark), and RSS before loading.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs

from casework.demo import run_xuzhuang
from casework.engine import Engine
from casework.events import Event
from casework.serialize import default_codec
from casework.standard import MHT_LIFECYCLE
from casework.store import SQLiteStore
from casework.store.sqlite import CASES_INDEXES, CASES_TABLE, EVENTS_TABLE

ROW_QUERY = (
    "SELECT seq, v, type, at, actor, state, trigger, payload FROM events "
    "WHERE case_id = ? ORDER BY seq"
)


def case_ids(n: int) -> list[str]:
    return [f"C{i:07d}" for i in range(n)]


def templates() -> list[list[Event]]:
    _, cases = run_xuzhuang(Engine(MHT_LIFECYCLE))
    return [list(c.history) for c in cases]


def workload(n: int) -> Iterator[list[Event]]:
    base = templates()
    for i, case_id in enumerate(case_ids(n)):
        yield [attrs.evolve(e, case_id=case_id) for e in base[i % len(base)]]


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


class Clock:
    """Wall and CPU seconds, summed over the timed stretches."""

    def __init__(self) -> None:
        self.wall = self.cpu = 0.0

    def __enter__(self) -> None:
        self._w, self._c = time.perf_counter(), time.process_time()

    def __exit__(self, *exc: object) -> None:
        self.wall += time.perf_counter() - self._w
        self.cpu += time.process_time() - self._c


def child_store_append(n: int, work: Path, backend: str) -> dict[str, Any]:
    store = SQLiteStore(work / "store.db", codec=default_codec(json=backend))
    clock, events = Clock(), 0
    for batch in workload(n):
        with clock:
            store.append(batch, expected_version=0)
        events += len(batch)
    store.close()
    return {"events": events, "seconds": clock.wall, "cpu": clock.cpu}


def _plain_insert(n: int, work: Path, summary: bool) -> dict[str, Any]:
    src = sqlite3.connect(work / "store.db")
    name = "plain.db" if summary else "plain-events.db"
    db = sqlite3.connect(work / name, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute(EVENTS_TABLE.format(name="events"))
    db.execute(CASES_TABLE.format(name="cases"))
    for statement in CASES_INDEXES:
        db.execute(statement)
    clock, events = Clock(), 0
    for case_id in case_ids(n):
        rows = src.execute(
            "SELECT case_id, seq, v, type, at, actor, state, trigger, payload FROM events "
            "WHERE case_id = ? ORDER BY seq",
            (case_id,),
        ).fetchall()
        case = src.execute("SELECT * FROM cases WHERE case_id = ?", (case_id,)).fetchone()
        with clock:
            db.execute("BEGIN IMMEDIATE")
            db.executemany(
                "INSERT INTO events (case_id, seq, v, type, at, actor, state, trigger, payload) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
            if summary:
                db.execute("INSERT INTO cases VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", case)
            db.execute("COMMIT")
        events += len(rows)
    db.close()
    src.close()
    return {"events": events, "seconds": clock.wall, "cpu": clock.cpu}


def child_plain_insert(n: int, work: Path, backend: str) -> dict[str, Any]:
    return _plain_insert(n, work, summary=True)


def child_plain_insert_events(n: int, work: Path, backend: str) -> dict[str, Any]:
    return _plain_insert(n, work, summary=False)


def child_store_load(n: int, work: Path, backend: str) -> dict[str, Any]:
    store = SQLiteStore(work / "store.db", codec=default_codec(json=backend))
    ids = case_ids(n)
    before = rss_mb()
    clock = Clock()
    with clock:
        cases = [store.load(case_id) for case_id in ids]
    events = sum(c.version for c in cases)
    store.close()
    return {
        "events": events,
        "seconds": clock.wall,
        "cpu": clock.cpu,
        "rss_before_mb": before,
        "peak_mb": peak_mb(),
        "json": store.codec.json.name,
    }


def child_plain_select(n: int, work: Path, backend: str) -> dict[str, Any]:
    db = sqlite3.connect(work / "plain.db")
    ids = case_ids(n)
    before = rss_mb()
    clock = Clock()
    with clock:
        kept = [db.execute(ROW_QUERY, (c,)).fetchall() for c in ids]
    peak = peak_mb()
    payloads = [row[7] for rows in kept for row in rows if row[7] is not None]
    parse = Clock()
    with parse:
        parsed = [json.loads(p) for p in payloads]
    out = {
        "events": sum(len(r) for r in kept),
        "seconds": clock.wall,
        "cpu": clock.cpu,
        "rss_before_mb": before,
        "peak_mb": peak,
        "json_seconds": parse.wall,
        "json_cpu": parse.cpu,
    }
    del parsed
    try:
        import orjson
    except ImportError:
        pass
    else:
        parse = Clock()
        with parse:
            parsed = [orjson.loads(p) for p in payloads]
        del parsed
        out.update(orjson_seconds=parse.wall, orjson_cpu=parse.cpu)
    db.close()
    return out


CHILDREN = {
    "store-append": child_store_append,
    "plain-insert": child_plain_insert,
    "plain-insert-events": child_plain_insert_events,
    "store-load": child_store_load,
    "plain-select": child_plain_select,
}


def machine() -> dict[str, Any]:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "system": f"{platform.system()} {platform.release()} {platform.machine()}",
        "cores": os.cpu_count(),
        "cpu": cpu,
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
    }


def run_child(name: str, args: argparse.Namespace, work: str) -> dict[str, Any]:
    command = [sys.executable, __file__, "--child", name, "--cases", str(args.cases)]
    command += ["--work", work, "--json-backend", args.json_backend]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def rate(r: dict[str, Any], seconds: float | None = None) -> float:
    return r["events"] / (seconds if seconds is not None else r["seconds"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=1, help="runs of the whole sequence")
    parser.add_argument("--json-backend", default="auto", choices=["auto", "stdlib", "orjson"])
    parser.add_argument("--work", help="directory for the database files (default: a temp dir)")
    parser.add_argument("--json", help="also write the results here")
    parser.add_argument("--child", choices=sorted(CHILDREN), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        result = CHILDREN[args.child](args.cases, Path(args.work), args.json_backend)
        print(json.dumps(result))
        return

    results: dict[str, Any] = {
        "cases": args.cases,
        "machine": machine(),
        "load_before": os.getloadavg(),
        "runs": [],
    }
    print(f"machine: {results['machine']}; load average {os.getloadavg()}")
    for run in range(args.repeat):
        with tempfile.TemporaryDirectory(dir=args.work) as tmp:
            found: dict[str, Any] = {}
            for name in CHILDREN:
                r = found[name] = run_child(name, args, tmp)
                extra = ""
                if "peak_mb" in r:
                    extra = f", RSS {r['rss_before_mb']:.0f} -> peak {r['peak_mb']:.0f} MB"
                print(
                    f"run {run + 1} {name:20} {r['events']:>10,} events {r['seconds']:8.2f} s "
                    f"(cpu {r['cpu']:7.2f} s) {rate(r):>10,.0f} ev/s{extra}"
                )
            found["store_mb"] = (Path(tmp) / "store.db").stat().st_size / 2**20
            results["runs"].append(found)

    def ratios(f: dict[str, Any]) -> dict[str, float]:
        sa, pi, pe = f["store-append"], f["plain-insert"], f["plain-insert-events"]
        sl, ps = f["store-load"], f["plain-select"]
        out = {
            "append": sa["seconds"] / pi["seconds"],
            "append_vs_events_only": sa["seconds"] / pe["seconds"],
            "load": sl["seconds"] / ps["seconds"],
            "load_vs_select_json": sl["seconds"] / (ps["seconds"] + ps["json_seconds"]),
            "load_cpu": sl["cpu"] / ps["cpu"],
        }
        if "orjson_seconds" in ps:
            out["load_vs_select_orjson"] = sl["seconds"] / (ps["seconds"] + ps["orjson_seconds"])
        return out

    per_run = [ratios(f) for f in results["runs"]]
    median = {k: statistics.median(r[k] for r in per_run) for k in per_run[0]}
    results["ratios"] = per_run
    results["median_ratios"] = median
    results["load_after"] = os.getloadavg()
    last = results["runs"][-1]
    ps = last["plain-select"]
    print(f"codec JSON backend: {last['store-load']['json']}")
    both = ps["seconds"] + ps["json_seconds"]
    print(f"plain select + json.loads:   {rate(ps, both):>10,.0f} ev/s")
    if "orjson_seconds" in ps:
        both = ps["seconds"] + ps["orjson_seconds"]
        print(f"plain select + orjson.loads: {rate(ps, both):>10,.0f} ev/s")
    print("ratios, store time / plain time (median of runs; each run's in --json):")
    print(f"  append: {median['append']:.2f}x plain insert of the same rows (events + summary)")
    print(f"          {median['append_vs_events_only']:.2f}x plain insert of the event rows only")
    print(f"  load:   {median['load']:.2f}x plain select (CPU {median['load_cpu']:.2f}x), ")
    print(f"          {median['load_vs_select_json']:.2f}x plain select + json.loads")
    if "load_vs_select_orjson" in median:
        print(f"          {median['load_vs_select_orjson']:.2f}x plain select + orjson.loads")
    print(f"store file: {last['store_mb']:,.0f} MB; load average now {os.getloadavg()}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
