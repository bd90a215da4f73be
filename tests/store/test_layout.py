"""Table layouts: a database written by layout 1 (one JSON record per event) still opens.

The layout-1 tables are created here exactly as casework 0.1 created them, and filled with
the rows it wrote (``codec.dumps_event``), including a corrupt one and one from before schema
versions.  Opening a store migrates them to the current layout, once, in one transaction.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from casework.demo import run_xuzhuang
from casework.engine import Engine
from casework.serialize import SchemaTooNew, default_codec
from casework.standard import MHT_LIFECYCLE
from casework.store import CorruptRecord, MemoryStore, SQLiteStore, Store
from casework.store._sql import summary_row
from casework.store.sqlite import LAYOUT_VERSION
from conftest import postgres_dsn

V1_EVENTS = """CREATE TABLE IF NOT EXISTS {p}events (
    gid     {gid},
    case_id TEXT    NOT NULL,
    seq     INTEGER NOT NULL CHECK (seq >= 1),
    data    TEXT    NOT NULL,
    UNIQUE (case_id, seq)
)"""
V1_CASES = """CREATE TABLE IF NOT EXISTS {p}cases (
    case_id TEXT PRIMARY KEY, lifecycle TEXT NOT NULL, state TEXT NOT NULL,
    version INTEGER NOT NULL, worker TEXT, programme TEXT, opened_at TEXT NOT NULL,
    last_at TEXT NOT NULL, opened_key TEXT NOT NULL, last_key TEXT NOT NULL
)"""


def layout_1_rows() -> tuple[MemoryStore, list[tuple[str, int, str]], list[tuple[Any, ...]]]:
    """The demo as layout 1 stored it: (case_id, seq, record text) in acceptance order, and
    the summary rows; case 0's event #2 is a record without "v", case 1's #3 is corrupt.
    """
    source = MemoryStore()
    run_xuzhuang(Engine(MHT_LIFECYCLE, store=source))
    codec = default_codec(json="stdlib")
    rows = []
    for ev in source.stream():
        text = codec.dumps_event(ev)
        rows.append((ev.case_id, ev.seq, text))
    first, second = source.cases()[:2]
    for i, (case_id, seq, text) in enumerate(rows):
        if (case_id, seq) == (first.case_id, 2):
            rows[i] = (case_id, seq, text.replace('{"v":1,', "{", 1))
        if (case_id, seq) == (second.case_id, 3):
            rows[i] = (case_id, seq, text[:40])
    return source, rows, [summary_row(s) for s in source.cases()]


def check_migrated(store: Store, source: MemoryStore) -> None:
    first, second, *rest = source.cases()
    for s in [first, *rest]:
        assert store.load(s.case_id) == source.load(s.case_id)
        assert store.summary(s.case_id) == s
    with pytest.raises(CorruptRecord) as info:  # kept, and still reported with its number
        store.events(second.case_id)
    assert (info.value.case_id, info.value.seq) == (second.case_id, 3)
    assert store.cases(state="closed") == [s for s in source.cases() if s.state == "closed"]


def test_a_layout_1_sqlite_file_opens_and_is_migrated_once(tmp_path: Path) -> None:
    path = tmp_path / "v1.db"
    source, rows, summaries = layout_1_rows()
    with sqlite3.connect(path) as db:
        db.execute(V1_EVENTS.format(p="", gid="INTEGER PRIMARY KEY"))
        db.execute(V1_CASES.format(p=""))
        db.executemany("INSERT INTO events (case_id, seq, data) VALUES (?, ?, ?)", rows)
        db.executemany("INSERT INTO cases VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", summaries)
        db.execute("PRAGMA user_version=1")
    db.close()

    store = SQLiteStore(path)
    try:
        assert store.db.execute("PRAGMA user_version").fetchone()[0] == LAYOUT_VERSION == 4
        check_migrated(store, source)
        split = store.db.execute("SELECT count(*) FROM events WHERE type IS NULL").fetchone()[0]
        assert split == 2  # the corrupt row and the version-0 record are kept whole
        empty = store.db.execute("SELECT count(*) FROM events WHERE payload IS NULL").fetchone()
        assert empty[0] > 0  # empty payloads are NULL, not "{}"
        # the global numbers are kept, so stream() still reads in acceptance order
        order = store.db.execute("SELECT case_id, seq FROM events ORDER BY gid").fetchall()
        assert order == [(c, s) for c, s, _ in rows]
    finally:
        store.close()
    again = SQLiteStore(path)  # opened again: nothing left to migrate
    try:
        check_migrated(again, source)
    finally:
        again.close()


def test_a_newer_sqlite_layout_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "v9.db"
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA user_version=9")
    db.close()
    with pytest.raises(SchemaTooNew):
        SQLiteStore(path)


@pytest.fixture
def pg_schema() -> Iterator[tuple[str, str]]:
    import psycopg

    dsn = postgres_dsn()
    schema = "casework_layout_" + uuid.uuid4().hex[:12]
    try:
        yield dsn, schema
    finally:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def test_a_layout_1_postgres_database_opens_and_is_migrated_once(
    pg_schema: tuple[str, str],
) -> None:
    import psycopg

    from casework.store.postgres import PostgresStore

    dsn, schema = pg_schema
    source, rows, summaries = layout_1_rows()
    p = f'"{schema}".casework_'
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
        conn.execute(f"CREATE TABLE {p}meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        conn.execute(V1_EVENTS.format(p=p, gid="BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY"))
        conn.execute(V1_CASES.format(p=p))
        conn.execute(f"INSERT INTO {p}meta VALUES ('layout', '1')")
        with conn.cursor() as cur:
            cur.executemany(f"INSERT INTO {p}events (case_id, seq, data) VALUES (%s, %s, %s)", rows)
            cur.executemany(
                f"INSERT INTO {p}cases VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)", summaries
            )
    for _ in range(2):  # the second open finds layout 2: nothing to do
        store = PostgresStore(dsn, schema=schema)
        try:
            check_migrated(store, source)
            layout = store.conn.execute("SELECT value FROM casework_meta").fetchone()
            assert layout == ("4",)
        finally:
            store.close()


def layout_2_case(store: Store) -> None:
    """A case with command ids, written through an engine (then taken back to layout 2)."""
    from _workers import CLIENT, T0

    from casework.standard import STANDARD

    engine = Engine(STANDARD, store=store)
    case = engine.open("L2", CLIENT, at=T0, by="wu", command_id="open-1")
    engine.fire(case, "screen", at=T0, by="wu", command_id="screen-1")
    engine.fire(case, "transfer", at=T0, by="wu", to="li", reason="r")


def check_layout_3(store: Store) -> None:
    """The ids are back in their column: a second event under one of them is refused."""
    import attrs

    from casework.store import DuplicateCommandId

    events = store.events("L2")
    assert store.load("L2").commands == {"open-1": 1, "screen-1": 2}
    again = attrs.evolve(events[1], seq=4, state=events[-1].state)
    with pytest.raises(DuplicateCommandId) as info:
        store.append([again], expected_version=3)
    assert info.value.seq == 2
    assert store.summary("L2").version == 3


def test_a_layout_2_sqlite_file_gets_its_command_id_column(tmp_path: Path) -> None:
    path = tmp_path / "v2.db"
    store = SQLiteStore(path)
    layout_2_case(store)
    store.close()
    with sqlite3.connect(path) as db:  # back to layout 2, as the previous casework wrote it
        db.execute("DROP INDEX events_command")
        db.execute("ALTER TABLE events DROP COLUMN command_id")
        db.execute("DROP TABLE casework_meta")  # layout 4's
        db.execute("PRAGMA user_version=2")
    db.close()
    store = SQLiteStore(path)
    try:
        assert store.db.execute("PRAGMA user_version").fetchone()[0] == LAYOUT_VERSION
        ids = store.db.execute("SELECT seq, command_id FROM events ORDER BY seq").fetchall()
        assert ids == [(1, "open-1"), (2, "screen-1"), (3, None)]
        check_layout_3(store)
    finally:
        store.close()


def test_a_layout_2_postgres_database_gets_its_command_id_column(
    pg_schema: tuple[str, str],
) -> None:
    import psycopg

    from casework.store.postgres import PostgresStore

    dsn, schema = pg_schema
    store = PostgresStore(dsn, schema=schema)
    layout_2_case(store)
    store.close()
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'DROP INDEX "{schema}".casework_events_command')
        conn.execute(f'ALTER TABLE "{schema}".casework_events DROP COLUMN command_id')
        conn.execute(f"UPDATE \"{schema}\".casework_meta SET value = '2' WHERE key = 'layout'")
    for _ in range(2):  # the second open finds layout 3: nothing to do
        store = PostgresStore(dsn, schema=schema)
        try:
            layout = store.conn.execute("SELECT value FROM casework_meta").fetchone()
            assert layout == ("4",)
            ids = store.conn.execute(
                "SELECT seq, command_id FROM casework_events ORDER BY seq"
            ).fetchall()
            assert ids == [(1, "open-1"), (2, "screen-1"), (3, None)]
        finally:
            store.close()
    store = PostgresStore(dsn, schema=schema)
    try:
        check_layout_3(store)
    finally:
        store.close()


def test_the_layout_3_backfill_keeps_the_first_id_of_a_case() -> None:
    from casework.store._shared import command_id_backfill

    rows = [
        (1, "a", '{"command_id":"x"}'),
        (2, "a", '{"command_id":"x"}'),  # a repeat: replay reads the first
        (3, "b", '{"command_id":"x"}'),  # ids are per case
        (4, "a", '{"note":"\\"command_id\\" in text"}'),
        (5, "a", '{"command_id":7}'),  # not an id
        (6, "a", "{broken"),
    ]
    assert command_id_backfill(rows) == [("x", 1), ("x", 3)]
