"""The yearly ledger (年度服务台账): a station's figures for one calendar year, bundled.

What a station reports to the civil-affairs office at the end of a year: its staff, volunteers
and partners; cases opened, closed and withdrawn; sessions and service person-times;
activities and their participants; volunteer hours; project completion; and whether the
children and elderly people served got better.  Every figure comes from an indicator or a
measure (nothing is computed twice); :meth:`YearReport.tables` lists the tables in report
order, for the terminal and HTML reports to render.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from datetime import timedelta

import attrs

from casework.instruments import CutOff
from casework.records import Role
from casework.reporting import approvals, indicators, labels, measures, outreach
from casework.reporting.dataset import Dataset
from casework.reporting.labels import HEADINGS, INDICATORS, Label
from casework.reporting.period import Period
from casework.reporting.table import Table

__all__ = ["LEDGER_ROWS", "YearReport"]

#: The rows of the headline ledger table, in order.
LEDGER_ROWS = (
    "social_workers",
    "volunteers",
    "teams",
    "partners",
    "projects",
    "opened",
    "closed",
    "withdrawn",
    "open_at_end",
    "sessions",
    "activities",
    "participants",
    "person_times",
    "volunteers_active",
    "volunteer_hours",
)


@attrs.frozen
class YearReport:
    """The station ledger for calendar ``year``, displayed in ``lang``.

    ``cutoffs`` is passed to :func:`~casework.reporting.indicators.outcomes`.
    """

    dataset: Dataset
    year: int
    lang: str = attrs.field(default="en", validator=lambda _i, _a, v: labels.check_lang(v))
    cutoffs: Mapping[str, CutOff | None] | None = None

    @property
    def period(self) -> Period:
        """The calendar year."""
        return Period.year(self.year)

    @property
    def title(self) -> Label:
        """The report's heading: the district's name for a district's dataset, else the
        station's name when it is registered.
        """
        district = self.dataset.district
        if district is not None:
            form = HEADINGS["district_report"]
            return Label(
                form.zh.format(district=district, year=self.year),
                form.en.format(district=district, year=self.year),
            )
        station = self.dataset.station
        form = HEADINGS["year_report"]
        zh_name = station.name if station is not None else HEADINGS["station"].zh
        en_name = station.name if station is not None else HEADINGS["station"].en
        return Label(
            form.zh.format(station=zh_name, year=self.year),
            form.en.format(station=en_name, year=self.year),
        )

    def figures(self) -> dict[str, float]:
        """The headline figures by :data:`LEDGER_ROWS` key.

        Staff, volunteers, teams and partners: those registered (social workers: staff whose
        role is ``social_worker``); projects: those whose period overlaps the year;
        ``volunteers_active``: volunteers with any hours in the year; the rest are the
        measures of :mod:`~casework.reporting.measures` over the year, and ``open_at_end``
        is from :func:`~casework.reporting.indicators.case_flow`.
        """
        ds, period = self.dataset, self.period
        flow = indicators.case_flow(ds, period)
        out: dict[str, float] = {
            "social_workers": sum(1 for w in ds.workers.values() if w.role is Role.SOCIAL_WORKER),
            "volunteers": len(ds.volunteers),
            "teams": len(ds.teams),
            "partners": len(ds.partners),
            "projects": sum(
                1
                for p in ds.projects.values()
                if p.start < period.end and p.end_exclusive > period.start
            ),
            "open_at_end": flow.row(measure="open_at_end")["cases"],
            "volunteers_active": len(
                [
                    r
                    for r in indicators.volunteer_hours(ds, period, by="volunteer").rows
                    if r["volunteer_id"] is not None
                ]
            ),
        }
        for key, measure in measures.MEASURES.items():
            value = measure(ds, period)
            out[key] = round(value, 6) if isinstance(value, float) else value
        return {k: out[k] for k in LEDGER_ROWS}

    def ledger(self) -> Table:
        """The headline figures as a two-column table (indicator, value)."""
        rows = [{"measure": k, "value": v} for k, v in self.figures().items()]
        return Table(
            "ledger",
            ("measure", "value"),
            rows,
            self.title,
            {"measure": INDICATORS},
            lang=self.lang,
        )

    def tables(self) -> list[Table]:
        """Every table of the report, in order, in the report's language."""
        ds, period, lang = self.dataset, self.period, self.lang
        year_end = period.end_at - timedelta(microseconds=1)
        found = [
            self.ledger(),
            indicators.case_flow(ds, period, lang=lang),
            indicators.cases_by_state(ds, year_end, lang=lang),
            indicators.person_times(ds, period, lang=lang),
            indicators.activities_by_kind(ds, period, lang=lang),
            indicators.volunteer_hours(ds, period, by="team", lang=lang),
            indicators.completion(ds, period, lang=lang),
            indicators.time_in_state(ds, year_end, lang=lang),
            indicators.outcomes(ds, period, cutoffs=self.cutoffs, lang=lang),
            indicators.monthly(ds, period, lang=lang),
        ]
        if outreach.has_register(ds):  # a station that keeps an outreach register
            found += [
                outreach.outreach_summary(ds, period, lang=lang),
                outreach.outreach_visits(ds, period, lang=lang),
                outreach.watch_on_time(ds, period, lang=lang),
                outreach.overdue_by_rule(ds, period, lang=lang),
            ]
        if approvals.has_approvals(ds):  # a station whose lifecycle asks for approvals
            found.append(approvals.approval_turnaround(ds, period, lang=lang))
        return found

    def in_lang(self, lang: str) -> YearReport:
        """The same report in ``lang``."""
        return attrs.evolve(self, lang=labels.check_lang(lang))

    def station_lines(self) -> list[str]:
        """The station's details as display lines (empty when none is registered)."""
        station = self.dataset.station
        if station is None:
            return []
        h = {k: HEADINGS[k].text(self.lang) for k in ("station", "township", "founded")}
        colon = "：" if self.lang == "zh" else ": "
        return [
            f"{h['station']}{colon}{station.name}",
            f"{h['township']}{colon}{station.township}",
            f"{h['founded']}{colon}{station.founded.isoformat()}",
        ]

    def to_text(self) -> str:
        """The whole report as plain text (CJK-aware alignment)."""
        parts = [self.title.text(self.lang), *self.station_lines(), ""]
        for table in self.tables():
            parts += [table.to_text(), ""]
        return "\n".join(parts).rstrip() + "\n"

    def __str__(self) -> str:
        return self.to_text()

    def __repr__(self) -> str:
        return f"<YearReport {self.year} {self.title.en!r} ({self.lang})>"

    def to_html(self) -> str:
        """An HTML fragment: the heading, the station's details and every table."""
        esc = html.escape
        lines = "".join(f"<p>{esc(line)}</p>" for line in self.station_lines())
        tables = "".join(t.to_html(level=3) for t in self.tables())
        return (
            f'<section class="casework-ledger"><h2>{esc(self.title.text(self.lang))}</h2>'
            f"{lines}{tables}</section>"
        )

    def _repr_html_(self) -> str:
        return self.to_html()
