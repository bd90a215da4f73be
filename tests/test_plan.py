"""Session plans expanded by dateutil's rrule, and session records."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from dateutil import rrule
from hypothesis import given
from hypothesis import strategies as st

from casework import InvalidValue, SessionPlan, SessionRecord, SessionStatus


def test_weekly_on_saturdays_from_a_start_date() -> None:
    plan = SessionPlan.recurring(date(2023, 3, 22), byweekday=rrule.SA)  # a Wednesday
    assert plan.sessions == 10
    assert plan.schedule[0] == datetime(2023, 3, 25)
    assert all(d.weekday() == 5 for d in plan.schedule)
    assert plan.schedule[-1] == datetime(2023, 5, 27)


@given(n=st.integers(1, 30), interval=st.integers(1, 3))
def test_schedule_length_matches_the_plan(n: int, interval: int) -> None:
    plan = SessionPlan.recurring(date(2023, 1, 1), sessions=n, interval=interval)
    assert len(plan.schedule) == n
    steps = {b - a for a, b in zip(plan.schedule, plan.schedule[1:], strict=False)}
    assert steps <= {timedelta(weeks=interval)}


def test_revision_adds_sessions_and_continues_the_schedule() -> None:
    plan = SessionPlan.recurring(date(2023, 3, 25), sessions=3, interval=2)
    bigger = plan.revised(5)
    assert bigger.sessions == 5
    assert bigger.schedule[:3] == plan.schedule
    assert bigger.schedule[3] - bigger.schedule[2] == timedelta(weeks=2)
    with pytest.raises(InvalidValue, match="adds sessions"):
        plan.revised(3)


@pytest.mark.parametrize("bad", [0, -1, 2.5, True, "10"])
def test_plan_size_must_be_a_positive_int(bad: object) -> None:
    with pytest.raises(InvalidValue, match=r"SessionPlan\.sessions"):
        SessionPlan(bad)  # type: ignore[arg-type]


def test_schedule_must_be_ordered_and_fit() -> None:
    with pytest.raises(InvalidValue, match="in order"):
        SessionPlan(2, schedule=[datetime(2023, 2, 1), datetime(2023, 1, 1)])
    with pytest.raises(InvalidValue, match="3 dates for a plan of 2"):
        SessionPlan(2, schedule=[datetime(2023, 1, d) for d in (1, 2, 3)])


def test_only_held_sessions_have_a_held_time() -> None:
    held = SessionRecord(1, held_at=date(2023, 3, 25), techniques="drawing_therapy")
    assert held.held and held.techniques == ("drawing_therapy",)
    assert held.when == datetime(2023, 3, 25)
    with pytest.raises(InvalidValue, match="needs the time"):
        SessionRecord(1)
    with pytest.raises(InvalidValue, match="no_show was not held"):
        SessionRecord(1, "no_show", held_at=date(2023, 3, 25))
    missed = SessionRecord(2, SessionStatus.NO_SHOW, scheduled_at=date(2023, 4, 1))
    assert not missed.held and missed.when == datetime(2023, 4, 1)


@pytest.mark.parametrize(
    ("kwargs", "where"),
    [
        ({"mode": "carrier pigeon"}, "SessionRecord.mode"),
        ({"status": "maybe"}, "SessionRecord.status"),
        ({"duration_minutes": 0}, "SessionRecord.duration_minutes"),
        ({"number": 0}, "SessionRecord.number"),
    ],
)
def test_bad_session_fields_are_named(kwargs: dict[str, object], where: str) -> None:
    base: dict[str, object] = {"number": 1, "held_at": date(2023, 3, 25)}
    with pytest.raises(InvalidValue) as info:
        SessionRecord(**{**base, **kwargs})  # type: ignore[arg-type]
    assert info.value.where == where
