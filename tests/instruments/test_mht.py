"""The MHT as the reference describes it: hand-checked protocols, its rules and their defaults."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from instrument_strategies import mht_yes, protocols

from casework.instruments import CONTENT_SCALES, MHT, FlagKind, mht

# The reference table, written out again here on purpose (not imported from the library).
ITEMS = {
    "learning_anxiety": range(1, 16),
    "social_anxiety": range(16, 26),
    "loneliness": range(26, 36),
    "self_blame": range(36, 46),
    "sensitivity": range(46, 56),
    "physical_symptoms": range(56, 71),
    "phobia": range(71, 81),
    "impulsivity": range(81, 100, 2),
    "validity": range(82, 101, 2),
}
CONTENT = [k for k in ITEMS if k != "validity"]
LOWS = [f"scale_low:{k}" for k in CONTENT]


def test_public_contract() -> None:
    """What the core codes against: MHT.id, .score(...).total/.valid/.flags/.scales[k].raw."""
    assert MHT.id == "mht"
    result = MHT.score(mht_yes())
    assert (result.total, result.valid, result.scales["phobia"].raw) == (0, True, 0)
    assert isinstance(result.flags, tuple)


def test_scales_items_and_ranges_follow_the_reference() -> None:
    """Nine scales with the reference's item sets; maxima 15 or 10; total 0-90."""
    assert [s.key for s in MHT.scales] == list(ITEMS)
    for s in MHT.scales:
        assert s.items == tuple(ITEMS[s.key])
        assert (s.min, s.max) == (0, len(ITEMS[s.key]))
    assert MHT.total.scales == tuple(CONTENT)
    assert (MHT.total.min, MHT.total.max) == (0, 90)
    assert tuple(CONTENT) == CONTENT_SCALES
    assert all(i.weights == (1, 0) for i in MHT.items)  # yes = 1, no = 0 everywhere
    assert not any(i.text for i in MHT.items)  # no item texts shipped
    assert MHT.norms == ()


# Each row: the items answered yes, then what a person scoring by hand gets.
HAND = [
    pytest.param(
        (),
        # every scale 0; total 0; 0 <= 3 so all eight content scales are low
        {k: 0 for k in ITEMS},
        0,
        True,
        tuple(LOWS),
        id="all-no",
    ),
    pytest.param(
        (*range(1, 9), 82, 84, 86, 88, 90, 92, 94, 85),
        # learning 1-8 -> 8 (high); validity 82..94 -> 7 (doubtful); 85 is odd -> impulsivity 1
        # and a crisis item; total 8 + 1 = 9; the other content scales are 0 or 1 -> low
        {"learning_anxiety": 8, "impulsivity": 1, "validity": 7},
        9,
        False,
        (
            "validity_doubtful",
            "crisis_item:85",
            "scale_high:learning_anxiety",
            *LOWS[1:],
        ),
        id="doubtful-with-crisis",
    ),
    pytest.param(
        tuple(range(1, 66)),
        # 1-15 -> 15, 16-25 -> 10, 26-35 -> 10, 36-45 -> 10, 46-55 -> 10, 56-65 -> 10:
        # total 65 (>= 65: high); phobia and impulsivity 0 -> low
        {
            "learning_anxiety": 15,
            "social_anxiety": 10,
            "loneliness": 10,
            "self_blame": 10,
            "sensitivity": 10,
            "physical_symptoms": 10,
        },
        65,
        True,
        (
            "total_high",
            "scale_high:learning_anxiety",
            "scale_high:social_anxiety",
            "scale_high:loneliness",
            "scale_high:self_blame",
            "scale_high:sensitivity",
            "scale_high:physical_symptoms",
            "scale_low:phobia",
            "scale_low:impulsivity",
        ),
        id="total-exactly-65",
    ),
    pytest.param(
        (*range(1, 65), 97),
        # as above but physical 56-64 -> 9, and 97 (odd: impulsivity 1, crisis): total 64 + 1 = 65
        {
            "learning_anxiety": 15,
            "social_anxiety": 10,
            "loneliness": 10,
            "self_blame": 10,
            "sensitivity": 10,
            "physical_symptoms": 9,
            "impulsivity": 1,
        },
        65,
        True,
        (
            "crisis_item:97",
            "total_high",
            "scale_high:learning_anxiety",
            "scale_high:social_anxiety",
            "scale_high:loneliness",
            "scale_high:self_blame",
            "scale_high:sensitivity",
            "scale_high:physical_symptoms",
            "scale_low:phobia",
            "scale_low:impulsivity",
        ),
        id="crisis-97",
    ),
    pytest.param(
        (*range(1, 5), *range(16, 23), *range(26, 33), 82, 84, 86, 88, 90, 92),
        # learning 4 (neither), social 16-22 -> 7 (neither), loneliness 26-32 -> 7 (neither),
        # validity 6 (< 7: not doubtful); total 4 + 7 + 7 = 18; four scales at 0 -> low
        {"learning_anxiety": 4, "social_anxiety": 7, "loneliness": 7, "validity": 6},
        18,
        True,
        (
            "scale_low:self_blame",
            "scale_low:sensitivity",
            "scale_low:physical_symptoms",
            "scale_low:phobia",
            "scale_low:impulsivity",
        ),
        id="boundaries-just-inside",
    ),
]


@pytest.mark.parametrize(("yes", "raws", "total", "valid", "flags"), HAND)
def test_hand_checked_protocols(
    yes: tuple[int, ...], raws: dict[str, int], total: int, valid: bool, flags: tuple[str, ...]
) -> None:
    """Scale scores, total, validity and flags (in report order) as worked out by hand."""
    result = MHT.score(mht_yes(*yes))
    assert {k: result.scales[k].raw for k in ITEMS} == {k: raws.get(k, 0) for k in ITEMS}
    assert result.total == total
    assert result.valid is valid
    assert result.flags == flags


def test_answers_in_chinese_labels_score_like_bools() -> None:
    """是/不是 are the printed answers; they score exactly like True/False."""
    yes = {3, 17, 85}
    labels = ["是" if n in yes else "不是" for n in range(1, 101)]
    result = MHT.score(labels)
    assert result == MHT.score(mht_yes(*yes))
    assert (result.scales["learning_anxiety"].raw, result.scales["social_anxiety"].raw) == (1, 1)
    assert result.answers[2] is True and result.answers[3] is False


@given(protocols("mht"))
def test_total_is_the_sum_of_the_eight_content_scales(protocol: list[bool]) -> None:
    """Property: total = sum of content scales, never the validity items (nor all 100 items)."""
    result = MHT.score(protocol)
    by_hand = {k: sum(protocol[n - 1] for n in ITEMS[k]) for k in ITEMS}
    assert {k: result.scales[k].raw for k in ITEMS} == by_hand
    assert result.total == sum(by_hand[k] for k in CONTENT)
    assert result.valid == (by_hand["validity"] < 7)
    assert ("total_high" in result.flags) == (result.total >= 65)
    # the validity scale carries only its own flag, never the content scales' high/low notes
    assert result.scales["validity"].flags == (() if result.valid else ("validity_doubtful",))


def test_every_threshold_is_a_parameter() -> None:
    """validity 8 instead of 7; total 60; scales 7/4; crisis items chosen by the app."""
    proto = mht_yes(*range(1, 8), *range(82, 96, 2), 85)
    # learning 7, validity 7, impulsivity 1 (item 85); total 8
    default = MHT.score(proto)
    assert not default.valid and "crisis_item:85" in default.flags
    assert "scale_high:learning_anxiety" not in default.flags
    custom = mht(validity_cutoff=8, total_cutoff=8, scale_high=7, scale_low=0, crisis_items=(97,))
    result = custom.score(proto)
    assert result.valid
    assert result.flags[:2] == ("total_high", "scale_high:learning_anxiety")
    assert "crisis_item:85" not in result.flags
    assert "scale_low:phobia" in result.flags  # 0 <= 0
    assert "scale_low:impulsivity" not in result.flags  # 1 > 0


def test_with_thresholds_changes_one_rule_and_keeps_the_rest() -> None:
    """An app may move the validity cut-off to '> 7' (i.e. >= 8) without rebuilding."""
    stricter = MHT.with_thresholds(validity_doubtful=8)
    assert stricter == mht(validity_cutoff=8)
    assert stricter.threshold("total_high").value == 65
    assert stricter.score(mht_yes(*range(82, 96, 2))).valid  # validity 7


def test_validity_item_keys_can_be_overridden() -> None:
    """Re-keying item 82 (a "no" scores) changes the validity scale and nothing else."""
    rekeyed = mht(weights={82: (0, 1)})
    assert rekeyed.item(82).weights == (0, 1)
    # yes to 82..94: 82 now scores 0, 84..94 score 6; 96, 98, 100 are "no" -> 0
    result = rekeyed.score(mht_yes(*range(82, 96, 2)))
    assert result.scales["validity"].raw == 6 and result.valid
    # all "no": only item 82 scores now
    assert rekeyed.score(mht_yes()).scales["validity"].raw == 1
    assert MHT.with_weights({82: (0, 1)}) == rekeyed


def test_flag_kinds_and_labels() -> None:
    """Validity, safety, clinical and info flags carry zh/en labels with the scale's name."""
    result = MHT.score(mht_yes(*range(1, 9), *range(82, 96, 2), 85))
    kinds = {f.code: f.kind for f in result.flag_details}
    assert kinds["validity_doubtful"] is FlagKind.VALIDITY
    assert kinds["crisis_item:85"] is FlagKind.SAFETY
    assert kinds["scale_high:learning_anxiety"] is FlagKind.CLINICAL
    assert kinds["scale_low:phobia"] is FlagKind.INFO
    zh = result.interpretation("zh")
    assert zh[0].startswith("效度量表得分≥7")
    assert zh[1].startswith("第85题")
    assert zh[2] == "总焦虑倾向：9/90"
    assert "学习焦虑偏高（≥8）：8" in zh
    assert "high learning anxiety (>= 8): 8" in result.interpretation("en")
    assert result.has("crisis_item") and result.has("scale_low") and not result.has("total_high")


def test_result_repr_is_short_and_informative() -> None:
    """A result prints on one line with the total, validity and flags."""
    text = repr(MHT.score(mht_yes(*range(82, 96, 2))))
    assert "NOT VALID" in text and "validity_doubtful" in text and "\n" not in text
    assert len(repr(MHT)) < 400 and "100 items" in repr(MHT)


@pytest.mark.parametrize("item", [1, 50, 100])
def test_a_missing_answer_is_never_guessed(item: int, yes_to: Any) -> None:
    """None in place of an answer is refused, with its item number."""
    from casework.errors import InvalidResponses

    proto: list[Any] = yes_to()
    proto[item - 1] = None
    with pytest.raises(InvalidResponses) as info:
        MHT.score(proto)
    assert [p[0] for p in info.value.problems] == [item]


@given(st.sets(st.integers(1, 100), max_size=100))
def test_each_yes_adds_one_point_to_exactly_one_scale(yes: set[int]) -> None:
    """Property: the nine scale scores add up to the number of yes answers."""
    result = MHT.score(mht_yes(*yes))
    assert sum(result.raw) == len(yes)
