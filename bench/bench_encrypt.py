"""Benchmark encrypting a clear SQLite store in place against copying it into a new sealed one.

Run from the repository root with the project's venv active::

    python bench/bench_encrypt.py                     # 2,000 cases, 3 interleaved repeats
    python bench/bench_encrypt.py --cases 500 --repeat 5

Workload: ``bench_crypto.py``'s (the Xuzhuang demo's cases under new ids, each with its own
client and key, names, guardians' names and session notes), appended in clear once to a
template file.  Each repeat, on fresh copies of the template:

* ``encrypt_store`` in place (keys made in one durable write, one transaction, then
  ``VACUUM`` and a WAL checkpoint);
* what a user would write without it: ``copy_store`` from the clear store into a new store
  opened with a ``FileKeyStore`` (one append per case, each new subject's key ``fsync``-ed
  before its first row), which still leaves the clear file to delete;
* the key store alone: one ``get_or_create`` per subject against one ``get_or_create_many``
  for them all, on a new key file.

The ratios (alternative / in place, by median time; both in the same process, interleaved,
on the same disk) are the figures to read.
"""

from __future__ import annotations

import argparse
import platform
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_crypto import workload
from casework.encryption import encrypt_store
from casework.keys import FileKeyStore
from casework.store import SQLiteStore, copy_store


def timed(fn: Callable[[], Any]) -> tuple[float, float]:
    """Wall and CPU seconds of ``fn()``."""
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


def build(path: Path, cases: int) -> int:
    """The template: every case appended in clear; the number of events."""
    events = workload(cases)
    with SQLiteStore(path) as store:
        for case in events:
            store.append(case, expected_version=0)
    return sum(len(c) for c in events)


def in_place(path: Path) -> tuple[float, float]:
    return timed(lambda: encrypt_store(path))


def by_copy(path: Path, target: Path) -> tuple[float, float]:
    def run() -> None:
        with (
            SQLiteStore(path) as src,
            SQLiteStore(target, keys=FileKeyStore.beside(target)) as dst,
        ):
            copy_store(src, dst)

    return timed(run)


def keys_one_by_one(path: Path, subjects: list[str]) -> tuple[float, float]:
    keys = FileKeyStore(path)
    return timed(lambda: [keys.get_or_create(s) for s in subjects])


def keys_at_once(path: Path, subjects: list[str]) -> tuple[float, float]:
    keys = FileKeyStore(path)
    return timed(lambda: keys.get_or_create_many(subjects))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--cases", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    subjects = [f"C{i:07d}-c" for i in range(args.cases)]
    runs: dict[str, list[tuple[float, float]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        template = work / "template.db"
        events = build(template, args.cases)
        for r in range(args.repeat):
            a, b = work / f"a-{r}.db", work / f"b-{r}.db"
            shutil.copy(template, a)
            shutil.copy(template, b)
            runs.setdefault("encrypt_store in place", []).append(in_place(a))
            runs.setdefault("copy_store into a sealed store", []).append(
                by_copy(b, work / f"b-{r}-sealed.db")
            )
            runs.setdefault("keys: get_or_create_many", []).append(
                keys_at_once(work / f"many-{r}.keys", subjects)
            )
            runs.setdefault("keys: get_or_create each", []).append(
                keys_one_by_one(work / f"each-{r}.keys", subjects)
            )
    wall = {k: statistics.median(w for w, _ in v) for k, v in runs.items()}
    cpu = {k: statistics.median(c for _, c in v) for k, v in runs.items()}
    print(
        f"{args.cases} cases, {events} events, {args.repeat} repeats; Python "
        f"{platform.python_version()}, SQLite {sqlite3.sqlite_version}, {platform.machine()}"
    )
    print(f"{'operation':<34} {'wall s':>8} {'vs ref':>7} {'CPU s':>7} {'vs ref':>7}")
    for name, seconds in wall.items():
        ref = "keys: get_or_create_many" if name.startswith("keys") else "encrypt_store in place"
        print(
            f"{name:<34} {seconds:>8.3f} {seconds / wall[ref]:>6.2f}x "
            f"{cpu[name]:>7.3f} {cpu[name] / cpu[ref]:>6.2f}x"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
