"""The in-memory store: for tests, notebooks and examples; gone when the process ends.

It keeps each event as the same row the other stores write (envelope columns, payload as JSON
text), so it goes through the codec exactly like them (a value that would not survive a file
does not survive here either).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from casework.catalogue import Catalogue
from casework.events import Event
from casework.keys import KeyStore
from casework.lifecycle import Lifecycle
from casework.serialize import Codec
from casework.store._shared import (
    ROW_COLUMNS,
    BaseStore,
    LogRow,
    ReadRow,
    check_version,
    disagreement,
)
from casework.store.base import CaseQuery, CaseSummary
from casework.store.errors import ConflictError, DuplicateCommandId, StoreError, UnknownCase

__all__ = ["MemoryStore"]


class MemoryStore(BaseStore):
    """A store in a dict, safe to share between threads of one process."""

    def __init__(
        self,
        *,
        catalogue: Catalogue | None = None,
        lifecycles: Mapping[str, Lifecycle] | Iterable[Lifecycle] | None = None,
        codec: Codec | None = None,
        keys: KeyStore | None = None,
    ) -> None:
        super().__init__(catalogue=catalogue, lifecycles=lifecycles, codec=codec, keys=keys)
        self._lock = threading.Lock()
        self._data: dict[str, list[ReadRow]] = {}
        self._order: list[tuple[str, int]] = []
        self._summaries: dict[str, CaseSummary] = {}
        #: (case id, command id) -> the event that recorded it, checked under the lock.
        self._commands: dict[tuple[str, str], int] = {}
        self._closed = False

    def __repr__(self) -> str:
        return f"<MemoryStore: {len(self._data)} cases, {len(self._order)} events>"

    def __enter__(self) -> MemoryStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _open(self) -> None:
        if self._closed:
            raise StoreError("the store is closed")

    def append(self, events: Sequence[Event], *, expected_version: int) -> None:
        """Write ``events`` of one case if it is still at ``expected_version``; else refuse."""
        self._open()
        rows = self._check_append(events, expected_version)
        case_id = rows[0][0]
        with self._lock:
            prev = self._summaries.get(case_id)
            actual = prev.version if prev is not None else 0
            stored = self._data.get(case_id, ())
            last = stored[-1][0] if stored else 0
            if actual != expected_version or last != actual:
                corrupt = disagreement(case_id, actual, last)
                if corrupt is not None:
                    raise corrupt
                if prev is None:
                    raise UnknownCase(case_id)
                raise ConflictError(case_id, expected_version, actual)
            if prev is not None:
                self._check_follows(prev, events)
            ids = [(case_id, row[-1]) for row in rows if row[-1] is not None]
            for key in ids:
                if key in self._commands:
                    raise DuplicateCommandId(
                        case_id, key[1], self._commands[key], expected=expected_version
                    )
            summary = self._summary_of(events, prev)
            self._data.setdefault(case_id, []).extend(row[1:-1] for row in rows)
            self._order.extend((case_id, row[1]) for row in rows)
            self._summaries[case_id] = summary
            for key, row in zip(ids, (r for r in rows if r[-1] is not None), strict=True):
                self._commands[key] = row[1]

    def _plan_rows(self, case_id: str) -> list[ReadRow]:
        # called by append, under the lock already
        plans = ("plan_set", "plan_revised", "corrected", "voided", None)
        return [row for row in reversed(self._data.get(case_id, ())) if row[2] in plans]

    def _rows(self, case_id: str) -> list[ReadRow]:
        self._open()
        with self._lock:
            rows = list(self._data.get(case_id, ()))
            summary = self._summaries.get(case_id)
        if rows:
            check_version(case_id, rows, summary.version if summary is not None else None)
        return rows

    def summary(self, case_id: str) -> CaseSummary:
        """The case's summary, without replaying it."""
        self._open()
        found = self._summaries.get(case_id)
        if found is None:
            raise UnknownCase(case_id)
        return found

    def cases(self, query: CaseQuery | None = None, /, **filters: Any) -> list[CaseSummary]:
        """Summaries of the matching cases, oldest-opened first."""
        self._open()
        q = self._query(query, filters)
        with self._lock:
            found = [s for s in self._summaries.values() if q.matches(s)]
        from casework.store.base import time_key

        return sorted(found, key=lambda s: (time_key(s.opened_at), s.case_id))

    def stream(self) -> Iterator[Event]:
        """Every event, in the order the store accepted them."""
        self._open()
        i = 0
        while True:
            with self._lock:
                if i >= len(self._order):
                    return
                case_id, seq = self._order[i]
                row = self._data[case_id][seq - 1]
            i += 1
            yield self._decode_row(case_id, row)

    def head(self) -> int:
        """The position of the latest event (the number of events accepted)."""
        self._open()
        return len(self._order)

    def log_rows(self, after: int = 0, upto: int | None = None) -> Iterator[LogRow]:
        """The stored events after position ``after`` (up to ``upto``), in the order the
        store accepted them, undecoded.
        """
        self._open()
        self._check_log_range(after, upto)
        with self._lock:
            end = len(self._order) if upto is None else min(upto, len(self._order))
            order = self._order[after:end]
        return self._log_of(after, order)

    def _log_of(self, after: int, order: list[tuple[str, int]]) -> Iterator[LogRow]:
        data = self._data
        for position, (case_id, seq) in enumerate(order, start=after + 1):
            yield (position, case_id, *data[case_id][seq - 1])

    def close(self) -> None:
        """Drop the data; the store refuses further use."""
        self._closed = True
        self._data, self._order, self._summaries, self._commands = {}, [], {}, {}

    # --- for tests of corruption handling ------------------------------------------------------

    def _raw_put(self, case_id: str, seq: int, **columns: Any) -> None:
        """Overwrite columns of one stored row (tests use this to simulate corruption)."""
        row = list(self._data[case_id][seq - 1])
        for name, value in columns.items():
            row[1 + ROW_COLUMNS.index(name)] = value
        self._data[case_id][seq - 1] = tuple(row)
