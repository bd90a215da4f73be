"""Values survive pickle and deepcopy with equality, in this process and across a real one."""

from __future__ import annotations

import copy
import multiprocessing
import pickle
from concurrent.futures import ProcessPoolExecutor
from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from casework import (
    DEFAULT_CATALOGUE,
    MHT_LIFECYCLE,
    STANDARD,
    Case,
    Catalogue,
    Engine,
    Event,
    SessionRecord,
    SessionStatus,
)
from casework.instruments import MHT
from strategies import MHT_HIGH, T0, drive_to, open_case

PATH = ["referral", "screening", "intake", "assessment", "planning", "intervention", "evaluation"]


@st.composite
def cases(draw: st.DrawFn) -> Case:
    """A case driven to a random state, with random corrections and voids of its sessions."""
    mht = draw(st.booleans())
    engine = Engine(MHT_LIFECYCLE if mht else STANDARD)
    case = open_case(engine)
    state = draw(st.sampled_from([*PATH, "closed"]))
    if state != "referral":
        drive_to(engine, case, state, mht=mht)
    sessions = [e for e in case.history if e.type == "session_recorded"]
    at = T0 + timedelta(days=1)
    for ev in draw(st.lists(st.sampled_from(sessions), max_size=3)) if sessions else ():
        if case.voided(ev.seq):
            continue
        if draw(st.booleans()):
            engine.void(case, ev.seq, reason="entered in error", at=at, by="wu")
        else:
            number = ev.payload["session"].number
            missed = SessionRecord(number, SessionStatus.NO_SHOW, scheduled_at=ev.at)
            engine.correct(case, ev.seq, missed, reason="a no-show", at=at, by="wu")
    return case


@settings(max_examples=40, deadline=None)
@given(cases())
def test_cases_and_events_pickle_and_deepcopy(case: Case) -> None:
    for copied in (pickle.loads(pickle.dumps(case)), copy.deepcopy(case)):
        assert copied == case
        assert copied.history == case.history
        assert copied.inconsistencies == case.inconsistencies
        assert copied.lifecycle == case.lifecycle
    for ev in case.history:
        assert pickle.loads(pickle.dumps(ev)) == ev and copy.deepcopy(ev) == ev


def test_definitions_pickle_and_stay_usable() -> None:
    for value in (STANDARD, MHT_LIFECYCLE, MHT, DEFAULT_CATALOGUE):
        assert pickle.loads(pickle.dumps(value)) == value
        assert copy.deepcopy(value) == value
    lc = pickle.loads(pickle.dumps(MHT_LIFECYCLE))
    case = open_case(Engine(lc))  # an unpickled definition compiles and runs
    Engine(lc).fire(case, "screen", at=T0, by="wu")
    assert case.state == "screening"
    assert isinstance(pickle.loads(pickle.dumps(Catalogue(shipped=False))), Catalogue)


def _replay_there(events: list[Event]) -> Case:
    return Case.replay(events, DEFAULT_CATALOGUE)


def test_cases_cross_a_process_boundary() -> None:
    engine = Engine(MHT_LIFECYCLE)
    case = open_case(engine)
    drive_to(engine, case, "evaluation", mht=True)
    engine.record_assessment(case, "mht", MHT_HIGH, phase="post", at=T0, by="wu")
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=spawn) as pool:
        rebuilt = pool.submit(_replay_there, case.history).result(timeout=120)
        echoed = pool.submit(copy.copy, case).result(timeout=120)
    assert rebuilt == case
    assert echoed == case


def test_errors_pickle_with_their_attributes() -> None:
    from casework.errors import (
        DefinitionError,
        GuardFailed,
        InvalidResponses,
        InvalidValue,
        ReplayError,
        UnknownDefinition,
    )
    from casework.store import ConflictError, CorruptRecord, UnknownLifecycle

    errors = [
        GuardFailed("c-1", "intervention", "evaluate", allowed=("end_early",), failed={"g": "r"}),
        InvalidResponses("mht", [(3, "not an answer"), (None, "too short")]),
        InvalidValue("Client.sex", "'x' is not one of: male, female"),
        DefinitionError("x", ["a", "b"]),
        ReplayError("c-1", 4, "unknown state"),
        UnknownDefinition("lifecycle", "x", 2, ["x v1"]),
        ConflictError("c-1", 3, 4),
        CorruptRecord("c-1", 2, "bad"),
        UnknownLifecycle("c-1", "x", ("x v1",), 2),
    ]
    for error in errors:
        again = pickle.loads(pickle.dumps(error))
        assert type(again) is type(error) and str(again) == str(error)
        assert vars(again) == vars(error)
