"""The yearly HTML report: self-contained, every chart embedded, every heading in the chosen
language, and no personal field unless asked for."""

from __future__ import annotations

import html
import re
import shutil
import sys
from datetime import date

import attrs
import pytest

pytest.importorskip("matplotlib")

from casework.demo import run_xuzhuang
from casework.journal import Journal
from casework.reporting import Dataset, YearReport
from casework.reporting.html import MAX_PROFILES, YearlyReport, inline_svg, yearly_report
from casework.reporting.recording import register
from casework.reporting.records import PlannedOutputs, Project, Station

PLANTED = "王秘密名"  # a recognisable name planted in every personal field of the clients
BORN = date(2012, 6, 3)


def _dataset() -> Dataset:
    """The Xuzhuang children with names planted, and a station journal with its project."""
    _, cases = run_xuzhuang()
    for case in cases:
        guardians = tuple(attrs.evolve(g, name=f"{PLANTED}家长") for g in case.client.guardians)
        case.client = attrs.evolve(case.client, name=PLANTED, guardians=guardians)
    journal = Journal.open("xz-journal", station="xuzhuang", at=date(2023, 1, 2), by="admin")
    register(
        journal,
        Station("xuzhuang", "许庄街道社工站", "许庄街道", date(2021, 11, 1)),
        at=date(2023, 1, 2),
        by="admin",
    )
    project = Project(
        "xinqiao",
        "心桥舒屋",
        "child_care",
        date(2023, 3, 1),
        date(2023, 12, 31),
        planned=PlannedOutputs(cases=5, sessions_per_case=10),
    )
    register(journal, project, at=date(2023, 1, 2), by="admin")
    return Dataset(cases, [journal])


@pytest.fixture(scope="module")
def dataset() -> Dataset:
    return _dataset()


@pytest.fixture(scope="module")
def zh(dataset: Dataset) -> YearlyReport:
    return yearly_report(dataset, 2023, lang="zh")


@pytest.fixture(scope="module")
def page(zh: YearlyReport) -> str:
    return zh.to_html()


def test_the_page_refers_to_nothing_outside_itself(page: str) -> None:
    """No URL, protocol-relative source, script, stylesheet link, font file or import."""
    for needle in ("http://", "https://", 'src="//', "<script", "<link", "@import", "@font-face"):
        assert needle not in page, needle
    assert re.findall(r"url\((?!#)", page) == []  # only references inside the page
    assert not re.search(r"\bsrc=", page)  # no <img src=...>: charts are inline SVG


def test_every_chart_is_embedded_as_inline_svg(zh: YearlyReport, page: str) -> None:
    """Timeline, cohort totals, one profile per child, monthly trends: all inline SVG."""
    names = [c.name for c in zh.charts]
    assert names[0] == "timeline" and "cohort-mht" in names and names[-1] == "trends"
    assert sum(n.startswith("profile-") for n in names) == 5
    figures = re.findall(r'<figure class="chart" data-chart="([^"]+)"><svg', page)
    assert figures[: len(names)] == names
    assert len(figures) == len(names) + 1 - (shutil.which("dot") is None)  # + the diagram
    for chart in zh.charts:
        assert chart.svg.startswith("<svg") and chart.svg.endswith("</svg>")


def test_ids_are_unique_across_the_charts(page: str) -> None:
    """Each chart's glyphs and clip paths carry its own prefix: no id is defined twice."""
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert ids and len(ids) == len(set(ids))
    for ref in re.findall(r'href="#([^"]+)"', page):
        assert ref in ids


def test_every_ledger_heading_is_there_in_the_chosen_language(dataset: Dataset) -> None:
    """The page shows the title of every ledger table in its language, not the other's."""
    for lang, other in (("zh", "en"), ("en", "zh")):
        report = yearly_report(dataset, 2023, lang=lang, charts=False, diagram=False)
        page = report.to_html()
        for table in YearReport(dataset, 2023, lang=lang).tables():
            assert html.escape(table.title.text(lang)) in page
        flow = YearReport(dataset, 2023, lang=other).tables()[1].title.text(other)
        assert html.escape(flow) not in page
    title = yearly_report(dataset, 2023, charts=False, diagram=False).to_html()
    assert "<h1>许庄街道社工站 2023年度服务台账</h1>" in title


def test_personal_fields_are_left_out_by_default(dataset: Dataset, zh: YearlyReport) -> None:
    """The planted name and the birth dates appear nowhere, in the page or the text."""
    for text in (zh.to_html(), zh.to_text(), zh._repr_html_()):
        assert PLANTED not in text
        assert BORN.isoformat() not in text
    assert "不含个人信息" in zh.privacy


def test_personal_fields_are_shown_when_asked(dataset: Dataset) -> None:
    report = yearly_report(
        dataset, 2023, lang="en", include_personal=True, charts=False, diagram=False
    )
    page = report.to_html()
    assert PLANTED in page and BORN.isoformat() in page
    assert "includes personal fields" in report.privacy


def test_a_key_pseudonymises_the_register_and_the_charts_alike(dataset: Dataset) -> None:
    from casework.reporting.privacy import pseudonymise

    report = yearly_report(dataset, 2023, lang="en", key="station-secret", diagram=False)
    page = report.to_html()
    alias = pseudonymise("XZ-2023-01", "station-secret")
    assert f"profile-{alias}" in [c.name for c in report.charts]
    assert f"<td>{alias}</td>" in page and "XZ-2023-01" not in page


def test_text_output_has_the_tables_and_no_svg(zh: YearlyReport) -> None:
    text = zh.to_text()
    assert text.startswith("许庄街道社工站 2023年度服务台账\n")
    assert "个案名册" in text and "开案、结案与退出 2023" in text
    assert "<svg" not in text


def test_tables_only_report_needs_no_charts(dataset: Dataset) -> None:
    report = yearly_report(dataset, 2023, lang="en", charts=False, diagram=False)
    assert report.charts == () and "<figure" not in report.to_html()
    assert len(report.tables) == len(YearReport(dataset, 2023).tables()) + 1  # + the register


def test_a_year_without_cases_still_reports(dataset: Dataset) -> None:
    report = yearly_report(dataset, 2021, lang="zh", diagram=False)
    assert report.charts == ()  # nothing to draw, nothing drawn empty
    assert "2021年度服务台账" in report.to_html()


def test_without_graphviz_the_lifecycle_is_given_as_dot(
    dataset: Dataset, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.setitem(sys.modules, "graphviz", None)
    page = yearly_report(dataset, 2023, lang="en", charts=False).to_html()
    assert "Graphviz is not installed" in page and "digraph" in page


def test_inline_svg_drops_namespaces_and_prefixes_ids() -> None:
    svg = (
        '<?xml version="1.0"?>\n<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://x">\n'
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">'
        "<metadata><rdf:RDF>http://purl.org</rdf:RDF></metadata><!-- made by hand -->"
        '<defs><path id="g1" d="M0 0"/><clipPath id="c1"/></defs>'
        '<use xlink:href="#g1"/><g clip-path="url(#c1)"/></svg>'
    )
    out = inline_svg(svg, "p")
    assert out.startswith("<svg>") and "http" not in out and "<!--" not in out
    assert 'id="p-g1"' in out and 'xlink:href="#p-g1"' in out and "url(#p-c1)" in out


def test_at_most_max_profiles_are_drawn(dataset: Dataset, monkeypatch: pytest.MonkeyPatch) -> None:
    import casework.reporting.html as report_html

    monkeypatch.setattr(report_html, "MAX_PROFILES", 2)
    report = yearly_report(dataset, 2023, lang="en", diagram=False)
    assert sum(c.name.startswith("profile-") for c in report.charts) == 2
    assert "3 more profiles are not shown." in report.to_html()
    assert MAX_PROFILES >= 5
