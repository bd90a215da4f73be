"""A :class:`~casework.reporting.Dataset` read from fact tables instead of replayed cases.

Every indicator, measure and the yearly report take it as they take a replayed dataset: they
read cases only through the dataset's fact methods (``opened``, ``entries``,
``held_sessions``, ``activity_facts``, ``case_facts``, ``states_at``, ``open_at``,
``state_days``, ``latest``), which here come from the tables, so each indicator keeps its one
definition.  With a SQL store the counts at a time are SQL aggregations over the state spells.
The station's records come from the few registration events; only the pre/post outcomes,
which need each case's assessments in full, replay the cases (on first use).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from casework.case import Case
from casework.lifecycle import Lifecycle
from casework.recording import EVENT_TYPES
from casework.reporting.dataset import CaseFact, Dataset, Fact
from casework.reporting.labels import state_labels
from casework.reporting.period import Period
from casework.reporting.projections._backends import SqlBackend
from casework.reporting.projections._facts import TABLES, stamp
from casework.station import Activity, VolunteerHours, VolunteerService

__all__ = ["ProjectedDataset"]

_at = datetime.fromisoformat
_DAY = timedelta(days=1)
_ZERO = timedelta()


class ProjectedDataset(Dataset):
    """The facts of a :class:`~casework.reporting.projections.Projection`, as a dataset.

    Built by :meth:`Projection.dataset`; it reads the tables as they were when built (the
    projection caught up first).
    """

    def __init__(self, projection: Any) -> None:  # no super().__init__: nothing to replay
        self.projection = projection
        # the outreach register is read from its journal (a station's, small beside its cases)
        self.journals = tuple(
            projection.store.journal(journal_id)
            for (journal_id,) in projection.backend.rows("journals", ["journal_id"])
        )
        self._cache: dict[str, Any] = {}
        self._records: dict[str, dict[str, Any]] = {t: {} for t in EVENT_TYPES}
        backend = projection.backend
        regs = backend.rows("registrations", ["position"])
        for ev in backend.events_at([r[0] for r in regs]):
            key, kind = EVENT_TYPES[ev.type]
            record: Any = ev.payload.get(key)
            expected: Any = kind
            if isinstance(record, expected):
                self._records[ev.type][record.id] = record
        columns = ["activity_id", "volunteer", "on_day", "hours", "project", "description"]
        hours_rows = backend.rows("volunteer_hours", columns, ordered=True)
        self._services = [
            VolunteerService(volunteer, date.fromisoformat(on), hours, project, description or "")
            for _aid, volunteer, on, hours, project, description in projection.personal.open_rows(
                "volunteer_hours", columns, hours_rows
            )
            if _aid is None
        ]
        self._sql = isinstance(backend, SqlBackend)

    def __repr__(self) -> str:
        n = len(self.case_facts())
        return f"<ProjectedDataset: {n} cases, {len(self.activities)} activities>"

    @property
    def cases(self) -> tuple[Case, ...]:  # type: ignore[override]  # read lazily here
        """The cases, replayed from the store on first use (only outcomes need them)."""
        if "cases" not in self._cache:
            store = self.projection.store
            self._cache["cases"] = tuple(store.load(f.id) for f in self.case_facts())
        found: tuple[Case, ...] = self._cache["cases"]
        return found

    def _rows(
        self, table: str, columns: Sequence[str], *, ordered: bool = False
    ) -> list[tuple[Any, ...]]:
        rows: list[tuple[Any, ...]] = self.projection.backend.rows(table, columns, ordered=ordered)
        return rows

    def _spells(self) -> list[tuple[Any, ...]]:
        """(case, state, entered, left, entry, open class) of every stay, read once."""
        if "spells" not in self._cache:
            self._cache["spells"] = self._rows(
                "spells",
                ["case_id", "state", "entered_at", "left_at", "entry", "is_open_class"],
            )
        found: list[tuple[Any, ...]] = self._cache["spells"]
        return found

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        backend = self.projection.backend
        names = {name: backend.table(name) for name in TABLES}
        found: list[tuple[Any, ...]] = backend.query(sql.format(**names), params)
        return found

    # --- station records ------------------------------------------------------------------

    @property
    def activities(self) -> tuple[Activity, ...]:
        """Recorded activities, by date (volunteers' hours from the hours table)."""
        if "activities" not in self._cache:
            hours: dict[str, list[VolunteerHours]] = {}
            for aid, volunteer, h in self._rows(
                "volunteer_hours", ["activity_id", "volunteer", "hours"], ordered=True
            ):
                if aid is not None:
                    hours.setdefault(aid, []).append(VolunteerHours(volunteer, h))
            found = [
                Activity(
                    aid,
                    kind,
                    date.fromisoformat(on),
                    title,
                    place,
                    participants,
                    project,
                    hours.get(aid, ()),
                )
                for aid, kind, on, title, place, participants, project in self._rows(
                    "activities",
                    ["activity_id", "kind", "on_day", "title", "place", "participants", "project"],
                )
            ]
            self._cache["activities"] = tuple(sorted(found, key=lambda a: (a.on, a.id)))
        acts: tuple[Activity, ...] = self._cache["activities"]
        return acts

    @property
    def lifecycles(self) -> tuple[Lifecycle, ...]:
        """The lifecycles the cases follow (their current versions)."""
        catalogue = self.projection.store.catalogue
        found: dict[str, Lifecycle] = {}
        for lc, version in self._rows("cases", ["lifecycle", "lifecycle_version"], ordered=True):
            if lc not in found:
                found[lc] = catalogue.lifecycle(lc, version)
        if not found:
            return tuple(catalogue.lifecycles)
        return tuple(found.values())

    @property
    def state_labels(self) -> dict[str, Any]:
        """Labels of every state of the cases' lifecycles."""
        return state_labels(self.lifecycles)

    # --- facts ------------------------------------------------------------------------------

    def held_per_case(self, period: Period | None = None) -> dict[str, int]:
        """Held sessions in ``period`` per case (SQL: a count grouped by case)."""
        if not self._sql:
            return super().held_per_case(period)
        sql = "SELECT case_id, count(*) FROM {sessions} WHERE status = 'held'"
        params: list[Any] = []
        if period is not None:
            m = self.projection.backend.mark
            sql += f" AND held_at >= {m} AND held_at < {m}"
            params = [stamp(period.start_at), stamp(period.end_at)]
        return {cid: int(n) for cid, n in self._query(sql + " GROUP BY case_id", params)}

    def _derive(self) -> None:
        if self._sql:  # the database filters; Python sorts (faster than SQLite's sorter here)
            self._cache["opened"] = [
                (_at(at), cid, 1)
                for at, cid in self._query("SELECT opened_at, case_id FROM {cases}")
            ]
            self._cache["sessions"] = [
                (_at(at), cid, 1)
                for at, cid in self._query(
                    "SELECT held_at, case_id FROM {sessions} WHERE status = 'held' "
                    "AND held_at IS NOT NULL"
                )
            ]
            by_state: dict[str, list[Fact]] = {}
            for state, at, cid in self._query(
                "SELECT state, entered_at, case_id FROM {spells} WHERE entry = 1"
            ):
                by_state.setdefault(state, []).append((_at(at), cid, 1))
            self._cache["entries"] = by_state
            for facts in (self._cache["opened"], self._cache["sessions"], *by_state.values()):
                facts.sort()
            return
        opened: list[Fact] = [
            (_at(at), cid, 1) for cid, at in self._rows("cases", ["case_id", "opened_at"])
        ]
        sessions: list[Fact] = [
            (_at(at), cid, 1)
            for cid, status, at in self._rows("sessions", ["case_id", "status", "held_at"])
            if status == "held" and at is not None
        ]
        entries: dict[str, list[Fact]] = {}
        for cid, state, at, _left, entry, _open in self._spells():
            if entry:
                entries.setdefault(state, []).append((_at(at), cid, 1))
        for facts in (opened, sessions, *entries.values()):
            facts.sort()
        self._cache["opened"] = opened
        self._cache["sessions"] = sessions
        self._cache["entries"] = entries

    def case_facts(self) -> Sequence[CaseFact]:
        """Each case's facts, from the cases table (in the order the log opened them)."""
        if "case_facts" not in self._cache:
            rows = self._rows(
                "cases",
                ["case_id", "programme", "opened_at", "last_at", "is_open", "planned_sessions"],
                ordered=True,
            )
            facts = [
                CaseFact(cid, prog, _at(o), _at(last), bool(is_open), planned)
                for cid, prog, o, last, is_open, planned in rows
            ]
            self._cache["case_facts"] = tuple(facts)
        found: Sequence[CaseFact] = self._cache["case_facts"]
        return found

    def latest(self) -> datetime:
        """The latest event's time, of any case or journal."""
        times = [r[0] for r in self._rows("cases", ["last_at"])]
        times += [r[0] for r in self._rows("journals", ["last_at"])]
        return _at(max(times)) if times else datetime.min

    def _spells_at(self, at: datetime) -> Iterable[tuple[str, int]]:
        """(state, open class) of each case's stay at ``at``."""
        w = stamp(at)
        for _cid, state, entered, left, _entry, is_open in self._spells():
            if entered <= w and (left is None or left > w):
                yield state, is_open

    def states_at(self, at: datetime) -> dict[str, int]:
        """Cases in each state at ``at`` (SQL: a count over the spells holding ``at``)."""
        if self._sql:
            m = self.projection.backend.mark
            w = stamp(at)
            rows = self._query(
                f"SELECT state, count(*) FROM {{spells}} WHERE entered_at <= {m} "
                f"AND (left_at IS NULL OR left_at > {m}) GROUP BY state",
                (w, w),
            )
            return {state: int(n) for state, n in rows}
        counts: dict[str, int] = {}
        for state, _ in self._spells_at(at):
            counts[state] = counts.get(state, 0) + 1
        return counts

    def open_at(self, at: datetime) -> int:
        """Cases in an open-class state at ``at``."""
        if self._sql:
            m = self.projection.backend.mark
            w = stamp(at)
            rows = self._query(
                f"SELECT count(*) FROM {{spells}} WHERE entered_at <= {m} "
                f"AND (left_at IS NULL OR left_at > {m}) AND is_open_class = 1",
                (w, w),
            )
            return int(rows[0][0])
        return sum(1 for _, is_open in self._spells_at(at) if is_open)

    def state_days(self, until: datetime) -> dict[str, list[float]]:
        """Per state, each case's days in it up to ``until``, from the spells."""
        w = stamp(until)
        per_case: dict[tuple[str, str], timedelta] = {}
        for cid, state, entered, left, _entry, _open in self._spells():
            if entered > w:
                continue
            stop = until if left is None or left > w else _at(left)
            key = (cid, state)
            per_case[key] = per_case.get(key, _ZERO) + (stop - _at(entered))
        out: dict[str, list[float]] = {}
        for (_, state), spent in per_case.items():
            out.setdefault(state, []).append(spent / _DAY)
        return out
