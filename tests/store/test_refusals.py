"""What every store refuses: appends that would make a case unreadable, text no store keeps,
and a summary that disagrees with the events.  Refused means a typed error and the store
exactly as it was (its rows, summaries and loaded cases).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from casework.events import Event
from casework.plan import SessionPlan, SessionRecord
from casework.records import Client, Consent, ConsentGiver
from casework.serialize import default_codec
from casework.standard import STANDARD
from casework.store import ConflictError, CorruptRecord, InvalidAppend, Store, UnknownCase
from conftest import Backend

T0 = datetime(2023, 3, 6, 9, 0)
CLIENT = Client("c-1", "京京", date(2012, 6, 3), "male")
CASE = "case-1"


def opened(case_id: str = CASE, **payload: Any) -> Event:
    data = {"client": CLIENT, "worker": "wu", "programme": None, "lifecycle": "standard"}
    data.update(payload)
    return Event(case_id, 1, "case_opened", T0, "wu", "referral", "open", data)


def event(
    seq: int,
    type_: str = "noted",
    *,
    state: str = "referral",
    case_id: str = CASE,
    actor: str = "wu",
    trigger: str = "note",
    **payload: Any,
) -> Event:
    return Event(case_id, seq, type_, T0 + timedelta(hours=seq), actor, state, trigger, payload)


def image(store: Store) -> tuple[Any, ...]:
    """Everything a reader can see: every event, every summary, every case loaded."""
    summaries = store.cases()
    return (
        list(store.stream()),
        summaries,
        [store.load(s.case_id) for s in summaries],
    )


@pytest.fixture
def opened_store(store: Store) -> Store:
    """A store holding one case with two events."""
    store.append([opened(), event(2)], expected_version=0)
    return store


CONSENT = Consent(ConsentGiver.CLIENT, T0)
SESSION = SessionRecord(1, held_at=T0)

#: Events that decode but that the case could not replay, and what the refusal says.
UNREPLAYABLE = [
    (event(3, state="nowhere"), "unknown state 'nowhere'"),
    (event(3, "session_recorded", trigger="record_session"), "no 'session'"),
    (event(3, "session_recorded", session=None), "needs a SessionRecord"),
    (event(3, "consent_recorded", consent="yes"), "needs a Consent"),
    (event(3, "consent_withdrawn", giver="nobody"), "needs a ConsentGiver"),
    (event(3, "plan_set", plan={"sessions": 10}), "needs a SessionPlan"),
    (event(3, "plan_revised", sessions=0), "positive number of sessions"),
    (event(3, "plan_revised", sessions=8), "no plan to revise"),
    (event(3, "transferred", to=" "), "needs a name"),
    (event(3, "assessment_recorded", assessment={"total": 3}), "scored Assessment"),
    (event(3, "alert_raised", flags=["risk"]), "tuple of flag codes"),
]


@pytest.mark.parametrize(("bad", "problem"), UNREPLAYABLE)
def test_a_later_append_the_case_could_not_replay_is_refused(
    opened_store: Store, bad: Event, problem: str
) -> None:
    before = image(opened_store)
    with pytest.raises(InvalidAppend, match=problem) as info:
        opened_store.append([bad], expected_version=2)
    assert (info.value.case_id, info.value.seq) == (CASE, 3)
    assert f"case {CASE!r}, event #3" in str(info.value)
    assert image(opened_store) == before
    opened_store.append([event(3)], expected_version=2)  # the case goes on as before
    assert opened_store.load(CASE).version == 3


@pytest.mark.parametrize(("bad", "problem"), UNREPLAYABLE)
def test_a_bad_event_late_in_a_batch_refuses_the_whole_batch(
    opened_store: Store, bad: Event, problem: str
) -> None:
    before = image(opened_store)
    batch = [event(3), event(4, "consent_recorded", consent=CONSENT), attrs.evolve(bad, seq=5)]
    with pytest.raises(InvalidAppend, match=problem) as info:
        opened_store.append(batch, expected_version=2)
    assert info.value.seq == 5
    assert image(opened_store) == before


@pytest.mark.parametrize(("bad", "problem"), UNREPLAYABLE)
def test_a_new_case_that_could_not_replay_is_refused_naming_the_event(
    store: Store, bad: Event, problem: str
) -> None:
    with pytest.raises(InvalidAppend, match=problem) as info:
        store.append([opened(), event(2), bad], expected_version=0)
    assert (info.value.case_id, info.value.seq) == (CASE, 3)
    assert image(store) == ([], [], [])


def test_well_formed_library_events_are_accepted_on_any_append(opened_store: Store) -> None:
    store = opened_store
    store.append([event(3, "consent_recorded", consent=CONSENT)], expected_version=2)
    store.append([event(4, "plan_set", plan=SessionPlan(10))], expected_version=3)
    store.append([event(5, "plan_revised", sessions=12)], expected_version=4)  # plan stored
    store.append(
        [
            event(6, "session_recorded", session=SESSION),
            event(7, "transferred", to="li"),
            event(8, "alert_raised", flags=("risk",)),
        ],
        expected_version=5,
    )
    case = store.load(CASE)
    assert (case.plan, case.held_sessions, case.worker) == (SessionPlan(12), 1, "li")


def test_a_plan_set_earlier_in_the_same_batch_may_be_revised(opened_store: Store) -> None:
    opened_store.append(
        [event(3, "plan_set", plan=SessionPlan(10)), event(4, "plan_revised", sessions=12)],
        expected_version=2,
    )
    assert opened_store.load(CASE).planned_sessions == 12


@pytest.mark.parametrize("sessions", [10, 6])
def test_a_plan_revised_down_is_refused_not_stored_unreadable(
    opened_store: Store, sessions: int
) -> None:
    store = opened_store
    store.append([event(3, "plan_set", plan=SessionPlan(8))], expected_version=2)
    store.append([event(4, "plan_revised", sessions=10)], expected_version=3)
    before = image(store)
    with pytest.raises(InvalidAppend, match=f"{sessions} is not more than 10") as info:
        store.append([event(5, "plan_revised", sessions=sessions)], expected_version=4)
    assert info.value.seq == 5
    with pytest.raises(InvalidAppend, match="is not more than 12"):  # within one batch too
        store.append(
            [event(5, "plan_revised", sessions=12), event(6, "plan_revised", sessions=12)],
            expected_version=4,
        )
    assert image(store) == before
    with pytest.raises(InvalidAppend, match="is not more than 8") as info:  # a new case
        store.append(
            [
                opened("case-2"),
                event(2, "plan_set", plan=SessionPlan(8), case_id="case-2"),
                event(3, "plan_revised", sessions=8, case_id="case-2"),
            ],
            expected_version=0,
        )
    assert info.value.seq == 3
    assert image(store) == before


def test_a_case_of_a_lifecycle_the_store_was_not_given_is_not_appended_to(
    backend: Backend,
) -> None:
    from casework.store.errors import UnknownLifecycle

    if backend.name == "memory":
        pytest.skip("a memory store cannot be reopened without its lifecycles")
    elsewhere = attrs.evolve(STANDARD, id="elsewhere")
    knowing = backend.open(lifecycles=[elsewhere])
    knowing.append([opened(lifecycle="elsewhere"), event(2)], expected_version=0)
    other = backend.open()  # the same data, without the lifecycle
    with pytest.raises(UnknownLifecycle, match="'elsewhere'"):
        other.append([event(3)], expected_version=2)
    assert knowing.summary(CASE).version == 2


def test_journals_are_appended_to_as_before(store: Store) -> None:
    from casework.journal import Journal

    journal = Journal.open("j-1", station="xz", at=T0, by="wu", store=store)
    journal.record("clinic_held", at=T0 + timedelta(days=1), by="wu", store=store, people=3)
    assert store.journal("j-1") == journal


# --- text no store keeps ------------------------------------------------------------------------

SURROGATE = "\ud800"

#: Events of case-1 #3 holding text that cannot be stored, and the field the refusal names.
UNSTORABLE = [
    (event(3, actor="wu" + SURROGATE), "actor"),
    (event(3, trigger=SURROGATE), "trigger"),
    (event(3, type_="noted" + SURROGATE), "type"),
    (event(3, note="a " + SURROGATE + " b"), "payload"),
    (event(3, note={"deep": [SURROGATE]}), "payload"),
    (event(3, **{"key" + SURROGATE: 1}), "payload"),
    (event(3, note="\udfff"), "payload"),
    (event(3, "transferred", to="li\x00"), "NUL"),
    (event(3, "transferred", to="li" + SURROGATE), "payload"),
    (event(3, actor="w\x00u"), "actor"),
    (event(3, trigger="note\x00"), "trigger"),
]


@pytest.mark.parametrize(("bad", "field"), UNSTORABLE)
@pytest.mark.parametrize("json", ["stdlib", "auto"])
def test_unstorable_text_is_refused_by_every_store_alike(
    backend: Backend, bad: Event, field: str, json: str
) -> None:
    store = backend.open(codec=default_codec(json=json))
    store.append([opened(), event(2)], expected_version=0)
    before = image(store)
    with pytest.raises(InvalidAppend) as info:
        store.append([bad], expected_version=2)
    assert (info.value.case_id, info.value.seq) == (CASE, 3)
    if json == "stdlib":  # orjson refuses the payload's text itself, in its own words
        assert field in info.value.problem
    assert image(store) == before


def test_a_nul_inside_a_payload_is_kept_as_json_keeps_it(opened_store: Store) -> None:
    opened_store.append([event(3, note="a\x00b")], expected_version=2)
    assert opened_store.events(CASE)[-1].payload["note"] == "a\x00b"


@pytest.mark.parametrize(
    "bad",
    [
        opened(case_id="case" + SURROGATE),
        opened(worker="wu" + SURROGATE),
        opened(programme=SURROGATE),
        attrs.evolve(opened(), actor="\x00"),
        opened(worker="w\x00u"),  # a summary column, not only JSON
        opened(programme="\x00"),
        opened(worker=5),
        opened(programme=["p"]),
    ],
)
def test_a_new_case_with_unstorable_text_is_refused(store: Store, bad: Event) -> None:
    with pytest.raises(InvalidAppend) as info:
        store.append([bad], expected_version=0)
    assert info.value.seq == 1
    assert image(store) == ([], [], [])


# --- a summary that disagrees with the events ---------------------------------------------------


def test_a_lost_last_event_is_corruption_not_a_conflict(backend: Backend, store: Store) -> None:
    store.append([opened(), event(2), event(3)], expected_version=0)
    backend.lose(CASE, 3)
    for version in (2, 3, 2):  # as loaded from the events, as the summary says; again
        with pytest.raises(CorruptRecord, match="event #3 is missing") as info:
            store.append([event(version + 1)], expected_version=version)
        assert (info.value.case_id, info.value.seq) == (CASE, 3)
    assert store.summary(CASE).version == 3
    for read in (store.load, store.events):  # not read as a shorter case either
        with pytest.raises(CorruptRecord, match="event #3 is missing") as info:
            read(CASE)
        assert info.value.seq == 3
    assert [e.seq for e in store.stream()] == [1, 2]  # nothing written over the gap


def test_a_lost_summary_row_is_corruption_not_an_unknown_case(
    backend: Backend, store: Store
) -> None:
    store.append([opened(), event(2)], expected_version=0)
    backend.lose(CASE)
    for events, version in (([event(3)], 2), ([opened()], 0)):
        with pytest.raises(CorruptRecord, match="summary row is missing") as info:
            store.append(events, expected_version=version)
        assert info.value.case_id == CASE
    with pytest.raises(CorruptRecord, match="summary row is missing"):
        store.load(CASE)
    assert [e.seq for e in store.stream()] == [1, 2]


def test_rows_beyond_the_summary_are_corruption_not_a_conflict(
    backend: Backend, store: Store
) -> None:
    store.append([opened(), event(2), event(3)], expected_version=0)
    backend.rewind(CASE, 2)  # the summary lost its last update
    for events, version in (([event(3)], 2), ([event(4)], 3)):
        with pytest.raises(CorruptRecord, match="events up to #3 are stored") as info:
            store.append(events, expected_version=version)
        assert (info.value.case_id, info.value.seq) == (CASE, 3)
    with pytest.raises(CorruptRecord, match="summary says version 2"):
        store.load(CASE)
    assert [e.seq for e in store.stream()] == [1, 2, 3]


def test_an_honest_conflict_and_an_unknown_case_stay_what_they_are(opened_store: Store) -> None:
    with pytest.raises(ConflictError):
        opened_store.append([event(2)], expected_version=1)
    with pytest.raises(UnknownCase):
        opened_store.append([event(2, case_id="case-2")], expected_version=1)


# --- random malformed events never change the store ---------------------------------------------

_not_a_state = st.text(max_size=8).filter(lambda s: not STANDARD.has_state(s))
_junk = st.one_of(st.none(), st.integers(), st.booleans(), st.lists(st.integers(), max_size=2))
_surrogates = st.sampled_from([SURROGATE, "\udfff", "\udc80"])
_bad_text = st.builds(
    lambda a, s, b: a + s + b, st.text(max_size=4), _surrogates, st.text(max_size=4)
)
_bad_envelope = st.builds(
    lambda a, s, b: a + s + b,
    st.text(max_size=4),
    st.one_of(_surrogates, st.just("\x00")),
    st.text(max_size=4),
)


@st.composite
def malformed(draw: st.DrawFn, seq: int) -> Event:
    """An event numbered ``seq`` for case-1 that no store may accept."""
    kind = draw(st.sampled_from(["state", "payload", "text"]))
    if kind == "state":
        return event(seq, state=draw(_not_a_state))
    if kind == "payload":
        type_, key = draw(
            st.sampled_from(
                [
                    ("consent_recorded", "consent"),
                    ("consent_withdrawn", "giver"),
                    ("plan_set", "plan"),
                    ("session_recorded", "session"),
                    ("transferred", "to"),
                    ("assessment_recorded", "assessment"),
                ]
            )
        )
        payload = {key: draw(_junk)} if draw(st.booleans()) else {}
        return event(seq, type_, **payload)
    field = draw(st.sampled_from(["actor", "trigger", "type_", "note"]))
    return event(seq, **{field: draw(_bad_text if field == "note" else _bad_envelope)})


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_random_malformed_events_never_change_the_store(
    opened_store: Store, data: st.DataObject
) -> None:
    before = image(opened_store)
    good = data.draw(st.integers(0, 2), label="good events first")
    bad = data.draw(malformed(3 + good), label="bad event")
    batch = [event(3 + i) for i in range(good)] + [bad]
    with pytest.raises(InvalidAppend) as info:
        opened_store.append(batch, expected_version=2)
    assert (info.value.case_id, info.value.seq) == (CASE, bad.seq)
    assert image(opened_store) == before
