"""The zh report in a real browser: written on a machine with no CJK font, it shows Chinese
wherever the browser has one (issue 12).  Needs headless Chromium (skipped without it)."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("matplotlib")

from browser import browser_has_cjk_font, chromium, needs_chromium
from casework.demo import run_station
from casework.reporting import Dataset, charts
from casework.reporting.html import yearly_report


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's zh report, written as if this machine had no CJK font at all."""
    where = tmp_path_factory.mktemp("browser")
    _, cases, journal = run_station()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(charts, "cjk_font", lambda: None)
        report = yearly_report(Dataset(cases, [journal]), 2023, lang="zh", diagram=False)
    return report.write(where / "report.html")


class _ChartTexts(HTMLParser):
    """The text of every SVG <text> element, per chart (``data-chart``), as parsed."""

    def __init__(self) -> None:
        super().__init__()
        self.charts: dict[str, list[str]] = {}
        self._chart: str | None = None
        self._in_text = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "figure" and found.get("data-chart"):
            self._chart = found["data-chart"]
            self.charts[self._chart or ""] = []
        self._in_text = tag == "text" and self._chart is not None

    def handle_endtag(self, tag: str) -> None:
        if tag == "figure":
            self._chart = None
        if tag == "text":
            self._in_text = False

    def handle_data(self, data: str) -> None:
        if self._in_text and self._chart is not None:
            self.charts[self._chart].append(data)


@needs_chromium
def test_chart_titles_and_legends_are_svg_text_in_the_browser(page: Path) -> None:
    """The DOM Chromium builds from the page has the Chinese titles and legend labels as
    SVG <text> elements, every chart with some."""
    dom = chromium(page.parent, "--dump-dom", page.as_uri()).stdout
    parser = _ChartTexts()
    parser.feed(dom)
    texts = parser.charts
    assert {"timeline", "cohort-mht", "trends"} <= set(texts)
    for name, found in texts.items():
        assert any(re.search(r"[\u4e00-\u9fff]", t) for t in found), name
    assert "个案进程 (n=5)" in texts["timeline"] and "结案" in texts["timeline"]
    assert "MHT 总分前后对比 (n=5)" in texts["cohort-mht"]
    profile = next(v for k, v in texts.items() if k.startswith("profile-"))
    assert {"前测", "后测", "量表满分"} <= set(profile)
    assert "2023年各月指标" in texts["trends"]
    assert "font-family: 'DejaVu Sans', 'Noto Sans CJK SC'" in dom


def _tofu(html: str) -> str:
    """The page with every CJK character inside its charts replaced by a character no font
    has (U+F0000, private use), which a browser draws as the same empty box as a CJK
    character it has no font for."""
    return re.sub(
        r"<svg.*?</svg>",
        lambda m: re.sub(r"[\u4e00-\u9fff\u3000-\u303f\uff00-\uffef]", "\U000f0000", m[0]),
        html,
        flags=re.DOTALL,
    )


def charts_only(html: str) -> str:
    """The page's head and its chart figures alone, so a screenshot is all charts."""
    figures = re.findall(r'<figure class="chart".*?</figure>', html, flags=re.DOTALL)
    return f"{html[: html.index('<body>')]}<body><main>{''.join(figures)}</main></body></html>"


def _shot(tmp: Path, html: str, name: str) -> Any:
    import matplotlib.image as mpimg

    source = tmp / f"{name}.html"
    source.write_text(html, encoding="utf-8")
    out = tmp / f"{name}.png"
    chromium(tmp, f"--screenshot={out}", "--window-size=1000,2400", source.as_uri())
    return mpimg.imread(out)[..., :3]


@needs_chromium
@pytest.mark.skipif(
    not browser_has_cjk_font(),
    reason="no CJK font for the browser (apt-get install fonts-noto-cjk or fonts-wqy-microhei)",
)
def test_chinese_in_the_charts_is_drawn_not_boxes(page: Path) -> None:
    """A screenshot of the charts differs from one where every Chinese character is a box:
    the browser drew real glyphs (identical screenshots mean boxes, or text as outlines
    made without the glyphs)."""
    html = charts_only(page.read_text(encoding="utf-8"))
    assert _tofu(html) != html
    real = _shot(page.parent, html, "real")
    boxes = _shot(page.parent, _tofu(html), "boxes")
    changed = (abs(real - boxes).sum(axis=2) > 0.3).mean()
    assert changed > 0.002, f"only {changed:.5f} of the pixels differ: Chinese drawn as boxes"
