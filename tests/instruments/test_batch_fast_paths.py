"""The fast paths of ``score_many`` on lists: a block of bool rows read from one marshal dump,
any other block by ``bytes()`` of each row, yes/no scale sums as bit counts.  Whatever path a
protocol takes, the batch gives what ``score`` gives, and refuses what it refuses.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from casework.errors import InvalidResponses, InvalidValue
from casework.instruments import (
    MHT,
    CrisisItem,
    Direction,
    FlagKind,
    Instrument,
    InvalidProtocols,
    Item,
    Scale,
    Threshold,
    Total,
    _bool_rows,
    _vector,
)
from casework.instruments._formats import YES_NO

FAST = settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow], deadline=None)

#: Answers that are no bool: some ``score`` takes (ints 0/1, labels, 1.0), some it refuses.
ODD = st.sampled_from([
    0, 1, 2, -1, 256, 0.0, 1.0, 0.5, None, "是", "no", "1", "x", "", [True], (False,), ...,
    StopIteration, np.True_, np.False_, np.int64(1), b"\x01", {True},
])  # fmt: skip


class Row(list[Any]):
    """A list subclass: not a list to marshal, still a sequence to ``score``."""


def _set(row: list[Any]) -> frozenset[Any]:
    """The hashable answers of a row as a set (of bools alone, a list's layout in marshal)."""
    return frozenset(a for a in row if a.__hash__ is not None)


@st.composite
def odd_rows(draw: st.DrawFn, n: int) -> list[Any]:
    """Rows of ``n`` bools, some with odd answers, some tuples, too short, too long or not a
    list at all."""
    rows: list[Any] = []
    for _ in range(draw(st.integers(0, 12))):
        row: list[Any] = draw(st.lists(st.booleans(), min_size=n, max_size=n))
        how = draw(st.sampled_from(["bools"] * 6 + ["odd", "tuple", "short", "long", "other"]))
        if how == "odd":
            for at in draw(st.sets(st.integers(0, n - 1), min_size=1, max_size=3)):
                row[at] = draw(ODD)
        shaped: Any = {
            "tuple": tuple(row),
            "short": row[:-1],
            "long": [*row, True],
            "other": draw(
                st.sampled_from([Row(row), dict(enumerate(row, 1)), "yes" * n, _set(row)])
            ),
        }.get(how, row)
        rows.append(shaped)
    return rows


@st.composite
def yes_no_instruments(draw: st.DrawFn) -> Instrument:
    """A yes/no questionnaire keyed yes=1, no=0 (as the MHT) of any length: 70 and 84 items
    write the bytes of False and True in marshal's list header; 64, 65, 128 and 129 cross the
    64-bit words of the bit counts.  Scales of random items, overlapping and unordered; a
    rule on every scale."""
    n = draw(st.sampled_from([1, 2, 7, 63, 64, 65, 70, 84, 128, 129]))
    items = [Item(number, YES_NO.key, (1, 0)) for number in range(1, n + 1)]
    everyone = list(range(1, n + 1))
    first = draw(st.lists(st.sampled_from(everyone), min_size=1, max_size=n, unique=True))
    rest = [i for i in everyone if i not in first]
    rest += draw(st.lists(st.sampled_from(everyone), max_size=5, unique=True).map(
        lambda more: [i for i in more if i not in rest]
    ))  # fmt: skip
    groups = [("a", first)] + ([("b", rest)] if rest else [])
    scales = [Scale(k, k, k, tuple(g), 0, len(g), Direction.LOWER) for k, g in groups]
    total = Total(("a",), 0, scales[0].max, Direction.LOWER)  # a total counts an item once
    keys = tuple(s.key for s in scales)
    cut = draw(st.integers(0, min(len(g) for _, g in groups)))
    rules = (Threshold("high", keys, ">=", cut, FlagKind.CLINICAL, "高", "high", per_target=True),)
    crisis = (CrisisItem(draw(st.integers(1, n)), (True,), "危机", "crisis"),)
    return Instrument(
        "yn", "1", "是否", "yes/no", (YES_NO,), items, scales, total,
        thresholds=rules, crisis_items=crisis,
    )  # fmt: skip


def _same_as_score(inst: Instrument, rows: list[Any]) -> None:
    """The batch equals ``score`` row by row, or refuses the rows ``score`` refuses."""
    expected, refused = [], []
    for r, row in enumerate(rows):
        try:
            expected.append(inst.score(row))
        except InvalidResponses as e:
            refused.append((r, e.problems))
    if refused:
        with pytest.raises(InvalidProtocols) as caught:
            inst.score_many(rows)
        assert caught.value.rows == tuple(refused)
    else:
        batch = inst.score_many(rows)
        assert batch.results == tuple(expected)
        assert [r.answers for r in batch] == [r.answers for r in expected]


@contextmanager
def _blocks_of(size: int) -> Iterator[None]:
    with mock.patch.object(_vector, "CHUNK", size):
        yield


@FAST
@given(n=st.sampled_from([1, 3, 70, 84, 100]), data=st.data())
def test_a_block_is_read_from_marshal_exactly_when_every_row_is_n_bools(
    n: int, data: st.DataObject
) -> None:
    """True with the answers as bits for rows of n bools (lists or tuples); False, the output
    untouched, for anything else (an odd answer anywhere, a wrong length, a list subclass)."""
    rows = data.draw(odd_rows(n))
    out = np.full((len(rows), 8 * (-(-n // 64))), 0xA5, dtype=np.uint8)
    before = out.copy()
    every = all(
        type(row) in (list, tuple) and len(row) == n and all(type(a) is bool for a in row)
        for row in rows
    )
    assert _bool_rows.bool_rows(rows, n, out, np) is (every and bool(rows))
    if every and rows:
        expected = np.packbits(np.array(rows, dtype=bool).reshape(len(rows), n), axis=1)
        assert (out[:, : expected.shape[1]] == expected).all()
        assert (out[:, expected.shape[1] :] == before[:, expected.shape[1] :]).all()
    else:
        assert (out == before).all()


@pytest.mark.parametrize(
    ("rows", "n"),
    [
        ([[True] * 99 + [None]], 100),  # None, ... and StopIteration are one byte, as bools
        ([[False] * 50 + [...] + [True] * 49], 100),
        ([[True, StopIteration, False]], 3),
        ([[True] * 3, [False] * 3, [True, False, None]], 3),
        ([{True, False}], 2),  # a set of bools has a list's layout but another type byte
        ([frozenset([True])], 1),
        ([[True] * 2, [False] * 4], 3),  # lengths that add up: the headers say otherwise
        # A nested list's header where the second row's should be, a bare bool for the last
        # item: every byte is in place but the two lengths (4 and 2, not 3).
        ([[True] * 3 + [[True] * 2], True], 3),
        ([[True] * 84], 84),  # 84 and 70 are the bytes of True and False
        ([(False,) * 70, [True] * 70], 70),
    ],
)
def test_rows_that_keep_the_dump_s_length_are_read_only_when_they_are_bools(
    rows: list[Any], n: int
) -> None:
    """The inputs that could pass for rows of bools in the dump's layout."""
    every = all(
        type(row) in (list, tuple) and len(row) == n and all(type(a) is bool for a in row)
        for row in rows
    )
    out = np.zeros((len(rows), 8 * (-(-n // 64))), dtype=np.uint8)
    assert _bool_rows.bool_rows(rows, n, out, np) is every
    _same_as_score_n(n, rows)


def _same_as_score_n(n: int, rows: list[Any]) -> None:
    """For ``n`` items, a yes/no instrument with one scale scores ``rows`` as ``score``."""
    items = [Item(number, YES_NO.key, (1, 0)) for number in range(1, n + 1)]
    scale = Scale("a", "a", "a", tuple(range(1, n + 1)), 0, n, Direction.LOWER)
    total = Total(("a",), 0, n, Direction.LOWER)
    _same_as_score(Instrument("yn", "1", "是否", "yes/no", (YES_NO,), items, [scale], total), rows)


@FAST
@given(size=st.integers(1, 5), data=st.data())
def test_the_mht_scores_odd_batches_as_score_does_in_any_blocks(
    size: int, data: st.DataObject
) -> None:
    """Bools, ints 0/1 and 2, floats, None, labels, nested lists, numpy scalars, tuples and
    wrong lengths: in blocks of 1-5 rows, fast and careful blocks side by side."""
    rows = data.draw(odd_rows(100))
    with _blocks_of(size):
        _same_as_score(MHT, rows)
    _same_as_score(MHT, rows)


@FAST
@given(inst=yes_no_instruments(), size=st.integers(1, 4), data=st.data())
def test_any_yes_no_instrument_sums_its_scales_as_score_does(
    inst: Instrument, size: int, data: st.DataObject
) -> None:
    """Bit counts over any length and any scale items give ``score``'s sums, flags, answers."""
    rows = data.draw(odd_rows(len(inst.items)))
    with _blocks_of(size):
        _same_as_score(inst, rows)


def test_a_batch_of_bool_rows_takes_the_marshal_path() -> None:
    """Every block of a bench-like batch is read from marshal (the probe found its layout)."""
    rows = [[(i * 7 + j) % 3 == 0 for j in range(100)] for i in range(3 * _vector.CHUNK + 5)]
    read = []
    real = _vector.bool_rows

    def spy(part: list[Any], n: int, out: Any, numpy: Any) -> bool:
        read.append(real(part, n, out, numpy))
        return read[-1]

    with mock.patch.object(_vector, "bool_rows", spy):
        batch = MHT.score_many(rows)
    assert read == [True] * 4
    assert batch.results == tuple(MHT.score(row) for row in rows)


def test_ints_and_labels_in_a_big_batch_take_the_other_paths_block_by_block() -> None:
    """A block with ints (bytes path) or a label (careful path for that row) among bool
    blocks: the results are still ``score``'s; one bad row far down is reported alone."""
    chunk = _vector.CHUNK
    rows: list[Any] = [[j % (i % 5 + 2) == 0 for j in range(100)] for i in range(2 * chunk + 9)]
    rows[1] = [int(a) for a in rows[1]]  # the first block: bools and one row of ints
    rows[chunk] = ["是" if a else "不是" for a in rows[chunk]]  # the second block: a label row
    _same_as_score(MHT, rows)
    rows[2 * chunk + 3] = [*rows[2 * chunk + 3][:99], 2]
    with pytest.raises(InvalidProtocols) as caught:
        MHT.score_many(rows)
    assert caught.value.bad_rows == (2 * chunk + 3,)
    assert caught.value.rows[0][1] == _problems_of(rows[2 * chunk + 3])


def _problems_of(row: list[Any]) -> tuple[tuple[int | None, str], ...]:
    """What ``MHT.score`` says of a bad row."""
    with pytest.raises(InvalidResponses) as caught:
        MHT.score(row)
    return caught.value.problems


def test_when_marshal_writes_otherwise_the_path_is_off_and_nothing_changes() -> None:
    """A Python whose marshal layout the probe does not find: the bytes path, same batch."""
    rows = [[(i + j) % 4 == 0 for j in range(100)] for i in range(50)]
    on = MHT.score_many(rows)
    with mock.patch.object(_bool_rows, "codes", lambda: None):
        assert not _bool_rows.bool_rows(rows, 100, np.zeros((50, 16), np.uint8), np)
        off = MHT.score_many(rows)
    assert on == off and on.results == tuple(MHT.score(row) for row in rows)


def test_without_bit_counts_numpy_1_sums_the_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    """numpy before 2.0 has no ``bitwise_count``: the scales are summed from the unpacked
    answers, with the same results."""
    rows = [[(i * j) % 5 == 1 for j in range(100)] for i in range(40)]
    rows[3] = ["yes"] * 100
    expected = tuple(MHT.score(row) for row in rows)
    monkeypatch.delattr(np, "bitwise_count")
    assert MHT.score_many(rows).results == expected
    assert MHT.score_many(np.array(rows[4:], dtype=bool)).results == expected[4:]


def test_a_group_that_is_no_name_is_refused_by_name() -> None:
    """An unhashable group (a list where a name was meant) is an InvalidValue, not a
    TypeError."""
    with pytest.raises(InvalidValue, match=r"a group is a name or None, got \['g'\]"):
        MHT.score_many([[True] * 100], group=[["g"]])
