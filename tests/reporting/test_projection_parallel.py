"""A rebuild on an executor: the same tables as the serial rebuild, the same errors.

``Projection.rebuild(executor=...)`` decodes and replays the cases in chunks on the executor
(threads, or processes started with "spawn", which share nothing with the parent); every
column of every table must equal the serial rebuild's, on every kind of store and after any
random program of commands; a corrupt row gives the serial rebuild's error and leaves the
tables as they were; a store opened with keys is rebuilt serially (keys never go to workers).
"""

from __future__ import annotations

import multiprocessing
import sqlite3
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis.stateful import rule

from casework import STANDARD, Client, Engine
from casework.errors import InvalidValue
from casework.keys import MemoryKeyStore
from casework.reporting.projections import TABLES, Projection
from casework.store import MemoryStore, SQLiteStore
from casework.store.errors import CorruptRecord
from projection_stores import Opened, expected, projected, store_kinds
from reporting.test_projection_rebuild import _station
from reporting.test_projections import Commands
from strategies import T0


@pytest.fixture(scope="module")
def spawned() -> Iterator[ProcessPoolExecutor]:
    """Two processes started with "spawn": nothing of the parent is inherited."""
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
        yield pool


@pytest.fixture(scope="module")
def threads() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(3) as pool:
        yield pool


@pytest.fixture(params=["threads", "spawned"])
def executor(request: pytest.FixtureRequest) -> Executor:
    found: Executor = request.getfixturevalue(request.param)
    return found


def _every_column(p: Projection) -> dict[str, list[tuple[object, ...]]]:
    return {name: p.tuples(name) for name in TABLES}


class Counting(Executor):
    """Runs each call at once, counting them (to see whether a rebuild used it)."""

    def __init__(self) -> None:
        self.calls = 0

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        self.calls += 1
        future: Future[Any] = Future()
        future.set_result(fn(*args, **kwargs))
        return future


def test_a_parallel_rebuild_equals_the_serial_one_in_every_column(
    opened: Opened, executor: Executor
) -> None:
    store = opened.store
    _station(store)
    engine = Engine(STANDARD, store=store)
    for i in range(10, 30):  # enough cases for several chunks
        engine.open(
            f"c{i}", Client(f"k{i}", f"p{i}", date(2011, 1, 1), name="某某"), at=T0, by="wu"
        )
    p = Projection(store)
    serial = p.rebuild()
    before = _every_column(p)
    done = p.rebuild(executor=executor)
    assert done == serial
    assert _every_column(p) == before
    assert projected(p) == expected(store)


def test_the_cases_are_cut_into_several_chunks() -> None:
    store = MemoryStore()
    _station(store)
    counting = Counting()
    p = Projection(store)
    p.rebuild(executor=counting)
    assert counting.calls > 1
    assert projected(p) == expected(store)


class ParallelCommands(Commands):
    """The random commands of test_projections, with rebuilds on an executor among them."""

    pool: Executor

    @rule()
    def parallel_rebuild(self) -> None:
        self.projection.rebuild()
        serial = _every_column(self.projection)
        self.projection.rebuild(executor=self.pool)
        assert _every_column(self.projection) == serial


@pytest.mark.parametrize("kind", store_kinds())
def test_parallel_rebuilds_equal_serial_ones_after_random_commands(
    kind: str, executor: Executor
) -> None:
    machine = type(f"Parallel_{kind}", (ParallelCommands,), {"kind": kind, "pool": executor})
    machine.TestCase.settings = settings(
        max_examples=6 if kind != "postgres" else 3,
        stateful_step_count=15,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    machine.TestCase().runTest()


def _error_of(run: Callable[[], object]) -> BaseException:
    with pytest.raises(Exception) as found:
        run()
    return found.value


@pytest.mark.parametrize("where", ["payload", "opening"])
def test_a_corrupt_row_fails_as_serially_and_leaves_the_tables(
    tmp_path: Path, executor: Executor, where: str
) -> None:
    path = tmp_path / "s.db"
    with SQLiteStore(path) as store:
        _station(store)
        p = Projection(store)
        p.rebuild()
        before, position = _every_column(p), p.position
        with sqlite3.connect(path) as db:
            if where == "payload":
                db.execute(
                    "UPDATE events SET payload = '{not json' WHERE case_id = 'c2' AND seq = 3"
                )
            else:  # a case whose opening is gone: the store says what is wrong
                db.execute("DELETE FROM events WHERE case_id = 'c2' AND seq = 1")
        db.close()
        serial = _error_of(p.rebuild)
        parallel = _error_of(lambda: p.rebuild(executor=executor))
        assert isinstance(serial, CorruptRecord)
        assert type(parallel) is type(serial)
        assert str(parallel) == str(serial)
        assert (parallel.case_id, parallel.seq) == (serial.case_id, serial.seq)  # type: ignore[attr-defined]
        assert (p.position, _every_column(p)) == (position, before)


def test_a_memory_store_fails_on_the_first_corrupt_case_in_log_order(executor: Executor) -> None:
    store = MemoryStore()
    _station(store)
    p = Projection(store)
    p.rebuild()
    before = _every_column(p)
    store._raw_put("c3", 1, payload="{not json")
    store._raw_put("c0", 2, payload="[]")
    serial = _error_of(p.rebuild)
    parallel = _error_of(lambda: p.rebuild(executor=executor))
    assert isinstance(parallel, CorruptRecord) and parallel.case_id == "c0"
    assert str(parallel) == str(serial)
    assert _every_column(p) == before


def test_a_keyed_store_is_rebuilt_serially_without_the_executor(tmp_path: Path) -> None:
    with SQLiteStore(tmp_path / "s.db", keys=MemoryKeyStore()) as store:
        engine = Engine(STANDARD, store=store)
        engine.open("c9", Client("c-9", "小明", date(2012, 6, 3), name="王小明"), at=T0, by="wu")
        p = Projection(store)
        p.rebuild()
        serial = _every_column(p)
        counting = Counting()
        p.rebuild(executor=counting)
        assert counting.calls == 0
        assert p.rows("cases", include_personal=True)[0]["name"] == "王小明"
        assert [r[:-3] for r in _every_column(p)["cases"]] == [r[:-3] for r in serial["cases"]]


def test_something_not_an_executor_is_refused_and_nothing_changes() -> None:
    store = MemoryStore()
    _station(store)
    p = Projection(store)
    p.rebuild()
    before = _every_column(p)
    with pytest.raises(InvalidValue, match="executor"):
        p.rebuild(executor=4)  # type: ignore[arg-type]
    assert _every_column(p) == before


def test_an_apps_own_catalogue_replays_in_the_workers(executor: Executor) -> None:
    """Versions, a correction and a migration: the workers replay with the store's catalogue."""
    from datetime import datetime

    from casework import SessionRecord, SessionStatus
    from test_versions import CATALOGUE, LC1, LC2, enrolled

    store = MemoryStore(catalogue=CATALOGUE)
    old, new = Engine(LC1, store=store), Engine(LC2, store=store)
    for i in range(6):
        case: Any = enrolled(old, f"SQ-{i}")
        if i % 2:
            visit = case.history[-1]
            missed = SessionRecord(1, SessionStatus.NO_SHOW, scheduled_at=visit.at)
            old.correct(case, visit.seq, missed, reason="out", at=datetime(2024, 3, 6), by="sw")
            new.migrate(case, states={"visiting": "home_visits"}, at=datetime(2024, 6, 1), by="sw",
                        reason="the 2025 process")  # fmt: skip
    p = Projection(store)
    p.rebuild()
    serial = _every_column(p)
    assert {r[3] for r in serial["cases"]} >= {"home_visits"}
    p.rebuild(executor=executor)
    assert _every_column(p) == serial


def test_a_store_whose_codec_knows_more_types_is_rebuilt_serially() -> None:
    import attrs

    from casework.serialize import default_codec

    @attrs.frozen
    class Extra:
        note: str

    store = MemoryStore()
    codec = default_codec(catalogue=store.catalogue)
    codec.register(Extra)
    store = MemoryStore(codec=codec)
    _station(store)
    counting = Counting()
    p = Projection(store)
    p.rebuild(executor=counting)
    assert counting.calls == 0
    assert projected(p) == expected(store)


# --- an SQLite store: the log out and the case tables back as SQLite images ----------------


class Deferred(Executor):
    """Runs a call only when its result is asked for; records what was sent and the most
    calls outstanding at once (to see that a rebuild keeps only a few chunks in flight).
    """

    _max_workers = 2

    def __init__(self) -> None:
        self.sent: list[tuple[str, tuple[type, ...]]] = []
        self.outstanding = 0
        self.most = 0

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        self.sent.append((fn.__name__, tuple(type(a) for a in args)))
        self.outstanding += 1
        self.most = max(self.most, self.outstanding)
        executor = self

        class Later(Future[Any]):
            def result(self, timeout: float | None = None) -> Any:
                if not self.done():
                    executor.outstanding -= 1
                    self.set_result(fn(*args, **kwargs))
                return super().result(timeout)

        return Later()


def _many_cases(store: SQLiteStore, count: int) -> None:
    _station(store)
    engine = Engine(STANDARD, store=store)
    for i in range(10, 10 + count):
        engine.open(f"c{i}", Client(f"k{i}", f"p{i}", date(2011, 1, 1)), at=T0, by="wu")


def test_an_sqlite_store_sends_images_and_keeps_few_chunks_in_flight(tmp_path: Path) -> None:
    with SQLiteStore(tmp_path / "s.db") as store:
        _many_cases(store, 76)  # 80 cases: 16 chunks of 5
        p = Projection(store)
        serial_done = p.rebuild()
        serial = _every_column(p)
        deferred = Deferred()
        assert p.rebuild(executor=deferred) == serial_done
        assert _every_column(p) == serial
        assert projected(p) == expected(store)
    names = {name for name, _ in deferred.sent}
    assert names == {"_replay_image_chunk"}
    assert all(types[1] is bytes for _, types in deferred.sent)
    assert len(deferred.sent) == 16  # eight chunks per worker
    assert deferred.most == 4  # two per worker in flight, never all sixteen


def test_an_image_rebuild_of_an_empty_store_gives_empty_tables(tmp_path: Path) -> None:
    with SQLiteStore(tmp_path / "s.db") as store:
        counting = Counting()
        p = Projection(store)
        done = p.rebuild(executor=counting)
        assert (done.events, done.cases, counting.calls) == (0, 0, 0)
        assert all(rows == [] for rows in _every_column(p).values())


def test_an_image_rebuild_marks_markers_as_the_serial_one_does(tmp_path: Path) -> None:
    """A note that reads like the marker of an unreadable value marks the tables."""
    from casework import SessionRecord
    from casework.serialize._sealed import UNAVAILABLE

    with SQLiteStore(tmp_path / "s.db") as store:
        engine = _station(store)
        case = store.load("c0")
        marked = SessionRecord(3, held_at=T0 + timedelta(days=3), notes=UNAVAILABLE)
        engine.record_session(case, marked, by="wu")
        p = Projection(store)
        p.rebuild()
        assert p.backend.unsealed()
        p.backend._set_unsealed(False)  # type: ignore[attr-defined]
        p.rebuild(executor=Counting())
        assert p.backend.unsealed()


def test_an_image_rebuild_applies_the_stores_rows_of_a_case_it_loads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A case whose opening the log lacks is loaded by the store (which raises what is
    wrong); were it to give a case, its rows would be in the tables as serially.
    """
    with SQLiteStore(tmp_path / "s.db") as store:
        _station(store)
        whole = store.load("c2")
        with sqlite3.connect(tmp_path / "s.db") as db:
            db.execute("DELETE FROM events WHERE case_id = 'c2' AND seq = 1")
        db.close()
        monkeypatch.setattr(store, "load", lambda case_id: whole)
        p = Projection(store)
        p.rebuild()
        serial = _every_column(p)
        assert [r for r in serial["cases"] if r[0] == "c2"]
        p.rebuild(executor=Counting())
        assert _every_column(p) == serial
