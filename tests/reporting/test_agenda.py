"""The agenda: due work from the events and the rules as of a date, hand-checked per rule."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from casework import (
    STANDARD,
    Consent,
    ConsentGiver,
    Engine,
    OutreachVisit,
    Resident,
    SessionPlan,
    SessionRecord,
    record_visit,
    register_resident,
)
from casework.case import Case
from casework.cli import main
from casework.journal import Journal
from casework.reporting.agenda import Agenda, AgendaItem, agenda, agenda_from_store
from casework.store import MemoryStore
from strategies import MHT_HIGH, MHT_LOW, child

D0 = datetime(2023, 3, 1, 9, 0)


def day(n: int) -> date:
    """The day ``n`` days after D0's."""
    return (D0 + timedelta(days=n)).date()


def at(n: int) -> datetime:
    return D0 + timedelta(days=n)


def _items(cases: list[Case], on: date, **kw: object) -> list[tuple[str, str, date, int]]:
    found = agenda(cases, on=on, **kw)  # type: ignore[arg-type]
    return [(i.subject, i.rule, i.due, i.days_overdue) for i in found]


def _build(engine: Engine, state: str, gap: int = 1, sessions: int = 3) -> Case:
    """A case driven to ``state`` one step every ``gap`` days from D0 (weekly sessions)."""
    case = engine.open("c-1", child(), at=D0, by="wu", worker="wu")
    n = 0

    def step() -> datetime:
        nonlocal n
        n += gap
        return at(n)

    order = ["screening", "intake", "assessment", "planning", "intervention", "evaluation"]
    order += ["closed"]
    targets = order[: order.index(state) + 1] if state in order else order[:3]
    for target in targets:
        when = step()
        if target == "screening":
            engine.fire(case, "screen", at=when, by="wu")
        elif target == "intake":
            engine.record_consent(case, Consent(ConsentGiver.CLIENT, when), by="wu")
            engine.record_consent(
                case, Consent(ConsentGiver.GUARDIAN, when, giver_id="g-1"), by="wu"
            )
            engine.fire(case, "admit", at=when, by="wu")
        elif target == "assessment":
            engine.fire(case, "assess", at=when, by="wu")
        elif target == "planning":
            engine.fire(case, "plan", at=when, by="wu")
            plan = SessionPlan.recurring(when + timedelta(days=7), sessions=sessions)
            engine.set_plan(case, plan, at=when, by="wu")
        elif target == "intervention":
            engine.fire(case, "start_intervention", at=when, by="wu")
        elif target == "evaluation":
            assert case.plan is not None
            for k, due in enumerate(case.plan.schedule, start=1):
                held_at = max(due, case.last_at or due)
                engine.record_session(case, SessionRecord(k, held_at=held_at), by="wu")
            engine.record_assessment(
                case, "mht", MHT_LOW, phase="post", at=case.last_at or when, by="wu"
            )
            engine.fire(case, "evaluate", at=case.last_at or when, by="wu")
        elif target == "closed":
            engine.fire(case, "close", at=(case.last_at or when) + timedelta(days=1), by="wu",
                        reason="goals met")  # fmt: skip
    if state == "suspended":
        engine.fire(case, "suspend", at=step(), by="wu", reason="family moved away")
    return case


# --- each shipped rule, by hand ----------------------------------------------------------------


def test_a_referral_is_due_for_screening_within_7_days() -> None:
    engine = Engine(STANDARD)
    case = engine.open("c-1", child(), at=D0, by="wu", worker="wu")
    assert _items([case], day(3)) == [("c-1", "referral_screening", day(7), 0)]
    assert _items([case], day(10)) == [("c-1", "referral_screening", day(7), 3)]
    engine.fire(case, "screen", at=at(10), by="wu")
    assert _items([case], day(10)) == []
    # as of day 9 the screening had not happened yet: events after the day are ignored
    assert _items([case], day(9)) == [("c-1", "referral_screening", day(7), 2)]
    assert _items([case], D0.date() - timedelta(days=1)) == []  # before the case existed


def test_the_next_planned_session_is_due_on_its_date() -> None:
    engine = Engine(STANDARD)
    case = _build(engine, "intervention")  # planned on day 4: sessions on days 11, 18, 25
    assert case.plan is not None and case.plan.schedule[0].date() == day(11)
    assert _items([case], day(5), rule="next_session") == [("c-1", "next_session", day(11), 0)]
    assert _items([case], day(13), rule="next_session") == [("c-1", "next_session", day(11), 2)]
    item = agenda([case], on=day(13), rule="next_session").items[0]
    assert (item.detail, item.trigger) == ("1", "record_session")
    engine.record_session(case, SessionRecord(1, held_at=at(13)), by="wu")
    assert _items([case], day(13), rule="next_session") == [("c-1", "next_session", day(18), 0)]
    engine.record_session(case, SessionRecord(2, status="no_show", scheduled_at=at(18)), by="wu")
    assert _items([case], day(20), rule="next_session") == [("c-1", "next_session", day(18), 2)]


def test_a_post_assessment_is_due_14_days_after_the_last_planned_session() -> None:
    engine = Engine(STANDARD)
    case = _build(engine, "intervention")
    for k, due in enumerate(case.plan.schedule if case.plan else (), start=1):
        engine.record_session(case, SessionRecord(k, held_at=due), by="wu")
    last = day(25)
    assert _items([case], last, rule="post_assessment") == [
        ("c-1", "post_assessment", last + timedelta(days=14), 0)
    ]
    assert _items([case], day(40), rule="post_assessment")[0][3] == 1
    engine.record_assessment(case, "mht", MHT_HIGH, phase="mid", at=at(40), by="wu")
    assert len(_items([case], day(40), rule="post_assessment")) == 1  # a mid does not clear it
    engine.record_assessment(case, "mht", MHT_LOW, phase="post", at=at(40), by="wu")
    assert _items([case], day(40), rule="post_assessment") == []


def test_follow_up_visits_are_due_30_and_90_days_after_closure() -> None:
    engine = Engine(STANDARD)
    case = _build(engine, "closed")
    closed = case.last_at
    assert closed is not None
    c = closed.date()
    assert _items([case], c + timedelta(days=22)) == []
    assert _items([case], c + timedelta(days=23)) == [
        ("c-1", "follow_up_30", c + timedelta(days=30), 0)
    ]
    assert _items([case], c + timedelta(days=34)) == [
        ("c-1", "follow_up_30", c + timedelta(days=30), 4)
    ]
    engine.fire(case, "follow_up", at=closed + timedelta(days=34), by="wu")
    assert _items([case], c + timedelta(days=34)) == []
    later = agenda([case], on=c + timedelta(days=85))
    assert [(i.rule, i.trigger, i.days_overdue) for i in later] == [
        ("follow_up_90", "record_assessment", 0)
    ]
    engine.record_assessment(
        case, "mht", MHT_LOW, phase="follow_up", at=closed + timedelta(days=85), by="wu"
    )
    assert _items([case], c + timedelta(days=95)) == []


def test_a_suspended_case_is_reviewed_every_30_days() -> None:
    engine = Engine(STANDARD)
    case = _build(engine, "suspended")
    s = case.last_at.date() if case.last_at else D0.date()
    assert _items([case], s + timedelta(days=29)) == []
    found = agenda([case], on=s + timedelta(days=31))
    assert [(i.rule, i.due, i.days_overdue, i.trigger) for i in found] == [
        ("suspension_review", s + timedelta(days=30), 1, "resume")
    ]


def test_consent_is_renewed_yearly_per_giver() -> None:
    engine = Engine(STANDARD)
    case = _build(engine, "intake")  # consents on day 2
    found = agenda([case], on=day(2 + 340), rule="consent_renewal")
    assert [(i.detail, i.due) for i in found] == [
        ("client:casework", day(367)),
        ("guardian:g-1:casework", day(367)),
    ]
    engine.record_consent(case, Consent(ConsentGiver.CLIENT, at(342)), by="wu")
    assert [i.detail for i in agenda([case], on=day(342), rule="consent_renewal")] == [
        "guardian:g-1:casework"
    ]


def test_an_open_case_without_contact_for_21_days() -> None:
    engine = Engine(STANDARD)
    case = _build(engine, "assessment")  # screened on day 1, consents (a contact) on day 2
    assert _items([case], day(22), rule="no_contact") == []
    assert _items([case], day(25), rule="no_contact") == [("c-1", "no_contact", day(23), 2)]
    engine.record_assessment(case, "mht", MHT_HIGH, phase="baseline", at=at(25), by="wu")
    assert _items([case], day(25), rule="no_contact") == []
    assert _items([case], day(47), rule="no_contact") == [("c-1", "no_contact", day(46), 1)]


def _register() -> Journal:
    journal = Journal.open("j-1", station="shiqiao", at=date(2023, 1, 2), by="admin")
    register_resident(
        journal,
        Resident("r-wang", "王秀英", date(1944, 5, 2), {"elderly_living_alone"}, date(2023, 1, 5),
                 worker="li"),
        by="li",
    )  # fmt: skip
    return journal


def test_people_under_watch_are_due_a_visit_by_their_rule() -> None:
    journal = _register()
    found = agenda(journals=[journal], on=date(2023, 2, 9))
    assert [(i.subject, i.kind, i.due, i.days_overdue, i.worker, i.station) for i in found] == [
        ("r-wang", "resident", date(2023, 2, 4), 5, "li", "shiqiao")
    ]
    assert found.items[0].trigger == "record_visit"
    record_visit(journal, OutreachVisit("v-1", "r-wang", date(2023, 2, 9), "li"))
    assert agenda(journals=[journal], on=date(2023, 2, 9)).items == ()
    assert agenda(journals=[journal], on=date(2023, 3, 5)).items[0].due == date(2023, 3, 11)
    assert agenda(journals=[journal], on=date(2023, 2, 8)).items[0].days_overdue == 4


# --- filters, outputs, stores ---------------------------------------------------------------


def test_filters_by_worker_station_rule_and_overdue() -> None:
    engine = Engine(STANDARD)
    case = engine.open("c-1", child(), at=D0, by="wu", worker="wu")
    journal = _register()
    both = agenda([case], [journal], on=date(2023, 3, 5))
    assert {i.rule for i in both} == {"referral_screening", "register_visit"}
    assert [i.subject for i in both.filter(worker="li")] == ["r-wang"]
    assert [i.subject for i in both.filter(overdue=True)] == ["r-wang"]
    assert [i.subject for i in both.filter(rule="referral_screening")] == ["c-1"]
    assert [i.subject for i in both.filter(station="shiqiao")] == ["r-wang", "c-1"]
    assert agenda([case], [journal], on=date(2023, 3, 5), worker="wu").items == (both.items[1],)


def test_the_agenda_reads_as_rows_table_html_and_dataframe() -> None:
    engine = Engine(STANDARD)
    case = engine.open("c-1", child(), at=D0, by="wu", worker="wu")
    found = agenda([case], on=day(10))
    assert isinstance(found, Agenda) and isinstance(found.items[0], AgendaItem)
    row = found.rows[0]
    assert row["zh"] == "筛选转介对象（7天内）" and row["trigger"] == "screen"
    assert row["days_overdue"] == 3 and row["due"] == day(7)
    assert "京京" not in str(found.rows) and "2012" not in str(found.rows)  # ids, not names
    assert "screen the referral" in str(found)
    assert "筛选转介对象" in found.to_text("zh") and "逾期天数" in found.to_text("zh")
    assert 'data-indicator="agenda"' in found._repr_html_()
    assert repr(found) == "<Agenda 2023-03-11: 1 items, 1 overdue>"
    pytest.importorskip("pandas")
    frame = found.to_pandas()
    assert list(frame["subject"]) == ["c-1"]
    assert "待办事项" in found.to_pandas("zh").columns


def test_the_same_events_give_the_same_agenda_from_a_store() -> None:
    store = MemoryStore()
    engine = Engine(STANDARD, store=store)
    _build(engine, "closed")
    on = date(2023, 5, 1)
    assert agenda_from_store(store, on=on) == agenda([store.load("c-1")], on=on)
    assert agenda_from_store(store, on=on) == agenda_from_store(store, on=on)


def test_an_apps_own_rule_is_read(tmp_path: Path) -> None:
    from casework import Catalogue, DueRule

    mine = DueRule("plan_soon", "尽快制定计划", "set the plan", "entered", "set_plan",
                   after=2, notice=2, states="planning", lifecycles="standard")  # fmt: skip
    engine = Engine(STANDARD)
    case = _build(engine, "assessment")
    engine.fire(case, "plan", at=at(4), by="wu")
    found = agenda([case], on=day(7), catalogue=Catalogue(due_rules=[mine]), rule="plan_soon")
    assert [(i.rule, i.due, i.days_overdue, i.trigger) for i in found] == [
        ("plan_soon", day(6), 1, "set_plan")
    ]


def test_the_command_line_lists_the_demos_overdue_follow_ups(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "demo.sqlite")
    assert main(["demo", "--db", db]) == 0
    capsys.readouterr()
    assert main(["agenda", "--db", db, "--on", "2023-07-10"]) == 0
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if "follow-up visit 30 days" in line]
    assert len(lines) == 5
    assert all(line.split()[1] == "4" for line in lines)  # overdue by 4 days each
    assert {line.split()[2] for line in lines} == {f"XZ-2023-0{n}" for n in range(1, 6)}
    assert main(["agenda", "--db", db, "--on", "2023-07-10", "--overdue", "--lang", "zh"]) == 0
    assert "结案后30天回访" in capsys.readouterr().out
    assert main(["agenda", "--db", db, "--on", "2023-07-10", "--worker", "nobody"]) == 0
    assert "(nothing due)" in capsys.readouterr().out
    assert main(["agenda", "--db", db, "--on", "2023-07-10", "--rule", "nope"]) == 1
    assert "no due rule nope" in capsys.readouterr().err


# --- the property: the named command clears the item ------------------------------------------

STATES = ("referral", "screening", "intake", "assessment", "planning", "intervention")
STATES += ("evaluation", "closed", "suspended")


def _clear(engine: Engine, case: Case, item: AgendaItem, when: datetime) -> None:
    """Fire the command ``item`` names, with what it needs."""
    t = item.trigger
    if t == "record_session":
        n = case.held_sessions + 1
        engine.record_session(case, SessionRecord(n, held_at=when), by="wu")
    elif t == "record_assessment":
        rule_phase = {"post_assessment": "post", "follow_up_30": "follow_up"}
        rule_phase["follow_up_90"] = "follow_up"
        phase = rule_phase.get(item.rule) or case.lifecycle.state(case.state).assessments[0]
        engine.record_assessment(case, "mht", MHT_LOW, phase=phase, at=when, by="wu")
    elif t == "record_consent":
        giver, *rest = item.detail.split(":")
        giver_id = rest[0] if giver == "guardian" else None
        engine.record_consent(case, Consent(giver, when, giver_id=giver_id), by="wu")
    elif t in ("screen_out", "withdraw"):
        engine.fire(case, t, at=when, by="wu", reason="agenda")
    else:
        engine.fire(case, t, at=when, by="wu")


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(
    state=st.sampled_from(STATES),
    gap=st.integers(1, 20),
    sessions=st.integers(1, 4),
    held=st.integers(0, 4),
    wait=st.integers(0, 400),
)
def test_every_item_is_cleared_by_the_command_its_rule_names(
    state: str, gap: int, sessions: int, held: int, wait: int
) -> None:
    """Whatever the case and the day: firing the named command on that day removes the item
    from that day's agenda (a repeating rule's next item is due later)."""
    engine = Engine(STANDARD)
    case = _build(engine, state, gap=gap, sessions=sessions)
    if state == "intervention" and case.plan is not None:
        for k, due in enumerate(case.plan.schedule[: min(held, sessions)], start=1):
            held_at = max(due, case.last_at or due)
            engine.record_session(case, SessionRecord(k, held_at=held_at), by="wu")
    last = case.last_at
    assert last is not None
    on = last.date() + timedelta(days=wait)
    when = max(last, datetime.combine(on, time(12)))
    for item in agenda([case], on=on):
        trial = case.copy()
        _clear(engine, trial, item, when)
        after = {i.key for i in agenda([trial], on=on)}
        assert item.key not in after, (item, trial.state)


@settings(max_examples=40, suppress_health_check=[HealthCheck.too_slow])
@given(state=st.sampled_from(STATES), gap=st.integers(1, 20), wait=st.integers(0, 120))
def test_events_after_the_day_never_change_its_agenda(state: str, gap: int, wait: int) -> None:
    """The agenda of a day is the same whatever is recorded later (a past day recomputes)."""
    engine = Engine(STANDARD)
    case = _build(engine, state, gap=gap)
    last = case.last_at
    assert last is not None
    on = last.date() + timedelta(days=wait)
    before = agenda([case], on=on)
    tomorrow = datetime.combine(on, time(0)) + timedelta(days=1)
    engine.record_consent(case, Consent(ConsentGiver.CLIENT, tomorrow), by="wu")
    if case.lifecycle.transition(case.state, "withdraw") is not None:
        engine.fire(case, "withdraw", at=case.last_at or last, by="wu", reason="moved away")
    assert agenda([case], on=on) == before


def test_the_command_line_reads_an_apps_lifecycle_and_rules(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The docs' elderly process from TOML, and a rule of its own from a --rules file."""
    from casework import DEFAULT_CATALOGUE, Client
    from casework.store import SQLiteStore

    data = Path(__file__).parent.parent / "data"
    processes = Path(__file__).parents[2] / "docs" / "processes"  # the docs' own files
    monkeypatch.syspath_prepend(str(data))
    import elderly_app  # type: ignore[import-not-found]

    catalogue = DEFAULT_CATALOGUE.extended(
        guards=[elderly_app.aged_60_or_over], hooks=[elderly_app.tell_family]
    ).with_files([processes / "elderly-v1.toml"])
    db = tmp_path / "e.sqlite"
    with SQLiteStore(db, catalogue=catalogue) as store:
        engine = Engine("qingnuan-xiyang", store=store)
        engine.open("E-1", Client("p1", "王", date(1940, 1, 1)), at=date(2024, 1, 2), by="li",
                    worker="li")  # fmt: skip
    (tmp_path / "rules.toml").write_text(
        '[[due_rules]]\nid = "elderly_assess"\nzh = "转介后5天内预估"\n'
        'en = "assess within 5 days of referral"\nanchor = "entered"\nclears = ["assess"]\n'
        'after = 5\nnotice = 5\nstates = ["referral"]\nlifecycles = ["qingnuan-xiyang"]\n',
        encoding="utf-8",
    )
    args = ["agenda", "--db", str(db), "--on", "2024-01-10"]
    args += ["--lifecycle", str(processes / "elderly-v1.toml")]
    assert main(args) == 0
    assert "(nothing due)" in capsys.readouterr().out  # the shipped rules watch STANDARD
    assert main([*args, "--rules", str(tmp_path / "rules.toml")]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if "E-1" in x)
    assert line.split()[:3] == ["2024-01-07", "3", "E-1"] and "assess" in line
