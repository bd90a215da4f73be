"""Journals (a station's log outside cases) kept by every store beside its cases."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest

from casework.errors import InvalidValue
from casework.journal import Journal
from casework.store import ConflictError, InvalidAppend, UnknownCase

T = datetime(2023, 3, 1, 9)


def test_a_journal_is_stored_and_read_back_like_a_case(store: Any) -> None:
    j = Journal.open(
        "journal:shiqiao", station="石桥镇社工站", at=date(2023, 1, 1), by="feng", store=store
    )
    j.record(
        "activity_recorded",
        at=T,
        by="feng",
        store=store,
        kind="free_clinic",
        participants=80,
        place="北王三村",
    )
    again = store.journal("journal:shiqiao")
    assert again == j and again.station == "石桥镇社工站"
    assert [e.type for e in store.events("journal:shiqiao")] == [
        "journal_opened",
        "activity_recorded",
    ]
    assert [e.case_id for e in store.stream()] == ["journal:shiqiao"] * 2


def test_journals_stay_out_of_case_queries_unless_asked(store: Any) -> None:
    Journal.open("journal:x", station="x", at=T, by="feng", store=store)
    assert store.cases() == []
    assert store.cases(state="journal") == []
    listed = store.cases(lifecycle="@journal")
    assert [s.case_id for s in listed] == ["journal:x"]
    with pytest.raises(UnknownCase, match="is a journal"):
        store.load("journal:x")


def test_a_stale_journal_writer_gets_a_conflict(store: Any) -> None:
    j = Journal.open("journal:y", station="y", at=T, by="feng", store=store)
    stale = Journal.replay(list(j.history))
    j.record("volunteer_hours_recorded", at=T, by="feng", store=store, hours=3)
    with pytest.raises(ConflictError):
        stale.record("volunteer_hours_recorded", at=T, by="li", store=store, hours=2)
    assert stale.version == 1  # the refused record changed nothing
    assert store.journal("journal:y") == j


def test_journal_records_are_checked() -> None:
    j = Journal.open("journal:z", station="z", at=T, by="feng")
    for bad in (dict(type="case_opened"), dict(type="not valid"), dict(type="x", by="")):
        kwargs: dict[str, Any] = {"at": T, "by": "feng", **bad}
        with pytest.raises(InvalidValue):
            j.record(**kwargs)
    with pytest.raises(InvalidValue, match="before the journal's latest event"):
        j.record("activity_recorded", at=datetime(2022, 1, 1), by="feng")
    assert j.version == 1


def test_only_the_first_event_opens_a_stream(store: Any) -> None:
    j = Journal.open("journal:w", station="w", at=T, by="feng", store=store)
    reopened = Journal.open("journal:w", station="w", at=T, by="feng")
    bogus = reopened.history[0]
    import attrs

    with pytest.raises(InvalidAppend, match="only event #1"):
        store.append([attrs.evolve(bogus, seq=2)], expected_version=1)
    assert store.journal("journal:w") == j
