"""Benchmark: score 50,361 seeded random MHT protocols with ``MHT.score`` and with a plain
per-item loop (hard-coded item -> scale map, sum of yes answers), in the same run.

Run: ``python bench/bench_scoring.py``.  Prints protocols/second for both and their ratio.
"""

from __future__ import annotations

import platform
import random
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

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


def library(protocol: Sequence[bool]) -> Any:
    """casework's scorer: the full result (flags, validity, answers...)."""
    return MHT.score(protocol)


def one_pass(fn: Callable[[Sequence[bool]], Any], data: list[list[bool]]) -> float:
    """Seconds for one pass of ``fn`` over every protocol."""
    start = time.perf_counter()
    for p in data:
        fn(p)
    return time.perf_counter() - start


def best_rates(data: list[list[bool]]) -> tuple[float, float]:
    """Protocols per second of the plain loop and of MHT.score: best of ``REPEATS`` passes
    each, the two interleaved so that a busy moment on the machine hits both alike.
    """
    plain_best = ours_best = float("inf")
    for _ in range(REPEATS):
        plain_best = min(plain_best, one_pass(plain, data))
        ours_best = min(ours_best, one_pass(library, data))
    return len(data) / plain_best, len(data) / ours_best


def main() -> None:
    data = protocols(N, SEED)
    # Both scorers agree on every scale and total before anything is timed.
    for p in data[:2000]:
        sums, total = plain(p)
        result = MHT.score(p)
        assert list(result.raw) == sums and result.total == total
    base, ours = best_rates(data)
    print(f"protocols: {N:,} (seed {SEED}), best of {REPEATS} passes")
    print(f"plain per-item loop : {base:12,.0f} protocols/s")
    print(f"MHT.score           : {ours:12,.0f} protocols/s")
    print(f"ratio (plain / MHT.score): {base / ours:.2f}x slower")
    print(f"python {sys.version.split()[0]}, {platform.machine()}, {platform.system()}")


if __name__ == "__main__":
    main()
