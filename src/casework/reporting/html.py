"""The yearly report: the station ledger and its charts in one self-contained HTML file.

A :class:`YearlyReport` is built from a :class:`~casework.reporting.dataset.Dataset` by
:func:`yearly_report` and read three ways: :meth:`~YearlyReport.to_text` for a terminal
(plain tables, CJK-aware widths), :meth:`~YearlyReport.to_html` for one HTML file, and
``_repr_html_`` in a notebook.

The HTML file needs nothing but itself: CSS is inline, charts are inline SVG whose titles,
labels and legends are SVG ``<text>`` in a CJK-capable font stack (so the reader's browser
draws the Chinese with its own fonts, even when the machine that wrote the report had no CJK
font), a lifecycle diagram is inline SVG from Graphviz when Graphviz is installed, and
nothing refers to a URL, a font file or a script.  It opens in a browser with no network.

Privacy by default: the report shows pseudonymous ids and leaves out personal fields (names,
birth dates, notes) unless ``include_personal=True``; the tables come from the privacy-aware
ledger and the charts label cases by those ids.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import attrs

from casework.assessment import pairs
from casework.case import Case
from casework.instruments import CutOff
from casework.lifecycle import Lifecycle
from casework.reporting import labels
from casework.reporting.dataset import Dataset
from casework.reporting.ledger import YearReport
from casework.reporting.outreach import OUTREACH_TABLES
from casework.reporting.period import Period
from casework.reporting.privacy import case_register, pseudonymise
from casework.reporting.table import Table

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["Chart", "Section", "YearlyReport", "inline_svg", "yearly_report"]


# --- inline SVG ---------------------------------------------------------------------------------

_PROLOG = re.compile(r"<\?xml[^>]*\?>|<!DOCTYPE[^>]*>|<!--.*?-->", re.DOTALL)
_METADATA = re.compile(r"<metadata>.*?</metadata>", re.DOTALL)
_XMLNS = re.compile(r'\s+xmlns(?::[\w-]+)?="[^"]*"')
_ID = re.compile(r'\bid="([^"]+)"')
_HREF = re.compile(r'((?:xlink:)?href)="#([^"]+)"')
_URL = re.compile(r"url\(#([^)]+)\)")


def inline_svg(svg: str, prefix: str) -> str:
    """An SVG document made fit to sit inside an HTML page, next to others.

    The XML prolog, doctype, comments and metadata go (HTML needs none of them, and they name
    URLs); namespace declarations go (the HTML parser puts ``<svg>`` in the SVG namespace by
    itself, ``xlink:href`` included); every ``id`` and every reference to one gets ``prefix``
    so that two charts' glyphs and clip paths never collide in one page, and an id repeated
    within the SVG gets a number (references go to its first use).
    """
    text = _PROLOG.sub("", svg)
    text = _METADATA.sub("", text)
    text = _XMLNS.sub("", text)
    seen: dict[str, int] = {}

    def unique(m: re.Match[str]) -> str:  # matplotlib repeats a gid given to many artists
        n = seen[m[1]] = seen.get(m[1], 0) + 1
        return f'id="{prefix}-{m[1]}"' if n == 1 else f'id="{prefix}-{m[1]}-{n}"'

    text = _ID.sub(unique, text)
    text = _HREF.sub(lambda m: f'{m[1]}="#{prefix}-{m[2]}"', text)
    text = _URL.sub(lambda m: f"url(#{prefix}-{m[1]})", text)
    start = text.find("<svg")
    return text[start:].strip() if start >= 0 else text.strip()


@attrs.frozen
class Chart:
    """A chart of the report: a name (``timeline``, ``profile-XZ-2023-01``...), a caption,
    and its image as inline SVG.
    """

    name: str
    caption: str
    svg: str

    @classmethod
    def of(cls, name: str, caption: str, fig: Figure) -> Chart:
        """A chart from a matplotlib figure (drawn to SVG once, here)."""
        from casework.reporting.charts import to_svg

        prefix = "c-" + re.sub(r"[^\w-]", "_", name)
        return cls(name, caption, inline_svg(to_svg(fig), prefix))

    def to_html(self) -> str:
        """A ``<figure>`` holding the SVG and its caption."""
        return (
            f'<figure class="chart" data-chart="{html.escape(self.name)}">{self.svg}'
            f"<figcaption>{html.escape(self.caption)}</figcaption></figure>"
        )


# --- the report ---------------------------------------------------------------------------------

_CSS = """
body { font-family: "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "PingFang SC",
  "Hiragino Sans GB", "Microsoft YaHei", "WenQuanYi Micro Hei", "WenQuanYi Zen Hei", SimHei,
  "Helvetica Neue", Arial, sans-serif;
  margin: 0; color: #222; background: #fafafa; }
main { max-width: 1100px; margin: 0 auto; padding: 24px 32px 48px; background: #fff; }
h1 { font-size: 1.6em; margin: 0 0 4px; }
h2 { font-size: 1.25em; margin: 32px 0 8px; border-bottom: 2px solid #1f5f8b; padding-bottom: 4px; }
h3 { font-size: 1.05em; margin: 20px 0 6px; }
p.meta, p.privacy { color: #555; font-size: 0.9em; margin: 2px 0; }
p.privacy { background: #eef4f8; padding: 6px 10px; border-left: 4px solid #1f5f8b; }
table { border-collapse: collapse; font-size: 0.9em; margin: 4px 0 8px; }
th, td { border: 1px solid #d0d7de; padding: 3px 8px; white-space: nowrap; }
table.casework-table { display: block; max-width: 100%; overflow-x: auto; }
th { background: #f0f3f6; text-align: left; }
tbody tr:nth-child(even) { background: #fafbfc; }
small { color: #666; }
figure.chart { margin: 12px 0 20px; }
figure.chart svg { max-width: 100%; height: auto; display: block; }
figcaption { font-size: 0.85em; color: #555; margin-top: 4px; }
.charts-grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(480px, 1fr));
  gap: 8px 24px; }
details pre { font-size: 0.8em; background: #f6f8fa; padding: 8px; overflow-x: auto; }
footer { margin-top: 40px; font-size: 0.8em; color: #777; }
"""


@attrs.frozen
class Section:
    """A heading with its tables and charts, in order."""

    heading: str
    tables: tuple[Table, ...] = ()
    charts: tuple[Chart, ...] = ()
    grid: bool = False
    extra_html: str = ""


@attrs.frozen
class YearlyReport:
    """A station's yearly report: a title, facts lines, sections of tables and charts.

    Built by :func:`yearly_report`; it holds display-ready pieces only (no case or person),
    so what it shows is fixed when it is built.
    """

    title: str
    lang: str
    meta: tuple[str, ...]
    sections: tuple[Section, ...]
    privacy: str
    generated: str

    @property
    def tables(self) -> tuple[Table, ...]:
        """Every table of the report, in order."""
        return tuple(t for s in self.sections for t in s.tables)

    @property
    def charts(self) -> tuple[Chart, ...]:
        """Every chart of the report, in order."""
        return tuple(c for s in self.sections for c in s.charts)

    def to_text(self) -> str:
        """The report's tables as plain text for a terminal (charts are left to the HTML)."""
        rule = "=" * max(40, _width(self.title))
        out = [self.title, rule, *self.meta, ""]
        for section in self.sections:
            if not section.tables:
                continue
            out += [section.heading, "-" * _width(section.heading)]
            for table in section.tables:
                out += [table.to_text(self.lang), ""]
        out.append(self.privacy)
        return "\n".join(out).rstrip() + "\n"

    def body_html(self) -> str:
        """The report as an HTML fragment (headings, tables, inline charts), no page around."""
        esc = html.escape
        parts = [f"<h1>{esc(self.title)}</h1>"]
        parts += [f'<p class="meta">{esc(m)}</p>' for m in self.meta]
        parts.append(f'<p class="privacy">{esc(self.privacy)}</p>')
        for section in self.sections:
            parts.append(f"<h2>{esc(section.heading)}</h2>")
            parts += [t.to_html(self.lang, level=3) for t in section.tables]
            if section.charts:
                figures = "".join(c.to_html() for c in section.charts)
                parts.append(
                    f'<div class="charts-grid">{figures}</div>' if section.grid else figures
                )
            parts.append(section.extra_html)
        parts.append(f"<footer>{esc(self.generated)}</footer>")
        return "\n".join(p for p in parts if p)

    def to_html(self) -> str:
        """One self-contained HTML page: inline CSS and SVG, no external reference."""
        lang = "zh-CN" if self.lang == "zh" else "en"
        return (
            f'<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{html.escape(self.title)}</title>\n<style>{_CSS}</style>\n</head>\n"
            f"<body><main>\n{self.body_html()}\n</main></body>\n</html>\n"
        )

    def write(self, path: str | Path) -> Path:
        """Write :meth:`to_html` to ``path`` (UTF-8); returns the path."""
        target = Path(path)
        target.write_text(self.to_html(), encoding="utf-8")
        return target

    def _repr_html_(self) -> str:
        return f"<style>{_CSS}</style>{self.body_html()}"

    def __str__(self) -> str:
        return self.to_text()


def _width(text: str) -> int:
    from casework.reporting.table import display_width

    return display_width(text)


CaseLabel = Callable[[Case], str]

#: Which section each ledger table goes in, by table name (others go to "other").
_SECTION_OF = {
    "ledger": "ledger",
    "case_flow": "ledger",
    "cases_by_state": "casework",
    "time_in_state": "casework",
    "sessions_per_case": "casework",
    "case_register": "casework",
    "person_times": "community",
    "activities": "community",
    "volunteer_hours_by_team": "community",
    "volunteer_hours_by_volunteer": "community",
    "completion": "completion",
    "outcomes": "outcomes",
    "monthly": "monthly",
    **dict.fromkeys(OUTREACH_TABLES, "outreach"),
}
_SECTIONS = (
    "ledger",
    "casework",
    "community",
    "completion",
    "outcomes",
    "monthly",
    "outreach",
    "other",
)
#: Trend panels of the monthly chart (the measures that move month to month).
TREND_MEASURES = ("opened", "closed", "sessions", "activities", "person_times", "volunteer_hours")
#: At most this many per-client MHT profiles are drawn (the rest are counted).
MAX_PROFILES = 24


def _own(key: str, lang: str, **values: object) -> str:
    return labels.HEADINGS[key].text(lang).format(**values)


def _heading(section: str, lang: str) -> str:
    if section in ("casework", "community", "outcomes", "outreach"):
        return labels.HEADINGS[section].text(lang)
    if section in ("ledger", "completion", "monthly"):
        return labels.INDICATORS[section].text(lang)
    return _own(section, lang)


def _active_in(case: Case, period: Period) -> bool:
    first = case.opened_at.replace(tzinfo=None)
    last = case.history[-1].at.replace(tzinfo=None)
    return first < period.end_at and (case.is_open or last >= period.start_at)


def _case_label(include_personal: bool, key: bytes | str | None) -> CaseLabel:
    """How charts name a case: as the case register does (its id, or keyed pseudonym), with
    the client's name beside it only when personal fields are asked for.
    """

    def label(case: Case) -> str:
        shown = pseudonymise(case.id, key) if key is not None else case.id
        if include_personal:
            return f"{shown} {case.client.name or case.client.pseudonym}"
        return shown

    return label


def yearly_report(
    dataset: Dataset,
    year: int,
    *,
    lang: str = "zh",
    include_personal: bool = False,
    key: bytes | str | None = None,
    cutoffs: Mapping[str, CutOff | None] | None = None,
    charts: bool = True,
    diagram: bool = True,
    generated: datetime | None = None,
) -> YearlyReport:
    """The station's report for calendar ``year``: the ledger's tables, the case register
    and the charts, in ``lang``.

    Tables come from :class:`~casework.reporting.ledger.YearReport` (so the figures are the
    ledger's, defined once) plus the case register of the cases active in the year from
    :func:`~casework.reporting.privacy.case_register`, which leaves out personal fields
    unless ``include_personal``; ``key`` replaces case ids by keyed pseudonyms in the
    register and the charts alike.  ``charts=False`` builds the tables only (no matplotlib
    needed); ``diagram=False`` leaves out the lifecycle diagram.  ``generated`` is the time
    printed at the foot (default: none, so a report is reproducible).
    """
    labels.check_lang(lang)
    ledger = YearReport(dataset, year, lang=lang, cutoffs=cutoffs)
    period = ledger.period
    active = [c for c in dataset.cases if _active_in(c, period)]
    register = case_register(dataset, include_personal=include_personal, key=key, lang=lang)
    ids = {_case_label(False, key)(c) for c in active}
    register = attrs.evolve(register, rows=[r for r in register.rows if r["case_id"] in ids])
    tables: dict[str, list[Table]] = {s: [] for s in _SECTIONS}
    for table in [*ledger.tables(), register]:
        tables[_SECTION_OF.get(table.name, "other")].append(table)
    drawn: dict[str, list[Chart]] = {s: [] for s in _SECTIONS}
    extra: dict[str, str] = {}
    if charts:
        from casework.reporting.charts import for_svg

        label = _case_label(include_personal, key)
        with for_svg():  # the reader's browser draws the text: no font needed here
            drawn["casework"] += _timeline(active, period, lang, label)
            drawn["outcomes"], extra["outcomes"] = _outcome_charts(active, period, lang, label)
            monthly = next((t for t in tables["monthly"] if t.name == "monthly"), None)
            if monthly is not None and any(  # a year of zeros is said by the table alone
                r.get(c) for r in monthly.rows for c in TREND_MEASURES
            ):
                drawn["monthly"].append(_trends(monthly, year, lang))
    sections = [
        Section(
            _heading(name, lang),
            tuple(tables[name]),
            tuple(drawn[name]),
            grid=name == "outcomes",
            extra_html=extra.get(name, ""),
        )
        for name in _SECTIONS
        if tables[name] or drawn[name]
    ]
    if diagram:
        sections.append(_lifecycle_section(active or list(dataset.cases), lang))
    return YearlyReport(
        title=ledger.title.text(lang),
        lang=lang,
        meta=tuple(ledger.station_lines()),
        sections=tuple(sections),
        privacy=_own("personal" if include_personal else "private", lang),
        generated=_stamp(lang, generated),
    )


def _timeline(cases: Sequence[Case], period: Period, lang: str, label: CaseLabel) -> list[Chart]:
    if not cases:
        return []
    from casework.reporting.charts import caseload_timeline

    latest = max(c.history[-1].at.replace(tzinfo=None) for c in cases)
    until = min(period.end_at, max(latest, period.start_at))
    caption = _own("timeline", lang, year=period.start.year)
    fig = caseload_timeline(cases, lang=lang, since=period.start_at, until=until, label=label)
    return [Chart.of("timeline", caption, fig)]


def _outcome_charts(
    cases: Sequence[Case], period: Period, lang: str, label: CaseLabel
) -> tuple[list[Chart], str]:
    """The cohort's MHT totals and each client's profile, for posts dated in the period."""
    from casework.reporting.charts import cohort_totals, mht_profile

    found = [(c, pre, post) for c, pre, post in pairs(cases, "mht") if post.at in period]
    if not found:
        return [], ""
    name = labels.instrument_label("mht", lang)
    cohort = [c for c, _, _ in found]
    out = [
        Chart.of(
            "cohort-mht",
            _own("cohort", lang, instrument=name),
            cohort_totals(cohort, "mht", lang=lang, label=label),
        )
    ]
    for case, pre, post in found[:MAX_PROFILES]:
        shown = label(case)
        fig = mht_profile(pre, post, lang=lang, title=shown)
        caption = _own("profile", lang, case=shown, instrument=name)
        out.append(Chart.of(f"profile-{shown}", caption, fig))
    more = len(found) - MAX_PROFILES
    note = f"<p><small>{html.escape(_own('more_profiles', lang, n=more))}</small></p>"
    return out, note if more > 0 else ""


def _trends(monthly: Table, year: int, lang: str) -> Chart:
    from casework.reporting.charts import indicator_trends

    columns = [c for c in TREND_MEASURES if c in monthly.columns]
    caption = _own("trends", lang, year=year)
    fig = indicator_trends(monthly, columns, lang=lang, title=caption)
    return Chart.of("trends", caption, fig)


def _lifecycle_section(cases: Sequence[Case], lang: str) -> Section:
    """Each lifecycle the cases follow, drawn by Graphviz, or as DOT text without it."""
    from casework.reporting.diagram import GraphvizUnavailable, lifecycle_dot, lifecycle_image

    found: dict[str, Lifecycle] = {}
    for c in cases:
        found.setdefault(c.lifecycle.id, c.lifecycle)
    parts = []
    for lc in found.values():
        name = f"{lc.zh if lang == 'zh' else lc.en} ({lc.id})"  # two may share a name
        try:
            svg = lifecycle_image(lc, lang, "svg", internal=False).decode("utf-8")
        except GraphvizUnavailable:
            dot = html.escape(lifecycle_dot(lc, lang, internal=False))
            note = html.escape(_own("no_graphviz", lang))
            parts.append(
                f"<h3>{html.escape(name)}</h3><details><summary>{note}</summary>"
                f"<pre>{dot}</pre></details>"
            )
            continue
        chart = Chart(f"lifecycle-{lc.id}", name, inline_svg(svg, f"lc-{lc.id}"))
        parts.append(chart.to_html())
    return Section(_own("lifecycle", lang), extra_html="".join(parts))


def _stamp(lang: str, when: datetime | None) -> str:
    if when is None:
        return "casework"
    return (
        f"由 casework 根据事件日志生成于 {when:%Y-%m-%d %H:%M}"
        if lang == "zh"
        else f"Generated by casework from the event log, {when:%Y-%m-%d %H:%M}"
    )
