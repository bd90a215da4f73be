"""Reliability for reliable change: supplied by the user, or estimated from a cohort's own
baseline results with KR-20 (yes/no items scored 0/1) or Cronbach's alpha (anything else).
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence

import attrs

from casework.errors import InvalidValue
from casework.instruments._parts import TOTAL, Number
from casework.instruments.scoring import ScoreResult

__all__ = ["Reliability", "cronbach_alpha", "estimate_reliability", "kr20"]


def _check_r(instance: object, attribute: attrs.Attribute[float], value: float) -> None:
    if not 0 <= value < 1:
        raise InvalidValue(
            "Reliability.r",
            f"must be at least 0 and below 1 for a reliable change index, got {value:.3f}",
        )


def _check_sd(instance: object, attribute: attrs.Attribute[float], value: float) -> None:
    if not value > 0:
        raise InvalidValue("Reliability.sd", f"must be positive, got {value!r}")


@attrs.frozen
class Reliability:
    """A reliability coefficient ``r`` and baseline standard deviation ``sd``, with where they
    came from: ``"supplied"`` or ``"estimated: KR-20 from n=12"``.
    """

    r: float = attrs.field(validator=_check_r)
    sd: float = attrs.field(validator=_check_sd)
    source: str = "supplied"

    @classmethod
    def supplied(cls, r: float, sd: float) -> Reliability:
        """r and SD taken from a publication or a larger sample."""
        return cls(r, sd, "supplied")


def _matrix(rows: Sequence[Sequence[Number]]) -> tuple[int, list[list[Number]]]:
    data = [list(row) for row in rows]
    if len(data) < 2:
        raise InvalidValue("scores", f"need at least 2 people, got {len(data)}")
    k = len(data[0])
    if k < 2 or any(len(row) != k for row in data):
        raise InvalidValue("scores", "need at least 2 items, the same number for everyone")
    return k, data


def _coefficient(k: int, item_variance: float, data: list[list[Number]]) -> float:
    total_variance = statistics.pvariance([sum(row) for row in data])
    if total_variance == 0:
        raise InvalidValue("scores", "the total scores do not vary: reliability is undefined")
    return k / (k - 1) * (1 - item_variance / total_variance)


def kr20(rows: Sequence[Sequence[Number]]) -> float:
    """Kuder-Richardson 20 of 0/1 item scores (rows are people, columns items):
    k/(k-1) * (1 - sum(p*q) / variance of totals), population variance.
    """
    k, data = _matrix(rows)
    if any(v not in (0, 1) for row in data for v in row):
        raise InvalidValue("scores", "KR-20 needs item scores of 0 or 1")
    n = len(data)
    pq = 0.0
    for j in range(k):
        p = sum(row[j] for row in data) / n
        pq += p * (1 - p)
    return _coefficient(k, pq, data)


def cronbach_alpha(rows: Sequence[Sequence[Number]]) -> float:
    """Cronbach's alpha (rows are people, columns items):
    k/(k-1) * (1 - sum of item variances / variance of totals), population variances.
    """
    k, data = _matrix(rows)
    item_variance = sum(statistics.pvariance([row[j] for row in data]) for j in range(k))
    return _coefficient(k, item_variance, data)


def estimate_reliability(baseline: Sequence[ScoreResult], target: str = TOTAL) -> Reliability:
    """r and SD of ``target`` (a scale key or ``"total"``) from a cohort's own baseline results.

    KR-20 when every item of the target is keyed 0/1, Cronbach's alpha otherwise; SD is the
    sample standard deviation of the baseline scores.
    """
    if len(baseline) < 2:
        raise InvalidValue(
            "baseline",
            f"need at least 2 baseline results to estimate reliability, got {len(baseline)}",
        )
    first = baseline[0]
    ids = {(b.instrument, b.version) for b in baseline}
    if len(ids) > 1:
        raise InvalidValue("baseline", f"results of different instruments: {sorted(ids)}")
    c = first.compiled
    if target not in c.scale_items:
        raise InvalidValue("target", f"{first.instrument} has no scale {target!r}")
    numbers = c.scale_items[target]
    rows = [[b.item_scores[n - 1] for n in numbers] for b in baseline]
    binary = all(sorted(c.item_weights[n - 1]) == [0, 1] for n in numbers)
    scores = [b.value(target) for b in baseline]
    if statistics.pvariance(scores) == 0:
        raise InvalidValue("baseline", f"every baseline {target} score is {scores[0]}: no variance")
    r = kr20(rows) if binary else cronbach_alpha(rows)
    method = "KR-20" if binary else "Cronbach's alpha"
    if r < 0:
        raise InvalidValue(
            "baseline", f"the estimated {method} is negative ({r:.3f}): supply r and SD instead"
        )
    return Reliability(r, statistics.stdev(scores), f"estimated: {method} from n={len(baseline)}")
