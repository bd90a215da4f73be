"""Hypothesis strategies and builders shared by the core tests."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from hypothesis import strategies as st

from casework import (
    Client,
    Consent,
    ConsentGiver,
    Engine,
    Guardian,
    SessionMode,
    SessionPlan,
    SessionRecord,
    SessionStatus,
)
from casework.case import Case

T0 = datetime(2023, 3, 1, 9, 0)

names = st.text(st.characters(codec="utf-8", categories=("L", "N")), min_size=1, max_size=8)
birth_dates = st.dates(min_value=date(1930, 1, 1), max_value=date(2020, 12, 31))
clients = st.builds(
    Client,
    id=names,
    pseudonym=names,
    birth_date=birth_dates,
    sex=st.sampled_from(["female", "male", "unrecorded"]),
    guardians=st.lists(
        st.builds(Guardian, id=names, relation=st.sampled_from(["mother", "father"])),
        max_size=2,
        unique_by=lambda g: g.id,
    ),
)
statuses = st.sampled_from(list(SessionStatus))
modes = st.sampled_from(list(SessionMode))


def child(born: date = date(2012, 6, 3)) -> Client:
    """A child with one guardian, like the Xuzhuang children."""
    return Client("c-1", "京京", born, "male", [Guardian("g-1", "mother")])


def open_case(engine: Engine, client: Client | None = None, at: datetime = T0) -> Case:
    """A freshly opened case of ``client`` (default: a child)."""
    return engine.open("case-1", client or child(), at=at, by="wu", worker="wu")


def mht_answers(*yes_items: int) -> list[bool]:
    """An MHT protocol with a yes to exactly ``yes_items``."""
    chosen = set(yes_items)
    return [n in chosen for n in range(1, 101)]


#: Learning anxiety 15 and social anxiety 10: screens in under the MHT rules.
MHT_HIGH = mht_answers(*range(1, 26))
#: Total 3: nothing high.
MHT_LOW = mht_answers(1, 2, 16)


def drive_to(
    engine: Engine, case: Case, state: str, at: datetime = T0, *, mht: bool = False
) -> Case:
    """Fire the standard path until ``case`` reaches ``state`` (no further than closed).

    With ``mht`` the MHT is recorded at screening, baseline and post, as the MHT rules want.
    """

    def assess(phase: str, answers: list[bool]) -> None:
        if mht:
            engine.record_assessment(case, "mht", answers, phase=phase, at=at, by="wu")

    path = [
        "screening",
        "intake",
        "assessment",
        "planning",
        "intervention",
        "evaluation",
        "closed",
    ]
    for target in path[: path.index(state) + 1]:
        if target == "screening":
            engine.fire(case, "screen", at=at, by="wu")
            assess("screening", MHT_HIGH)
        elif target == "intake":
            engine.record_consent(case, Consent(ConsentGiver.CLIENT, at), by="wu")
            engine.record_consent(case, Consent(ConsentGiver.GUARDIAN, at, giver_id="g-1"), by="wu")
            engine.fire(case, "admit", at=at, by="wu")
        elif target == "assessment":
            engine.fire(case, "assess", at=at, by="wu")
        elif target == "planning":
            assess("baseline", MHT_HIGH)
            engine.fire(case, "plan", at=at, by="wu")
            engine.set_plan(case, SessionPlan(10), at=at, by="wu")
        elif target == "intervention":
            engine.fire(case, "start_intervention", at=at, by="wu")
        elif target == "evaluation":
            for n in range(1, (case.planned_sessions or 10) + 1):
                engine.record_session(case, SessionRecord(n, held_at=at), by="wu")
            assess("post", MHT_LOW)
            engine.fire(case, "evaluate", at=at, by="wu")
        elif target == "closed":
            engine.fire(case, "close", at=at, by="wu", reason="goals met")
    assert case.state == state
    return case


def snapshot(case: Case) -> Case:
    """A copy of ``case`` that later changes to the original cannot reach."""
    return case.copy()


def later(at: datetime, days: int) -> datetime:
    return at + timedelta(days=days)
