"""Outreach in scenarios: the [outreach] section, the rounds, the register and its metrics."""

from __future__ import annotations

import itertools
import pickle
from collections.abc import Callable
from datetime import date, timedelta

import pytest

from casework.journal import Journal
from casework.outreach import VisitReferral
from casework.register import Register
from casework.simulation import (
    HEADLINE,
    OUTREACH,
    Outreach,
    OutreachGroup,
    Scenario,
    ScenarioError,
    load_scenarios,
    run_montecarlo,
    simulate,
)
from casework.store import MemoryStore

ELDERLY = {
    "hours_per_week": 10,
    "groups": [
        {"target_group": "elderly_living_alone", "people": 30, "minutes": 60, "need_rate": 0.2},
        {"target_group": "child_in_difficulty", "people": 10, "minutes": 90},
    ],
}


@pytest.fixture
def watched(small_scenario: Callable[..., Scenario]) -> Scenario:
    """The small scenario with 30 elderly people living alone and 10 children under watch."""
    return small_scenario(outreach=ELDERLY)


def test_the_section_is_optional_and_its_defaults_come_from_the_register(
    watched: Scenario, scenario: Scenario
) -> None:
    assert scenario.outreach is None and scenario.visitors == ()
    o = watched.outreach
    assert isinstance(o, Outreach)
    assert [g.interval for g in o.groups] == [30, 60]  # DEFAULT_VISIT_DAYS
    assert watched.visitors == ("sw-1",)  # the social workers, by default
    assert "outreach: 30 elderly_living_alone every 30d" in str(watched)
    assert Scenario.from_dict(watched.to_dict()) == watched
    assert pickle.loads(pickle.dumps(watched)) == watched
    assert Scenario.from_dict(scenario.to_dict()) == scenario  # outreach None round-trips


def test_every_problem_of_the_section_is_reported_at_once_by_path(
    small_scenario: Callable[..., Scenario],
) -> None:
    bad = {
        "hours_per_week": -1,
        "teams": ["sw", "nobody"],
        "colour": "red",
        "groups": [
            {"target_group": "elderly_living_alone", "people": 2.5, "need_rate": 2},
            {"target_group": "martians", "people": 3},
            {"people": 1},
        ],
    }
    data = small_scenario().to_dict()
    data["outreach"] = bad
    with pytest.raises(ScenarioError) as err:
        Scenario.from_dict(data)
    paths = {path for path, _ in err.value.problems}
    assert {
        "outreach.colour",
        "outreach.groups[0].people",
        "outreach.groups[0].need_rate",
        "outreach.groups[1].target_group",
        "outreach.groups[2].target_group",
    } <= paths, err.value.problems
    # with the groups fixed, the section's own and the scenario's cross-checks speak
    data["outreach"] = {**ELDERLY, "hours_per_week": -1, "teams": ["sw", "nobody"]}
    with pytest.raises(ScenarioError) as err:
        Scenario.from_dict(data)
    assert {p for p, _ in err.value.problems} == {"outreach.hours_per_week"}
    data["outreach"] = {**ELDERLY, "teams": ["sw", "nobody"]}
    with pytest.raises(ScenarioError) as err:
        Scenario.from_dict(data)
    assert err.value.problems == (("outreach.teams[1]", "'nobody' is not a team of the scenario"),)


def test_a_group_without_a_default_rhythm_needs_one_and_python_sections_are_checked() -> None:
    with pytest.raises(ScenarioError) as err:
        OutreachGroup("elderly_living_alone", 3, visit_every=0, minutes=0)
    assert {p for p, _ in err.value.problems} == {"group.visit_every", "group.minutes"}
    with pytest.raises(ScenarioError) as err:
        Outreach(())
    assert err.value.problems == (("outreach.groups", "no group: nobody is under watch"),)
    with pytest.raises(ScenarioError):
        Outreach((OutreachGroup("elderly", 1), OutreachGroup("elderly", 2)))


def test_people_under_watch_without_a_visitor_are_refused(
    small_scenario: Callable[..., Scenario],
) -> None:
    with pytest.raises(ScenarioError) as err:
        small_scenario(
            outreach={**ELDERLY, "teams": []},
            teams=[{"name": "vc", "role": "volunteer_counsellor"}],
        )
    assert ("outreach.teams", "people are under watch but no worker visits them") in (
        err.value.problems
    )


def test_visits_are_recorded_in_a_real_journal_and_found_needs_open_linked_cases(
    watched: Scenario,
) -> None:
    run = simulate(watched, seed=3)
    assert isinstance(run.journal, Journal)
    replayed = Journal.replay(run.journal.history)
    assert replayed == run.journal
    register = Register.of(run.journal)
    assert len(register.residents) == 40
    found = [c for c in run.cases if isinstance(c.referral, VisitReferral)]
    assert found, "a need rate of 20% over 16 weeks finds someone"
    for case in found:
        link = register.referral_of(case.referral.visit)
        assert link == case.referral and link.case == case.id
        assert register.visit(link.visit).found_need
        assert case.client.tags == register.residents[link.resident].target_groups
        assert case.history[0].at.date() == register.visit(link.visit).on
        # the same flow as every other referral: screened (or withdrawn) after opening
        assert len(case.history) > 1
    m = run.metrics()
    assert m.outreach_visits == len(register.visits)
    assert m.needs_found == sum(v.found_need for v in register.visits)
    assert m.found_by_outreach == len(found) == len(register.referrals)
    minutes = {"elderly_living_alone": 60, "child_in_difficulty": 90}
    hours = (
        sum(
            minutes[next(iter(register.residents[v.resident].target_groups))]
            for v in register.visits
        )
        / 60
    )
    assert m.outreach_hours == pytest.approx(hours)


def test_visits_keep_to_the_rule_and_to_the_hours_given(watched: Scenario) -> None:
    run = simulate(watched, seed=5)
    assert run.journal is not None
    register = Register.of(run.journal)
    per_day: dict[tuple[str, date], float] = {}
    for v in register.visits:
        assert v.on.weekday() < 5 and not watched.is_holiday(v.on)
        group = next(iter(register.residents[v.resident].target_groups))
        minutes = 60 if group == "elderly_living_alone" else 90
        per_day[(v.worker, v.on)] = per_day.get((v.worker, v.on), 0) + minutes
    daily = 10 * 60 / 5
    assert all(m <= daily or m in (60, 90) for m in per_day.values())
    for person in register.residents.values():
        visits = register.visits_to(person.id)
        for a, b in itertools.pairwise(visits):
            assert (b.on - a.on).days >= person.visit_every  # never before they are due


def test_overdue_at_the_end_is_what_the_agenda_of_the_last_day_lists(
    small_scenario: Callable[..., Scenario],
) -> None:
    from casework.reporting.agenda import agenda

    short = small_scenario(outreach={**ELDERLY, "hours_per_week": 2})
    run = simulate(short, seed=1)
    m = run.metrics()
    assert m.overdue_at_end > 0
    last = short.end - timedelta(days=1)
    late = {
        i.subject
        for i in agenda(journals=[run.journal], on=last, overdue=True)
        if i.kind == "resident"
    }
    assert m.overdue_at_end == len(late)
    # with time enough, only people due over the last weekend wait (no visits on weekends)
    ample = simulate(small_scenario(outreach={**ELDERLY, "hours_per_week": 40}), seed=1)
    assert ample.metrics().overdue_at_end < m.overdue_at_end
    assert ample.metrics().outreach_visits > m.outreach_visits


def test_same_seed_same_run_and_monte_carlo_reproduces_it(watched: Scenario) -> None:
    a, b = simulate(watched, seed=11), simulate(watched, seed=11)
    assert [e.payload for e in a.journal.history] == [e.payload for e in b.journal.history]  # type: ignore[union-attr]
    assert repr(a.metrics()) == repr(b.metrics())
    mc = run_montecarlo(watched, replications=2, seed=4)
    again = run_montecarlo(watched, replications=2, seed=4)
    assert repr(mc.runs) == repr(again.runs)
    assert all(r.outreach_visits > 0 for r in mc.runs)


def test_without_outreach_nothing_changes(scenario: Scenario) -> None:
    run = simulate(scenario, seed=7)
    assert run.journal is None
    m = run.metrics()
    assert (m.outreach_visits, m.outreach_hours, m.found_by_outreach, m.overdue_at_end) == (
        0,
        0,
        0,
        0,
    )
    assert not set(OUTREACH) & set(HEADLINE)


def test_the_store_receives_the_journal_and_the_cases(watched: Scenario) -> None:
    store = MemoryStore()
    run = simulate(watched, seed=2, store=store)
    assert run.journal is not None
    assert store.journal(run.journal.id) == run.journal


def test_the_shipped_outreach_scenario_loads() -> None:
    from pathlib import Path

    path = Path(__file__).parents[2] / "docs" / "scenarios" / "outreach.toml"
    found = load_scenarios(path)
    assert all(s.outreach is not None for s in found)
    by_name = {s.name: s for s in found}
    assert set(by_name) == {"outreach", "more_hours", "every_two_months"}
    assert by_name["more_hours"].outreach.hours_per_week == 16  # type: ignore[union-attr]
    assert by_name["every_two_months"].outreach.groups[0].interval == 60  # type: ignore[union-attr]


def test_the_yearly_report_reads_a_simulated_register_as_a_real_one(
    small_scenario: Callable[..., Scenario],
) -> None:
    from casework.reporting import Dataset, Period
    from casework.reporting.outreach import outreach_summary

    run = simulate(small_scenario(outreach=ELDERLY), seed=6)
    assert run.journal is not None
    m = run.metrics()
    table = outreach_summary(Dataset(run.cases, [run.journal]), Period.year(2024))
    values = {r["measure"]: r["value"] for r in table.rows}
    assert values == {
        "visits": m.outreach_visits,
        "needs_found": m.needs_found,
        "people_under_watch": 40,
        "cases_from_outreach": m.found_by_outreach,
    }


def test_referrals_from_outreach_need_session_capacity(
    small_scenario: Callable[..., Scenario],
) -> None:
    no_slots = [{"name": "sw", "role": "social_worker", "count": 1, "sessions_per_week": 0}]
    with pytest.raises(ScenarioError) as err:
        small_scenario(outreach=ELDERLY, teams=no_slots, **{"referrals.per_week": 0})
    assert err.value.problems == (
        ("teams", "outreach refers people but no team has session capacity"),
    )
    quiet = {**ELDERLY, "groups": [{**g, "need_rate": 0} for g in ELDERLY["groups"]]}  # type: ignore[attr-defined]
    assert small_scenario(outreach=quiet, teams=no_slots, **{"referrals.per_week": 0})


def test_a_process_pool_gives_the_serial_study(watched: Scenario) -> None:
    serial = run_montecarlo(watched, replications=3, seed=9)
    spread = run_montecarlo(watched, replications=3, seed=9, workers=2)
    assert repr(spread.runs) == repr(serial.runs)
