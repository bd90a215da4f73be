"""Approval turnaround: requests decided in a period, per trigger, against a hand-counted log."""

from __future__ import annotations

from datetime import datetime

import pytest

from casework import Engine, SessionPlan, Worker, standard_lifecycle
from casework.reporting import Dataset, Period, YearReport
from casework.reporting.approvals import approval_turnaround, has_approvals, requests
from strategies import T0, child, drive_to, open_case

LIFECYCLE = standard_lifecycle(
    id="standard_approved", approvals=("close", "set_plan"), handoffs=("transfer",)
)
WORKERS = [Worker("wu"), Worker("li"), Worker("zhang", "supervisor")]


def day(month: int, d: int, year: int = 2023) -> datetime:
    return datetime(year, month, d, 10, 0)


@pytest.fixture(scope="module")
def cases() -> list:  # type: ignore[type-arg]
    """Three cases whose requests were counted by hand (T0 is 2023-03-01).

    case-1: set_plan asked 03-01, approved 03-04 (3 days); asked again 03-10, refused 03-11 (1).
    case-b: set_plan asked 03-01, approved the same day (0); asked 12-20, approved 2024-01-05
    (16, so waiting at the end of 2023).  case-c: a transfer asked 03-01, accepted 03-08 (7).
    """
    e = Engine(LIFECYCLE, workers=WORKERS)
    a = open_case(e)
    drive_to(e, a, "planning")
    (first,) = a.pending
    e.approve(a, first.seq, by="zhang", at=day(3, 4))
    again = e.set_plan(a, SessionPlan(12), at=day(3, 10), by="wu")
    e.refuse(a, again.seq, reason="12 is too many", by="zhang", at=day(3, 11))

    b = e.open("case-b", child(), at=T0, by="wu", worker="wu")
    drive_to(e, b, "planning")
    (first,) = b.pending
    e.approve(b, first.seq, by="zhang", at=T0)
    late = e.set_plan(b, SessionPlan(8), at=day(12, 20), by="wu")
    e.approve(b, late.seq, by="zhang", at=day(1, 5, 2024))

    c = e.open("case-c", child(), at=T0, by="wu", worker="wu")
    asked = e.transfer(c, "li", reason="leave", at=T0, by="wu")
    e.approve(c, asked.seq, by="li", at=day(3, 8))
    return [a, b, c]


def test_each_request_is_paired_with_its_decision(cases: list) -> None:  # type: ignore[type-arg]
    found = [(r.case, r.trigger, r.days, r.approved) for c in cases for r in requests(c)]
    assert found == [
        ("case-1", "set_plan", 3, True),
        ("case-1", "set_plan", 1, False),
        ("case-b", "set_plan", 0, True),
        ("case-b", "set_plan", 16, True),
        ("case-c", "transfer", 7, True),
    ]


def test_the_year_counts_decisions_made_in_it_and_requests_still_waiting(
    cases: list,  # type: ignore[type-arg]
) -> None:
    table = approval_turnaround(Dataset(cases), Period.year(2023))
    assert table.rows == [
        {
            "request": "set_plan",
            "decided": 3,
            "approved": 2,
            "refused": 1,
            "median_days": 1.0,
            "pending_at_end": 1,
        },
        {
            "request": "transfer",
            "decided": 1,
            "approved": 1,
            "refused": 0,
            "median_days": 7.0,
            "pending_at_end": 0,
        },
    ]
    (row,) = approval_turnaround(Dataset(cases), Period.year(2024)).rows
    assert row == {
        "request": "set_plan",
        "decided": 1,
        "approved": 1,
        "refused": 0,
        "median_days": 16.0,
        "pending_at_end": 0,
    }
    # a period before any decision: only what waits at its end
    (row, _) = approval_turnaround(Dataset(cases), Period.days(T0.date(), T0.date())).rows
    assert (row["decided"], row["pending_at_end"]) == (1, 1)  # case-b's same-day approval


def test_the_ledger_shows_it_only_for_a_station_with_approvals(
    cases: list,  # type: ignore[type-arg]
) -> None:
    with_approvals = Dataset(cases)
    assert has_approvals(with_approvals)
    names = [t.name for t in YearReport(with_approvals, 2023).tables()]
    assert names[-1] == "approval_turnaround"
    zh = YearReport(with_approvals, 2023, lang="zh").to_text()
    assert "审批时效" in zh and "期末待审批" in zh

    e = Engine(standard_lifecycle())
    plain = Dataset([drive_to(e, open_case(e), "planning")])
    assert not has_approvals(plain)
    assert "approval_turnaround" not in [t.name for t in YearReport(plain, 2023).tables()]
