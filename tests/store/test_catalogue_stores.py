"""Every store replays an app's own process: versions, a migration and corrections."""

from __future__ import annotations

from datetime import datetime

import pytest

from casework import Engine, SessionRecord, SessionStatus
from casework.store import UnknownLifecycle
from conftest import Backend
from test_versions import APP, CATALOGUE, LC1, LC2, enrolled


def test_a_migrated_and_corrected_case_reads_back_from_every_store(backend: Backend) -> None:
    store = backend.open(catalogue=CATALOGUE)
    old, new = Engine(LC1, store=store), Engine(LC2, store=store)
    case = enrolled(old, "SQ-1")
    visit = case.history[-1]
    missed = SessionRecord(1, SessionStatus.NO_SHOW, scheduled_at=visit.at)
    old.correct(case, visit.seq, missed, reason="she was out", at=datetime(2024, 3, 6), by="sw")
    new.migrate(case, states={"visiting": "home_visits"}, at=datetime(2024, 6, 1), by="sw",
                reason="the 2025 process")  # fmt: skip
    closed = enrolled(old, "SQ-2")
    old.fire(closed, "close", at=datetime(2024, 4, 1), by="sw", reason="moved away")

    again = store if backend.name == "memory" else backend.open(catalogue=CATALOGUE)
    assert again.load("SQ-1") == case and again.load("SQ-2") == closed
    assert again.load("SQ-1").held_sessions == 0
    assert again.summary("SQ-1").state == "home_visits"
    if backend.name != "memory":  # another store on the same data, given version 2 only
        narrow = backend.open(catalogue=APP.extended(lifecycles=[LC2]))
        with pytest.raises(UnknownLifecycle) as info:
            narrow.load("SQ-2")
        assert (info.value.lifecycle, info.value.version) == ("qingnuan-xiyang", 1)


def test_a_revision_after_a_corrected_plan_is_judged_against_the_correction(
    backend: Backend,
) -> None:
    from casework import STANDARD, SessionPlan
    from strategies import T0, drive_to, open_case

    store = backend.open()
    engine = Engine(STANDARD, store=store)
    case = open_case(engine)
    drive_to(engine, case, "planning")  # a plan of 10 sessions
    plan_seq = next(e.seq for e in case.history if e.type == "plan_set")
    engine.correct(case, plan_seq, SessionPlan(8), reason="8 were agreed", at=T0, by="wu")
    engine.revise_plan(case, 9, reason="one more", at=T0, by="wu")  # 9 > 8, as corrected
    assert case.planned_sessions == 9
    again = store if backend.name == "memory" else backend.open()
    assert again.load(case.id) == case
