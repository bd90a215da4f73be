"""PostgreSQL: a catch-up never misses an event committed after a higher-numbered one.

Two writers on two connections: the first is held inside its append's transaction, after its
event row is inserted (by a trigger waiting on an advisory lock the test holds), so it holds
the lower number; the second appends meanwhile and a projection catches up.  Once the first
commits, the next catch-up must have both cases.  Without ordered numbering the second would
commit first, the catch-up would move past the first's number and never read it.
"""

from __future__ import annotations

import random
import threading
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from casework import STANDARD, Engine
from casework.reporting.projections import Projection
from projection_stores import expected, postgres_dsn, projected
from strategies import T0, child

pytestmark = pytest.mark.skipif(postgres_dsn() is None, reason="no PostgreSQL server")


@pytest.fixture
def schema() -> Iterator[tuple[str, str]]:
    import psycopg

    dsn = postgres_dsn()
    assert dsn is not None
    name = "casework_order_" + uuid.uuid4().hex[:12]
    yield dsn, name
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')


def _waiting(control: Any, pid: int) -> bool:
    """Whether backend ``pid`` waits for a lock (asked of the server, not timed)."""
    row = control.execute(
        "SELECT count(*) FROM pg_locks WHERE pid = %s AND NOT granted", (pid,)
    ).fetchone()
    return bool(row[0])


def _until(predicate: Any, what: str) -> None:
    """Poll the server until ``predicate()`` holds (bounded, so a broken run fails)."""
    done = threading.Event()
    for _ in range(2000):
        if predicate():
            return
        done.wait(0.01)
    raise AssertionError(f"never happened: {what}")


def test_an_event_committed_late_is_not_skipped_by_a_catch_up(schema: tuple[str, str]) -> None:
    import psycopg

    from casework.store.postgres import PostgresStore

    dsn, name = schema
    key = random.randrange(1, 2**31)
    first, second, reader = (PostgresStore(dsn, schema=name) for _ in range(3))
    control = psycopg.connect(dsn, autocommit=True)
    try:
        projection = Projection(reader)
        control.execute(f'SET search_path TO "{name}"')
        control.execute(
            "CREATE FUNCTION hold() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"IF NEW.case_id = 'slow' THEN PERFORM pg_advisory_xact_lock({key}); END IF; "
            "RETURN NEW; END $$"
        )
        control.execute(
            "CREATE TRIGGER hold AFTER INSERT ON casework_events "
            "FOR EACH ROW EXECUTE FUNCTION hold()"
        )
        control.execute("SELECT pg_advisory_lock(%s)", (key,))
        errors: list[BaseException] = []

        def open_case(store: PostgresStore, case_id: str) -> None:
            try:
                Engine(STANDARD, store=store).open(case_id, child(), at=T0, by="wu")
            except BaseException as exc:  # reported by the test below
                errors.append(exc)

        slow = threading.Thread(target=open_case, args=(first, "slow"))
        slow.start()
        slow_pid = first.conn.info.backend_pid
        _until(lambda: _waiting(control, slow_pid), "the slow append waits inside its trigger")
        fast = threading.Thread(target=open_case, args=(second, "fast"))
        fast.start()
        fast_pid = second.conn.info.backend_pid
        _until(
            lambda: not fast.is_alive() or _waiting(control, fast_pid),
            "the fast append committed or waits",
        )
        projection.catch_up()  # meanwhile: whatever it sees, it must not skip "slow"
        control.execute("SELECT pg_advisory_unlock(%s)", (key,))
        slow.join()
        fast.join()
        assert not errors
        projection.catch_up()
        cases = {row["case_id"] for row in projection.rows("cases")}
        assert cases == {"slow", "fast"}
        assert projected(projection) == expected(reader)
    finally:
        control.close()
        for store in (first, second, reader):
            store.close()


def test_a_second_writer_waits_for_the_first_to_commit(schema: tuple[str, str]) -> None:
    """The lock's effect seen directly: while one append is open, another case's waits."""
    import psycopg

    from casework.store.postgres import PostgresStore

    dsn, name = schema
    first, second = PostgresStore(dsn, schema=name), PostgresStore(dsn, schema=name)
    control = psycopg.connect(dsn, autocommit=True)
    try:
        lock = first._append_lock
        assert lock is not None
        with first.conn.transaction():  # an append's opening statement, left open
            first.conn.execute(lock)
            done = threading.Event()

            def append() -> None:
                Engine(STANDARD, store=second).open("other", child(), at=T0, by="wu")
                done.set()

            writer = threading.Thread(target=append)
            writer.start()
            pid = second.conn.info.backend_pid
            _until(lambda: _waiting(control, pid), "the second append waits for the lock")
            assert not done.is_set()
        writer.join()
        assert done.is_set() and second.summary("other").version == 1
    finally:
        control.close()
        first.close()
        second.close()
