"""Pre/post outcomes: change per scale, the Jacobson-Truax reliable change index, clinical
cut-offs, and a cohort summary.  Direction-aware: on the MHT a drop is an improvement.

SEm = SD1 * sqrt(1 - r); Sdiff = sqrt(2) * SEm; RCI = (x2 - x1) / Sdiff; reliable when
|RCI| > 1.96 (Jacobson & Truax 1991).
"""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable

import attrs

from casework.errors import InvalidValue
from casework.instruments._parts import TOTAL, Direction, Number
from casework.instruments.reliability import Reliability, estimate_reliability
from casework.instruments.scoring import ScoreResult

__all__ = [
    "Change",
    "Classification",
    "CohortSummary",
    "CutOff",
    "ReliableChange",
    "ScaleChange",
    "change",
    "cohort_outcomes",
    "reliable_change",
    "reliable_change_index",
]


def _same_instrument(pre: ScoreResult, post: ScoreResult) -> None:
    if (pre.instrument, pre.version) != (post.instrument, post.version):
        raise InvalidValue(
            "post",
            f"pre is {pre.instrument} v{pre.version} but post is "
            f"{post.instrument} v{post.version}: a change needs the same instrument twice",
        )


def _better_way(delta: Number, better: Direction) -> int:
    """+1 when ``delta`` goes the better way, -1 the worse way, 0 when there is no change."""
    sign = (delta > 0) - (delta < 0)
    return -sign if better is Direction.LOWER else sign


@attrs.frozen
class ScaleChange:
    """One scale's (or the total's) change from pre to post; ``direction`` is read through the
    scale's better direction: ``"improved"``, ``"worsened"`` or ``"unchanged"``.
    """

    key: str
    pre: Number
    post: Number
    change: Number
    better: Direction
    direction: str


def _scale_change(key: str, pre: Number, post: Number, better: Direction) -> ScaleChange:
    delta = post - pre
    way = {1: "improved", -1: "worsened", 0: "unchanged"}[_better_way(delta, better)]
    return ScaleChange(key, pre, post, delta, better, way)


@attrs.frozen
class Change:
    """Every scale's change and the total's, for one person's pre and post results."""

    instrument: str
    version: str
    scales: tuple[ScaleChange, ...]
    total: ScaleChange

    def scale(self, key: str) -> ScaleChange:
        """The change of scale ``key`` (or of ``"total"``)."""
        for s in (*self.scales, self.total):
            if s.key == key:
                return s
        raise InvalidValue("scale", f"{self.instrument} has no scale {key!r}")


def change(pre: ScoreResult, post: ScoreResult) -> Change:
    """The raw change of every scale and of the total from ``pre`` to ``post``."""
    _same_instrument(pre, post)
    scales = tuple(
        _scale_change(key, s.raw, post.scales[key].raw, s.better) for key, s in pre.scales.items()
    )
    return Change(
        pre.instrument, pre.version, scales, _scale_change(TOTAL, pre.total, post.total, pre.better)
    )


@attrs.frozen
class CutOff:
    """A clinical cut-off: the score where the clinical range starts (lower-is-better: clinical
    when score >= value; higher-is-better: clinical when score <= value).
    """

    value: float
    source: str = "supplied"

    @classmethod
    def from_norms(
        cls,
        criterion: str,
        *,
        better: Direction,
        clinical: tuple[float, float] | None = None,
        functional: tuple[float, float] | None = None,
    ) -> CutOff:
        """Jacobson-Truax cut-off ``a``, ``b`` or ``c`` from (mean, SD) of a clinical and/or a
        functional sample.  For lower-is-better, a = Mc - 2 SDc, b = Mf + 2 SDf,
        c = (SDc Mf + SDf Mc) / (SDc + SDf); signs flip for higher-is-better.
        """
        better = Direction(better)
        toward = -1 if better is Direction.LOWER else 1  # toward the functional side
        need = {"a": ("clinical",), "b": ("functional",), "c": ("clinical", "functional")}
        if criterion not in need:
            raise InvalidValue("criterion", f"expected 'a', 'b' or 'c', got {criterion!r}")
        given = {"clinical": clinical, "functional": functional}
        missing = [k for k in need[criterion] if given[k] is None]
        if missing:
            raise InvalidValue("norms", f"cut-off {criterion} needs {' and '.join(missing)} norms")
        for name in need[criterion]:
            norm = given[name]
            if norm is not None and not norm[1] > 0:
                raise InvalidValue("norms", f"the {name} SD must be positive, got {norm[1]!r}")
        if criterion == "a" and clinical is not None:
            value = clinical[0] + toward * 2 * clinical[1]
            source = f"a = {clinical[0]:g} {'-' if toward < 0 else '+'} 2 x {clinical[1]:g}"
        elif criterion == "b" and functional is not None:
            value = functional[0] - toward * 2 * functional[1]
            source = f"b = {functional[0]:g} {'+' if toward < 0 else '-'} 2 x {functional[1]:g}"
        else:
            assert clinical is not None and functional is not None
            (mc, sc), (mf, sf) = clinical, functional
            value = (sc * mf + sf * mc) / (sc + sf)
            source = f"c from clinical {mc:g}±{sc:g} and functional {mf:g}±{sf:g}"
        return cls(value, source)

    def clinical(self, score: Number, better: Direction) -> bool:
        """Whether ``score`` lies in the clinical range."""
        return score >= self.value if better is Direction.LOWER else score <= self.value


class Classification(enum.StrEnum):
    """A person's outcome: recovered (reliably improved and crossed the cut-off), improved
    (reliably improved, not recovered), unchanged (no reliable change), deteriorated.
    """

    RECOVERED = "recovered"
    IMPROVED = "improved"
    UNCHANGED = "unchanged"
    DETERIORATED = "deteriorated"


def reliable_change_index(x1: Number, x2: Number, reliability: Reliability) -> float:
    """RCI = (x2 - x1) / (sqrt(2) * SD1 * sqrt(1 - r))."""
    sdiff = math.sqrt(2) * reliability.sd * math.sqrt(1 - reliability.r)
    return (x2 - x1) / sdiff


@attrs.frozen
class ReliableChange:
    """One person's reliable change on ``target`` and its classification."""

    target: str
    pre: Number
    post: Number
    change: Number
    rci: float
    reliable: bool
    classification: Classification
    better: Direction
    reliability: Reliability
    cutoff: CutOff | None


def reliable_change(
    pre: ScoreResult,
    post: ScoreResult,
    reliability: Reliability,
    *,
    target: str = TOTAL,
    cutoff: CutOff | None = None,
    z: float = 1.96,
) -> ReliableChange:
    """Classify one person's change on ``target``; without a cut-off nobody is recovered."""
    _same_instrument(pre, post)
    x1, x2 = pre.value(target), post.value(target)
    better = pre.better if target == TOTAL else pre.scales[target].better
    rci = reliable_change_index(x1, x2, reliability)
    reliable = abs(rci) > z
    way = _better_way(x2 - x1, better) if reliable else 0
    if way < 0:
        kind = Classification.DETERIORATED
    elif way == 0:
        kind = Classification.UNCHANGED
    elif cutoff is not None and cutoff.clinical(x1, better) and not cutoff.clinical(x2, better):
        kind = Classification.RECOVERED
    else:
        kind = Classification.IMPROVED
    return ReliableChange(target, x1, x2, x2 - x1, rci, reliable, kind, better, reliability, cutoff)


@attrs.frozen
class CohortSummary:
    """Counts for a cohort: ``improved`` moved the better way at all; ``reliably_improved``
    = recovered + improved classifications; ``notes`` say what the figures rest on.
    """

    instrument: str
    target: str
    n: int
    improved: int
    reliably_improved: int
    recovered: int
    deteriorated: int
    unchanged: int
    reliability: Reliability
    cutoff: CutOff | None
    outcomes: tuple[ReliableChange, ...]
    notes: tuple[str, ...]


def cohort_outcomes(
    pairs: Iterable[tuple[ScoreResult, ScoreResult]],
    *,
    target: str = TOTAL,
    reliability: Reliability | None = None,
    cutoff: CutOff | None = None,
    z: float = 1.96,
) -> CohortSummary:
    """Summarise (pre, post) pairs.  Without ``reliability``, r and SD are estimated from the
    cohort's own pre results (KR-20 or alpha), and the summary says so.
    """
    pairs = list(pairs)
    if not pairs:
        raise InvalidValue("pairs", "no (pre, post) pairs given")
    ids = {(r.instrument, r.version) for pair in pairs for r in pair}
    if len(ids) > 1:
        raise InvalidValue("pairs", f"results of different instruments: {sorted(ids)}")
    if reliability is None:
        reliability = estimate_reliability([pre for pre, _ in pairs], target)
    outcomes = tuple(
        reliable_change(pre, post, reliability, target=target, cutoff=cutoff, z=z)
        for pre, post in pairs
    )
    count = {k: sum(o.classification is k for o in outcomes) for k in Classification}
    notes = [f"reliability r={reliability.r:.3f}, SD={reliability.sd:.3f}: {reliability.source}"]
    if cutoff is None:
        notes.append("no clinical cut-off supplied: nobody can be classified as recovered")
    else:
        notes.append(f"clinical cut-off {cutoff.value:g}: {cutoff.source}")
    return CohortSummary(
        pairs[0][0].instrument,
        target,
        len(outcomes),
        sum(_better_way(o.change, o.better) > 0 for o in outcomes),
        count[Classification.RECOVERED] + count[Classification.IMPROVED],
        count[Classification.RECOVERED],
        count[Classification.DETERIORATED],
        count[Classification.UNCHANGED],
        reliability,
        cutoff,
        outcomes,
        tuple(notes),
    )
