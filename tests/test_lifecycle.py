"""Lifecycle definitions: validated when built, plain-dict round trips, one shared machine."""

from __future__ import annotations

import json
import tomllib
from typing import Any

import pytest

from casework import (
    DEFAULT_CATALOGUE,
    PREVIOUS,
    STANDARD,
    DefinitionError,
    Engine,
    Lifecycle,
    State,
    Transition,
    standard_lifecycle,
)
from casework.guards import BUILTIN, reason_given


def tiny(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": "tiny",
        "states": [
            {"name": "open", "initial": True},
            {"name": "paused"},
            {"name": "done", "category": "closed", "terminal": True},
        ],
        "transitions": [
            {"trigger": "pause", "source": "open", "dest": "paused", "event": "paused"},
            {"trigger": "resume", "source": "paused", "dest": PREVIOUS, "event": "resumed"},
            {
                "trigger": "finish",
                "source": ["open"],
                "dest": "done",
                "event": "finished",
                "guards": ["reason_given"],
            },
        ],
    }
    data.update(overrides)
    return data


def problems_of(data: dict[str, Any]) -> tuple[str, ...]:
    with pytest.raises(DefinitionError) as info:
        DEFAULT_CATALOGUE.lifecycle_from_dict(data)
    return info.value.problems


def test_a_valid_dict_builds() -> None:
    lc = DEFAULT_CATALOGUE.lifecycle_from_dict(tiny())
    assert lc.initial.name == "open"
    assert lc.triggers == ("pause", "resume", "finish")
    assert lc.transition("open", "finish").guards == (reason_given,)  # type: ignore[union-attr]
    assert lc.destinations("paused", "resume") == ("open",)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda d: d["states"][1].update(initial=True), "exactly one initial state"),
        (lambda d: d["states"][0].update(initial=False), "exactly one initial state"),
        (lambda d: d["states"].append({"name": "open"}), "defined more than once"),
        (lambda d: d["states"].append({"name": "limbo"}), "'limbo' cannot be reached"),
        (lambda d: d["transitions"][0].update(dest="nowhere"), "unknown destination state"),
        (lambda d: d["transitions"][0].update(source="nowhere"), "unknown source state"),
        (lambda d: d["transitions"].append(dict(d["transitions"][0])), "defined twice from"),
        (lambda d: d["transitions"][2].update(guards=["no_such_guard"]), "unknown guard"),
        (lambda d: d["transitions"][0].update(event=""), "needs an event name"),
        (lambda d: d["transitions"][0].update(colour="red"), "unknown keys ['colour']"),
        (lambda d: d["states"][2].update(terminal=False), "'done' has no way out"),
        (lambda d: d["states"][0].update(terminal=True), "terminal state 'open' has transitions"),
        (lambda d: d["states"][0].update(name="two words", initial=True), "must be an identifier"),
        (lambda d: d.update(version=0), "version must be a positive integer"),
        (
            lambda d: d["transitions"].append(
                {"trigger": "record_session", "source": "open", "dest": "done"}
            ),
            "must be an internal transition",
        ),
        (
            lambda d: d["transitions"].append(
                {"trigger": "finish", "source": "paused", "dest": "done", "event": "ended"}
            ),
            "records 'ended' here but 'finished' elsewhere",
        ),
    ],
)
def test_broken_definitions_name_the_problem(change: Any, expected: str) -> None:
    data = json.loads(json.dumps(tiny()))
    change(data)
    problems = problems_of(data)
    assert any(expected in p for p in problems), problems


def test_every_problem_is_reported_at_once() -> None:
    data = tiny()
    data["transitions"][0]["event"] = ""
    data["transitions"][2]["guards"] = ["nope"]
    data["states"][1]["colour"] = "red"
    problems = problems_of(data)
    assert len(problems) == 3


def test_round_trip_through_json_and_toml() -> None:
    data = STANDARD.to_dict()
    again = DEFAULT_CATALOGUE.lifecycle_from_dict(json.loads(json.dumps(data)))
    assert again == STANDARD
    assert again.to_dict() == data
    toml = """
id = "tiny"
[[states]]
name = "open"
initial = true
[[states]]
name = "done"
category = "closed"
terminal = true
[[transitions]]
trigger = "finish"
source = ["open"]
dest = "done"
event = "finished"
"""
    lc = DEFAULT_CATALOGUE.lifecycle_from_dict(tomllib.loads(toml))
    assert lc.transition("open", "finish") is not None


def test_definitions_are_values() -> None:
    assert standard_lifecycle() == STANDARD
    assert hash(standard_lifecycle()) == hash(STANDARD)
    assert repr(STANDARD) == "<Lifecycle 'standard' v1: 13 states, 22 triggers, initial 'referral'>"
    other = DEFAULT_CATALOGUE.lifecycle_from_dict(tiny())
    assert other != STANDARD


def test_selectors_expand_to_states() -> None:
    withdraw = next(t for t in STANDARD.transitions if t.trigger == "withdraw")
    sources = STANDARD.sources(withdraw)
    assert "suspended" in sources and "closed" not in sources and "screened_out" not in sources


def test_one_shared_machine_and_nothing_grafted_on_cases() -> None:
    from casework._machine import machine_for

    machine = machine_for(STANDARD)
    assert machine_for(STANDARD) is machine  # compiled once, then kept on the definition
    assert machine.models == []
    engine_a, engine_b = Engine(STANDARD), Engine(STANDARD)
    assert engine_a.lifecycle._machine is engine_b.lifecycle._machine is machine
    from strategies import open_case

    case = open_case(engine_a)
    engine_a.fire(case, "screen", at=case.opened_at, by="wu")
    assert machine.models == []
    assert not hasattr(case, "screen") and not hasattr(case, "trigger")
    assert not hasattr(case, "__dict__")  # slotted: nothing can be bound to it


def test_custom_lifecycle_in_code_with_own_guard() -> None:
    def has_note(case: Any, cmd: Any) -> str | None:
        return None if cmd.payload.get("note") else "a visit needs a note"

    lc = Lifecycle(
        "visits",
        [State("active", initial=True), State("ended", category="closed", terminal=True)],
        [
            Transition("visit", "active", None, "visited", guards=has_note),
            Transition("end", "active", "ended", "ended"),
        ],
    )
    assert lc.to_dict()["transitions"][0]["guards"] == ["has_note"]
    again = Lifecycle.from_dict(lc.to_dict(), guards={"has_note": has_note})
    assert again == lc
    with pytest.raises(DefinitionError, match="unknown guard 'has_note'"):
        Lifecycle.from_dict(lc.to_dict(), guards=BUILTIN)


def test_dot_output_draws_every_transition() -> None:
    dot = STANDARD.to_dot(lang="zh")
    assert dot.startswith('digraph "standard"')
    assert '"screening" -> "intake" [label="接案"]' in dot
    assert '"suspended" -> "intervention" [label="恢复"]' in dot
    assert dot.count("->") == sum(
        len(STANDARD.destinations(s, t))
        for s in (x.name for x in STANDARD.states)
        for t in STANDARD.triggers_from(s)
    )
