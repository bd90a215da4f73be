"""Projections: fact tables that follow the log, on every store.

The property: after any random program of commands (cases opened and moved along, sessions,
consents, corrections and voids, activities and volunteer hours in the station journal), the
projected facts equal the rows replaying the cases gives; a rebuild from zero gives the same.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, rule

from casework import (
    STANDARD,
    CommandRejected,
    Consent,
    ConsentGiver,
    Engine,
    SessionPlan,
    SessionRecord,
    SessionStatus,
)
from casework.case import Case
from casework.journal import Journal
from casework.reporting import (
    Activity,
    Dataset,
    Project,
    Volunteer,
    VolunteerHours,
    VolunteerService,
)
from casework.reporting.projections import TABLES, Projection, ProjectionBehind
from casework.reporting.recording import record_activity, record_volunteer_hours, register
from casework.store import MemoryStore, SQLiteStore
from projection_stores import Opened, expected, projected, store_kinds
from strategies import MHT_HIGH, MHT_LOW, T0, child, drive_to

DSN_VAR = "CASEWORK_TEST_POSTGRES_DSN"

#: The standard path's triggers, in order, with what each needs first.
STEPS = ("screen", "admit", "assess", "plan", "start_intervention", "evaluate", "close")


class Commands(RuleBasedStateMachine):
    """Random commands on several cases and a station journal, with corrections and voids."""

    kind = "memory"
    cases = Bundle("cases")

    def __init__(self) -> None:
        super().__init__()
        self.opened = Opened(self.kind)
        self.store = self.opened.store
        self.engine = Engine(STANDARD, store=self.store)
        self.projection = Projection(self.store)
        self.now = T0
        self.n = 0
        self.journal = Journal.open("station", station="石桥", at=T0, by="admin", store=self.store)
        for project in ("p1", "p2"):
            register(
                self.journal,
                Project(project, project, "child_care", date(2023, 1, 1), date(2024, 12, 31)),
                at=T0,
                by="admin",
                store=self.store,
            )
        for i in range(10):
            register(self.journal, Volunteer(f"v{i}"), at=T0, by="admin", store=self.store)

    def teardown(self) -> None:
        self.opened.close()

    def tick(self, hours: int = 5) -> datetime:
        self.now += timedelta(hours=hours)
        return self.now

    def attempt(self, run: Callable[[], Any], kind: str = "") -> None:
        try:
            run()
        except CommandRejected:
            return
        if kind:
            event(f"{kind} accepted")

    @rule(target=cases, programme=st.sampled_from([None, "p1", "p2"]))
    def open_case(self, programme: str | None) -> Case:
        self.n += 1
        return self.engine.open(
            f"case-{self.n}", child(), at=self.tick(), by="wu", worker="wu", programme=programme
        )

    @rule(target=cases)
    def open_in_intervention(self) -> Case:
        """A case driven to the intervention, where sessions are recorded."""
        self.n += 1
        at = self.tick()
        case = self.engine.open(f"case-{self.n}", child(), at=at, by="wu", programme="p1")
        drive_to(self.engine, case, "intervention", at, mht=True)
        self.engine.record_session(case, SessionRecord(1, held_at=self.tick()), by="wu")
        return case

    @rule(case=cases)
    def step(self, case: Case) -> None:
        """The next step of the standard path, with what its guards want first."""
        at = self.tick(30)
        state = case.state
        e = self.engine
        if state == "referral":
            self.attempt(lambda: e.fire(case, "screen", at=at, by="wu"))
            self.attempt(
                lambda: e.record_assessment(
                    case, "mht", MHT_HIGH, phase="screening", at=at, by="wu"
                )
            )
        elif state == "screening":
            e.record_consent(case, Consent(ConsentGiver.CLIENT, at), by="wu")
            e.record_consent(case, Consent(ConsentGiver.GUARDIAN, at, giver_id="g-1"), by="wu")
            self.attempt(lambda: e.fire(case, "admit", at=at, by="wu"))
        elif state == "intake":
            self.attempt(lambda: e.fire(case, "assess", at=at, by="wu"))
        elif state == "assessment":
            self.attempt(
                lambda: e.record_assessment(case, "mht", MHT_HIGH, phase="baseline", at=at, by="wu")
            )
            self.attempt(lambda: e.fire(case, "plan", at=at, by="wu"))
        elif state == "planning":
            self.attempt(lambda: e.set_plan(case, SessionPlan(2), at=at, by="wu"))
            self.attempt(lambda: e.fire(case, "start_intervention", at=at, by="wu"))
        elif state == "intervention":
            self.attempt(
                lambda: e.record_assessment(case, "mht", MHT_LOW, phase="post", at=at, by="wu")
            )
            self.attempt(lambda: e.fire(case, "evaluate", at=at, by="wu"))
        elif state == "evaluation":
            self.attempt(lambda: e.fire(case, "close", at=at, by="wu", reason="goals met"))

    @rule(case=cases, status=st.sampled_from(list(SessionStatus)))
    def session(self, case: Case, status: SessionStatus) -> None:
        at = self.tick()
        number = len(case.sessions) + 1
        held = at if status is SessionStatus.HELD else None
        record = SessionRecord(number, status, held_at=held, scheduled_at=at)
        self.attempt(lambda: self.engine.record_session(case, record, by="wu"))

    @rule(case=cases, data=st.data(), hours=st.integers(-48, 48), held=st.booleans())
    def correct_session(self, case: Case, data: st.DataObject, hours: int, held: bool) -> None:
        seqs = [e.seq for e in case.history if e.type == "session_recorded"]
        if not seqs:
            return
        seq = data.draw(st.sampled_from(seqs))
        original = case.effective(case.history[seq - 1]).payload["session"]
        when = case.history[seq - 1].at + timedelta(hours=hours)
        status = SessionStatus.HELD if held else SessionStatus.NO_SHOW
        new = SessionRecord(
            original.number, status, held_at=when if held else None, scheduled_at=when
        )
        self.attempt(
            lambda: self.engine.correct(case, seq, new, reason="wrong", at=self.tick(), by="wu"),
            "correction",
        )

    @rule(case=cases, data=st.data())
    def void(self, case: Case, data: st.DataObject) -> None:
        seq = data.draw(st.integers(1, case.version))
        self.attempt(
            lambda: self.engine.void(case, seq, reason="error", at=self.tick(), by="wu"), "void"
        )

    @rule(
        participants=st.integers(0, 40),
        hours=st.lists(st.integers(1, 4), max_size=3),
        again=st.booleans(),
    )
    def activity(self, participants: int, hours: list[int], again: bool) -> None:
        at = self.tick()
        count = len(self.journal.of_type("activity_recorded"))
        ident = f"a{count if again and count else count + 1}"
        activity = Activity(
            ident,
            "health_consultation",
            at.date(),
            "talk",
            "village",
            participants,
            "p1",
            [VolunteerHours(f"v{i}", h) for i, h in enumerate(hours)],
        )
        if again and count:  # recorded again under its id (the latest wins), past the helper
            self.journal.record(
                "activity_recorded", at=at, by="admin", store=self.store, activity=activity
            )
        else:
            record_activity(self.journal, activity, by="admin", at=at, store=self.store)

    @rule(hours=st.integers(1, 8))
    def service(self, hours: int) -> None:
        at = self.tick()
        service = VolunteerService("v9", at.date(), hours, "p2")
        record_volunteer_hours(self.journal, service, by="admin", at=at, store=self.store)

    @rule()
    def rebuild(self) -> None:
        self.projection.rebuild()
        assert self.projection.behind() == 0

    @invariant()
    def projected_facts_equal_replay(self) -> None:
        self.projection.catch_up()
        assert self.projection.behind() == 0
        assert projected(self.projection) == expected(self.store)


def _machine(kind: str) -> type[Commands]:
    return type(f"Commands_{kind}", (Commands,), {"kind": kind})


@pytest.mark.parametrize("kind", store_kinds())
def test_projected_facts_equal_replay_after_random_commands(kind: str) -> None:
    """Any program of commands, corrections and voids: the facts equal replaying the cases."""
    machine = _machine(kind)
    examples = 20 if kind != "postgres" else 8
    machine.TestCase.settings = settings(
        max_examples=examples,
        stateful_step_count=20,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    machine.TestCase().runTest()


# --- one store at a time -----------------------------------------------------------------


def _drive(engine: Engine, case_id: str, at: datetime = T0) -> Case:
    case = engine.open(case_id, child(), at=at, by="wu", worker="wu", programme="p1")
    drive_to(engine, case, "intervention", at)
    engine.record_session(case, SessionRecord(1, held_at=at + timedelta(days=1)), by="wu")
    engine.record_session(case, SessionRecord(2, held_at=at + timedelta(days=2)), by="wu")
    return case


def test_catch_up_reads_only_the_events_after_its_position(opened: Opened) -> None:
    store = opened.store
    engine = Engine(STANDARD, store=store)
    cases = [_drive(engine, f"c{i}") for i in range(5)]
    p = Projection(store)
    first = p.catch_up()
    assert (first.start, first.events, first.cases) == (0, 5 * cases[0].version, 5)
    engine.record_session(cases[2], SessionRecord(3, held_at=T0 + timedelta(days=3)), by="wu")
    again = p.catch_up()
    assert (again.start, again.events, again.cases) == (first.end, 1, 1)
    assert p.catch_up().events == 0
    assert len(p.rows("sessions")) == 11


def test_a_correction_rewrites_its_cases_rows_and_a_void_removes_one(opened: Opened) -> None:
    store = opened.store
    engine = Engine(STANDARD, store=store)
    case = _drive(engine, "c1")
    p = Projection(store)
    p.catch_up()
    first, second = (e.seq for e in case.history if e.type == "session_recorded")
    later = T0 + timedelta(days=9)
    engine.correct(
        case, first, SessionRecord(1, held_at=later), reason="wrong day", at=later, by="wu"
    )
    held = [r["held_at"] for r in p.rows("sessions")]
    assert held == [later.isoformat(timespec="microseconds"), "2023-03-03T09:00:00.000000"]
    engine.void(case, second, reason="entered twice", at=later, by="wu")
    assert [r["number"] for r in p.rows("sessions")] == [1]
    assert p.rows("cases")[0]["held_sessions"] == 1
    assert projected(p) == expected(store)


def test_a_projection_behind_the_log_says_so_unless_asked_to_catch_up(opened: Opened) -> None:
    store = opened.store
    engine = Engine(STANDARD, store=store)
    case = _drive(engine, "c1")
    p = Projection(store)
    p.catch_up()
    engine.record_session(case, SessionRecord(3, held_at=T0 + timedelta(days=5)), by="wu")
    assert p.behind() == 1
    try:
        p.rows("sessions", catch_up=False)
    except ProjectionBehind as exc:
        assert exc.head == exc.position + 1
        assert "catch up" in str(exc)
    else:
        raise AssertionError("a stale projection answered")
    assert len(p.rows("sessions")) == 3  # the default catches up first
    assert p.behind() == 0


def test_rebuild_from_zero_gives_identical_tables(opened: Opened) -> None:
    store = opened.store
    engine = Engine(STANDARD, store=store)
    cases = [_drive(engine, f"c{i}") for i in range(3)]
    p = Projection(store)
    p.catch_up()
    seq = cases[1].history[-1].seq  # its second session
    engine.void(cases[1], seq, reason="no", at=T0 + timedelta(days=4), by="wu")
    p.catch_up()
    before = projected(p)
    p.rebuild()
    assert projected(p) == before == expected(store)


def test_tables_survive_reopening_the_store(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    with SQLiteStore(path) as store:
        _drive(Engine(STANDARD, store=store), "c1")
        Projection(store).catch_up()
    with SQLiteStore(path) as store:
        p = Projection(store)
        assert p.behind() == 0
        assert p.catch_up().events == 0
        assert len(p.rows("spells")) == 6


def test_notebook_tables_leave_personal_columns_out() -> None:
    pytest.importorskip("pandas")
    store = MemoryStore()
    _drive(Engine(STANDARD, store=store), "c1")
    p = Projection(store)
    cases = p.to_pandas("cases")
    assert "birth_date" not in cases.columns and "name" not in cases.columns
    assert list(cases["case_id"]) == ["c1"]
    full = p.to_pandas("cases", include_personal=True)
    assert full["birth_date"].iloc[0].date() == date(2012, 6, 3)
    assert "notes" not in p.to_pandas("sessions").columns
    assert str(p.to_pandas("sessions")["held_at"].dtype).startswith("datetime64")
    assert set(p.tables()) == set(TABLES)


def test_an_unknown_table_is_refused_with_the_known_ones() -> None:
    p = Projection(MemoryStore())
    try:
        p.rows("visits")
    except ValueError as exc:
        assert "cases" in str(exc)
    else:
        raise AssertionError("an unknown table was read")


def test_the_yearly_report_from_fact_tables_equals_the_replayed_one(opened: Opened) -> None:
    """The demo station (five cases, a journal): every table of the report, both languages."""
    from casework.demo import run_station
    from casework.reporting import YearReport

    store = opened.store
    run_station(Engine(STANDARD, store=store))
    replayed = Dataset.from_store(store)
    tables = Projection(store).dataset()
    for year in (2023, 2024):
        for lang in ("en", "zh"):
            assert (
                YearReport(tables, year, lang).to_text()
                == YearReport(replayed, year, lang).to_text()
            )
            assert YearReport(tables, year).figures() == YearReport(replayed, year).figures()
