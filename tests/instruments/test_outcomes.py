"""Pre/post change, the reliable change index, cut-offs and the cohort summary, by hand."""

from __future__ import annotations

import math

import pytest
from instrument_strategies import mht_yes

from casework.errors import InvalidValue
from casework.instruments import (
    GAD7,
    MHT,
    RSES,
    Classification,
    CutOff,
    Direction,
    Reliability,
    change,
    cohort_outcomes,
    reliable_change,
    reliable_change_index,
)

# SD 10, r 0.8: SEm = 10 * sqrt(0.2) = 4.47214; Sdiff = sqrt(2) * 4.47214 = 6.32456
REL = Reliability.supplied(0.8, 10.0)


def mht_total(total: int) -> list[bool]:
    """An MHT protocol whose total is ``total`` (yes to the first content items only)."""
    assert total <= 80
    return mht_yes(*range(1, total + 1))


def test_rci_worked_example() -> None:
    """60 -> 45: RCI = -15 / 6.32456 = -2.3717; |RCI| > 1.96."""
    assert reliable_change_index(60, 45, REL) == pytest.approx(-2.37171, abs=1e-5)
    assert reliable_change_index(60, 52, REL) == pytest.approx(-1.26491, abs=1e-5)


def test_change_is_direction_aware() -> None:
    """On the MHT a drop is an improvement; on the RSES a rise is."""
    pre, post = MHT.score(mht_total(20)), MHT.score(mht_yes(*range(1, 11), 71))
    # pre: learning 15, social 5 = 20; post: learning 10, phobia 1 = 11
    c = change(pre, post)
    assert (c.total.pre, c.total.post, c.total.change) == (20, 11, -9)
    assert c.total.direction == "improved"
    assert c.scale("learning_anxiety").change == -5
    assert c.scale("phobia").direction == "worsened"  # 0 -> 1 on a lower-is-better scale
    assert c.scale("validity").direction == "unchanged"
    up = change(RSES.score([2] * 10), RSES.score([3, 0, 3, 3, 0, 0, 3, 0, 0, 3]))
    # 15 -> 30
    assert (up.total.change, up.total.direction) == (15, "improved")


@pytest.mark.parametrize(
    ("pre", "post", "cutoff", "expected"),
    [
        (60, 45, None, Classification.IMPROVED),  # -2.37: reliable, no cut-off
        (60, 45, CutOff(50), Classification.RECOVERED),  # 60 clinical (>= 50), 45 not
        (60, 52, CutOff(50), Classification.UNCHANGED),  # -1.26: not reliable
        (55, 40, CutOff(60), Classification.IMPROVED),  # never clinical: improved only
        (40, 60, CutOff(50), Classification.DETERIORATED),  # +3.16: reliably worse
    ],
)
def test_classification(pre: int, post: int, cutoff: CutOff | None, expected: str) -> None:
    """Recovered needs a reliable improvement AND crossing the cut-off."""
    outcome = reliable_change(
        MHT.score(mht_total(pre)), MHT.score(mht_total(post)), REL, cutoff=cutoff
    )
    assert outcome.classification is expected
    assert outcome.change == post - pre
    assert outcome.reliable == (abs(post - pre) / (math.sqrt(2) * 10 * math.sqrt(0.2)) > 1.96)


def test_cut_offs_a_b_c_by_hand() -> None:
    """Lower is better, clinical 70 +- 8, functional 40 +- 10.

    a = 70 - 2 x 8 = 54; b = 40 + 2 x 10 = 60; c = (8 x 40 + 10 x 70) / 18 = 1020/18 = 56.667.
    Higher is better (self-esteem), clinical 12 +- 3, functional 22 +- 4:
    a = 12 + 6 = 18; b = 22 - 8 = 14; c = (3 x 22 + 4 x 12) / 7 = 114/7 = 16.286.
    """
    low = {"better": Direction.LOWER, "clinical": (70, 8), "functional": (40, 10)}
    assert CutOff.from_norms("a", **low).value == pytest.approx(54)  # type: ignore[arg-type]
    assert CutOff.from_norms("b", **low).value == pytest.approx(60)  # type: ignore[arg-type]
    c = CutOff.from_norms("c", **low)  # type: ignore[arg-type]
    assert c.value == pytest.approx(1020 / 18)
    assert c.source == "c from clinical 70±8 and functional 40±10"
    high = {"better": Direction.HIGHER, "clinical": (12, 3), "functional": (22, 4)}
    assert CutOff.from_norms("a", **high).value == pytest.approx(18)  # type: ignore[arg-type]
    assert CutOff.from_norms("b", **high).value == pytest.approx(14)  # type: ignore[arg-type]
    assert CutOff.from_norms("c", **high).value == pytest.approx(114 / 7)  # type: ignore[arg-type]
    with pytest.raises(InvalidValue, match="needs functional norms"):
        CutOff.from_norms("b", better=Direction.LOWER, clinical=(70, 8))
    with pytest.raises(InvalidValue, match="'a', 'b' or 'c'"):
        CutOff.from_norms("d", better=Direction.LOWER, clinical=(70, 8))


def test_higher_is_better_cut_off_crossing() -> None:
    """RSES: clinical when <= 14; 10 -> 25 with SD 4, r 0.8: RCI = 15 / 2.5298 = 5.93."""
    rel = Reliability.supplied(0.8, 4.0)
    pre = RSES.score([0, 3, 0, 0, 3, 3, 0, 3, 3, 0])  # 0
    post = RSES.score([3, 0, 3, 3, 0, 0, 3, 0, 0, 3])  # 30
    outcome = reliable_change(pre, post, rel, cutoff=CutOff(14))
    assert outcome.classification is Classification.RECOVERED
    assert outcome.rci == pytest.approx(30 / (math.sqrt(2) * 4 * math.sqrt(0.2)))


def test_cohort_summary_with_supplied_reliability() -> None:
    """Five children, SD 10, r 0.8 (Sdiff 6.32456), cut-off 50 on the MHT total.

    60 -> 45 recovered | 70 -> 55 improved (55 still >= 50) | 50 -> 47 unchanged but better
    | 30 -> 30 unchanged | 30 -> 45 deteriorated (+2.37).
    """
    pairs = [
        (MHT.score(mht_total(a)), MHT.score(mht_total(b)))
        for a, b in [(60, 45), (70, 55), (50, 47), (30, 30), (30, 45)]
    ]
    summary = cohort_outcomes(pairs, reliability=REL, cutoff=CutOff(50))
    assert (summary.n, summary.improved, summary.reliably_improved) == (5, 3, 2)
    assert (summary.recovered, summary.deteriorated, summary.unchanged) == (1, 1, 2)
    assert "supplied" in summary.notes[0]
    assert summary.notes[1] == "clinical cut-off 50: supplied"


def test_cohort_without_cut_off_recovers_nobody_and_says_so() -> None:
    """Reliability estimated from the cohort's own baselines (KR-20), no cut-off."""
    pairs = [
        (MHT.score(mht_total(a)), MHT.score(mht_total(b)))
        for a, b in [(60, 20), (40, 38), (20, 18), (10, 9)]
    ]
    summary = cohort_outcomes(pairs)
    assert summary.recovered == 0
    assert summary.reliability.source == "estimated: KR-20 from n=4"
    assert "no clinical cut-off supplied: nobody can be classified as recovered" in summary.notes


def test_outcomes_refuse_mixed_instruments_and_tiny_cohorts() -> None:
    """Pre and post of different instruments; one pair cannot estimate a reliability."""
    mht_result, gad = MHT.score(mht_total(10)), GAD7.score([1] * 7)
    with pytest.raises(InvalidValue, match="same instrument"):
        change(mht_result, gad)
    with pytest.raises(InvalidValue, match="same instrument"):
        reliable_change(mht_result, gad, REL)
    with pytest.raises(InvalidValue, match="different instruments"):
        cohort_outcomes([(mht_result, mht_result), (gad, gad)], reliability=REL)
    with pytest.raises(InvalidValue, match="at least 2 baseline results"):
        cohort_outcomes([(mht_result, mht_result)])
    with pytest.raises(InvalidValue, match="no \\(pre, post\\) pairs"):
        cohort_outcomes([])
