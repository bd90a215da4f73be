"""A path that is not a casework store is refused, typed, naming the path and what is wrong,
and nothing in it changes: no byte, no modification time, no journal mode, no table.
"""

from __future__ import annotations

import os
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from datetime import date, datetime
from pathlib import Path

import attrs
import pytest

from casework.errors import CaseworkError
from casework.events import Event
from casework.records import Client
from casework.store import NotAStore, SQLiteStore, StoreError

T0 = datetime(2023, 3, 6, 9, 0)
OPENED = Event(
    "case-1",
    1,
    "case_opened",
    T0,
    "wu",
    "referral",
    "open",
    {"client": Client("c-1", "京京", date(2012, 6, 3), "male"), "lifecycle": "standard"},
)


def fingerprint(path: Path) -> tuple[object, ...]:
    """What must not change: the bytes, the modification time, the files beside it."""
    if path.is_dir():
        return ("dir", sorted(p.name for p in path.iterdir()), path.stat().st_mtime_ns)
    siblings = sorted(p.name for p in path.parent.iterdir())
    return (path.read_bytes(), path.stat().st_mtime_ns, siblings)


def journal_mode(path: Path) -> str | None:
    """The journal mode an SQLite file's header records (None: not an SQLite header)."""
    header = path.read_bytes()[:100]
    if len(header) < 100 or not header.startswith(b"SQLite format 3\x00"):
        return None
    return "wal" if header[18:20] == b"\x02\x02" else "rollback"


def another_app(tables: str, *, wal: bool = False, version: int = 0) -> Callable[[Path], None]:
    def make(path: Path) -> None:
        db = sqlite3.connect(path)
        if wal:
            db.execute("PRAGMA journal_mode=WAL")
        db.executescript(tables)
        db.execute(f"PRAGMA user_version={version}")
        db.commit()
        db.close()

    return make


def a_store_truncated_to(size: Callable[[int], int]) -> Callable[[Path], None]:
    def make(path: Path) -> None:
        store = SQLiteStore(path)
        for i in range(40):
            store.append([attrs.evolve(OPENED, case_id=f"c{i}")], expected_version=0)
        store.close()
        whole = path.read_bytes()
        path.write_bytes(whole[: size(len(whole))])

    return make


def _write(text: bytes) -> Callable[[Path], None]:
    return lambda path: path.write_bytes(text)


FOREIGN: list[tuple[str, Callable[[Path], None], str]] = [
    ("text file", _write(b"name,age\nwu,41\n" * 50), "not an SQLite database"),
    ("one byte", _write(b"x"), "not an SQLite database"),
    ("header cut short", _write(b"SQLite format 3\x00\x10\x00"), "truncated"),
    ("store cut in half", a_store_truncated_to(lambda n: n // 2), "truncated"),
    ("store cut mid-page", a_store_truncated_to(lambda n: n - 100), "truncated"),
    (
        "another app's events table",
        another_app("CREATE TABLE events (id INTEGER PRIMARY KEY, what TEXT);"),
        "another application's database",
    ),
    (
        "another app's events and cases tables",
        another_app(
            "CREATE TABLE events (id INTEGER PRIMARY KEY, what TEXT);"
            "CREATE TABLE cases (id INTEGER PRIMARY KEY);",
            version=2,
        ),
        "events table is not casework's",
    ),
    (
        "another app's tables, WAL",
        another_app("CREATE TABLE patients (id INTEGER PRIMARY KEY);", wal=True),
        "tables: patients",
    ),
    (
        "another app's tables, user_version 7",
        another_app("CREATE TABLE t (x);", version=7),
        "user_version 7",
    ),
    (
        "casework's tables and more",
        another_app(
            "CREATE TABLE events (gid, case_id, seq, v, type, at, actor, state, trigger, payload);"
            "CREATE TABLE cases (case_id, lifecycle, state, version, worker, programme, "
            "opened_at, last_at, opened_key, last_key); CREATE TABLE extra (x);",
            version=2,
        ),
        "another application's database",
    ),
    ("an empty database of layout 2", another_app("", version=2), "empty database"),
]


@pytest.mark.parametrize(("make", "problem"), [f[1:] for f in FOREIGN], ids=[f[0] for f in FOREIGN])
def test_a_file_that_is_not_a_store_is_refused_and_left_alone(
    tmp_path: Path, make: Callable[[Path], None], problem: str
) -> None:
    path = tmp_path / "other.db"
    make(path)
    before = fingerprint(path)
    mode = journal_mode(path)
    with pytest.raises(NotAStore, match=problem) as info:
        SQLiteStore(path)
    assert info.value.path == str(path) and str(path) in str(info.value)
    assert isinstance(info.value, StoreError) and isinstance(info.value, CaseworkError)
    assert fingerprint(path) == before
    assert journal_mode(path) == mode


def test_a_directory_is_refused(tmp_path: Path) -> None:
    before = fingerprint(tmp_path)
    with pytest.raises(NotAStore, match="it is a directory"):
        SQLiteStore(tmp_path)
    assert fingerprint(tmp_path) == before


def test_a_missing_folder_is_refused_and_not_created(tmp_path: Path) -> None:
    with pytest.raises(NotAStore, match="does not exist"):
        SQLiteStore(tmp_path / "nowhere" / "cases.db")
    assert not (tmp_path / "nowhere").exists()


@pytest.mark.parametrize(
    "make",
    [lambda p: None, lambda p: p.write_bytes(b""), another_app("")],
    ids=["missing", "empty file", "empty database"],
)
def test_a_missing_or_empty_file_is_a_new_store(
    tmp_path: Path, make: Callable[[Path], None]
) -> None:
    path = tmp_path / "cases.db"
    make(path)
    with SQLiteStore(path) as store:
        store.append([OPENED], expected_version=0)
    with SQLiteStore(path) as store:
        assert store.load("case-1").version == 1
    assert journal_mode(path) == "wal"


def test_a_casework_store_still_opens_after_the_checks(tmp_path: Path) -> None:
    path = tmp_path / "cases.db"
    with SQLiteStore(path) as store:
        store.append([OPENED], expected_version=0)
        with SQLiteStore(path) as second:  # a second store while the first is open (WAL)
            assert second.summary("case-1").version == 1


# --- PostgreSQL: a schema with tables of casework's names that are someone else's -------------


@pytest.fixture
def pg_schema() -> Iterator[tuple[str, str]]:
    import psycopg

    from conftest import postgres_dsn

    dsn = postgres_dsn()
    schema = "casework_test_" + uuid.uuid4().hex[:12]
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield dsn, schema
    finally:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


PG_FOREIGN = [
    ("CREATE TABLE {s}.casework_events (id int)", "casework did not create"),
    ("CREATE TABLE {s}.casework_cases (id int)", "casework did not create"),
    ("CREATE VIEW {s}.casework_meta AS SELECT 1 AS key", "casework did not create"),
    ("CREATE TABLE {s}.casework_meta (k text, v text)", "casework_meta table is not casework's"),
    ("CREATE TABLE {s}.casework_meta (key text, value text)", "names no layout"),
    (
        "CREATE TABLE {s}.casework_meta (key text, value text);"
        "INSERT INTO {s}.casework_meta VALUES ('layout', '2');"
        "CREATE TABLE {s}.casework_events (id int)",
        "casework_events table is not casework's",
    ),
    (
        "CREATE TABLE {s}.casework_meta (key text, value text);"
        "INSERT INTO {s}.casework_meta VALUES ('layout', '2')",
        "casework_events table is missing",
    ),
]


def _pg_tables(conn: object, schema: str) -> list[tuple[str, str]]:
    return conn.execute(  # type: ignore[attr-defined,no-any-return]
        "SELECT table_name, column_name FROM information_schema.columns "
        "WHERE table_schema = %s ORDER BY table_name, ordinal_position",
        (schema,),
    ).fetchall()


@pytest.mark.parametrize(("setup", "problem"), PG_FOREIGN)
def test_a_postgres_schema_with_clashing_tables_is_refused_and_left_alone(
    pg_schema: tuple[str, str], setup: str, problem: str
) -> None:
    import psycopg

    from casework.store.postgres import PostgresStore

    dsn, schema = pg_schema
    with psycopg.connect(dsn, autocommit=True) as conn:
        for statement in setup.format(s=f'"{schema}"').split(";"):
            conn.execute(statement)
        before = _pg_tables(conn, schema)
    with pytest.raises(NotAStore, match=problem) as info:
        PostgresStore(dsn, schema=schema)
    assert schema in str(info.value) and "casework:" not in str(info.value)  # no password
    with psycopg.connect(dsn, autocommit=True) as conn:
        assert _pg_tables(conn, schema) == before


def test_a_postgres_schema_with_unrelated_tables_is_shared(pg_schema: tuple[str, str]) -> None:
    import psycopg

    from casework.store.postgres import PostgresStore

    dsn, schema = pg_schema
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'CREATE TABLE "{schema}".events (id int)')
    with PostgresStore(dsn, schema=schema) as store:
        store.append([OPENED], expected_version=0)
    with PostgresStore(dsn, schema=schema) as store:
        assert store.load("case-1").version == 1


def test_os_path_is_accepted(tmp_path: Path) -> None:
    with SQLiteStore(os.fspath(tmp_path / "cases.db")) as store:
        assert store.cases() == []
