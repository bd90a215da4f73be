"""The SQLite store: casework's embedded default, one file per station.

* WAL mode, ``synchronous=FULL``: an append that has returned survives a crash or power cut.
* Each append is one ``BEGIN IMMEDIATE`` transaction: the version check, the event rows and the
  case's summary row are written together or not at all.
* ``UNIQUE(case_id, seq)`` is the last line of defence against two writers taking one number.
* Several processes may share the file; writers queue on SQLite's lock (``busy_timeout``).
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from casework.events import Event
from casework.lifecycle import Lifecycle
from casework.serialize import Codec, SchemaTooNew
from casework.store._shared import BaseStore
from casework.store.base import CaseQuery, CaseSummary, time_key
from casework.store.errors import ConflictError, CorruptRecord, StoreError, UnknownCase

__all__ = ["SQLiteStore"]

#: Version of the table layout (kept in ``PRAGMA user_version``).
LAYOUT_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    gid     INTEGER PRIMARY KEY,
    case_id TEXT    NOT NULL,
    seq     INTEGER NOT NULL CHECK (seq >= 1),
    data    TEXT    NOT NULL,
    UNIQUE (case_id, seq)
);
CREATE TABLE IF NOT EXISTS cases (
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
);
CREATE INDEX IF NOT EXISTS cases_state ON cases (state);
CREATE INDEX IF NOT EXISTS cases_worker ON cases (worker);
CREATE INDEX IF NOT EXISTS cases_programme ON cases (programme);
CREATE INDEX IF NOT EXISTS cases_opened ON cases (opened_key);
"""
_SUMMARY_COLUMNS = "case_id, lifecycle, state, version, worker, programme, opened_at, last_at"
_PAGE = 2000


def summary_row(s: CaseSummary) -> tuple[Any, ...]:
    """A summary as the columns of the ``cases`` table (shared with the PostgreSQL store)."""
    return (
        s.case_id,
        s.lifecycle,
        s.state,
        s.version,
        s.worker,
        s.programme,
        s.opened_at.isoformat(),
        s.last_at.isoformat(),
        time_key(s.opened_at),
        time_key(s.last_at),
    )


def summary_from_row(row: Sequence[Any]) -> CaseSummary:
    """A summary from the ``cases`` columns in :data:`_SUMMARY_COLUMNS` order."""
    case_id, lifecycle, state, version, worker, programme, opened_at, last_at = row
    try:
        return CaseSummary(
            case_id,
            lifecycle,
            state,
            version,
            datetime.fromisoformat(opened_at),
            datetime.fromisoformat(last_at),
            worker,
            programme,
        )
    except (TypeError, ValueError) as exc:
        raise CorruptRecord(case_id, None, f"unreadable summary row: {exc}") from exc


class SQLiteStore(BaseStore):
    """Events and case summaries in one SQLite file (created if missing).

    One store object holds one connection; share it between threads of a process (calls are
    serialised by a lock) or give each process its own.  ``busy_timeout`` is how long a writer
    waits for another process's transaction before failing.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        lifecycles: Mapping[str, Lifecycle] | Iterable[Lifecycle] | None = None,
        codec: Codec | None = None,
        busy_timeout: float = 30.0,
    ) -> None:
        super().__init__(lifecycles=lifecycles, codec=codec)
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
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version > LAYOUT_VERSION:
            raise SchemaTooNew(version, range(1, LAYOUT_VERSION + 1))
        if version < LAYOUT_VERSION:
            with self._transaction():  # executescript would commit early: one statement at a time
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        db.execute(statement)
                db.execute(f"PRAGMA user_version={LAYOUT_VERSION}")

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
                        f"SELECT {_SUMMARY_COLUMNS} FROM cases WHERE case_id = ?", (case_id,)
                    ).fetchone()
                    prev = summary_from_row(found) if found is not None else None
                    actual = prev.version if prev is not None else 0
                    if actual != expected_version:
                        if prev is None:
                            raise UnknownCase(case_id)
                        raise ConflictError(case_id, expected_version, actual)
                    db.executemany("INSERT INTO events (case_id, seq, data) VALUES (?, ?, ?)", rows)
                    db.execute(
                        "INSERT OR REPLACE INTO cases VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        summary_row(self._summary_of(events, prev)),
                    )
            except sqlite3.IntegrityError as exc:  # another writer took the number first
                raise ConflictError(case_id, expected_version, None) from exc

    # --- reading ---------------------------------------------------------------------------

    def events(self, case_id: str) -> list[Event]:
        """The case's events, oldest first; a bad record raises :class:`CorruptRecord`."""
        with self._lock:
            rows = self.db.execute(
                "SELECT seq, data FROM events WHERE case_id = ? ORDER BY seq", (case_id,)
            ).fetchall()
        return self._decode_case(case_id, rows)

    def summary(self, case_id: str) -> CaseSummary:
        """The case's summary row, without replaying it."""
        with self._lock:
            row = self.db.execute(
                f"SELECT {_SUMMARY_COLUMNS} FROM cases WHERE case_id = ?", (case_id,)
            ).fetchone()
        if row is None:
            raise UnknownCase(case_id)
        return summary_from_row(row)

    def cases(self, query: CaseQuery | None = None, /, **filters: Any) -> list[CaseSummary]:
        """Summaries of the matching cases, oldest-opened first (no replay)."""
        where, params = self._query(query, filters).where("?")
        sql = f"SELECT {_SUMMARY_COLUMNS} FROM cases{where} ORDER BY opened_key, case_id"
        with self._lock:
            rows = self.db.execute(sql, params).fetchall()
        return [summary_from_row(r) for r in rows]

    def stream(self) -> Iterator[Event]:
        """Every event in the order they were committed, read a page at a time.

        Events committed while the stream runs appear at its end.
        """
        last = 0
        while True:
            with self._lock:
                page = self.db.execute(
                    "SELECT gid, case_id, seq, data FROM events WHERE gid > ? ORDER BY gid LIMIT ?",
                    (last, _PAGE),
                ).fetchall()
            if not page:
                return
            for _gid, case_id, seq, data in page:
                yield self._decode(case_id, seq, data)
            last = page[-1][0]

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
