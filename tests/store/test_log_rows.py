"""The stores' reading protocol for log followers: ``head``, ``log_rows``, ``decode_log_row``.

Every store gives the same thing: its events in log order, each with a position that only
grows, a range ``after < position <= upto`` that holds exactly those, and decoded rows equal
to what ``stream()`` gives.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from casework import STANDARD, Engine
from casework.errors import InvalidValue
from casework.journal import Journal
from casework.store import LogReader, Store
from strategies import T0, child


def _fill(store: Store) -> None:
    engine = Engine(STANDARD, store=store)
    Journal.open("station", station="石桥", at=T0, by="admin", store=store)
    for i in range(3):
        case = engine.open(f"c{i}", child(), at=T0 + timedelta(hours=i), by="wu", worker="wu")
        engine.transfer(case, "li", reason="leave", at=T0 + timedelta(days=1), by="lead")


def test_every_store_reads_its_log_through_the_protocol(store: Store) -> None:
    assert isinstance(store, LogReader)


def test_an_empty_store_has_no_log(store: Store) -> None:
    assert store.head() == 0
    assert list(store.log_rows()) == []


def test_log_rows_decode_to_the_stream_in_order(store: Store) -> None:
    _fill(store)
    rows = list(store.log_rows())
    positions = [row[0] for row in rows]
    assert positions == sorted(set(positions)) and len(rows) == 7
    assert store.head() == positions[-1]
    events = [store.decode_log_row(row) for row in rows]
    assert events == list(store.stream())
    assert [(row[1], row[2]) for row in rows] == [(e.case_id, e.seq) for e in events]
    assert [row[7] for row in rows] == [e.state for e in events]


def test_a_range_holds_exactly_the_positions_after_and_up_to(store: Store) -> None:
    _fill(store)
    everything = list(store.log_rows())
    head = store.head()
    for after in range(head + 2):
        assert list(store.log_rows(after)) == [r for r in everything if r[0] > after]
        for upto in range(after, head + 2):
            found = list(store.log_rows(after, upto))
            assert found == [r for r in everything if after < r[0] <= upto]


@pytest.mark.parametrize(
    ("after", "upto", "named"),
    [
        (-1, None, "after"),
        ("3", None, "after"),
        (1.0, None, "after"),
        (0, -2, "upto"),
        (0, "9", "upto"),
    ],
)
def test_a_range_that_is_not_positions_is_refused_at_once(
    store: Store, after: object, upto: object, named: str
) -> None:
    with pytest.raises(InvalidValue, match=f"log_rows: {named}"):
        store.log_rows(after, upto)
