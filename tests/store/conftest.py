"""One fixture, every store: the contract tests run against each backend in turn.

``backend`` is parametrised over ``memory``, ``sqlite`` and ``postgres``.  PostgreSQL runs when
``CASEWORK_TEST_POSTGRES_DSN`` names a server that answers (``.ci/postgres.sh`` starts one and
exports it); otherwise those tests are skipped, with the reason shown by ``-ra``.  Each
PostgreSQL test gets its own schema, dropped afterwards.
"""

from __future__ import annotations

import os
import sqlite3
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest

from casework.store import MemoryStore, SQLiteStore, Store

HERE = str(Path(__file__).resolve().parent)
if HERE not in sys.path:
    sys.path.insert(0, HERE)

DSN_VAR = "CASEWORK_TEST_POSTGRES_DSN"


def postgres_dsn() -> str:
    """The test server's DSN, or a skip saying why there is none."""
    dsn = os.environ.get(DSN_VAR)
    if not dsn:
        pytest.skip(f"PostgreSQL contract tests need {DSN_VAR} (source .ci/postgres.sh)")
    try:
        import psycopg
    except ImportError:
        pytest.skip("PostgreSQL contract tests need psycopg: pip install 'casework[postgres]'")
    try:
        psycopg.connect(dsn, connect_timeout=3).close()
    except psycopg.OperationalError as exc:
        pytest.skip(f"no PostgreSQL server answers at {DSN_VAR}: {exc}".splitlines()[0])
    return dsn


@attrs.define
class Backend:
    """A store kind under test: ``make()`` opens a store on the same data, ``corrupt(case_id,
    seq, **columns)`` overwrites columns of a stored row behind the store's back (``type=None,
    payload=text`` makes it a record row holding a whole layout-1 JSON record), ``spec`` lets
    another process open it.
    """

    name: str
    make: Callable[..., Store]
    corrupt: Callable[..., None]
    spec: tuple[Any, ...] = ()
    #: ``lose(case_id, seq)`` deletes one event row, ``lose(case_id)`` the case's summary row,
    #: behind the store's back (a file damaged, a row lost in a restore).
    lose: Callable[..., None] = lambda case_id, seq=None: None
    #: ``rewind(case_id, version)`` sets the version the case's summary row keeps.
    rewind: Callable[[str, int], None] = lambda case_id, version: None
    opened: list[Store] = attrs.Factory(list)

    def open(self, **kwargs: Any) -> Store:
        store = self.make(**kwargs)
        self.opened.append(store)
        return store


def open_spec(spec: tuple[Any, ...], **kwargs: Any) -> Store:
    """Open the store a :attr:`Backend.spec` describes (used in child processes)."""
    kind = spec[0]
    if kind == "sqlite":
        return SQLiteStore(spec[1], **kwargs)
    if kind == "postgres":
        from casework.store.postgres import PostgresStore

        return PostgresStore(spec[1], schema=spec[2], **kwargs)
    raise ValueError(kind)


def _memory() -> Iterator[Backend]:
    shared = MemoryStore()

    def make(**kwargs: Any) -> Store:
        return MemoryStore(**kwargs) if kwargs else shared

    def corrupt(case_id: str, seq: int, **columns: Any) -> None:
        shared._raw_put(case_id, seq, **columns)

    def lose(case_id: str, seq: int | None = None) -> None:
        if seq is None:
            del shared._summaries[case_id]
            return
        rows = shared._data[case_id]
        rows[:] = [row for row in rows if row[0] != seq]
        shared._order.remove((case_id, seq))

    def rewind(case_id: str, version: int) -> None:
        shared._summaries[case_id] = attrs.evolve(shared._summaries[case_id], version=version)

    yield Backend("memory", make, corrupt, lose=lose, rewind=rewind)


def _sqlite(tmp_path: Path) -> Iterator[Backend]:
    path = tmp_path / "cases.db"

    def corrupt(case_id: str, seq: int, **columns: Any) -> None:
        sets = ", ".join(f"{name} = ?" for name in columns)
        with sqlite3.connect(path) as db:
            db.execute(
                f"UPDATE events SET {sets} WHERE case_id = ? AND seq = ?",
                (*columns.values(), case_id, seq),
            )
        db.close()

    def lose(case_id: str, seq: int | None = None) -> None:
        with sqlite3.connect(path) as db:
            if seq is None:
                db.execute("DELETE FROM cases WHERE case_id = ?", (case_id,))
            else:
                db.execute("DELETE FROM events WHERE case_id = ? AND seq = ?", (case_id, seq))
        db.close()

    def rewind(case_id: str, version: int) -> None:
        with sqlite3.connect(path) as db:
            db.execute("UPDATE cases SET version = ? WHERE case_id = ?", (version, case_id))
        db.close()

    yield Backend(
        "sqlite", lambda **kw: SQLiteStore(path, **kw), corrupt, ("sqlite", str(path)), lose, rewind
    )


def _postgres() -> Iterator[Backend]:
    import psycopg

    dsn = postgres_dsn()
    schema = "casework_test_" + uuid.uuid4().hex[:12]
    spec = ("postgres", dsn, schema)

    def corrupt(case_id: str, seq: int, **columns: Any) -> None:
        sets = ", ".join(f"{name} = %s" for name in columns)
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(
                f'UPDATE "{schema}".casework_events SET {sets} WHERE case_id = %s AND seq = %s',
                (*columns.values(), case_id, seq),
            )

    def lose(case_id: str, seq: int | None = None) -> None:
        with psycopg.connect(dsn, autocommit=True) as conn:
            if seq is None:
                conn.execute(
                    f'DELETE FROM "{schema}".casework_cases WHERE case_id = %s', (case_id,)
                )
            else:
                conn.execute(
                    f'DELETE FROM "{schema}".casework_events WHERE case_id = %s AND seq = %s',
                    (case_id, seq),
                )

    def rewind(case_id: str, version: int) -> None:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(
                f'UPDATE "{schema}".casework_cases SET version = %s WHERE case_id = %s',
                (version, case_id),
            )

    try:
        yield Backend("postgres", lambda **kw: open_spec(spec, **kw), corrupt, spec, lose, rewind)
    finally:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    """Each store kind in turn (PostgreSQL skipped, visibly, without a server)."""
    if request.param == "memory":
        gen = _memory()
    elif request.param == "sqlite":
        gen = _sqlite(tmp_path)
    else:
        gen = _postgres()
    found = next(gen)
    try:
        yield found
    finally:
        for store in found.opened:
            store.close()
        gen.close()


@pytest.fixture
def store(backend: Backend) -> Store:
    """A fresh, empty store of each kind."""
    return backend.open()


@pytest.fixture(params=["sqlite", "postgres"])
def shared_backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    """The stores several processes can share."""
    gen = _sqlite(tmp_path) if request.param == "sqlite" else _postgres()
    found = next(gen)
    try:
        yield found
    finally:
        for s in found.opened:
            s.close()
        gen.close()
