"""Benchmark the PostgreSQL append's ordering lock: what numbering in commit order costs.

Run from the repository root with the project's venv active and a server at
``CASEWORK_TEST_POSTGRES_DSN``::

    python bench/bench_pg_append.py                      # 600 appends per round, 3 rounds
    python bench/bench_pg_append.py --appends 200 --rounds 1   # quick run

The work opens cases and transfers each twice (one ``append`` per command, as the engine
makes them).  The same work runs with the store as shipped (``LOCK TABLE
casework_events IN EXCLUSIVE MODE`` first in every append) and without the lock (what the
store did before: numbers may become visible out of order), rounds alternating, by one
writer and by four writers on their own connections (threads) at once.  Times are
wall-clock seconds (``time.perf_counter``), the best round of each.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import threading
import time
import uuid
from datetime import datetime, timedelta

from casework import STANDARD, Engine
from casework.records import Client
from casework.store.postgres import PostgresStore


class UnorderedStore(PostgresStore):
    """The store without the ordering lock (the baseline: numbers taken at insert)."""

    _append_lock = None


T0 = datetime(2023, 3, 1, 9)


def work(store: PostgresStore, prefix: str, n: int) -> None:
    """``n`` commands: open a case, transfer it twice (three appends per case)."""
    engine = Engine(STANDARD, store=store)
    for i in range(n // 3):
        at = T0 + timedelta(minutes=i)
        case = engine.open(f"{prefix}-{i}", Client(f"c{i}", f"P{i}", T0.date()), at=at, by="wu")
        engine.transfer(case, "sw2", reason="leave", at=at, by="lead")
        engine.transfer(case, "sw3", reason="back", at=at, by="lead")


def timed(cls: type[PostgresStore], dsn: str, schema: str, writers: int, n: int) -> float:
    stores = [cls(dsn, schema=schema) for _ in range(writers)]
    tag = uuid.uuid4().hex[:8]
    threads = [
        threading.Thread(target=work, args=(s, f"{tag}-{k}", n // writers))
        for k, s in enumerate(stores)
    ]
    t = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    elapsed = time.perf_counter() - t
    for s in stores:
        s.close()
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--appends", type=int, default=600)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    dsn = os.environ.get("CASEWORK_TEST_POSTGRES_DSN")
    if not dsn:
        print("set CASEWORK_TEST_POSTGRES_DSN", file=sys.stderr)
        return 2
    import psycopg

    schema = "casework_bench_" + uuid.uuid4().hex[:8]
    PostgresStore(dsn, schema=schema).close()
    print(f"machine: {platform.platform()}, {os.cpu_count()} cores, load {os.getloadavg()}")
    try:
        for writers in (1, 4):
            best: dict[str, float] = {}
            for _ in range(args.rounds):
                for name, cls in (("locked", PostgresStore), ("unlocked", UnorderedStore)):
                    t = timed(cls, dsn, schema, writers, args.appends)
                    best[name] = min(best.get(name, t), t)
            per = {k: v / args.appends * 1e3 for k, v in best.items()}
            print(
                f"{writers} writer(s), {args.appends} appends: "
                f"locked {best['locked']:.2f} s ({per['locked']:.2f} ms each), "
                f"unlocked {best['unlocked']:.2f} s ({per['unlocked']:.2f} ms each), "
                f"locked / unlocked {best['locked'] / best['unlocked']:.2f}x"
            )
    finally:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    return 0


if __name__ == "__main__":
    sys.exit(main())
