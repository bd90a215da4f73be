"""The store protocol, and the per-case summary stores keep for queries.

A store is an append-only log of events per case, with optimistic concurrency: ``append``
names the version the writer last saw and is refused with
:class:`~casework.store.errors.ConflictError` if the case has moved on since.  Everything else
(``load``, ``events``, ``cases``, ``stream``) reads.  A store satisfies the engine's
:class:`~casework.engine.EventSink`, so ``Engine(STANDARD, store=store)`` persists every
accepted command before the case changes.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, date, datetime
from typing import Any, Protocol, runtime_checkable

import attrs

from casework.case import Case
from casework.events import Event
from casework.journal import JOURNAL_OPENED
from casework.records import as_datetime

__all__ = ["JOURNALS", "CaseQuery", "CaseSummary", "LogReader", "Store", "time_key"]

#: The ``lifecycle`` of a journal's summary row: ``cases(lifecycle=JOURNALS)`` lists journals,
#: which every other query leaves out.
JOURNALS = "@journal"


def time_key(when: date | datetime) -> str:
    """A sortable text key for a time: aware times in UTC, naive ones as recorded.

    Fixed width (``YYYY-MM-DDTHH:MM:SS.ffffff``), so text order is time order; a bare date
    means its midnight.  Mixing naive and aware times in one store makes ranges approximate.
    """
    dt = as_datetime(when)
    if dt.tzinfo is not None and dt.utcoffset() is not None:
        dt = dt.astimezone(UTC).replace(tzinfo=None)
    return dt.replace(tzinfo=None).isoformat(timespec="microseconds")


@attrs.frozen
class CaseSummary:
    """What a store keeps about each case for queries, updated with every append.

    It is derived from the events (never written by hand): the state after the latest event,
    the current worker (as opened or last transferred to), and when it was opened and last
    changed.
    """

    case_id: str
    lifecycle: str
    state: str
    version: int
    opened_at: datetime
    last_at: datetime
    worker: str | None = None
    programme: str | None = None

    def advanced(self, events: Iterable[Event]) -> CaseSummary:
        """This summary after ``events`` (which follow it in the case's log)."""
        state, version, last_at, worker = self.state, self.version, self.last_at, self.worker
        for ev in events:
            state, version, last_at = ev.state, ev.seq, ev.at
            if ev.type == "transferred":
                worker = ev.payload.get("to", worker)
        return attrs.evolve(self, state=state, version=version, last_at=last_at, worker=worker)

    @classmethod
    def of(cls, events: Sequence[Event]) -> CaseSummary:
        """The summary of a case whose log starts with ``events`` (its ``case_opened`` first)."""
        first = events[0]
        p = first.payload
        journal = first.type == JOURNAL_OPENED
        opened = cls(
            case_id=first.case_id,
            lifecycle=JOURNALS if journal else str(p.get("lifecycle", "")),
            state=first.state,
            version=first.seq,
            opened_at=first.at,
            last_at=first.at,
            worker=p.get("worker"),
            programme=p.get("programme"),
        )
        return opened.advanced(events[1:])

    def to_dict(self) -> dict[str, Any]:
        """A JSON-shaped dict (times as ISO 8601)."""
        return {
            "case_id": self.case_id,
            "lifecycle": self.lifecycle,
            "state": self.state,
            "version": self.version,
            "opened_at": self.opened_at.isoformat(),
            "last_at": self.last_at.isoformat(),
            "worker": self.worker,
            "programme": self.programme,
        }


def _states(value: str | Iterable[str] | None) -> frozenset[str] | None:
    if value is None:
        return None
    return frozenset((value,) if isinstance(value, str) else value)


def _key(value: date | datetime | None) -> str | None:
    return None if value is None else time_key(value)


@attrs.frozen
class CaseQuery:
    """Which cases to list: every filter given must match (``None`` means any).

    Time ranges are half-open, ``[from, before)``: ``opened_*`` on the opening time,
    ``changed_*`` on the latest event's time.  Results come oldest-opened first.
    """

    state: frozenset[str] | None = attrs.field(default=None, converter=_states)
    worker: str | None = None
    programme: str | None = None
    lifecycle: str | None = None
    opened_from: str | None = attrs.field(default=None, converter=_key)
    opened_before: str | None = attrs.field(default=None, converter=_key)
    changed_from: str | None = attrs.field(default=None, converter=_key)
    changed_before: str | None = attrs.field(default=None, converter=_key)

    def matches(self, s: CaseSummary) -> bool:
        """True when the summary ``s`` passes every filter."""
        if self.state is not None and s.state not in self.state:
            return False
        if self.worker is not None and s.worker != self.worker:
            return False
        if self.programme is not None and s.programme != self.programme:
            return False
        if self.lifecycle is not None and s.lifecycle != self.lifecycle:
            return False
        if self.lifecycle is None and s.lifecycle == JOURNALS:
            return False
        opened, changed = time_key(s.opened_at), time_key(s.last_at)
        return (
            (self.opened_from is None or opened >= self.opened_from)
            and (self.opened_before is None or opened < self.opened_before)
            and (self.changed_from is None or changed >= self.changed_from)
            and (self.changed_before is None or changed < self.changed_before)
        )

    def where(self, mark: str) -> tuple[str, list[Any]]:
        """A SQL ``WHERE`` clause (``mark`` is the driver's placeholder) and its parameters.

        Columns: state, worker, programme, lifecycle, opened_key, last_key.
        """
        clauses: list[str] = []
        params: list[Any] = []
        if self.state is not None:
            states = sorted(self.state)
            clauses.append(f"state IN ({', '.join([mark] * len(states))})" if states else "0=1")
            params.extend(states)
        for column, value in (
            ("worker", self.worker),
            ("programme", self.programme),
            ("lifecycle", self.lifecycle),
        ):
            if value is not None:
                clauses.append(f"{column} = {mark}")
                params.append(value)
        if self.lifecycle is None:  # journals are listed only when asked for by name
            clauses.append(f"lifecycle <> {mark}")
            params.append(JOURNALS)
        for column, op, value in (
            ("opened_key", ">=", self.opened_from),
            ("opened_key", "<", self.opened_before),
            ("last_key", ">=", self.changed_from),
            ("last_key", "<", self.changed_before),
        ):
            if value is not None:
                clauses.append(f"{column} {op} {mark}")
                params.append(value)
        return (" WHERE " + " AND ".join(clauses) if clauses else ""), params


@runtime_checkable
class Store(Protocol):
    """What every casework store does.  Small on purpose: implement it in an afternoon.

    Every store must pass the contract suite in ``tests/store``.
    """

    def append(self, events: Sequence[Event], *, expected_version: int) -> None:
        """Write ``events`` (of one case, numbered on from ``expected_version``), all or none.

        ``expected_version`` is the case's version the writer last saw (0 for a new case).
        A stale writer gets :class:`~casework.store.errors.ConflictError` and nothing is
        written; malformed input gets :class:`~casework.store.errors.InvalidAppend`.
        """

    def load(self, case_id: str) -> Case:
        """The case rebuilt by replaying its events with the lifecycle it names."""

    def events(self, case_id: str) -> list[Event]:
        """The case's events, oldest first (:class:`UnknownCase` when there are none)."""

    def summary(self, case_id: str) -> CaseSummary:
        """The case's summary row, without replaying it."""

    def cases(self, query: CaseQuery | None = None, /, **filters: Any) -> list[CaseSummary]:
        """Summaries of the cases matching ``query`` (or the same filters as keywords)."""

    def stream(self) -> Iterator[Event]:
        """Every event of every case in the order the store accepted them, for reporting."""

    def close(self) -> None:
        """Release the store's connection (a closed store refuses further use)."""


@runtime_checkable
class LogReader(Protocol):
    """How a follower of a store's log (a projection) reads it; casework's stores all do.

    A log row is a tuple: the event's position in the log (positions only grow), its stream
    (case or journal) id, its number, then stored columns of which ``row[7]`` is its state;
    the follower groups or skips rows by those and decodes only the ones it needs.

    .. versionadded:: 0.2
    """

    def head(self) -> int:
        """The position of the latest event in the log (0 when there is none)."""

    def log_rows(self, after: int = 0, upto: int | None = None) -> Iterator[tuple[Any, ...]]:
        """The events at positions ``after < position <= upto`` (to the end for None), in log
        order, undecoded; a range that is not whole positions is refused when called.
        """

    def decode_log_row(self, row: tuple[Any, ...]) -> Event:
        """The event of one :meth:`log_rows` row."""
