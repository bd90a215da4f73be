"""An app's own process (the docs' elderly programme) in a catalogue: TOML, versions, migration."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest
from elderly_app import aged_60_or_over, tell_family  # tests/data (on the test path)

from casework import (
    Catalogue,
    Client,
    Consent,
    DefinitionError,
    Engine,
    InvalidCommand,
    SessionPlan,
    SessionRecord,
    UnknownDefinition,
)
from casework.store import InvalidAppend, MemoryStore, SQLiteStore, UnknownLifecycle
from strategies import snapshot

#: The elderly programme of docs/lifecycles.md, as the page ships it.
PROCESSES = Path(__file__).resolve().parent.parent / "docs" / "processes"
V1, V2 = PROCESSES / "elderly-v1.toml", PROCESSES / "elderly-v2.toml"
APP = Catalogue(guards=[aged_60_or_over], hooks=[tell_family])
CATALOGUE = APP.with_files([V1, V2])
LC1 = CATALOGUE.lifecycle("qingnuan-xiyang", 1)
LC2 = CATALOGUE.lifecycle("qingnuan-xiyang", 2)


def grandma(cid: str = "SQ-E-017") -> Client:
    return Client(cid, "王奶奶", date(1942, 8, 15), "female")


def enrolled(engine: Engine, case_id: str) -> object:
    case = engine.open(case_id, grandma(), at=datetime(2024, 2, 26, 9), by="sw-1")
    engine.record_consent(case, Consent("client", datetime(2024, 2, 26, 9, 30)), by="sw-1")
    engine.fire(case, "assess", at=datetime(2024, 2, 28), by="sw-1")
    engine.record_assessment(
        case, "gds15", [False] * 15, phase="baseline", at=datetime(2024, 2, 28), by="sw-1"
    )
    engine.set_plan(case, SessionPlan(sessions=6), at=datetime(2024, 2, 28), by="sw-1")
    engine.fire(case, "enrol", at=datetime(2024, 3, 1), by="sw-1")
    engine.record_session(case, SessionRecord(1, held_at=datetime(2024, 3, 5, 10)), by="sw-1")
    return case


def test_the_newest_version_is_the_default_and_every_version_is_kept() -> None:
    assert CATALOGUE.lifecycle("qingnuan-xiyang") is LC2
    assert CATALOGUE.versions("qingnuan-xiyang") == (1, 2)
    assert LC1.state("visiting").assessments == ("mid", "post")
    with pytest.raises(UnknownDefinition) as info:
        CATALOGUE.lifecycle("qingnuan-xiyang", 3)
    assert info.value.known == ("qingnuan-xiyang v1", "qingnuan-xiyang v2")
    assert "version 3" in str(info.value)


def test_a_new_version_lists_what_disappeared() -> None:
    changes = LC2.changes_since(LC1)
    assert changes.removed_states == ("visiting",)
    assert changes.added_states == ("home_visits", "review")
    assert changes.added_triggers == ("review",)
    assert changes.removed_triggers == ()
    assert changes.breaking
    assert str(changes).startswith("qingnuan-xiyang v1 -> v2: states removed: visiting")


def test_assessments_are_recorded_in_the_apps_own_states(tmp_path: Path) -> None:
    engine = Engine("qingnuan-xiyang", catalogue=CATALOGUE)
    case = enrolled(engine, "SQ-1")
    engine.record_assessment(
        case, "gds15", [False] * 15, phase="post", at=datetime(2024, 5, 1), by="sw-1"
    )
    assert [a.phase for a in case.assessments] == ["baseline", "post"]
    with pytest.raises(Exception, match="not recorded in state 'home_visits'") as info:
        engine.record_assessment(
            case, "gds15", [False] * 15, phase="baseline", at=datetime(2024, 5, 1), by="sw-1"
        )
    assert "records it in: assessment" in str(info.value)


def test_migration_moves_open_cases_and_closed_ones_replay_as_recorded(tmp_path: Path) -> None:
    path = tmp_path / "station.sqlite"
    store = SQLiteStore(path, catalogue=CATALOGUE)
    old = Engine(LC1, store=store)
    open_case = enrolled(old, "SQ-1")
    closed = enrolled(old, "SQ-2")
    old.fire(closed, "close", at=datetime(2024, 4, 1), by="sw-1", reason="moved away")

    new = Engine(LC2, store=store)
    at = datetime(2024, 6, 1)
    event = new.migrate(
        open_case, states={"visiting": "home_visits"}, at=at, by="sw-1", reason="2025 process"
    )
    assert event.type == "migrated" and event.state == "home_visits"
    assert open_case.lifecycle is LC2 and open_case.state == "home_visits"
    assert open_case.lifecycle_at(1) is LC1 and open_case.lifecycle_at(event.seq) is LC2
    new.fire(open_case, "review", at=at, by="sw-1")
    assert open_case.state == "review"
    with pytest.raises(InvalidCommand, match="version 1; this engine runs"):
        new.fire(closed, "reopen", at=at, by="sw-1", reason="back")

    again = SQLiteStore(path, catalogue=CATALOGUE)
    assert again.load("SQ-1") == open_case
    assert again.load("SQ-2") == closed and again.load("SQ-2").lifecycle is LC1
    labels = [row.state_label for row in again.load("SQ-1").timeline()]
    assert "regular visits" in labels and "home visits" in labels and "review" in labels
    assert new.replay(open_case.history) == open_case
    # a store given only version 2 names the version it lacks; nothing is called corrupt
    only_v2 = SQLiteStore(path, catalogue=APP.extended(lifecycles=[LC2]))
    with pytest.raises(UnknownLifecycle) as info:
        only_v2.load("SQ-2")
    assert info.value.version == 1 and "'qingnuan-xiyang' version 1" in str(info.value)


def test_a_migration_is_refused_with_every_reason_and_changes_nothing() -> None:
    old, new = Engine(LC1, catalogue=CATALOGUE), Engine(LC2, catalogue=CATALOGUE)
    case = enrolled(old, "SQ-1")
    before = snapshot(case)
    with pytest.raises(InvalidCommand) as info:
        new.migrate(case, states={"nowhere": "limbo"}, at=datetime(2024, 6, 1), by="x", reason="")
    assert info.value.reasons == (
        "a migration needs a reason",
        "'nowhere' is not a state of version 1",
        "'nowhere' -> 'limbo': version 2 has no state 'limbo'",
        "the case is in 'visiting', which version 2 does not have: map it to one of its states",
    )
    assert case == before
    new.migrate(case, states={"visiting": "home_visits"}, at=datetime(2024, 6, 1), by="x",
                reason="2025 process")  # fmt: skip
    with pytest.raises(InvalidCommand, match="the case is at version 2"):
        new.migrate(case, at=datetime(2024, 6, 2), by="x", reason="again")


def test_a_hospital_stay_returns_to_the_renamed_state() -> None:
    old, new = Engine(LC1, catalogue=CATALOGUE), Engine(LC2, catalogue=CATALOGUE)
    case = enrolled(old, "SQ-1")
    old.fire(case, "go_to_hospital", at=datetime(2024, 4, 3), by="sw", reason="fall at home")
    assert case.previous_state == "visiting"
    new.migrate(case, states={"visiting": "home_visits"}, at=datetime(2024, 4, 4), by="sw",
                reason="2025 process")  # fmt: skip
    assert case.state == "hospitalised" and case.previous_state == "home_visits"
    new.fire(case, "return_home", at=datetime(2024, 4, 20), by="sw")
    assert case.state == "home_visits"
    assert new.replay(case.history) == case


def test_the_engine_and_the_store_share_one_catalogue() -> None:
    store = MemoryStore(catalogue=CATALOGUE)
    engine = Engine("qingnuan-xiyang", store=store)  # resolved in the store's catalogue
    assert engine.lifecycle is LC2 and engine.catalogue is CATALOGUE
    with pytest.raises(DefinitionError, match="not in the store's catalogue"):
        Engine(LC1, store=MemoryStore())
    with pytest.raises(DefinitionError, match="two different lifecycles"):
        Catalogue(lifecycles=[LC1, APP.lifecycle_from_dict({**LC1.to_dict(), "zh": "别的"})])
    with pytest.raises(DefinitionError, match="built-in guards"):
        Catalogue(guards={"reason_given": aged_60_or_over})


def test_a_definition_file_with_unknown_names_says_where() -> None:
    with pytest.raises(DefinitionError) as info:
        Catalogue().load_lifecycle(V1)  # the app's guard and hook were not given
    assert str(V1) in info.value.name
    assert "transitions[1] (enrol): unknown guard 'aged_60_or_over'" in info.value.problems
    assert "states[3] (hospitalised): unknown hook 'tell_family'" in info.value.problems
    # for reading a store, stand-ins are enough; a command through one is refused by name
    readable = Catalogue().load_lifecycle(V1, placeholders=True)
    assert readable.to_dict() == LC1.to_dict()


def test_a_project_file_lists_the_definition_files(tmp_path: Path) -> None:
    (tmp_path / "processes").mkdir()
    for f in (V1, V2):
        (tmp_path / "processes" / f.name).write_text(f.read_text("utf-8"), "utf-8")
    project = tmp_path / "casework.toml"
    project.write_text(
        '[casework]\nlifecycles = ["processes/elderly-v1.toml", "processes/elderly-v2.toml"]\n',
        "utf-8",
    )
    assert APP.with_project(project) == CATALOGUE
    project.write_text('[casework]\nlifecycle = "x"\n', "utf-8")
    with pytest.raises(DefinitionError, match="unknown keys"):
        APP.with_project(project)


def test_an_apps_payload_types_are_stored_through_its_catalogue() -> None:
    import attrs

    @attrs.frozen
    class HomeCheck:  # an app's own record, carried by its own event
        rooms_safe: bool
        heating: str

    lc = APP.lifecycle_from_dict(
        {
            "id": "home-checks",
            "states": [
                {"name": "open", "initial": True},
                {"name": "done", "category": "closed", "terminal": True},
            ],
            "transitions": [
                {"trigger": "check", "source": "open", "event": "home_checked"},
                {"trigger": "finish", "source": "open", "dest": "done", "event": "finished"},
            ],
        }
    )
    catalogue = APP.extended(lifecycles=[lc], payload_types=[HomeCheck])
    store = MemoryStore(catalogue=catalogue)
    engine = Engine("home-checks", store=store)
    case = engine.open("HC-1", grandma(), at=datetime(2024, 1, 1), by="sw")
    engine.fire(case, "check", at=datetime(2024, 1, 2), by="sw", found=HomeCheck(True, "coal"))
    assert store.load("HC-1") == case
    assert store.load("HC-1").history[-1].payload["found"] == HomeCheck(True, "coal")
    unaware = Engine(lc, store=MemoryStore(catalogue=APP.extended(lifecycles=[lc])))
    other = unaware.open("HC-2", grandma(), at=datetime(2024, 1, 1), by="sw")
    with pytest.raises(InvalidAppend, match="HomeCheck is not registered on the codec"):
        unaware.fire(other, "check", at=datetime(2024, 1, 3), by="sw", found=HomeCheck(False, "x"))
    assert other.version == 1  # the refused command changed nothing


def test_a_stand_in_guard_refuses_every_command_naming_what_is_missing() -> None:
    readable = Catalogue().load_lifecycle(V1, placeholders=True)
    engine = Engine(readable)
    case = enrolled_until_assessment(engine)
    engine.set_plan(case, SessionPlan(sessions=2), at=datetime(2024, 2, 28), by="sw")
    with pytest.raises(Exception) as info:
        engine.fire(case, "enrol", at=datetime(2024, 3, 1), by="sw")
    assert "'aged_60_or_over' is not available here" in str(info.value)


def enrolled_until_assessment(engine: Engine):  # type: ignore[no-untyped-def]
    case = engine.open("SQ-9", grandma(), at=datetime(2024, 2, 26, 9), by="sw")
    engine.record_consent(case, Consent("client", datetime(2024, 2, 26, 9, 30)), by="sw")
    engine.fire(case, "assess", at=datetime(2024, 2, 28), by="sw")
    return case
