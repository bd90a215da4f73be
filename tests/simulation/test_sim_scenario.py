"""Scenarios: validated data, every problem reported at once with its path, before any run."""

from __future__ import annotations

import pickle
from collections.abc import Callable
from datetime import date
from pathlib import Path

import attrs
import pytest

from casework.errors import CaseworkError, InvalidValue
from casework.simulation import (
    PlanSpec,
    Referrals,
    Scenario,
    ScenarioError,
    Team,
    load_scenarios,
)

XINQIAO = Path(__file__).resolve().parents[2] / "docs" / "scenarios" / "xinqiao.toml"


def paths(exc: ScenarioError) -> set[str]:
    return {p for p, _ in exc.problems}


def test_scenario_error_is_a_casework_invalid_value() -> None:
    assert issubclass(ScenarioError, InvalidValue)
    assert issubclass(ScenarioError, CaseworkError)


def test_every_problem_in_a_dict_is_reported_at_once_with_its_path(
    small_scenario: Callable[..., Scenario],
) -> None:
    data = small_scenario().to_dict()
    data["referrals"]["per_week"] = -1
    data["referrals"]["consent"] = 1.5
    data["plan"]["no_show"] = -0.1
    data["plan"]["cadence"] = "monthly"
    data["teams"][1]["count"] = 2.5
    data["timing"]["screen_days"] = -3
    data["mht"]["reliability"] = 0.9  # without reliability_sd
    data["colour"] = "blue"
    with pytest.raises(ScenarioError) as info:
        Scenario.from_dict(data)
    assert paths(info.value) == {
        "referrals.per_week",
        "referrals.consent",
        "plan.no_show",
        "plan.cadence",
        "teams[1].count",
        "timing.screen_days",
        "mht.reliability",
        "colour",
    }
    message = str(info.value)
    assert "8 problem(s)" in message and "unknown key" in message and "monthly" in message


def test_end_before_start_is_refused(small_scenario: Callable[..., Scenario]) -> None:
    with pytest.raises(ScenarioError) as info:
        small_scenario(end=date(2023, 12, 1))
    assert paths(info.value) == {"end"}


def test_zero_capacity_with_arrivals_is_refused_but_allowed_without_arrivals(
    small_scenario: Callable[..., Scenario],
) -> None:
    teams = [{"name": "sw", "role": "social_worker", "count": 3, "sessions_per_week": 0}]
    with pytest.raises(ScenarioError) as info:
        small_scenario(teams=teams)
    assert "no team has session capacity" in str(info.value)
    quiet = small_scenario(teams=teams, **{"referrals.per_week": 0})
    assert quiet.capacity_per_week == 0


def test_sections_built_in_python_are_checked_too() -> None:
    with pytest.raises(ScenarioError) as info:
        PlanSpec(sessions=0, dropout=2.0)
    assert paths(info.value) == {"plan.sessions", "plan.dropout"}
    with pytest.raises(ScenarioError):
        Referrals(1.0, seasonality=(1.0,) * 11)
    with pytest.raises(ScenarioError):
        Team("x", role="wizard")


def test_missing_keys_and_wrong_types_are_named() -> None:
    with pytest.raises(ScenarioError) as info:
        Scenario.from_dict({"name": "x", "start": "2024-01-01", "referrals": {"per_week": "lots"}})
    assert {"end", "teams", "referrals.per_week"} <= paths(info.value)


def test_to_dict_round_trips_and_scenarios_compare_and_pickle(
    small_scenario: Callable[..., Scenario],
) -> None:
    s = small_scenario()
    assert Scenario.from_dict(s.to_dict()) == s
    assert pickle.loads(pickle.dumps(s)) == s
    assert s.with_changes({"plan.dropout": 0.25}) != s
    assert s.with_changes({"plan": {"dropout": 0.25}}).plan.dropout == 0.25
    assert s.with_changes({"plan.dropout": 0.25}).plan.sessions == s.plan.sessions
    text = str(s)
    assert "small" in text and "4 sessions weekly" in text and "Spring Festival" in text


def test_with_changes_validates_again(small_scenario: Callable[..., Scenario]) -> None:
    with pytest.raises(ScenarioError) as info:
        small_scenario().with_changes({"plan.dropout": 1.25, "referrals.screening_pass": -1})
    assert paths(info.value) == {"plan.dropout", "referrals.screening_pass"}


def test_the_shipped_xinqiao_file_loads_with_its_variants() -> None:
    base, *variants = load_scenarios(XINQIAO)
    assert base.name == "xinqiao"
    assert [v.name for v in variants] == ["quarter_drop_out", "fortnightly", "two_social_workers"]
    assert sum(t.count for t in base.teams) == 15
    assert base.plan.sessions == 10
    drop = variants[0]
    assert drop.plan.dropout == 0.25
    assert attrs.evolve(drop, name=base.name, plan=base.plan) == base


def test_problems_in_variants_are_reported_with_the_variant_path(tmp_path: Path) -> None:
    text = XINQIAO.read_text("utf-8") + "\n[variants.bad]\nplan.no_show = 3\nplan.colour = 1\n"
    with pytest.raises(ScenarioError) as info:
        load_scenarios(text)
    assert paths(info.value) == {"variants.bad.plan.no_show", "variants.bad.plan.colour"}


def test_a_problem_in_the_base_is_reported_once_not_per_variant() -> None:
    text = XINQIAO.read_text("utf-8").replace("consent = 0.9", "consent = 9")
    with pytest.raises(ScenarioError) as info:
        load_scenarios(text)
    assert info.value.problems == (("referrals.consent", "must be between 0 and 1, got 9"),)


def test_broken_toml_is_a_scenario_error() -> None:
    with pytest.raises(ScenarioError) as info:
        load_scenarios("name = \n")
    assert info.value.where == "toml"
