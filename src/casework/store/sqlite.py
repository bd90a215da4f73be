"""The SQLite store: casework's embedded default, one file per station.

* WAL mode, ``synchronous=FULL``: an append that has returned survives a crash or power cut.
* Each append is one ``BEGIN IMMEDIATE`` transaction: the version check, the event rows and the
  case's summary row are written together or not at all.
* ``UNIQUE(case_id, seq)`` is the last line of defence against two writers taking one number.
* Several processes may share the file; writers queue on SQLite's lock (``busy_timeout``).

Layout 2 (``PRAGMA user_version``): an event's envelope is in columns and only its payload is
JSON (NULL when empty); ``gid`` numbers events in the order they were accepted, for
``stream()``.  The summary table is keyed by case id itself (``WITHOUT ROWID``).  A file of
layout 1 (one JSON record per event) is migrated when first opened, in one transaction.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from casework.catalogue import Catalogue
from casework.events import Event
from casework.keys import KeyStore
from casework.lifecycle import Lifecycle
from casework.serialize import Codec, SchemaTooNew
from casework.store._shared import split_record
from casework.store._sql import (
    PAGE,
    SUMMARY_COLUMNS,
    SqlStore,
    summary_from_row,
    summary_row,
    summary_update,
)
from casework.store.errors import ConflictError, StoreError, UnknownCase

__all__ = ["SQLiteStore"]

#: Version of the table layout (kept in ``PRAGMA user_version``).
LAYOUT_VERSION = 2

#: The events table.  ``type`` NULL marks a record row: ``payload`` holds a whole layout-1
#: JSON record the migration could not split (see ``casework.store._shared.ROW_COLUMNS``).
EVENTS_TABLE = """
CREATE TABLE {name} (
    gid     INTEGER PRIMARY KEY,
    case_id TEXT    NOT NULL,
    seq     INTEGER NOT NULL CHECK (seq >= 1),
    v       INTEGER,
    type    TEXT,
    at      TEXT,
    actor   TEXT,
    state   TEXT,
    trigger TEXT,
    payload TEXT,
    UNIQUE (case_id, seq)
)
"""
CASES_TABLE = """
CREATE TABLE {name} (
    case_id    TEXT PRIMARY KEY,
    lifecycle  TEXT NOT NULL,
    state      TEXT NOT NULL,
    version    INTEGER NOT NULL,
    worker     TEXT,
    programme  TEXT,
    opened_at  TEXT NOT NULL,
    last_at    TEXT NOT NULL,
    opened_key TEXT NOT NULL,
    last_key   TEXT NOT NULL
) WITHOUT ROWID
"""
CASES_INDEXES = (
    "CREATE INDEX cases_state ON cases (state)",
    "CREATE INDEX cases_worker ON cases (worker)",
    "CREATE INDEX cases_programme ON cases (programme)",
    "CREATE INDEX cases_opened ON cases (opened_key)",
)
_INSERT_EVENT = (
    "INSERT INTO events (case_id, seq, v, type, at, actor, state, trigger, payload) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


class SQLiteStore(SqlStore):
    """Events and case summaries in one SQLite file (created if missing).

    One store object holds one connection; share it between threads of a process (calls are
    serialised by a lock) or give each process its own.  ``busy_timeout`` is how long a writer
    waits for another process's transaction before failing.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        catalogue: Catalogue | None = None,
        lifecycles: Mapping[str, Lifecycle] | Iterable[Lifecycle] | None = None,
        codec: Codec | None = None,
        keys: KeyStore | None = None,
        busy_timeout: float = 30.0,
    ) -> None:
        super().__init__(catalogue=catalogue, lifecycles=lifecycles, codec=codec, keys=keys)
        self.path = os.fspath(path)
        self._lock = threading.RLock()
        self._db: sqlite3.Connection | None = sqlite3.connect(
            self.path, timeout=busy_timeout, isolation_level=None, check_same_thread=False
        )
        try:
            self._setup()
        except BaseException:
            self.close()
            raise

    def __repr__(self) -> str:
        return f"<SQLiteStore {self.path!r}{' (closed)' if self._db is None else ''}>"

    def __enter__(self) -> SQLiteStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def db(self) -> sqlite3.Connection:
        """The open connection (a closed store raises :class:`StoreError`)."""
        if self._db is None:
            raise StoreError(f"the store {self.path!r} is closed")
        return self._db

    def _setup(self) -> None:
        db = self.db
        mode = db.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        if mode != "wal" and self.path != ":memory:":
            raise StoreError(f"{self.path!r}: SQLite refused WAL mode (got {mode!r})")
        db.execute("PRAGMA synchronous=FULL")
        if self.keys is not None:  # freed pages are zeroed: no old bytes linger in the file
            db.execute("PRAGMA secure_delete=ON")
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version > LAYOUT_VERSION:
            raise SchemaTooNew(version, range(1, LAYOUT_VERSION + 1))
        if version < LAYOUT_VERSION:
            with self._transaction():  # executescript would commit early: one statement at a time
                version = db.execute("PRAGMA user_version").fetchone()[0]  # under the lock now
                if version == 0:
                    db.execute(EVENTS_TABLE.format(name="events"))
                    db.execute(CASES_TABLE.format(name="cases"))
                    for statement in CASES_INDEXES:
                        db.execute(statement)
                elif version == 1:
                    self._migrate_from_1()
                if version < LAYOUT_VERSION:
                    db.execute(f"PRAGMA user_version={LAYOUT_VERSION}")

    def _migrate_from_1(self) -> None:
        """Layout 1 to 2, inside the caller's transaction: every event row split into columns
        (a row that cannot be split is kept whole, as a record row), global numbers kept;
        the summary table rebuilt without rowids.
        """
        db = self.db
        current = self.codec.migrations.current
        db.execute(EVENTS_TABLE.format(name="events_v2"))
        old = db.execute("SELECT gid, case_id, seq, data FROM events ORDER BY gid")
        while page := old.fetchmany(PAGE):
            db.executemany(
                "INSERT INTO events_v2 (gid, case_id, seq, v, type, at, actor, state, trigger, "
                "payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (gid, case_id, seq, *split_record(case_id, seq, data, current))
                    for gid, case_id, seq, data in page
                ],
            )
        db.execute("DROP TABLE events")
        db.execute("ALTER TABLE events_v2 RENAME TO events")
        db.execute(CASES_TABLE.format(name="cases_v2"))
        db.execute("INSERT INTO cases_v2 SELECT * FROM cases")
        db.execute("DROP TABLE cases")  # and its indexes
        db.execute("ALTER TABLE cases_v2 RENAME TO cases")
        for statement in CASES_INDEXES:
            db.execute(statement)

    def _transaction(self) -> _Tx:
        return _Tx(self.db)

    # --- writing ---------------------------------------------------------------------------

    def append(self, events: Sequence[Event], *, expected_version: int) -> None:
        """Write ``events`` of one case in one durable transaction, if it is still at
        ``expected_version``; otherwise raise :class:`ConflictError` and write nothing.
        """
        rows = self._check_append(events, expected_version)
        case_id = rows[0][0]
        with self._lock:
            db = self.db
            try:
                with self._transaction():
                    found = db.execute(
                        f"SELECT {SUMMARY_COLUMNS} FROM cases WHERE case_id = ?", (case_id,)
                    ).fetchone()
                    prev = summary_from_row(found) if found is not None else None
                    actual = prev.version if prev is not None else 0
                    if actual != expected_version:
                        if prev is None:
                            raise UnknownCase(case_id)
                        raise ConflictError(case_id, expected_version, actual)
                    db.executemany(_INSERT_EVENT, rows)
                    summary = self._summary_of(events, prev)
                    if prev is None:
                        db.execute(
                            "INSERT INTO cases VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                            summary_row(summary),
                        )
                    else:  # only the columns that changed: an index is touched only if its own
                        sql, params = summary_update(prev, summary)
                        db.execute(sql, params)
            except sqlite3.IntegrityError as exc:  # another writer took the number first
                raise ConflictError(case_id, expected_version, None) from exc

    # --- reading ---------------------------------------------------------------------------

    def _fetch(self, sql: str, params: Sequence[Any] = (), *, one: bool = False) -> Any:
        with self._lock:
            cursor = self.db.execute(sql, params)
            return cursor.fetchone() if one else cursor.fetchall()

    def stream(self) -> Iterator[Event]:
        """Every event in the order they were committed, read a page at a time.

        Events committed while the stream runs appear at its end.
        """
        return self._pages()

    def close(self) -> None:
        """Close the connection (idempotent)."""
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None


class _Tx:
    """``BEGIN IMMEDIATE`` … ``COMMIT``, rolled back on any exception (even KeyboardInterrupt).

    IMMEDIATE takes the write lock at the start, so two writers never both read a version and
    then deadlock upgrading their locks.
    """

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind: type[BaseException] | None, *rest: object) -> None:
        if kind is None:
            try:
                self.db.execute("COMMIT")
            except BaseException:
                self._rollback()
                raise
        else:
            self._rollback()

    def _rollback(self) -> None:
        if self.db.in_transaction:
            self.db.execute("ROLLBACK")
