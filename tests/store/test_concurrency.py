"""Concurrency and faults, for real: several processes, SIGKILL, torn records.

Bounded to a few seconds each: the contention test runs in lock-step rounds (a barrier), so
exactly one writer wins each round whatever the machine's load.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import sqlite3
import time
from collections import Counter
from pathlib import Path

import pytest
from _workers import contend, opening, write_until_killed

from casework.store import SQLiteStore
from conftest import Backend

WORKERS = 4
ROUNDS = 12


def test_processes_appending_at_once_lose_and_duplicate_nothing(shared_backend: Backend) -> None:
    store = shared_backend.open()
    shared = "shared"
    own = [f"own-{i}" for i in range(WORKERS)]
    for case_id in [shared, *own]:
        store.append([opening(case_id)], expected_version=0)

    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(WORKERS)
    out = ctx.Queue()
    procs = [
        ctx.Process(
            target=contend,
            args=(shared_backend.spec, i, shared, own[i], ROUNDS, barrier, out),
        )
        for i in range(WORKERS)
    ]
    for p in procs:
        p.start()
    results = [out.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=30)
        assert p.exitcode == 0
    assert [r[4] for r in results] == [None] * WORKERS, results

    acked = [a for r in results for a in r[1]]
    conflicts = sum(r[2] for r in results)
    # lock-step rounds: exactly one winner per round on the shared case, the rest lost
    assert sum(1 for a in acked if a[0] == shared) == ROUNDS
    assert conflicts == ROUNDS * (WORKERS - 1)
    assert sum(r[3] for r in results) == 0  # nobody else writes a worker's own case

    stored = {
        (e.case_id, e.seq, e.payload["token"])
        for case_id in [shared, *own]
        for e in store.events(case_id)[1:]  # events() itself checks 1..n without gaps
    }
    assert stored == set(acked)  # every acknowledged event, exactly once, and nothing else
    assert len(acked) == len(set(acked))
    assert store.summary(shared).version == ROUNDS + 1
    assert all(store.summary(c).version == ROUNDS + 1 for c in own)
    assert store.load(shared).version == ROUNDS + 1


def read_acks(path: Path) -> list[tuple[str, int, str]]:
    if not path.exists():
        return []
    text = path.read_text()
    lines = text.split("\n")[:-1]  # a line cut by the kill has no newline: not acknowledged
    return [(c, int(s), t) for c, s, t in (line.split(" ") for line in lines)]


def test_a_writer_killed_at_random_moments_leaves_every_acknowledged_event(
    tmp_path: Path,
) -> None:
    path, acks = tmp_path / "cases.db", tmp_path / "acks.txt"
    cases = ["k-1", "k-2", "k-3"]
    rng = random.Random(4)
    ctx = multiprocessing.get_context("spawn")
    unacked_before: set[tuple[str, int, str]] = set()
    for run in range(5):
        before = len(read_acks(acks))
        writer = ctx.Process(target=write_until_killed, args=(str(path), str(acks), cases, run))
        writer.start()
        deadline = time.monotonic() + 30
        while len(read_acks(acks)) <= before and time.monotonic() < deadline:
            assert writer.is_alive(), "the writer died before it was killed"
            time.sleep(0.01)
        time.sleep(rng.uniform(0, 0.15))  # then kill it somewhere in the middle of its work
        os.kill(writer.pid, signal.SIGKILL)  # type: ignore[arg-type]
        writer.join(timeout=30)
        assert writer.exitcode == -signal.SIGKILL

        with sqlite3.connect(path) as db:
            assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        db.close()
        store = SQLiteStore(path)
        try:
            stored = {
                (e.case_id, e.seq, e.payload["token"])
                for c in cases
                for e in store.events(c)[1:]  # contiguous, every record readable
            }
            acked = read_acks(acks)
            assert len(acked) > before
            assert set(acked) <= stored  # everything acknowledged survived the kill
            # at most the one append in flight when killed is there without its acknowledgement
            unacked = stored - set(acked)
            assert len(unacked - unacked_before) <= 3
            unacked_before = unacked
            # a batch is all there or not at all
            sizes = Counter(t for _, _, t in stored)
            assert all(n == int(t.rsplit("/", 1)[1]) for t, n in sizes.items())
            for c in cases:
                assert store.load(c).version == store.summary(c).version
        finally:
            store.close()


def test_conflicts_in_one_process_write_nothing_even_if_the_check_is_bypassed(
    tmp_path: Path,
) -> None:
    """UNIQUE(case_id, seq) is the last line of defence: a second row #2 cannot exist."""
    store = SQLiteStore(tmp_path / "cases.db")
    store.append([opening("c")], expected_version=0)
    with pytest.raises(sqlite3.IntegrityError):
        store.db.execute("INSERT INTO events (case_id, seq, payload) VALUES ('c', 1, '{}')")
    store.close()
