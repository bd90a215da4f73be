"""Calibration: parameters estimated from a store of cases, checked against known truths."""

from __future__ import annotations

import statistics
from collections.abc import Callable
from datetime import datetime

import pytest

from casework import MHT_LIFECYCLE, Engine
from casework.assessment import pairs
from casework.demo import run_xuzhuang
from casework.errors import InvalidValue
from casework.simulation import Scenario, calibrate, simulate
from casework.store import MemoryStore


def test_the_demo_store_gives_the_demo_figures(scenario: Scenario) -> None:
    store = MemoryStore()
    _, cases = run_xuzhuang(Engine(MHT_LIFECYCLE, store=store))
    cal = calibrate(store, start=datetime(2023, 1, 1), end=datetime(2024, 1, 1))
    # five children in one calendar year, all consented, all admitted, no no-show, no dropout
    assert cal.get("referrals.per_week").value == pytest.approx(5 / (365 / 7))
    assert cal.get("referrals.consent").value == 1.0
    assert cal.get("referrals.screening_pass").value == 1.0
    assert cal.get("plan.no_show").value == 0.0
    assert cal.get("plan.no_show").n == 50  # 10 home sessions each
    assert cal.get("plan.dropout").value == 0.0
    changes = [post.result.total - pre.result.total for _, pre, post in pairs(cases, "mht")]
    assert cal.get("mht.expected_reduction").value == pytest.approx(-statistics.fmean(changes))
    assert cal.get("mht.change_sd").value == pytest.approx(statistics.stdev(changes))
    calibrated = cal.apply(scenario)
    assert calibrated.plan.dropout == 0.0
    assert calibrated.referrals.per_week == pytest.approx(5 / (365 / 7))
    assert calibrated.teams == scenario.teams  # what the store cannot tell is kept
    assert "plan.no_show" in repr(cal) and "<table>" in cal._repr_html_()


def test_a_simulated_store_gives_back_the_rates_it_was_made_with(
    small_scenario: Callable[..., Scenario],
) -> None:
    truth = small_scenario(
        end=small_scenario().start.replace(year=2025),
        **{
            "referrals.per_week": 5.0,
            "referrals.consent": 0.75,
            "referrals.screening_pass": 0.6,
            "plan.no_show": 0.25,
            "plan.dropout": 0.3,
            "plan.grace_weeks": 52,  # nobody ends early: every leaver withdrew or finished
            "mht.expected_reduction": 20.0,
        },
    )
    store = MemoryStore()
    run = simulate(truth, seed=12, store=store)
    cal = calibrate(store, start=truth.start, end=truth.end)
    n = len(run.cases)
    assert n > 200
    weeks = truth.days / 7

    def within(parameter: str, true: float, sd: float) -> None:
        est = cal.get(parameter)
        assert est is not None, parameter
        assert abs(est.value - true) < 4 * sd, (parameter, est, true)

    def share(parameter: str, p: float) -> None:
        est = cal.get(parameter)
        assert est is not None
        within(parameter, p, (p * (1 - p) / est.n) ** 0.5)

    within("referrals.per_week", 5.0, (5.0 / weeks) ** 0.5)  # a Poisson count over the weeks
    share("referrals.consent", 0.75)
    share("referrals.screening_pass", 0.6)
    share("plan.no_show", 0.25)
    share("plan.dropout", 0.3)
    # the measured change carries the item sampling noise too, so only its mean is checked
    within("mht.expected_reduction", 20.0, 12 / cal.get("mht.expected_reduction").n ** 0.5)


def test_calibrating_nothing_is_refused() -> None:
    with pytest.raises(InvalidValue):
        calibrate(MemoryStore())
