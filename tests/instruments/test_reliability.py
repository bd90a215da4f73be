"""KR-20 and Cronbach's alpha against small matrices worked out by hand; estimation errors."""

from __future__ import annotations

import pytest
from instrument_strategies import mht_yes

from casework.errors import InvalidValue
from casework.instruments import GAD7, MHT, Reliability, cronbach_alpha, estimate_reliability, kr20

# 4 people x 3 yes/no items (a Guttman pattern):
#   1 1 1 -> 3 | 1 1 0 -> 2 | 1 0 0 -> 1 | 0 0 0 -> 0
# p = 3/4, 2/4, 1/4; sum pq = 0.1875 + 0.25 + 0.1875 = 0.625
# totals 3, 2, 1, 0: mean 1.5, population variance (2.25 + 0.25 + 0.25 + 2.25) / 4 = 1.25
# KR-20 = 3/2 * (1 - 0.625 / 1.25) = 1.5 * 0.5 = 0.75
GUTTMAN = [[1, 1, 1], [1, 1, 0], [1, 0, 0], [0, 0, 0]]

# 3 people x 2 Likert items:  2 3 -> 5 | 1 1 -> 2 | 3 2 -> 5
# item variances (population): (0 + 1 + 1)/3 = 2/3 and (1 + 1 + 0)/3 = 2/3 -> sum 4/3
# totals 5, 2, 5: mean 4, variance (1 + 4 + 1)/3 = 2
# alpha = 2/1 * (1 - (4/3) / 2) = 2 * 1/3 = 2/3
LIKERT = [[2, 3], [1, 1], [3, 2]]


def test_kr20_by_hand() -> None:
    assert kr20(GUTTMAN) == pytest.approx(0.75)


def test_alpha_by_hand() -> None:
    assert cronbach_alpha(LIKERT) == pytest.approx(2 / 3)


def test_alpha_equals_kr20_on_yes_no_items() -> None:
    """With population variances, alpha on 0/1 items is KR-20."""
    assert cronbach_alpha(GUTTMAN) == pytest.approx(0.75)


def test_unrelated_items_give_a_negative_coefficient() -> None:
    """Two items pulling in opposite directions: 1 0 | 0 1 | 1 0 | 0 1.

    p = 1/2 each, sum pq = 0.5; totals all 1 -> variance 0: undefined, refused.
    """
    with pytest.raises(InvalidValue, match="do not vary"):
        kr20([[1, 0], [0, 1], [1, 0], [0, 1]])


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([[1, 0, 1]], "at least 2 people"),
        ([[1], [0]], "at least 2 items"),
        ([[1, 0], [1]], "the same number"),
        ([[2, 0], [1, 1]], "0 or 1"),
    ],
)
def test_kr20_refuses_bad_matrices(rows: list[list[int]], message: str) -> None:
    with pytest.raises(InvalidValue, match=message):
        kr20(rows)


def test_estimate_from_mht_baselines_uses_kr20_and_says_so() -> None:
    """Four MHT baselines answering yes to the first 3, 2, 1, 0 of items 1-3 (learning anxiety).

    On learning anxiety only items 1-3 vary: KR-20 over 15 items with sum pq = 0.625 (the
    other 12 items have p = 0) and total variance 1.25: 15/14 * (1 - 0.5) = 0.535714...
    SD: sample SD of 3, 2, 1, 0 = sqrt(5/3) = 1.290994...
    """
    baseline = [MHT.score(mht_yes(*range(1, k + 1))) for k in (3, 2, 1, 0)]
    rel = estimate_reliability(baseline, "learning_anxiety")
    assert rel.r == pytest.approx(15 / 14 * 0.5)
    assert rel.sd == pytest.approx((5 / 3) ** 0.5)
    assert rel.source == "estimated: KR-20 from n=4"


def test_estimate_from_likert_baselines_uses_alpha() -> None:
    """GAD-7 baselines (items 0-3) -> Cronbach's alpha.

    Items 1-2 as in LIKERT, items 3-7 answered 0 by everyone (variance 0):
    alpha = 7/6 * (1 - (4/3) / 2) = 7/6 * 1/3 = 7/18.
    """
    baseline = [GAD7.score([a, b, 0, 0, 0, 0, 0]) for a, b in LIKERT]
    rel = estimate_reliability(baseline)
    assert rel.r == pytest.approx(7 / 18)
    assert rel.source == "estimated: Cronbach's alpha from n=3"


def test_estimation_errors_are_clear() -> None:
    """Too few results, no variance, mixed instruments, an unknown scale."""
    one = MHT.score(mht_yes(1))
    with pytest.raises(InvalidValue, match="at least 2 baseline results"):
        estimate_reliability([one])
    with pytest.raises(InvalidValue, match="no variance"):
        estimate_reliability([one, one])
    with pytest.raises(InvalidValue, match="different instruments"):
        estimate_reliability([one, GAD7.score([0] * 7)])
    with pytest.raises(InvalidValue, match="no scale 'anxiety'"):
        estimate_reliability([one, MHT.score(mht_yes())], "anxiety")


def test_supplied_reliability_is_checked() -> None:
    """r must be in [0, 1) and SD positive, or the RCI would be meaningless."""
    assert Reliability.supplied(0.8, 10).source == "supplied"
    with pytest.raises(InvalidValue):
        Reliability.supplied(1.0, 10)
    with pytest.raises(InvalidValue):
        Reliability.supplied(0.8, 0)
