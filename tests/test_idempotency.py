"""Retried and doubled commands (issue 14): command ids, records that cannot be doubled, guards
that judge the time a thing happened, and a reopened case that needs a new plan.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from casework import (
    MHT_LIFECYCLE,
    STANDARD,
    CommandRejected,
    Consent,
    ConsentGiver,
    DuplicateCommand,
    DuplicateRecord,
    Engine,
    GuardFailed,
    InvalidCommand,
    SessionPlan,
    SessionRecord,
    SessionStatus,
)
from casework.case import Case
from casework.store import ConflictError, DuplicateCommandId, MemoryStore, SQLiteStore
from strategies import MHT_HIGH, MHT_LOW, T0, child, drive_to, open_case, snapshot

H = timedelta(hours=1)


@pytest.fixture
def engine() -> Engine:
    return Engine(STANDARD)


def in_intervention(engine: Engine) -> Case:
    """A child's case in intervention, with a plan of ten sessions and none held yet."""
    return drive_to(engine, open_case(engine), "intervention")


# --- the reproduction -------------------------------------------------------------------


def test_the_same_session_ten_times_counts_once_and_never_opens_evaluation(
    engine: Engine,
) -> None:
    """Issue 14: SessionRecord(1) recorded ten times gave held_sessions == 10."""
    case = in_intervention(engine)
    first = engine.record_session(case, SessionRecord(1, held_at=T0), by="wu")
    for _ in range(9):
        with pytest.raises(DuplicateRecord) as info:
            engine.record_session(case, SessionRecord(1, held_at=T0), by="wu")
        assert info.value.seq == first.seq
        assert "engine.correct" in info.value.failed["distinct_record"]
    assert case.held_sessions == 1 and case.version == first.seq
    with pytest.raises(GuardFailed, match="1 of 10 planned sessions held"):
        engine.fire(case, "evaluate", at=T0, by="wu")


def test_a_session_held_after_its_recording_is_refused(engine: Engine) -> None:
    case = in_intervention(engine)
    future = SessionRecord(1, held_at=T0 + 3 * H)
    with pytest.raises(GuardFailed) as info:
        engine.record_session(case, future, by="wu", at=T0 + H)
    assert "before it took place" in info.value.failed["held_before_recorded"]
    engine.record_session(case, future, by="wu", at=T0 + 3 * H)  # once it has happened
    assert case.held_sessions == 1


def test_consent_is_judged_at_the_time_the_session_was_held(engine: Engine) -> None:
    """Held while consent was withdrawn, recorded after it was given again: refused."""
    adult = child(T0.date().replace(year=T0.year - 30))
    case = drive_to(engine, open_case(engine, adult), "intervention")
    engine.withdraw_consent(case, "client", at=T0 + H, by="wu", reason="family dispute")
    engine.record_consent(case, Consent(ConsentGiver.CLIENT, T0 + 5 * H), by="wu")
    held_meanwhile = SessionRecord(1, held_at=T0 + 2 * H)
    with pytest.raises(GuardFailed) as info:
        engine.record_session(case, held_meanwhile, by="wu", at=T0 + 6 * H)
    assert "when it was held" in info.value.failed["consent_in_force"]
    # held before the withdrawal, recorded late: consent was in force then
    engine.record_session(case, SessionRecord(1, held_at=T0 + H / 2), by="wu", at=T0 + 6 * H)
    assert case.held_sessions == 1


def test_after_a_reopening_the_old_plan_and_sessions_do_not_count(engine: Engine) -> None:
    case = drive_to(engine, open_case(engine), "closed")
    assert case.held_sessions == 10
    engine.fire(case, "reopen", at=T0, by="wu", reason="relapse")
    assert (case.plan_in_force, case.held_sessions, len(case.sessions)) == (None, 0, 10)
    assert case.planned_sessions == 10  # the earlier plan, for the reports of its period
    engine.fire(case, "assess", at=T0, by="wu")
    engine.fire(case, "plan", at=T0, by="wu")
    with pytest.raises(GuardFailed, match="no session plan"):
        engine.fire(case, "start_intervention", at=T0, by="wu")
    engine.set_plan(case, SessionPlan(2), at=T0, by="wu")
    engine.fire(case, "start_intervention", at=T0, by="wu")
    with pytest.raises(GuardFailed, match="0 of 2 planned sessions held"):
        engine.fire(case, "evaluate", at=T0, by="wu")
    # the new plan's numbers start again: session 1 of the new plan is a new session
    engine.record_session(case, SessionRecord(1, held_at=T0), by="wu")
    engine.record_session(case, SessionRecord(2, held_at=T0), by="wu")
    engine.fire(case, "evaluate", at=T0, by="wu")
    assert len(case.sessions) == 12  # the earlier period's sessions stay, for its indicators
    assert engine.replay(case.history) == case


def test_a_doubled_consent_and_a_doubled_assessment_are_refused() -> None:
    engine = Engine(MHT_LIFECYCLE)
    case = open_case(engine)
    engine.fire(case, "screen", at=T0, by="wu")
    given = engine.record_consent(case, Consent(ConsentGiver.CLIENT, T0), by="wu")
    with pytest.raises(DuplicateRecord) as info:
        engine.record_consent(case, Consent(ConsentGiver.CLIENT, T0), by="wu")
    assert info.value.seq == given.seq
    first = engine.record_assessment(case, "mht", MHT_HIGH, phase="screening", at=T0, by="wu")
    with pytest.raises(DuplicateRecord) as info:
        engine.record_assessment(case, "mht", MHT_HIGH, phase="screening", at=T0, by="wu")
    assert info.value.seq == first.seq
    # another administration (other answers, or another time) is a new record
    engine.record_assessment(case, "mht", MHT_LOW, phase="screening", at=T0, by="wu")
    assert len(case.assessments) == 2


def test_a_correction_cannot_double_a_held_number(engine: Engine) -> None:
    case = in_intervention(engine)
    engine.record_session(case, SessionRecord(1, held_at=T0), by="wu")
    two = engine.record_session(case, SessionRecord(2, held_at=T0), by="wu")
    with pytest.raises(InvalidCommand, match="session 1 is already held"):
        engine.correct(case, two.seq, SessionRecord(1, held_at=T0), reason="typo", at=T0, by="wu")
    assert case.held_sessions == 2


# --- command ids ----------------------------------------------------------------------------------


def test_a_retry_with_the_same_id_returns_the_original_event(engine: Engine) -> None:
    case = in_intervention(engine)
    session = SessionRecord(1, held_at=T0)
    first = engine.record_session(case, session, by="wu", command_id="visit-1")
    assert first.payload["command_id"] == "visit-1" and case.commands == {"visit-1": first.seq}
    again = engine.record_session(case, session, by="wu", command_id="visit-1")
    assert again is first and case.version == first.seq
    # later, after the case moved on, the retry still returns it
    engine.record_session(case, SessionRecord(2, held_at=T0 + H), by="wu")
    assert engine.record_session(case, session, by="wu", command_id="visit-1") is first
    assert (
        engine.fire(case, "record_session", at=T0, by="wu", command_id="visit-1", session=session)
        is first
    )


def test_the_same_id_for_another_command_is_refused_naming_the_event(engine: Engine) -> None:
    case = in_intervention(engine)
    first = engine.record_session(case, SessionRecord(1, held_at=T0), by="wu", command_id="v")
    before = snapshot(case)
    with pytest.raises(DuplicateCommand) as info:
        engine.record_session(case, SessionRecord(2, held_at=T0), by="wu", command_id="v")
    assert (info.value.seq, info.value.command_id) == (first.seq, "v")
    assert info.value.differences == ("session",)
    assert f"#{first.seq}" in str(info.value)
    with pytest.raises(DuplicateCommand) as info:
        engine.fire(case, "suspend", at=T0, by="wu", reason="ill", command_id="v")
    assert "trigger" in info.value.differences
    assert case == before


def test_every_command_takes_an_id() -> None:
    """open (through a store), the library commands, fire, correct, void and migrate."""
    store = MemoryStore()
    engine = Engine(MHT_LIFECYCLE, store=store)
    case = engine.open("c", child(), at=T0, by="wu", command_id="open-c")
    assert engine.open("c", child(), at=T0, by="wu", command_id="open-c") == case
    with pytest.raises(DuplicateCommand):
        engine.open("c", child(), at=T0, by="li", command_id="open-c")
    steps = [
        lambda: engine.fire(case, "screen", at=T0, by="wu", command_id="s"),
        lambda: engine.record_assessment(
            case, "mht", MHT_HIGH, phase="screening", at=T0, by="wu", command_id="a"
        ),
        lambda: engine.record_consent(case, Consent("client", T0), by="wu", command_id="k1"),
        lambda: engine.record_consent(
            case, Consent("guardian", T0, giver_id="g-1"), by="wu", command_id="k2"
        ),
        lambda: engine.transfer(case, "li", reason="leave", at=T0, by="wu", command_id="t"),
        lambda: engine.void(case, 4, reason="entered twice", at=T0, by="wu", command_id="x"),
        lambda: engine.correct(
            case, 3, MHT_LOW, reason="wrong sheet", at=T0, by="wu", command_id="y"
        ),
    ]
    for step in steps:
        first = step()
        version = case.version
        assert step() is first and case.version == version  # the retry is a no-op
    again = store.load("c")
    assert again == case and again.commands == case.commands


def test_the_store_refuses_a_command_id_twice_even_bypassing_the_engine(
    tmp_path: Path,
) -> None:
    """The last line of defence: the store's own check (unique index, or under the lock)."""
    for store in (MemoryStore(), SQLiteStore(tmp_path / "c.db")):
        engine = Engine(STANDARD, store=store)
        case = engine.open("c", child(), at=T0, by="wu")
        first = engine.fire(case, "screen", at=T0, by="wu", command_id="x")
        with pytest.raises(DuplicateCommandId) as info:  # a raw append under the same id
            store.append([attrs.evolve(first, seq=3)], expected_version=2)
        assert (info.value.command_id, info.value.seq) == ("x", 2)
        assert isinstance(info.value, ConflictError)  # reload the case, then retry
        forgetful = engine.replay(case.history)
        forgetful.commands = {}  # a copy of the case that does not know the id
        with pytest.raises(DuplicateCommandId):
            engine.fire(forgetful, "transfer", at=T0, by="wu", to="li", reason="r", command_id="x")
        assert forgetful.version == 2
        twice = [attrs.evolve(first, seq=3), attrs.evolve(first, seq=4)]
        with pytest.raises(DuplicateCommandId):  # one id twice in one append
            store.append(twice, expected_version=2)
        assert store.load("c") == case
        store.close()


def test_a_bad_command_id_is_refused(engine: Engine) -> None:
    case = open_case(engine)
    for bad in ("", "  ", 7, "x" * 201):
        with pytest.raises(InvalidCommand, match="command id"):
            engine.fire(case, "screen", at=T0, by="wu", command_id=bad)  # type: ignore[arg-type]
    assert case.version == 1


# --- random programs with retries -------------------------------------------------------------

commands = st.lists(
    st.tuples(
        st.sampled_from(["session", "no_show", "consent", "withdraw", "evaluate"]),
        st.integers(1, 4),  # session number
        st.integers(0, 3),  # hours later
        st.sampled_from(["none", "retry_id", "retry_same", "new_id"]),
    ),
    max_size=30,
)


@settings(max_examples=120, deadline=None)
@given(program=commands, plan=st.integers(2, 4))
def test_random_programs_with_duplicates_and_retries(
    program: list[tuple[str, int, int, str]], plan: int
) -> None:
    """Counts, guards and replay after random commands, each maybe retried (same id) or
    submitted again (same content, no id): nothing is ever counted twice.
    """
    engine = Engine(STANDARD, store=MemoryStore())
    adult = child(T0.date().replace(year=T0.year - 30))
    case = drive_to(engine, open_case(engine, adult), "planning")
    engine.set_plan(case, SessionPlan(plan), at=T0, by="wu")
    engine.fire(case, "start_intervention", at=T0, by="wu")
    now = T0
    for n, (kind, number, hours, repeat) in enumerate(program):
        now += hours * H
        cid = f"cmd-{n}" if repeat != "none" else None

        def run(cid: str | None = cid, kind: str = kind, number: int = number, at=now):  # type: ignore[no-untyped-def]
            if kind == "session":
                s = SessionRecord(number, held_at=at)
                return engine.record_session(case, s, by="wu", command_id=cid)
            if kind == "no_show":
                s = SessionRecord(number, SessionStatus.NO_SHOW, scheduled_at=at)
                return engine.record_session(case, s, by="wu", command_id=cid)
            if kind == "consent":
                c = Consent(ConsentGiver.CLIENT, at)
                return engine.record_consent(case, c, by="wu", command_id=cid)
            if kind == "withdraw":
                return engine.withdraw_consent(
                    case, "client", at=at, by="wu", reason="r", command_id=cid
                )
            return engine.fire(case, "evaluate", at=at, by="wu", command_id=cid)

        try:
            first = run()
        except (GuardFailed, InvalidCommand, DuplicateCommand):
            first = None
        version = case.version
        if repeat in ("retry_id", "retry_same"):
            try:
                again = run(cid if repeat == "retry_id" else None)
            except CommandRejected as exc:  # the same content again, refused
                again = exc
            if repeat == "retry_id" and first is not None:
                assert again is first
            assert case.version == version or first is None, "a retry recorded again"
        held = {}
        for ev in case.history:
            if ev.type == "session_recorded" and ev.payload["session"].held:
                held.setdefault(ev.payload["session"].number, ev.seq)
        assert len(held) == sum(
            1 for ev in case.history if ev.type == "session_recorded" and ev.payload["session"].held
        ), "a held session number was recorded twice"
        assert case.held_sessions == len(held) <= plan
        if case.state == "evaluation":
            assert case.held_sessions == plan
        for ev in case.history:
            if ev.type == "session_recorded" and ev.payload["session"].held:
                held_at = ev.payload["session"].held_at
                assert held_at <= ev.at
                assert engine.replay(case.history[: ev.seq - 1]).consent_active("client", held_at)
        ids = [e.payload["command_id"] for e in case.history if "command_id" in e.payload]
        assert len(ids) == len(set(ids))
        assert engine.replay(case.history) == case
        assert engine.store.load(case.id) == case  # type: ignore[union-attr]
        if case.state == "evaluation":
            break
