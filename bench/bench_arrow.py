"""Benchmark fact tables as Arrow: ``Projection.to_arrow`` against what a user would write.

Run from the repository root with the project's venv active::

    python bench/bench_arrow.py                         # 10,000 cases, 2,000 activities
    python bench/bench_arrow.py --cases 2000 --activities 400   # quick run

The store is bench_indicators.py's workload (built once and cached in ``bench/results``),
its projection rebuilt once before timing.  For each fact table, in one run and in turns
(``--rounds``, the best of each kept):

* **to_arrow**: ``projection.to_arrow(table)``;
* **via pandas**: ``pyarrow.Table.from_pandas(projection.to_pandas(table))``, the one-liner a
  notebook user would write without ``to_arrow`` (times parsed by pandas);
* **from rows**: ``pyarrow.Table.from_pylist(projection.rows(table))``, the plain way (times
  left as text, so it does less than the other two).

The Arrow tables of the first two are checked to hold the same values.  Times are wall-clock
seconds (``time.perf_counter``).
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import pandas as pd
import pyarrow as pa

from bench_indicators import RESULTS, build
from casework.reporting.projections import TABLES, Projection
from casework.store import SQLiteStore


def best(run: Callable[[], Any], rounds: int) -> tuple[float, Any]:
    """The fastest of ``rounds`` runs, and the last result."""
    times = []
    out = None
    for _ in range(rounds):
        started = time.perf_counter()
        out = run()
        times.append(time.perf_counter() - started)
    return min(times), out


def same(a: Any, b: Any) -> bool:
    """Whether two Arrow tables hold the same values (types of the pandas one aside)."""
    left = a.to_pandas(date_as_object=False)
    right = b.to_pandas(date_as_object=False)
    left = left.astype(object).where(left.notna(), None)
    right = right.astype(object).where(right.notna(), None)
    return bool(left.equals(right))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--activities", type=int, default=2_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    RESULTS.mkdir(exist_ok=True)
    cached = RESULTS / f"indicators-{args.cases}-{args.activities}.sqlite"
    if not cached.exists():
        build(cached, args.cases, args.activities)
    work = Path(tempfile.mkdtemp())
    path = work / cached.name
    shutil.copyfile(cached, path)
    print(
        f"python {platform.python_version()}, sqlite {sqlite3.sqlite_version}, "
        f"pyarrow {pa.__version__}, pandas {pd.__version__}, load {os.getloadavg()[0]:.1f}"
    )
    ok = True
    with SQLiteStore(path) as store:
        projection = Projection(store)
        projection.rebuild()
        total = {"arrow": 0.0, "pandas": 0.0, "rows": 0.0}
        print(f"{'table':16} {'rows':>9} {'to_arrow':>9} {'via pandas':>11} {'from rows':>10}")
        for name in TABLES:
            t_arrow, arrow = best(lambda n=name: projection.to_arrow(n), args.rounds)
            t_pandas, via = best(
                lambda n=name: pa.Table.from_pandas(projection.to_pandas(n), preserve_index=False),
                args.rounds,
            )
            t_rows, _ = best(lambda n=name: pa.Table.from_pylist(projection.rows(n)), args.rounds)
            ok &= same(arrow, via)
            total["arrow"] += t_arrow
            total["pandas"] += t_pandas
            total["rows"] += t_rows
            print(
                f"{name:16} {arrow.num_rows:>9,} {t_arrow:>8.3f}s {t_pandas:>10.3f}s "
                f"{t_rows:>9.3f}s"
            )
        print(
            f"{'every table':16} {'':>9} {total['arrow']:>8.3f}s {total['pandas']:>10.3f}s "
            f"{total['rows']:>9.3f}s"
        )
        print(
            f"via pandas / to_arrow: {total['pandas'] / total['arrow']:.2f}x; "
            f"from rows / to_arrow: {total['rows'] / total['arrow']:.2f}x; "
            f"same values: {ok}; load {os.getloadavg()[0]:.1f}"
        )
    shutil.rmtree(work)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
