"""Definitions as data: validated when built (every problem at once), values, plain dicts."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import given
from instrument_strategies import SHIPPED, toy_instruments, variants

from casework.errors import DefinitionError, InvalidValue
from casework.instruments import (
    MHT,
    Band,
    CrisisItem,
    FlagKind,
    Instrument,
    NormTable,
    Threshold,
    mht,
)


def base() -> dict[str, Any]:
    """A small sound questionnaire in plain data: 4 yes/no items, 2 scales, rules."""
    return {
        "id": "toy",
        "version": "1",
        "zh": "示例",
        "en": "example",
        "formats": [
            {
                "key": "yn",
                "options": [
                    {"value": True, "zh": "是", "en": "yes"},
                    {"value": False, "zh": "否", "en": "no", "aliases": ["n"]},
                ],
            }
        ],
        "items": [
            {"number": 1, "format": "yn", "weights": [1, 0]},
            {"number": 2, "format": "yn", "weights": [1, 0]},
            {"number": 3, "format": "yn", "weights": [0, 1], "text": "我很开心"},
            {"number": 4, "format": "yn", "weights": [1, 0]},
        ],
        "scales": [
            {
                "key": "a",
                "zh": "甲",
                "en": "A",
                "items": [1, 2],
                "min": 0,
                "max": 2,
                "better": "lower",
            },
            {
                "key": "b",
                "zh": "乙",
                "en": "B",
                "items": [3, 4],
                "min": 0,
                "max": 2,
                "better": "lower",
            },
        ],
        "total": {
            "scales": ["a", "b"],
            "min": 0,
            "max": 4,
            "better": "lower",
            "zh": "总",
            "en": "T",
        },
        "bands": [
            {"key": "low", "low": 0, "high": 1, "zh": "低", "en": "low"},
            {"key": "high", "low": 2, "high": 4, "zh": "高", "en": "high"},
        ],
        "thresholds": [
            {
                "name": "high",
                "targets": ["a", "b"],
                "op": ">=",
                "value": 2,
                "kind": "clinical",
                "zh": "{target}高",
                "en": "{target} high",
                "per_target": True,
            }
        ],
        "crisis_items": [{"item": 4, "answers": [True], "zh": "危机{item}", "en": "crisis {item}"}],
        "norms": [{"scale": "a", "group": "all", "points": [[0, 1], [1, 5], [2, 9]]}],
    }


def test_the_base_definition_is_sound_and_scores() -> None:
    """The fixture itself builds, scores, and round-trips."""
    inst = Instrument.from_dict(base())
    assert inst.to_dict() == base()
    result = inst.score(["是", "否", "n", True], group="all")
    # a: item 1 yes (1) + item 2 no (0) = 1; b: item 3 "no" scores 1 (reversed), item 4 yes 1
    assert (result.scales["a"].raw, result.scales["b"].raw, result.total) == (1, 2, 3)
    assert result.flags == ("crisis_item:4", "high:b")
    assert result.scales["a"].standard == 5
    assert result.band == Band("high", 2, 4, "高", "high")
    assert inst.item(3).text == "我很开心"


def broken(**changes: Any) -> dict[str, Any]:
    d = copy.deepcopy(base())
    for path, value in changes.items():
        target: Any = d
        *parts, last = path.split("__")
        for p in parts:
            target = target[int(p)] if p.isdigit() else target[p]
        target[int(last) if last.isdigit() else last] = value
    return d


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"items__2__number": 5}, "items must be numbered 1, 2, 3...: item 3 is numbered 5"),
        ({"items__1__format": "likert"}, "item 2: unknown format 'likert'"),
        ({"items__0__weights": [1]}, "item 1: the key has 1 weights for 2 options"),
        ({"scales__0__items": [1, 1, 2]}, "scale 'a': item(s) [1] listed more than once"),
        ({"scales__0__items": [1, 2, 9]}, "scale 'a': no such item(s) [9]"),
        ({"scales__0__max": 3}, "scale 'a': declared range 0-3 but its items give 0-2"),
        ({"scales__1__items": [3]}, "item(s) [4] belong to no scale"),
        ({"scales__1__key": "total"}, "'total' is reserved"),
        ({"total__max": 5}, "total: declared range 0-5 but its scales give 0-4"),
        ({"total__scales": ["a", "c"]}, "total: no such scale(s) ['c']"),
        ({"bands__1__low": 1}, "bands 'low' (0-1) and 'high' (1-4) overlap"),
        ({"bands__1__high": 7}, "band 'high': 2-7 lies outside the total's range 0-4"),
        ({"thresholds__0__per_target": False}, "several targets need per_target=True"),
        ({"thresholds__0__targets": ["a", "z"]}, "threshold 'high': no such scale 'z'"),
        ({"thresholds__0__op": "=>"}, "op must be one of >=, >, <=, <"),
        ({"thresholds__0__value": 3}, "value 3 lies outside 'a''s range 0-2"),
        ({"crisis_items__0__item": 5}, "crisis item 5: no such item"),
        ({"crisis_items__0__answers": [1]}, "crisis item 4: [1] are not options of the item"),
        ({"norms__0__points": [[0, 1], [2, 9]]}, "no standard score for raw score(s) [1]"),
        ({"norms__0__scale": "q"}, "norm table 'q'/'all': no such scale"),
        (
            {"formats__0__options__1__aliases": ["yes"]},
            "format 'yn': input 'yes' means two options",
        ),
    ],
)
def test_each_definition_problem_is_reported(changes: dict[str, Any], message: str) -> None:
    """Every check of the definition, one at a time."""
    with pytest.raises(DefinitionError) as info:
        Instrument.from_dict(broken(**changes))
    assert any(message in p for p in info.value.problems), info.value.problems
    assert info.value.name == "toy"


def test_all_definition_problems_are_reported_at_once() -> None:
    """Four unrelated problems -> one DefinitionError listing the four."""
    d = broken(
        items__1__format="likert",
        thresholds__0__op="=>",
        bands__1__low=1,
        crisis_items__0__item=5,
    )
    with pytest.raises(DefinitionError) as info:
        Instrument.from_dict(d)
    problems = "\n".join(info.value.problems)
    for expected in ("unknown format", "op must be one of", "overlap", "crisis item 5"):
        assert expected in problems
    assert len(info.value.problems) >= 4


def test_shape_problems_carry_their_path() -> None:
    """Wrong types in plain data are reported with a $.path before anything is built."""
    d = broken(items__2__weights="10", scales__0__better="worse", thresholds__0__value="2")
    d["colour"] = "red"
    del d["version"]
    with pytest.raises(DefinitionError) as info:
        Instrument.from_dict(d)
    problems = info.value.problems
    assert "$.items[2].weights: expected list, got '10'" in problems
    assert "$.thresholds[0].value: expected int or float, got '2'" in problems
    assert "$.version: missing" in problems
    assert "$: unknown field(s) ['colour']" in problems
    assert any(p.startswith("$.scales[0]: better: 'worse'") for p in problems)


def test_a_bool_is_not_a_number_in_plain_data() -> None:
    """JSON true must not pass for 1 in a weight."""
    with pytest.raises(DefinitionError, match=r"\$\.items\[0\]\.weights\[0\]"):
        Instrument.from_dict(broken(items__0__weights=[True, 0]))


@pytest.mark.parametrize("key", sorted(SHIPPED))
def test_every_shipped_instrument_round_trips_through_json(key: str) -> None:
    """to_dict is plain JSON data; from_dict gives back an equal instrument and the same dict."""
    inst = SHIPPED[key]
    d = inst.to_dict()
    text = json.dumps(d, ensure_ascii=False)
    again = Instrument.from_dict(json.loads(text))
    assert again == inst and hash(again) == hash(inst)
    assert again.to_dict() == d


@given(variants())
def test_round_trip_of_any_variant(inst: Instrument) -> None:
    """Property: from_dict(to_dict(x)) == x for instruments built with other rules."""
    assert Instrument.from_dict(inst.to_dict()) == inst
    assert Instrument.from_dict(json.loads(json.dumps(inst.to_dict()))) == inst


@given(toy_instruments())
def test_round_trip_of_random_definitions(inst: Instrument) -> None:
    """Property: the same for random questionnaires (Likert and yes/no, any keys)."""
    assert Instrument.from_dict(inst.to_dict()) == inst


def test_definitions_are_values() -> None:
    """Equal definitions compare and hash equal; a change makes a different value."""
    assert mht() == MHT and hash(mht()) == hash(MHT)
    assert mht(total_cutoff=60) != MHT
    assert len({MHT, mht(), mht(scale_low=2)}) == 2
    text = repr(MHT)
    assert text.startswith("<Instrument mht v1991") and text.count("\n") == 0


def test_with_rules_replaces_rule_lists_and_revalidates() -> None:
    """with_rules swaps thresholds, bands or crisis items; a bad rule is refused."""
    quiet = MHT.with_rules(crisis_items=())
    assert quiet.crisis_items == () and quiet.thresholds == MHT.thresholds
    extra = Threshold("phobia_watch", ["phobia"], ">=", 5, FlagKind.CLINICAL, "注意", "watch")
    watched = MHT.with_rules(thresholds=(*MHT.thresholds, extra))
    assert "phobia_watch" in watched.score([n in range(71, 76) for n in range(1, 101)]).flags
    with pytest.raises(DefinitionError, match="crisis item 101: no such item"):
        MHT.with_rules(crisis_items=[CrisisItem(101, [True])])
    with pytest.raises(InvalidValue, match="no threshold named nope"):
        MHT.with_thresholds(nope=3)


def test_with_texts_adds_user_item_texts() -> None:
    """Apps supply item texts (casework ships none); the texts round-trip."""
    texts = MHT.with_texts({1: "（用户提供的题目）"})
    assert texts.item(1).text == "（用户提供的题目）" and texts != MHT
    assert Instrument.from_dict(texts.to_dict()) == texts
    with pytest.raises(InvalidValue):
        MHT.with_texts({0: "x"})


def test_norm_tables_are_checked_against_the_scale() -> None:
    """A norm table must give a standard score for every raw score of its scale."""
    with pytest.raises(DefinitionError, match=r"no standard score for raw score\(s\) \[10\]"):
        MHT.with_norms([NormTable("phobia", "g5", [(r, r) for r in range(10)])])


def test_constructor_refuses_a_string_where_a_list_belongs() -> None:
    """targets="total" would otherwise become ('t', 'o', 't', 'a', 'l')."""
    with pytest.raises(InvalidValue, match="expected a list"):
        Threshold("t", "total", ">=", 1, "clinical", "", "")  # type: ignore[arg-type]
