"""Where fact tables are kept: beside the events, in the store's own database.

A backend reads the store's log after a position (the store's global order: ``gid`` in the
SQL stores, the order of acceptance in the memory store) and writes a batch of fact rows and
the new position in one transaction, so the tables and the position never disagree.

* SQLite: tables ``proj_*`` in the store's file, written through the store's connection;
* PostgreSQL: tables ``casework_proj_*`` in the store's schema, through its connection;
* memory: dicts held by the backend (the memory store's log is read in place).

The log is read through the stores' public reading protocol (``store.head()``,
``store.log_rows(after, upto)``, ``store.decode_log_row(row)``); the SQL backends write their
own tables through the store's connection and lock (stores know nothing of projections and
never import them).
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, NamedTuple, Protocol

import attrs

from casework.events import Event
from casework.journal import JOURNAL_STATE
from casework.reporting.projections._facts import CASE_TABLES, JOURNAL_TABLES, TABLES, TableDef
from casework.store._sql import READ_COLUMNS

__all__ = ["LAYOUT", "Backend", "Batch", "LogRow", "RawRow", "backend_for", "table_rows"]

#: Version of the fact tables' layout: a projection kept under another is rebuilt.
LAYOUT = 2  # 2: the spells' times as whole microseconds too

#: Orders rows are read back in (every table's natural key).
ORDER: Mapping[str, str] = {
    "cases": "opened_position, case_id",
    "spells": "case_id, n",
    "sessions": "case_id, n",
    "assessments": "case_id, n",
    "consents": "case_id, n",
    "activities": "activity_id",
    "volunteer_hours": "journal_id, seq, n",
    "journals": "journal_id",
    "registrations": "journal_id, seq",
}


#: An event of the log as the store gives it (``store.log_rows``): position, stream id,
#: number, then the stored columns; index 7 is the state.
RawRow = tuple[Any, ...]

#: Indexes for reading (table, name, columns), each covering the queries of its counts so
#: that they read the index alone: on the spells, the stays holding a moment, each case's
#: days in a state and the entries into a state (one index: each more on the spells slows
#: a rebuild); held sessions by time; cases by opening time; activities and hours by day.
READ_INDEXES: tuple[tuple[str, str, str], ...] = (
    (
        "spells",
        "stay",
        "state, case_id, entered_at, left_at, is_open_class, entry, entered_us, left_us",
    ),
    ("sessions", "held_by", "status, held_at, case_id"),
    ("cases", "opened", "opened_at"),
    ("activities", "on_day", "on_day"),
    ("volunteer_hours", "on_day", "on_day, volunteer, hours"),
)
#: Indexes earlier versions made for reading, which the ones above replace.
OLD_INDEXES: tuple[tuple[str, str], ...] = (("spells", "entered"), ("sessions", "held"))


class LogRow(NamedTuple):
    """One event of the log as a projection first sees it: position, stream, number, state,
    and the stored row (decoded only for the events the projection needs whole).
    """

    position: int
    stream_id: str
    seq: int
    state: str | None
    raw: Any


@attrs.define
class Batch:
    """What one catch-up writes: fresh rows of whole cases, activity and hours rows."""

    position: int
    #: case id -> table name -> rows: each listed case's rows replace what the tables had.
    cases: dict[str, dict[str, list[tuple[Any, ...]]]] = attrs.Factory(dict)
    #: Ids of cases first seen in this batch (nothing to delete for them).
    new: set[str] = attrs.Factory(set)
    #: Activity rows by id, each replacing an earlier one of its id (with its hours).
    activities: dict[str, tuple[Any, ...]] = attrs.Factory(dict)
    #: Volunteer-hours rows to add.
    hours: list[tuple[Any, ...]] = attrs.Factory(list)
    #: Journals seen: id -> (station if opened in this batch else None, version, last at).
    journals: dict[str, tuple[str | None, int, str | None]] = attrs.Factory(dict)
    #: Registration rows to add.
    registrations: list[tuple[Any, ...]] = attrs.Factory(list)
    #: Whether personal columns hold markers of values the writer could not read (a reader
    #: without the keys of a store with sealed rows): a reader with the keys rebuilds first.
    unsealed: bool = False

    def saw_journal(self, journal_id: str, station: str | None, seq: int, at: str | None) -> None:
        """Note a journal's latest event (and its station, from its opening event)."""
        known = self.journals.get(journal_id)
        if station is None and known is not None:
            station = known[0]
        self.journals[journal_id] = (station, seq, at)

    def add_journal(self, activity: tuple[Any, ...] | None, hours: list[tuple[Any, ...]]) -> None:
        """Add what one journal event gives; an activity recorded again in this batch
        replaces the earlier recording and its hours.
        """
        if activity is not None:
            ident = activity[0]
            if self.activities.pop(ident, None) is not None:
                self.hours = [h for h in self.hours if h[3] != ident]
            self.activities[ident] = activity
        self.hours.extend(hours)


def table_rows(
    cases: Iterable[Mapping[str, list[tuple[Any, ...]]]], table: str
) -> list[tuple[Any, ...]]:
    """Every row of case table ``table`` among ``cases`` (each case's rows by table)."""
    return [r for case in cases for r in case.get(table, ())]


class Backend(Protocol):
    """What a projection needs from where its tables live."""

    def position(self) -> int: ...  # the position the tables are at (0 when none)
    def unsealed(self) -> bool: ...  # markers written without the keys (see Batch.unsealed)
    def head(self) -> int: ...  # the position of the log's latest event
    def log(self, after: int, upto: int) -> Iterator[LogRow]: ...
    def decode(self, row: LogRow) -> Event: ...
    def raw_log(self, after: int, upto: int) -> Iterator[RawRow]: ...
    def decode_raw(self, row: RawRow) -> Event: ...
    def replace(self, batch: Batch) -> None: ...  # every table emptied, then ``batch`` written
    def opened_positions(self, case_ids: Sequence[str]) -> dict[str, int]: ...
    def events_at(self, positions: Sequence[int]) -> list[Event]: ...
    def write(self, batch: Batch) -> None: ...
    def clear(self) -> None: ...
    def rows(
        self, table: str, columns: Sequence[str], *, ordered: bool = True
    ) -> list[tuple[Any, ...]]: ...
    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]: ...
    @property
    def mark(self) -> str: ...  # the driver's placeholder
    def table(self, name: str) -> str: ...  # a fact table's name in the database


# --- memory ----------------------------------------------------------------------------------


class _LogFollower:
    """How every backend reads its store's log: through the store's public reading protocol
    (:class:`~casework.store.LogReader`).
    """

    store: Any

    def head(self) -> int:
        return int(self.store.head())

    def log(self, after: int, upto: int) -> Iterator[LogRow]:
        for raw in self.store.log_rows(after, upto):
            yield LogRow(raw[0], raw[1], raw[2], raw[7], raw)

    def decode(self, row: LogRow) -> Event:
        return self.decode_raw(row.raw)

    def raw_log(self, after: int, upto: int) -> Iterator[RawRow]:
        return iter(self.store.log_rows(after, upto))

    def decode_raw(self, row: RawRow) -> Event:
        event: Event = self.store.decode_log_row(row)
        return event


class MemoryBackend(_LogFollower):
    """Fact tables in dicts, beside a :class:`~casework.store.MemoryStore`."""

    mark = "?"

    def __init__(self, store: Any) -> None:
        self.store = store
        self._lock = threading.Lock()
        self.clear()

    def table(self, name: str) -> str:
        return name

    def position(self) -> int:
        return self._position

    def unsealed(self) -> bool:
        return self._unsealed

    def replace(self, batch: Batch) -> None:
        with self._lock:  # one step for readers: never the tables half refilled
            self.clear()
            self._apply(batch)

    def events_at(self, positions: Sequence[int]) -> list[Event]:
        decode = self.store.decode_log_row
        return [decode(row) for p in positions for row in self.store.log_rows(p - 1, p)]

    def opened_positions(self, case_ids: Sequence[str]) -> dict[str, int]:
        return {cid: self._cases[cid]["cases"][0][-1] for cid in case_ids if cid in self._cases}

    def clear(self) -> None:
        self._position = 0
        self._unsealed = False
        self._cases: dict[str, dict[str, list[tuple[Any, ...]]]] = {}
        self._activities: dict[str, tuple[Any, ...]] = {}
        self._hours: list[tuple[Any, ...]] = []
        self._journals: dict[str, tuple[Any, ...]] = {}
        self._registrations: list[tuple[Any, ...]] = []

    def write(self, batch: Batch) -> None:
        with self._lock:
            self._apply(batch)

    def _apply(self, batch: Batch) -> None:
        """Write ``batch`` (the caller holds the lock)."""
        self._cases.update(batch.cases)
        for ident, row in batch.activities.items():
            self._activities.pop(ident, None)
            self._activities[ident] = row
        if batch.activities:
            replaced = set(batch.activities)
            self._hours = [h for h in self._hours if h[3] not in replaced]
        self._hours.extend(batch.hours)
        for jid, (given, version, last_at) in batch.journals.items():
            old = self._journals.get(jid)
            station = old[1] if given is None and old is not None else given
            self._journals[jid] = (jid, station, version, last_at)
        self._registrations.extend(batch.registrations)
        self._position = batch.position
        self._unsealed = self._unsealed or batch.unsealed

    def rows(
        self, table: str, columns: Sequence[str], *, ordered: bool = True
    ) -> list[tuple[Any, ...]]:
        t = TABLES[table]
        found: Iterable[tuple[Any, ...]]
        if table == "activities":
            found = self._activities.values()
        elif table == "volunteer_hours":
            found = self._hours
        elif table == "journals":
            found = self._journals.values()
        elif table == "registrations":
            found = self._registrations
        else:
            found = (r for case in self._cases.values() for r in case.get(table, ()))
        keys = [t.names.index(k.strip()) for k in ORDER[table].split(",")]
        picked = [t.names.index(c) for c in columns]
        if ordered:
            found = sorted(found, key=lambda r: tuple(r[k] for k in keys))
        return [tuple(r[i] for i in picked) for r in found]

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        raise NotImplementedError("the memory backend has no SQL")


# --- SQL -------------------------------------------------------------------------------------


class SqlBackend(_LogFollower):
    """What the SQLite and PostgreSQL backends share: the statements."""

    mark = "?"
    prefix = "proj_"
    events_table = "events"
    real = "REAL"
    bigint = "INTEGER"  # SQLite's integers are 64-bit

    def __init__(self, store: Any) -> None:
        self.store = store
        self._setup()

    # the driver's part
    def _execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        raise NotImplementedError  # pragma: no cover

    def _executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        raise NotImplementedError  # pragma: no cover

    def _transaction(self) -> contextlib.AbstractContextManager[Any]:
        raise NotImplementedError  # pragma: no cover

    def _exists(self, name: str) -> bool:
        raise NotImplementedError  # pragma: no cover

    # shared
    def table(self, name: str) -> str:
        return f"{self.prefix}{name}"

    def _create(self, t: TableDef) -> list[str]:
        types = {"REAL": self.real, "BIGINT": self.bigint}
        cols = ", ".join(f"{c.name} {types.get(c.sql, c.sql)}" for c in t.columns)
        return [f"CREATE TABLE IF NOT EXISTS {self.table(t.name)} ({cols})"]

    def _index_statements(self) -> dict[str, str]:
        """Every index of the fact tables, name -> its ``CREATE INDEX``: each table's key (for
        a catch-up's deletes) and :data:`READ_INDEXES` (a rebuild drops them all, inserts, and
        builds them once over the whole table).
        """
        out = {}
        for t in TABLES.values():
            name = self.table(t.name)
            out[f"{name}_key"] = f"CREATE INDEX IF NOT EXISTS {name}_key ON {name} ({t.key})"
        for table, index, columns in READ_INDEXES:
            name = f"{self.table(table)}_{index}"
            out[name] = f"CREATE INDEX IF NOT EXISTS {name} ON {self.table(table)} ({columns})"
        return out

    def _setup(self) -> None:
        tracking = self.table("tracking")
        with self._transaction():
            layout = None
            if self._exists(tracking):
                found = self._execute(
                    f"SELECT layout FROM {tracking} WHERE name = {self.mark}", ("facts",)
                ).fetchone()
                layout = None if found is None else int(found[0])
            if layout is not None and layout != LAYOUT:  # another layout: start again
                for t in TABLES.values():
                    self._execute(f"DROP TABLE IF EXISTS {self.table(t.name)}")
                self._execute(f"DELETE FROM {tracking}")
                layout = None
            self._execute(
                f"CREATE TABLE IF NOT EXISTS {tracking} "
                "(name TEXT PRIMARY KEY, position BIGINT NOT NULL, layout INTEGER NOT NULL)"
            )
            for t in TABLES.values():
                for statement in self._create(t):
                    self._execute(statement)
            if layout is None:
                m = self.mark
                self._execute(
                    f"INSERT INTO {tracking} VALUES ({m}, {m}, {m})", ("facts", 0, LAYOUT)
                )
        for table, index in OLD_INDEXES:  # replaced by READ_INDEXES
            self._execute(f"DROP INDEX IF EXISTS {self.table(table)}_{index}")
        for statement in self._index_statements().values():
            self._execute(statement)

    def position(self) -> int:
        row = self._execute(
            f"SELECT position FROM {self.table('tracking')} WHERE name = {self.mark}", ("facts",)
        ).fetchone()
        return int(row[0])

    def unsealed(self) -> bool:
        row = self._execute(
            f"SELECT position FROM {self.table('tracking')} WHERE name = {self.mark}",
            ("unsealed",),
        ).fetchone()
        return row is not None and int(row[0]) > 0

    def _set_unsealed(self, on: bool) -> None:
        m = self.mark
        tracking = self.table("tracking")
        self._execute(f"DELETE FROM {tracking} WHERE name = {m}", ("unsealed",))
        if on:
            self._execute(f"INSERT INTO {tracking} VALUES ({m}, {m}, {m})", ("unsealed", 1, LAYOUT))

    def replace(self, batch: Batch) -> None:
        """A rebuild's write, in one transaction: every table emptied and its indexes dropped,
        the rows inserted in one go per table, the indexes built once, the position set.
        """
        self._replace(batch, None)

    def _replace(self, batch: Batch, case_tables: str | None) -> None:
        """:meth:`replace`, the case tables' rows copied from the attached schema
        ``case_tables`` when given (else from ``batch``).
        """
        indexes = self._index_statements()
        with self._transaction():
            for name in indexes:
                self._execute(f"DROP INDEX IF EXISTS {name}")
            for t in TABLES.values():
                self._empty(self.table(t.name))
            for t in CASE_TABLES:
                if case_tables is not None:
                    names = ", ".join(t.names)
                    self._execute(
                        f"INSERT INTO {self.table(t.name)} ({names}) "
                        f"SELECT {names} FROM {case_tables}.{t.name} ORDER BY rowid"
                    )
                    continue
                self._bulk(t, table_rows(batch.cases.values(), t.name))
            self._bulk(JOURNAL_TABLES[0], list(batch.activities.values()))
            self._bulk(JOURNAL_TABLES[1], batch.hours)
            journals = [
                (jid, station, version, last_at)
                for jid, (station, version, last_at) in batch.journals.items()
                if station is not None  # as write(): a journal is listed from its opening
            ]
            self._bulk(JOURNAL_TABLES[2], journals)
            self._bulk(JOURNAL_TABLES[3], batch.registrations)
            for statement in indexes.values():
                self._execute(statement)
            self._set_position(batch.position)
            self._set_unsealed(batch.unsealed)

    def _empty(self, table: str) -> None:
        self._execute(f"DELETE FROM {table}")

    def _bulk(self, t: TableDef, rows: Sequence[Sequence[Any]]) -> None:
        """Insert ``rows`` into an empty table, as fast as the driver can."""
        if rows:
            self._executemany(self._insert(t), rows)

    def events_at(self, positions: Sequence[int]) -> list[Event]:
        out: list[Event] = []
        for k in range(0, len(positions), 500):
            chunk = list(positions[k : k + 500])
            marks = ", ".join([self.mark] * len(chunk))
            sql = (
                "SELECT gid, case_id, seq, v, type, at, actor, state, trigger, payload "
                f"FROM {self.events_table} WHERE gid IN ({marks}) ORDER BY gid"
            )
            decode = self.store.decode_log_row
            out.extend(decode(row) for row in self._execute(sql, chunk).fetchall())
        return out

    def opened_positions(self, case_ids: Sequence[str]) -> dict[str, int]:
        out: dict[str, int] = {}
        for k in range(0, len(case_ids), 500):
            chunk = list(case_ids[k : k + 500])
            marks = ", ".join([self.mark] * len(chunk))
            sql = (
                f"SELECT case_id, opened_position FROM {self.table('cases')} "
                f"WHERE case_id IN ({marks})"
            )
            out.update((cid, int(pos)) for cid, pos in self._execute(sql, chunk).fetchall())
        return out

    def clear(self) -> None:
        with self._transaction():
            for t in TABLES.values():
                self._execute(f"DELETE FROM {self.table(t.name)}")
            self._set_position(0)
            self._set_unsealed(False)

    def _set_position(self, position: int) -> None:
        m = self.mark
        self._execute(
            f"UPDATE {self.table('tracking')} SET position = {m} WHERE name = {m}",
            (position, "facts"),
        )

    def write(self, batch: Batch) -> None:
        m = self.mark
        with self._transaction():
            stale = [cid for cid in batch.cases if cid not in batch.new]
            for k in range(0, len(stale), 500):
                chunk = stale[k : k + 500]
                marks = ", ".join([m] * len(chunk))
                for t in CASE_TABLES:
                    self._execute(
                        f"DELETE FROM {self.table(t.name)} WHERE case_id IN ({marks})", chunk
                    )
            for t in CASE_TABLES:
                rows = table_rows(batch.cases.values(), t.name)
                if rows:
                    self._executemany(self._insert(t), rows)
            if batch.activities:
                ids = [(ident,) for ident in batch.activities]
                self._executemany(
                    f"DELETE FROM {self.table('activities')} WHERE activity_id = {m}", ids
                )
                self._executemany(
                    f"DELETE FROM {self.table('volunteer_hours')} WHERE activity_id = {m}", ids
                )
                self._executemany(self._insert(JOURNAL_TABLES[0]), list(batch.activities.values()))
            if batch.hours:
                self._executemany(self._insert(JOURNAL_TABLES[1]), batch.hours)
            journals = self.table("journals")
            for jid, (station, version, last_at) in batch.journals.items():
                if station is not None:
                    self._execute(f"DELETE FROM {journals} WHERE journal_id = {m}", (jid,))
                    self._execute(
                        f"INSERT INTO {journals} VALUES ({m}, {m}, {m}, {m})",
                        (jid, station, version, last_at),
                    )
                else:
                    self._execute(
                        f"UPDATE {journals} SET version = {m}, last_at = {m} "
                        f"WHERE journal_id = {m}",
                        (version, last_at, jid),
                    )
            if batch.registrations:
                self._executemany(self._insert(JOURNAL_TABLES[3]), batch.registrations)
            self._set_position(batch.position)
            if batch.unsealed:
                self._set_unsealed(True)

    def _insert(self, t: TableDef) -> str:
        marks = ", ".join([self.mark] * len(t.columns))
        return f"INSERT INTO {self.table(t.name)} ({', '.join(t.names)}) VALUES ({marks})"

    def rows(
        self, table: str, columns: Sequence[str], *, ordered: bool = True
    ) -> list[tuple[Any, ...]]:
        sql = f"SELECT {', '.join(columns)} FROM {self.table(table)}"
        if ordered:
            sql += f" ORDER BY {ORDER[table]}"
        found: list[tuple[Any, ...]] = self._execute(sql).fetchall()
        return found

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        found: list[tuple[Any, ...]] = self._execute(sql, params).fetchall()  # tuples already
        return found


class SQLiteBackend(SqlBackend):
    """Fact tables ``proj_*`` in a :class:`~casework.store.SQLiteStore`'s file."""

    def _execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        with self.store._lock:
            return self.store.db.execute(sql, params)

    def _executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        with self.store._lock:
            self.store.db.executemany(sql, rows)

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
        with self.store._lock, self.store._transaction():
            yield

    def _exists(self, name: str) -> bool:
        found = self._execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)
        ).fetchone()
        return found is not None

    # --- a rebuild on an executor: the log out and the case tables back as SQLite images ---

    def case_streams(self, upto: int) -> list[str]:
        """The ids of the streams with case events at positions up to ``upto``, in the order
        a replay of the log meets them (their first event's position).
        """
        found = self._execute(
            f"SELECT case_id FROM {self.events_table} WHERE gid <= ? AND state IS NOT ? "
            "GROUP BY case_id ORDER BY min(gid)",
            (upto, JOURNAL_STATE),
        ).fetchall()
        return [r[0] for r in found]

    def journal_log(self, upto: int) -> list[RawRow]:
        """The journal events at positions up to ``upto``, undecoded, in log order."""
        found: list[RawRow] = self._execute(
            f"SELECT gid, case_id, {READ_COLUMNS} FROM {self.events_table} "
            "WHERE gid <= ? AND state = ? ORDER BY gid",
            (upto, JOURNAL_STATE),
        ).fetchall()
        return found

    def log_image(self, case_ids: Sequence[str], upto: int) -> bytes:
        """The events of ``case_ids`` at positions up to ``upto`` as the image of an SQLite
        database (table ``events``: the columns of a :data:`RawRow`), copied by SQLite
        itself: a worker reads it without the store's file or connection.
        """
        schema = "casework_log_chunk"
        with self.store._lock:
            db = self.store.db
            db.execute(f"ATTACH ':memory:' AS {schema}")
            try:
                db.execute(
                    f"CREATE TABLE {schema}.events AS SELECT gid, case_id, {READ_COLUMNS} "
                    f"FROM main.{self.events_table} WHERE gid <= ? AND state IS NOT ? "
                    "AND case_id IN (SELECT value FROM json_each(?))",
                    (upto, JOURNAL_STATE, json.dumps(list(case_ids))),
                )
                image: bytes = db.serialize(name=schema)
                return image
            finally:
                db.execute(f"DETACH {schema}")

    def replace_from_image(self, batch: Batch, case_tables: bytes) -> None:
        """:meth:`replace`, the case tables' rows copied by SQLite from ``case_tables`` (the
        image of a database holding them, see :func:`case_tables_image`).
        """
        schema = "casework_case_facts"
        with self.store._lock:
            db = self.store.db
            db.execute(f"ATTACH ':memory:' AS {schema}")
            try:
                db.deserialize(case_tables, name=schema)
                self._replace(batch, schema)
            finally:
                db.execute(f"DETACH {schema}")


class PostgresBackend(SqlBackend):
    """Fact tables ``casework_proj_*`` in a :class:`~casework.store.PostgresStore`'s schema."""

    mark = "%s"
    prefix = "casework_proj_"
    events_table = "casework_events"
    real = "DOUBLE PRECISION"
    bigint = "BIGINT"

    def _execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        with self.store._lock:
            return self.store.conn.execute(sql, params)

    def _executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        with self.store._lock, self.store.conn.cursor() as cur:
            cur.executemany(sql, rows)

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
        with self.store._lock, self.store.conn.transaction():
            yield

    def _exists(self, name: str) -> bool:
        row = self._execute("SELECT to_regclass(%s)", (name,)).fetchone()
        return row is not None and row[0] is not None

    def _empty(self, table: str) -> None:
        self._execute(f"TRUNCATE {table}")

    def _bulk(self, t: TableDef, rows: Sequence[Sequence[Any]]) -> None:
        if not rows:
            return
        sql = f"COPY {self.table(t.name)} ({', '.join(t.names)}) FROM STDIN"
        with self.store._lock, self.store.conn.cursor() as cur, cur.copy(sql) as copy:
            for row in rows:
                copy.write_row(row)


def backend_for(store: Any) -> Backend:
    """The backend that keeps fact tables beside ``store`` (one of casework's stores)."""
    from casework.store import MemoryStore, SQLiteStore

    if isinstance(store, MemoryStore):
        return MemoryBackend(store)
    if isinstance(store, SQLiteStore):
        return SQLiteBackend(store)
    from casework.store.postgres import PostgresStore

    if isinstance(store, PostgresStore):
        return PostgresBackend(store)
    raise TypeError(f"no projection backend for {type(store).__name__}")
