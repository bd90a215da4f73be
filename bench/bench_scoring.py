"""Benchmark: score 50,361 seeded random MHT protocols (the size of the largest published MHT
survey) in one run with

- the plain per-item loop a user would write (hard-coded item -> scale map, sum of yes
  answers; no validation, no flags): the baseline;
- ``MHT.score`` in a loop (every answer checked, flags, a ``ScoreResult`` per protocol);
- ``MHT.score_many`` on the same list of lists (of bools, and of the ints 0/1), on a 2-D
  numpy array and on a pandas DataFrame of it (answers checked, every scale, total,
  validity and flag computed; the ``ScoreResult`` objects are built when they are read);
- and, apart, building all 50,361 ``ScoreResult`` objects from a batch (``batch.results``);
- the conversions of the list of lists alone, each way a user (or ``score_many``) could turn
  5 million Python answers into one buffer: ``b"".join(map(bytes, rows))``, ``bytes`` of a
  chained iterator, ``array.array``, ``np.array(rows, dtype=np.uint8)``, ``np.asarray`` and
  the ``marshal.dumps(rows, 2)`` that ``score_many`` reads bool rows from (its floor).

Run: ``python bench/bench_scoring.py`` (needs the ``notebook`` extra).  Before anything is
timed, every protocol's batch result is checked equal to ``MHT.score``'s, and every scale
and total to the plain loop's.  Prints protocols/second and each ratio to the plain loop.
"""

from __future__ import annotations

import marshal
import os
import platform
import random
import sys
import time
from array import array as py_array
from collections.abc import Callable, Sequence
from itertools import chain
from typing import Any

import numpy as np
import pandas as pd

from casework.instruments import MHT

N = 50_361
SEED = 20231128
REPEATS = 7


def protocols(n: int, seed: int) -> list[list[bool]]:
    """``n`` random protocols of 100 yes/no answers (yes with probability 0.3)."""
    rng = random.Random(seed)
    return [[rng.random() < 0.3 for _ in range(100)] for _ in range(n)]


# Item i (0-based) -> scale index 0..8; 8 is the validity scale (even items 82-100).
SCALE_OF = [0] * 15 + [1] * 10 + [2] * 10 + [3] * 10 + [4] * 10 + [5] * 15 + [6] * 10 + [7, 8] * 10


def plain(protocol: Sequence[bool]) -> tuple[list[int], int]:
    """The baseline: a plain per-item loop summing yes answers per scale."""
    sums = [0] * 9
    for i, answer in enumerate(protocol):
        if answer:
            sums[SCALE_OF[i]] += 1
    return sums, sum(sums[:8])


def check(data: list[list[bool]], array: Any, frame: Any) -> None:
    """Every way agrees on every protocol before anything is timed."""
    each = [MHT.score(p) for p in data]
    for batch in (MHT.score_many(data), MHT.score_many(array), MHT.score_many(frame)):
        assert batch.results == tuple(each)
    for p, result in zip(data, each, strict=True):
        sums, total = plain(p)
        assert list(result.raw) == sums and result.total == total


def main() -> None:
    data = protocols(N, SEED)
    array = np.array(data, dtype=bool)
    frame = pd.DataFrame(array, columns=range(1, 101))
    ints = [[int(a) for a in p] for p in data]
    check(data, array, frame)
    assert MHT.score_many(ints) == MHT.score_many(data)
    batch = MHT.score_many(array)
    ways: dict[str, Callable[[], Any]] = {
        "plain per-item loop": lambda: [plain(p) for p in data],
        "MHT.score in a loop": lambda: [MHT.score(p) for p in data],
        "score_many(list)": lambda: MHT.score_many(data),
        "score_many(list of 0/1)": lambda: MHT.score_many(ints),
        "score_many(ndarray)": lambda: MHT.score_many(array),
        "score_many(DataFrame)": lambda: MHT.score_many(frame),
        "batch.results (build all)": lambda: batch.results,
        "convert: join(map(bytes))": lambda: b"".join(map(bytes, data)),
        "convert: bytes(chain)": lambda: bytes(chain.from_iterable(data)),
        "convert: array.array": lambda: py_array("B", chain.from_iterable(data)),
        "convert: np.array(uint8)": lambda: np.array(data, dtype=np.uint8),
        "convert: np.asarray": lambda: np.asarray(data),
        "convert: marshal.dumps": lambda: marshal.dumps(data, 2),
    }
    best = dict.fromkeys(ways, float("inf"))
    for _ in range(REPEATS):  # interleaved, so that a busy moment hits every way alike
        for name, run in ways.items():
            start = time.perf_counter()
            run()
            best[name] = min(best[name], time.perf_counter() - start)
    base = best["plain per-item loop"]
    print(f"protocols: {N:,} (seed {SEED}), best of {REPEATS} interleaved passes")
    for name, seconds in best.items():
        print(
            f"{name:26s}: {N / seconds:12,.0f} protocols/s  {seconds * 1000:8.1f} ms  "
            f"{base / seconds:5.2f}x the plain loop's speed"
        )
    print(f"python {sys.version.split()[0]}, numpy {np.__version__}, {platform.machine()}")
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
