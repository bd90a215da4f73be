"""A rebuild's bulk path: the same rows as catching up (positions too), all or nothing.

The rebuild reads the log once, replays each case in one go and refills every table in one
transaction (indexes dropped and built again): so its tables, every column included, equal
those incremental catch-ups made; a rebuild that fails on a corrupt row leaves the tables and
the position as they were; the indexes are there afterwards.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from casework import STANDARD, Engine, SessionRecord
from casework.journal import Journal
from casework.reporting import Activity
from casework.reporting.projections import TABLES, Projection
from casework.reporting.projections._backends import READ_INDEXES
from casework.reporting.projections._facts import micros, stamp
from casework.reporting.recording import record_activity
from casework.store import MemoryStore, SQLiteStore
from casework.store.errors import CorruptRecord
from projection_stores import Opened, expected, projected
from strategies import T0, child, drive_to


@given(st.datetimes(timezones=st.none() | st.just(UTC) | st.just(timezone(timedelta(hours=8)))))
def test_a_time_is_stamped_as_its_wall_clock_to_the_microsecond(when: datetime) -> None:
    assert stamp(when) == when.replace(tzinfo=None).isoformat(timespec="microseconds")


@given(st.dates())
def test_a_date_is_stamped_as_its_midnight(day: date) -> None:
    assert stamp(day) == datetime(day.year, day.month, day.day).isoformat(timespec="microseconds")


_WALL = st.datetimes(timezones=st.none() | st.just(UTC) | st.just(timezone(timedelta(hours=8))))


@given(_WALL, _WALL)
def test_microseconds_are_the_wall_clock_and_differ_as_the_times_do(
    a: datetime, b: datetime
) -> None:
    """What the days in a state are summed from: the stamped wall clock, to the microsecond."""
    wall_a, wall_b = a.replace(tzinfo=None), b.replace(tzinfo=None)
    assert micros(a) - micros(b) == (wall_a - wall_b) // timedelta(microseconds=1)
    assert datetime.fromisoformat(stamp(a)) == datetime(1970, 1, 1) + timedelta(
        microseconds=micros(a)
    )
    assert (micros(a) < micros(b)) == (stamp(a) < stamp(b))


@given(st.dates())
def test_a_date_in_microseconds_is_its_midnight(day: date) -> None:
    assert micros(day) == micros(datetime(day.year, day.month, day.day))


def _station(store: Any) -> Engine:
    """Cases at several stages, a correction, a void, and a journal with an activity."""
    engine = Engine(STANDARD, store=store)
    journal = Journal.open("station", station="石桥", at=T0, by="admin", store=store)
    for i in range(4):
        at = T0 + timedelta(days=i)
        case = engine.open(f"c{i}", child(), at=at, by="wu", worker="wu", programme="p1")
        if i % 2 == 0:
            drive_to(engine, case, "intervention", at)
            engine.record_session(case, SessionRecord(1, held_at=at + timedelta(days=1)), by="wu")
            engine.record_session(case, SessionRecord(2, held_at=at + timedelta(days=2)), by="wu")
        if i == 2:
            first, second = (e.seq for e in case.history if e.type == "session_recorded")
            later = at + timedelta(days=5)
            engine.correct(
                case, first, SessionRecord(1, held_at=later), reason="day", at=later, by="wu"
            )
            engine.void(case, second, reason="twice", at=later, by="wu")
    activity = Activity("a1", "group_session", T0.date(), "读书会", "活动室", participants=7)
    record_activity(journal, activity, by="admin", at=T0, store=store)
    return engine


def _every_column(p: Projection) -> dict[str, list[tuple[object, ...]]]:
    return {name: p.tuples(name) for name in TABLES}


def test_a_rebuild_equals_catching_up_in_every_column(opened: Opened) -> None:
    store = opened.store
    p = Projection(store)
    _station(store)
    p.catch_up()  # from zero: the bulk path
    engine = Engine(STANDARD, store=store)
    case = store.load("c1")
    engine.transfer(case, "li", reason="leave", at=T0 + timedelta(days=9), by="lead")
    engine.open("c9", child(), at=T0 + timedelta(days=9), by="wu")
    assert p.catch_up().events == 2  # the incremental path
    incremental = _every_column(p)
    done = p.rebuild()
    assert (done.start, done.end, done.cases) == (0, p.position, 5)
    assert _every_column(p) == incremental
    assert projected(p) == expected(store)


def test_a_failed_rebuild_leaves_the_tables_and_the_position_as_they_were(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    with SQLiteStore(path) as store:
        _station(store)
        p = Projection(store)
        p.catch_up()
        before, position = _every_column(p), p.position
        with sqlite3.connect(path) as db:
            db.execute("UPDATE events SET payload = '{not json' WHERE case_id = 'c3' AND seq = 1")
        db.close()
        with pytest.raises(CorruptRecord, match="c3"):
            p.rebuild()
        assert p.position == position
        assert _every_column(p) == before


def test_a_failed_rebuild_of_a_memory_store_keeps_its_tables() -> None:
    store = MemoryStore()
    _station(store)
    p = Projection(store)
    p.catch_up()
    before, position = _every_column(p), p.position
    store._raw_put("c3", 1, payload="{not json")
    with pytest.raises(CorruptRecord, match="c3"):
        p.rebuild()
    assert (p.position, _every_column(p)) == (position, before)


def test_a_rebuild_builds_every_index_again(tmp_path: Path) -> None:
    path = tmp_path / "s.db"

    def indexes() -> set[str]:
        with sqlite3.connect(path) as db:
            found = {
                name
                for (name,) in db.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'index' "
                    "AND tbl_name LIKE 'proj_%' AND name NOT LIKE 'sqlite_%'"
                )
            }
        db.close()
        return found

    with SQLiteStore(path) as store:
        _station(store)
        p = Projection(store)
        made = indexes()
        wanted = {f"proj_{t}_key" for t in TABLES} | {f"proj_{t}_{i}" for t, i, _ in READ_INDEXES}
        assert made == wanted
        p.rebuild()
        assert indexes() == made


def test_a_rebuild_of_a_keyed_store_keeps_names_sealed_in_the_tables(tmp_path: Path) -> None:
    from casework import Client
    from casework.keys import MemoryKeyStore

    path = tmp_path / "s.db"
    with SQLiteStore(path, keys=MemoryKeyStore()) as store:
        engine = Engine(STANDARD, store=store)
        client = Client("c-9", "小明", date(2012, 6, 3), name="王小明")
        engine.open("c9", client, at=T0, by="wu", worker="wu")
        p = Projection(store)
        p.rebuild()
        assert p.rows("cases", include_personal=True)[0]["name"] == "王小明"
        with sqlite3.connect(path) as db:
            names = [row[0] for row in db.execute("SELECT name FROM proj_cases")]
        db.close()
        assert names and "王小明" not in names[0]
