"""The PostgreSQL store: one database shared by many app servers (extra ``casework[postgres]``).

Each append is one transaction that locks the case's summary row (``SELECT … FOR UPDATE``),
checks the version, inserts the events and updates the summary; a concurrent writer of the same
case waits for the lock, then sees the new version and gets
:class:`~casework.store.errors.ConflictError`.  ``UNIQUE(case_id, seq)`` and the primary key
of the summary are the last line of defence (a violation is reported as a conflict too).

Global numbers (``gid``) become visible in order: an append first takes the events table's
``EXCLUSIVE`` lock (as the ``eventsourcing`` library's PostgreSQL recorder does), so appends
take their numbers and commit one after another while reads go on.  A reader that has seen
number *n* has seen every committed event below it, so a projection catching up from a
position never skips an event committed late.

Layout 2 (kept in ``casework_meta``): as in SQLite, an event's envelope is in columns and only
its payload is JSON (NULL when empty).  A database of layout 1 is migrated when a store first
opens it, in one transaction.  Layout 4 (the same tables) knows a sealed store: ``casework_meta``
then holds ``('sealed', '1')`` (a store created with keys, or encrypted in place by
:meth:`PostgresStore.encrypt`), and appends without keys are refused.

psycopg 3 is imported when a store is created, never when casework is imported.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from casework.catalogue import Catalogue
from casework.events import Event
from casework.keys import KeyStore
from casework.lifecycle import Lifecycle
from casework.serialize import Codec, SchemaTooNew
from casework.store._encrypt import Encrypted, KeysRequired, RowSealer
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
    ConflictError,
    DuplicateCommandId,
    NotAStore,
    StoreError,
)

if TYPE_CHECKING:
    import psycopg

__all__ = ["PostgresStore"]

#: Version of the table layout (kept in ``casework_meta``).
LAYOUT_VERSION = 4
_UPDATE_ROW = (
    "UPDATE casework_events SET v = %s, type = %s, at = %s, actor = %s, state = %s, "
    "trigger = %s, payload = %s WHERE gid = %s"
)
_SEALED_ROW = "SELECT 1 FROM casework_meta WHERE key = 'sealed' AND value = '1'"
_READ_PAGE = (
    "SELECT gid, case_id, seq, v, type, at, actor, state, trigger, payload FROM casework_events "
    "WHERE gid > %s ORDER BY gid LIMIT %s"
)
#: Layout 3: a command id is recorded once per case.
_COMMAND_INDEX = "casework_events_command"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS casework_meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS casework_events (
    gid     BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
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
);
CREATE UNIQUE INDEX IF NOT EXISTS casework_events_command ON casework_events (case_id, command_id)
    WHERE command_id IS NOT NULL;
CREATE TABLE IF NOT EXISTS casework_cases (
    case_id    TEXT COLLATE "C" PRIMARY KEY,
    lifecycle  TEXT NOT NULL,
    state      TEXT NOT NULL,
    version    INTEGER NOT NULL,
    worker     TEXT,
    programme  TEXT,
    opened_at  TEXT NOT NULL,
    last_at    TEXT NOT NULL,
    opened_key TEXT COLLATE "C" NOT NULL,
    last_key   TEXT COLLATE "C" NOT NULL
);
CREATE INDEX IF NOT EXISTS casework_cases_state ON casework_cases (state);
CREATE INDEX IF NOT EXISTS casework_cases_worker ON casework_cases (worker);
CREATE INDEX IF NOT EXISTS casework_cases_programme ON casework_cases (programme);
CREATE INDEX IF NOT EXISTS casework_cases_opened ON casework_cases (opened_key)
"""
_INSERT_EVENT = (
    "INSERT INTO casework_events "
    "(case_id, seq, v, type, at, actor, state, trigger, payload, command_id) "
    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
)
_LAYOUT_LOCK = 0x63617365  # pg_advisory_xact_lock key: "case"
#: Taken first in every append: appends (of any case) then number and commit their events one
#: at a time, so numbers become visible in order; readers (ACCESS SHARE) are not blocked.
_ORDER_LOCK = "LOCK TABLE casework_events IN EXCLUSIVE MODE"

_CASES_COLUMNS = frozenset(
    [
        "case_id",
        "lifecycle",
        "state",
        "version",
        "worker",
        "programme",
        "opened_at",
        "last_at",
        "opened_key",
        "last_key",
    ]
)
#: The columns of each table, by layout (what a schema must hold to be taken for a store).
_LAYOUT_COLUMNS = {
    1: {
        "casework_meta": frozenset({"key", "value"}),
        "casework_events": frozenset({"gid", "case_id", "seq", "data"}),
        "casework_cases": _CASES_COLUMNS,
    },
    2: {
        "casework_meta": frozenset({"key", "value"}),
        "casework_events": frozenset(
            ["gid", "case_id", "seq", "v", "type", "at", "actor", "state", "trigger", "payload"]
        ),
        "casework_cases": _CASES_COLUMNS,
    },
    3: {  # layout 2 and each event's command id, unique per case
        "casework_meta": frozenset({"key", "value"}),
        "casework_events": frozenset(
            [
                *("gid", "case_id", "seq", "v", "type", "at", "actor", "state", "trigger"),
                *("payload", "command_id"),
            ]
        ),
        "casework_cases": _CASES_COLUMNS,
    },
}
_LAYOUT_COLUMNS[4] = _LAYOUT_COLUMNS[3]  # layout 4: the same tables, a sealed store known
#: Every name the layout gives a relation (tables and indexes).
_NAMES = (
    "casework_meta",
    "casework_events",
    "casework_events_command",
    "casework_cases",
    "casework_cases_state",
    "casework_cases_worker",
    "casework_cases_programme",
    "casework_cases_opened",
)


def _psycopg() -> Any:
    try:
        import psycopg
    except ImportError as exc:  # pragma: no cover - exercised only without the extra
        raise ImportError(
            "the PostgreSQL store needs psycopg 3: pip install 'casework[postgres]'"
        ) from exc
    return psycopg


class PostgresStore(SqlStore):
    """Events and case summaries in a PostgreSQL database (tables ``casework_*``).

    ``dsn`` is a libpq connection string (``postgresql://user:pw@host/db``).  ``schema``, when
    given, is created if missing and used for the tables, so several stations (or test runs)
    can share one database.  One store holds one connection; calls from threads are serialised.
    """

    _mark = "%s"
    _events_table = "casework_events"
    _cases_table = "casework_cases"
    #: The statement each append starts with (None: no ordering lock, numbers may become
    #: visible out of order; only the append benchmark's baseline uses that).
    _append_lock: str | None = _ORDER_LOCK

    def __init__(
        self,
        dsn: str,
        *,
        catalogue: Catalogue | None = None,
        lifecycles: Mapping[str, Lifecycle] | Iterable[Lifecycle] | None = None,
        codec: Codec | None = None,
        keys: KeyStore | None = None,
        schema: str | None = None,
        connect_timeout: int = 10,
    ) -> None:
        super().__init__(catalogue=catalogue, lifecycles=lifecycles, codec=codec, keys=keys)
        self._pg = _psycopg()
        self.schema = schema
        self._lock = threading.RLock()
        #: True when every row is sealed (``casework_meta`` says so): appends then need keys.
        self.sealed = False
        self._conn: psycopg.Connection[Any] | None = self._pg.connect(
            dsn, autocommit=True, connect_timeout=connect_timeout
        )
        try:
            self._setup()
        except BaseException:
            self.close()
            raise

    def __repr__(self) -> str:
        where = f" schema={self.schema!r}" if self.schema else ""
        return f"<PostgresStore{where}{' (closed)' if self._conn is None else ''}>"

    def __enter__(self) -> PostgresStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def conn(self) -> psycopg.Connection[Any]:
        """The open connection (a closed store raises :class:`StoreError`)."""
        if self._conn is None:
            raise StoreError("the PostgreSQL store is closed")
        return self._conn

    def _setup(self) -> None:
        conn = self.conn
        sql = self._pg.sql
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LAYOUT_LOCK,))
            if self.schema is not None:
                conn.execute(
                    sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(self.schema))
                )
        if self.schema is not None:
            conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(self.schema)))
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LAYOUT_LOCK,))
            found = self._inspect()
            if found is not None and int(found[0]) > LAYOUT_VERSION:
                raise SchemaTooNew(int(found[0]), range(1, LAYOUT_VERSION + 1))
            if found is not None and int(found[0]) == 1:
                self._migrate_from_1()
            if found is not None and int(found[0]) in {1, 2}:
                self._migrate_from_2()
            for statement in _SCHEMA.split(";"):
                conn.execute(statement)
            if found is None:
                conn.execute(
                    "INSERT INTO casework_meta VALUES ('layout', %s)", (str(LAYOUT_VERSION),)
                )
                if self.keys is not None:  # a new store with keys: every row sealed
                    conn.execute("INSERT INTO casework_meta VALUES ('sealed', '1')")
            elif int(found[0]) < LAYOUT_VERSION:  # 3 to 4: rows written in clear stay so
                conn.execute(
                    "UPDATE casework_meta SET value = %s WHERE key = 'layout'",
                    (str(LAYOUT_VERSION),),
                )
            self.sealed = conn.execute(_SEALED_ROW).fetchone() is not None

    def _where(self) -> str:
        schema = self.conn.execute("SELECT current_schema()").fetchone()
        name = schema[0] if schema is not None else None
        return f"PostgreSQL schema {(name or self.schema)!r} of database {self.conn.info.dbname!r}"

    def _inspect(self) -> tuple[str] | None:
        """The layout row of the schema's store (None: no store there yet), after refusing,
        with :class:`NotAStore` and before anything is created, a schema whose tables or
        indexes named like casework's are not casework's.
        """
        conn = self.conn
        relations = dict(
            conn.execute(
                "SELECT c.relname, c.relkind FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = current_schema() AND c.relname = ANY(%s)",
                (list(_NAMES),),
            ).fetchall()
        )
        if not relations:
            return None
        if relations.get("casework_meta") != "r":
            taken = ", ".join(sorted(relations))
            raise NotAStore(self._where(), f"it holds {taken}, which casework did not create")
        columns: dict[str, set[str]] = {}
        for table, column in conn.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND table_name = ANY(%s)",
            (["casework_meta", "casework_events", "casework_cases"],),
        ).fetchall():
            columns.setdefault(table, set()).add(column)
        if columns.get("casework_meta") != {"key", "value"}:
            raise NotAStore(self._where(), "its casework_meta table is not casework's")
        found = conn.execute("SELECT value FROM casework_meta WHERE key = 'layout'").fetchone()
        if found is None or not str(found[0]).isdigit():
            raise NotAStore(self._where(), "its casework_meta table names no layout")
        layout = _LAYOUT_COLUMNS.get(int(found[0]))
        if layout is None:
            return (str(found[0]),)  # a newer casework's layout: SchemaTooNew says so
        for table, wanted in layout.items():
            if table not in columns:
                raise NotAStore(self._where(), f"its {table} table is missing")
            if columns[table] != wanted:
                have = ", ".join(sorted(columns[table]))
                raise NotAStore(
                    self._where(), f"its {table} table is not casework's (columns: {have})"
                )
        return (str(found[0]),)

    def _migrate_from_1(self) -> None:
        """Layout 1 to 2, inside the caller's transaction: every event row split into columns
        (a row that cannot be split is kept whole, as a record row); global numbers kept.
        """
        conn = self.conn
        current = self.codec.migrations.current
        conn.execute(
            "ALTER TABLE casework_events ADD COLUMN v INTEGER, ADD COLUMN type TEXT, "
            "ADD COLUMN at TEXT, ADD COLUMN actor TEXT, ADD COLUMN state TEXT, "
            "ADD COLUMN trigger TEXT, ADD COLUMN payload TEXT"
        )
        last = 0
        while True:
            page = conn.execute(
                "SELECT gid, case_id, seq, data FROM casework_events WHERE gid > %s "
                "ORDER BY gid LIMIT %s",
                (last, PAGE),
            ).fetchall()
            if not page:
                break
            with conn.cursor() as cur:
                cur.executemany(
                    "UPDATE casework_events SET v = %s, type = %s, at = %s, actor = %s, "
                    "state = %s, trigger = %s, payload = %s WHERE gid = %s",
                    [
                        (*split_record(case_id, seq, data, current), gid)
                        for gid, case_id, seq, data in page
                    ],
                )
            last = page[-1][0]
        conn.execute("ALTER TABLE casework_events DROP COLUMN data")
        conn.execute("UPDATE casework_meta SET value = %s WHERE key = 'layout'", ("2",))

    def _migrate_from_2(self) -> None:
        """Layout 2 to 3, inside the caller's transaction: the command id column, filled from
        the payloads that carry one (the first of each case); the index follows in the schema.
        """
        conn = self.conn
        conn.execute("ALTER TABLE casework_events ADD COLUMN command_id TEXT")
        rows = conn.execute(
            "SELECT gid, case_id, payload FROM casework_events WHERE type IS NOT NULL "
            "AND strpos(payload, '\"command_id\"') > 0 ORDER BY gid"
        ).fetchall()
        with conn.cursor() as cur:
            cur.executemany(
                "UPDATE casework_events SET command_id = %s WHERE gid = %s",
                command_id_backfill(rows),
            )
        conn.execute("UPDATE casework_meta SET value = %s WHERE key = 'layout'", ("3",))

    # --- encrypting in place ---------------------------------------------------------------

    def encrypt(
        self, *, progress: Callable[[int, int], None] | None = None, vacuum: bool = True
    ) -> Encrypted:
        """Seal every clear row's personal values under its data subject's key, in place.

        As :meth:`SQLiteStore.encrypt <casework.store.SQLiteStore.encrypt>`: one
        transaction (other writers wait on a lock of the events table; readers go on), the
        keys made first in one durable write, rows already sealed left as they are, the
        projection tables (``casework_proj_*``) dropped.  Then
        (``vacuum``) ``VACUUM FULL`` rewrites the events table, so no old row version keeps
        the clear values in the table's files; PostgreSQL's own write-ahead log, its
        archives and backups keep them until recycled (see ``docs/privacy.md``).
        """
        with self._lock:
            conn = self.conn
            sealer = RowSealer(self)
            with conn.transaction():
                conn.execute("LOCK TABLE casework_events IN EXCLUSIVE MODE")
                total = conn.execute("SELECT count(*) FROM casework_events").fetchone()
                new_keys = sealer.run(
                    self._all_rows,
                    self._update_rows,
                    int(total[0]) if total is not None else 0,
                    progress,
                )
                dropped = [
                    str(name)
                    for (name,) in conn.execute(
                        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
                        "AND tablename LIKE 'casework\\_proj\\_%' ORDER BY tablename"
                    ).fetchall()
                ]
                for name in dropped:  # the read side's tables: names in clear, rebuilt later
                    conn.execute(
                        self._pg.sql.SQL("DROP TABLE {}").format(self._pg.sql.Identifier(name))
                    )
                conn.execute(
                    "INSERT INTO casework_meta VALUES ('sealed', '1') "
                    "ON CONFLICT (key) DO UPDATE SET value = '1'"
                )
            self.sealed = True
            if vacuum:
                conn.execute("VACUUM FULL casework_events")
            return sealer.result(new_keys, clean=vacuum, dropped=dropped)

    def _update_rows(self, rows: list[tuple[Any, ...]]) -> None:
        with self.conn.cursor() as cur:
            cur.executemany(_UPDATE_ROW, rows)

    def _all_rows(self) -> Iterator[list[Any]]:
        """Every event row (global number, case id, then its columns), a page at a time."""
        last = 0
        while page := self.conn.execute(_READ_PAGE, (last, PAGE)).fetchall():
            yield page
            last = page[-1][0]

    # --- writing ---------------------------------------------------------------------------

    def append(self, events: Sequence[Event], *, expected_version: int) -> None:
        """Write ``events`` of one case in one transaction, if it is still at
        ``expected_version``; otherwise raise :class:`ConflictError` and write nothing.
        """
        rows = self._check_append(events, expected_version)
        case_id = rows[0][0]
        errors = self._pg.errors
        with self._lock:
            conn = self.conn
            try:
                with conn.transaction():
                    if self._append_lock is not None:  # numbers in commit order (see top)
                        conn.execute(self._append_lock)
                    if self.keys is None and (self.sealed or conn.execute(_SEALED_ROW).fetchone()):
                        raise KeysRequired(
                            f"the {self._where()} is encrypted: open it with its key store to "
                            "write (without keys, personal fields would be written in clear)"
                        )
                    found = conn.execute(
                        f"SELECT {SUMMARY_COLUMNS} FROM casework_cases "
                        "WHERE case_id = %s FOR UPDATE",
                        (case_id,),
                    ).fetchone()
                    prev = summary_from_row(found) if found is not None else None
                    self._check_stored(case_id, prev, expected_version)
                    if prev is not None:
                        self._check_follows(prev, events)
                    summary = self._summary_of(events, prev)
                    if prev is None:  # claim the case first: a concurrent opener waits here
                        cur = conn.execute(
                            "INSERT INTO casework_cases VALUES "
                            "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) "
                            "ON CONFLICT (case_id) DO NOTHING",
                            summary_row(summary),
                        )
                        if cur.rowcount != 1:
                            raise ConflictError(case_id, expected_version, None)
                    else:
                        conn.execute(*summary_update(prev, summary, "%s", "casework_cases"))
                    with conn.cursor() as cur:
                        cur.executemany(_INSERT_EVENT, rows)
            except errors.UniqueViolation as exc:
                if getattr(exc.diag, "constraint_name", None) == _COMMAND_INDEX:
                    raise self._taken(rows, expected_version) from exc
                raise self._refused(case_id, expected_version, exc) from exc
            except errors.SerializationFailure as exc:
                raise self._refused(case_id, expected_version, exc) from exc

    def _taken(self, rows: Sequence[Row], expected: int) -> DuplicateCommandId:
        """The error for an append refused by the command id index: which id, which event."""
        case_id = rows[0][0]
        for row in rows:
            if row[-1] is None:
                continue
            found = self.conn.execute(
                f"SELECT seq FROM {self._events_table} WHERE case_id = %s AND command_id = %s",
                (case_id, row[-1]),
            ).fetchone()
            if found is not None:
                return DuplicateCommandId(case_id, row[-1], found[0], expected=expected)
        return DuplicateCommandId(case_id, "?", None, expected=expected)

    # --- reading ---------------------------------------------------------------------------

    def _fetch(self, sql: str, params: Sequence[Any] = (), *, one: bool = False) -> Any:
        with self._lock:
            cursor = self.conn.execute(sql, params)
            return cursor.fetchone() if one else cursor.fetchall()

    def stream(self) -> Iterator[Event]:
        """Every event in the order of the store's global numbering, a page at a time.

        Appends commit in the order of their numbers (see the module's notes), so events
        committed while the stream runs appear at its end.
        """
        return self._pages()

    def close(self) -> None:
        """Close the connection (idempotent)."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
