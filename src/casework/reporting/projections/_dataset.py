"""A :class:`~casework.reporting.Dataset` read from fact tables instead of replayed cases.

Every indicator, measure and the yearly report take it as they take a replayed dataset: they
read cases only through the dataset's fact methods (``opened``, ``entries``,
``held_sessions``, ``activity_facts``, ``case_facts``, ``states_at``, ``open_at``,
``state_days``, ``latest`` and the counts ``opened_count``, ``entered_count``,
``held_count``, ``activity_totals``, ``hours_by_volunteer``), which here come from the tables,
so each indicator keeps its one definition.  With a SQL store the counts are SQL aggregations
(``count``, ``sum`` ... ``GROUP BY``) over indexed columns: only numbers leave the database,
and the days in each state only as one number per case and state.  The station's records come
from the few registration events; only the pre/post outcomes, which need each case's
assessments in full, replay the cases (on first use), and the journals are read on first use.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

from casework.case import Case
from casework.journal import Journal
from casework.lifecycle import Lifecycle
from casework.recording import EVENT_TYPES
from casework.reporting.dataset import ActivityTotals, CaseFact, Dataset, Fact
from casework.reporting.labels import state_labels
from casework.reporting.period import Period
from casework.reporting.projections._backends import SqlBackend
from casework.reporting.projections._facts import TABLES, micros, stamp
from casework.station import Activity, VolunteerHours, VolunteerService

__all__ = ["ProjectedDataset"]

_at = datetime.fromisoformat
_DAY = timedelta(days=1)
_ZERO = timedelta()
_US_PER_DAY = 86_400_000_000
_T = TypeVar("_T")


class ProjectedDataset(Dataset):
    """The facts of a :class:`~casework.reporting.projections.Projection`, as a dataset.

    Built by :meth:`Projection.dataset`; it reads the tables as they were when built (the
    projection caught up first).
    """

    def __init__(self, projection: Any) -> None:  # no super().__init__: nothing to replay
        self.projection = projection
        self._cache: dict[str, Any] = {}
        self._counts: dict[Any, Any] = {}
        self._records: dict[str, dict[str, Any]] = {t: {} for t in EVENT_TYPES}
        backend = projection.backend
        regs = backend.rows("registrations", ["position"])
        for ev in backend.events_at([r[0] for r in regs]):
            key, kind = EVENT_TYPES[ev.type]
            record: Any = ev.payload.get(key)
            expected: Any = kind
            if isinstance(record, expected):
                self._records[ev.type][record.id] = record
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

    @property
    def journals(self) -> tuple[Journal, ...]:  # type: ignore[override]  # read lazily here
        """The station journals, read from the store on first use (the outreach register
        needs them whole; the indicators read the tables).
        """
        if "journals" not in self._cache:
            store = self.projection.store
            self._cache["journals"] = tuple(
                store.journal(journal_id)
                for (journal_id,) in self._rows("journals", ["journal_id"])
            )
        found: tuple[Journal, ...] = self._cache["journals"]
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

    def _once(self, key: Any, compute: Callable[[], _T]) -> _T:
        """``compute()``, kept under ``key`` (a count asked twice is counted once)."""
        if key not in self._counts:
            self._counts[key] = compute()
        found: _T = self._counts[key]
        return found

    def _within(
        self, column: str, period: Period | None, *, days: bool = False
    ) -> tuple[str, list[Any]]:
        """`` AND column in period`` and its parameters (nothing for ``None``): times are
        compared as stamps, days (``days=True``) as ISO dates.
        """
        if period is None:
            return "", []
        m = self.projection.backend.mark
        if days:
            bounds: list[Any] = [period.start.isoformat(), period.end.isoformat()]
        else:
            bounds = [stamp(period.start_at), stamp(period.end_at)]
        return f" AND {column} >= {m} AND {column} < {m}", bounds

    # --- station records ------------------------------------------------------------------

    @property
    def services(self) -> tuple[VolunteerService, ...]:
        """Volunteer hours recorded outside activities, by date (from the hours table)."""
        if "services" not in self._cache:
            columns = ["activity_id", "volunteer", "on_day", "hours", "project", "description"]
            if self._sql:
                rows = self._query(
                    f"SELECT {', '.join(columns)} FROM {{volunteer_hours}} "
                    "WHERE activity_id IS NULL ORDER BY journal_id, seq, n"
                )
            else:
                rows = self._rows("volunteer_hours", columns, ordered=True)
            found = [
                VolunteerService(
                    volunteer, date.fromisoformat(on), hours, project, description or ""
                )
                for aid, volunteer, on, hours, project, description in (
                    self.projection.personal.open_rows("volunteer_hours", columns, rows)
                )
                if aid is None
            ]
            self._cache["services"] = tuple(sorted(found, key=lambda s: s.on))
        services: tuple[VolunteerService, ...] = self._cache["services"]
        return services

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
        """The lifecycles the cases follow (each the version of the first case opened)."""
        return self._once("lifecycles", self._lifecycles)

    def _lifecycles(self) -> tuple[Lifecycle, ...]:
        catalogue = self.projection.store.catalogue
        if self._sql:  # one row per lifecycle version, not one per case
            pairs = self._query(
                "SELECT lifecycle, lifecycle_version FROM {cases} "
                "GROUP BY lifecycle, lifecycle_version ORDER BY min(opened_position)"
            )
        else:
            pairs = self._rows("cases", ["lifecycle", "lifecycle_version"], ordered=True)
        found: dict[str, Lifecycle] = {}
        for lc, version in pairs:
            if lc not in found:
                found[lc] = catalogue.lifecycle(lc, version)
        if not found:
            return tuple(catalogue.lifecycles)
        return tuple(found.values())

    @property
    def state_labels(self) -> dict[str, Any]:
        """Labels of every state of the cases' lifecycles."""
        return self._once("state_labels", lambda: state_labels(self.lifecycles))

    # --- facts ------------------------------------------------------------------------------

    def held_per_case(self, period: Period | None = None) -> dict[str, int]:
        """Held sessions in ``period`` per case (SQL: a count grouped by case)."""
        if not self._sql:
            return super().held_per_case(period)
        where, params = self._within("held_at", period)
        rows = self._query(
            "SELECT case_id, count(*) FROM {sessions} WHERE status = 'held' "
            f"AND held_at IS NOT NULL{where} GROUP BY case_id",
            params,
        )
        return {cid: int(n) for cid, n in rows}

    def _facts(self, name: str) -> list[Fact]:
        """One list of dated facts, read from its table alone on first use."""
        if not self._sql:
            return super()._facts(name)
        if name not in self._cache:
            sql = {
                "opened": "SELECT opened_at, case_id FROM {cases}",
                "sessions": "SELECT held_at, case_id FROM {sessions} WHERE status = 'held' "
                "AND held_at IS NOT NULL",
            }[name]
            facts: list[Fact] = [(_at(at), cid, 1) for at, cid in self._query(sql)]
            facts.sort()  # the database filters; Python sorts (faster than SQLite's sorter)
            self._cache[name] = facts
        found: list[Fact] = self._cache[name]
        return found

    def _entries(self) -> dict[str, list[Fact]]:
        if not self._sql:
            return super()._entries()
        if "entries" not in self._cache:
            by_state: dict[str, list[Fact]] = {}
            for state, at, cid in self._query(
                "SELECT state, entered_at, case_id FROM {spells} WHERE entry = 1"
            ):
                by_state.setdefault(state, []).append((_at(at), cid, 1))
            for facts in by_state.values():
                facts.sort()
            self._cache["entries"] = by_state
        found: dict[str, list[Fact]] = self._cache["entries"]
        return found

    def _derive(self) -> None:  # the memory backend's tables, in Python
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
        if self._sql:
            times = [
                at
                for (at,) in self._query(
                    "SELECT max(last_at) FROM {cases} UNION ALL SELECT max(last_at) FROM {journals}"
                )
                if at is not None
            ]
        else:
            times = [r[0] for r in self._rows("cases", ["last_at"])]
            times += [r[0] for r in self._rows("journals", ["last_at"])]
        return _at(max(times)) if times else datetime.min

    def _spells_at(self, at: datetime) -> Iterable[tuple[str, int]]:
        """(state, open class) of each case's stay at ``at``."""
        w = stamp(at)
        for _cid, state, entered, left, _entry, is_open in self._spells():
            if entered <= w and (left is None or left > w):
                yield state, is_open

    def _holding(self, at: datetime, open_only: bool) -> list[tuple[Any, ...]]:
        """(state, cases) of the stays holding ``at`` (read from the ``stay`` index alone)."""
        m = self.projection.backend.mark
        w = stamp(at)
        only = " AND is_open_class = 1" if open_only else ""
        return self._query(
            f"SELECT state, count(*) FROM {{spells}} WHERE entered_at <= {m} "
            f"AND (left_at IS NULL OR left_at > {m}){only} GROUP BY state",
            (w, w),
        )

    def states_at(self, at: datetime) -> dict[str, int]:
        """Cases in each state at ``at`` (SQL: a count over the spells holding ``at``)."""
        if self._sql:
            return {state: int(n) for state, n in self._holding(at, False)}
        counts: dict[str, int] = {}
        for state, _ in self._spells_at(at):
            counts[state] = counts.get(state, 0) + 1
        return counts

    def open_at(self, at: datetime) -> int:
        """Cases in an open-class state at ``at``."""
        if self._sql:
            return sum(int(n) for _, n in self._holding(at, True))
        return sum(1 for _, is_open in self._spells_at(at) if is_open)

    def state_days(
        self, until: datetime, states: Iterable[str] | None = None
    ) -> dict[str, list[float]]:
        """Per state, each case's days in it up to ``until``, sorted (SQL: the times summed
        per case and state as whole microseconds, so exactly as the replayed path sums them).
        """
        wanted = None if states is None else list(dict.fromkeys(states))
        if not self._sql:
            return self._state_days_here(until, wanted)
        if wanted is not None and not wanted:
            return {}
        backend = self.projection.backend
        m = backend.mark
        w = stamp(until)
        stop = micros(until)
        # whole microseconds summed, then divided once: the float the replayed path's
        # timedelta division gives (both are the correctly rounded quotient)
        days = (
            f"CAST(sum(CASE WHEN left_us IS NULL OR left_us > {m} THEN {m} "
            f"ELSE left_us END - entered_us) AS {backend.real}) / {_US_PER_DAY}.0"
        )
        out: dict[str, list[float]] = {}
        if wanted is None:
            for state, spent in self._query(
                f"SELECT state, {days} FROM {{spells}} WHERE entered_at <= {m} "
                "GROUP BY state, case_id",
                (stop, stop, w),
            ):
                out.setdefault(state, []).append(spent)
        else:  # one query a state: only the numbers come back
            sql = (
                f"SELECT {days} FROM {{spells}} WHERE state = {m} AND entered_at <= {m} "
                "GROUP BY case_id"
            )
            for state in wanted:
                found = [spent for (spent,) in self._query(sql, (stop, stop, state, w))]
                if found:
                    out[state] = found
        for values in out.values():
            values.sort()
        return out

    def _state_days_here(self, until: datetime, wanted: list[str] | None) -> dict[str, list[float]]:
        """:meth:`state_days` over the spells in Python (the memory backend)."""
        w = stamp(until)
        keep = None if wanted is None else set(wanted)
        per_case: dict[tuple[str, str], timedelta] = {}
        for cid, state, entered, left, _entry, _open in self._spells():
            if entered > w or (keep is not None and state not in keep):
                continue
            stop = until if left is None or left > w else _at(left)
            key = (cid, state)
            per_case[key] = per_case.get(key, _ZERO) + (stop - _at(entered))
        out: dict[str, list[float]] = {}
        for (_, state), spent in per_case.items():
            out.setdefault(state, []).append(spent / _DAY)
        for days in out.values():
            days.sort()
        return out

    # --- counts -------------------------------------------------------------------------

    def _count(self, sql: str, params: Sequence[Any]) -> int:
        return int(self._query(sql, params)[0][0] or 0)

    def opened_count(self, period: Period | None = None) -> int:
        """Cases opened in ``period`` (SQL: a count over the index of opening times)."""
        if not self._sql:
            return super().opened_count(period)
        where, params = self._within("opened_at", period)
        sql = "SELECT count(*) FROM {cases} WHERE opened_at IS NOT NULL" + where
        return self._once(("opened_count", period), lambda: self._count(sql, params))

    def entered_count(self, state: str, period: Period | None = None) -> int:
        """Distinct cases entering ``state`` in ``period`` (SQL: a distinct count)."""
        if not self._sql:
            return super().entered_count(state, period)
        where, params = self._within("entered_at", period)
        m = self.projection.backend.mark
        sql = (
            f"SELECT count(DISTINCT case_id) FROM {{spells}} WHERE state = {m} AND entry = 1"
            + where
        )
        return self._once(
            ("entered_count", state, period), lambda: self._count(sql, [state, *params])
        )

    def held_count(self, period: Period | None = None) -> int:
        """Sessions held in ``period`` (SQL: a count over the index of held times)."""
        if not self._sql:
            return super().held_count(period)
        where, params = self._within("held_at", period)
        sql = (
            "SELECT count(*) FROM {sessions} WHERE status = 'held' AND held_at IS NOT NULL" + where
        )
        return self._once(("held_count", period), lambda: self._count(sql, params))

    def activity_totals(self, period: Period | None = None) -> dict[str, ActivityTotals]:
        """Activities by kind in ``period`` (SQL: counts and sums grouped by kind)."""
        if not self._sql:
            return super().activity_totals(period)
        where, params = self._within("on_day", period, days=True)
        sql = (
            "SELECT kind, count(*), sum(participants), sum(volunteer_hours) FROM {activities} "
            f"WHERE on_day IS NOT NULL{where} GROUP BY kind"
        )

        def totals() -> dict[str, ActivityTotals]:
            return {
                kind: ActivityTotals(int(n), int(people or 0), float(hours or 0.0))
                for kind, n, people, hours in self._query(sql, params)
            }

        return dict(self._once(("activity_totals", period), totals))

    def hours_by_volunteer(self, period: Period | None = None) -> dict[str, float]:
        """Each volunteer's hours in ``period`` (SQL: a sum grouped by volunteer)."""
        if not self._sql:
            return super().hours_by_volunteer(period)
        where, params = self._within("on_day", period, days=True)
        sql = (
            "SELECT volunteer, sum(hours) FROM {volunteer_hours} "
            f"WHERE on_day IS NOT NULL{where} GROUP BY volunteer"
        )
        return {v: float(h) for v, h in self._query(sql, params)}
