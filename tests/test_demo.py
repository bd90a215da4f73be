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
    assert len(ds.activities) == 4 and len(ds.volunteers) == 3 and len(ds.workers) == 3


# --- the station's supervisor, register and agenda (issue 10, item 8) -------------------------


def test_each_closure_is_approved_by_the_supervisor_never_by_who_asked() -> None:
    """The demo runs on MHT_SUPERVISED: the worker requests each closure, the supervisor
    approves it; nobody approves their own request."""
    from casework.demo import SUPERVISOR, WORKERS
    from casework.records import Role

    engine, cases = run_xuzhuang()
    assert engine.lifecycle.id == "standard_mht_supervised"
    assert SUPERVISOR in WORKERS and SUPERVISOR.role is Role.SUPERVISOR
    for case in cases:
        (request,) = [e for e in case.history if e.type == "approval_requested"]
        closed = case.history[-1]
        assert request.payload["requested"] == "close" and request.actor == WORKERS[0].id
        assert closed.state == "closed" and closed.actor == SUPERVISOR.id
        assert closed.payload["approval"]["request"] == request.seq
        assert closed.payload["approval"]["requested_by"] != closed.actor
        assert not case.pending


def test_the_demo_still_runs_on_a_lifecycle_without_approvals() -> None:
    """An app's own ``Engine(MHT_LIFECYCLE)`` closes directly, and the summary says nothing
    of approvals."""
    from casework.engine import Engine
    from casework.standard import MHT_LIFECYCLE

    _, cases = run_xuzhuang(Engine(MHT_LIFECYCLE))
    assert all(c.state == "closed" and c.history[-1].actor == "wu-chao" for c in cases)
    assert not any(e.type == "approval_requested" for c in cases for e in c.history)
    assert "approved" not in summary(cases, "en")


def test_an_engine_without_the_supervisor_is_told_how_to_approve() -> None:
    from casework.engine import Engine
    from casework.errors import InvalidValue
    from casework.standard import MHT_SUPERVISED

    with pytest.raises(InvalidValue, match="workers=WORKERS"):
        run_xuzhuang(Engine(MHT_SUPERVISED))


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("en", "closures approved by the supervisor: 5/5 (requested by wu-chao, approved by "
               "zhou-supervisor)"),
        ("zh", "督导审批结案：5/5（wu-chao 申请，zhou-supervisor 批准）"),
    ],
)  # fmt: skip
def test_the_summary_says_the_supervisor_approved_each_closure(lang: str, words: str) -> None:
    _, cases = run_xuzhuang()
    assert words in summary(cases, lang)


def test_the_register_is_illustrative_and_one_visit_finds_a_need() -> None:
    from casework.demo import RESIDENTS, run_station
    from casework.register import Register

    _, _, journal = run_station()
    kept = Register.of(journal)
    assert set(kept.residents) == {r.id for r in RESIDENTS}
    assert all("示例" in r.name for r in kept.residents.values())
    groups = {g for r in kept.residents.values() for g in r.target_groups}
    assert groups == {"elderly_living_alone", "child_in_difficulty"}
    assert [v.id for v in kept.visits if v.found_need] == ["xz-v-06"]


def test_the_register_is_on_the_agenda_of_the_day() -> None:
    """On 10 July: 王奶奶 is five days late for her visit, 张爷爷's is due within the week,
    and every child's 30-day follow-up is four days late."""
    from casework.demo import AGENDA_DAY, run_station
    from casework.reporting.agenda import agenda

    _, cases, journal = run_station()
    items = agenda(cases, [journal], on=AGENDA_DAY)
    seen = {(i.subject, i.rule, i.days_overdue) for i in items}
    assert ("xz-r-01", "register_visit", 5) in seen
    assert ("xz-r-02", "register_visit", 0) in seen
    assert {(c[0], "follow_up_30", 4) for c in CHILDREN} <= seen
    assert all(i.worker == "wu-chao" for i in items)


@pytest.mark.parametrize(
    ("lang", "words"),
    [("en", ["agenda for 2023-07-10", "follow-up visit 30 days after closure", "xz-r-01",
             "outreach register: 3 people under watch (illustrative), 6 visits, 1 found a need"]),
     ("zh", ["待办事项（2023-07-10）", "结案后30天回访", "按走访周期入户走访",
             "走访台账：在册 3 人（示例），走访 6 次，1 次发现需求"])],
)  # fmt: skip
def test_the_demo_prints_the_agenda_of_one_day_at_the_end(
    lang: str, words: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo", "--lang", lang]) == 0
    out = capsys.readouterr().out
    tail = out[out.index(words[-1]) :]
    assert all(w in tail for w in words)
    assert sum(1 for line in tail.splitlines() if "XZ-2023-0" in line) == 5


def test_the_done_when_command_on_a_fresh_demo_store(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``casework agenda --db demo.sqlite --on 2023-07-10`` lists each child's 30-day
    follow-up as overdue; show and report read the store with no extra options."""
    db = str(tmp_path / "demo.sqlite")
    assert main(["demo", "--db", db]) == 0
    capsys.readouterr()
    assert main(["agenda", "--db", db, "--on", "2023-07-10", "--overdue"]) == 0
    lines = capsys.readouterr().out.splitlines()
    late = {line.split()[2] for line in lines if "follow-up visit 30 days" in line}
    assert late == {c[0] for c in CHILDREN}
    assert any("xz-r-01" in line for line in lines)  # the register, late too
    assert main(["show", "XZ-2023-01", "--db", db]) == 0
    shown = capsys.readouterr().out
    assert "(standard_mht_supervised)" in shown and "zhou-supervisor" in shown
    out = tmp_path / "report.html"
    assert main(["report", "--db", db, "--year", "2023", "--out", str(out), "--no-charts"]) == 0
    assert "XZ-2023-05" in capsys.readouterr().out
