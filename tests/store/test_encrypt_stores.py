"""Encrypting a clear store in place, on each SQL store (SQLite, PostgreSQL): every row as a
sealed append writes it, nothing lost, a sealed store known when opened again.
"""

from __future__ import annotations

import glob
import os
import sqlite3
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from test_sealed import BORN, GUARDIAN, NAME, NOTE, T0, client, drive

from casework.encryption import KeysRequired, encrypt_store
from casework.engine import Engine
from casework.keys import MemoryKeyStore
from casework.serialize._sealed import UNAVAILABLE
from casework.standard import STANDARD
from casework.store import Store
from conftest import Backend


def sql(backend: Backend, store: Store) -> Any:
    """The raw connection of an SQL store (a memory store has none: skipped)."""
    if backend.name == "memory":
        pytest.skip("a memory store holds objects, not rows: copy it into one opened with keys")
    return getattr(store, "db", None) or store.conn  # type: ignore[attr-defined]


def payloads(backend: Backend, store: Store) -> list[str]:
    table = "casework_events" if backend.name == "postgres" else "events"
    rows = sql(backend, store).execute(f"SELECT payload FROM {table} ORDER BY gid").fetchall()
    return [p for (p,) in rows if p is not None]


def test_each_sql_store_is_encrypted_as_sealed_appends_write(backend: Backend) -> None:
    clear = backend.open()
    sql(backend, clear)
    live = drive(clear)
    drive(clear, "XZ-2", "c-2")
    events = list(clear.stream())
    assert any(NAME in p for p in payloads(backend, clear))
    keys = MemoryKeyStore()
    store = backend.open(keys=keys)
    assert not store.sealed
    done = encrypt_store(store)
    assert done.sealed > 0 and done.new_keys == 2 and keys.subjects() == ["c-1", "c-2"]
    assert list(store.stream()) == events and store.load("XZ-1") == live
    raw = "".join(payloads(backend, store))
    for value in (NAME, GUARDIAN, NOTE, BORN.isoformat()):
        assert value not in raw
    # the same rows a sealed append writes: a store that sealed from the start reads alike
    fresh = backend.open(keys=keys)
    assert fresh.sealed
    again = encrypt_store(fresh)
    assert (again.sealed, again.already) == (0, done.sealed)
    analyst = backend.open()  # without keys: markers, and no clear writes
    assert analyst.load("XZ-1").client.name == UNAVAILABLE
    with pytest.raises(KeysRequired, match="is encrypted"):
        Engine(STANDARD, store=analyst).open("XZ-3", client("c-3"), at=T0, by="wu")
    assert [s.case_id for s in analyst.cases()] == ["XZ-1", "XZ-2"]


def test_a_partly_sealed_sql_store_keeps_its_sealed_rows(backend: Backend) -> None:
    clear = backend.open()
    sql(backend, clear)
    drive(clear)
    keys = MemoryKeyStore()
    store = backend.open(keys=keys)
    engine = Engine(STANDARD, store=store)
    case = store.load("XZ-1")
    engine.transfer(case, "zhao", reason=f"{NAME} moved", at=T0 + timedelta(days=30), by="li")
    key = keys.get("c-1")
    before = list(store.stream())
    sealed_before = [p for p in payloads(backend, store) if "$sealed" in p]
    done = store.encrypt()  # type: ignore[attr-defined]
    assert done.already == len(sealed_before) == 1
    assert keys.get("c-1") == key and list(store.stream()) == before
    assert set(sealed_before) <= set(payloads(backend, store))


def _heap_files(conn: Any) -> list[str]:
    """The files of the PostgreSQL events table and its TOAST table, where this user can read
    them (a server on this machine, in Debian's layout); none otherwise.
    """
    found = []
    for (rel,) in conn.execute(
        "SELECT pg_relation_filepath(oid) FROM pg_class WHERE oid = 'casework_events'::regclass "
        "UNION ALL SELECT pg_relation_filepath(reltoastrelid) FROM pg_class "
        "WHERE oid = 'casework_events'::regclass AND reltoastrelid <> 0"
    ).fetchall():
        for folder in glob.glob("/var/lib/postgresql/*/main"):
            found += glob.glob(os.path.join(folder, rel)) + glob.glob(
                os.path.join(folder, rel) + ".*"
            )
    return found


def test_postgres_table_files_keep_no_clear_value_after_vacuum_full(backend: Backend) -> None:
    if backend.name != "postgres":
        pytest.skip("PostgreSQL's own files")
    clear = backend.open()
    drive(clear)
    conn = clear.conn  # type: ignore[attr-defined]
    conn.execute("VACUUM FULL casework_events")  # written out to the table's new file
    files = _heap_files(conn)
    if not files:
        pytest.skip("the server's data files cannot be read from here")
    assert any(NAME.encode() in Path(f).read_bytes() for f in files)  # found in clear
    encrypt_store(backend.open(keys=MemoryKeyStore()))
    files = _heap_files(conn)
    assert files
    for f in files:
        data = Path(f).read_bytes()
        assert NAME.encode() not in data and BORN.isoformat().encode() not in data


def test_a_layout_1_file_with_record_rows_and_a_corrupt_one_is_encrypted(tmp_path: Path) -> None:
    from test_layout import V1_CASES, V1_EVENTS, check_migrated, layout_1_rows

    from casework.store import SQLiteStore

    path = tmp_path / "v1.db"
    source, rows, summaries = layout_1_rows()
    db = sqlite3.connect(path)
    db.execute(V1_EVENTS.format(p="", gid="INTEGER PRIMARY KEY"))
    db.execute(V1_CASES.format(p=""))
    db.executemany("INSERT INTO events (case_id, seq, data) VALUES (?, ?, ?)", rows)
    db.executemany("INSERT INTO cases VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", summaries)
    db.execute("PRAGMA user_version=1")
    db.commit()
    db.close()
    first, second = source.cases()[:2]
    with SQLiteStore(path, keys=MemoryKeyStore()) as store:
        records = store.db.execute("SELECT count(*) FROM events WHERE type IS NULL").fetchone()
        assert records[0] == 2  # the version-0 record and the corrupt one, kept whole
        done = store.encrypt()
        assert done.unreadable == ((second.case_id, 3),)  # left as it was, still reported
        assert "1 unreadable row(s) left as they were" in str(done)
        check_migrated(store, source)  # every other case loads as before
        left = store.db.execute("SELECT case_id, seq FROM events WHERE type IS NULL").fetchall()
        assert left == [(second.case_id, 3)]  # the version-0 record is a sealed row now
        assert store.events(first.case_id)[1] == source.events(first.case_id)[1]


def test_projection_tables_holding_names_are_dropped_and_rebuilt(backend: Backend) -> None:
    from casework.reporting.projections import Projection

    clear = backend.open()
    sql(backend, clear)
    drive(clear)
    projection = Projection(clear)
    projection.catch_up()
    named = projection.rows("cases", include_personal=True)
    assert named[0]["name"] == NAME  # the read side's table holds the name in clear
    facts = projection.rows("cases")
    keys = MemoryKeyStore()
    store = backend.open(keys=keys)
    done = encrypt_store(store)
    prefix = "casework_proj_" if backend.name == "postgres" else "proj_"
    assert done.dropped and all(t.startswith(prefix) for t in done.dropped)
    assert f"{len(done.dropped)} projection table(s) dropped" in str(done)
    if backend.name == "sqlite":
        raw = Path(store.path).read_bytes()  # type: ignore[attr-defined]
        assert NAME.encode() not in raw and BORN.isoformat().encode() not in raw
    analyst = backend.open()  # rebuilt from the sealed log: every fact, no names
    again = Projection(analyst)
    assert again.position == 0
    again.catch_up()
    rows = again.rows("cases", include_personal=True)
    assert rows[0]["name"] == UNAVAILABLE
    assert again.rows("cases") == facts
    assert encrypt_store(backend.open(keys=keys)).dropped == done.dropped  # made again, dropped
