"""Malformed inputs across the public surface: every one a typed casework error, nothing changed.

Issue 12's table.  Each row is one bad input to a definition, a record, a command, a
questionnaire, a store, a file, a scenario or a report; it must raise a
:class:`~casework.errors.CaseworkError` subclass (never a bare ``TypeError``, ``KeyError`` or
``sqlite3.Error``) whose message says what was wrong and where, and leave the case, the
journal, the store's rows and the files exactly as they were.  The command line's rows run the
console command in a subprocess and expect one ``casework:`` line on stderr.
"""

from __future__ import annotations

import copy
import sqlite3
import subprocess
import sys
import tomllib
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import attrs
import pytest

from casework import (
    DEFAULT_CATALOGUE,
    STANDARD,
    Client,
    Consent,
    ConsentGiver,
    DefinitionError,
    Engine,
    GuardFailed,
    Guardian,
    InvalidCommand,
    InvalidResponses,
    InvalidValue,
    Lifecycle,
    SessionPlan,
    SessionRecord,
    State,
    Transition,
    TransitionNotAllowed,
    UnknownDefinition,
    UnknownTrigger,
    Worker,
)
from casework.errors import CaseworkError
from casework.instruments import GAD7, MHT, PHQ9, RSES, Instrument
from casework.journal import Journal
from casework.recording import record_activity, record_volunteer_hours, register
from casework.reporting import (
    Activity,
    Dataset,
    Period,
    PlannedOutputs,
    Project,
    Station,
    Volunteer,
    VolunteerHours,
    VolunteerService,
    VolunteerTeam,
    activities_by_kind,
    case_flow,
    cases_by_state,
    completion,
    monthly,
    sessions_per_case,
    time_in_state,
    volunteer_hours,
)
from casework.reporting.html import yearly_report
from casework.serialize import SerializationError, default_codec
from casework.simulation import ScenarioError, load_scenarios, simulate
from casework.store import (
    CaseExists,
    ConflictError,
    CorruptRecord,
    InvalidAppend,
    MemoryStore,
    SQLiteStore,
    StoreError,
    UnknownCase,
    copy_store,
)
from strategies import T0, child, drive_to, open_case, snapshot

AT = T0 + timedelta(days=30)
DOCS = Path(__file__).resolve().parent.parent / "docs"


class World:
    """A case in intervention in an SQLite store, a station journal, and a folder of files."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.path = tmp / "station.db"
        self.store = SQLiteStore(self.path)
        self.engine = Engine(STANDARD, store=self.store)
        self.case = drive_to(self.engine, open_case(self.engine), "intervention")
        self.journal = Journal.open("journal-1", station="xz", at=T0, by="wu", store=self.store)
        register(
            self.journal,
            Project("p-1", "心桥舒屋", "child_care", date(2023, 1, 1), date(2023, 12, 31)),
            at=T0,
            by="wu",
            store=self.store,
        )
        register(self.journal, VolunteerTeam("t-1", "心理咨询师志愿团"), at=T0, by="wu")
        register(self.journal, Volunteer("v-1", team="t-1"), at=T0, by="wu")
        (tmp / "notes.txt").write_text("not a database\n", encoding="utf-8")
        (tmp / "folder").mkdir()
        other = sqlite3.connect(tmp / "other.db")
        other.execute("CREATE TABLE events (x)")
        other.commit()
        other.close()

    def dataset(self) -> Dataset:
        return Dataset([self.case], [self.journal])

    def rows(self) -> list[str]:
        con = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)
        try:
            return list(con.iterdump())
        finally:
            con.close()

    def files(self) -> dict[str, bytes | None]:
        found: dict[str, bytes | None] = {}
        for p in sorted(self.tmp.rglob("*")):
            if p.name.startswith("station.db"):
                continue  # compared row by row (WAL files come and go)
            found[str(p.relative_to(self.tmp))] = p.read_bytes() if p.is_file() else None
        return found

    def state(self) -> tuple[Any, ...]:
        return (
            snapshot(self.case),
            self.journal.version,
            list(self.journal.history),
            self.rows(),
            self.files(),
        )


@attrs.frozen
class Bad:
    """One malformed input: what runs, the error it must raise, what the message must say."""

    id: str
    run: Callable[[World], object]
    error: type[CaseworkError]
    says: tuple[str, ...]
    #: what damages the store before the input is given (a moved row), if anything
    setup: Callable[[World], None] | None = None


TABLE: list[Bad] = []


def bad(
    id: str, error: type[CaseworkError], *says: str, setup: Callable[[World], None] | None = None
) -> Callable[[Callable[[World], object]], None]:
    def add(run: Callable[[World], object]) -> None:
        TABLE.append(Bad(id, run, error, says, setup))

    return add


def row(id: str, run: Callable[[World], object], error: type[CaseworkError], *says: str) -> None:
    TABLE.append(Bad(id, run, error, says))


# --- definitions: Lifecycle.from_dict ---------------------------------------------------------


def standard() -> dict[str, Any]:
    return copy.deepcopy(STANDARD.to_dict())


def from_dict(change: Callable[[dict[str, Any]], object]) -> Callable[[World], object]:
    def run(w: World) -> object:
        data = standard()
        change(data)
        return DEFAULT_CATALOGUE.lifecycle_from_dict(data)

    return run


def state_of(name: str, data: dict[str, Any]) -> dict[str, Any]:
    return next(s for s in data["states"] if s["name"] == name)


def transition_of(trigger: str, data: dict[str, Any]) -> dict[str, Any]:
    return next(t for t in data["transitions"] if t["trigger"] == trigger)


def _rename(item: dict[str, Any], old: str, new: str) -> None:
    item[new] = item.pop(old)


LIFECYCLE_DICTS: list[tuple[str, Callable[[dict[str, Any]], object], tuple[str, ...]]] = [
    ("states None", lambda d: d.update(states=None), ("states: expected a list", "None")),
    ("transitions 5", lambda d: d.update(transitions=5), ("transitions: expected a list",)),
    ("states a dict", lambda d: d.update(states={"a": 1}), ("states: expected a list",)),
    ("states a string", lambda d: d.update(states="referral"), ("states: expected a list",)),
    ("a state a string", lambda d: d["states"].insert(0, "referral"), ("states[0]", "mapping")),
    ("a transition a list", lambda d: d["transitions"].append([1]), ("transitions[", "mapping")),
    (
        "guards 5",
        lambda d: d["transitions"][1].update(guards=5),
        ("transitions[1].guards", "got 5"),
    ),
    (
        "guards [5]",
        lambda d: d["transitions"][1].update(guards=[5]),
        ("transitions[1].guards[0]", "guard name"),
    ),
    (
        "before 5",
        lambda d: d["transitions"][0].update(before=5),
        ("transitions[0].before", "got 5"),
    ),
    ("after {}", lambda d: d["transitions"][0].update(after={"x": 1}), ("transitions[0].after",)),
    ("on_enter 5", lambda d: d["states"][1].update(on_enter=5), ("states[1].on_enter", "got 5")),
    ("on_exit 5.5", lambda d: d["states"][1].update(on_exit=5.5), ("states[1].on_exit",)),
    (
        "source a nested list",
        lambda d: d["transitions"][1].update(source=[["referral"]]),
        ("transitions[1].source[0]", "['referral']"),
    ),
    ("source 5", lambda d: d["transitions"][1].update(source=5), ("transitions[1].source", "5")),
    (
        "source a dict",
        lambda d: d["transitions"][1].update(source={"referral": 1}),
        ("transitions[1].source",),
    ),
    ("dest 5", lambda d: d["transitions"][0].update(dest=5), ("transitions[0].dest", "5")),
    ("dest a list", lambda d: d["transitions"][0].update(dest=["x"]), ("transitions[0].dest",)),
    ("trigger 5", lambda d: d["transitions"][0].update(trigger=5), ("transitions[0].trigger",)),
    ("event 5", lambda d: d["transitions"][0].update(event=5), ("transitions[0].event",)),
    (
        "assessments 5",
        lambda d: state_of("assessment", d).update(assessments=5),
        (".assessments", "got 5"),
    ),
    (
        "assessments unknown phase",
        lambda d: state_of("assessment", d).update(assessments=["midway"]),
        ("assessments[0]", "'midway' is not a phase", "baseline"),
    ),
    (
        "initial 'false'",
        lambda d: d["states"][1].update(initial="false"),
        ("states[1].initial", "'false'"),
    ),
    ("initial 1", lambda d: d["states"][0].update(initial=1), ("states[0].initial", "1")),
    ("terminal 'yes'", lambda d: d["states"][0].update(terminal="yes"), ("states[0].terminal",)),
    ("zh 5", lambda d: d["states"][0].update(zh=5), ("states[0].zh", "expected a string")),
    ("en None", lambda d: d["states"][0].update(en=None), ("states[0].en",)),
    ("transition zh 5", lambda d: d["transitions"][0].update(zh=5), ("transitions[0].zh",)),
    ("lifecycle zh 5", lambda d: d.update(zh=5), ("zh: expected a string",)),
    ("version '2'", lambda d: d.update(version="2"), ("version", "'2'")),
    ("version True", lambda d: d.update(version=True), ("version", "True")),
    ("version 0", lambda d: d.update(version=0), ("version", "0")),
    ("id 5", lambda d: d.update(id=5), ("id", "5")),
    ("id empty", lambda d: d.update(id=""), ("id",)),
    ("name None", lambda d: d["states"][0].update(name=None), ("states[0].name",)),
    ("name missing", lambda d: d["states"][2].pop("name"), ("states[2]: missing 'name'",)),
    (
        "category shut",
        lambda d: d["states"][0].update(category="shut"),
        ("states[0].category", "'shut'", "open, closed"),
    ),
    (
        "from instead of source",
        lambda d: _rename(d["transitions"][1], "source", "from"),
        ("transitions[1]", "'from'", "did you mean 'source'"),
    ),
    (
        "to instead of dest",
        lambda d: _rename(d["transitions"][0], "dest", "to"),
        ("transitions[0]", "'to'", "'dest'"),
    ),
    (
        "conditions instead of guards",
        lambda d: _rename(d["transitions"][1], "guards", "conditions"),
        ("'conditions'", "'guards'"),
    ),
    (
        "initail misspelt",
        lambda d: d["states"][0].update(initail=True),
        ("states[0]", "'initail'", "'initial'"),
    ),
    ("unknown top key", lambda d: d.update(stats=[]), ("lifecycle", "'stats'", "'states'")),
    (
        "unknown guard",
        lambda d: d["transitions"][1].update(guards=["nope"]),
        ("unknown guard 'nope'",),
    ),
    ("unknown hook", lambda d: d["states"][1].update(on_enter=["nope"]), ("unknown hook 'nope'",)),
    (
        "trigger missing",
        lambda d: d["transitions"][2].pop("trigger"),
        ("transitions[2]: missing 'trigger'",),
    ),
]
for _id, _change, _says in LIFECYCLE_DICTS:
    row(f"lifecycle.from_dict: {_id}", from_dict(_change), DefinitionError, *_says)


@bad("lifecycle.from_dict: not a mapping", DefinitionError, "expected a mapping", "list")
def _(w: World) -> object:
    return Lifecycle.from_dict([1, 2])  # type: ignore[arg-type]


@bad("lifecycle.from_dict: leaks no __init__ message", DefinitionError, "missing 'source'")
def _(w: World) -> object:
    data = standard()
    data["transitions"][1].pop("source")
    try:
        return DEFAULT_CATALOGUE.lifecycle_from_dict(data)
    except DefinitionError as exc:
        assert "__init__" not in str(exc) and "positional argument" not in str(exc)
        raise


# --- definitions built in code ----------------------------------------------------------------

row("State: initial 'false'", lambda w: State("a", initial="false"), DefinitionError, "initial")  # type: ignore[arg-type]
row("State: name 5", lambda w: State(5), DefinitionError, "name", "5")  # type: ignore[arg-type]
row(
    "State: category x",
    lambda w: State("a", category="x"),
    DefinitionError,
    "category",
    "open, closed",
)
row("State: on_enter 5", lambda w: State("a", on_enter=5), DefinitionError, "on_enter", "5")  # type: ignore[arg-type]
row(
    "State: assessments 5", lambda w: State("a", assessments=5), DefinitionError, "assessments", "5"
)  # type: ignore[arg-type]
row("State: zh 5", lambda w: State("a", zh=5), DefinitionError, "zh", "5")  # type: ignore[arg-type]
row(
    "Transition: nested source",
    lambda w: Transition("go", [["a"]], None),  # type: ignore[list-item]
    DefinitionError,
    "source[0]",
)
row(
    "Transition: guards 5",
    lambda w: Transition("go", "a", None, guards=5),
    DefinitionError,
    "guards",
    "5",
)  # type: ignore[arg-type]
row("Transition: dest 5", lambda w: Transition("go", "a", 5), DefinitionError, "dest", "5")  # type: ignore[arg-type]
row("Transition: trigger None", lambda w: Transition(None, "a", None), DefinitionError, "trigger")  # type: ignore[arg-type]
row("Lifecycle: states None", lambda w: Lifecycle("x", None, ()), DefinitionError, "states", "None")  # type: ignore[arg-type]
row(
    "Lifecycle: transitions 5",
    lambda w: Lifecycle("x", STANDARD.states, 5),
    DefinitionError,
    "transitions",
    "5",
)  # type: ignore[arg-type]
row(
    "Lifecycle: a state a dict",
    lambda w: Lifecycle("x", [{"name": "a"}], STANDARD.transitions),  # type: ignore[list-item]
    DefinitionError,
    "states[0]",
    "expected a State",
)
row(
    "Lifecycle: version '2'",
    lambda w: Lifecycle("x", STANDARD.states, STANDARD.transitions, version="2"),  # type: ignore[arg-type]
    DefinitionError,
    "version",
    "'2'",
)
row(
    "Lifecycle: zh 5",
    lambda w: Lifecycle("x", STANDARD.states, STANDARD.transitions, zh=5),  # type: ignore[arg-type]
    DefinitionError,
    "zh",
)

# --- definition files -------------------------------------------------------------------------


def lifecycle_file(text: str, name: str = "bad.toml") -> Callable[[World], object]:
    def run(w: World) -> object:
        path = w.tmp / "folder" / name
        path.write_text(text, encoding="utf-8")
        try:
            return DEFAULT_CATALOGUE.load_lifecycle(path)
        finally:
            path.unlink()

    return run


TOML_STATE = """
id = "visits"
[[states]]
name = "open"
initial = "false"
[[states]]
name = "done"
terminal = true
[[transitions]]
trigger = "finish"
source = "open"
dest = "done"
event = "finished"
"""
row(
    "file: toml initial 'false'",
    lifecycle_file(TOML_STATE),
    DefinitionError,
    "bad.toml",
    "states[0].initial",
)
row(
    "file: toml zh 5",
    lifecycle_file(TOML_STATE.replace('initial = "false"', "initial = true\nzh = 5")),
    DefinitionError,
    "states[0].zh",
)
TOML_GUARDS = TOML_STATE.replace('initial = "false"', "initial = true").replace(
    'event = "finished"', 'event = "finished"\nguards = 5'
)


def _placeholders(w: World) -> object:
    path = w.tmp / "folder" / "guards.toml"
    path.write_text(TOML_GUARDS, encoding="utf-8")
    try:
        return DEFAULT_CATALOGUE.load_lifecycle(path, placeholders=True)
    finally:
        path.unlink()


row(
    "file: guards 5 read with placeholders", _placeholders, DefinitionError, "transitions[0].guards"
)
row("file: toml syntax", lifecycle_file("id = \n[[states"), DefinitionError, "bad.toml")
row(
    "file: json not an object",
    lifecycle_file("[1, 2]", "bad.json"),
    DefinitionError,
    "bad.json",
    "mapping",
)
row("file: json syntax", lifecycle_file("{", "bad.json"), DefinitionError, "bad.json")
row(
    "file: missing",
    lambda w: DEFAULT_CATALOGUE.load_lifecycle(w.tmp / "none.toml"),
    DefinitionError,
    "none.toml",
)
row(
    "file: a folder",
    lambda w: DEFAULT_CATALOGUE.load_lifecycle(w.tmp / "folder"),
    DefinitionError,
    "folder",
)
row(
    "catalogue: unknown lifecycle",
    lambda w: DEFAULT_CATALOGUE.lifecycle("shiqiao"),
    UnknownDefinition,
    "'shiqiao'",
    "standard",
)

# --- records ----------------------------------------------------------------------------------

BORN = date(2012, 6, 3)
RECORDS: list[tuple[str, Callable[[], object], str]] = [
    ("Client guardians 5", lambda: Client("c", "p", BORN, guardians=5), "Client.guardians"),  # type: ignore[arg-type]
    (
        "Client guardians a string",
        lambda: Client("c", "p", BORN, guardians="g-1"),
        "Client.guardians",
    ),  # type: ignore[arg-type]
    (
        "Client guardians not Guardian",
        lambda: Client("c", "p", BORN, guardians=["g-1"]),
        "Client.guardians[0]",
    ),  # type: ignore[list-item]
    (
        "Client guardians twice",
        lambda: Client("c", "p", BORN, guardians=[Guardian("g"), Guardian("g")]),
        "Client.guardians",
    ),
    ("Client tags 5", lambda: Client("c", "p", BORN, tags=5), "Client.tags"),  # type: ignore[arg-type]
    ("Client tags None", lambda: Client("c", "p", BORN, tags=None), "Client.tags"),  # type: ignore[arg-type]
    ("Client tags a string", lambda: Client("c", "p", BORN, tags="elderly"), "Client.tags"),  # type: ignore[arg-type]
    ("Client tags [5]", lambda: Client("c", "p", BORN, tags=[5]), "Client.tags[0]"),  # type: ignore[list-item]
    ("Client birth_date a string", lambda: Client("c", "p", "2012-06-03"), "Client.birth_date"),  # type: ignore[arg-type]
    ("Client birth_date a datetime", lambda: Client("c", "p", T0), "Client.birth_date"),
    ("Client sex x", lambda: Client("c", "p", BORN, sex="x"), "Client.sex"),  # type: ignore[arg-type]
    ("Client id empty", lambda: Client("", "p", BORN), "Client.id"),
    ("Client pseudonym 5", lambda: Client("c", 5, BORN), "Client.pseudonym"),  # type: ignore[arg-type]
    ("Guardian id None", lambda: Guardian(None), "Guardian.id"),  # type: ignore[arg-type]
    ("Worker role boss", lambda: Worker("w", "boss"), "Worker.role"),  # type: ignore[arg-type]
    ("Consent giver x", lambda: Consent("x", T0), "Consent.giver"),  # type: ignore[arg-type]
    (
        "Consent given_at a string",
        lambda: Consent(ConsentGiver.CLIENT, "2023-03-01"),
        "Consent.given_at",
    ),  # type: ignore[arg-type]
    (
        "Consent withdrawn before given",
        lambda: Consent(ConsentGiver.CLIENT, T0, withdrawn_at=T0 - timedelta(1)),
        "Consent.withdrawn_at",
    ),
    ("Consent guardian unnamed", lambda: Consent(ConsentGiver.GUARDIAN, T0), "Consent.giver_id"),
    (
        "SessionRecord techniques None",
        lambda: SessionRecord(1, held_at=T0, techniques=None),
        "SessionRecord.techniques",
    ),  # type: ignore[arg-type]
    (
        "SessionRecord techniques 5",
        lambda: SessionRecord(1, held_at=T0, techniques=5),
        "SessionRecord.techniques",
    ),  # type: ignore[arg-type]
    (
        "SessionRecord techniques [1]",
        lambda: SessionRecord(1, held_at=T0, techniques=[1]),
        "SessionRecord.techniques[0]",
    ),  # type: ignore[list-item]
    ("SessionRecord number 0", lambda: SessionRecord(0, held_at=T0), "SessionRecord.number"),
    ("SessionRecord number '1'", lambda: SessionRecord("1", held_at=T0), "SessionRecord.number"),  # type: ignore[arg-type]
    ("SessionRecord held without time", lambda: SessionRecord(1), "SessionRecord.held_at"),
    (
        "SessionRecord status x",
        lambda: SessionRecord(1, status="x", held_at=T0),
        "SessionRecord.status",
    ),  # type: ignore[arg-type]
    ("SessionRecord mode x", lambda: SessionRecord(1, mode="x", held_at=T0), "SessionRecord.mode"),  # type: ignore[arg-type]
    (
        "SessionRecord duration -5",
        lambda: SessionRecord(1, held_at=T0, duration_minutes=-5),
        "duration_minutes",
    ),
    ("SessionPlan sessions 0", lambda: SessionPlan(0), "SessionPlan.sessions"),
    ("SessionPlan schedule 5", lambda: SessionPlan(2, schedule=5), "SessionPlan.schedule"),  # type: ignore[arg-type]
    ("SessionPlan goals None", lambda: SessionPlan(2, goals=None), "SessionPlan.goals"),  # type: ignore[arg-type]
    ("SessionPlan goals [1]", lambda: SessionPlan(2, goals=[1]), "SessionPlan.goals[0]"),  # type: ignore[list-item]
    (
        "Activity volunteers 5",
        lambda: Activity("a", "group_session", BORN, "t", "p", 3, volunteers=5),
        "Activity.volunteers",
    ),  # type: ignore[arg-type]
    (
        "Activity volunteers [str]",
        lambda: Activity("a", "group_session", BORN, "t", "p", 3, volunteers=["v"]),
        "Activity.volunteers[0]",
    ),  # type: ignore[list-item]
    (
        "Activity partners 5",
        lambda: Activity("a", "group_session", BORN, "t", "p", 3, partners=5),
        "Activity.partners",
    ),  # type: ignore[arg-type]
    (
        "Activity partners [None]",
        lambda: Activity("a", "group_session", BORN, "t", "p", 3, partners=[None]),
        "Activity.partners[0]",
    ),  # type: ignore[list-item]
    ("Activity kind x", lambda: Activity("a", "x", BORN, "t", "p", 3), "Activity.kind"),  # type: ignore[arg-type]
    (
        "Activity participants -1",
        lambda: Activity("a", "group_session", BORN, "t", "p", -1),
        "participants",
    ),
    (
        "Activity on a string",
        lambda: Activity("a", "group_session", "2023-01-01", "t", "p", 3),
        "Activity.on",
    ),  # type: ignore[arg-type]
    ("VolunteerHours hours 30", lambda: VolunteerHours("v", 30), "hours"),
    ("VolunteerService on None", lambda: VolunteerService("v", None, 2), "VolunteerService.on"),  # type: ignore[arg-type]
    (
        "Project target_groups 5",
        lambda: Project("p", "n", "child_care", BORN, BORN, target_groups=5),
        "Project.target_groups",
    ),  # type: ignore[arg-type]
    (
        "Project target_groups [5]",
        lambda: Project("p", "n", "child_care", BORN, BORN, target_groups=[5]),
        "Project.target_groups",
    ),  # type: ignore[list-item]
    (
        "Project ends before it starts",
        lambda: Project("p", "n", "child_care", BORN, BORN - timedelta(1)),
        "Project.end",
    ),
    (
        "Project planned a dict",
        lambda: Project("p", "n", "child_care", BORN, BORN, planned={"cases": 5}),
        "Project.planned",
    ),  # type: ignore[arg-type]
    ("PlannedOutputs cases -1", lambda: PlannedOutputs(cases=-1), "cases"),
    ("Station founded a string", lambda: Station("s", "n", "t", "2020"), "Station.founded"),  # type: ignore[arg-type]
]
for _id, _make, _where in RECORDS:
    row(f"record: {_id}", lambda w, make=_make: make(), InvalidValue, _where)

# --- commands ---------------------------------------------------------------------------------

COMMANDS: list[tuple[str, Callable[[World], object], type[CaseworkError], tuple[str, ...]]] = [
    (
        "fire unknown trigger",
        lambda w: w.engine.fire(w.case, "fly", at=AT, by="wu"),
        UnknownTrigger,
        ("'fly'",),
    ),
    (
        "fire not from this state",
        lambda w: w.engine.fire(w.case, "admit", at=AT, by="wu"),
        TransitionNotAllowed,
        ("'admit'", "intervention"),
    ),
    (
        "fire at a string",
        lambda w: w.engine.fire(w.case, "suspend", at="2023-04-01", by="wu", reason="x"),
        InvalidCommand,
        ("at",),
    ),
    (
        "fire by None",
        lambda w: w.engine.fire(w.case, "suspend", at=AT, by=None, reason="x"),
        InvalidCommand,
        ("by",),
    ),
    (
        "fire in the past",
        lambda w: w.engine.fire(w.case, "suspend", at=T0 - timedelta(1), by="wu", reason="x"),
        GuardFailed,
        ("before the case's latest event",),
    ),
    (
        "fire aware after naive",
        lambda w: w.engine.fire(w.case, "suspend", at=AT.replace(tzinfo=UTC), by="wu", reason="x"),
        InvalidCommand,
        ("naive", "aware"),
    ),
    (
        "fire without a reason",
        lambda w: w.engine.fire(w.case, "suspend", at=AT, by="wu"),
        GuardFailed,
        ("reason",),
    ),
    (
        "record_consent a string",
        lambda w: w.engine.record_consent(w.case, "yes", by="wu"),
        InvalidCommand,
        ("Consent",),
    ),  # type: ignore[arg-type]
    (
        "record_consent unknown guardian",
        lambda w: w.engine.record_consent(
            w.case, Consent(ConsentGiver.GUARDIAN, AT, giver_id="g-9"), by="wu"
        ),
        CaseworkError,
        ("'g-9'",),
    ),
    (
        "set_plan a number",
        lambda w: w.engine.set_plan(w.case, 10, at=AT, by="wu"),
        InvalidCommand,
        ("SessionPlan",),
    ),  # type: ignore[arg-type]
    (
        "record_session a dict",
        lambda w: w.engine.record_session(w.case, {"number": 1}, by="wu"),
        InvalidCommand,
        ("SessionRecord",),
    ),  # type: ignore[arg-type]
    (
        "record_assessment unknown instrument",
        lambda w: w.engine.record_assessment(w.case, "nope", [1], phase="post", at=AT, by="wu"),
        CaseworkError,
        ("'nope'",),
    ),
    (
        "record_assessment phase x",
        lambda w: w.engine.record_assessment(
            w.case, "phq9", [0] * 9, phase="midway", at=AT, by="wu"
        ),
        CaseworkError,
        ("midway",),
    ),
    (
        "record_assessment short protocol",
        lambda w: w.engine.record_assessment(w.case, "phq9", [0] * 3, phase="post", at=AT, by="wu"),
        CaseworkError,
        ("phq9",),
    ),
    (
        "transfer to the same worker",
        lambda w: w.engine.transfer(w.case, "wu", reason="x", at=AT, by="wu"),
        GuardFailed,
        ("already assigned",),
    ),
    (
        "open an id taken",
        lambda w: w.engine.open("case-1", child(), at=AT, by="wu"),
        CaseExists,
        ("'case-1'", "already exists"),
    ),
    (
        "open a client born after the opening",
        lambda w: w.engine.open("case-2", child(date(2024, 1, 1)), at=AT, by="wu"),
        InvalidCommand,
        ("birth_date", "2024-01-01"),
    ),
    (
        "open an empty id",
        lambda w: w.engine.open(" ", child(), at=AT, by="wu"),
        InvalidCommand,
        ("case_id",),
    ),
    (
        "open a client a dict",
        lambda w: w.engine.open("case-2", {"id": "c"}, at=AT, by="wu"),
        InvalidCommand,
        ("client",),
    ),  # type: ignore[arg-type]
    (
        "open at None",
        lambda w: w.engine.open("case-2", child(), at=None, by="wu"),
        InvalidCommand,
        ("at",),
    ),  # type: ignore[arg-type]
    ("engine of an unknown lifecycle", lambda w: Engine("shiqiao"), CaseworkError, ("'shiqiao'",)),
]
for _id, _run, _error, _says in COMMANDS:
    row(f"command: {_id}", _run, _error, *_says)


@bad("command: allowed now never lists the refused trigger", GuardFailed, "reason")
def _(w: World) -> object:
    try:
        return w.engine.fire(w.case, "suspend", at=AT, by="wu")
    except GuardFailed as exc:
        assert "suspend" not in exc.allowed
        assert set(exc.allowed) <= set(STANDARD.triggers_from("intervention"))
        raise


def _ten_sessions(w: World) -> None:
    for n in range(1, 11):
        w.engine.record_session(w.case, SessionRecord(n, held_at=AT), by="wu")


TABLE.append(
    Bad(
        "command: record_session eleven of ten",
        lambda w: w.engine.record_session(w.case, SessionRecord(11, held_at=AT), by="wu"),
        GuardFailed,
        ("all 10 planned sessions are held",),
        _ten_sessions,
    )
)

# --- questionnaires (instruments) -------------------------------------------------------------

INSTRUMENTS: list[tuple[str, Callable[[], object], type[CaseworkError], tuple[str, ...]]] = [
    ("phq9 too short", lambda: PHQ9.score([0] * 8), InvalidResponses, ("phq9",)),
    ("phq9 answer 4", lambda: PHQ9.score([4] + [0] * 8), InvalidResponses, ("item 1",)),
    ("phq9 None", lambda: PHQ9.score(None), InvalidResponses, ("phq9",)),
    ("phq9 a string", lambda: PHQ9.score("000000000"), InvalidResponses, ("phq9",)),
    ("gad7 a dict of words", lambda: GAD7.score({1: "often"}), InvalidResponses, ("gad7",)),
    ("rses floats", lambda: RSES.score([1.5] * 10), InvalidResponses, ("rses",)),
    ("mht numbers", lambda: MHT.score([7] * 100), InvalidResponses, ("mht",)),
    (
        "mht unknown group",
        lambda: MHT.score([False] * 100, group="martians"),
        CaseworkError,
        ("martians",),
    ),
    (
        "instrument from_dict None",
        lambda: Instrument.from_dict(None),
        DefinitionError,
        ("$", "dict"),
    ),  # type: ignore[arg-type]
    (
        "instrument items 5",
        lambda: Instrument.from_dict({**PHQ9.to_dict(), "items": 5}),
        DefinitionError,
        ("items",),
    ),
]
for _id, _make, _error, _says in INSTRUMENTS:
    row(f"instrument: {_id}", lambda w, make=_make: make(), _error, *_says)

# --- stores -----------------------------------------------------------------------------------


def _event(w: World, **changes: Any) -> Any:
    return attrs.evolve(w.case.history[-1], **{"seq": w.case.version + 1, **changes})


def _twice(w: World) -> object:
    store = MemoryStore()
    store.append([w.case.history[0]], expected_version=0)
    return store.append([w.case.history[0]], expected_version=0)


STORES: list[tuple[str, Callable[[World], object], type[CaseworkError], tuple[str, ...]]] = [
    ("load unknown case", lambda w: w.store.load("nope"), UnknownCase, ("'nope'",)),
    (
        "stale append",
        lambda w: w.store.append([_event(w, seq=2)], expected_version=1),
        ConflictError,
        ("'case-1'", "expected version 1"),
    ),
    (
        "append an event with an unknown state",
        lambda w: w.store.append([_event(w, state="limbo")], expected_version=w.case.version),
        StoreError,
        ("limbo",),
    ),
    (
        "append a gap",
        lambda w: w.store.append(
            [attrs.evolve(_event(w), seq=w.case.version + 5)], expected_version=w.case.version
        ),
        InvalidAppend,
        ("case-1",),
    ),
    (
        "append two cases at once",
        lambda w: w.store.append(
            [_event(w), attrs.evolve(_event(w), case_id="case-9")], expected_version=w.case.version
        ),
        InvalidAppend,
        ("case",),
    ),
    (
        "append nothing",
        lambda w: w.store.append([], expected_version=0),
        InvalidAppend,
        ("append refused",),
    ),
    (
        "append a lone surrogate",
        lambda w: w.store.append([_event(w, actor="wu\udc80")], expected_version=w.case.version),
        CaseworkError,
        ("case-1",),
    ),
    (
        "a text file",
        lambda w: SQLiteStore(w.tmp / "notes.txt").load("case-1"),
        StoreError,
        ("notes.txt",),
    ),
    ("a folder", lambda w: SQLiteStore(w.tmp / "folder").load("case-1"), StoreError, ("folder",)),
    (
        "another program's database",
        lambda w: SQLiteStore(w.tmp / "other.db").load("case-1"),
        StoreError,
        ("other.db",),
    ),
    ("a journal loaded as a case", lambda w: w.store.load("journal-1"), UnknownCase, ("journal",)),
    ("memory: a new case twice", _twice, CaseExists, ("'case-1'", "already exists")),
    ("copy onto itself", lambda w: copy_store(w.store, w.store), StoreError, ("case-1",)),
]
for _id, _run, _error, _says in STORES:
    row(f"store: {_id}", _run, _error, *_says)


def _sql(statement: str) -> Callable[[World], None]:
    def damage(w: World) -> None:
        con = sqlite3.connect(w.path)
        con.execute(statement)
        con.commit()
        con.close()

    return damage


_MOVE = "UPDATE events SET case_id = 'moved', seq = 1 WHERE case_id = 'case-1' AND seq = 2"
_GARBLE = "UPDATE events SET payload = '{not json' WHERE case_id = 'case-1' AND seq = 2"
TABLE.append(
    Bad(
        "store: a row moved to another case id",
        lambda w: SQLiteStore(w.path).load("moved"),
        CorruptRecord,
        ("'moved'", "summary row is missing", "#1"),
        _sql(_MOVE),
    )
)
TABLE.append(
    Bad(
        "store: a corrupt payload",
        lambda w: SQLiteStore(w.path).load("case-1"),
        CorruptRecord,
        ("'case-1'", "#2"),
        _sql(_GARBLE),
    )
)


@bad("serialize: an event from garbage", SerializationError, "$")
def _(w: World) -> object:
    return default_codec().loads_event('{"x": 1}')


# --- station journal --------------------------------------------------------------------------

ACTIVITY = Activity("a-1", "group_session", date(2023, 4, 1), "沙盘", "站", 8, project="p-1")
JOURNAL: list[tuple[str, Callable[[World], object], tuple[str, ...]]] = [
    (
        "activity naive after aware",
        lambda w: record_activity(
            w.journal, ACTIVITY, by="wu", at=datetime(2023, 4, 1, tzinfo=UTC)
        ),
        ("naive", "aware"),
    ),
    (
        "activity unknown project",
        lambda w: record_activity(w.journal, attrs.evolve(ACTIVITY, project="p-9"), by="wu"),
        ("Activity.project", "'p-9'"),
    ),
    (
        "activity unknown volunteer",
        lambda w: record_activity(
            w.journal, attrs.evolve(ACTIVITY, volunteers=[VolunteerHours("v-9", 2)]), by="wu"
        ),
        ("Activity.volunteers[0]", "'v-9'"),
    ),
    (
        "activity before the journal",
        lambda w: record_activity(w.journal, attrs.evolve(ACTIVITY, on=date(2020, 1, 1)), by="wu"),
        ("at", "before"),
    ),
    ("activity a dict", lambda w: record_activity(w.journal, {"id": "a"}, by="wu"), ("Activity",)),  # type: ignore[arg-type]
    (
        "hours of an unknown volunteer",
        lambda w: record_volunteer_hours(
            w.journal, VolunteerService("v-9", date(2023, 4, 1), 2), by="wu"
        ),
        ("'v-9'",),
    ),
    (
        "register a volunteer twice",
        lambda w: register(w.journal, Volunteer("v-1"), at=AT, by="wu"),
        ("'v-1'", "already"),
    ),
    (
        "register a volunteer of no team",
        lambda w: register(w.journal, Volunteer("v-2", team="t-9"), at=AT, by="wu"),
        ("Volunteer.team", "'t-9'"),
    ),
    ("register a string", lambda w: register(w.journal, "station", at=AT, by="wu"), ("station",)),  # type: ignore[arg-type]
    (
        "journal reserved type",
        lambda w: w.journal.record("case_opened", at=AT, by="wu"),
        ("reserved",),
    ),
    ("journal by None", lambda w: w.journal.record("noted", at=AT, by=None), ("by",)),  # type: ignore[arg-type]
]
for _id, _run, _says in JOURNAL:
    row(f"journal: {_id}", _run, InvalidValue, *_says)

# --- scenarios --------------------------------------------------------------------------------

XINQIAO = (DOCS / "scenarios" / "xinqiao.toml").read_text(encoding="utf-8")


def scenario(change: Callable[[str], str]) -> Callable[[World], object]:
    def run(w: World) -> object:
        return load_scenarios_text(w, change(XINQIAO))

    return run


def load_scenarios_text(w: World, text: str) -> object:
    path = w.tmp / "folder" / "scenario.toml"
    path.write_text(text, encoding="utf-8")
    try:
        return load_scenarios(path)
    finally:
        path.unlink()


SCENARIOS: list[tuple[str, Callable[[World], object], tuple[str, ...]]] = [
    (
        "per_week negative",
        scenario(lambda t: t.replace("per_week = 1.35", "per_week = -2")),
        ("referrals.per_week",),
    ),
    (
        "per_week a string",
        scenario(lambda t: t.replace("per_week = 1.35", 'per_week = "many"')),
        ("referrals.per_week",),
    ),
    (
        "consent above 1",
        scenario(lambda t: t.replace("consent = 0.9", "consent = 1.9")),
        ("consent",),
    ),
    (
        "sessions 0",
        scenario(lambda t: t.replace("sessions = 10 ", "sessions = 0 ")),
        ("plan.sessions",),
    ),
    (
        "unknown lifecycle",
        lambda w: simulate(
            scenario(lambda t: t.replace('lifecycle = "standard_mht"', 'lifecycle = "shiqiao"'))(w)[
                0
            ]
        ),
        ("'shiqiao'",),
    ),
    (
        "end before start",
        scenario(lambda t: t.replace("end = 2025-01-01", "end = 2023-01-01")),
        ("end",),
    ),
    (
        "seasonality of 3",
        scenario(
            lambda t: t.replace(
                "seasonality = [0.8, 0.5, 1.0, 1.1, 1.1, 0.9, 0.6, 0.7, 1.6, 1.4, 1.2, 1.1]",
                "seasonality = [1, 2, 3]",
            )
        ),
        ("seasonality",),
    ),
    ("not toml", lambda w: load_scenarios_text(w, "name = \n["), ("scenario.toml",)),
    (
        "a mapping with a list",
        lambda w: load_scenarios({**tomllib.loads(XINQIAO), "name": ["x"]}),
        ("name",),
    ),
]
for _id, _run, _says in SCENARIOS:
    row(f"scenario: {_id}", _run, ScenarioError, *_says)

# --- reporting --------------------------------------------------------------------------------

REPORTS: list[tuple[str, Callable[[World], object], tuple[str, ...]]] = [
    ("Period.year '2023'", lambda w: Period.year("2023"), ("Period.year", "'2023'")),  # type: ignore[arg-type]
    ("Period.year 0", lambda w: Period.year(0), ("Period.year", "0")),
    ("Period.year 2023.0", lambda w: Period.year(2023.0), ("Period.year",)),  # type: ignore[arg-type]
    ("Period.month 13", lambda w: Period.month(2023, 13), ("month", "13")),
    ("Period.month 0", lambda w: Period.month(2023, 0), ("month", "0")),
    ("Period.month '5'", lambda w: Period.month(2023, "5"), ("month", "'5'")),  # type: ignore[arg-type]
    ("Period.days to date.max", lambda w: Period.days(date(2023, 1, 1), date.max), ("last",)),
    ("Period backwards", lambda w: Period(date(2023, 5, 1), date(2023, 1, 1)), ("Period.end",)),
    ("Period of strings", lambda w: Period("2023-01-01", "2024-01-01"), ("Period",)),  # type: ignore[arg-type]
    (
        "case_flow period '2023'",
        lambda w: case_flow(w.dataset(), "2023"),
        ("case_flow", "period", "'2023'"),
    ),  # type: ignore[arg-type]
    ("case_flow of a list", lambda w: case_flow([w.case]), ("case_flow", "Dataset")),  # type: ignore[arg-type]
    (
        "sessions_per_case period 2023",
        lambda w: sessions_per_case(w.dataset(), 2023),
        ("sessions_per_case", "period"),
    ),  # type: ignore[arg-type]
    (
        "activities_by_kind period a date",
        lambda w: activities_by_kind(w.dataset(), date(2023, 1, 1)),
        ("period",),
    ),  # type: ignore[arg-type]
    (
        "volunteer_hours by nothing",
        lambda w: volunteer_hours(w.dataset(), by="colour"),
        ("colour",),
    ),
    ("completion lang fr", lambda w: completion(w.dataset(), lang="fr"), ("lang", "'fr'")),
    ("monthly period None", lambda w: monthly(w.dataset(), "2023"), ("monthly", "period")),  # type: ignore[arg-type]
    ("cases_by_state of None", lambda w: cases_by_state(None), ("cases_by_state", "Dataset")),  # type: ignore[arg-type]
    ("time_in_state as_of a string", lambda w: time_in_state(w.dataset(), "2023"), ("as_of",)),  # type: ignore[arg-type]
    ("Dataset of strings", lambda w: Dataset(["case-1"]), ("cases",)),  # type: ignore[list-item]
    (
        "yearly_report year '2023'",
        lambda w: yearly_report(w.dataset(), "2023", charts=False, diagram=False),
        ("year", "'2023'"),
    ),  # type: ignore[arg-type]
    (
        "yearly_report lang fr",
        lambda w: yearly_report(w.dataset(), 2023, lang="fr", charts=False, diagram=False),
        ("lang",),
    ),
]
for _id, _run, _says in REPORTS:
    row(f"reporting: {_id}", _run, InvalidValue, *_says)


# --- the table's checks -----------------------------------------------------------------------


def test_the_table_is_large_enough() -> None:
    """Issue 12 asks for at least 120 malformed inputs of our own (the command line's below)."""
    assert len(TABLE) + len(CLI) >= 120
    assert len({b.id for b in TABLE}) == len(TABLE)


@pytest.mark.parametrize("case", [pytest.param(b, id=b.id) for b in TABLE])
def test_a_malformed_input_is_a_typed_error_and_changes_nothing(case: Bad, tmp_path: Path) -> None:
    """The input raises its casework error, which says what and where; nothing changed."""
    w = World(tmp_path)
    if case.setup is not None:
        case.setup(w)
    before = w.state()
    with pytest.raises(CaseworkError) as info:
        case.run(w)
    error = info.value
    assert isinstance(error, case.error), f"{type(error).__name__}: {error}"
    message = str(error)
    for part in case.says:
        assert part in message, f"{part!r} not in {message!r}"
    assert w.state() == before


# --- the command line -------------------------------------------------------------------------

CLI: list[tuple[str, tuple[str, ...], tuple[str, ...]]] = [
    ("show of a text file", ("show", "--db", "notes.txt", "XZ-1"), ("notes.txt",)),
    ("show of a folder", ("show", "--db", "folder", "XZ-1"), ("folder",)),
    ("show of another program's database", ("show", "--db", "other.db", "XZ-1"), ("other.db",)),
    ("show of a missing folder", ("show", "--db", "none/x.db", "XZ-1"), ("none",)),
    ("show of an unknown case", ("show", "--db", "station.db", "XZ-404"), ("XZ-404",)),
    ("report year 0", ("report", "--db", "station.db", "--year", "0"), ("--year 0",)),
    ("simulate a missing scenario", ("simulate", "none.toml"), ("none.toml",)),
    ("simulate a text file", ("simulate", "notes.txt"), ("notes.txt",)),
    (
        "show with a broken lifecycle file",
        ("show", "--db", "station.db", "--lifecycle", "broken.toml", "XZ-1"),
        ("broken.toml", "states[0].initial"),
    ),
    ("demo twice on one file", ("demo", "--db", "station.db"), ("already",)),
]


@pytest.fixture(scope="module")
def cli_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from casework.cli import main

    folder = tmp_path_factory.mktemp("cli")
    assert main(["demo", "--db", str(folder / "station.db")]) == 0
    (folder / "notes.txt").write_text("not a database\n", encoding="utf-8")
    (folder / "folder").mkdir()
    other = sqlite3.connect(folder / "other.db")
    other.execute("CREATE TABLE events (x)")
    other.commit()
    other.close()
    (folder / "broken.toml").write_text(TOML_STATE, encoding="utf-8")
    return folder


def _listing(folder: Path) -> dict[str, bytes | None]:
    return {
        str(p.relative_to(folder)): (p.read_bytes() if p.is_file() else None)
        for p in sorted(folder.rglob("*"))
    }


def _cli(c: tuple[str, tuple[str, ...], tuple[str, ...]]) -> Any:
    return pytest.param(*c[1:], id=c[0])


@pytest.mark.parametrize(("argv", "says"), [_cli(c) for c in CLI])
def test_the_command_line_fails_in_one_line(
    argv: tuple[str, ...], says: tuple[str, ...], cli_folder: Path
) -> None:
    """One ``casework:`` line on stderr, no traceback, a non-zero status, no file changed."""
    before = _listing(cli_folder)
    done = subprocess.run(
        [sys.executable, "-m", "casework", *argv],
        capture_output=True,
        text=True,
        cwd=cli_folder,
        timeout=120,
        check=False,
    )
    lines = done.stderr.splitlines()
    assert done.returncode != 0
    assert len(lines) == 1 and lines[0].startswith("casework: "), done.stderr
    assert "Traceback" not in done.stderr
    for part in says:
        assert part in lines[0], f"{part!r} not in {lines[0]!r}"
    assert _listing(cli_folder) == before
