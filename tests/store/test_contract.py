"""The store contract: every store passes these same tests (memory, SQLite, PostgreSQL)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone

import attrs
import pytest

from casework.case import Case
from casework.demo import run_xuzhuang
from casework.engine import Engine, EventSink
from casework.events import Event
from casework.lifecycle import Lifecycle, State, Transition
from casework.records import Client
from casework.serialize import SchemaTooNew, default_codec
from casework.standard import MHT_LIFECYCLE, STANDARD
from casework.store import (
    CaseQuery,
    ConflictError,
    CorruptRecord,
    InvalidAppend,
    MemoryStore,
    Store,
    StoreError,
    UnknownCase,
    UnknownLifecycle,
    copy_store,
)
from conftest import Backend

T0 = datetime(2023, 3, 6, 9, 0)
CLIENT = Client("c-1", "京京", date(2012, 6, 3), "male")


def opened(case_id: str = "case-1", at: datetime = T0, **payload: object) -> Event:
    data = {"client": CLIENT, "worker": "wu", "programme": None, "lifecycle": "standard"}
    data.update(payload)
    return Event(case_id, 1, "case_opened", at, "wu", "referral", "open", data)


def noted(
    case_id: str, seq: int, at: datetime = T0, state: str = "referral", **payload: object
) -> Event:
    return Event(case_id, seq, "noted", at, "wu", state, "note", payload)


def snapshot(store: Store) -> list[Event]:
    return list(store.stream())


# --- the happy path ---------------------------------------------------------------------------


def test_a_store_is_an_event_sink_and_a_store(store: Store) -> None:
    assert isinstance(store, Store)
    sink: EventSink = store
    assert sink is store


def test_the_demo_persists_and_every_case_replays_equal(backend: Backend, store: Store) -> None:
    _, cases = run_xuzhuang(Engine(MHT_LIFECYCLE, store=store))
    again = backend.open()  # a second store object on the same data (memory: the same one)
    for case in cases:
        loaded = again.load(case.id)
        assert loaded == case
        assert again.events(case.id) == case.history
        s = again.summary(case.id)
        assert (s.state, s.version, s.worker, s.lifecycle) == (
            "closed",
            case.version,
            "wu-chao",
            "standard_mht",
        )
        assert s.opened_at == case.opened_at and s.last_at == case.last_at
    assert len(snapshot(again)) == sum(c.version for c in cases)


def test_several_events_are_appended_in_one_call(store: Store) -> None:
    store.append([opened(), noted("case-1", 2), noted("case-1", 3)], expected_version=0)
    store.append([noted("case-1", 4), noted("case-1", 5)], expected_version=3)
    assert [e.seq for e in store.events("case-1")] == [1, 2, 3, 4, 5]
    assert store.summary("case-1").version == 5


def test_stream_gives_every_event_in_the_order_accepted(store: Store) -> None:
    store.append([opened("a")], expected_version=0)
    store.append([opened("b")], expected_version=0)
    store.append([noted("a", 2)], expected_version=1)
    store.append([noted("b", 2), noted("b", 3)], expected_version=1)
    store.append([noted("a", 3)], expected_version=2)
    assert [(e.case_id, e.seq) for e in store.stream()] == [
        ("a", 1), ("b", 1), ("a", 2), ("b", 2), ("b", 3), ("a", 3)
    ]  # fmt: skip


def test_aware_and_naive_times_and_payload_values_survive_the_store(store: Store) -> None:
    cst = timezone(timedelta(hours=8))
    store.append([opened(at=datetime(2023, 3, 6, 9, tzinfo=cst))], expected_version=0)
    payload = {"due": date(2023, 4, 1), "pair": (1, "x"), "tags": frozenset({"a"}), "n": None}
    store.append(
        [noted("case-1", 2, datetime(2023, 3, 7, tzinfo=cst), **payload)], expected_version=1
    )
    ev = store.events("case-1")[1]
    assert dict(ev.payload) == payload and type(ev.payload["pair"]) is tuple
    assert ev.at.utcoffset() == timedelta(hours=8)


def test_a_case_of_another_lifecycle_replays_with_it(backend: Backend) -> None:
    mini = Lifecycle(
        "mini",
        [State("new", initial=True), State("done", category="closed", terminal=True)],
        [Transition("finish", "new", "done", "finished")],
    )
    store = backend.open(lifecycles=[mini, STANDARD])
    engine = Engine(mini, store=store)
    case = engine.open("m-1", CLIENT, at=T0, by="wu")
    engine.fire(case, "finish", at=T0, by="wu")
    assert store.load("m-1") == case
    assert store.cases(lifecycle="mini")[0].state == "done"


# --- optimistic concurrency -------------------------------------------------------------------


def test_a_stale_writer_gets_a_conflict_and_nothing_is_written(store: Store) -> None:
    engine = Engine(STANDARD, store=store)
    case = engine.open("case-1", CLIENT, at=T0, by="wu")
    other = store.load("case-1")  # a second worker reads the same version
    engine.fire(case, "screen", at=T0, by="wu")
    before = snapshot(store)
    with pytest.raises(ConflictError) as info:
        engine.fire(other, "screen", at=T0, by="li")
    assert (info.value.case_id, info.value.expected, info.value.actual) == ("case-1", 1, 2)
    assert other.version == 1 and other.state == "referral"  # the stale case is unchanged
    assert snapshot(store) == before


def test_opening_an_existing_case_again_is_a_conflict(store: Store) -> None:
    engine = Engine(STANDARD, store=store)
    engine.open("case-1", CLIENT, at=T0, by="wu")
    before = snapshot(store)
    with pytest.raises(ConflictError, match="already exists"):
        engine.open("case-1", CLIENT, at=T0, by="li")
    assert snapshot(store) == before


def test_a_writer_that_is_ahead_of_the_store_is_refused(store: Store) -> None:
    store.append([opened()], expected_version=0)
    with pytest.raises(InvalidAppend):  # numbered from 2 but says version 5
        store.append([noted("case-1", 2)], expected_version=5)
    with pytest.raises(ConflictError):
        store.append([noted("case-1", 6)], expected_version=5)
    assert store.summary("case-1").version == 1


# --- bad input --------------------------------------------------------------------------------


def test_unknown_case_ids_are_refused(store: Store) -> None:
    store.append([opened()], expected_version=0)
    before = snapshot(store)
    for read in (store.load, store.events, store.summary):
        with pytest.raises(UnknownCase) as info:
            read("nobody")
        assert info.value.case_id == "nobody" and "nobody" in str(info.value)
    with pytest.raises(UnknownCase):
        store.append([noted("nobody", 2)], expected_version=1)
    assert snapshot(store) == before


@pytest.mark.parametrize(
    ("events", "expected_version", "match"),
    [
        ([opened("a"), noted("b", 2)], 0, "belongs to case 'b'"),
        ([opened("a"), noted("a", 3)], 0, "expected #2, got #3"),
        ([noted("case-1", 3)], 1, "expected #2, got #3"),
        ([noted("case-1", 2), noted("case-1", 2)], 1, "expected #3, got #2"),
        ([noted("case-1", 1)], 0, "only event #1 is 'case_opened'"),
        ([opened("case-1"), attrs.evolve(opened("case-1"), seq=2)], 0, "only event #1"),
        ([], 0, "non-empty list"),
        (["not an event"], 0, "not an Event"),
        ([noted("case-1", 2)], -1, "cannot be negative"),
        ([noted("case-1", 2)], True, "whole number"),
        ([opened("x", client="nobody")], 0, "no client"),
        ([attrs.evolve(opened("x"), state="nowhere")], 0, "unknown state"),
        ([noted("case-1", 2, thing=object())], 1, r"payload\.thing"),
    ],
)
def test_malformed_appends_are_refused_and_nothing_changes(
    store: Store, events: list[Event], expected_version: int, match: str
) -> None:
    store.append([opened()], expected_version=0)
    before = snapshot(store)
    with pytest.raises(InvalidAppend, match=match):
        store.append(events, expected_version=expected_version)
    assert snapshot(store) == before
    assert store.summary("case-1").version == 1


def test_a_case_of_an_unknown_lifecycle_is_refused(store: Store) -> None:
    with pytest.raises(UnknownLifecycle, match="'elsewhere'"):
        store.append([opened(lifecycle="elsewhere")], expected_version=0)
    assert snapshot(store) == []


# --- corrupt records --------------------------------------------------------------------------


CORRUPTIONS = [
    # a row's own columns
    ({"payload": '{"x": [1, 2'}, "malformed JSON"),  # truncated
    ({"payload": ""}, "malformed JSON"),
    ({"payload": "[1]"}, r"\$\.payload: expected an object"),
    ({"payload": '{"x": {"$type": "Nope"}}'}, "unknown type 'Nope'"),
    ({"payload": '{"c": {"$type": "Consent", "giver": "nobody"}}'}, r"\$\.payload\.c"),
    ({"at": "yesterday"}, r"\$\.at: expected an ISO 8601 datetime"),
    ({"at": None}, r"\$\.at"),
    ({"state": None}, r"\$\.state: expected a string"),
    ({"actor": None}, r"\$\.actor: expected a string"),
    ({"v": None}, "schema version must be a whole number"),
    # record rows: a whole JSON record, as layout 1 stored every event
    ({"type": None, "payload": '{"v": 1, "case_id": "case-1", "seq": 2, "ty'}, "malformed JSON"),
    ({"type": None, "payload": ""}, "malformed JSON"),
    ({"type": None, "payload": '{"v": 1, "case_id": "case-1"}'}, "expected a string"),
    ({"type": None, "payload": "[]"}, "expected an event record"),
    ({"type": None, "payload": None}, "expected JSON text"),
]


@pytest.mark.parametrize(("columns", "problem"), CORRUPTIONS)
def test_a_corrupt_record_names_its_case_and_number(
    backend: Backend, store: Store, columns: dict[str, object], problem: str
) -> None:
    store.append([opened(), noted("case-1", 2, n=1), noted("case-1", 3)], expected_version=0)
    backend.corrupt("case-1", 2, **columns)
    for read in (store.events, store.load, lambda _: list(store.stream())):
        with pytest.raises(CorruptRecord, match=problem) as info:
            read("case-1")
        assert (info.value.case_id, info.value.seq) == ("case-1", 2)
        assert "case 'case-1', event #2" in str(info.value)


def test_a_record_filed_under_the_wrong_number_is_corrupt(backend: Backend, store: Store) -> None:
    store.append([opened(), noted("case-1", 2), noted("case-1", 3)], expected_version=0)
    codec = default_codec()
    backend.corrupt("case-1", 2, type=None, payload=codec.dumps_event(noted("case-1", 3)))
    with pytest.raises(CorruptRecord, match="the row says otherwise") as info:
        store.events("case-1")
    assert info.value.seq == 2


def test_a_record_row_written_by_layout_1_is_read_like_any_row(
    backend: Backend, store: Store
) -> None:
    """Rows the layout migration kept whole (and v0 records) are still read, and migrated."""
    store.append([opened(), noted("case-1", 2, n=1)], expected_version=0)
    before = store.events("case-1")
    record = default_codec().event_to_record(before[1])
    del record["v"]  # a record from before versions: upgraded on load
    backend.corrupt("case-1", 2, type=None, payload=json.dumps(record))
    assert store.events("case-1") == before
    assert list(store.stream()) == before


def test_a_record_from_a_newer_casework_is_refused_not_skipped(
    backend: Backend, store: Store
) -> None:
    store.append([opened(), noted("case-1", 2)], expected_version=0)
    backend.corrupt("case-1", 2, v=99)
    with pytest.raises(SchemaTooNew, match="upgrade casework"):
        store.load("case-1")
    newer = default_codec().dumps_event(noted("case-1", 2)).replace('"v":1', '"v":99')
    backend.corrupt("case-1", 2, type=None, payload=newer)
    with pytest.raises(SchemaTooNew, match="upgrade casework"):
        store.events("case-1")


# --- queries ----------------------------------------------------------------------------------


def test_cases_are_queried_by_state_worker_programme_and_dates(store: Store) -> None:
    engine = Engine(STANDARD, store=store)
    a = engine.open("a", CLIENT, at=T0, by="wu", worker="wu", programme="xinqiao")
    engine.open("b", CLIENT, at=T0 + timedelta(days=1), by="wu", worker="li")
    c = engine.open("c", CLIENT, at=T0 + timedelta(days=2), by="wu", worker="wu")
    engine.fire(a, "screen", at=T0 + timedelta(days=5), by="wu")
    engine.transfer(c, "zhao", reason="leave", at=T0 + timedelta(days=3), by="wu")

    def ids(**filters: object) -> list[str]:
        return [s.case_id for s in store.cases(**filters)]

    assert ids() == ["a", "b", "c"]
    assert ids(state="referral") == ["b", "c"]
    assert ids(state=["screening", "closed"]) == ["a"]
    assert ids(worker="wu") == ["a"] and ids(worker="zhao") == ["c"]  # transfers move cases
    assert ids(programme="xinqiao") == ["a"]
    assert ids(opened_from=T0 + timedelta(days=1)) == ["b", "c"]
    assert ids(opened_from=date(2023, 3, 7), opened_before=date(2023, 3, 8)) == ["b"]
    assert ids(changed_from=T0 + timedelta(days=3)) == ["a", "c"]
    assert ids(state="referral", worker="li") == ["b"]
    assert store.cases(CaseQuery(state="screening")) == [store.summary("a")]
    assert ids(state=[]) == []
    with pytest.raises(TypeError):
        store.cases(CaseQuery(), state="x")


def test_date_ranges_compare_aware_times_by_instant(store: Store) -> None:
    cst = timezone(timedelta(hours=8))
    store.append([opened("east", at=datetime(2023, 3, 6, 7, tzinfo=cst))], expected_version=0)
    store.append([opened("utc", at=datetime(2023, 3, 6, 0, tzinfo=UTC))], expected_version=0)
    # 07:00+08:00 is 23:00 UTC on the 5th, before midnight UTC
    assert [s.case_id for s in store.cases()] == ["east", "utc"]
    assert [s.case_id for s in store.cases(opened_before=datetime(2023, 3, 6))] == ["east"]


# --- moving and closing -----------------------------------------------------------------------


def test_copy_store_moves_every_case_and_refuses_to_copy_twice(store: Store) -> None:
    src = MemoryStore()
    _, cases = run_xuzhuang(Engine(MHT_LIFECYCLE, store=src))
    seen: list[str] = []
    assert copy_store(src, store, progress=lambda cid, n: seen.append(cid)) == 5
    assert seen == [c.id for c in cases]
    assert [store.load(c.id) for c in cases] == cases
    with pytest.raises(ConflictError):
        copy_store(src, store)


def test_a_closed_store_refuses_use(backend: Backend) -> None:
    store = backend.open(lifecycles=[STANDARD])
    store.append([opened()], expected_version=0)
    store.close()
    store.close()  # idempotent
    with pytest.raises(StoreError):
        store.events("case-1")


def test_loaded_cases_are_independent_of_the_store(store: Store) -> None:
    store.append([opened(), noted("case-1", 2, items=[1, 2])], expected_version=0)
    case: Case = store.load("case-1")
    case.history[1].payload["items"].append(3)  # a caller mutating a loaded list...
    assert store.events("case-1")[1].payload["items"] == [1, 2]  # ...does not reach the store
