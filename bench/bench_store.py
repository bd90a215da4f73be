"""Benchmark the SQLite store against plain ``sqlite3`` on the same JSON rows.

Run from the repository root with the project's venv active::

    python bench/bench_store.py                  # 100,000 cases (a few minutes)
    python bench/bench_store.py --cases 2000     # quick run

Workload: the Xuzhuang demo is run once with the engine (five cases, the MHT lifecycle, about
24 events each: opening, consents, three MHT assessments with their scores, a plan, ten
sessions, closure).  Case ``i`` of the benchmark is demo case ``i % 5`` under a new id, so every
event is a real one the engine produced, with real payloads (clients, consents, plans, session
records, assessments).

Four measurements, each in its own fresh process (this script re-invokes itself with
``--child NAME``) so that each peak-memory figure (``ru_maxrss``) is its own:

* ``store-append``: ``SQLiteStore.append(case_events, expected_version=0)`` once per case, i.e.
  one durable transaction per case (WAL, ``synchronous=FULL``): checks, encodes with the codec,
  inserts, updates the summary row.  Building the events (an ``attrs.evolve`` per event) is not
  timed.
* ``plain-insert``: plain ``sqlite3`` with the same pragmas and table, one transaction per case,
  ``executemany`` of the very JSON texts the store wrote (read from the store's file, untimed).
* ``store-load``: ``SQLiteStore.load(case_id)`` for every case, keeping every case in memory
  (what a notebook does): select, decode (JSON, cattrs), replay.
* ``plain-select``: plain ``sqlite3`` selecting each case's JSON rows, keeping the texts;
  reported also with ``json.loads`` of every row (``plain-select+json``), to show where the
  time goes.

Times are wall-clock (the appends wait on fsync); events/second = events / timed seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sqlite3
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
from casework.standard import MHT_LIFECYCLE
from casework.store import SQLiteStore

PLAIN_SCHEMA = """
CREATE TABLE events (
    gid INTEGER PRIMARY KEY, case_id TEXT NOT NULL, seq INTEGER NOT NULL,
    data TEXT NOT NULL, UNIQUE (case_id, seq)
)
"""


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


def child_store_append(n: int, work: Path) -> dict[str, Any]:
    store = SQLiteStore(work / "store.db")
    spent = 0.0
    events = 0
    for batch in workload(n):
        t = time.perf_counter()
        store.append(batch, expected_version=0)
        spent += time.perf_counter() - t
        events += len(batch)
    store.close()
    return {"events": events, "seconds": spent}


def child_plain_insert(n: int, work: Path) -> dict[str, Any]:
    src = sqlite3.connect(work / "store.db")
    db = sqlite3.connect(work / "plain.db", isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute(PLAIN_SCHEMA)
    spent = 0.0
    events = 0
    for case_id in case_ids(n):
        rows = src.execute(
            "SELECT case_id, seq, data FROM events WHERE case_id = ? ORDER BY seq", (case_id,)
        ).fetchall()
        t = time.perf_counter()
        db.execute("BEGIN IMMEDIATE")
        db.executemany("INSERT INTO events (case_id, seq, data) VALUES (?, ?, ?)", rows)
        db.execute("COMMIT")
        spent += time.perf_counter() - t
        events += len(rows)
    db.close()
    src.close()
    return {"events": events, "seconds": spent}


def child_store_load(n: int, work: Path) -> dict[str, Any]:
    store = SQLiteStore(work / "store.db")
    t = time.perf_counter()
    cases = [store.load(case_id) for case_id in case_ids(n)]
    spent = time.perf_counter() - t
    events = sum(c.version for c in cases)
    store.close()
    return {"events": events, "seconds": spent, "peak_mb": peak_mb()}


def child_plain_select(n: int, work: Path) -> dict[str, Any]:
    db = sqlite3.connect(work / "plain.db")
    t = time.perf_counter()
    kept = [
        db.execute("SELECT seq, data FROM events WHERE case_id = ? ORDER BY seq", (c,)).fetchall()
        for c in case_ids(n)
    ]
    spent = time.perf_counter() - t
    peak = peak_mb()
    t = time.perf_counter()
    parsed = sum(len([json.loads(d) for _, d in rows]) for rows in kept)
    parse = time.perf_counter() - t
    db.close()
    return {
        "events": sum(len(r) for r in kept),
        "seconds": spent,
        "peak_mb": peak,
        "json_seconds": parse,
        "parsed": parsed,
    }


CHILDREN = {
    "store-append": child_store_append,
    "plain-insert": child_plain_insert,
    "store-load": child_store_load,
    "plain-select": child_plain_select,
}


def machine() -> str:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{platform.system()} {platform.release()}, {os.cpu_count()} cores ({cpu}), "
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--work", help="directory for the database files (default: a temp dir)")
    parser.add_argument("--json", help="also write the results here")
    parser.add_argument("--child", choices=sorted(CHILDREN), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        result = CHILDREN[args.child](args.cases, Path(args.work))
        print(json.dumps(result))
        return

    with tempfile.TemporaryDirectory(dir=args.work) as tmp:
        results: dict[str, Any] = {"cases": args.cases, "machine": machine()}
        for name in CHILDREN:
            done = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--child",
                    name,
                    "--cases",
                    str(args.cases),
                    "--work",
                    tmp,
                ],
                capture_output=True,
                text=True,
                check=True,
            )
            results[name] = json.loads(done.stdout)
            r = results[name]
            rate = r["events"] / r["seconds"]
            extra = f", peak {r['peak_mb']:.0f} MB" if "peak_mb" in r else ""
            head = f"{name:14} {r['events']:>10,} events  {r['seconds']:8.1f} s"
            print(f"{head}  {rate:>10,.0f} ev/s{extra}")
        size = (Path(tmp) / "store.db").stat().st_size / 2**20
        results["store_mb"] = size

    sa, pi = results["store-append"], results["plain-insert"]
    sl, ps = results["store-load"], results["plain-select"]
    append_ratio = sa["seconds"] / pi["seconds"]
    load_ratio = sl["seconds"] / ps["seconds"]
    json_ratio = sl["seconds"] / (ps["seconds"] + ps["json_seconds"])
    print(f"plain-select+json: {ps['events'] / (ps['seconds'] + ps['json_seconds']):,.0f} ev/s")
    print(f"append: store takes {append_ratio:.2f}x plain sqlite3")
    print(f"load:   store takes {load_ratio:.2f}x plain select ({json_ratio:.2f}x select+json)")
    print(f"store file: {size:,.0f} MB; machine: {results['machine']}")
    results.update(append_ratio=append_ratio, load_ratio=load_ratio, load_json_ratio=json_ratio)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
