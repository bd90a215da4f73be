"""Simulated MHT protocols: 100 yes/no answers drawn for a target total, for the real scorer.

The simulation never invents scores: it draws answers, and the engine scores them with the
shipped MHT exactly as it scores a child's real answers.  A target total ``t`` (0-90, the sum of
the eight content scales) becomes a per-item chance of "yes" of ``t / 90``; the scored total is
then Binomial(90, t / 90), so each protocol carries the test's own sampling noise on top of the
change model's noise.  Validity (lie-scale) items are answered yes with a small chance and kept
below the validity cut-off; the crisis items (85, 97) are answered yes only with ``crisis_rate``.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from casework.instruments.mht import MHT_SCALES

__all__ = ["CONTENT_ITEMS", "CRISIS_ITEMS", "SCALE_ITEMS", "VALIDITY_ITEMS", "protocol"]

#: Items of each content scale, by scale key, 1-based.
SCALE_ITEMS: dict[str, tuple[int, ...]] = {k: items for k, _, _, items in MHT_SCALES[:8]}
#: The validity (lie) scale's items.
VALIDITY_ITEMS: tuple[int, ...] = MHT_SCALES[8][3]
#: The crisis items of casework's MHT safety rule.
CRISIS_ITEMS: frozenset[int] = frozenset({85, 97})
#: Content items answered by the per-item chance (crisis items are drawn separately).
CONTENT_ITEMS: tuple[int, ...] = tuple(
    sorted(n for items in SCALE_ITEMS.values() for n in items if n not in CRISIS_ITEMS)
)
#: Yes answers on the validity scale stay below the MHT's default cut-off (7).
MAX_VALIDITY_YES = 6
#: Screening rules of the MHT lifecycle (``ScreenedIn`` defaults): a scale at 8, a total at 65.
SCALE_HIGH, TOTAL_HIGH = 8, 65


def protocol(
    rng: random.Random,
    target: float,
    *,
    crisis_rate: float,
    validity_yes: float,
    screen_in: str | None = None,
    screen_out: bool = False,
) -> tuple[bool, ...]:
    """One child's 100 answers (True = yes) for an expected content total of ``target``.

    ``screen_in`` names a content scale that is raised to the screening threshold (8 yes), so
    an eligible child is admitted by the lifecycle's own screening rule; ``screen_out`` lowers
    every scale below 8 and the total below 65, so an ineligible child is not.
    """
    q = min(max(target, 0.0), 90.0) / 90.0
    rand = rng.random
    yes = [False] * 101  # index 0 unused: answers are numbered from 1
    for n in CONTENT_ITEMS:
        if rand() < q:
            yes[n] = True
    for n in CRISIS_ITEMS:
        yes[n] = rand() < crisis_rate
    said = 0
    for n in VALIDITY_ITEMS:
        if rand() < validity_yes and said < MAX_VALIDITY_YES:
            yes[n] = True
            said += 1
    if screen_in is not None:
        _raise_scale(rng, yes, SCALE_ITEMS[screen_in], SCALE_HIGH)
    if screen_out:
        _lower_below(rng, yes)
    return tuple(yes[1:])


def _raise_scale(rng: random.Random, yes: list[bool], items: Sequence[int], at_least: int) -> None:
    """Answer yes to randomly chosen items of a scale until it reaches ``at_least``."""
    missing = [n for n in items if not yes[n] and n not in CRISIS_ITEMS]
    need = at_least - sum(yes[n] for n in items)
    if need > 0:
        for n in rng.sample(missing, min(need, len(missing))):
            yes[n] = True


def _lower_below(rng: random.Random, yes: list[bool]) -> None:
    """Answer no to randomly chosen items until every scale is below 8 and the total below 65."""
    for items in SCALE_ITEMS.values():
        said = [n for n in items if yes[n]]
        extra = len(said) - (SCALE_HIGH - 1)
        if extra > 0:
            for n in rng.sample(said, extra):
                yes[n] = False
    content = [n for items in SCALE_ITEMS.values() for n in items if yes[n]]
    extra = len(content) - (TOTAL_HIGH - 1)
    if extra > 0:
        for n in rng.sample(content, extra):
            yes[n] = False
