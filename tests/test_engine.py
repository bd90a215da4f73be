"""Commands through the engine: accepted ones become one event, refused ones change nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from casework import (
    DEFAULT_CATALOGUE,
    STANDARD,
    Case,
    Client,
    CommandRejected,
    Consent,
    ConsentGiver,
    DefinitionError,
    Engine,
    Event,
    GuardFailed,
    HookFailed,
    InvalidCommand,
    SessionPlan,
    SessionRecord,
    TransitionNotAllowed,
    UnknownTrigger,
)
from strategies import T0, child, drive_to, open_case, snapshot


@pytest.fixture
def engine() -> Engine:
    return Engine(STANDARD)


def rejected(case: Case, error: type[CommandRejected], run: Any) -> CommandRejected:
    """Run a command that must be refused with ``error``, and check it changed nothing."""
    before = snapshot(case)
    with pytest.raises(error) as info:
        run()
    assert case == before
    assert info.value.case_id == case.id and info.value.state == case.state
    assert set(info.value.allowed) <= set(STANDARD.triggers_from(case.state))
    assert info.value.trigger not in info.value.allowed
    return info.value


def test_each_accepted_command_appends_one_past_tense_event(engine: Engine) -> None:
    case = open_case(engine)
    event = engine.fire(case, "screen", at=T0, by="li")
    assert case.history[-1] is event
    assert (event.case_id, event.seq, event.type, event.actor, event.state) == (
        "case-1",
        2,
        "screening_started",
        "li",
        "screening",
    )
    assert case.state == "screening" and case.previous_state == "referral"


def test_events_are_immutable(engine: Engine) -> None:
    event = engine.fire(open_case(engine), "screen", at=T0, by="wu", note="first visit")
    with pytest.raises(AttributeError):
        event.state = "closed"  # type: ignore[misc]
    with pytest.raises(TypeError):
        event.payload["note"] = "changed"  # type: ignore[index]


def test_unknown_trigger(engine: Engine) -> None:
    case = open_case(engine)
    err = rejected(case, UnknownTrigger, lambda: engine.fire(case, "fly", at=T0, by="wu"))
    assert "no trigger 'fly'" in str(err)


def test_trigger_not_allowed_from_this_state(engine: Engine) -> None:
    case = open_case(engine)
    err = rejected(case, TransitionNotAllowed, lambda: engine.fire(case, "close", at=T0, by="wu"))
    assert err.trigger == "close" and "not allowed from 'referral'" in err.reasons[0]


def test_intake_needs_child_and_guardian_consent(engine: Engine) -> None:
    case = drive_to(engine, open_case(engine), "screening")
    err = rejected(case, GuardFailed, lambda: engine.fire(case, "admit", at=T0, by="wu"))
    assert isinstance(err, GuardFailed)
    assert "the client's consent" in err.failed["consent_for_intake"]
    assert "guardian" in err.failed["consent_for_intake"]
    engine.record_consent(case, Consent(ConsentGiver.CLIENT, T0), by="wu")
    err = rejected(case, GuardFailed, lambda: engine.fire(case, "admit", at=T0, by="wu"))
    assert "client's consent" not in str(err) and "guardian" in str(err)
    engine.record_consent(case, Consent(ConsentGiver.GUARDIAN, T0, giver_id="g-1"), by="wu")
    engine.fire(case, "admit", at=T0, by="wu")
    assert case.state == "intake"


def test_an_adult_needs_only_their_own_consent(engine: Engine) -> None:
    adult = Client("c-2", "王阿姨", date(1950, 1, 1))
    case = engine.open("case-2", adult, at=T0, by="wu")
    engine.fire(case, "screen", at=T0, by="wu")
    engine.record_consent(case, Consent("client", T0), by="wu")
    engine.fire(case, "admit", at=T0, by="wu")
    assert case.state == "intake"


def test_age_is_taken_on_the_intake_date(engine: Engine) -> None:
    """A client who turns 18 between referral and intake no longer needs a guardian."""
    turns_18 = T0 + timedelta(days=30)
    client = child(born=turns_18.date().replace(year=turns_18.year - 18))
    case = engine.open("case-3", client, at=T0, by="wu")
    engine.fire(case, "screen", at=T0, by="wu")
    engine.record_consent(case, Consent("client", T0), by="wu")
    rejected(case, GuardFailed, lambda: engine.fire(case, "admit", at=T0, by="wu"))
    engine.fire(case, "admit", at=turns_18, by="wu")


def test_guardian_consent_must_come_from_a_guardian(engine: Engine) -> None:
    case = open_case(engine)
    err = rejected(
        case,
        GuardFailed,
        lambda: engine.record_consent(
            case, Consent(ConsentGiver.GUARDIAN, T0, giver_id="neighbour"), by="wu"
        ),
    )
    assert "not one of the client's guardians" in str(err)


def test_no_session_outside_intervention_or_without_consent(engine: Engine) -> None:
    case = drive_to(engine, open_case(engine), "planning")
    session = SessionRecord(1, held_at=T0)
    rejected(case, TransitionNotAllowed, lambda: engine.record_session(case, session, by="wu"))
    engine.fire(case, "start_intervention", at=T0, by="wu")
    engine.withdraw_consent(case, "guardian", at=T0, by="wu", reason="family moved")
    err = rejected(case, GuardFailed, lambda: engine.record_session(case, session, by="wu"))
    assert "guardian's consent" in err.failed["consent_in_force"]
    engine.record_consent(case, Consent("guardian", T0, giver_id="g-1"), by="wu")
    engine.record_session(case, session, by="wu")
    assert case.held_sessions == 1


def test_evaluation_needs_planned_sessions_unless_ended_early(engine: Engine) -> None:
    case = drive_to(engine, open_case(engine), "intervention")
    for n in (1, 2, 3):
        engine.record_session(case, SessionRecord(n, held_at=T0), by="wu")
    engine.record_session(case, SessionRecord(4, "no_show", scheduled_at=T0), by="wu")
    err = rejected(case, GuardFailed, lambda: engine.fire(case, "evaluate", at=T0, by="wu"))
    assert err.reasons == ("3 of 10 planned sessions held",)
    rejected(case, GuardFailed, lambda: engine.fire(case, "end_early", at=T0, by="wu"))
    event = engine.fire(case, "end_early", at=T0, by="wu", reason="family moved away")
    assert event.type == "intervention_ended_early" and case.state == "evaluation"


def test_held_sessions_never_exceed_the_plan_until_revised(engine: Engine) -> None:
    case = drive_to(engine, open_case(engine), "intervention")
    for n in range(1, 11):
        engine.record_session(case, SessionRecord(n, held_at=T0), by="wu")
    extra = SessionRecord(11, held_at=T0)
    rejected(case, GuardFailed, lambda: engine.record_session(case, extra, by="wu"))
    rejected(case, GuardFailed, lambda: engine.revise_plan(case, 12, reason="", at=T0, by="wu"))
    rejected(case, GuardFailed, lambda: engine.revise_plan(case, 9, reason="x", at=T0, by="wu"))
    engine.revise_plan(case, 12, reason="needs more time", at=T0, by="wu")
    engine.record_session(case, extra, by="wu")
    assert (case.held_sessions, case.planned_sessions) == (11, 12)


def test_closure_and_reopening_need_a_reason_and_keep_history(engine: Engine) -> None:
    case = drive_to(engine, open_case(engine), "evaluation")
    err = rejected(case, GuardFailed, lambda: engine.fire(case, "close", at=T0, by="wu"))
    assert err.failed == {"reason_given": "close needs a reason"}
    rejected(case, GuardFailed, lambda: engine.fire(case, "close", at=T0, by="wu", reason=" "))
    engine.fire(case, "close", at=T0, by="wu", reason="goals met")
    history = list(case.history)
    rejected(case, GuardFailed, lambda: engine.fire(case, "reopen", at=T0, by="wu"))
    engine.fire(case, "reopen", at=T0, by="wu", reason="new crisis at school")
    assert case.state == "intake" and case.history[: len(history)] == history


def test_suspension_resumes_where_it_left(engine: Engine) -> None:
    case = drive_to(engine, open_case(engine), "assessment")
    engine.fire(case, "suspend", at=T0, by="wu", reason="hospital stay")
    assert case.state == "suspended"
    engine.fire(case, "resume", at=T0, by="wu")
    assert case.state == "assessment"


def test_transfer_changes_worker_not_state(engine: Engine) -> None:
    case = drive_to(engine, open_case(engine), "intake")
    rejected(case, GuardFailed, lambda: engine.transfer(case, "wu", reason="x", at=T0, by="wu"))
    rejected(case, GuardFailed, lambda: engine.transfer(case, "li", reason="", at=T0, by="wu"))
    event = engine.transfer(case, "li", reason="caseload", at=T0, by="wu")
    assert (case.worker, case.state, event.type) == ("li", "intake", "transferred")


def test_withdrawal_and_referral_out(engine: Engine) -> None:
    case = drive_to(engine, open_case(engine), "intervention")
    rejected(case, GuardFailed, lambda: engine.fire(case, "refer_out", at=T0, by="wu"))
    engine.fire(case, "refer_out", at=T0, by="wu", agency="county mental-health centre")
    assert case.state == "referred_out" and not case.is_open
    other = drive_to(engine, engine.open("case-9", child(), at=T0, by="wu"), "screening")
    engine.fire(other, "withdraw", at=T0, by="wu", reason="client's choice")
    assert other.state == "withdrawn"


def test_commands_may_not_be_backdated(engine: Engine) -> None:
    case = drive_to(engine, open_case(engine), "screening", at=T0 + timedelta(days=3))
    err = rejected(
        case, GuardFailed, lambda: engine.fire(case, "screen_out", at=T0, by="wu", reason="x")
    )
    assert "before the case's latest event" in err.failed["chronological"]
    engine.fire(case, "screen_out", at=T0 + timedelta(days=3), by="wu", reason="same day is fine")


def test_bad_input_is_refused_as_invalid_command(engine: Engine) -> None:
    case = open_case(engine)
    rejected(case, InvalidCommand, lambda: engine.fire(case, "screen", at="2023-03-01", by="wu"))
    rejected(case, InvalidCommand, lambda: engine.fire(case, "screen", at=T0, by=""))
    rejected(case, InvalidCommand, lambda: engine.record_session(case, "s1", by="wu"))  # type: ignore[arg-type]
    rejected(case, InvalidCommand, lambda: engine.set_plan(case, 10, at=T0, by="wu"))  # type: ignore[arg-type]
    rejected(
        case,
        InvalidCommand,
        lambda: engine.withdraw_consent(case, "neighbour", at=T0, by="wu", reason="x"),
    )
    aware = datetime(2023, 3, 2, tzinfo=UTC)
    rejected(case, InvalidCommand, lambda: engine.fire(case, "screen", at=aware, by="wu"))
    with pytest.raises(InvalidCommand, match="case_id"):
        engine.open("", child(), at=T0, by="wu")


def test_a_case_of_another_lifecycle_is_refused(engine: Engine) -> None:
    from casework import Lifecycle, State, Transition

    other = Lifecycle(
        "other",
        [State("referral", initial=True), State("done", category="closed", terminal=True)],
        [Transition("screen", "referral", "done", "done")],
    )
    case = open_case(Engine(other))
    with pytest.raises(InvalidCommand, match="follows lifecycle 'other'"):
        engine.fire(case, "screen", at=T0, by="wu")


# --- hooks ------------------------------------------------------------------------------------


def test_hooks_run_in_order_and_see_case_and_event(engine: Engine) -> None:
    calls: list[tuple[str, str, str]] = []

    def record(point: str) -> Any:
        def hook(case: Case, event: Event) -> None:
            calls.append((point, case.state, event.state))

        return hook

    engine.hooks.before("screen", record("before"))
    engine.hooks.on_exit("referral", record("exit"))
    engine.hooks.on_enter("screening", record("enter"))
    engine.hooks.on_enter("screening", record("enter-2"))
    engine.hooks.after("*", record("after"))
    engine.hooks.on_event(record("event"))
    engine.hooks.on_event(record("event-typed"), type="screening_started")
    case = open_case(engine)
    calls.clear()
    engine.fire(case, "screen", at=T0, by="wu")
    assert calls == [
        ("before", "referral", "screening"),
        ("exit", "referral", "screening"),
        ("enter", "referral", "screening"),
        ("enter-2", "referral", "screening"),
        ("after", "referral", "screening"),
        ("event-typed", "referral", "screening"),  # hooks for one name run before catch-alls
        ("event", "referral", "screening"),
    ]


def test_internal_transitions_do_not_enter_or_exit(engine: Engine) -> None:
    seen: list[str] = []
    engine.hooks.on_enter("*", lambda case, event: seen.append("enter"))
    engine.hooks.on_event(lambda case, event: seen.append(event.type))
    case = open_case(engine)
    engine.record_consent(case, Consent("client", T0), by="wu")
    assert seen == ["case_opened", "consent_recorded"]


def test_a_raising_hook_rejects_the_command_and_changes_nothing(engine: Engine) -> None:
    case = drive_to(engine, open_case(engine), "screening")

    def boom(case: Case, event: Event) -> None:
        raise RuntimeError("notification service down")

    engine.hooks.after("screen_out", boom)
    err = rejected(
        case,
        HookFailed,
        lambda: engine.fire(case, "screen_out", at=T0, by="wu", reason="not eligible"),
    )
    assert "notification service down" in str(err)
    assert isinstance(err.__cause__, RuntimeError)


def test_prepare_hooks_add_data_that_guards_can_read(engine: Engine) -> None:
    case = drive_to(engine, open_case(engine), "evaluation")
    engine.hooks.on_prepare("close", lambda case, cmd: {"reason": "auto: all sessions held"})
    event = engine.fire(case, "close", at=T0, by="wu")
    assert event.payload["reason"] == "auto: all sessions held"


def test_hooks_on_unknown_names_are_refused(engine: Engine) -> None:
    with pytest.raises(DefinitionError, match="unknown state 'limbo'"):
        engine.hooks.on_enter("limbo", lambda c, e: None)
    with pytest.raises(DefinitionError, match="unknown trigger 'fly'"):
        engine.hooks.before("fly", lambda c, e: None)
    with pytest.raises(DefinitionError, match="unknown event type"):
        engine.hooks.on_event(lambda c, e: None, type="flown")


def test_definition_hooks_run_inside_the_machine() -> None:
    from casework import Lifecycle, State, Transition

    seen: list[tuple[str, int]] = []

    def log(case: Case, event: Event) -> None:
        seen.append((event.type, event.seq))

    lc = Lifecycle(
        "hooked",
        [State("a", initial=True, on_exit=log), State("b", category="closed", terminal=True)],
        [Transition("go", "a", "b", "went", after=log)],
    )
    eng = Engine(lc)
    case = eng.open("h-1", child(), at=T0, by="wu")
    eng.fire(case, "go", at=T0, by="wu")
    assert seen == [("went", 2), ("went", 2)]


# --- introspection ----------------------------------------------------------------------------


def test_check_explains_every_blocked_trigger(engine: Engine) -> None:
    case = drive_to(engine, open_case(engine), "intervention")
    checks = engine.check(case)
    assert checks["record_session"].reasons == ("record_session needs a SessionRecord",)
    assert checks["evaluate"].reasons == ("0 of 10 planned sessions held",)
    assert checks["close"].reasons == ("not allowed from 'intervention'",)
    assert engine.check(case, reason="x")["end_early"].allowed
    assert "end_early" in engine.allowed(case, reason="moved")
    assert "close" not in engine.allowed(case, reason="moved")


def test_opening_records_who_and_what(engine: Engine) -> None:
    case = engine.open(
        "case-1", child(), at=date(2023, 3, 1), by="wu", worker="li", programme="心桥舒屋"
    )
    first = case.history[0]
    assert first.type == "case_opened" and first.at == datetime(2023, 3, 1)
    assert first.payload["lifecycle"] == "standard" and case.programme == "心桥舒屋"
    assert case.worker == "li" and case.state == "referral"


def test_set_plan_resets_the_count_for_a_new_plan(engine: Engine) -> None:
    case = drive_to(engine, open_case(engine), "closed")
    # (the consent given at intake is still in force: recording the very same consent again
    # is now refused as a doubled record, so this test no longer records it a second time)
    engine.fire(case, "reopen", at=T0, by="wu", reason="relapse")
    assert case.plan_in_force is None and case.held_sessions == 0  # the reopening ended that plan
    engine.fire(case, "assess", at=T0, by="wu")
    engine.fire(case, "plan", at=T0, by="wu")
    engine.set_plan(case, SessionPlan(4), at=T0, by="wu")
    assert case.held_sessions == 0 and len(case.sessions) == 10


# --- regressions ------------------------------------------------------------------------------


def bare_lifecycle(*extra: Any) -> Any:
    from casework import Lifecycle, State, Transition

    return Lifecycle(
        "bare",
        [State("a", initial=True), State("b", category="closed", terminal=True)],
        [Transition("finish", "a", "b", "finished"), *extra],
    )


def test_library_command_without_its_guard_cannot_record_a_broken_event() -> None:
    """A lifecycle may declare set_plan without plan_given: the engine still checks payloads."""
    from casework import Transition

    eng = Engine(
        bare_lifecycle(Transition("set_plan", "a", None), Transition("transfer", "a", None))
    )
    case = eng.open("b-1", child(), at=T0, by="w")
    for trigger, payload in (
        ("set_plan", {}),
        ("set_plan", {"plan": 10}),
        ("transfer", {"to": ""}),
    ):
        err = rejected_any(
            case,
            InvalidCommand,
            lambda t=trigger, p=payload: eng.fire(case, t, at=T0, by="w", **p),
        )
        assert err.reasons[0].startswith(("the payload has no", "'plan' needs", "'to' needs"))
    assert eng.replay(case.history) == case


def rejected_any(case: Case, error: type[CommandRejected], run: Any) -> CommandRejected:
    before = snapshot(case)
    with pytest.raises(error) as info:
        run()
    assert case == before
    return info.value


def test_a_guard_that_raises_is_reported_as_that_guard_failing() -> None:
    from casework import Transition

    def broken(case: Case, cmd: Any) -> str | None:
        return str(1 / 0)

    eng = Engine(bare_lifecycle(Transition("poke", "a", None, "poked", guards=broken)))
    case = eng.open("b-2", child(), at=T0, by="w")
    err = rejected_any(case, GuardFailed, lambda: eng.fire(case, "poke", at=T0, by="w"))
    assert isinstance(err, GuardFailed)
    assert err.failed == {"broken": "the guard raised: ZeroDivisionError: division by zero"}
    assert isinstance(err.__cause__, ZeroDivisionError)
    assert eng.check(case)["poke"].reasons == (
        "the guard raised: ZeroDivisionError: division by zero",
    )


def test_check_applies_the_time_order_rule(engine: Engine) -> None:
    case = open_case(engine, at=T0 + timedelta(days=5))
    check = engine.check(case, at=T0)["screen"]
    assert not check.allowed and "before the case's latest event" in check.reasons[0]
    assert engine.check(case, at=T0 + timedelta(days=5))["screen"].allowed


def test_self_transitions_exit_and_enter_for_engine_hooks_too() -> None:
    from casework import Transition

    seen: list[str] = []
    eng = Engine(bare_lifecycle(Transition("poke", "a", "a", "poked")))
    eng.hooks.on_exit("a", lambda c, e: seen.append("exit"))
    eng.hooks.on_enter("a", lambda c, e: seen.append("enter"))
    case = eng.open("b-3", child(), at=T0, by="w")
    eng.fire(case, "poke", at=T0, by="w")
    assert seen == ["exit", "enter"]


def test_a_missing_dest_in_a_dict_means_an_internal_transition() -> None:

    data = bare_lifecycle().to_dict()
    data["transitions"].append({"trigger": "note", "source": ["a"], "event": "noted"})
    assert DEFAULT_CATALOGUE.lifecycle_from_dict(data).transition("a", "note").internal  # type: ignore[union-attr]


def test_committed_hooks_run_after_the_store_write_and_see_the_new_case() -> None:
    from casework.store import ConflictError, MemoryStore

    store = MemoryStore()
    engine = Engine(STANDARD, store=store)
    sent: list[tuple[str, int, str]] = []
    engine.hooks.on_committed(
        lambda case, event: sent.append((event.type, case.version, case.state))
    )
    case = open_case(engine)
    engine.fire(case, "screen", at=T0, by="wu")
    assert sent == [("case_opened", 1, "referral"), ("screening_started", 2, "screening")]
    stale = store.load(case.id)
    engine.fire(case, "screen_out", at=T0, by="wu", reason="not eligible")
    sent.clear()
    with pytest.raises(ConflictError):
        engine.fire(stale, "withdraw", at=T0, by="li", reason="moved away")
    assert sent == []  # nothing recorded, nothing sent


def test_a_failing_committed_hook_says_the_events_were_recorded() -> None:
    from casework import CommittedHookFailed

    engine = Engine(STANDARD)
    case = open_case(engine)

    def sms_down(case: Case, event: Event) -> None:
        raise ConnectionError("SMS gateway down")

    engine.hooks.on_committed(sms_down, type="screening_started")
    with pytest.raises(CommittedHookFailed, match="were recorded") as info:
        engine.fire(case, "screen", at=T0, by="wu")
    assert info.value.seqs == (2,) and isinstance(info.value.__cause__, ConnectionError)
    assert case.state == "screening" and case.version == 2  # the command took effect
    with pytest.raises(DefinitionError, match="unknown event type"):
        engine.hooks.on_committed(sms_down, type="screened")


def test_allowed_now_lists_only_triggers_whose_guards_pass(engine: Engine) -> None:
    """Issue 12: a refusal's "allowed now" holds what the case accepts now, never the refused
    trigger; guards that judge a command's input (a reason) do not hide a trigger."""
    case = drive_to(engine, open_case(engine), "intervention")
    with pytest.raises(GuardFailed) as info:
        engine.fire(case, "evaluate", at=T0, by="wu")
    allowed = info.value.allowed
    assert "evaluate" not in allowed  # 0 of 10 sessions held
    assert {"suspend", "end_early", "record_session"} <= set(allowed)
    assert set(allowed) < set(STANDARD.triggers_from("intervention"))
    assert "allowed now: " + ", ".join(allowed) in str(info.value)
