"""Benchmark the SQLite store with personal fields encrypted against the same store in clear.

Run from the repository root with the project's venv active::

    python bench/bench_crypto.py                      # 2,000 cases, 3 interleaved repeats
    python bench/bench_crypto.py --cases 500 --repeat 5

Workload: the Xuzhuang demo run once by the engine (five cases, the MHT lifecycle, about 24
events each); case ``i`` is demo case ``i % 5`` under a new id, its client under a new id too
(so every case has its own data subject and key), given a name, a guardian's name, and notes
on every session, so every kind of personal field is there to seal.

Each repeat runs, in this order, on fresh files: append every case to a clear store, to a
store sealing with a :class:`~casework.keys.MemoryKeyStore`, and to one sealing with a
:class:`~casework.keys.FileKeyStore` (each new subject's key written durably to the key file
before its first row); then load every case from the clear store and from the sealed one
(file keys), and without its keys.  One ``append(events, expected_version=0)`` per case, as
``bench_store.py``; then, for a tenth of the cases, one append per event (as an engine writes
a case, command by command: only a case's first append makes its client's key), in clear
and sealed with file keys.  Last, the key file alone: a key made (one line appended and
``fsync``-ed) for each case's client in a fresh :class:`~casework.keys.FileKeyStore`, which is
what the file-key appends pay beyond the memory-key ones.
The ratios (sealed / clear, by median time) are the figures to read: both sides run in the
same process, interleaved, on the same disk.
"""

from __future__ import annotations

import argparse
import platform
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs

from casework.demo import run_xuzhuang
from casework.engine import Engine
from casework.events import Event
from casework.keys import FileKeyStore, KeyStore, MemoryKeyStore
from casework.standard import MHT_LIFECYCLE
from casework.store import SQLiteStore


def _personal(event: Event, case_id: str) -> Event:
    p = dict(event.payload)
    if event.type == "case_opened":
        c = p["client"]
        guardians = tuple(attrs.evolve(g, name="张桂英") for g in c.guardians)
        p["client"] = attrs.evolve(c, id=f"{case_id}-c", name="张小明", guardians=guardians)
    elif event.type == "session_recorded":
        p["session"] = attrs.evolve(p["session"], notes="入户走访，孩子情绪稳定，和奶奶谈了学习")
    return attrs.evolve(event, case_id=case_id, payload=p)


def workload(n: int) -> list[list[Event]]:
    _, cases = run_xuzhuang(Engine(MHT_LIFECYCLE))
    base = [list(c.history) for c in cases]
    return [[_personal(e, f"C{i:07d}") for e in base[i % len(base)]] for i in range(n)]


def timed(fn: Callable[[], Any]) -> tuple[float, float]:
    """Wall and CPU seconds of ``fn()``."""
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


def append_all(path: Path, cases: list[list[Event]], keys: KeyStore | None) -> tuple[float, float]:
    with SQLiteStore(path, keys=keys) as store:
        return timed(lambda: [store.append(c, expected_version=0) for c in cases])


def append_each(path: Path, cases: list[list[Event]], keys: KeyStore | None) -> tuple[float, float]:
    """One append per event, as an engine writes a case command by command."""

    def run() -> None:
        for case in cases:
            for event in case:
                store.append([event], expected_version=event.seq - 1)

    with SQLiteStore(path, keys=keys) as store:
        return timed(run)


def load_all(path: Path, ids: list[str], keys: KeyStore | None) -> tuple[float, float]:
    with SQLiteStore(path, keys=keys) as store:
        return timed(lambda: [store.load(i) for i in ids])


def keys_alone(path: Path, subjects: list[str]) -> tuple[float, float]:
    """A key made durably for each subject, one after another, as the appends make them."""
    keys = FileKeyStore(path)
    return timed(lambda: [keys.get_or_create(s) for s in subjects])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--cases", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    cases = workload(args.cases)
    ids = [c[0].case_id for c in cases]
    events = sum(len(c) for c in cases)
    runs: dict[str, list[tuple[float, float]]] = {}
    for r in range(args.repeat):
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            clear, sealed = work / f"clear-{r}.db", work / f"sealed-{r}.db"
            runs.setdefault("append clear", []).append(append_all(clear, cases, None))
            memory = work / f"memory-{r}.db"
            keys_mem = MemoryKeyStore()
            runs.setdefault("append sealed (memory keys)", []).append(
                append_all(memory, cases, keys_mem)
            )
            keys = FileKeyStore.beside(sealed)
            runs.setdefault("append sealed (file keys)", []).append(append_all(sealed, cases, keys))
            few = cases[: max(1, len(cases) // 10)]
            runs.setdefault("append clear, per event", []).append(
                append_each(work / f"each-clear-{r}.db", few, None)
            )
            runs.setdefault("append sealed, per event", []).append(
                append_each(work / f"each-sealed-{r}.db", few, FileKeyStore(work / f"e{r}.keys"))
            )
            runs.setdefault("load clear", []).append(load_all(clear, ids, None))
            runs.setdefault("load sealed (file keys)", []).append(
                load_all(sealed, ids, FileKeyStore.beside(sealed))
            )
            runs.setdefault("load sealed without keys", []).append(load_all(sealed, ids, None))
            clients = [f"{i}-c" for i in ids]
            runs.setdefault("key file alone, a key a case", []).append(
                keys_alone(work / f"alone-{r}.keys", clients)
            )
    median = {k: statistics.median(w for w, _ in v) for k, v in runs.items()}
    cpu = {k: statistics.median(c for _, c in v) for k, v in runs.items()}
    print(
        f"{args.cases} cases, {events} events, {args.repeat} repeats; Python "
        f"{platform.python_version()}, SQLite {sqlite3.sqlite_version}, {platform.machine()}"
    )
    print(
        f"{'operation':<30} {'events/s':>10} {'wall s':>7} {'vs clear':>9} {'CPU s':>7} "
        f"{'vs clear':>9}"
    )
    few_events = sum(len(c) for c in cases[: max(1, len(cases) // 10)])
    for name, seconds in median.items():
        if name.endswith("per event"):
            ref, count = "append clear, per event", few_events
        elif name.startswith(("append", "key file")):
            ref, count = "append clear", events
        else:
            ref, count = "load clear", events
        print(
            f"{name:<30} {count / seconds:>10,.0f} {seconds:>7.2f} "
            f"{seconds / median[ref]:>8.2f}x {cpu[name]:>7.2f} {cpu[name] / cpu[ref]:>8.2f}x"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
