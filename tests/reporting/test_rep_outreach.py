"""Outreach indicators, against a hand-counted register, and in the yearly report."""

from __future__ import annotations

from datetime import date

import pytest

from casework import (
    STANDARD,
    Engine,
    OutreachVisit,
    Resident,
    open_from_visit,
    record_visit,
    register_resident,
)
from casework.journal import Journal
from casework.reporting.dataset import Dataset
from casework.reporting.html import yearly_report
from casework.reporting.ledger import YearReport
from casework.reporting.outreach import (
    outreach_summary,
    outreach_visits,
    overdue_by_rule,
    watch_on_time,
)
from casework.reporting.period import Period
from strategies import child

YEAR = Period.year(2023)


@pytest.fixture(scope="module")
def station() -> Dataset:
    """Three people under watch and four visits in 2023, one of which opened a case.

    王 (elderly living alone, every 30 days): visits 1 Feb, 1 Mar (needs meals), 15 Dec.
    朵朵 (child in difficulty, every 60): a visit on 10 Feb found a need; case SQ-1 opened on
    11 Feb and never screened.  李 (elderly living alone and disabled: every 30), registered
    1 June, never visited.
    """
    engine = Engine(STANDARD)
    j = Journal.open("j", station="shiqiao", at=date(2023, 1, 2), by="admin")
    reg = date(2023, 1, 5)
    register_resident(
        j, Resident("r-wang", "王", date(1944, 1, 1), {"elderly_living_alone"}, reg), by="li"
    )
    register_resident(
        j, Resident("r-duo", "朵朵", date(2013, 1, 1), {"child_in_difficulty"}, reg), by="li"
    )
    record_visit(j, OutreachVisit("v1", "r-wang", date(2023, 2, 1), "li"))
    record_visit(j, OutreachVisit("v2", "r-duo", date(2023, 2, 10), "li", needs={"emotional"}))
    case = open_from_visit(engine, j, "v2", "SQ-1", child(), at=date(2023, 2, 11), by="li")
    record_visit(j, OutreachVisit("v3", "r-wang", date(2023, 3, 1), "li", needs={"meals"}))
    li = Resident(
        "r-li",
        "李",
        date(1950, 1, 1),
        {"elderly_living_alone", "person_with_disability"},
        date(2023, 6, 1),
    )
    register_resident(j, li, by="li")
    record_visit(j, OutreachVisit("v4", "r-wang", date(2023, 12, 15), "li"))
    return Dataset([case], [j])


def test_visits_by_month_and_target_group(station: Dataset) -> None:
    assert outreach_visits(station, YEAR).rows == [
        {"month": "2023-02", "target_group": "child_in_difficulty", "visits": 1},
        {"month": "2023-02", "target_group": "elderly_living_alone", "visits": 1},
        {"month": "2023-03", "target_group": "elderly_living_alone", "visits": 1},
        {"month": "2023-12", "target_group": "elderly_living_alone", "visits": 1},
    ]
    assert outreach_visits(station, Period.month(2023, 2)).column("visits") == [1, 1]


def test_people_under_watch_visited_on_time_at_the_years_end(station: Dataset) -> None:
    """On 31 Dec: 王 is due again on 14 Jan 2024 (on time); 朵朵 and 李 are overdue."""
    assert watch_on_time(station, YEAR).rows == [
        {"target_group": "child_in_difficulty", "people": 1, "on_time": 0, "on_time_rate": 0.0},
        {"target_group": "elderly_living_alone", "people": 2, "on_time": 1, "on_time_rate": 0.5},
        {
            "target_group": "person_with_disability",
            "people": 1,
            "on_time": 0,
            "on_time_rate": 0.0,
        },
    ]
    # at the end of May 李 was not yet registered, and 王 was late (due 31 Mar)
    may = watch_on_time(station, Period(date(2023, 1, 1), date(2023, 6, 1)))
    assert may.row(target_group="elderly_living_alone")["people"] == 1
    assert may.row(target_group="elderly_living_alone")["on_time"] == 0


def test_the_summary_counts_visits_needs_people_and_cases_found(station: Dataset) -> None:
    rows = {r["measure"]: r["value"] for r in outreach_summary(station, YEAR).rows}
    assert rows == {
        "visits": 4,
        "needs_found": 2,
        "people_under_watch": 3,
        "cases_from_outreach": 1,
    }
    assert outreach_summary(station, Period.year(2022)).rows[0]["value"] == 0


def test_median_days_overdue_per_rule_at_the_years_end(station: Dataset) -> None:
    """SQ-1 due for screening on 18 Feb: 316 days late; 朵朵 due 11 Apr (264), 李 1 Jul (183)."""
    assert overdue_by_rule(station, YEAR).rows == [
        {"rule": "referral_screening", "items": 1, "median_days_overdue": 316.0},
        {"rule": "register_visit", "items": 2, "median_days_overdue": 223.5},
    ]


def test_the_yearly_report_shows_outreach_when_there_is_a_register(station: Dataset) -> None:
    names = [t.name for t in YearReport(station, 2023).tables()]
    assert names[-4:] == ["outreach", "outreach_visits", "watch_on_time", "overdue_by_rule"]
    report = yearly_report(station, 2023, lang="zh", charts=False, diagram=False)
    text = report.to_text()
    assert "主动服务（走访）" in text and "按时率" in text and "50%" in text
    assert "朵朵" not in text and "r-duo" not in text  # counts only: no names, no ids
    without = [t.name for t in YearReport(Dataset(station.cases, []), 2023).tables()]
    assert "outreach" not in without
