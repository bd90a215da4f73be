"""The Xuzhuang demo and the ``casework demo`` command."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from casework.cli import main
from casework.demo import CHILDREN, run_xuzhuang, summary


def test_demo_runs_five_children_through_ten_sessions_to_closure() -> None:
    _, cases = run_xuzhuang()
    assert len(cases) == len(CHILDREN) == 5
    assert all(c.state == "closed" for c in cases)
    assert sum(c.held_sessions for c in cases) == 50  # 共计50次上门心理援助服务
    for case in cases:
        assert {s.mode.value for s in case.sessions} == {"home_visit"}
        assert all(e.at.year == 2023 for e in case.history)
        givers = {c.giver.value for c in case.consents}
        assert givers == {"client", "guardian"}


@pytest.mark.parametrize(("lang", "words"), [("en", "home sessions held: 50"), ("zh", "结案")])
def test_summary_in_each_language(lang: str, words: str) -> None:
    _, cases = run_xuzhuang()
    text = summary(cases, lang)
    assert words in text
    assert all(pseudonym in text for _, pseudonym, *_ in CHILDREN)


def test_summary_refuses_unknown_language() -> None:
    with pytest.raises(ValueError, match="lang"):
        summary([], "fr")


def test_cli_demo(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--lang", "zh"]) == 0
    assert "许庄" in capsys.readouterr().out


def test_python_dash_m_runs_the_demo() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "casework", "demo"], capture_output=True, text=True, check=True
    ).stdout
    assert "cases: 5" in out


def test_demo_measures_every_child_before_and_after() -> None:
    from casework.assessment import Phase, baseline, outcomes, post_after

    _, cases = run_xuzhuang()
    for case in cases:
        phases = [a.phase for a in case.assessments]
        assert phases == [Phase.SCREENING, Phase.BASELINE, Phase.POST]
        pre = baseline(case, "mht")
        assert pre is not None
        post = post_after(case, pre)
        assert post is not None and post.result.total < pre.result.total  # MHT评分均有提高
    summary_ = outcomes(cases)
    assert summary_.n == 5 and "estimated: KR-20 from n=5" in summary_.notes[0]


def test_demo_raises_and_shows_the_crisis_alert() -> None:
    _, cases = run_xuzhuang()
    with_alerts = [c.client.pseudonym for c in cases if c.alerts]
    assert with_alerts == ["乐乐"]
    text = summary(cases, "en")
    assert "screening: yes to item 85" in text
    assert "RCI" in text and "improved" in text


def test_the_simulate_subcommand_is_wired(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["simulate", "--help"])
    assert info.value.code == 0
    assert "SCENARIO.toml" in capsys.readouterr().out


def test_the_report_subcommand_is_wired(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["report", "--help"])
    assert info.value.code == 0
    assert "--year" in capsys.readouterr().out


def test_a_missing_extra_is_one_clear_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from casework import cli

    def missing(args: object) -> int:
        raise ImportError("casework charts need matplotlib: pip install 'casework[notebook]'")

    monkeypatch.setattr(cli, "_demo", missing)  # bound when main() builds the parser
    assert main(["demo"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("casework: ") and "pip install 'casework[notebook]'" in err
    assert "Traceback" not in err


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_summary_shows_flags_and_notes_as_words_not_codes(lang: str) -> None:
    """Flags are their labels, notes are in the summary's language (issue 12)."""
    _, cases = run_xuzhuang()
    text = summary(cases, lang)
    assert "scale_high:" not in text
    if lang == "zh":
        assert "对人焦虑偏高" in text and "筛查：" in text
        assert "estimated:" not in text and "reliability" not in text
        assert "由本组 5 名服务对象的前测估计（KR-20）" in text
    else:
        assert "high anxiety about other people" in text


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_demo_and_report_agree_on_the_cut_off(lang: str) -> None:
    """Both judge "recovered" against the MHT's own cut-off, and print the same note."""
    from casework.reporting import Dataset
    from casework.reporting.indicators import outcomes as outcome_table

    _, cases = run_xuzhuang()
    text = summary(cases, lang)
    notes = outcome_table(Dataset(cases), lang=lang).note_texts()
    cutoff = next(n for n in notes if "65" in n)
    assert cutoff in text
    assert "no clinical cut-off" not in text and "未设临界值" not in text


def test_demo_store_holds_the_whole_station(tmp_path: Path) -> None:
    """With ``station=True`` the store gets the station's journal: the report is a full
    ledger, not zeros under "station"."""
    from casework.engine import Engine
    from casework.reporting import Dataset, YearReport
    from casework.standard import MHT_LIFECYCLE
    from casework.store import SQLiteStore

    db = tmp_path / "demo.db"
    with SQLiteStore(db) as store:
        run_xuzhuang(Engine(MHT_LIFECYCLE, store=store), station=True)
    with SQLiteStore(db) as store:
        ds = Dataset.from_store(store)
    assert ds.station is not None and ds.station.name == "许庄街道社工站"
    assert [p.name for p in ds.projects.values()] == ["心桥舒屋"]
    figures = YearReport(ds, 2023).figures()
    for key in ("social_workers", "volunteers", "teams", "partners", "projects", "activities"):
        assert figures[key] > 0, key
    assert figures["sessions"] == 50 and figures["volunteer_hours"] > 0
    assert all("示例" in a.title for a in ds.activities)  # illustrative, and labelled so
    assert all("示例" in t.name for t in ds.teams.values())


def test_the_cases_alone_by_default(tmp_path: Path) -> None:
    """Without ``station``, only the five cases are recorded (no journal in the store)."""
    from casework.engine import Engine
    from casework.standard import MHT_LIFECYCLE
    from casework.store import SQLiteStore

    with SQLiteStore(tmp_path / "cases.db") as store:
        run_xuzhuang(Engine(MHT_LIFECYCLE, store=store))
        assert {e.case_id for e in store.stream()} == {c[0] for c in CHILDREN}


def test_station_journal_is_the_same_in_memory() -> None:
    """Without a store, :func:`run_station` gives the journal to pass to a Dataset."""
    from casework.demo import run_station
    from casework.reporting import Dataset

    _, cases, journal = run_station()
    ds = Dataset(cases, [journal])
    assert len(ds.activities) == 4 and len(ds.volunteers) == 3 and len(ds.workers) == 2
