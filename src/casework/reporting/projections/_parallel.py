"""A rebuild on an executor: the cases decoded and replayed in chunks, in other threads,
processes or machines, the tables written here as a serial rebuild writes them.

Two ways to send the work, the same tables either way:

* **rows**: the parent reads the log and sends each chunk's raw rows; the worker sends back
  each case's fact rows (any store, any executor);
* **images** (an SQLite store): SQLite copies each chunk's events into an in-memory database
  whose image (``serialize()``) is sent; the worker writes the chunk's fact rows into an
  in-memory database of its own and sends its image back, and SQLite copies those rows into
  the store's tables.  The parent builds no Python object per event or per row, so its share
  stays small, and the workers do the decoding, replaying and row-writing in parallel.

A failure is sent back as its error class and fields (which pickle where the error may not)
with the cases done before it; the parent raises the first one in log order.
"""

from __future__ import annotations

import contextlib
import gc
import os
import sqlite3
from collections import deque
from collections.abc import Callable, Collection, Iterator, Sequence
from concurrent.futures import Executor, Future
from typing import Any

from casework.case import Case
from casework.catalogue import Catalogue
from casework.errors import ReplayError
from casework.reporting.projections._backends import Batch, RawRow, table_rows
from casework.reporting.projections._facts import CASE_TABLES, case_rows
from casework.reporting.projections._personal import PersonalColumns
from casework.store.errors import CorruptRecord

__all__ = [
    "collector_paused",
    "images_supported",
    "replay_images",
    "replay_rows",
    "worker_store",
    "workers_of",
]

#: Each case's rows by table (None: its opening is not in the log, the parent loads it).
CaseRows = dict[str, list[tuple[Any, ...]]]
#: The failure that stopped a chunk: error class, case id, seq, problem.
Failure = tuple[type[CorruptRecord] | type[ReplayError], str, int | None, str]
#: The rows of a case whose opening is not in the log, by case id and first position.
Load = Callable[[str, int], CaseRows]
#: A chunk's result as rows: each case's rows in order, then its failure.
ChunkRows = tuple[list[tuple[str, CaseRows | None]], Failure | None]
#: A chunk's result as an image: the case tables' image, the events read, the cases whose
#: opening is not in the log (with their first position), whether a personal column holds
#: a marker of an unreadable value, the failure.
ChunkImage = tuple[bytes, int, list[tuple[str, int]], bool, Failure | None]

#: The store a worker decodes with and the catalogue it was made of (the last one met).
_WORKER_STORE: list[tuple[Catalogue, Any]] = []


def images_supported() -> bool:
    """Whether this Python's SQLite can serialize a database to an image and back."""
    return hasattr(sqlite3.Connection, "serialize") and hasattr(sqlite3.Connection, "deserialize")


def workers_of(executor: Executor) -> int:
    """How many calls ``executor`` runs at once (its ``_max_workers``, else the CPUs)."""
    return int(getattr(executor, "_max_workers", None) or os.cpu_count() or 2)


def worker_store(catalogue: Catalogue) -> Any:
    """A memory store of ``catalogue``: its codec and row decoding are a store's own, with
    no data, no keys and no connection (so nothing of the parent's store is needed).  Kept
    for the next chunk of an equal catalogue (each chunk brings its own copy to a process).
    """
    from casework.store import MemoryStore

    for known, store in _WORKER_STORE:
        if known is catalogue or known == catalogue:
            return store
    store = MemoryStore(catalogue=catalogue)
    _WORKER_STORE[:] = [(catalogue, store)]
    return store


def _replay_items(catalogue: Catalogue, items: Sequence[tuple[str, list[RawRow]]]) -> ChunkRows:
    """The case rows of each case of ``items`` (raw log rows by case), decoded and replayed
    with ``catalogue``, up to the first failure.
    """
    decode = worker_store(catalogue).decode_log_row
    done: list[tuple[str, CaseRows | None]] = []
    try:
        for case_id, rows in items:
            if rows[0][2] != 1:
                done.append((case_id, None))
                continue
            case = Case.replay([decode(r) for r in rows], catalogue)
            done.append((case_id, case_rows(case, rows[0][0])))
    except (CorruptRecord, ReplayError) as exc:
        kind = CorruptRecord if isinstance(exc, CorruptRecord) else ReplayError
        return done, (kind, exc.case_id, exc.seq, exc.problem)
    return done, None


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector for a rebuild (resumed after, if it was on).

    A rebuild makes millions of objects that hold no cycles (freed as each case's rows are
    made) while its tables grow; the collector would walk those tables over and over.
    """
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _paused(call: Any, *args: Any) -> Any:
    """``call(*args)`` with the cyclic collector paused, as in the parent's rebuild."""
    with collector_paused():
        return call(*args)


def _replay_chunk(catalogue: Catalogue, items: list[tuple[str, list[RawRow]]]) -> ChunkRows:
    """In a worker: :func:`_replay_items` (the chunk sent as rows)."""
    result: ChunkRows = _paused(_replay_items, catalogue, items)
    return result


def case_tables_db() -> sqlite3.Connection:
    """An in-memory database with the case tables (their columns, in order)."""
    db = sqlite3.connect(":memory:", isolation_level=None)
    for t in CASE_TABLES:
        db.execute(f"CREATE TABLE {t.name} ({', '.join(t.names)})")
    return db


def _replay_image(catalogue: Catalogue, log: bytes) -> ChunkImage:
    """In a worker: the chunk's events (an image, see ``SQLiteBackend.log_image``) replayed
    case by case in log order, and the case tables' rows sent back as an image.
    """
    source = sqlite3.connect(":memory:")
    try:
        source.deserialize(log)
        raw: list[RawRow] = source.execute("SELECT * FROM events ORDER BY gid").fetchall()
    finally:
        source.close()
    events = len(raw)
    streams: dict[str, list[RawRow]] = {}
    for row in raw:
        rows = streams.get(row[1])
        if rows is None:
            streams[row[1]] = [row]
        else:
            rows.append(row)
    del raw
    done, failure = _replay_items(catalogue, list(streams.items()))
    batch = Batch(0)
    missing = []
    for case_id, got in done:
        if got is None:
            missing.append((case_id, streams[case_id][0][0]))
        else:
            batch.cases[case_id] = got
    PersonalColumns(None).seal_batch(batch)  # notes whether a marker is among the rows
    out = case_tables_db()
    try:
        _insert_cases(out, batch.cases.values())
        return out.serialize(), events, missing, batch.unsealed, failure
    finally:
        out.close()


def _insert_cases(db: sqlite3.Connection, cases: Collection[CaseRows]) -> None:
    """Insert every row of ``cases`` into the case tables of ``db``, one go per table."""
    for t in CASE_TABLES:
        rows = table_rows(cases, t.name)
        if rows:
            marks = ", ".join("?" * len(t.names))
            db.executemany(f"INSERT INTO {t.name} VALUES ({marks})", rows)


def _replay_image_chunk(catalogue: Catalogue, log: bytes) -> ChunkImage:
    """In a worker: :func:`_replay_image` with the collector paused."""
    result: ChunkImage = _paused(_replay_image, catalogue, log)
    return result


def _chunk_size(count: int, workers: int, per_worker: int = 4) -> int:
    """Cases per chunk: a few chunks per worker (so that they finish together)."""
    return max(1, -(-count // (per_worker * workers)))


def _raise(failure: Failure) -> None:
    kind, case_id, seq, problem = failure
    raise kind(case_id, seq, problem)


def replay_rows(
    executor: Executor,
    catalogue: Catalogue,
    streams: dict[str, list[RawRow]],
    load: Load,
) -> dict[str, CaseRows]:
    """Each case's rows of ``streams`` replayed in chunks on ``executor`` (and a share here,
    meanwhile), by case id in order; the first failure (in log order, as serially) raised
    here, the rest cancelled.  ``load(case_id, position)`` gives the rows of a case whose
    opening is not in the log (the store says what is wrong).
    """
    items = list(streams.items())
    workers = workers_of(executor)
    # this process replays the last share itself while the workers replay the rest
    mine = len(items) // (workers + 1)
    sent = items[: len(items) - mine]
    size = _chunk_size(len(sent), workers)
    futures: list[Future[ChunkRows]] = [
        executor.submit(_replay_chunk, catalogue, sent[i : i + size])
        for i in range(0, len(sent), size)
    ]
    cases: dict[str, CaseRows] = {}
    try:
        local: Future[ChunkRows] = Future()
        local.set_result(_replay_items(catalogue, items[len(sent) :]))
        futures.append(local)
        for future in futures:
            done, failure = future.result()
            for case_id, got in done:
                cases[case_id] = got if got is not None else load(case_id, streams[case_id][0][0])
            if failure is not None:
                _raise(failure)
    finally:
        for future in futures:
            future.cancel()
    return cases


def replay_images(
    executor: Executor,
    catalogue: Catalogue,
    *,
    backend: Any,
    head: int,
    load: Load,
    meanwhile: Callable[[], None],
) -> tuple[bytes, int, int, bool]:
    """Every case of ``backend``'s log up to ``head`` replayed on ``executor``, sent out and
    back as SQLite images (a few chunks in flight per worker, so memory stays bounded), and
    ``meanwhile()`` called once the first chunks are out.  Returns the image of the case
    tables (every case, in log order), the events and cases replayed, and whether a
    personal column holds a marker.  ``load(case_id, position)`` gives the rows of a case
    whose opening is not in the log (the store says what is wrong).
    """
    case_ids = backend.case_streams(head)
    workers = workers_of(executor)
    # smaller chunks than the rows' (sending one costs little): the last ones end together
    size = _chunk_size(len(case_ids), workers, per_worker=8)
    merged = case_tables_db()
    unreadable = False
    events = 0
    pending: deque[Future[ChunkImage]] = deque()

    def merge(future: Future[ChunkImage]) -> None:
        nonlocal unreadable, events
        image, read, missing, marked, failure = future.result()
        # before the chunk's failure, as serially (its cases come before the failing one)
        _insert_cases(merged, [load(case_id, position) for case_id, position in missing])
        if failure is not None:
            _raise(failure)
        unreadable = unreadable or marked
        events += read
        merged.execute("ATTACH ':memory:' AS chunk")
        try:
            merged.deserialize(image, name="chunk")
            for t in CASE_TABLES:
                merged.execute(f"INSERT INTO main.{t.name} SELECT * FROM chunk.{t.name}")
        finally:
            merged.execute("DETACH chunk")

    try:
        started = False
        for i in range(0, len(case_ids), size):
            log = backend.log_image(case_ids[i : i + size], head)
            pending.append(executor.submit(_replay_image_chunk, catalogue, log))
            if len(pending) >= 2 * workers:
                if not started:
                    meanwhile()
                    started = True
                merge(pending.popleft())
        if not started:
            meanwhile()
        while pending:
            merge(pending.popleft())
        return merged.serialize(), events, len(case_ids), unreadable
    finally:
        for future in pending:
            future.cancel()
        merged.close()
