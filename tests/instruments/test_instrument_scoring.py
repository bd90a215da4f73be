"""Scoring in general: accepted responses, one error listing every problem, ranges, norms."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st
from instrument_strategies import (
    NEVER_VALID,
    SHIPPED,
    SPELLINGS,
    VALUES,
    mht_yes,
    protocols,
    shipped_keys,
    toy_instruments,
)

from casework.errors import InvalidResponses, InvalidValue
from casework.instruments import GAD7, MHT, PHQ9, RSES, Instrument, NormTable


@given(st.data())
def test_every_score_lies_within_its_range(data: st.DataObject) -> None:
    """Property: every scale and the total stay inside their declared ranges."""
    key = data.draw(shipped_keys)
    inst = SHIPPED[key]
    result = inst.score(data.draw(protocols(key)))
    for scale in inst.scales:
        assert scale.min <= result.scales[scale.key].raw <= scale.max
        assert result.scales[scale.key].max == scale.max
    assert inst.total.min <= result.total <= inst.total.max


@given(toy_instruments(), st.data())
def test_random_definitions_score_within_range_and_sum_their_keys(
    inst: Instrument, data: st.DataObject
) -> None:
    """Property, on random definitions: each scale is the sum of its items' weights."""
    answers = []
    for item in inst.items:
        values = [o.value for o in next(f for f in inst.formats if f.key == item.format).options]
        answers.append(data.draw(st.sampled_from(values)))
    result = inst.score(answers)
    for scale in inst.scales:
        expected = 0
        for n in scale.items:
            item = inst.items[n - 1]
            fmt = next(f for f in inst.formats if f.key == item.format)
            position = [o.value for o in fmt.options].index(answers[n - 1])
            expected += item.weights[position]
        assert result.scales[scale.key].raw == expected
        assert scale.min <= expected <= scale.max
    assert result.total == sum(result.raw)


@given(st.data())
def test_sequence_and_mapping_give_the_same_result(data: st.DataObject) -> None:
    """Property: a list, a tuple, an int-keyed and a str-keyed mapping (any order) agree."""
    key = data.draw(shipped_keys)
    answers = data.draw(protocols(key))
    inst = SHIPPED[key]
    order = data.draw(st.permutations(range(1, len(answers) + 1)))
    as_map = OrderedDict((n, answers[n - 1]) for n in order)
    as_json = {str(n): a for n, a in as_map.items()}
    expected = inst.score(answers)
    assert inst.score(tuple(answers)) == expected
    assert inst.score(as_map) == expected
    assert inst.score(as_json) == expected
    assert expected.answers == tuple(answers)


@given(st.data())
def test_every_spelling_of_an_answer_scores_the_same(data: st.DataObject) -> None:
    """Property: labels (zh/en, any case), 1/0 and aliases normalise to the option's value."""
    key = data.draw(shipped_keys)
    answers = data.draw(protocols(key))
    spelled = [data.draw(st.sampled_from(SPELLINGS[key][a])) for a in answers]
    result = SHIPPED[key].score(spelled)
    assert result == SHIPPED[key].score(answers)
    assert result.answers == tuple(answers)


@given(st.data())
def test_any_single_invalid_answer_is_reported_with_its_item_number(data: st.DataObject) -> None:
    """Property: one bad answer -> one InvalidResponses with exactly that item's number."""
    key = data.draw(shipped_keys)
    answers: list[Any] = data.draw(protocols(key))
    position = data.draw(st.integers(0, len(answers) - 1))
    answers[position] = data.draw(NEVER_VALID)
    with pytest.raises(InvalidResponses) as info:
        SHIPPED[key].score(answers)
    assert [item for item, _ in info.value.problems] == [position + 1]
    assert info.value.instrument == key


@given(st.data())
def test_all_problems_are_reported_at_once(data: st.DataObject) -> None:
    """Property: several bad answers (and a mapping's unknown items) all appear in one error."""
    key = data.draw(shipped_keys)
    answers: list[Any] = data.draw(protocols(key))
    bad = data.draw(st.sets(st.integers(1, len(answers)), min_size=1))
    for n in bad:
        answers[n - 1] = data.draw(NEVER_VALID)
    as_map: dict[Any, Any] = {n: a for n, a in enumerate(answers, start=1)}
    as_map[len(answers) + 1] = VALUES[key][0]
    with pytest.raises(InvalidResponses) as info:
        SHIPPED[key].score(as_map)
    assert sorted(item for item, _ in info.value.problems) == sorted(bad | {len(answers) + 1})


@pytest.mark.parametrize(
    "protocol",
    [
        [1, 0] * 50,  # ints: the bytes fast path
        [True, 0] * 50,  # mixed bools and ints
        ["是", 0] * 50,  # labels: the general path
        [1.0, False] * 50,  # a float equal to 1
    ],
)
def test_yes_no_answers_are_stored_as_true_and_false(protocol: list[Any]) -> None:
    """Whatever the spelling, the normalised answers are the bool singletons."""
    result = MHT.score(protocol)
    assert all(a is True for a in result.answers[::2])
    assert all(a is False for a in result.answers[1::2])
    # odd items answered yes: learning 1,3,..,15 -> 8; social 17..25 -> 5; impulsivity (odd
    # 81-99) -> 10; validity (even 82-100) -> 0
    assert result.scales["learning_anxiety"].raw == 8
    assert result.scales["social_anxiety"].raw == 5
    assert result.scales["impulsivity"].raw == 10
    assert result.scales["validity"].raw == 0
    assert result.item_scores[:4] == (1, 0, 1, 0)


@pytest.mark.parametrize("bad", [2, 255, 256, -1])
def test_small_integers_other_than_0_and_1_are_refused_on_yes_no_items(bad: int) -> None:
    """The bytes fast path must not let 2 (or -1, 256) through as an answer."""
    protocol: list[Any] = [0] * 100
    protocol[41] = bad
    with pytest.raises(InvalidResponses) as info:
        MHT.score(protocol)
    assert [p[0] for p in info.value.problems] == [42]


def test_a_yes_no_answer_to_a_likert_item_is_refused() -> None:
    """True would otherwise pass for 1: the PHQ-9 asks for 0-3, not yes/no."""
    with pytest.raises(InvalidResponses) as info:
        PHQ9.score([True, 0, 0, 0, 0, 0, 0, 0, False])
    assert [p[0] for p in info.value.problems] == [1, 9]
    assert "yes/no" in info.value.problems[0][1]


@pytest.mark.parametrize(
    ("responses", "expected"),
    [
        ("yes" * 100, [(None, "expected a list of answers or a mapping item -> answer, got str")]),
        (None, [(None, "expected a list of answers or a mapping item -> answer, got NoneType")]),
        (42, [(None, "expected a list of answers or a mapping item -> answer, got int")]),
    ],
)
def test_wrong_containers_are_refused(responses: Any, expected: Any) -> None:
    """A string, None or a number is not a protocol."""
    with pytest.raises(InvalidResponses) as info:
        MHT.score(responses)
    assert list(info.value.problems) == expected


def test_wrong_lengths_name_the_missing_or_extra_items() -> None:
    """Too short: every missing item by number; too long: the items that do not exist."""
    with pytest.raises(InvalidResponses) as info:
        GAD7.score([0, 1, 2, 3, 0])
    assert info.value.problems == (
        (None, "expected 7 answers, got 5"),
        (6, "no answer (every item must be answered)"),
        (7, "no answer (every item must be answered)"),
    )
    with pytest.raises(InvalidResponses) as info:
        GAD7.score([0] * 9)
    assert info.value.problems == (
        (None, "expected 7 answers, got 9"),
        (None, "there is no item 8, 9 (gad7 has 7 items)"),
    )


def test_mapping_keys_are_checked() -> None:
    """Non-numeric keys, unknown items, an item answered twice, a missing item."""
    answers: dict[Any, Any] = {n: 0 for n in range(2, 7)}
    answers.update({"x": 1, 0: 1, "3": 1, True: 2})  # True is not item 1
    with pytest.raises(InvalidResponses) as info:
        GAD7.score(answers)
    problems = info.value.problems
    assert (None, "'x' is not an item number") in problems
    assert (None, "True is not an item number") in problems
    assert (0, "no such item (gad7 has items 1-7)") in problems
    assert (3, "answered twice") in problems
    assert (1, "no answer (every item must be answered)") in problems
    assert (7, "no answer (every item must be answered)") in problems
    assert "gad7: 6 problem(s)" in str(info.value)


def test_definitions_and_results_survive_pickle() -> None:
    """Apps may pickle (multiprocessing, caches): equal after the round trip, still scoring."""
    import pickle

    result = MHT.score(mht_yes(1, 85))
    assert pickle.loads(pickle.dumps(result)) == result
    again = pickle.loads(pickle.dumps(MHT))
    assert again == MHT and again.score(mht_yes(1, 85)) == result


def test_results_are_frozen_values() -> None:
    """Equal protocols give equal, hashable results that cannot be changed."""
    a, b = RSES.score([3] * 10), RSES.score(["SA"] * 10)
    assert a == b and hash(a) == hash(b)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        a.total = 0  # type: ignore[misc]
    assert a != RSES.score([2] * 10)
    assert a.item_scores == (3, 0, 3, 3, 0, 0, 3, 0, 0, 3)


def test_norm_tables_give_standard_scores_for_their_group() -> None:
    """A user-supplied table converts raw to standard scores; other scales stay None."""
    points = [(raw, min(10, raw // 2 + 1)) for raw in range(0, 16)]  # made up for the test
    normed = MHT.with_norms([NormTable("learning_anxiety", "g5-female", points)])
    result = normed.score(mht_yes(*range(1, 10)), group="g5-female")  # learning raw 9
    assert result.scales["learning_anxiety"].standard == 5  # 9 // 2 + 1
    assert result.scales["phobia"].standard is None
    assert result.total_standard is None
    assert normed.score(mht_yes()).scales["learning_anxiety"].standard is None
    with pytest.raises(InvalidValue, match="no norm table for group 'g4-male'"):
        normed.score(mht_yes(), group="g4-male")


def test_to_dict_is_plain_data_and_rescoring_the_answers_rebuilds_the_result() -> None:
    """A result exports as JSON-ready data; its answers (the fact) rebuild it exactly."""
    import json

    result = PHQ9.score(["好几天", 2, "2", 0, 0, 0, 0, 0, 1])
    data = json.loads(json.dumps(result.to_dict(), ensure_ascii=False))
    # 1 + 2 + 2 + 1 (item 9) = 6: mild; item 9 above 0
    assert data["total"] == 6 and data["band"] == "mild" and data["flags"] == ["crisis_item:9"]
    assert data["scales"] == {"depression": 6}
    assert PHQ9.score(data["answers"], group=data["group"]) == result


def test_interpretation_needs_a_known_language() -> None:
    """zh or en only."""
    with pytest.raises(InvalidValue):
        MHT.score(mht_yes()).interpretation("fr")
    assert GAD7.score([3] * 7).interpretation("en")[0] == "total: 21/21 (severe)"
