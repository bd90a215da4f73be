"""Cases derived from events: replay, time in states, timeline."""

from __future__ import annotations

from datetime import timedelta

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from casework import STANDARD, Case, Engine, ReplayError, standard_lifecycle
from casework.demo import run_xuzhuang
from strategies import T0, drive_to, open_case


def closed_case() -> tuple[Engine, Case]:
    engine = Engine(STANDARD)
    return engine, drive_to(engine, open_case(engine), "closed")


def test_replay_rebuilds_the_case_exactly_without_guards() -> None:
    _engine, case = closed_case()
    rebuilt = Case.replay(case.history, STANDARD)
    assert rebuilt == case
    assert rebuilt.history == case.history and rebuilt.history is not case.history
    # replay trusts the log: guards are not consulted, so an equal definition works too
    assert Case.replay(case.history, standard_lifecycle()) == case


def test_replay_of_every_demo_case() -> None:
    engine, cases = run_xuzhuang()
    for case in cases:
        assert engine.replay(case.history) == case


@given(cut=st.integers(1, 21))
def test_replay_of_any_prefix_equals_the_case_at_that_point(cut: int) -> None:
    engine, case = closed_case()
    prefix = case.history[:cut]
    partial = engine.replay(prefix)
    assert partial.version == len(prefix)
    assert partial.state == prefix[-1].state


def test_replay_refuses_broken_logs() -> None:
    _, case = closed_case()
    events = case.history
    with pytest.raises(ReplayError, match="no events"):
        Case.replay([], STANDARD)
    with pytest.raises(ReplayError, match="starts with 'case_opened'"):
        Case.replay(events[1:], STANDARD)
    with pytest.raises(ReplayError, match="expected event #3") as info:
        Case.replay([events[0], events[1], events[3]], STANDARD)
    assert info.value.seq == 4 and info.value.case_id == "case-1"
    stranger = attrs.evolve(events[1], case_id="case-2")
    with pytest.raises(ReplayError, match="belongs to case 'case-2'"):
        Case.replay([events[0], stranger], STANDARD)
    bogus = attrs.evolve(events[1], state="limbo")
    with pytest.raises(ReplayError, match="unknown state 'limbo'"):
        Case.replay([events[0], bogus], STANDARD)


def test_a_logged_downward_plan_revision_is_a_replay_error_naming_the_event() -> None:
    # stores refuse writing one now; a log written before still reads with case id and seq
    _, case = closed_case()
    events = list(case.history)
    at = next(i for i, ev in enumerate(events) if ev.type == "plan_set")
    planned = events[at].payload["plan"].sessions
    down = attrs.evolve(events[at + 1], type="plan_revised", payload={"sessions": planned - 1})
    with pytest.raises(ReplayError, match=f"not more than {planned}") as info:
        Case.replay([*events[: at + 1], down], STANDARD)
    assert (info.value.case_id, info.value.seq) == ("case-1", at + 2)


def test_time_in_states_adds_up_to_the_case_span() -> None:
    engine = Engine(STANDARD)
    case = open_case(engine)
    engine.fire(case, "screen", at=T0 + timedelta(days=2), by="wu")
    engine.fire(case, "suspend", at=T0 + timedelta(days=5), by="wu", reason="trip")
    engine.fire(case, "resume", at=T0 + timedelta(days=6), by="wu")
    spent = case.time_in_states(until=T0 + timedelta(days=10))
    assert spent == {
        "referral": timedelta(days=2),
        "screening": timedelta(days=3) + timedelta(days=4),
        "suspended": timedelta(days=1),
    }
    assert sum(spent.values(), timedelta()) == timedelta(days=10)


def test_timeline_is_readable_in_both_languages() -> None:
    _, case = closed_case()
    zh = case.timeline("zh")
    assert [r.seq for r in zh] == list(range(1, case.version + 1))
    assert zh[-1].state_label == "结案" and case.timeline("en")[-1].state_label == "closed"
    assert "closed" in str(case.timeline()[-1])


def test_repr_is_short_and_useful() -> None:
    _, case = closed_case()
    assert repr(case) == "<Case 'case-1' 京京 state='closed' sessions=10/10 events=21>"
