"""Instruments and everything scoring returns are values: they survive ``pickle`` and
``copy.deepcopy`` with equality, also across a real process boundary (spawn).
"""

from __future__ import annotations

import copy
import multiprocessing
import pickle
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from instrument_strategies import SHIPPED, protocols, shipped_keys, toy_instruments, variants

from casework.instruments import (
    MHT,
    PHQ9,
    CutOff,
    Direction,
    Instrument,
    InvalidProtocols,
    NormTable,
    Reliability,
    ScoreResult,
    change,
    cohort_outcomes,
    reliable_change,
)


def _copies(value: Any) -> list[Any]:
    return [pickle.loads(pickle.dumps(value)), copy.deepcopy(value), copy.copy(value)]


def _same(value: Any) -> None:
    for other in _copies(value):
        assert other == value
        assert type(other) is type(value)
        assert repr(other) == repr(value)


def _views(result: ScoreResult) -> tuple[Any, ...]:
    """What a result derives from its instrument: must come out the same after a copy."""
    return (
        dict(result.scales),
        result.item_scores,
        result.flag_details,
        result.interpretation("en"),
        result.to_dict(),
        result.total_max,
        result.better,
    )


def _protocol(inst: Instrument, data: st.DataObject) -> list[Any]:
    options = {f.key: [o.value for o in f.options] for f in inst.formats}
    return [data.draw(st.sampled_from(options[i.format])) for i in inst.items]


@settings(max_examples=40, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(inst=st.one_of(variants(), toy_instruments()), data=st.data())
def test_instruments_and_their_results_copy_with_equality(
    inst: Instrument, data: st.DataObject
) -> None:
    """Definitions, results (before and after their cached views are read), flags, scale
    scores and the scale mapping all pickle and deep-copy to equal values."""
    _same(inst)
    result = inst.score(_protocol(inst, data))
    _same(result)
    views = _views(result)
    _same(result)  # now with the cached views filled in
    for other in _copies(result):
        assert _views(other) == views
        assert other.compiled.instrument == inst
    _same(result.scales)
    for flag in result.flag_details:
        _same(flag)
    for scale in result.scales.values():
        _same(scale)
    again = pickle.loads(pickle.dumps(inst))
    assert again.score(result.answers) == result
    assert again.to_dict() == inst.to_dict()


@settings(max_examples=25, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(key=shipped_keys, data=st.data())
def test_outcomes_copy_with_equality(key: str, data: st.DataObject) -> None:
    """Changes, reliable changes, cut-offs, reliabilities and cohort summaries copy equal."""
    inst = SHIPPED[key]
    pairs = [
        (inst.score(data.draw(protocols(key))), inst.score(data.draw(protocols(key))))
        for _ in range(3)
    ]
    better = inst.total.better
    reliability = Reliability.supplied(0.8, 5.0)
    cutoff = CutOff(float(inst.total.min + inst.total.max) / 2)
    _same(reliability)
    _same(cutoff)
    _same(change(*pairs[0]))
    _same(reliable_change(*pairs[0], reliability, cutoff=cutoff))
    _same(cohort_outcomes(pairs, reliability=reliability, cutoff=cutoff))
    assert better in Direction


@settings(max_examples=20, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(key=shipped_keys, data=st.data())
def test_batches_copy_with_equality(key: str, data: st.DataObject) -> None:
    """A ScoreBatch pickles and deep-copies with its columns and instrument."""
    inst = SHIPPED[key]
    batch = inst.score_many(data.draw(st.lists(protocols(key), max_size=8)))
    _same(batch)
    assert list(pickle.loads(pickle.dumps(batch))) == [*batch]


def test_a_batch_error_survives_pickle_with_its_rows() -> None:
    """InvalidProtocols crosses a process boundary with every row and problem."""
    with pytest.raises(InvalidProtocols) as caught:
        PHQ9.score_many([[0] * 9, [0] * 8, [0, 9, 0, 0, 0, 0, 0, 0, 0]])
    err = caught.value
    for other in (pickle.loads(pickle.dumps(err)), copy.deepcopy(err)):
        assert type(other) is InvalidProtocols
        assert (other.rows, other.problems, other.count, str(other)) == (
            err.rows,
            err.problems,
            err.count,
            str(err),
        )


# -- across a real process boundary ------------------------------------------------------------


@pytest.fixture(scope="module")
def pool() -> Any:
    """Two worker processes started with spawn (nothing inherited from this process)."""
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as ex:
        yield ex


def test_scoring_in_spawned_workers_gives_the_same_results(pool: Any) -> None:
    """Definitions sent to a spawned worker score exactly as here, results come back equal,
    and a result scored there can be read (labels, flags) here."""
    normed = MHT.with_norms([NormTable("phobia", "grade7", [(r, r // 2 + 1) for r in range(11)])])
    protocols_ = [[(i * 7 + n) % 3 == 0 for i in range(100)] for n in range(40)]
    here = [normed.score(p, group="grade7") for p in protocols_]
    there = list(pool.map(_score_in_worker, [normed] * len(protocols_), protocols_))
    assert there == here
    assert [r.interpretation("zh") for r in there] == [r.interpretation("zh") for r in here]
    batch_there = pool.submit(normed.score_many, protocols_, group="grade7").result()
    assert list(batch_there) == here
    pre, post = here[0], here[1]
    assert pool.submit(change, pre, post).result() == change(pre, post)
    with pytest.raises(InvalidProtocols) as caught:
        pool.submit(normed.score_many, [*protocols_[:3], [None] * 100]).result()
    assert caught.value.bad_rows == (3,)


def _score_in_worker(inst: Instrument, protocol: list[bool]) -> ScoreResult:
    return inst.score(protocol, group="grade7")
