"""Due-work rules as data: built and checked like lifecycles, in code, dict and TOML."""

from __future__ import annotations

import copy
import pickle
from pathlib import Path

import pytest

from casework import DEFAULT_CATALOGUE, Anchor, Catalogue, DefinitionError, DueRule
from casework.catalogue import PROJECT_FILE
from casework.due import SHIPPED_DUE_RULES, rules_from_dict, rules_to_dict

DATA = Path(__file__).parent / "data"

REVIEW = DueRule(
    "plan_review",
    "计划执行满60天复核",
    "review the plan after 60 days",
    "entered",
    "revise_plan",
    after=60,
    states="intervention",
    lifecycles="standard",
)


def test_the_shipped_set_covers_the_issue() -> None:
    ids = {r.id for r in DEFAULT_CATALOGUE.due_rules}
    assert ids == {
        "referral_screening",
        "next_session",
        "post_assessment",
        "follow_up_30",
        "follow_up_90",
        "suspension_review",
        "consent_renewal",
        "no_contact",
        "register_visit",
    }
    assert DEFAULT_CATALOGUE.due_rule("follow_up_30").after == 30
    assert DEFAULT_CATALOGUE.due_rule("follow_up_90").after == 90
    assert DEFAULT_CATALOGUE.due_rule("referral_screening").after == 7
    assert Catalogue(shipped=False).due_rules == ()


def test_rules_round_trip_through_dicts_and_copy() -> None:
    assert rules_from_dict(rules_to_dict(SHIPPED_DUE_RULES)) == SHIPPED_DUE_RULES
    assert pickle.loads(pickle.dumps(REVIEW)) == REVIEW == copy.deepcopy(REVIEW)
    assert REVIEW.anchor is Anchor.ENTERED and REVIEW.clears == ("revise_plan",)
    assert REVIEW.label("zh") == "计划执行满60天复核"


def test_a_bad_rule_lists_every_problem() -> None:
    with pytest.raises(DefinitionError) as caught:
        DueRule("bad id", "", "x", "sometime", (), after=-1)
    problems = "\n".join(caught.value.problems)
    for expected in ("identifier", "zh:", "anchor:", "clears:", "after:"):
        assert expected in problems
    with pytest.raises(DefinitionError, match="names the states"):
        DueRule("r", "做", "do", "entered", "screen")
    with pytest.raises(DefinitionError, match="only an 'entered' rule repeats"):
        DueRule("r", "做", "do", "consent", "record_consent", states="intake", repeat=True)
    with pytest.raises(DefinitionError, match="record_visit"):
        DueRule("r", "做", "do", "visit", "record_session")


def test_the_catalogue_checks_rules_against_its_lifecycles() -> None:
    catalogue = Catalogue(due_rules=[REVIEW])
    assert catalogue.due_rule("plan_review") == REVIEW
    assert pickle.loads(pickle.dumps(catalogue)).due_rules == catalogue.due_rules
    assert catalogue.extended().due_rules == catalogue.due_rules
    wrong = [
        DueRule("r1", "做", "do", "entered", "screen", states="nowhere", lifecycles="standard"),
        DueRule("r2", "做", "do", "entered", "fly", states="referral", lifecycles="standard"),
        DueRule("r3", "做", "do", "entered", "screen", states="referral", lifecycles="other"),
    ]
    with pytest.raises(DefinitionError) as caught:
        Catalogue(due_rules=wrong)
    problems = "\n".join(caught.value.problems)
    assert "'r1': no version of lifecycle 'standard' has all the states nowhere" in problems
    assert "'r2': 'fly' is no trigger or event" in problems
    assert "'r3': no lifecycle 'other'" in problems
    clash = DueRule("next_session", "做", "do", "entered", "screen", states="referral")
    with pytest.raises(DefinitionError, match="two different due rules are both"):
        Catalogue(due_rules=[clash])


def test_rules_are_read_from_toml_and_a_project_file(tmp_path: Path) -> None:
    (tmp_path / "rules.toml").write_text(
        """
[[due_rules]]
id = "plan_review"
zh = "计划执行满60天复核"
en = "review the plan after 60 days"
anchor = "entered"
clears = ["revise_plan"]
after = 60
states = ["intervention"]
lifecycles = ["standard"]
""",
        encoding="utf-8",
    )
    assert DEFAULT_CATALOGUE.load_due_rules(tmp_path / "rules.toml") == (REVIEW,)
    (tmp_path / PROJECT_FILE).write_text(
        '[casework]\ndue_rules = ["rules.toml"]\n', encoding="utf-8"
    )
    assert DEFAULT_CATALOGUE.with_project(tmp_path / PROJECT_FILE).due_rule("plan_review")
    (tmp_path / "bad.toml").write_text(
        '[[due_rules]]\nid = "x"\nzh = "做"\nen = "do"\nanchor = "entered"\nwhen = 3\n',
        encoding="utf-8",
    )
    with pytest.raises(DefinitionError, match="unknown keys"):
        DEFAULT_CATALOGUE.load_due_rules(tmp_path / "bad.toml")
    (tmp_path / "broken.toml").write_text("[[due_rules]\n", encoding="utf-8")
    for load in (DEFAULT_CATALOGUE.load_due_rules, DEFAULT_CATALOGUE.load_retention):
        for name in ("broken.toml", "missing.toml"):  # unreadable: the file is named once
            with pytest.raises(DefinitionError) as info:
                load(tmp_path / name)
            assert str(info.value).count(name) == 1, str(info.value)
