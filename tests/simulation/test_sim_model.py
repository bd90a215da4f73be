"""The SimPy model: real cases through the real engine, on the simulated clock, reproducibly."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from casework import MHT_LIFECYCLE, STANDARD, Case
from casework.simulation import Scenario, measure, simulate
from casework.simulation.capacity import capacity_by_worker
from casework.store import MemoryStore


def event_log(cases: tuple[Case, ...]) -> list[tuple[object, ...]]:
    """Every event as comparable data (payload reprs included)."""
    return [
        (e.case_id, e.seq, e.type, e.at, e.actor, e.state, repr(dict(e.payload)))
        for c in cases
        for e in c.history
    ]


def test_the_same_seed_gives_the_same_event_log_and_another_seed_does_not(
    scenario: Scenario,
) -> None:
    a, b = simulate(scenario, seed=7), simulate(scenario, seed=7)
    assert len(a.cases) > 10
    assert event_log(a.cases) == event_log(b.cases)
    assert repr(a.metrics()) == repr(b.metrics())
    assert event_log(simulate(scenario, seed=8).cases) != event_log(a.cases)


def test_every_case_replays_equal_to_itself_and_the_store_holds_the_same(
    scenario: Scenario,
) -> None:
    store = MemoryStore()
    run = simulate(scenario, seed=3, store=store)
    assert {s.case_id for s in store.cases()} == {c.id for c in run.cases}
    for case in run.cases:
        assert Case.replay(case.history, MHT_LIFECYCLE) == case
        assert store.load(case.id) == case


def test_events_are_real_lifecycle_events_dated_on_the_simulated_clock(
    scenario: Scenario,
) -> None:
    run = simulate(scenario, seed=5)
    known = {t.event_type for t in MHT_LIFECYCLE.transitions} | {"case_opened", "alert_raised"}
    start = datetime(2024, 1, 1)
    end = start + timedelta(days=scenario.days)
    for case in run.cases:
        times = [e.at for e in case.history]
        assert times == sorted(times), case.id
        assert all(start <= t < end for t in times), case.id
        assert {e.type for e in case.history} <= known
    types = {e.type for c in run.cases for e in c.history}
    # the whole process, side paths included, happened in this run
    assert {"screened_out", "withdrawn", "consent_withdrawn", "closed", "assessment_recorded"} <= (
        types
    )


def test_outcomes_follow_the_scenario_paths(scenario: Scenario) -> None:
    run = simulate(scenario, seed=11)
    for case in run.cases:
        types = [e.type for e in case.history]
        if case.state == "closed":
            # a closed case has a baseline and a post MHT and went through evaluation
            phases = [a.phase.value for a in case.assessments]
            assert phases == ["screening", "baseline", "post"]
            assert "evaluation_started" in types or "intervention_ended_early" in types
        if "intervention_started" in types and case.state == "withdrawn":
            assert types[-2:] == ["consent_withdrawn", "withdrawn"]
            assert case.history[-1].payload["reason"] == "the family dropped out"


def test_no_session_is_held_on_a_holiday(scenario: Scenario) -> None:
    run = simulate(scenario.with_changes({"referrals.per_week": 4.0}), seed=2)
    held = [s.held_at for c in run.cases for s in c.sessions if s.held_at is not None]
    assert held
    assert not any(scenario.is_holiday(t.date()) for t in held)


def test_certain_dropout_and_no_no_shows(small_scenario: Callable[..., Scenario]) -> None:
    run = simulate(small_scenario(**{"plan.dropout": 1.0, "plan.no_show": 0.0}), seed=4)
    started = [c for c in run.cases if any(e.type == "intervention_started" for e in c.history)]
    assert started
    # every family leaves before its plan is done (or the period ends first)
    assert {c.state for c in started} <= {"withdrawn", "intervention"}
    assert any(c.state == "withdrawn" for c in started)
    assert all(c.held_sessions < c.planned_sessions for c in started if c.planned_sessions)
    assert all(s.held for c in run.cases for s in c.sessions)


def test_the_named_lifecycle_or_a_given_one_is_used(
    small_scenario: Callable[..., Scenario],
) -> None:
    plain = simulate(small_scenario(lifecycle="standard"), seed=1)
    assert plain.cases and all(c.lifecycle is STANDARD for c in plain.cases)
    given_lc = simulate(small_scenario(), seed=1, lifecycle=STANDARD)
    assert all(c.lifecycle is STANDARD for c in given_lc.cases)


def test_scarce_capacity_makes_a_waiting_list(small_scenario: Callable[..., Scenario]) -> None:
    teams = [{"name": "sw", "role": "social_worker", "count": 1, "sessions_per_week": 1}]
    busy = simulate(small_scenario(teams=teams, **{"referrals.per_week": 4.0}), seed=1)
    m = busy.metrics()
    assert max(v for _, v in m.waiting_list) > 1
    relaxed = simulate(small_scenario(**{"referrals.per_week": 4.0}), seed=1).metrics()
    assert m.started < relaxed.started
    assert max(v for _, v in relaxed.waiting_list) < max(v for _, v in m.waiting_list)


def test_metrics_agree_with_a_count_of_the_events(scenario: Scenario) -> None:
    run = simulate(scenario, seed=9)
    m = run.metrics()
    held = sum(c.held_sessions for c in run.cases)
    assert m.sessions_held == held
    assert m.referred == len(run.cases)
    assert m.closed == sum(c.state == "closed" for c in run.cases)
    capacity = sum(capacity_by_worker(scenario).values())
    assert m.utilisation == pytest.approx(held / capacity)
    # the measure of the cases equals the run's own metrics: they are read from events
    assert repr(measure(scenario, run.cases, seed=9)) == repr(m)


def test_the_simulated_cases_feed_the_real_outcomes_summary(scenario: Scenario) -> None:
    from casework.assessment import outcomes

    run = simulate(scenario.with_changes({"referrals.per_week": 4.0}), seed=6)
    summary = outcomes(run.cases, "mht")
    m = run.metrics()
    assert m.assessed == summary.n
    assert m.reliably_improved == summary.reliably_improved / summary.n
    assert m.reliability_source.startswith("estimated: KR-20")
    supplied = run.scenario.with_changes({"mht.reliability": 0.9, "mht.reliability_sd": 10.0})
    assert measure(supplied, run.cases).reliability_source == "supplied"


# --- properties over random small scenarios --------------------------------------------------

scenarios = st.builds(
    dict,
    per_week=st.floats(0.5, 5),
    no_show=st.floats(0, 0.6),
    dropout=st.floats(0, 1),
    sessions=st.integers(1, 6),
    cadence=st.sampled_from(["weekly", "fortnightly"]),
    slots=st.integers(1, 3),
    weeks=st.integers(2, 20),
    seed=st.integers(0, 2**32),
)


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(p=scenarios)
def test_properties_of_any_run(
    small_scenario: Callable[..., Scenario], p: dict[str, float]
) -> None:
    s = small_scenario(
        end=small_scenario().start + timedelta(weeks=int(p["weeks"])),
        teams=[{"name": "w", "role": "social_worker", "count": 2, "sessions_per_week": p["slots"]}],
        **{
            "referrals.per_week": p["per_week"],
            "plan.no_show": p["no_show"],
            "plan.dropout": p["dropout"],
            "plan.sessions": p["sessions"],
            "plan.cadence": p["cadence"],
        },
    )
    run = simulate(s, seed=int(p["seed"]))
    m = run.metrics()
    planned = s.plan.sessions
    for case in run.cases:
        assert case.held_sessions <= planned
        times = [e.at for e in case.history]
        assert times == sorted(times)
        assert Case.replay(case.history, MHT_LIFECYCLE) == case
    assert m.sessions_held <= planned * m.started
    assert 0 <= m.utilisation <= 1
    assert all(0 <= u <= 1 for _, u in m.worker_utilisation)
    # no slot date is used twice: one worker never has two sessions at the same time
    seen = [(s_.worker, s_.when) for c in run.cases for s_ in c.sessions]
    assert len(seen) == len(set(seen))


def test_a_stations_own_version_of_the_standard_process_is_simulated_from_the_catalogue(
    tmp_path: Path, small_scenario: Callable[..., Scenario]
) -> None:
    """A lifecycle an app registered in its catalogue is found by the scenario's name."""
    import json
    import subprocess
    import sys

    from casework import DEFAULT_CATALOGUE, MHT_LIFECYCLE, Catalogue
    from casework.simulation import ScenarioError, run_montecarlo
    from casework.simulation.scenario import load_scenarios

    own = DEFAULT_CATALOGUE.lifecycle_from_dict({**MHT_LIFECYCLE.to_dict(), "id": "shiqiao"})
    catalogue = Catalogue(lifecycles=[own])
    scenario = small_scenario(lifecycle="shiqiao")
    run = simulate(scenario, seed=1, catalogue=catalogue)
    assert run.cases and all(c.lifecycle is own for c in run.cases)
    study = run_montecarlo(scenario, replications=2, seed=1, workers=2, catalogue=catalogue)
    serial = run_montecarlo(scenario, replications=2, seed=1, catalogue=catalogue)
    assert repr(study.runs) == repr(serial.runs)  # repr: a NaN metric equals itself there
    with pytest.raises(ScenarioError, match="'shiqiao' is not one of: standard, standard_mht"):
        simulate(scenario, seed=1)
    tiny = DEFAULT_CATALOGUE.lifecycle_from_dict(
        {
            "id": "tiny",
            "states": [
                {"name": "a", "initial": True},
                {"name": "b", "category": "closed", "terminal": True},
            ],
            "transitions": [{"trigger": "screen", "source": "a", "dest": "b", "event": "done"}],
        }
    )
    with pytest.raises(
        ScenarioError, match="'tiny' lacks triggers the simulation fires: screen_out"
    ):
        simulate(small_scenario(lifecycle="tiny"), seed=1, catalogue=Catalogue(lifecycles=[tiny]))
    # and from the command line, the lifecycle given as a definition file
    (tmp_path / "shiqiao.json").write_text(json.dumps(own.to_dict()), encoding="utf-8")
    scenario_file = tmp_path / "s.toml"
    text = (Path(__file__).resolve().parents[2] / "docs" / "scenarios" / "xinqiao.toml").read_text(
        encoding="utf-8"
    )
    scenario_file.write_text(
        text.replace('lifecycle = "standard_mht"', 'lifecycle = "shiqiao"'), encoding="utf-8"
    )
    assert load_scenarios(scenario_file)[0].lifecycle == "shiqiao"
    done = subprocess.run(
        [sys.executable, "-m", "casework", "simulate", str(scenario_file), "--replications", "1",
         "--lifecycle", str(tmp_path / "shiqiao.json"), "--quiet"],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    bare = subprocess.run(
        [sys.executable, "-m", "casework", "simulate", str(scenario_file), "--replications", "1",
         "--quiet"],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert bare.returncode == 1 and "'shiqiao' is not one of" in bare.stderr
