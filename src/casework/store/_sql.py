"""What the SQL stores (SQLite, PostgreSQL) share: the summary columns and the reads.

The two differ in their driver, placeholder and table names, not in what they ask.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from casework.events import Event
from casework.store._shared import (
    ROW_COLUMNS,
    BaseStore,
    LogRow,
    ReadRow,
    check_version,
    disagreement,
)
from casework.store.base import CaseQuery, CaseSummary, time_key
from casework.store.errors import ConflictError, CorruptRecord, UnknownCase

__all__ = ["SqlStore", "summary_from_row", "summary_row", "summary_update"]

SUMMARY_COLUMNS = "case_id, lifecycle, state, version, worker, programme, opened_at, last_at"
#: The columns a read selects: the number, then the row's own columns.
READ_COLUMNS = ", ".join(("seq", *ROW_COLUMNS))
#: Rows read per query when walking a whole table.
PAGE = 2000
#: Rows read per query by :meth:`SqlStore.log_rows` (undecoded rows: a larger page).
LOG_PAGE = 20_000


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


def summary_update(
    prev: CaseSummary, new: CaseSummary, mark: str = "?", table: str = "cases"
) -> tuple[str, tuple[Any, ...]]:
    """An ``UPDATE`` of the summary columns an append changed (shared with PostgreSQL)."""
    sets = [f"version = {mark}", f"last_at = {mark}", f"last_key = {mark}"]
    params: list[Any] = [new.version, new.last_at.isoformat(), time_key(new.last_at)]
    if new.state != prev.state:
        sets.append(f"state = {mark}")
        params.append(new.state)
    if new.worker != prev.worker:
        sets.append(f"worker = {mark}")
        params.append(new.worker)
    params.append(new.case_id)
    return f"UPDATE {table} SET {', '.join(sets)} WHERE case_id = {mark}", tuple(params)


def summary_from_row(row: Sequence[Any]) -> CaseSummary:
    """A summary from the ``cases`` columns in :data:`SUMMARY_COLUMNS` order."""
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


class SqlStore(BaseStore):
    """Reads shared by the SQL stores; a subclass sets the names and runs the statements."""

    _mark = "?"
    _events_table = "events"
    _cases_table = "cases"

    def _fetch(self, sql: str, params: Sequence[Any] = (), *, one: bool = False) -> Any:
        """Run ``sql`` and fetch its rows (or its first row), under the store's lock."""
        raise NotImplementedError  # pragma: no cover - every SQL store implements it

    def _rows(self, case_id: str) -> list[ReadRow]:
        """The case's rows, checked against its summary's version in the same statement (one
        snapshot): a lost last row is :class:`CorruptRecord`, not a shorter case.
        """
        m = self._mark
        found = self._fetch(
            f"SELECT {READ_COLUMNS}, (SELECT version FROM {self._cases_table} "
            f"WHERE case_id = {m}) FROM {self._events_table} WHERE case_id = {m} ORDER BY seq",
            (case_id, case_id),
        )
        if not found:
            return []
        rows = [row[:-1] for row in found]
        check_version(case_id, rows, found[0][-1])
        return rows

    def _plan_rows(self, case_id: str) -> list[ReadRow]:
        m = self._mark
        return list(
            self._fetch(
                f"SELECT {READ_COLUMNS} FROM {self._events_table} WHERE case_id = {m} "
                "AND (type IN ('plan_set', 'plan_revised', 'corrected', 'voided') "
                "OR type IS NULL) ORDER BY seq DESC",
                (case_id,),
            )
        )

    def _last_seq(self, case_id: str) -> int:
        """The number of the case's last stored event (0 when none): one index lookup."""
        row = self._fetch(
            f"SELECT max(seq) FROM {self._events_table} WHERE case_id = {self._mark}",
            (case_id,),
            one=True,
        )
        return int(row[0]) if row is not None and row[0] is not None else 0

    def _check_stored(
        self,
        case_id: str,
        prev: CaseSummary | None,
        expected_version: int,
        last: int | None = None,
    ) -> None:
        """Inside an append's transaction, with the summary ``prev`` read (and the number of
        the case's last stored row, when the same statement read it): refuse unless the case
        is at ``expected_version``, reporting a summary that disagrees with the events (a
        lost row) as :class:`CorruptRecord` rather than as a conflict.
        """
        actual = prev.version if prev is not None else 0
        if actual == expected_version and prev is None:
            return  # a new case: a stray row of it makes the insert fail (see _refused)
        if last is None:
            last = self._last_seq(case_id)
        corrupt = disagreement(case_id, actual, last)
        if corrupt is not None:
            raise corrupt
        if actual != expected_version:
            if prev is None:
                raise UnknownCase(case_id)
            raise ConflictError(case_id, expected_version, actual)

    def _refused(self, case_id: str, expected_version: int, exc: Exception) -> Exception:
        """What an append whose insert broke a unique key is (after its rollback): corruption
        when the summary and the events disagree now, else a conflict with another writer.
        """
        row = self._fetch(
            f"SELECT (SELECT version FROM {self._cases_table} WHERE case_id = {self._mark}), "
            f"(SELECT max(seq) FROM {self._events_table} WHERE case_id = {self._mark})",
            (case_id, case_id),
            one=True,
        )
        corrupt = disagreement(case_id, row[0] or 0, row[1])
        return corrupt if corrupt is not None else ConflictError(case_id, expected_version, None)

    def summary(self, case_id: str) -> CaseSummary:
        """The case's summary row, without replaying it."""
        row = self._fetch(
            f"SELECT {SUMMARY_COLUMNS} FROM {self._cases_table} WHERE case_id = {self._mark}",
            (case_id,),
            one=True,
        )
        if row is None:
            raise UnknownCase(case_id)
        return summary_from_row(row)

    def _pages(self, page_size: int = PAGE) -> Iterator[Event]:
        """Every event in the order of the store's global number, a page at a time."""
        last = 0
        sql = (
            f"SELECT gid, case_id, {READ_COLUMNS} FROM {self._events_table} "
            f"WHERE gid > {self._mark} ORDER BY gid LIMIT {self._mark}"
        )
        while True:
            page = self._fetch(sql, (last, page_size))
            if not page:
                return
            decode = self._decode_row
            for row in page:
                yield decode(row[1], row[2:])
            last = page[-1][0]

    def head(self) -> int:
        """The position (``gid``) of the latest event in the log (0 when there is none)."""
        row = self._fetch(f"SELECT max(gid) FROM {self._events_table}", one=True)
        return int(row[0] or 0) if row is not None else 0

    def log_rows(self, after: int = 0, upto: int | None = None) -> Iterator[LogRow]:
        """The stored events after position ``after`` (up to ``upto``), in log order,
        undecoded, read :data:`LOG_PAGE` rows per query.
        """
        self._check_log_range(after, upto)
        return self._log_pages(after, upto)

    def _log_pages(self, after: int, upto: int | None) -> Iterator[LogRow]:
        m = self._mark
        bound = f" AND gid <= {m}" if upto is not None else ""
        sql = (
            f"SELECT gid, case_id, {READ_COLUMNS} FROM {self._events_table} "
            f"WHERE gid > {m}{bound} ORDER BY gid LIMIT {m}"
        )
        last = after
        while upto is None or last < upto:
            params = (last, upto, LOG_PAGE) if upto is not None else (last, LOG_PAGE)
            page: list[LogRow] = self._fetch(sql, params)
            if not page:
                return
            yield from page
            last = page[-1][0]

    def cases(self, query: CaseQuery | None = None, /, **filters: Any) -> list[CaseSummary]:
        """Summaries of the matching cases, oldest-opened first (no replay)."""
        where, params = self._query(query, filters).where(self._mark)
        sql = (
            f"SELECT {SUMMARY_COLUMNS} FROM {self._cases_table}{where} ORDER BY opened_key, case_id"
        )
        return [summary_from_row(r) for r in self._fetch(sql, params)]
