"""``Instrument.score_many``: the same result as ``score`` for every protocol, whatever the
input shape (list, numpy array, DataFrame), and every bad protocol reported at once.
"""

from __future__ import annotations

import sys
from typing import Any

import attrs
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from instrument_strategies import (
    NEVER_VALID,
    SHIPPED,
    SPELLINGS,
    VALUES,
    protocols,
    shipped_keys,
    toy_instruments,
    variants,
)

from casework.errors import InvalidResponses, InvalidValue
from casework.instruments import (
    MHT,
    PHQ9,
    Instrument,
    InvalidProtocols,
    NormTable,
    ScoreBatch,
    ScoreResult,
)
from casework.instruments._formats import weight_range

FAST = settings(max_examples=30, suppress_health_check=[HealthCheck.too_slow], deadline=None)


def _each(inst: Instrument, rows: list[Any], group: Any = None) -> list[ScoreResult]:
    groups = group if isinstance(group, list) else [group] * len(rows)
    return [inst.score(p, group=g) for p, g in zip(rows, groups, strict=True)]


def _spelled(key: str, data: st.DataObject, n: int) -> list[list[Any]]:
    """``n`` protocols of the shipped instrument ``key`` in any accepted spelling."""
    count = len(SHIPPED[key].items)
    return [
        [data.draw(st.sampled_from(SPELLINGS[key][data.draw(st.sampled_from(VALUES[key]))]))
         for _ in range(count)]
        for _ in range(n)
    ]  # fmt: skip


def _normed(inst: Instrument, data: st.DataObject) -> Instrument:
    """``inst`` with random norm tables for two groups on some scales and the total."""
    tables = []
    targets = [(s.key, s.min, s.max) for s in inst.scales]
    targets.append(("total", inst.total.min, inst.total.max))
    for group in ("g1", "g2"):
        for key, lo, hi in data.draw(
            st.lists(st.sampled_from(targets), unique=True, min_size=1, max_size=3)
        ):
            points = [(r, data.draw(st.integers(1, 10))) for r in range(int(lo), int(hi) + 1)]
            tables.append(NormTable(key, group, points))
    return inst.with_norms(tables)


@FAST
@given(key=shipped_keys, data=st.data())
def test_every_shipped_instrument_scores_a_batch_as_it_scores_one(
    key: str, data: st.DataObject
) -> None:
    """Exact values and every other spelling, as a list, an array and a DataFrame; invalid-
    flagged protocols included (their flags and ``valid`` come out the same)."""
    inst = SHIPPED[key]
    exact = data.draw(st.lists(protocols(key), max_size=15))
    batch = inst.score_many(exact)
    assert isinstance(batch, ScoreBatch) and len(batch) == len(exact)
    assert list(batch) == _each(inst, exact)
    assert [(r.valid, r.flags, r.band) for r in batch] == [
        (r.valid, r.flags, r.band) for r in _each(inst, exact)
    ]
    if exact:
        array = np.array(exact)
        assert list(inst.score_many(array)) == _each(inst, exact)
        frame = pd.DataFrame(exact, columns=range(1, len(inst.items) + 1))
        assert list(inst.score_many(frame)) == _each(inst, exact)
    spelled = _spelled(key, data, data.draw(st.integers(0, 6)))
    mixed = spelled + exact[:3]
    assert list(inst.score_many(mixed)) == _each(inst, mixed)


@FAST
@given(inst=st.one_of(variants(), toy_instruments()), data=st.data())
def test_other_rules_and_random_definitions_score_a_batch_as_one(
    inst: Instrument, data: st.DataObject
) -> None:
    """Other thresholds, crisis items, keys and random questionnaires (mixed formats)."""
    options = {f.key: [o.value for o in f.options] for f in inst.formats}
    item = st.tuples(*[st.sampled_from(options[i.format]) for i in inst.items]).map(list)
    rows = data.draw(st.lists(item, max_size=25))
    assert list(inst.score_many(rows)) == _each(inst, rows)
    as_dicts = [{str(n): a for n, a in enumerate(p, 1)} for p in rows]
    assert list(inst.score_many(as_dicts)) == _each(inst, rows)


@FAST
@given(key=shipped_keys, data=st.data())
def test_norm_groups_give_the_same_standard_scores(key: str, data: st.DataObject) -> None:
    """One group for the batch, or one per protocol (None for no group)."""
    inst = _normed(SHIPPED[key], data)
    rows = data.draw(st.lists(protocols(key), min_size=1, max_size=20))
    assert list(inst.score_many(rows, group="g1")) == _each(inst, rows, "g1")
    groups = data.draw(
        st.lists(st.sampled_from(["g1", "g2", None]), min_size=len(rows), max_size=len(rows))
    )
    assert list(inst.score_many(rows, group=groups)) == _each(inst, rows, groups)


@FAST
@given(key=shipped_keys, data=st.data())
def test_every_bad_protocol_is_reported_with_its_row_and_items(
    key: str, data: st.DataObject
) -> None:
    """Bad answers, missing answers and wrong lengths anywhere in the batch: one
    InvalidProtocols whose rows and problems are those ``score`` reports row by row."""
    inst = SHIPPED[key]
    rows: list[Any] = data.draw(st.lists(protocols(key), min_size=1, max_size=25))
    bad = data.draw(st.sets(st.integers(0, len(rows) - 1), min_size=1))
    for r in bad:
        how = data.draw(st.sampled_from(["answer", "short", "long"]))
        if how == "short":
            rows[r] = rows[r][:-1]
        elif how == "long":
            rows[r] = [*rows[r], rows[r][0]]
        else:
            for i in data.draw(st.sets(st.integers(0, len(rows[r]) - 1), min_size=1)):
                rows[r][i] = data.draw(NEVER_VALID)
    expected = []
    for r, p in enumerate(rows):
        try:
            inst.score(p)
        except InvalidResponses as e:
            expected.append((r, e.problems))
    with pytest.raises(InvalidProtocols) as caught:
        inst.score_many(rows)
    err = caught.value
    assert err.rows == tuple(expected)
    assert err.bad_rows == tuple(sorted(bad))
    assert err.count == len(rows)
    assert isinstance(err, InvalidResponses) and err.instrument == inst.id
    for r, problems in expected:
        for item, msg in problems:
            assert (item, f"row {r}: {msg}") in err.problems


@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_fractional_weights_sum_as_score_sums_them(data: st.DataObject) -> None:
    """A float key takes the per-protocol sum, so totals come out bit for bit the same."""
    weights = data.draw(
        st.dictionaries(
            st.integers(1, 100),
            st.tuples(st.sampled_from([0.1, 0.2, 0.7, 1.3]), st.just(0)),
            min_size=1,
            max_size=8,
        )
    )
    items = [attrs.evolve(i, weights=weights.get(i.number, i.weights)) for i in MHT.items]
    scales = [
        attrs.evolve(s, min=lo, max=hi)
        for s in MHT.scales
        for lo, hi in [weight_range(items, s.items)]
    ]
    content = [s for s in scales if s.key in MHT.total.scales]
    total = attrs.evolve(
        MHT.total, min=sum(s.min for s in content), max=sum(s.max for s in content)
    )
    inst = MHT.evolve(items=items, scales=scales, total=total, thresholds=[])
    rows = data.draw(st.lists(protocols("mht"), max_size=15))
    assert list(inst.score_many(rows)) == _each(inst, rows)


def test_the_batch_is_a_sequence_of_results() -> None:
    """Index (also negative), slices, iteration, len and equality, like a tuple of results."""
    rows = [[n % 4 for n in range(i, i + 9)] for i in range(10)]
    batch = PHQ9.score_many(rows)
    each = _each(PHQ9, rows)
    assert batch[0] == each[0] and batch[-1] == each[-1]
    assert batch[2:5] == tuple(each[2:5]) and batch[::-3] == tuple(each[::-3])
    assert batch.results == tuple(each) and len(batch) == 10
    assert batch == PHQ9.score_many(rows) and batch != PHQ9.score_many(rows[:-1])
    assert (batch.instrument, batch.version) == (PHQ9.id, PHQ9.version)
    for at in (10, -11):
        with pytest.raises(IndexError):
            batch[at]
    assert "10 protocols" in repr(batch)
    assert list(PHQ9.score_many([])) == []


def test_to_frame_has_one_row_per_protocol_indexed_like_the_input() -> None:
    """Scale raws, total, valid, band key, flags and group; a DataFrame's index is kept."""
    rows = [[0] * 9, [3] * 9, [1, 1, 1, 1, 1, 0, 0, 0, 0]]
    frame_in = pd.DataFrame(rows, columns=[str(n) for n in range(1, 10)], index=["a", "b", "c"])
    batch = PHQ9.score_many(frame_in)
    out = batch.to_frame()
    assert list(out.index) == ["a", "b", "c"]
    assert out.loc["b", "total"] == 27 and out.loc["b", "band"] == "severe"
    assert out.loc["b", "flags"] == PHQ9.score([3] * 9).flags
    assert list(out.columns) == [
        *(s.key for s in PHQ9.scales),
        "total",
        "valid",
        "band",
        "flags",
        "group",
    ]
    assert PHQ9.score_many([]).to_frame().empty


def test_a_dataframe_with_gaps_reports_the_missing_answers() -> None:
    """NaN/None in a DataFrame is a missing answer, named with its row and item."""
    frame = pd.DataFrame([[0] * 9, [1] * 9], columns=range(1, 10), dtype=object)
    frame.iloc[1, 4] = None
    with pytest.raises(InvalidProtocols) as caught:
        PHQ9.score_many(frame)
    assert caught.value.rows == ((1, ((5, "no answer (every item must be answered)"),)),)


def test_wrong_batch_shapes_and_groups_are_refused() -> None:
    """Not a list, a 1-D array, an unknown group, as many groups as protocols."""
    for bad in ("0000", {1: 0}, 7, np.zeros(9)):
        with pytest.raises(InvalidValue):
            PHQ9.score_many(bad)
    with pytest.raises(InvalidValue, match="no norm table"):
        PHQ9.score_many([[0] * 9], group="grade9")
    with pytest.raises(InvalidValue, match="2 groups for 1 protocols"):
        PHQ9.score_many([[0] * 9], group=[None, None])


def test_without_numpy_the_error_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    """numpy comes with the notebook extra: the message says how to install it."""
    monkeypatch.setitem(sys.modules, "numpy", None)
    with pytest.raises(ImportError, match=r"pip install 'casework\[notebook\]'"):
        PHQ9.score_many([[0] * 9])


def test_invalid_flagged_and_crisis_protocols_come_out_as_score_gives_them(yes_to: Any) -> None:
    """Validity >= 7 (not valid), crisis items 85/97, high and low scales: flags in order."""
    rows = [
        yes_to(82, 84, 86, 88, 90, 92, 94),  # validity 7: doubtful
        yes_to(85),
        yes_to(*range(1, 16), 97),
        yes_to(),
        yes_to(*range(1, 101)),
    ]
    batch = MHT.score_many(rows)
    assert list(batch) == _each(MHT, rows)
    assert [r.valid for r in batch] == [False, True, True, True, False]
    assert batch[1].flags[0] == "crisis_item:85"
    assert batch[4].flags[:3] == ("validity_doubtful", "crisis_item:85", "crisis_item:97")


def test_an_integer_array_is_read_like_lists_of_ints() -> None:
    """0/1 ints take the fast path; any other value sends its row through the careful one,
    which reports it with its row and item numbers."""
    array = np.zeros((6, 100), dtype=np.int64)
    array[1, ::3] = 1
    assert list(MHT.score_many(array)) == _each(MHT, array.tolist())
    array[2, 4] = 2
    array[5, 0] = -1
    with pytest.raises(InvalidProtocols) as caught:
        MHT.score_many(array)
    assert caught.value.bad_rows == (2, 5)
    assert [[item for item, _ in problems] for _, problems in caught.value.rows] == [[5], [1]]
    likert = np.array([[3, 2, 1, 0, 3, 2, 1, 0, 3]] * 4)
    assert list(PHQ9.score_many(likert)) == _each(PHQ9, likert.tolist())


def test_a_dataframe_column_that_is_no_item_is_reported_not_scored() -> None:
    """An id column is not an item: every row says so (set it as the index instead)."""
    frame = pd.DataFrame([[0] * 9, [1] * 9], columns=range(1, 10))
    frame["child"] = ["a", "b"]
    with pytest.raises(InvalidProtocols) as caught:
        PHQ9.score_many(frame)
    assert caught.value.rows == (
        (0, ((None, "'child' is not an item number"),)),
        (1, ((None, "'child' is not an item number"),)),
    )
    batch = PHQ9.score_many(frame.set_index("child"))
    assert batch.labels == ("a", "b") and list(batch) == _each(PHQ9, [[0] * 9, [1] * 9])
