"""Hypothesis strategies shared by the instrument tests (imported as ``instrument_strategies``).

The protocols are built from the reference's facts, never from the scorer: yes/no answers for
the MHT and GDS-15, option values 0-3 for the PHQ-9, GAD-7 and RSES.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from casework.instruments import (
    GAD7,
    GDS15,
    MHT,
    PHQ9,
    RSES,
    Direction,
    Instrument,
    Item,
    Option,
    ResponseFormat,
    Scale,
    Total,
    gad7,
    gds15,
    mht,
    phq9,
    rses,
)

SHIPPED = {"mht": MHT, "gds15": GDS15, "phq9": PHQ9, "gad7": GAD7, "rses": RSES}
#: Exact option values per shipped instrument (the canonical answers).
VALUES: dict[str, tuple[Any, ...]] = {
    "mht": (True, False),
    "gds15": (True, False),
    "phq9": (0, 1, 2, 3),
    "gad7": (0, 1, 2, 3),
    "rses": (3, 2, 1, 0),
}
#: Other spellings of each value that must be accepted (labels, 1/0...).
SPELLINGS: dict[str, dict[Any, tuple[Any, ...]]] = {
    "mht": {True: (True, 1, "是", "yes", "Yes", " YES "), False: (False, 0, "不是", "no", "否")},
    "gds15": {True: (True, 1, "是", "yes"), False: (False, 0, "不是", "No")},
    "phq9": {0: (0, "完全不会", "not at all"), 1: (1, "好几天"), 2: (2, "2"), 3: (3, "几乎每天")},
    "gad7": {0: (0, "Not at all"), 1: (1, "several days"), 2: (2,), 3: (3, "nearly every day")},
    "rses": {3: (3, "非常同意", "SA"), 2: (2, "agree"), 1: (1, "不同意"), 0: (0, "sd")},
}
#: Answers no shipped item accepts (bools are refused on Likert items separately).
NEVER_VALID = st.sampled_from([None, "maybe", 7, -1, 0.5, "", [1], {"a": 1}, "是的"])


def mht_yes(*numbers: int) -> list[bool]:
    """An MHT protocol answering yes to exactly these items (1-based), no to the rest."""
    chosen = set(numbers)
    return [n in chosen for n in range(1, 101)]


def protocols(key: str) -> st.SearchStrategy[list[Any]]:
    """A complete protocol of exact option values for the shipped instrument ``key``."""
    n = len(SHIPPED[key].items)
    return st.lists(st.sampled_from(VALUES[key]), min_size=n, max_size=n)


shipped_keys = st.sampled_from(sorted(SHIPPED))


@st.composite
def variants(draw: st.DrawFn) -> Instrument:
    """A shipped instrument built with other (valid) rule parameters."""
    which = draw(shipped_keys)
    if which == "mht":
        low = draw(st.integers(0, 5))
        return mht(
            validity_cutoff=draw(st.integers(1, 10)),
            total_cutoff=draw(st.integers(0, 90)),
            scale_high=draw(st.integers(low + 1, 10)),
            scale_low=low,
            crisis_items=draw(st.lists(st.integers(1, 100), unique=True, max_size=3)),
            weights=draw(
                st.dictionaries(st.sampled_from([82, 84, 94, 96]), st.just((0, 1)), max_size=4)
            ),
        )
    if which == "gds15":
        at = draw(st.integers(1, 14))
        return gds15(depression_at=at, almost_always_at=draw(st.integers(at + 1, 15)))
    if which == "phq9":
        cuts = sorted(draw(st.lists(st.integers(1, 27), min_size=4, max_size=4, unique=True)))
        return phq9(cuts=cuts)
    if which == "gad7":
        cuts = sorted(draw(st.lists(st.integers(1, 21), min_size=3, max_size=3, unique=True)))
        return gad7(cuts=cuts, refer_at=draw(st.integers(0, 21)))
    return rses(low_below=draw(st.integers(1, 30)))


@st.composite
def toy_instruments(draw: st.DrawFn) -> Instrument:
    """A small random questionnaire: yes/no or 0-2 items, random keys, two scales."""
    likert = ResponseFormat(
        "three", (Option(0, "无", "none"), Option(1, "有时", "sometimes"), Option(2, "常", "often"))
    )
    yes_no = ResponseFormat("yn", (Option(True, "是", "yes"), Option(False, "否", "no")))
    n = draw(st.integers(2, 12))
    items = []
    for number in range(1, n + 1):
        fmt = draw(st.sampled_from([likert, yes_no]))
        weights = draw(
            st.lists(st.integers(0, 3), min_size=len(fmt.options), max_size=len(fmt.options))
        )
        items.append(Item(number, fmt.key, tuple(weights)))
    cut = draw(st.integers(1, n - 1))
    groups = (tuple(range(1, cut + 1)), tuple(range(cut + 1, n + 1)))
    scales = []
    for key, numbers in zip(("a", "b"), groups, strict=True):
        lo = sum(min(items[i - 1].weights) for i in numbers)
        hi = sum(max(items[i - 1].weights) for i in numbers)
        better = draw(st.sampled_from(Direction))
        scales.append(Scale(key, key, key, numbers, lo, hi, better))
    total = Total(
        ("a", "b"), scales[0].min + scales[1].min, scales[0].max + scales[1].max, Direction.LOWER
    )
    return Instrument("toy", "1", "玩具", "toy", (likert, yes_no), items, scales, total)
