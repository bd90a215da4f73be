"""The projection: fact tables that follow a store's log from a tracking position.

``Projection(store)`` keeps its tables beside the events (see ``_backends``).
:meth:`~Projection.catch_up` reads only the events after the position it recorded; every
case touched by them is replayed (with the store's catalogue, so corrections, voids and
migrations are read as the case reads them) and its rows replace the ones it had, in the
transaction that moves the position on.  Journal events are applied one by one (an
activity recorded again replaces its row).  :meth:`~Projection.rebuild` starts from zero and
gives the same tables, in bulk (one read of the log, every table refilled in one transaction;
a catch-up from position 0 takes that path).  Readers catch up first, or, asked not to,
refuse with :class:`ProjectionBehind` rather than answer from stale tables.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import Executor
from typing import Any

import attrs

from casework.case import Case
from casework.catalogue import Catalogue
from casework.errors import CaseworkError, InvalidValue
from casework.events import Event
from casework.journal import JOURNAL_OPENED, JOURNAL_STATE
from casework.recording import EVENT_TYPES
from casework.reporting.dataset import Dataset
from casework.reporting.projections._backends import (
    Backend,
    Batch,
    LogRow,
    RawRow,
    SQLiteBackend,
    backend_for,
)
from casework.reporting.projections._facts import (
    TABLES,
    case_rows,
    journal_rows,
    select,
    stamp,
)
from casework.reporting.projections._parallel import (
    collector_paused,
    images_supported,
    replay_images,
    replay_rows,
    worker_store,
)
from casework.reporting.projections._personal import PersonalColumns

__all__ = ["CatchUp", "Projection", "ProjectionBehind"]


class ProjectionBehind(CaseworkError):
    """The fact tables are behind the store's log: ``position`` < ``head``."""

    def __init__(self, position: int, head: int) -> None:
        self.position = position
        self.head = head
        super().__init__(
            f"the projection is at position {position}, the log at {head}: "
            "catch up before reading (projection.catch_up())"
        )


@attrs.frozen
class CatchUp:
    """What one catch-up did: the positions it went from and to, the events it read, the
    cases it replayed and the journal events it applied.
    """

    start: int
    end: int
    events: int
    cases: int
    journal_events: int


class Projection:
    """Fact tables of ``store`` (cases, spells, sessions, assessments, consents, activities,
    volunteer hours), kept in the store's own database and caught up from a tracking position.

    One projection per store object; it shares the store's connection (and its lock).
    """

    def __init__(self, store: Any, *, backend: Backend | None = None) -> None:
        self.store = store
        self.backend = backend if backend is not None else backend_for(store)
        #: Seals personal columns as the store seals its rows; opens them for readers.
        self.personal = PersonalColumns.of(store)

    def __repr__(self) -> str:
        return f"<Projection of {self.store!r} at {self.position}>"

    @property
    def position(self) -> int:
        """The log position the tables reflect (0: nothing yet)."""
        return self.backend.position()

    def behind(self) -> int:
        """How many positions the tables are behind the log (0 when up to date)."""
        return max(0, self.backend.head() - self.backend.position())

    def check(self) -> None:
        """Raise :class:`ProjectionBehind` unless the tables are up to date."""
        position, head = self.backend.position(), self.backend.head()
        if position < head:
            raise ProjectionBehind(position, head)

    def catch_up(self) -> CatchUp:
        """Apply the events after the position; returns what was done (from position 0, a
        rebuild's bulk path).  With the keys, tables where a reader without them wrote
        markers of personal values are rebuilt first.
        """
        backend = self.backend
        if self.personal.seals and backend.unsealed():  # markers a reader without keys wrote
            return self.rebuild()
        start = backend.position()
        head = backend.head()
        if head <= start:
            return CatchUp(start, start, 0, 0, 0)
        if start == 0:
            return self.rebuild()
        batch = Batch(head)
        fresh: dict[str, list[LogRow]] = {}  # cases whose whole log is in the batch
        touched: dict[str, None] = {}
        journal = 0
        count = 0
        for row in backend.log(start, head):
            count += 1
            if row.state == JOURNAL_STATE:
                journal += 1
                ev = backend.decode(row)
                _journal_event(batch, ev, row.position)
            elif row.seq == 1:
                fresh[row.stream_id] = [row]
                touched[row.stream_id] = None
            elif row.stream_id in fresh:
                fresh[row.stream_id].append(row)
            else:
                touched[row.stream_id] = None
        catalogue = self.store.catalogue
        known = backend.opened_positions([cid for cid in touched if cid not in fresh])
        for case_id in touched:
            if case_id in fresh:
                events = [backend.decode(r) for r in fresh[case_id]]
                case = Case.replay(events, catalogue)
                batch.new.add(case_id)
                position = fresh[case_id][0].position
            else:
                case = self.store.load(case_id)
                position = known[case_id]
            batch.cases[case_id] = case_rows(case, position)
        self.personal.seal_batch(batch)
        backend.write(batch)
        return CatchUp(start, head, count, len(touched), journal)

    def rebuild(self, executor: Executor | None = None) -> CatchUp:
        """Every fact table from zero (the same tables as catching up), in one transaction.

        The log is read once in order; each case's rows are decoded and replayed in one go,
        journal events applied in log order; the tables are then emptied, refilled one bulk
        insert per table and indexed afterwards (rather than row by row).

        With ``executor`` (any :class:`concurrent.futures.Executor`: threads, a process
        pool, a cluster's), the cases are cut into chunks (a few per worker) and each chunk
        is decoded and replayed there (with the store's catalogue); the parent applies the
        journal, seals and writes as without one, so the tables are the same.  From an
        SQLite store the chunks go out and their case tables come back as SQLite images,
        copied by SQLite, so the parent builds nothing per event (see ``_parallel``).
        The executor is used, not shut down.  A store opened with keys, or whose codec has
        other types or migrations than its catalogue's default codec, is rebuilt serially
        (the executor is ignored): keys never leave this process.
        """
        if executor is not None and not isinstance(executor, Executor):
            raise InvalidValue(
                "rebuild: executor",
                "expected a concurrent.futures.Executor (or None), "
                f"got {type(executor).__name__} {executor!r}",
            )
        with collector_paused():
            return self._rebuild(executor if self._parallel_ok() else None)

    def _parallel_ok(self) -> bool:
        """Whether a worker can decode this store's rows with a codec of its catalogue alone:
        no keys, and the store's codec has the same types and migrations as that one.
        """
        store = self.store
        codec = getattr(store, "codec", None)
        if getattr(store, "keys", None) is not None or getattr(codec, "sealer", None) is not None:
            return False
        catalogue = getattr(store, "catalogue", None)
        if codec is None or not isinstance(catalogue, Catalogue):
            return False
        theirs = worker_store(catalogue).codec
        return bool(codec.types == theirs.types and codec.migrations == theirs.migrations)

    def _rebuild(self, executor: Executor | None = None) -> CatchUp:
        if executor is not None and isinstance(self.backend, SQLiteBackend) and images_supported():
            return self._rebuild_from_images(executor, self.backend)
        backend = self.backend
        head = backend.head()
        batch = Batch(head)
        streams: dict[str, list[RawRow]] = {}
        decode = self.store.decode_log_row  # the store's own, one call per event
        count = journal = 0
        for raw in backend.raw_log(0, head):
            count += 1
            if raw[7] == JOURNAL_STATE:
                journal += 1
                _journal_event(batch, decode(raw), raw[0])
                continue
            rows = streams.get(raw[1])
            if rows is None:
                streams[raw[1]] = [raw]
            else:
                rows.append(raw)
        catalogue = self.store.catalogue
        cases = batch.cases
        if executor is not None and streams:
            cases.update(replay_rows(executor, catalogue, streams, self._loaded_rows))
        else:
            for case_id, rows in streams.items():
                if rows[0][2] == 1:
                    case = Case.replay([decode(r) for r in rows], catalogue)
                else:  # the log lacks the case's opening: the store says what is wrong
                    case = self.store.load(case_id)
                cases[case_id] = case_rows(case, rows[0][0])
        batch.new.update(cases)
        self.personal.seal_batch(batch)
        backend.replace(batch)
        return CatchUp(0, head, count, len(streams), journal)

    def _rebuild_from_images(self, executor: Executor, backend: SQLiteBackend) -> CatchUp:
        """The rebuild of an SQLite store on ``executor``: the log goes out and the case
        tables come back as SQLite images (see ``_parallel``); the journal is applied here
        while the workers replay.
        """
        head = backend.head()
        batch = Batch(head)
        journal = 0

        def apply_journal() -> None:
            nonlocal journal
            decode = self.store.decode_log_row
            for raw in backend.journal_log(head):
                journal += 1
                _journal_event(batch, decode(raw), raw[0])

        image, events, cases, unreadable = replay_images(
            executor,
            self.store.catalogue,
            backend=backend,
            head=head,
            load=self._loaded_rows,
            meanwhile=apply_journal,
        )
        batch.unsealed = unreadable
        self.personal.seal_batch(batch)
        backend.replace_from_image(batch, image)
        return CatchUp(0, head, events + journal, cases, journal)

    def _loaded_rows(self, case_id: str, position: int) -> dict[str, list[tuple[Any, ...]]]:
        """The rows of a case whose opening is not in the log, as the store loads it (it
        says what is wrong).
        """
        return case_rows(self.store.load(case_id), position)

    # --- reading ---------------------------------------------------------------------------

    def _ready(self, catch_up: bool) -> None:
        if catch_up:
            self.catch_up()
        else:
            self.check()

    def rows(
        self,
        table: str,
        *,
        include_personal: bool = False,
        catch_up: bool = True,
    ) -> list[dict[str, Any]]:
        """The rows of fact table ``table`` as dicts, personal columns left out by default.

        ``catch_up=False`` reads without catching up, and refuses (:class:`ProjectionBehind`)
        when the log has moved on.
        """
        columns = self.columns(table, include_personal=include_personal)
        self._ready(catch_up)
        return [dict(zip(columns, r, strict=True)) for r in self._read(table, columns)]

    def _read(self, table: str, columns: Sequence[str]) -> list[tuple[Any, ...]]:
        """The rows of ``columns`` of ``table``, personal values opened (or markers)."""
        return self.personal.open_rows(table, columns, self.backend.rows(table, columns))

    def columns(self, table: str, *, include_personal: bool = False) -> Sequence[str]:
        """The columns of ``table`` a reader gets."""
        if table not in TABLES:
            raise InvalidValue("table", f"unknown fact table {table!r}; known: {list(TABLES)}")
        return select(TABLES[table], include_personal)

    def tuples(self, table: str, columns: Sequence[str] | None = None) -> list[tuple[Any, ...]]:
        """Every row of ``table`` as a tuple (every column, or ``columns``), without catching
        up (for comparisons).
        """
        return self._read(table, columns or self.columns(table, include_personal=True))

    def to_pandas(
        self, table: str, *, include_personal: bool = False, catch_up: bool = True
    ) -> Any:
        """Fact table ``table`` as a pandas DataFrame (times as datetimes), in one call.

        Personal columns (birth dates, names, session notes, free text) are left out unless
        ``include_personal=True``.  Needs the ``casework[notebook]`` extra.
        """
        from casework.reporting.table import require

        pd = require("pandas", "fact tables as DataFrames")
        columns = list(self.columns(table, include_personal=include_personal))
        self._ready(catch_up)
        frame = pd.DataFrame(self._read(table, columns), columns=columns)
        for name in columns:
            if name.endswith("_at") or name in ("at", "birth_date"):
                frame[name] = pd.to_datetime(frame[name], format="ISO8601")
            elif name == "on_day":
                frame[name] = pd.to_datetime(frame[name], format="%Y-%m-%d")
        return frame

    def to_arrow(self, table: str, *, include_personal: bool = False, catch_up: bool = True) -> Any:
        """Fact table ``table`` as a ``pyarrow.Table``, in one call, with typed columns.

        Times are ``timestamp[us]`` (the wall clock recorded), days and birth dates
        ``date32``, counts ``int64``, figures ``float64``, the rest strings.  Personal columns
        are left out unless ``include_personal=True``, as in :meth:`to_pandas`.  Needs the
        ``casework[arrow]`` extra.
        """
        from casework._support import require

        pa = require("pyarrow", "arrow", "fact tables as Arrow tables")
        columns = list(self.columns(table, include_personal=include_personal))
        self._ready(catch_up)
        rows = self._read(table, columns)  # personal values opened, as to_pandas reads them
        sql = {c.name: c.sql for c in TABLES[table].columns}
        types = {
            "timestamp": pa.timestamp("us"),
            "date": pa.date32(),
            "int": pa.int64(),
            "float": pa.float64(),
            "string": pa.string(),
        }
        arrays = []
        by_column = list(zip(*rows, strict=True)) if rows else [() for _ in columns]
        for name, values in zip(columns, by_column, strict=True):
            kind = _arrow_kind(name, sql[name])
            if kind in ("timestamp", "date"):  # ISO text, parsed by Arrow in one pass
                arrays.append(pa.array(values, pa.string()).cast(types[kind]))
            else:
                arrays.append(pa.array(values, types[kind]))
        return pa.Table.from_arrays(arrays, names=columns)

    def dataset(self, *, catch_up: bool = True) -> Dataset:
        """The tables as a :class:`~casework.reporting.Dataset`: every indicator, measure and
        the yearly report read it as they read a replayed one (same definitions, same
        answers), without replaying the cases.
        """
        from casework.reporting.projections._dataset import ProjectedDataset

        self._ready(catch_up)
        return ProjectedDataset(self)

    def tables(
        self, *, include_personal: bool = False, as_arrow: bool = False
    ) -> Mapping[str, Any]:
        """Every fact table as a DataFrame (``as_arrow=True``: a ``pyarrow.Table``), by name
        (one catch-up for all).
        """
        self.catch_up()
        read = self.to_arrow if as_arrow else self.to_pandas
        return {
            name: read(name, include_personal=include_personal, catch_up=False) for name in TABLES
        }


def _arrow_kind(name: str, sql: str) -> str:
    """How a fact column is typed in Arrow: timestamp, date, int, float or string."""
    if name in ("birth_date", "on_day"):
        return "date"
    if name.endswith("_at") or name == "at":
        return "timestamp"
    return {"INTEGER": "int", "BIGINT": "int", "REAL": "float"}.get(sql, "string")


def _journal_event(batch: Batch, ev: Event, position: int) -> None:
    """What one journal event gives the tables."""
    station = str(ev.payload.get("station", "")) if ev.type == JOURNAL_OPENED else None
    batch.saw_journal(ev.case_id, station, ev.seq, stamp(ev.at))
    if ev.type in EVENT_TYPES and ev.type not in _RECORDED:
        batch.registrations.append((ev.case_id, ev.seq, position, ev.type))
    batch.add_journal(*journal_rows(ev))


#: Journal events kept whole in the tables (the rest are registrations).
_RECORDED = frozenset({"activity_recorded", "volunteer_hours_recorded"})


def replayed_rows(cases: Sequence[Case], journals: Sequence[Sequence[Event]]) -> dict[str, Any]:
    """The fact rows replaying gives, table by table, sorted as the backends read them back
    (every column): what a projection's tables must equal.
    """
    from casework.reporting.projections._backends import MemoryBackend

    backend = MemoryBackend(None)
    batch = Batch(0)
    for n, case in enumerate(cases, start=1):
        batch.cases[case.id] = case_rows(case, n)
    for events in journals:
        for ev in events:
            _journal_event(batch, ev, 0)
    backend.write(batch)
    return {name: backend.rows(name, comparable(name)) for name in TABLES}


def comparable(table: str) -> Sequence[str]:
    """The columns replaying gives too (every one but positions in the log)."""
    return [n for n in TABLES[table].names if n not in ("position", "opened_position")]
