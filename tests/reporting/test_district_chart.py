"""The station comparison chart and the district's yearly report: the figures drawn are the
comparison table's, station names and labels are SVG text, the page renders in a browser."""

from __future__ import annotations

import re
import warnings
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytest.importorskip("matplotlib")

from browser import chromium, needs_chromium
from casework import STANDARD, Engine, SessionRecord
from casework.demo import run_station
from casework.errors import InvalidValue
from casework.reporting import Dataset, Period, charts
from casework.reporting.district import District
from casework.reporting.projections import Projection
from casework.store import MemoryStore
from strategies import T0, child, drive_to

Y2023 = Period.year(2023)


def _township(n: int, prefix: str) -> MemoryStore:
    """``n`` cases of a township station, every other one with a held session."""
    store = MemoryStore()
    engine = Engine(STANDARD, store=store)
    for i in range(n):
        at = T0 + timedelta(days=7 * i)
        case = engine.open(f"{prefix}-{i}", child(), at=at, by="wu", programme="p1")
        if i % 2:
            drive_to(engine, case, "intervention", at)
            held = at + timedelta(days=2)
            engine.record_session(case, SessionRecord(1, held_at=held), by="wu")
    return store


@pytest.fixture(scope="module")
def district() -> District:
    """Three stations: the demo (replayed), two townships read from their projections."""
    demo = MemoryStore()
    run_station(Engine(STANDARD, store=demo))
    return District(
        {
            "石桥": Dataset.from_store(demo),
            "柳桥": Projection(_township(6, "LQ")).dataset(),
            "Dongshan": Projection(_township(3, "DS")).dataset(),
        },
        name="太白湖区",
    )


def _bars(fig: Any, measure: str) -> list[float]:
    found = [p for ax in fig.axes for p in ax.patches if p.get_gid() == f"station-{measure}"]
    return [p.get_width() for p in found]


def _svg_texts(svg: str) -> list[str]:
    return re.findall(r"<text[^>]*>([^<]*)</text>", svg)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_bars_are_the_comparison_tables_figures(district: District, lang: str) -> None:
    table = district.comparison(Y2023)
    fig = district.comparison_chart(Y2023, lang=lang)
    stations = [r for r in table.rows if r["station"] != "total"]
    for measure in charts.COMPARISON_MEASURES:
        assert _bars(fig, measure) == [float(r[measure]) for r in stations], measure
    assert _bars(fig, "opened") == [5.0, 6.0, 3.0]  # one bar per station, in the table's order
    ticks = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert ticks == ["石桥", "柳桥", "Dongshan"]


def test_each_panel_shows_the_district_total(district: District) -> None:
    table = district.comparison(Y2023)
    total = table.row(station="total")
    fig = district.comparison_chart(Y2023, lang="en")
    titles = [ax.get_title() for ax in fig.axes if ax.get_visible()]
    assert len(titles) == len(charts.COMPARISON_MEASURES)
    for title, measure in zip(titles, charts.COMPARISON_MEASURES, strict=True):
        assert title.endswith(f"district total {total[measure]:,}"), title
    assert titles[0].startswith("cases opened")
    assert total["opened"] == 14


def test_the_svg_holds_station_names_and_chinese_labels_as_text(district: District) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # built for SVG: no font warning, whatever is installed
        with charts.for_svg():
            fig = district.comparison_chart(Y2023, lang="zh")
        svg = charts.to_svg(fig)
    texts = _svg_texts(svg)
    for name in ("石桥", "柳桥", "Dongshan"):
        assert name in texts, name
    assert {"开案数", "结案数", "服务人次", "期末在案数"} <= {t.split("\n")[0] for t in texts}
    assert "全区合计 14" in texts
    assert any(t.startswith("太白湖区：站点比较") for t in texts)
    assert 'id="DejaVuSans-' not in svg  # text, not glyph outlines
    english = _svg_texts(charts.to_svg(district.comparison_chart(Y2023, lang="en")))
    assert "cases opened" in english and "district total 14" in english
    assert "太白湖区: Stations compared 2023" in english
    names = {"石桥", "柳桥", "太白湖区: Stations compared 2023"}  # the names, as given
    assert not any(re.search(r"[\u4e00-\u9fff]", t) for t in english if t not in names)


def test_measures_can_be_chosen_and_unknown_ones_are_refused(district: District) -> None:
    fig = district.comparison_chart(Y2023, measures=["volunteer_hours", "activities"])
    assert len([ax for ax in fig.axes if ax.get_visible()]) == 2
    assert _bars(fig, "volunteer_hours") == [17.5, 0.0, 0.0]
    assert _bars(fig, "opened") == []
    with pytest.raises(InvalidValue, match="open_at_end"):
        district.comparison_chart(measures=["visits"])
    with pytest.raises(InvalidValue):
        district.comparison_chart(measures=[])
    with pytest.raises(InvalidValue, match="lang"):
        district.comparison_chart(lang="fr")


def test_a_station_named_total_is_refused() -> None:
    with pytest.raises(InvalidValue, match="total"):
        District({"total": Dataset([], [])})


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(
            st.text("abcdefgh柳桥石", min_size=1, max_size=6).filter(lambda s: s != "total"),
            st.integers(0, 10**6),
            st.floats(0, 1e4, allow_nan=False),
        ),
        min_size=1,
        max_size=12,
        unique_by=lambda t: t[0],
    )
)
def test_any_table_is_drawn_as_it_is(found: list[tuple[str, int, float]]) -> None:
    """Whatever the stations and figures, a bar per station holds its row's figure."""
    rows = [{"station": s, "opened": n, "volunteer_hours": h} for s, n, h in found]
    rows.append({"station": "total", "opened": sum(n for _, n, _ in found), "volunteer_hours": 0})
    with charts.for_svg():
        fig = charts.station_comparison(rows, ["opened", "volunteer_hours"], lang="en")
    assert _bars(fig, "opened") == [float(n) for _, n, _ in found]
    assert _bars(fig, "volunteer_hours") == [h for _, _, h in found]
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == [s for s, _, _ in found]


def test_a_table_without_the_columns_is_refused() -> None:
    with pytest.raises(InvalidValue, match="closed"):
        charts.station_comparison([{"station": "a", "opened": 1}], ["opened", "closed"])
    with pytest.raises(InvalidValue, match="station"):
        charts.station_comparison([{"opened": 1}], ["opened"])


# --- the district's yearly report -------------------------------------------------------------


def test_the_district_report_compares_the_stations_after_the_ledger(district: District) -> None:
    report = district.yearly_report(2023, lang="zh", diagram=False)
    assert report.title == "太白湖区 2023年度服务台账"
    assert report.meta[0] == "3 个社工站：石桥、柳桥、Dongshan"
    headings = [s.heading for s in report.sections]
    assert headings[:2] == ["年度服务台账", "各站点比较"]
    compared = report.sections[1]
    assert [t.name for t in compared.tables] == ["station_comparison"]
    assert compared.tables[0].rows == district.comparison(Y2023).rows
    assert [c.name for c in compared.charts] == ["station-comparison"]
    assert "石桥" in compared.charts[0].svg and "全区合计 14" in compared.charts[0].svg
    ledger = report.tables[0]
    assert ledger.row(measure="opened")["value"] == 14  # the district's, not one station's
    assert "各站点比较" in report.to_text() and "Dongshan" in report.to_text()
    ledger_report = district.report(2023, lang="zh")  # the ledger is titled for the district
    assert ledger_report.title.zh == "太白湖区 2023年度服务台账"
    assert district.report(2023, "柳桥").title.en.startswith("station")  # one station's


def test_one_stations_report_has_no_comparison(district: District) -> None:
    report = district.yearly_report(2023, "柳桥", lang="en", charts=False, diagram=False)
    assert "stations compared" not in [s.heading for s in report.sections]
    assert report.tables[0].row(measure="opened")["value"] == 6
    tables_only = district.yearly_report(2023, lang="en", charts=False, diagram=False)
    assert tables_only.charts == () and tables_only.sections[1].heading == "stations compared"


@needs_chromium
def test_the_district_page_shows_the_comparison_in_a_browser(
    district: District, tmp_path: Path
) -> None:
    """Chromium's DOM of the written page has the comparison chart, its station names and
    Chinese labels as SVG text, and its table."""
    page = district.yearly_report(2023, lang="zh", diagram=False).write(tmp_path / "d.html")
    dom = chromium(tmp_path, "--dump-dom", page.as_uri()).stdout
    start = dom.index('data-chart="station-comparison"')
    chart = dom[start : dom.index("</figure>", start)]
    texts = _svg_texts(chart)
    assert {"石桥", "柳桥", "Dongshan", "全区合计 14"} <= set(texts)
    assert "<h2>各站点比较</h2>" in dom and "<h1>太白湖区 2023年度服务台账</h1>" in dom
    shot = tmp_path / "d.png"
    chromium(tmp_path, f"--screenshot={shot}", "--window-size=1100,1600", page.as_uri())
    assert shot.stat().st_size > 10_000
