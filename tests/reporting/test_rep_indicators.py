"""Indicators against a hand-counted station, plus properties over generated ones.

The fixture below is written so every expected figure can be counted by eye; the comments
next to each case and activity say what it contributes.
"""

from __future__ import annotations

import tempfile
import uuid
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from casework import STANDARD, Client, SessionPlan, SessionRecord
from casework.case import Case
from casework.events import Event
from casework.journal import Journal
from casework.reporting import (
    MEASURES,
    Activity,
    Dataset,
    Period,
    PlannedOutputs,
    Project,
    Volunteer,
    VolunteerHours,
    VolunteerService,
    VolunteerTeam,
    activities_by_kind,
    case_flow,
    cases_by_state,
    completion,
    monthly,
    person_times,
    record_activity,
    record_volunteer_hours,
    register,
    sessions_per_case,
    time_in_state,
    volunteer_hours,
)
from casework.reporting.indicators import quantile
from casework.reporting.projections import Projection
from casework.store import MemoryStore, SQLiteStore

Y2023 = Period.year(2023)


def at(month: int, day: int, year: int = 2023) -> datetime:
    """09:00 on the day: every event of the fixture happens at 09:00, so gaps are whole days."""
    return datetime(year, month, day, 9, 0)


def build_case(
    case_id: str, steps: list[tuple[datetime, str, str, dict[str, Any]]], programme: str | None
) -> Case:
    """A case from (time, event type, state after, payload) steps; the first opens it."""
    client = Client(f"{case_id}-c", f"P{case_id}", date(2012, 1, 1))
    first_at = steps[0][0]
    events = [
        Event(
            case_id,
            1,
            "case_opened",
            first_at,
            "wu",
            "referral",
            "open",
            {"client": client, "programme": programme, "lifecycle": STANDARD.id, "worker": "wu"},
        )
    ]
    for when, kind, state, payload in steps[1:]:
        events.append(Event(case_id, len(events) + 1, kind, when, "wu", state, kind, payload))
    return Case.replay(events, STANDARD)


def held(n: int, when: datetime) -> tuple[datetime, str, str, dict[str, Any]]:
    return (when, "session_recorded", "intervention", {"session": SessionRecord(n, held_at=when)})


def plan(n: int, when: datetime) -> tuple[datetime, str, str, dict[str, Any]]:
    return (when, "plan_set", "planning", {"plan": SessionPlan(sessions=n)})


def station_cases() -> list[Case]:
    """Five cases: A, B, C, E opened in 2023, D in December 2022."""
    a = build_case(  # A (p1): 4 sessions held (Feb x3, Mar x1) + 1 no-show; closed 10 April
        "A",
        [
            (at(1, 10), "case_opened", "referral", {}),
            (at(1, 12), "screening_started", "screening", {}),
            (at(1, 15), "admitted", "intake", {}),
            (at(1, 20), "assessment_started", "assessment", {}),
            (at(2, 1), "planning_started", "planning", {}),
            plan(10, at(2, 1)),
            (at(2, 5), "intervention_started", "intervention", {}),
            held(1, at(2, 10)),
            held(2, at(2, 17)),
            held(3, at(2, 24)),
            held(4, at(3, 3)),
            (
                at(3, 10),
                "session_recorded",
                "intervention",
                {"session": SessionRecord(5, "no_show", scheduled_at=at(3, 10))},
            ),
            (at(4, 1), "evaluation_started", "evaluation", {}),
            (at(4, 10), "closed", "closed", {"reason": "goals met"}),
        ],
        "p1",
    )
    b = build_case(  # B (p1): referral 2 days, screening 2 days, withdrawn 5 February
        "B",
        [
            (at(2, 1), "case_opened", "referral", {}),
            (at(2, 3), "screening_started", "screening", {}),
            (at(2, 5), "withdrawn", "withdrawn", {"reason": "moved away"}),
        ],
        "p1",
    )
    c = build_case(  # C (p2): 2 sessions (15 Mar, 15 Apr); still in intervention at year end
        "C",
        [
            (at(3, 1), "case_opened", "referral", {}),
            (at(3, 2), "screening_started", "screening", {}),
            (at(3, 5), "admitted", "intake", {}),
            (at(3, 6), "assessment_started", "assessment", {}),
            (at(3, 10), "planning_started", "planning", {}),
            plan(5, at(3, 10)),
            (at(3, 11), "intervention_started", "intervention", {}),
            held(1, at(3, 15)),
            held(2, at(4, 15)),
        ],
        "p2",
    )
    d = build_case(  # D (no project): opened 20 Dec 2022, screened out 5 Jan 2023 (16 days)
        "D",
        [
            (at(12, 20, 2022), "case_opened", "referral", {}),
            (at(1, 5), "screened_out", "screened_out", {"reason": "not eligible"}),
        ],
        None,
    )
    e = build_case(  # E (no project): 1 session (10 May); closed 25 May, reopened, closed 20 June
        "E",
        [
            (at(5, 1), "case_opened", "referral", {}),
            (at(5, 2), "screening_started", "screening", {}),
            (at(5, 3), "admitted", "intake", {}),
            (at(5, 4), "assessment_started", "assessment", {}),
            (at(5, 5), "planning_started", "planning", {}),
            plan(3, at(5, 5)),
            (at(5, 6), "intervention_started", "intervention", {}),
            held(1, at(5, 10)),
            (at(5, 20), "intervention_ended_early", "evaluation", {"reason": "moving"}),
            (at(5, 25), "closed", "closed", {"reason": "ended"}),
            (at(6, 1), "reopened", "intake", {"reason": "back"}),
            (at(6, 20), "closed", "closed", {"reason": "ended"}),
        ],
        None,
    )
    return [a, b, c, d, e]


def station_journal() -> Journal:
    """Two projects, two teams, three volunteers, three activities (one in 2024), 4 hours."""
    j = Journal.open("station", station="石桥镇社工站", at=at(1, 1), by="feng")
    whole_2023 = {"start": date(2023, 1, 1), "end": date(2023, 12, 31)}
    register(
        j,
        Project(
            "p1",
            "暖心守护·成长明天",
            "child_care",
            **whole_2023,
            planned=PlannedOutputs(cases=4, sessions_per_case=10, activities=4),
        ),
        at=at(1, 1),
        by="feng",
    )
    register(
        j,
        Project(
            "p2",
            "情暖夕阳·耆乐无穷",
            "elderly_services",
            **whole_2023,
            planned=PlannedOutputs(cases=2),
        ),
        at=at(1, 1),
        by="feng",
    )
    register(j, VolunteerTeam("t1", "向阳花开"), at=at(1, 1), by="feng")
    register(j, VolunteerTeam("t2", "红色物业"), at=at(1, 1), by="feng")
    register(j, Volunteer("v1", "t1"), at=at(1, 1), by="feng")
    register(j, Volunteer("v2", "t1"), at=at(1, 1), by="feng")
    register(j, Volunteer("v3", "t2"), at=at(1, 1), by="feng")
    # 10 May: free clinic, 60 people, v1 3 h + v2 2 h (p1)
    record_activity(
        j,
        Activity(
            "act1",
            "free_clinic",
            date(2023, 5, 10),
            "光明视界 睛彩济宁",
            "北王三村",
            60,
            "p1",
            [VolunteerHours("v1", 3), VolunteerHours("v2", 2)],
        ),
        by="feng",
    )
    # 20 May: free haircut, 25 people, v1 2 h (p1)
    record_activity(
        j,
        Activity(
            "act2",
            "free_haircut",
            date(2023, 5, 20),
            "义剪",
            "石桥镇",
            25,
            "p1",
            [VolunteerHours("v1", 2)],
        ),
        by="feng",
    )
    # 1 June: v3 4 h outside any activity (p1)
    record_volunteer_hours(j, VolunteerService("v3", date(2023, 6, 1), 4, "p1"), by="feng")
    # 5 January 2024 (outside 2023): health talk, 40 people, v3 1.5 h
    record_activity(
        j,
        Activity(
            "act3",
            "health_consultation",
            date(2024, 1, 5),
            "健康咨询",
            "石桥镇",
            40,
            None,
            [VolunteerHours("v3", 1.5)],
        ),
        by="feng",
    )
    return j


def stored(store: Any, cases: list[Case], journals: list[Journal]) -> Any:
    """``store`` holding the events of ``cases`` and ``journals``."""
    for stream in (*journals, *cases):
        store.append(list(stream.history), expected_version=0)
    return store


def projected(kind: str, cases: list[Case], journals: list[Journal], folder: Path) -> Dataset:
    """The dataset a projection of a ``kind`` store of ``cases`` and ``journals`` reads."""
    store = MemoryStore() if kind == "memory" else SQLiteStore(folder / f"{uuid.uuid4().hex}.db")
    return Projection(stored(store, cases, journals)).dataset()


@pytest.fixture(scope="module", params=["replayed", "memory", "sqlite"])
def ds(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Dataset:
    """The hand-counted station: replayed, and read from the fact tables of two stores."""
    cases, journals = station_cases(), [station_journal()]
    if request.param == "replayed":
        return Dataset(cases, journals)
    return projected(request.param, cases, journals, tmp_path_factory.mktemp("proj"))


def test_case_flow_2023(ds: Dataset) -> None:
    """Opened A, B, C, E (D was 2022); closed A and E (E twice: once); withdrawn B; open C."""
    flow = {r["measure"]: r["cases"] for r in case_flow(ds, Y2023).rows}
    assert flow == {"opened": 4, "closed": 2, "withdrawn": 1, "open_at_end": 1}


def test_cases_by_state_at_a_moment(ds: Dataset) -> None:
    """At noon on 1 March: A in intervention, B withdrawn, C referral, D screened out."""
    table = cases_by_state(ds, datetime(2023, 3, 1, 12))
    counts = {r["state"]: r["cases"] for r in table.rows if r["cases"]}
    assert counts == {"intervention": 1, "withdrawn": 1, "referral": 1, "screened_out": 1}
    assert [r["state"] for r in table.rows][:2] == ["referral", "screening"]  # definition order


def test_cases_by_state_before_anything_is_empty(ds: Dataset) -> None:
    assert sum(r["cases"] for r in cases_by_state(ds, date(2022, 1, 1)).rows) == 0


def test_sessions_per_case_and_in_all(ds: Dataset) -> None:
    """A 4 (the no-show does not count), C 2, E 1: 7 in all; B and D none."""
    table = sessions_per_case(ds, Y2023)
    by_case = {r["case_id"]: r["sessions_held"] for r in table.rows}
    assert by_case == {"A": 4, "B": 0, "C": 2, "D": 0, "E": 1, None: 7}
    assert table.row(case_id="A")["sessions_planned"] == 10
    assert table.row(case_id=None)["sessions_planned"] == 10 + 5 + 3


def test_person_times(ds: Dataset) -> None:
    """7 sessions + 60 at the clinic + 25 at the haircut = 92 (the 2024 talk is outside)."""
    rows = {r["source"]: r["person_times"] for r in person_times(ds, Y2023).rows}
    assert rows == {
        "sessions": 7,
        "activity:free_clinic": 60,
        "activity:free_haircut": 25,
        "total": 92,
    }
    assert MEASURES["person_times"](ds, None) == 7 + 60 + 25 + 40


def test_activities_by_kind(ds: Dataset) -> None:
    table = activities_by_kind(ds, Y2023)
    assert table.row(kind="total") == {
        "kind": "total",
        "activities": 2,
        "participants": 85,
        "volunteer_hours": 7.0,
    }


def test_volunteer_hours_by_volunteer_and_team(ds: Dataset) -> None:
    """v1 3+2, v2 2, v3 4 (outside activities): t1 7 h by 2 people, t2 4 h by 1; 11 in all."""
    by_person = volunteer_hours(ds, Y2023, by="volunteer")
    assert {r["volunteer_id"]: r["hours"] for r in by_person.rows} == {
        "v1": 5.0,
        "v2": 2.0,
        "v3": 4.0,
        None: 11.0,
    }
    by_team = volunteer_hours(ds, Y2023, by="team")
    assert by_team.rows == [
        {"team": "t1", "volunteers": 2, "hours": 7.0},
        {"team": "t2", "volunteers": 1, "hours": 4.0},
        {"team": "total", "volunteers": 3, "hours": 11.0},
    ]
    assert MEASURES["volunteer_hours"](ds, Y2023) == 11.0


def test_completion_against_planned_outputs(ds: Dataset) -> None:
    """p1: cases A, B of 4; sessions A's 4 of 4 x 10; activities 2 of 4.  p2: C of 2."""
    rows = {(r["project"], r["output"]): (r["actual"], r["planned"]) for r in completion(ds).rows}
    assert rows == {
        ("p1", "cases"): (2, 4),
        ("p1", "sessions"): (4, 40),
        ("p1", "activities"): (2, 4),
        ("p2", "cases"): (1, 2),
    }
    assert completion(ds).row(project="p1", output="sessions")["rate"] == pytest.approx(0.1)


def test_time_in_state_distribution(ds: Dataset) -> None:
    """Referral: A 2, B 2, C 1, D 16, E 1 days -> mean 4.4, median 2, quartiles 1 and 2."""
    row = time_in_state(ds, datetime(2023, 12, 31)).row(state="referral")
    assert row["n"] == 5
    assert row["mean_days"] == pytest.approx(4.4)
    assert (row["q1_days"], row["median_days"], row["q3_days"], row["max_days"]) == (1, 2, 2, 16)
    # E entered intake twice (3 May for 1 day, 1 June for 19 days): one value of 20 days
    intake = time_in_state(ds, datetime(2023, 12, 31)).row(state="intake")
    assert intake["max_days"] == pytest.approx(20)
    states = {r["state"] for r in time_in_state(ds).rows}
    assert "closed" not in states and "withdrawn" not in states


def test_time_in_state_stops_at_as_of(ds: Dataset) -> None:
    """At 09:00 on 11 January: D spent 16 days in referral, A 1 day so far; nobody else."""
    row = time_in_state(ds, datetime(2023, 1, 11, 9)).row(state="referral")
    assert row["n"] == 2
    assert row["max_days"] == pytest.approx(16)  # D left referral on 5 January


def test_monthly_series(ds: Dataset) -> None:
    table = monthly(ds, Y2023)
    col = {k: table.column(k) for k in ("opened", "closed", "sessions", "participants")}
    assert col["opened"] == [1, 1, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0]
    assert col["closed"] == [0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0]
    assert col["sessions"] == [0, 3, 2, 1, 1, 0, 0, 0, 0, 0, 0, 0]
    assert col["participants"][4] == 85
    assert table.column("month")[0] == "2023-01"


def test_quantile_matches_linear_interpolation() -> None:
    assert quantile([1.0, 2.0, 3.0, 4.0], 0.25) == pytest.approx(1.75)
    assert quantile([5.0], 0.75) == 5.0


def test_period_months_follow_the_calendar() -> None:
    months = list(Period(date(2024, 1, 15), date(2024, 3, 10)).months())
    assert [m.name for m in months] == [
        "2024-01-15..2024-01-31",
        "2024-02",
        "2024-03-01..2024-03-09",
    ]
    assert Period.month(2024, 2).end == date(2024, 3, 1)  # leap year: 29 days
    assert at(12, 31, 2023) in Y2023 and datetime(2024, 1, 1) not in Y2023


# --- properties ------------------------------------------------------------------------------

PATH = [
    "referral",
    "screening",
    "intake",
    "assessment",
    "planning",
    "intervention",
    "evaluation",
    "closed",
]
EVENT = {
    "screening": "screening_started",
    "intake": "admitted",
    "assessment": "assessment_started",
    "planning": "planning_started",
    "intervention": "intervention_started",
    "evaluation": "evaluation_started",
    "closed": "closed",
}
T0 = datetime(2022, 11, 1, 9)

case_shapes = st.lists(
    st.tuples(
        st.integers(0, 500),  # opened this many days after T0
        st.lists(st.integers(0, 40), max_size=7),  # gaps (days) before each next state
        st.lists(st.integers(0, 30), max_size=6),  # held sessions: days into the intervention
    ),
    max_size=12,
)
activity_shapes = st.lists(st.tuples(st.integers(0, 500), st.integers(0, 200)), max_size=10)


def generated(
    shapes: list[tuple[int, list[int], list[int]]], acts: list[tuple[int, int]]
) -> Dataset:
    cases = []
    for i, (start, gaps, sessions) in enumerate(shapes):
        when = T0 + timedelta(days=start)
        steps: list[tuple[datetime, str, str, dict[str, Any]]] = [
            (when, "case_opened", "referral", {})
        ]
        for state, gap in zip(PATH[1:], gaps, strict=False):
            when += timedelta(days=gap)
            steps.append((when, EVENT[state], state, {}))
            if state == "intervention":
                for n, day in enumerate(sorted(sessions), start=1):
                    steps.append(held(n, when + timedelta(days=day)))
                when = steps[-1][0]
        cases.append(build_case(f"G{i}", steps, None))
    j = Journal.open("j", station="s", at=T0, by="x")
    for k, (day, people) in enumerate(acts):
        j.record(
            "activity_recorded",
            at=T0,
            by="x",
            activity=Activity(
                f"a{k}", "other", (T0 + timedelta(days=day)).date(), "t", "p", people
            ),
        )
    return Dataset(cases, [j])


@settings(max_examples=40, deadline=None)
@given(case_shapes, st.integers(0, 520))
def test_cases_by_state_sum_to_cases_opened_by_then(shapes: Any, offset: int) -> None:
    ds = generated(shapes, [])
    when = T0 + timedelta(days=offset, hours=3)
    total = sum(r["cases"] for r in cases_by_state(ds, when).rows)
    assert total == sum(1 for c in ds.cases if c.opened_at <= when)


@settings(max_examples=40, deadline=None)
@given(case_shapes, activity_shapes)
def test_person_times_are_sessions_plus_participants_and_months_add_up(
    shapes: Any, acts: Any
) -> None:
    ds = generated(shapes, acts)
    period = Period(date(2022, 11, 1), date(2024, 4, 1))
    row = person_times(ds, period).row(source="total")
    assert row["person_times"] == MEASURES["sessions"](ds, period) + MEASURES["participants"](
        ds, period
    )
    series = monthly(ds, period)
    for key in ("opened", "sessions", "activities", "participants", "person_times"):
        assert sum(series.column(key)) == MEASURES[key](ds, period)


@settings(max_examples=30, deadline=None)
@given(case_shapes, activity_shapes, st.integers(0, 520), st.sampled_from(["memory", "sqlite"]))
def test_indicators_from_fact_tables_equal_the_replayed_ones(
    shapes: Any, acts: Any, offset: int, kind: str
) -> None:
    """Random stations: every indicator from a projection equals the replay path's."""
    made = generated(shapes, acts)
    with tempfile.TemporaryDirectory() as folder:
        other = projected(kind, list(made.cases), list(made.journals), Path(folder))
        ds = Dataset.from_store(other.projection.store)  # today's path over the same store
        when = T0 + timedelta(days=offset, hours=3)
        period = Period(date(2022, 11, 1), date(2024, 4, 1))
        for indicator in (
            lambda d: case_flow(d, period),
            case_flow,
            lambda d: cases_by_state(d, when),
            cases_by_state,
            lambda d: sessions_per_case(d, period),
            lambda d: person_times(d, period),
            lambda d: activities_by_kind(d, period),
            lambda d: volunteer_hours(d, period),
            lambda d: completion(d, period),
            lambda d: time_in_state(d, when),
            time_in_state,
            lambda d: monthly(d, period),
        ):
            assert indicator(other) == indicator(ds)
        other.projection.store.close()
