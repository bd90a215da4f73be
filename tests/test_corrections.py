"""Corrections and voids: new events pointing to the original, read by every derived fact."""

from __future__ import annotations

from datetime import timedelta

import pytest

from casework import (
    MHT_LIFECYCLE,
    STANDARD,
    Consent,
    Engine,
    InvalidCommand,
    SessionRecord,
    SessionStatus,
)
from casework.reporting import Dataset, Period
from casework.store import MemoryStore
from strategies import MHT_HIGH, MHT_LOW, T0, drive_to, open_case, snapshot


def evaluated(engine: Engine):  # type: ignore[no-untyped-def]
    case = open_case(engine)
    drive_to(engine, case, "evaluation")
    return case


def session_event(case, number: int):  # type: ignore[no-untyped-def]
    return next(
        e
        for e in case.history
        if e.type == "session_recorded" and e.payload["session"].number == number
    )


def test_a_no_show_entered_as_held_is_corrected_and_flagged() -> None:
    engine = Engine(STANDARD)
    case = evaluated(engine)
    assert case.held_sessions == 10
    original = session_event(case, 4)
    at = case.last_at + timedelta(days=1)
    no_show = SessionRecord(4, SessionStatus.NO_SHOW, scheduled_at=original.at)
    event = engine.correct(
        case, original.seq, no_show, reason="a no-show, not held", at=at, by="wu"
    )
    assert event.type == "corrected" and event.payload["target"] == original.seq
    assert case.history[original.seq - 1] is original  # the original stays in the log
    assert case.held_sessions == 9
    assert case.state == "evaluation"  # recorded and flagged, not refused
    (problem,) = case.inconsistencies
    assert (problem.guard, problem.trigger, problem.state) == (
        "sessions_complete",
        "evaluate",
        "evaluation",
    )
    assert problem.reason == "9 of 10 planned sessions held"
    assert engine.replay(case.history) == case


def test_a_correction_of_a_correction_wins_and_a_void_removes() -> None:
    engine = Engine(STANDARD)
    case = evaluated(engine)
    original = session_event(case, 2)
    at = case.last_at + timedelta(days=1)
    wrong = SessionRecord(2, held_at=original.at + timedelta(hours=1), notes="first fix")
    engine.correct(case, original.seq, wrong, reason="wrong hour", at=at, by="wu")
    right = SessionRecord(2, held_at=original.at + timedelta(hours=2), notes="second fix")
    engine.correct(case, original.seq, right, reason="still wrong", at=at, by="wu")
    assert [s for s in case.sessions if s.number == 2] == [right]
    assert not case.inconsistencies  # still ten held
    # naming the correction instead of the original is refused, saying which to name
    with pytest.raises(InvalidCommand, match=f"name the original, #{original.seq}"):
        engine.correct(case, case.version, right, reason="x", at=at, by="wu")
    engine.void(case, original.seq, reason="entered on the wrong case", at=at, by="wu")
    assert [s.number for s in case.sessions].count(2) == 0
    assert case.voided(original.seq)
    assert engine.replay(case.history) == case
    with pytest.raises(InvalidCommand, match="already voided"):
        engine.void(case, original.seq, reason="again", at=at, by="wu")


def test_state_changes_are_not_voided() -> None:
    engine = Engine(STANDARD)
    case = evaluated(engine)
    entered = next(e for e in case.history if e.type == "evaluation_started")
    before = snapshot(case)
    with pytest.raises(InvalidCommand) as info:
        engine.void(case, entered.seq, reason="too early", at=case.last_at, by="wu")
    assert "changed the state" in info.value.reasons[0]
    assert "fire a transition back" in info.value.reasons[0]
    assert case == before


@pytest.mark.parametrize(
    ("seq", "replacement", "reason", "message"),
    [
        (999, None, "r", "there is no event #999"),
        (1, None, "r", "'case_opened' cannot be corrected"),
        ("3", None, "r", "names no event number"),
        (None, "session", "", "correct needs a reason"),
        (None, "not a session", "r", "'session' needs a SessionRecord"),
    ],
)
def test_bad_corrections_are_refused_and_change_nothing(
    seq: object, replacement: object, reason: str, message: str
) -> None:
    engine = Engine(STANDARD)
    case = evaluated(engine)
    target = session_event(case, 1).seq if seq is None else seq
    if replacement == "session":
        replacement = SessionRecord(1, held_at=T0)
    before = snapshot(case)
    with pytest.raises(InvalidCommand) as info:
        engine.correct(case, target, replacement, reason=reason, at=case.last_at, by="wu")  # type: ignore[arg-type]
    assert message in "; ".join(info.value.reasons)
    assert case == before


def test_a_consent_correction_reaches_the_guards() -> None:
    engine = Engine(STANDARD)
    case = open_case(engine)
    drive_to(engine, case, "intake")
    consent = next(e for e in case.history if e.type == "consent_recorded")
    given = consent.payload["consent"]
    later = Consent(given.giver, given.given_at + timedelta(days=400), giver_id=given.giver_id)
    at = later.given_at + timedelta(days=1)
    engine.correct(case, consent.seq, later, reason="wrong year", at=at, by="wu")
    # admission needed the consent in force; corrected, it was not yet given then
    assert [i.guard for i in case.inconsistencies] == ["consent_for_intake"]
    with pytest.raises(InvalidCommand, match="not one of the client's guardians"):
        engine.correct(
            case,
            consent.seq,
            Consent("guardian", given.given_at, giver_id="stranger"),
            reason="r",
            at=at,
            by="wu",
        )


def test_an_assessment_is_rescored_from_corrected_responses() -> None:
    engine = Engine(MHT_LIFECYCLE)
    case = open_case(engine)
    drive_to(engine, case, "screening")
    engine.record_assessment(case, "mht", MHT_LOW, phase="screening", at=T0, by="wu")
    recorded = case.history[-1]
    assert recorded.payload["assessment"].result.total < 65
    engine.correct(case, recorded.seq, MHT_HIGH, reason="answers typed in wrongly", at=T0, by="wu")
    (assessment,) = case.assessments
    assert assessment.result.total == 25  # items 1-25 answered yes: high on two scales
    assert assessment.at == recorded.payload["assessment"].at  # still when it was administered
    engine.record_consent(case, Consent("client", T0), by="wu")
    engine.record_consent(case, Consent("guardian", T0, giver_id="g-1"), by="wu")
    engine.fire(case, "admit", at=T0, by="wu")  # the screening rule reads the corrected score
    assert case.state == "intake"


def test_corrections_survive_a_store_and_reach_the_indicators() -> None:
    store = MemoryStore()
    engine = Engine(STANDARD, store=store)
    case = evaluated(engine)
    original = session_event(case, 3)
    at = case.last_at + timedelta(days=1)
    ds_before = Dataset([store.load(case.id)])
    year = Period.year(original.at.year)
    held_before = len(ds_before.held_sessions(year))
    engine.void(case, original.seq, reason="no-show entered as held", at=at, by="wu")
    loaded = store.load(case.id)
    assert loaded == case
    assert len(Dataset([loaded]).held_sessions(year)) == held_before - 1
    rows = loaded.timeline()
    assert rows[original.seq - 1].note == f"voided by #{case.version}"
    assert rows[-1].note == f"of #{original.seq}: no-show entered as held"
    assert "voided by" in str(rows[original.seq - 1])


def test_a_correction_cannot_hold_more_sessions_than_planned() -> None:
    engine = Engine(STANDARD)
    case = open_case(engine)
    drive_to(engine, case, "intervention")
    for n in range(1, 11):
        engine.record_session(case, SessionRecord(n, held_at=T0), by="wu")
    engine.record_session(case, SessionRecord(11, SessionStatus.NO_SHOW, scheduled_at=T0), by="wu")
    no_show = case.history[-1]
    held = SessionRecord(11, held_at=T0)
    before = snapshot(case)
    with pytest.raises(InvalidCommand, match="11 sessions held of 10 planned: revise the plan"):
        engine.correct(case, no_show.seq, held, reason="it was held", at=T0, by="wu")
    assert case == before
    engine.revise_plan(case, 11, reason="one more", at=T0, by="wu")
    engine.correct(case, no_show.seq, held, reason="it was held", at=T0, by="wu")
    assert case.held_sessions == 11
