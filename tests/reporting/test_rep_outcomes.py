"""Outcome tables on small stations: the report is written and says why reliable change
cannot be estimated (issue 12: 0 or 1 child measured twice, or identical baselines).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from casework import demo
from casework.assessment import Phase
from casework.case import Case
from casework.cli.report import main as report_main
from casework.reporting import Dataset
from casework.reporting.html import yearly_report
from casework.reporting.indicators import outcomes

#: What the outcome notes say, per reason and language.
NONE = {"zh": "没有服务对象同时有前测和后测", "en": "nobody has both a baseline and a post"}
ONE = {"zh": "只有 1 名服务对象有前后测", "en": "only 1 person has a baseline and a post"}
SAME = {"zh": "前测总分都是", "en": "baseline totals are"}
CANNOT = {"zh": "无法评估可靠变化", "en": "reliable change cannot be estimated"}


def _same_answers(case_id: str, phase: Phase, profile: object) -> list[bool]:
    """Every child answers alike: identical baselines, a milder post."""
    yes = set(range(1, 41)) if phase is not Phase.POST else set(range(1, 11))
    return [n in yes for n in range(1, 101)]


def children(n: int, *, identical: bool = False) -> list[Case]:
    """The demo's first ``n`` children (their baselines all the same when ``identical``)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(demo, "CHILDREN", demo.CHILDREN[:n])
        if identical:
            mp.setattr(demo, "_answers", _same_answers)
        _, cases = demo.run_xuzhuang()
    return cases


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize(
    ("n", "identical", "reason"), [(0, False, NONE), (1, False, ONE), (2, True, SAME)]
)
def test_small_station_gets_its_report_saying_why(
    tmp_path: Path, lang: str, n: int, identical: bool, reason: dict[str, str]
) -> None:
    """The report is built and written; its outcome table says why, in the report's language."""
    ds = Dataset(children(n, identical=identical))
    report = yearly_report(ds, 2023, lang=lang, charts=False, diagram=False)
    text = report.to_text()
    assert reason[lang] in text and CANNOT[lang] in text
    written = report.write(tmp_path / "report.html").read_text(encoding="utf-8")
    assert reason[lang] in written and CANNOT[lang] in written


def test_the_reliable_change_columns_are_empty_not_zero_when_not_estimable() -> None:
    """One child: n and improved are counted, the reliable-change columns are None."""
    row = outcomes(Dataset(children(1)), lang="en").row(instrument="mht")
    assert row["n"] == 1 and row["improved"] == 1
    assert all(row[k] is None for k in ("reliably_improved", "recovered", "unchanged"))


def test_identical_baselines_name_the_shared_score() -> None:
    """The note gives the one total everybody scored, as the refusal did."""
    table = outcomes(Dataset(children(2, identical=True)), lang="en")
    note = next(n for n in table.note_texts() if "no variance" in n)
    assert "all 2 baseline totals are 40" in note


def test_notes_follow_the_table_language() -> None:
    """A note is bilingual: the same table shows it in Chinese or English."""
    table = outcomes(Dataset(children(3)), lang="zh")
    zh, en = table.note_texts(), table.in_lang("en").note_texts()
    assert any("由本组 3 名服务对象的前测估计（KR-20）" in n for n in zh)
    assert any("临界值 65（量表自身的规则 total_high）" in n for n in zh)
    assert any("estimated from the cohort's own 3 baselines (KR-20)" in n for n in en)
    assert not any("estimated:" in n or "rule 'total_high'" in n for n in zh)


def test_one_child_store_gets_its_report_from_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``casework report`` on a store holding one child measured twice writes the report."""
    from casework.engine import Engine
    from casework.standard import MHT_LIFECYCLE
    from casework.store import SQLiteStore

    db, out = tmp_path / "one.db", tmp_path / "one.html"
    with pytest.MonkeyPatch.context() as mp, SQLiteStore(db) as store:
        mp.setattr(demo, "CHILDREN", demo.CHILDREN[:1])
        demo.run_xuzhuang(Engine(MHT_LIFECYCLE, store=store))
    args = ["--db", str(db), "--year", "2023", "--lang", "zh", "--out", str(out), "--no-charts"]
    assert report_main(args) == 0
    assert ONE["zh"] in capsys.readouterr().out
    assert ONE["zh"] in out.read_text(encoding="utf-8")


@pytest.mark.parametrize(("n", "identical"), [(1, False), (2, True)])
def test_small_station_gets_its_charts_too(n: int, identical: bool) -> None:
    """The charts of a one-child or uniform cohort are drawn (profile, cohort, timeline)."""
    pytest.importorskip("matplotlib")
    report = yearly_report(Dataset(children(n, identical=identical)), 2023, diagram=False)
    names = [c.name for c in report.charts]
    assert "timeline" in names and "cohort-mht" in names
    assert sum(name.startswith("profile-") for name in names) == n
