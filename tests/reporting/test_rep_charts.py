"""Charts: what each one draws (bars per scale, the lines at 8 and 65, a row per case...),
in both languages, with and without a CJK font, and the message when matplotlib is missing."""

from __future__ import annotations

import sys
import warnings
from datetime import datetime
from types import SimpleNamespace
from typing import Any

import pytest

pytest.importorskip("matplotlib")

from casework.demo import run_xuzhuang
from casework.engine import Engine
from casework.instruments import CONTENT_SCALES, MHT
from casework.records import Client
from casework.reporting import charts
from casework.standard import STANDARD


@pytest.fixture(scope="module")
def cases() -> list[Any]:
    """The five Xuzhuang children, referral to closure, MHT before and after."""
    return run_xuzhuang()[1]


def _patches(fig: Any, gid: str) -> list[Any]:
    return [p for ax in fig.axes for p in ax.patches if p.get_gid() == gid]


def _lines(fig: Any, gid: str) -> list[Any]:
    return [ln for ax in fig.axes for ln in ax.lines if ln.get_gid() == gid]


def _texts(fig: Any) -> str:
    """Every text the figure shows (titles, ticks, legends, annotations), joined."""
    with warnings.catch_warnings():  # drawn only to lay the texts out, not to be seen
        warnings.filterwarnings("ignore", message=r"Glyph \d+ .*missing from font")
        fig.canvas.draw()
    found = [t.get_text() for t in fig.findobj(lambda a: hasattr(a, "get_text"))]
    return "\n".join(found)


# --- MHT profile -----------------------------------------------------------------------------


def test_profile_has_one_bar_per_content_scale_and_phase(cases: list[Any]) -> None:
    """Eight content scales, validity left out, a bar before and a bar after for each."""
    fig = charts.mht_profile(cases[0], lang="en")
    before, after = _patches(fig, "phase-0"), _patches(fig, "phase-1")
    assert len(before) == len(after) == len(CONTENT_SCALES) == 8
    pre = cases[0].assessments[1].result  # screening, then baseline
    assert [p.get_width() for p in before] == [float(pre.scales[k].raw) for k in CONTENT_SCALES]
    ticks = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert ticks[0] == "learning anxiety (/15)" and ticks[1].endswith("(/10)")
    assert not any("validity" in t for t in ticks)


def test_profile_raw_draws_each_maximum_and_one_line_at_8(cases: list[Any]) -> None:
    """Raw mode: a frame to 15 or 10 behind each scale, one vertical line at 8 for all."""
    fig = charts.mht_profile(cases[1], lang="zh")
    frames = _patches(fig, "scale-max")
    assert [p.get_width() for p in frames] == [
        float(s.max) for s in MHT.scales if s.key in CONTENT_SCALES
    ]
    (line,) = _lines(fig, "high-line")
    assert list(line.get_xdata()) == [8, 8]


def test_profile_fraction_marks_8_against_each_maximum(cases: list[Any]) -> None:
    """Fraction mode: bars are raw/max and the line at 8 sits at 8/15 or 8/10 per scale."""
    fig = charts.mht_profile(cases[0], lang="en", mode="fraction")
    marks = _lines(fig, "high-line")
    assert len(marks) == 8
    xs = [m.get_xdata()[0] for m in marks]
    assert xs == pytest.approx([8 / 15, 0.8, 0.8, 0.8, 0.8, 8 / 15, 0.8, 0.8])
    pre = cases[0].assessments[1].result
    widths = [p.get_width() for p in _patches(fig, "phase-0")]
    assert widths == pytest.approx([pre.scales[k].raw / pre.scales[k].max for k in CONTENT_SCALES])


def test_profile_heading_reads_validity_then_total(cases: list[Any]) -> None:
    """The title says validity before the total, for before and after, and the cut-off."""
    title = charts.mht_profile(cases[0], lang="en").axes[0].get_title()
    assert "cut-off 65" in title
    before = next(line for line in title.splitlines() if line.startswith("before"))
    assert before.index("validity") < before.index("total")
    assert "after:" in title
    zh = charts.mht_profile(cases[0], lang="zh").axes[0].get_title()
    assert "前测" in zh and "效度" in zh and "临界值 65" in zh


def test_profile_of_results_before_only(cases: list[Any]) -> None:
    """A result alone draws one phase; labels follow the language."""
    pre = cases[2].assessments[1]
    fig = charts.mht_profile(pre, lang="zh", title="乐乐")
    assert len(_patches(fig, "phase-0")) == 8 and not _patches(fig, "phase-1")
    assert "学习焦虑 (/15)" in _texts(fig)


def test_profile_refuses_unknown_mode_and_language(cases: list[Any]) -> None:
    from casework.errors import InvalidValue

    with pytest.raises(InvalidValue, match="mode"):
        charts.mht_profile(cases[0], mode="percent")
    with pytest.raises(InvalidValue, match="lang"):
        charts.mht_profile(cases[0], lang="fr")


# --- cohort totals -------------------------------------------------------------------------


def _opened_only(engine: Engine, case_id: str) -> Any:
    client = Client(f"{case_id}-c", "待评估", datetime(2012, 1, 1).date())
    return engine.open(case_id, client, at=datetime(2023, 5, 1), by="w")


def test_cohort_draws_a_pair_per_assessed_case_and_the_line_at_65(cases: list[Any]) -> None:
    """One joined pair of dots per case with a baseline and a post; others are left out."""
    extra = _opened_only(Engine(STANDARD), "XZ-EXTRA")
    fig = charts.cohort_totals([*cases, extra], lang="en")
    pairs = [ln for ln in fig.axes[0].lines if (ln.get_gid() or "").startswith("pair-")]
    assert len(pairs) == 5
    assert {ln.get_gid() for ln in pairs} == {f"pair-{c.id}" for c in cases}
    first = next(ln for ln in pairs if ln.get_gid() == f"pair-{cases[0].id}")
    assert list(first.get_ydata()) == [44.0, 14.0]
    (cut,) = _lines(fig, "cutoff-line")
    assert list(cut.get_ydata()) == [65, 65]
    assert "(n=5)" in fig.axes[0].get_title()


def test_cohort_labels_are_case_ids_unless_asked(cases: list[Any]) -> None:
    """Names beside the dots are case ids by default (no personal field in a chart)."""
    shown = _texts(charts.cohort_totals(cases, lang="zh"))
    assert "XZ-2023-01" in shown and "京京" not in shown
    named = _texts(charts.cohort_totals(cases, lang="zh", label=lambda c: c.client.pseudonym))
    assert "京京" in named and "前测" in named and "后测" in named


def test_cohort_without_pairs_says_so() -> None:
    fig = charts.cohort_totals([], lang="en")
    assert "no data" in _texts(fig)


# --- caseload timeline ---------------------------------------------------------------------


def test_timeline_has_one_row_per_case_and_a_bar_per_stay(cases: list[Any]) -> None:
    """A row per case; a bar for each state the case passed through, coloured by state."""
    extra = _opened_only(Engine(STANDARD), "XZ-EXTRA")
    shown = [*cases, extra]
    fig = charts.caseload_timeline(shown, lang="en")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == [c.id for c in shown]
    rows = [c for c in ax.collections if (c.get_gid() or "").startswith("case-")]
    assert len(rows) == len(shown)
    # referral, screening, intake, assessment, planning, intervention, evaluation, closed
    assert len(rows[0].get_paths()) == 8
    assert len(rows[-1].get_paths()) == 1  # opened only: one stay, in referral
    colours = {tuple(rows[i].get_facecolors()[0]) for i in range(len(rows))}
    assert len(colours) == 1  # every case starts in referral, drawn in referral's colour
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend[0] == "referral" and "closed" in legend and "suspended" not in legend


def test_timeline_legend_in_chinese(cases: list[Any]) -> None:
    fig = charts.caseload_timeline(cases, lang="zh")
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend[:2] == ["发现/转介", "筛选"] and "结案" in legend


# --- monthly trends ------------------------------------------------------------------------


def test_timeline_dates_in_chinese(cases: list[Any]) -> None:
    """A zh timeline's date ticks are 月 and 日, not Apr and May."""
    fig = charts.caseload_timeline(cases, lang="zh")
    _texts(fig)
    ticks = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert any(t.endswith("月") for t in ticks) and not any("Apr" in t for t in ticks)


def test_trends_draw_a_panel_per_indicator_and_a_bar_per_month() -> None:
    rows = [{"month": f"2023-{m:02d}", "sessions": m, "participants": 10 * m} for m in (1, 2, 3)]
    fig = charts.indicator_trends(rows, lang="en", labels={"sessions": "sessions held"})
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in visible] == ["sessions held", "participants"]
    bars = _patches(fig, "trend-participants")
    assert [b.get_height() for b in bars] == [10, 20, 30]
    assert [t.get_text() for t in visible[0].get_xticklabels()] == ["2023-01", "2023-02", "2023-03"]


def test_trends_accept_a_table_with_rows_and_pick_columns() -> None:
    monthly = SimpleNamespace(rows=[{"month": "2023-01", "opened": 2, "closed": 1, "note": "x"}])
    fig = charts.indicator_trends(monthly, ["closed"], lang="zh")
    assert [ax.get_title() for ax in fig.axes if ax.get_visible()] == ["closed"]
    assert "指标月度趋势" in fig.get_suptitle()


# --- fonts, output, the extra --------------------------------------------------------------


def test_a_cjk_font_is_used_for_chinese_when_one_is_installed(cases: list[Any]) -> None:
    """With a CJK font, Chinese labels draw without a single missing-glyph warning."""
    font = charts.cjk_font()
    if font is None:
        pytest.skip("no CJK font installed here (apt-get install fonts-noto-cjk)")
    fig = charts.mht_profile(cases[0], lang="zh")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        charts.to_png(fig)
    label = fig.axes[0].get_yticklabels()[0]
    assert label.get_fontfamily()[0] == font


@pytest.fixture
def no_cjk_font(monkeypatch: pytest.MonkeyPatch) -> Any:
    """This machine as one without any CJK font; the "once" of the warning starts afresh."""
    monkeypatch.setattr(charts, "cjk_font", lambda: None)
    charts._warn_once.cache_clear()
    yield
    charts._warn_once.cache_clear()


def test_charts_still_draw_without_a_cjk_font(cases: list[Any], no_cjk_font: None) -> None:
    """No CJK font: the chart is drawn anyway (boxes for Chinese glyphs), never refused."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", charts.CJKFontWarning)
        fig = charts.mht_profile(cases[0], lang="zh")
        png = charts.to_png(fig)
    assert png.startswith(b"\x89PNG")
    assert fig.axes[0].get_yticklabels()[0].get_fontfamily() == ["DejaVu Sans"]


def test_without_a_cjk_font_png_says_so_once_in_one_warning(
    cases: list[Any], no_cjk_font: None
) -> None:
    """One CJKFontWarning for any number of charts, and no warning per missing glyph."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(2):
            charts.to_png(charts.mht_profile(cases[0], lang="zh"))
            charts.to_png(charts.caseload_timeline(cases, lang="zh"))
    assert [w.category for w in caught] == [charts.CJKFontWarning]
    message = str(caught[0].message)
    assert "\n" not in message and "no CJK font" in message and "fonts-noto-cjk" in message


def test_english_charts_do_not_warn_without_a_cjk_font(cases: list[Any], no_cjk_font: None) -> None:
    """An English chart needs no CJK font: no warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        charts.to_png(charts.mht_profile(cases[0], lang="en"))


@pytest.mark.parametrize("chart", ["timeline", "profile", "cohort", "trends"])
def test_svg_keeps_chinese_titles_and_legends_as_text(cases: list[Any], chart: str) -> None:
    """SVG charts hold their labels as <text> in a CJK font stack, not as glyph outlines."""
    import re

    fig = {
        "timeline": lambda: charts.caseload_timeline(cases, lang="zh"),
        "profile": lambda: charts.mht_profile(cases[0], lang="zh"),
        "cohort": lambda: charts.cohort_totals(cases, lang="zh"),
        "trends": lambda: charts.indicator_trends(
            [{"month": "2023-03", "opened": 5}], ["opened"], lang="zh"
        ),
    }[chart]()
    svg = charts.to_svg(fig)
    texts = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    expected = {
        "timeline": ["个案进程 (n=5)", "结案", "介入"],
        "profile": ["前测", "后测", "量表满分"],
        "cohort": ["MHT 总分前后对比 (n=5)", "前测", "后测", "临界值 65"],
        "trends": ["指标月度趋势"],
    }[chart]
    for label in expected:
        assert any(label in t for t in texts), (label, texts)
    assert svg.startswith("<svg") and "<text" in svg
    assert 'id="DejaVuSans-' not in svg  # no glyph outlines
    families = set(re.findall(r"font-family: ([^;\"]*)", svg))
    assert families == {charts.SVG_FONTS} and "'Noto Sans CJK SC'" in charts.SVG_FONTS


def test_svg_charts_need_no_cjk_font_and_warn_about_nothing(
    cases: list[Any], no_cjk_font: None
) -> None:
    """Built for SVG only, a zh chart on a machine without CJK fonts raises no warning at
    all, and still holds its Chinese as text for the reader's browser to draw."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with charts.for_svg():
            fig = charts.caseload_timeline(cases, lang="zh")
        svg = charts.to_svg(fig)
    assert ">个案进程 (n=5)</text>" in svg


def test_a_stale_font_cache_is_rebuilt_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """A CJK font installed after matplotlib cached its font list is found (and the cache
    rewritten), not reported missing forever."""
    import copy
    from pathlib import Path

    from matplotlib import font_manager

    if not any(Path(p).is_file() for p in charts.CJK_FONT_FILES):
        pytest.skip("no known CJK font file here (apt-get install fonts-wqy-microhei)")
    stale = copy.copy(font_manager.fontManager)
    stale.ttflist = [f for f in stale.ttflist if charts._known_cjk([f]) is None]
    dumped: list[object] = []
    monkeypatch.setattr(font_manager, "fontManager", stale)
    monkeypatch.setattr(font_manager, "json_dump", lambda fm, path: dumped.append(path))
    charts.cjk_font.cache_clear()
    try:
        assert charts._known_cjk(stale.ttflist) is None
        found = charts.cjk_font()
        assert found is not None and found in {f.name for f in stale.ttflist}
        assert len(dumped) == 1 and str(dumped[0]).endswith(".json")
        assert charts.cjk_font() == found and len(dumped) == 1  # once
    finally:
        charts.cjk_font.cache_clear()


def test_no_font_file_anywhere_means_none(monkeypatch: pytest.MonkeyPatch) -> None:
    """No CJK font listed and no known file: None (and nothing is added)."""
    import copy

    from matplotlib import font_manager

    stale = copy.copy(font_manager.fontManager)
    stale.ttflist = [f for f in stale.ttflist if charts._known_cjk([f]) is None]
    monkeypatch.setattr(font_manager, "fontManager", stale)
    monkeypatch.setattr(charts, "CJK_FONT_FILES", ())
    monkeypatch.setattr(charts, "_font_files", lambda: [])
    charts.cjk_font.cache_clear()
    try:
        assert charts.cjk_font() is None
    finally:
        charts.cjk_font.cache_clear()


def test_missing_matplotlib_names_the_extra(
    cases: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError, match=r"pip install 'casework\[notebook\]'"):
        charts.cohort_totals(cases)
