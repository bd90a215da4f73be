"""Table layouts: a database written by layout 1 (one JSON record per event) still opens.

The layout-1 tables are created here exactly as casework 0.1 created them, and filled with
the rows it wrote (``codec.dumps_event``), including a corrupt one and one from before schema
versions.  Opening a store migrates them to layout 2, once, in one transaction.
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
        assert store.db.execute("PRAGMA user_version").fetchone()[0] == LAYOUT_VERSION == 2
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
            assert layout == ("2",)
        finally:
            store.close()
