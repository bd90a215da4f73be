"""GDS-15, PHQ-9, GAD-7 and RSES: hand-checked protocols and the properties of their keys."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from instrument_strategies import SHIPPED, protocols

from casework.instruments import GAD7, GDS15, PHQ9, RSES, Direction, gds15

Y, N = True, False


@pytest.mark.parametrize(
    ("answers", "total", "band", "flags"),
    [
        # all yes: items 1, 5, 7, 11, 13 score on "no" -> 0; the other ten score 1 -> 10
        (
            [Y] * 15,
            10,
            "almost_always_depression",
            ("depression_suggested", "depression_almost_always"),
        ),
        # all no: only items 1, 5, 7, 11, 13 score -> 5, which is not > 5
        ([N] * 15, 5, "normal", ()),
        # 1 no(1) 2 yes(1) 3 yes(1) 4 yes(1) 5 yes(0) 6 no(0) 7 no(1) 8 no(0) 9 yes(1)
        # 10 no(0) 11 yes(0) 12 no(0) 13 no(1) 14 no(0) 15 yes(1) -> 8
        (
            [N, Y, Y, Y, Y, N, N, N, Y, N, Y, N, N, N, Y],
            8,
            "suggests_depression",
            ("depression_suggested",),
        ),
        # the first total above 5: "no" on 1, 5, 7, 11, 13 -> 5, plus "yes" on 2 -> 6
        (
            [N, Y, N, N, N, N, N, N, N, N, N, N, N, N, N],
            6,
            "suggests_depression",
            ("depression_suggested",),
        ),
    ],
)
def test_gds15_hand_checked(answers: list[bool], total: int, band: str, flags: Any) -> None:
    """A "no" scores on items 1, 5, 7, 11, 13; a "yes" on the others."""
    result = GDS15.score(answers)
    assert result.total == total
    assert result.band is not None and result.band.key == band
    assert result.flags == flags


def test_gds15_cut_off_is_a_parameter() -> None:
    """Some sources use >= 5: with depression_at=5, all "no" (5) suggests depression."""
    assert gds15(depression_at=5).score([N] * 15).flags == ("depression_suggested",)
    assert GDS15.score([N] * 15).flags == ()


@pytest.mark.parametrize(
    ("answers", "total", "band", "flags"),
    [
        ([0] * 9, 0, "minimal", ()),
        ([1, 1, 1, 1, 0, 0, 0, 0, 0], 4, "minimal", ()),  # 4 < 5
        ([1, 1, 1, 1, 1, 0, 0, 0, 0], 5, "mild", ()),  # 5
        ([2, 2, 2, 2, 2, 0, 0, 0, 0], 10, "moderate", ()),  # 2 x 5 = 10
        ([3, 3, 3, 3, 3, 0, 0, 0, 0], 15, "moderately_severe", ()),  # 3 x 5 = 15
        ([3, 3, 3, 3, 3, 3, 2, 0, 0], 20, "severe", ()),  # 18 + 2 = 20
        ([3] * 9, 27, "severe", ("crisis_item:9",)),  # 27; item 9 is 3 > 0
        ([0] * 8 + [1], 1, "minimal", ("crisis_item:9",)),  # item 9 at 1 is already a flag
    ],
)
def test_phq9_hand_checked(answers: list[int], total: int, band: str, flags: Any) -> None:
    """Bands 5/10/15/20; item 9 (self-harm) above 0 raises a safety flag, whatever the total."""
    result = PHQ9.score(answers)
    assert (result.total, result.band and result.band.key, result.flags) == (total, band, flags)
    assert result.valid  # a safety flag is not a validity problem


@pytest.mark.parametrize(
    ("answers", "total", "band", "refer"),
    [
        ([0] * 7, 0, "minimal", False),
        ([1, 1, 1, 1, 1, 1, 3], 9, "mild", False),  # 6 + 3 = 9
        ([2, 2, 2, 2, 2, 0, 0], 10, "moderate", True),  # 10: refer
        ([3, 3, 3, 3, 3, 0, 0], 15, "severe", True),  # 15
        ([3] * 7, 21, "severe", True),  # 21
    ],
)
def test_gad7_hand_checked(answers: list[int], total: int, band: str, refer: bool) -> None:
    """Bands 5/10/15; >= 10 refer."""
    result = GAD7.score(answers)
    assert (result.total, result.band and result.band.key) == (total, band)
    assert ("refer" in result.flags) is refer


@pytest.mark.parametrize(
    ("answers", "total", "low"),
    [
        # strongly agree (3) everywhere: items 1, 3, 4, 7, 10 -> 3 each = 15; the reversed
        # items 2, 5, 6, 8, 9 -> 0 each; 15 is not below 15
        ([3] * 10, 15, False),
        # strongly disagree (0) everywhere: 0 x 5 + 3 x 5 = 15
        ([0] * 10, 15, False),
        # SA on the positive items, SD on the reversed ones: 30
        ([3, 0, 3, 3, 0, 0, 3, 0, 0, 3], 30, False),
        # the opposite: 0
        ([0, 3, 0, 0, 3, 3, 0, 3, 3, 0], 0, True),
        # items 1..10 = A D A A D D A D D A: positive A -> 2 x 5 = 10; reversed D -> 2 x 5 = 10
        ([2, 1, 2, 2, 1, 1, 2, 1, 1, 2], 20, False),
        # positive 1:A(2) 3:D(1) 4:A(2) 7:D(1) 10:D(1) = 7;
        # reversed 2:A(1) 5:D(2) 6:A(1) 8:D(2) 9:A(1) = 7; total 14 < 15 -> low
        ([2, 2, 1, 2, 1, 2, 1, 1, 2, 1], 14, True),
    ],
)
def test_rses_hand_checked(answers: list[int], total: int, low: bool) -> None:
    """UMD order: items 2, 5, 6, 8, 9 reversed; below 15 low; higher is better."""
    result = RSES.score(answers)
    assert result.total == total
    assert ("self_esteem_low" in result.flags) is low
    assert result.band is not None and result.band.key == ("low" if low else "not_low")
    assert result.better is Direction.HIGHER


def test_rses_accepts_labels_and_abbreviations() -> None:
    """An answer may be the option's label (zh or en) or SA/A/D/SD; the value is stored."""
    labels = ["非常同意", "SD", "strongly agree", "SA", "strongly disagree", "非常不同意"]
    labels += ["Strongly Agree", "sd", "SD", "sa"]
    result = RSES.score(labels)
    assert result.answers == (3, 0, 3, 3, 0, 0, 3, 0, 0, 3)
    assert result.total == 30


@given(protocols("rses"))
def test_rses_reversing_every_answer_maps_s_to_30_minus_s(answers: list[int]) -> None:
    """Property: answering the opposite way everywhere (v -> 3 - v) turns s into 30 - s."""
    assert RSES.score([3 - a for a in answers]).total == 30 - RSES.score(answers).total


@given(protocols("gds15"))
def test_gds15_reversing_every_answer_maps_s_to_15_minus_s(answers: list[bool]) -> None:
    """Property: each item scores on exactly one of its two answers."""
    assert GDS15.score([not a for a in answers]).total == 15 - GDS15.score(answers).total


@pytest.mark.parametrize("key", sorted(SHIPPED))
def test_item_level_reverse_keying_is_symmetric(key: str) -> None:
    """Reversing an item's key twice gives it back; reversing swaps its lowest and highest."""
    for item in SHIPPED[key].items:
        assert item.reversed().reversed() == item
        assert item.reversed().weights[0] == item.weights[-1]


def test_the_sdq_is_not_shipped() -> None:
    """Electronic SDQ versions need the publisher's consent."""
    import casework.instruments as pkg

    assert not any("sdq" in name.lower() for name in pkg.__all__)
