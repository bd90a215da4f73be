"""The counts a projection computes in the database equal the replayed dataset's, on every store.

Random stations (cases moving between any states, back and forth, suspended and reopened, at
times with microseconds; held sessions; activities of every kind with volunteers' hours;
hours outside activities) are written to a memory, SQLite and PostgreSQL store; every fact
method the indicators read (counts by period and by calendar month, cases by state at a
moment, days per state, sessions per case, hours per volunteer) and the indicators themselves
must give from ``Projection(store).dataset()`` exactly what ``Dataset.from_store(store)``
gives.  A district of two stations must give what one store holding both gives.
"""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from casework import STANDARD, Client, SessionRecord
from casework.events import Event
from casework.journal import Journal
from casework.reporting import (
    Activity,
    Dataset,
    Period,
    Volunteer,
    VolunteerHours,
    VolunteerService,
    VolunteerTeam,
    activities_by_kind,
    case_flow,
    cases_by_state,
    monthly,
    person_times,
    sessions_per_case,
    time_in_state,
    volunteer_hours,
)
from casework.reporting.dataset import ActivityTotals
from casework.reporting.district import District
from casework.reporting.labels import ACTIVITY_KINDS
from casework.reporting.projections import Projection
from casework.store import MemoryStore, SQLiteStore
from projection_stores import DSN_VAR, postgres_dsn

T0 = datetime(2022, 11, 1, 9)
STATES = [s.name for s in STANDARD.states]
KINDS = [*ACTIVITY_KINDS, "other"]
DAY_US = 86_400_000_000


KINDS_OF_STORE: list[Any] = [
    "memory",
    "sqlite",
    pytest.param(
        "postgres",
        marks=pytest.mark.skipif(postgres_dsn() is None, reason=f"no PostgreSQL at {DSN_VAR}"),
    ),
]


@contextmanager
def opened(kind: str) -> Iterator[Any]:
    """A fresh, empty store of ``kind``, dropped afterwards."""
    if kind == "memory":
        yield MemoryStore()
        return
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            store = SQLiteStore(Path(folder) / "cases.db")
            try:
                yield store
            finally:
                store.close()
        return
    import psycopg

    from casework.store.postgres import PostgresStore

    dsn = postgres_dsn()
    assert dsn is not None
    schema = "casework_counts_" + uuid.uuid4().hex[:12]
    store = PostgresStore(dsn, schema=schema)
    try:
        yield store
    finally:
        store.close()
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


# --- random stations ---------------------------------------------------------------------

#: (days, microseconds) after the previous event; the state the event leaves the case in; and
#: whether the event is a held session instead (the case staying where it is).
moves = st.lists(
    st.tuples(
        st.integers(0, 60),
        st.integers(0, DAY_US - 1),
        st.sampled_from(STATES),
        st.booleans(),
    ),
    max_size=8,
)
cases = st.lists(
    st.tuples(
        st.integers(0, 500), st.integers(0, DAY_US - 1), moves, st.sampled_from([None, "p1"])
    ),
    max_size=8,
)
#: (day, kind, participants, [(volunteer, half hours)]) of each activity.
activities = st.lists(
    st.tuples(
        st.integers(0, 500),
        st.sampled_from(KINDS),
        st.integers(0, 150),
        st.lists(st.tuples(st.integers(0, 4), st.integers(1, 8)), max_size=3),
    ),
    max_size=8,
)
#: (day, volunteer, half hours) of hours outside activities.
services = st.lists(
    st.tuples(st.integers(0, 500), st.integers(0, 4), st.integers(1, 8)), max_size=4
)


def case_events(i: int, start: int, micro: int, steps: Any, programme: str | None) -> list[Event]:
    """The events of one generated case (written as recorded: replay checks no transition)."""
    case_id = f"G{i}"
    when = T0 + timedelta(days=start, microseconds=micro)
    client = Client(f"{case_id}-c", f"P{i}", date(2012, 1, 1))
    opened = {"client": client, "programme": programme, "lifecycle": STANDARD.id}
    events = [Event(case_id, 1, "case_opened", when, "wu", "referral", "open", opened)]
    state, sessions = "referral", 0
    for days, us, target, session in steps:
        when += timedelta(days=days, microseconds=us)
        n = len(events) + 1
        if session:
            sessions += 1
            record = {"session": SessionRecord(sessions, held_at=when)}
            events.append(
                Event(case_id, n, "session_recorded", when, "wu", state, "record", record)
            )
        else:
            state = target
            events.append(Event(case_id, n, "moved", when, "wu", state, "move", {}))
    return events


def journal(acts: Any, hours: Any) -> Journal:
    """A station journal: two teams, five volunteers, the activities and the hours."""
    j = Journal.open("j", station="s", at=T0, by="x")
    for t in ("t1", "t2"):
        j.record("team_registered", at=T0, by="x", team=VolunteerTeam(t, t))
    for v in range(5):
        volunteer = Volunteer(f"v{v}", ("t1", "t2", None)[v % 3])
        j.record("volunteer_registered", at=T0, by="x", volunteer=volunteer)
    for k, (day, kind, people, listed_hours) in enumerate(acts):
        on = (T0 + timedelta(days=day)).date()
        listed = [VolunteerHours(f"v{v}", h / 2) for v, h in dict(listed_hours).items()]
        activity = Activity(f"a{k}", kind, on, "t", "p", people, "p1", listed)
        j.record("activity_recorded", at=T0, by="x", activity=activity)
    for day, v, h in hours:
        service = VolunteerService(f"v{v}", (T0 + timedelta(days=day)).date(), h / 2, "p1")
        j.record("volunteer_hours_recorded", at=T0, by="x", service=service)
    return j


def fill(store: Any, shapes: Any, acts: Any, hours: Any, first: int = 0) -> None:
    """``store`` holding the generated cases (numbered from ``first``) and journal."""
    store.append(list(journal(acts, hours).history), expected_version=0)
    for i, (start, micro, steps, programme) in enumerate(shapes, start=first):
        store.append(case_events(i, start, micro, steps, programme), expected_version=0)


PERIODS = [
    None,
    Period.year(2023),
    Period(date(2022, 11, 1), date(2024, 4, 1)),
    *(Period.month(2023, m) for m in (1, 6, 12)),
    Period(date(2023, 2, 14), date(2023, 3, 2)),
]


def facts(ds: Dataset, when: datetime) -> dict[str, Any]:
    """Every fact method's answer the indicators read, for several periods."""
    out: dict[str, Any] = {
        "latest": ds.latest(),
        "states_at": ds.states_at(when),
        "open_at": ds.open_at(when),
        "state_days": ds.state_days(when),
        "state_days_some": ds.state_days(when, ["intake", "suspended", "closed"]),
        "state_days_none": ds.state_days(when, []),
    }
    for period in PERIODS:
        key = str(period)
        out[f"opened {key}"] = ds.opened_count(period)
        out[f"held {key}"] = ds.held_count(period)
        out[f"held_per_case {key}"] = ds.held_per_case(period)
        out[f"activities {key}"] = ds.activity_totals(period)
        out[f"hours {key}"] = ds.hours_by_volunteer(period)
        for state in STATES:
            out[f"entered {state} {key}"] = ds.entered_count(state, period)
    return out


INDICATORS: list[Callable[[Dataset, datetime], Any]] = [
    lambda d, w: case_flow(d, Period.year(2023)),
    cases_by_state,
    lambda d, w: sessions_per_case(d, Period.year(2023)),
    lambda d, w: person_times(d, Period.year(2023)),
    lambda d, w: activities_by_kind(d, None),
    lambda d, w: volunteer_hours(d, Period.year(2023), by="team"),
    lambda d, w: volunteer_hours(d, None, by="volunteer"),
    time_in_state,
    lambda d, w: time_in_state(d),
    lambda d, w: monthly(d, Period(date(2022, 11, 1), date(2024, 4, 1))),
]

when_offsets = st.tuples(st.integers(0, 600), st.integers(0, DAY_US - 1))


def _settings(kind: str) -> Any:
    return settings(
        max_examples=6 if kind == "postgres" else 15,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )


@pytest.mark.parametrize("kind", KINDS_OF_STORE)
def test_projected_counts_equal_the_replayed_ones(kind: str) -> None:
    """Every fact method and indicator: the projection's answer is the replay path's."""

    @_settings(kind)
    @given(cases, activities, services, when_offsets)
    def check(shapes: Any, acts: Any, hours: Any, offset: tuple[int, int]) -> None:
        when = T0 + timedelta(days=offset[0], microseconds=offset[1])
        with opened(kind) as store:
            fill(store, shapes, acts, hours)
            replayed = Dataset.from_store(store)
            projected = Projection(store).dataset()
            assert facts(projected, when) == facts(replayed, when)
            for indicator in INDICATORS:
                assert indicator(projected, when) == indicator(replayed, when)

    check()


@pytest.mark.parametrize("kind", KINDS_OF_STORE)
def test_a_district_of_two_stations_counts_what_one_store_of_both_does(kind: str) -> None:
    """Stations in two stores (one projected, one replayed): the district's counts add up."""

    @_settings(kind)
    @given(cases, cases, activities, services, when_offsets)
    def check(first: Any, second: Any, acts: Any, hours: Any, offset: tuple[int, int]) -> None:
        when = T0 + timedelta(days=offset[0], microseconds=offset[1])
        with opened(kind) as a, opened(kind) as both:
            b = MemoryStore()
            fill(a, first, acts, hours)
            fill(b, second, [], [], first=len(first))
            fill(both, first, acts, hours)
            for i, (start, micro, steps, programme) in enumerate(second, start=len(first)):
                both.append(case_events(i, start, micro, steps, programme), expected_version=0)
            district = District({"a": Projection(a).dataset(), "b": Dataset.from_store(b)})
            whole = Dataset.from_store(both)
            assert facts(district.dataset(), when) == facts(whole, when)
            for indicator in INDICATORS:
                assert indicator(district.dataset(), when) == indicator(whole, when)

    check()


def test_a_count_by_month_is_the_count_of_that_month() -> None:
    """Hand-checked: two cases, one closed twice in March, one session in each month."""
    store = MemoryStore()
    with tempfile.TemporaryDirectory() as folder:
        sql = SQLiteStore(Path(folder) / "c.db")
        steps = [
            (31, 0, "closed", False),  # 1 March 2023 09:00 (opened 29 January)
            (1, 0, "intake", False),
            (1, 0, "closed", False),  # closed again in March: one case
            (30, 0, "intake", True),  # a session held on 2 April, still closed
        ]
        for target in (store, sql):
            target.append(case_events(0, 89, 0, steps, None), expected_version=0)
            target.append(case_events(1, 89, 5, [], None), expected_version=0)
        for ds in (Dataset.from_store(store), Projection(sql).dataset()):
            assert ds.opened_count(Period.month(2023, 1)) == 2
            assert ds.entered_count("closed", Period.month(2023, 3)) == 1
            assert ds.entered_count("intake", Period.month(2023, 3)) == 1
            assert ds.held_count(Period.month(2023, 4)) == 1
            assert ds.held_count(Period.month(2023, 3)) == 0
            days = ds.state_days(datetime(2023, 3, 3, 9), ["referral", "intake"])
            assert days == {"referral": [31.0, (33 * DAY_US - 5) / DAY_US], "intake": [1.0]}
        sql.close()


def test_activity_totals_add_up_by_kind() -> None:
    """Two stations' totals of one kind add as counts, people and hours."""
    assert ActivityTotals(1, 10, 1.5) + ActivityTotals(2, 5, 2.0) == ActivityTotals(3, 15, 3.5)
