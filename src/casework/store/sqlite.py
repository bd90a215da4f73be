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
Layout 4 adds ``casework_meta``, where a store all of whose rows are sealed says so
(``sealed``): one created with a key store, or encrypted in place by :meth:`SQLiteStore.encrypt`.
Such a store refuses appends without its keys (they would write names in clear).
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from casework.catalogue import Catalogue
from casework.events import Event
from casework.keys import KeyStore
from casework.lifecycle import Lifecycle
from casework.serialize import Codec, SchemaTooNew
from casework.store._encrypt import Encrypted, KeysRequired, RowSealer, StoreRow
from casework.store._shared import Row, command_id_backfill, split_record
from casework.store._sql import (
    PAGE,
    SUMMARY_COLUMNS,
    SqlStore,
    summary_from_row,
    summary_row,
    summary_update,
)
from casework.store.errors import (
    DuplicateCommandId,
    NotAStore,
    StoreError,
)

__all__ = ["SQLiteStore"]

#: Version of the table layout (kept in ``PRAGMA user_version``).
LAYOUT_VERSION = 4

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
    command_id TEXT,
    UNIQUE (case_id, seq)
)
"""
#: Layout 3: a command id is recorded once per case (NULLs, events without one, are many).
COMMAND_INDEX = (
    "CREATE UNIQUE INDEX events_command ON events (case_id, command_id) "
    "WHERE command_id IS NOT NULL"
)
#: Layout 4: facts about the store itself; ``('sealed', '1')`` when every row is sealed.
META_TABLE = "CREATE TABLE casework_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID"
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
#: The columns of each table, by layout (what a file must hold to be taken for a store).
_LAYOUT_COLUMNS: dict[int, dict[str, tuple[str, ...]]] = {
    1: {
        "events": ("gid", "case_id", "seq", "data"),
        "cases": (
            "case_id", "lifecycle", "state", "version", "worker", "programme",
            "opened_at", "last_at", "opened_key", "last_key",
        ),
    },
    2: {
        "events": (
            "gid", "case_id", "seq", "v", "type", "at", "actor", "state", "trigger", "payload",
        ),
        "cases": (
            "case_id", "lifecycle", "state", "version", "worker", "programme",
            "opened_at", "last_at", "opened_key", "last_key",
        ),
    },
    3: {  # layout 2 and each event's command id, unique per case
        "events": (
            "gid", "case_id", "seq", "v", "type", "at", "actor", "state", "trigger", "payload",
            "command_id",
        ),
        "cases": (
            "case_id", "lifecycle", "state", "version", "worker", "programme",
            "opened_at", "last_at", "opened_key", "last_key",
        ),
    },
}  # fmt: skip
#: Layout 4: layout 3 and the store's own facts (whether it is sealed).
_LAYOUT_COLUMNS[4] = {**_LAYOUT_COLUMNS[3], "casework_meta": ("key", "value")}
_UPDATE_ROW = (
    "UPDATE events SET v = ?, type = ?, at = ?, actor = ?, state = ?, trigger = ?, payload = ? "
    "WHERE gid = ?"
)
_SEALED_ROW = "SELECT 1 FROM casework_meta WHERE key = 'sealed' AND value = '1'"
_READ_PAGE = (
    "SELECT gid, case_id, seq, v, type, at, actor, state, trigger, payload FROM events "
    "WHERE gid > ? ORDER BY gid LIMIT ?"
)
_MAGIC = b"SQLite format 3\x00"
#: An append's read, under the write lock: the summary and the number of the last stored row
#: (they must agree), in one statement.
_SELECT_SUMMARY = (
    f"SELECT {SUMMARY_COLUMNS}, (SELECT max(seq) FROM events WHERE case_id = ?) "
    "FROM cases WHERE case_id = ?"
)
_INSERT_EVENT = (
    "INSERT INTO events (case_id, seq, v, type, at, actor, state, trigger, payload, command_id) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
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
        self._db: sqlite3.Connection | None = None
        #: True when every row is sealed (layout 4 records it): appends then need keys.
        self.sealed = False
        if self.path not in {"", ":memory:"}:
            _inspect(self.path, busy_timeout)
        try:
            self._db = sqlite3.connect(
                self.path, timeout=busy_timeout, isolation_level=None, check_same_thread=False
            )
        except sqlite3.OperationalError as exc:
            raise NotAStore(self.path, f"SQLite cannot open it ({exc})") from exc
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
                    db.execute(COMMAND_INDEX)
                    db.execute(META_TABLE)
                    if self.keys is not None:  # a new store with keys: every row sealed
                        db.execute("INSERT INTO casework_meta VALUES ('sealed', '1')")
                else:
                    if version == 1:
                        self._migrate_from_1()
                    if version <= 2:
                        self._migrate_from_2()
                    if version <= 3:
                        db.execute(META_TABLE)  # layout 3 to 4: rows written in clear stay so
                if version < LAYOUT_VERSION:
                    db.execute(f"PRAGMA user_version={LAYOUT_VERSION}")
        self.sealed = db.execute(_SEALED_ROW).fetchone() is not None
        if self.sealed:  # erasure or a write with keys frees pages: zero them, keys or not
            db.execute("PRAGMA secure_delete=ON")

    def _migrate_from_1(self) -> None:
        """Layout 1 to 2, inside the caller's transaction: every event row split into columns
        (a row that cannot be split is kept whole, as a record row), global numbers kept;
        the summary table rebuilt without rowids.
        """
        db = self.db
        current = self.codec.migrations.current
        db.execute(EVENTS_TABLE.format(name="events_v2").replace("    command_id TEXT,\n", ""))
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

    def _migrate_from_2(self) -> None:
        """Layout 2 to 3, inside the caller's transaction: the command id column (filled from
        the payloads that carry one, the first of each case) and its unique index.
        """
        db = self.db
        db.execute("ALTER TABLE events ADD COLUMN command_id TEXT")
        rows = db.execute(
            "SELECT gid, case_id, payload FROM events WHERE type IS NOT NULL "
            "AND instr(payload, '\"command_id\"') > 0 ORDER BY gid"
        )
        db.executemany("UPDATE events SET command_id = ? WHERE gid = ?", command_id_backfill(rows))
        db.execute(COMMAND_INDEX)

    def _transaction(self) -> _Tx:
        return _Tx(self.db)

    # --- encrypting in place ---------------------------------------------------------------

    def encrypt(self, *, progress: Callable[[int, int], None] | None = None) -> Encrypted:
        """Seal every clear row's personal values under its data subject's key, in place.

        Each row is sealed exactly as an append with keys would have written it, all in one
        transaction (a crash leaves the store as it was, or all sealed); the keys it needs
        are made first, durably, in one write of the key store.  Rows already sealed are left
        as they are, so running it again is harmless.  Then, the store marked sealed, every
        freed page is zeroed (``secure_delete``), the file rebuilt (``VACUUM``) and the
        write-ahead log emptied (``wal_checkpoint(TRUNCATE)``), so no file keeps the old clear
        values.  The read side's projection tables in the file (``proj_*``, whose personal
        columns hold names in clear) are dropped in the same transaction: a projection
        rebuilds them from the log when next used.  ``progress(done, total)`` is called as
        rows are sealed.

        The store must be opened with its key store (else :class:`KeysRequired`).
        """
        with self._lock:
            db = self.db
            sealer = RowSealer(self)
            db.execute("PRAGMA secure_delete=ON")
            with self._transaction():
                total = db.execute("SELECT count(*) FROM events").fetchone()[0]
                new_keys = sealer.run(
                    self._all_rows,
                    lambda rows: db.executemany(_UPDATE_ROW, rows),
                    total,
                    progress,
                )
                dropped = [
                    name
                    for (name,) in db.execute(
                        "SELECT name FROM sqlite_master WHERE type = 'table' "
                        "AND name LIKE 'proj\\_%' ESCAPE '\\' ORDER BY name"
                    ).fetchall()
                ]
                for name in dropped:  # the read side's tables: names in clear, rebuilt later
                    db.execute(f'DROP TABLE "{name}"')
                db.execute("INSERT OR REPLACE INTO casework_meta VALUES ('sealed', '1')")
            self.sealed = True
            return sealer.result(new_keys, clean=self._scrub(), dropped=dropped)

    def _all_rows(self) -> Iterator[list[StoreRow]]:
        """Every event row (global number, case id, then its columns), a page at a time."""
        last = 0
        while page := self.db.execute(_READ_PAGE, (last, PAGE)).fetchall():
            yield page
            last = page[-1][0]

    def _scrub(self) -> bool:
        """Rebuild the file and empty its log, so no free page or WAL frame keeps old bytes;
        False when another connection kept part of the log in use.
        """
        if self.path in {"", ":memory:"}:
            return True
        db = self.db
        db.execute("VACUUM")
        busy, _, _ = db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        return not busy

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
                    if self.keys is None and (self.sealed or db.execute(_SEALED_ROW).fetchone()):
                        raise KeysRequired(
                            f"{self.path!r} is encrypted: open it with its key store to write "
                            "(without keys, personal fields would be written in clear)"
                        )
                    found = db.execute(_SELECT_SUMMARY, (case_id, case_id)).fetchone()
                    prev = summary_from_row(found[:-1]) if found is not None else None
                    last = (found[-1] or 0) if found is not None else None
                    self._check_stored(case_id, prev, expected_version, last)
                    if prev is not None:
                        self._check_follows(prev, events)
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
            except sqlite3.IntegrityError as exc:  # a number or a command id taken
                if "command_id" in str(exc):
                    raise self._taken(rows, expected_version) from exc
                raise self._refused(case_id, expected_version, exc) from exc

    def _taken(self, rows: Sequence[Row], expected: int) -> DuplicateCommandId:
        """The error for an append refused by the command id index: which id, which event."""
        case_id = rows[0][0]
        for row in rows:
            if row[-1] is None:
                continue
            found = self.db.execute(
                "SELECT seq FROM events WHERE case_id = ? AND command_id = ?", (case_id, row[-1])
            ).fetchone()
            if found is not None:
                return DuplicateCommandId(case_id, row[-1], found[0], expected=expected)
        return DuplicateCommandId(case_id, "?", None, expected=expected)

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


def _inspect(path: str, timeout: float) -> None:
    """Refuse, with :class:`NotAStore` and before anything is written, a path that is not a
    casework store: a directory, a missing folder, a file that is not SQLite, a truncated
    one, another application's database.  A missing or empty file is a new store.

    The file is only read (its header, then through a read-only connection its tables), so
    a refused file keeps its bytes and its journal mode.
    """
    if os.path.isdir(path):
        raise NotAStore(path, "it is a directory")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise NotAStore(path, f"its folder {folder} does not exist")
    try:
        with open(path, "rb") as f:
            header = f.read(100)
            size = os.fstat(f.fileno()).st_size
    except FileNotFoundError:
        return  # a new store
    except OSError as exc:
        raise NotAStore(path, f"it cannot be read ({exc.strerror or exc})") from exc
    if size == 0:
        return  # a new store, as an empty file has always been
    if not header.startswith(_MAGIC):
        raise NotAStore(path, "it is not an SQLite database file")
    if len(header) < 100:
        raise NotAStore(path, f"it is truncated ({size} bytes: not even an SQLite header)")
    page = int.from_bytes(header[16:18], "big")
    page = 65536 if page == 1 else page
    pages = int.from_bytes(header[28:32], "big")
    counted = pages if header[92:96] == header[24:28] else 0  # the count is valid
    wal = path + "-wal"
    pending = os.path.exists(wal) and os.path.getsize(wal) > 0  # pages may wait in the WAL
    if not pending and page >= 512 and (size % page or size < counted * page):
        raise NotAStore(
            path,
            f"it is truncated ({size} bytes; its header counts {counted} pages of {page} bytes)",
        )
    # A WAL file with no -wal beside it holds everything in itself: read it as immutable, or
    # the read-only connection would leave -wal and -shm files beside someone else's file.
    quiet = header[18:20] == b"\x02\x02" and not os.path.exists(wal)
    try:
        try:
            found = _read_tables(path, timeout, immutable=quiet)
        except sqlite3.DatabaseError:
            if not quiet:
                raise
            found = _read_tables(path, timeout, immutable=False)  # a writer came: look again
    except sqlite3.DatabaseError as exc:
        raise NotAStore(path, f"SQLite cannot read it ({exc})") from exc
    _check_tables(path, *found)


def _read_tables(
    path: str, timeout: float, *, immutable: bool
) -> tuple[int, set[str], dict[str, tuple[str, ...]]]:
    """The file's ``user_version``, its tables and views, and the columns of the tables named
    like casework's, read through a connection that writes nothing.
    """
    uri = Path(path).absolute().as_uri() + ("?immutable=1" if immutable else "?mode=ro")
    db = sqlite3.connect(uri, uri=True, timeout=timeout, isolation_level=None)
    try:
        version = db.execute("PRAGMA user_version").fetchone()[0]
        names = db.execute(
            "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') "
            "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
        ).fetchall()
        tables = {name for (name,) in names}
        columns = {
            t: tuple(row[1] for row in db.execute(f"PRAGMA table_info({t})"))
            for t in ("events", "cases", "casework_meta")
            if t in tables
        }
    finally:
        db.close()
    return version, tables, columns


def _check_tables(
    path: str, version: int, tables: set[str], columns: dict[str, tuple[str, ...]]
) -> None:
    """An SQLite file must hold casework's tables of its layout, or none (a new store)."""
    ours = {"events", "cases"}
    if version >= 4:
        ours = {*ours, "casework_meta"}
    if not tables:
        if version == 0 or version > LAYOUT_VERSION:
            return  # an empty database (a new store), or a newer casework's (refused later)
        raise NotAStore(path, f"it is an empty database marked as layout {version}")
    if version > LAYOUT_VERSION and ours <= tables:
        return  # a newer casework's store: SchemaTooNew says so
    layout = _LAYOUT_COLUMNS.get(version)
    # the read side keeps its projections (proj_*) in the store's own file
    if ours <= tables and all(t.startswith("proj_") for t in tables - ours) and layout is not None:
        wrong = [t for t in layout if columns[t] != layout[t]]
        if not wrong:
            return
        raise NotAStore(
            path,
            f"its {wrong[0]} table is not casework's (columns: {', '.join(columns[wrong[0]])})",
        )
    shown = ", ".join(sorted(tables)[:6]) + (", ..." if len(tables) > 6 else "")
    raise NotAStore(
        path, f"it is another application's database (user_version {version}, tables: {shown})"
    )


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
