"""Assessments on cases: scored when recorded, one event with answers and result, rules."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from casework import (
    MHT_LIFECYCLE,
    STANDARD,
    Assessment,
    Case,
    Engine,
    Event,
    GuardFailed,
    HookFailed,
    InvalidCommand,
    InvalidResponses,
    Phase,
    SessionPlan,
    SessionRecord,
    standard_lifecycle,
)
from casework.instruments import MHT
from casework.rules import ScreenedIn, mht_rules
from strategies import T0, child, snapshot

LEARNING = range(1, 16)  # MHT learning-anxiety items
SOCIAL = range(16, 26)
PHOBIA = range(71, 81)
VALIDITY = range(82, 101, 2)


def mht(*yes_items: int) -> list[bool]:
    """An MHT protocol with a yes to exactly ``yes_items``."""
    chosen = set(yes_items)
    return [n in chosen for n in range(1, 101)]


HIGH = mht(*LEARNING, *SOCIAL)  # learning 15, social 10: two scales >= 8, total 25
LOW = mht(1, 2, 16)  # total 3, nothing high
DOUBTFUL = mht(*LEARNING, *list(VALIDITY)[:7])  # validity 7: doubtful


def to_screening(engine: Engine) -> Case:
    case = engine.open("m-1", child(), at=T0, by="wu")
    engine.fire(case, "screen", at=T0, by="wu")
    engine.record_consent(case, consent("client"), by="wu")
    engine.record_consent(case, consent("guardian", "g-1"), by="wu")
    return case


def consent(giver: str, gid: str | None = None) -> Any:
    from casework import Consent

    return Consent(giver, T0, giver_id=gid)


def test_recording_scores_and_keeps_answers_and_result_in_one_event() -> None:
    engine = Engine(STANDARD)
    case = to_screening(engine)
    event = engine.record_assessment(case, "mht", HIGH, phase="screening", at=T0, by="wu")
    assessment = event.payload["assessment"]
    assert isinstance(assessment, Assessment)
    assert (event.type, assessment.instrument, assessment.phase) == (
        "assessment_recorded",
        "mht",
        Phase.SCREENING,
    )
    assert assessment.result.scales["learning_anxiety"].raw == 15
    assert assessment.result.total == 25
    assert assessment.result.answers == MHT.score(HIGH).answers  # the responses, normalised
    assert case.assessments == (assessment,)
    assert engine.replay(case.history) == case


def test_answers_may_be_labels_or_a_mapping() -> None:
    engine = Engine(STANDARD)
    case = to_screening(engine)
    labels = {n: ("是" if yes else "不是") for n, yes in enumerate(HIGH, start=1)}
    event = engine.record_assessment(case, "mht", labels, phase="screening", at=T0, by="wu")
    assert event.payload["assessment"].result == MHT.score(HIGH)


def test_bad_responses_list_every_problem_and_record_nothing() -> None:
    engine = Engine(STANDARD)
    case = to_screening(engine)
    before = snapshot(case)
    answers: list[Any] = list(LOW)
    answers[4] = "maybe"
    answers[49] = None
    with pytest.raises(InvalidCommand) as info:
        engine.record_assessment(case, "mht", answers[:99], phase="screening", at=T0, by="wu")
    assert case == before
    cause = info.value.__cause__
    assert isinstance(cause, InvalidResponses)
    assert [item for item, _ in cause.problems] == [None, 5, 50, 100]
    assert "item 5: 'maybe' is not an answer" in str(info.value)


def test_unknown_instrument_or_phase_is_refused() -> None:
    engine = Engine(STANDARD)
    case = to_screening(engine)
    with pytest.raises(InvalidCommand, match="unknown instrument 'sdq'"):
        engine.record_assessment(case, "sdq", LOW, phase="screening", at=T0, by="wu")
    with pytest.raises(InvalidCommand, match="phase"):
        engine.record_assessment(case, "mht", LOW, phase="pre", at=T0, by="wu")


def test_phase_must_fit_the_state() -> None:
    engine = Engine(STANDARD)
    case = to_screening(engine)
    before = snapshot(case)
    with pytest.raises(GuardFailed) as info:
        engine.record_assessment(case, "mht", LOW, phase="post", at=T0, by="wu")
    assert info.value.reasons[0] == (
        "a post assessment is not recorded in state 'screening' "
        "(lifecycle 'standard' records it in: intervention, evaluation)"
    )
    assert case == before


def test_screening_rule_admits_only_a_high_mht() -> None:
    engine = Engine(MHT_LIFECYCLE)
    case = to_screening(engine)
    with pytest.raises(GuardFailed, match="no screening mht recorded"):
        engine.fire(case, "admit", at=T0, by="wu")
    engine.record_assessment(case, "mht", LOW, phase="screening", at=T0, by="wu")
    with pytest.raises(GuardFailed) as info:
        engine.fire(case, "admit", at=T0, by="wu")
    assert info.value.failed["screened_in"].startswith("screening mht below the thresholds")
    engine.record_assessment(case, "mht", HIGH, phase="screening", at=T0, by="wu")
    engine.fire(case, "admit", at=T0, by="wu")
    assert case.state == "intake"


def test_a_high_total_alone_also_screens_in() -> None:
    every_scale_at_7 = [
        *range(1, 8),
        *range(16, 23),
        *range(26, 33),
        *range(36, 43),
        *range(46, 53),
        *range(56, 63),
        *range(71, 78),
    ]
    answers = mht(*every_scale_at_7, *range(81, 94, 2))  # impulsivity 7 too: total 56
    result = MHT.score(answers)
    assert (
        result.total == 56 and max(s.raw for k, s in result.scales.items() if k != "validity") == 7
    )
    rule = ScreenedIn(total_at_least=56, scale_at_least=None)
    lc = standard_lifecycle(id="strict", rules={"admit": (rule,)})
    engine = Engine(lc)
    case = to_screening(engine)
    engine.record_assessment(case, "mht", answers, phase="screening", at=T0, by="wu")
    engine.fire(case, "admit", at=T0, by="wu")
    with pytest.raises(GuardFailed):  # the default rule would refuse the same child
        other = Engine(MHT_LIFECYCLE)
        c2 = to_screening(other)
        other.record_assessment(c2, "mht", answers, phase="screening", at=T0, by="wu")
        other.fire(c2, "admit", at=T0, by="wu")


def test_rules_are_values() -> None:
    assert mht_rules() == mht_rules()
    assert standard_lifecycle(id="x", rules=mht_rules()) == standard_lifecycle(
        id="x", rules=mht_rules()
    )
    assert ScreenedIn(total_at_least=60) != ScreenedIn()
    with pytest.raises(ValueError, match="unknown triggers"):
        standard_lifecycle(rules={"fly": ()})


def drive_mht(engine: Engine, baseline: list[bool], *, override: str | None = None) -> Case:
    case = to_screening(engine)
    engine.record_assessment(case, "mht", HIGH, phase="screening", at=T0, by="wu")
    engine.fire(case, "admit", at=T0, by="wu")
    engine.fire(case, "assess", at=T0, by="wu")
    engine.record_assessment(
        case, "mht", baseline, phase="baseline", at=T0, by="wu", override_reason=override
    )
    engine.fire(case, "plan", at=T0, by="wu")
    engine.set_plan(case, SessionPlan(2), at=T0, by="wu")
    return case


def test_a_doubtful_baseline_blocks_the_intervention_unless_overridden() -> None:
    engine = Engine(MHT_LIFECYCLE)
    case = drive_mht(engine, DOUBTFUL)
    assert not case.assessments[-1].valid
    with pytest.raises(GuardFailed) as info:
        engine.fire(case, "start_intervention", at=T0, by="wu")
    assert "flagged doubtful" in info.value.failed["baseline_usable"]
    overridden = drive_mht(Engine(MHT_LIFECYCLE), DOUBTFUL, override="child read slowly, ok")
    Engine(MHT_LIFECYCLE).fire(overridden, "start_intervention", at=T0, by="wu")


def test_evaluation_needs_a_post_with_the_baseline_instrument() -> None:
    engine = Engine(MHT_LIFECYCLE)
    case = drive_mht(engine, HIGH)
    engine.fire(case, "start_intervention", at=T0, by="wu")
    for n in (1, 2):
        engine.record_session(case, SessionRecord(n, held_at=T0 + timedelta(days=7 * n)), by="wu")
    later = T0 + timedelta(days=20)
    engine.record_assessment(case, "phq9", [0] * 9, phase="post", at=later, by="wu")
    with pytest.raises(GuardFailed, match="no post mht assessment after the baseline"):
        engine.fire(case, "evaluate", at=later, by="wu")
    engine.record_assessment(case, "mht", LOW, phase="post", at=later, by="wu")
    engine.fire(case, "evaluate", at=later, by="wu")
    assert engine.replay(case.history) == case


def test_a_crisis_item_raises_an_alert_event_in_the_same_commit() -> None:
    engine = Engine(STANDARD)
    received: list[Event] = []
    engine.hooks.on_event(lambda case, event: received.append(event), type="alert_raised")
    case = to_screening(engine)
    version = case.version
    event = engine.record_assessment(case, "mht", mht(85), phase="screening", at=T0, by="wu")
    assert case.version == version + 2
    alert = case.history[-1]
    assert (alert.type, alert.seq, alert.at) == ("alert_raised", event.seq + 1, event.at)
    assert alert.payload["flags"] == ("crisis_item:85",)
    assert received == [alert] and case.alerts == (alert,)
    assert engine.replay(case.history) == case


def test_an_alert_is_never_silently_dropped() -> None:
    """A subscriber that fails rejects the whole command: no assessment without its alert."""
    engine = Engine(STANDARD)

    def pager_down(case: Case, event: Event) -> None:
        raise ConnectionError("pager down")

    engine.hooks.on_event(pager_down, type="alert_raised")
    case = to_screening(engine)
    before = snapshot(case)
    with pytest.raises(HookFailed, match="pager down"):
        engine.record_assessment(case, "mht", mht(97), phase="screening", at=T0, by="wu")
    assert case == before
    engine.record_assessment(case, "mht", LOW, phase="screening", at=T0, by="wu")


def test_phq9_self_harm_item_raises_an_alert() -> None:
    engine = Engine(STANDARD)
    case = engine.open("a-1", child(), at=T0, by="wu")
    engine.record_assessment(case, "phq9", [0] * 8 + [1], phase="screening", at=T0, by="wu")
    assert len(case.alerts) == 1


def test_apps_add_their_own_scoring_hooks() -> None:
    engine = Engine(STANDARD)
    seen: list[int] = []

    def audit_total(case: Case, cmd: Any) -> None:
        seen.append(cmd.payload["assessment"].result.total)

    engine.hooks.on_prepare("record_assessment", audit_total)
    case = to_screening(engine)
    engine.record_assessment(case, "mht", HIGH, phase="screening", at=T0, by="wu")
    assert seen == [25]


def test_an_instrument_the_engine_does_not_know_is_refused() -> None:
    engine = Engine(STANDARD)
    case = to_screening(engine)
    stricter = MHT.with_thresholds(total_high=60)
    with pytest.raises(InvalidCommand, match="differs from the engine's"):
        engine.record_assessment(case, stricter, HIGH, phase="screening", at=T0, by="wu")
    custom = Engine(STANDARD, instruments={"mht": stricter})
    c2 = to_screening(custom)
    custom.record_assessment(c2, stricter, HIGH, phase="screening", at=T0, by="wu")
