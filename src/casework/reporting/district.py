"""A district: several stations' datasets read together.

Each station is a :class:`~casework.reporting.Dataset`: replayed, or read from a projection's
fact tables (``Projection(store).dataset()``), one store per station or any mix.
:meth:`District.dataset` is the district as one dataset: its facts are the stations' facts put
together, so every indicator, measure and the yearly report give the district's figures with
their one definition.  :meth:`District.comparison` lays the stations side by side.

.. versionadded:: 0.2
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from casework.case import Case
from casework.errors import InvalidValue
from casework.lifecycle import Lifecycle
from casework.recording import EVENT_TYPES
from casework.reporting import indicators, labels, measures
from casework.reporting.dataset import ActivityTotals, CaseFact, Dataset, Fact
from casework.reporting.labels import Label
from casework.reporting.ledger import YearReport
from casework.reporting.period import Period
from casework.reporting.table import Table
from casework.station import Activity, Station

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from casework.reporting.html import YearlyReport

__all__ = ["District", "DistrictDataset"]

#: The columns of the station comparison: the measures, then the cases open at the end.
COMPARED = (*measures.MEASURES, "open_at_end")
#: The station of the comparison's last row: the district as a whole.
TOTAL = "total"


class DistrictDataset(Dataset):
    """Several stations' datasets as one (their cases' ids must not collide)."""

    def __init__(  # no replay: the parts hold it
        self, stations: Sequence[Dataset], *, name: str | None = None
    ) -> None:
        self.parts = tuple(stations)
        self.district = name
        self.journals = tuple(j for p in self.parts for j in p.journals)
        self._cache: dict[str, Any] = {}
        self._records: dict[str, dict[str, Any]] = {t: {} for t in EVENT_TYPES}
        for part in self.parts:
            for kind, found in part._records.items():
                self._records[kind].update(found)
        self._services = [s for p in self.parts for s in p.services]
        seen: set[str] = set()
        twice: set[str] = set()
        for f in (f for p in self.parts for f in p.case_facts()):
            (twice if f.id in seen else seen).add(f.id)
        if twice:
            raise InvalidValue("stations", f"case ids in two stations: {sorted(twice)[:5]}")

    def __repr__(self) -> str:
        return f"<DistrictDataset: {len(self.parts)} stations, {len(self.case_facts())} cases>"

    @property
    def cases(self) -> tuple[Case, ...]:  # type: ignore[override]  # the parts' cases
        """Every station's cases (replayed where a station reads fact tables)."""
        return tuple(c for p in self.parts for c in p.cases)

    @property
    def activities(self) -> tuple[Activity, ...]:
        """Every station's activities, by date."""
        found = [a for p in self.parts for a in p.activities]
        return tuple(sorted(found, key=lambda a: (a.on, a.id)))

    @property
    def lifecycles(self) -> tuple[Lifecycle, ...]:
        """The lifecycles of every station's cases (first seen wins per id)."""
        found: dict[str, Lifecycle] = {}
        for p in self.parts:
            for lc in p.lifecycles:
                found.setdefault(lc.id, lc)
        return tuple(found.values())

    @property
    def state_labels(self) -> dict[str, Label]:
        """Labels of every state of the stations' lifecycles."""
        return labels.state_labels(self.lifecycles)

    @property
    def station(self) -> Station | None:
        """None: a district is no one station (its report must not carry one's name)."""
        return None

    def _derive(self) -> None:
        def merged(pick: Any) -> list[Fact]:
            return list(heapq.merge(*(pick(p) for p in self.parts)))

        self._cache["opened"] = merged(lambda p: p.opened())
        self._cache["sessions"] = merged(lambda p: p.held_sessions())
        states: dict[str, None] = {}
        for p in self.parts:
            states.update(dict.fromkeys(p._entries()))
        self._cache["entries"] = {
            state: list(heapq.merge(*(p.entries(state) for p in self.parts))) for state in states
        }

    def case_facts(self) -> Sequence[CaseFact]:
        """Every station's case facts, station by station."""
        return tuple(f for p in self.parts for f in p.case_facts())

    def latest(self) -> datetime:
        """The latest event of any station."""
        return max((p.latest() for p in self.parts), default=datetime.min)

    def states_at(self, at: datetime) -> dict[str, int]:
        """Cases in each state at ``at``, summed over the stations."""
        out: dict[str, int] = {}
        for p in self.parts:
            for state, n in p.states_at(at).items():
                out[state] = out.get(state, 0) + n
        return out

    def open_at(self, at: datetime) -> int:
        """Cases in an open-class state at ``at``, summed over the stations."""
        return sum(p.open_at(at) for p in self.parts)

    def state_days(
        self, until: datetime, states: Iterable[str] | None = None
    ) -> dict[str, list[float]]:
        """Each case's days in each state, over the stations (sorted)."""
        wanted = None if states is None else list(states)
        out: dict[str, list[float]] = {}
        for p in self.parts:
            for state, days in p.state_days(until, wanted).items():
                out.setdefault(state, []).extend(days)
        for values in out.values():
            values.sort()
        return out

    def opened_count(self, period: Period | None = None) -> int:
        """Cases opened in ``period``, summed over the stations."""
        return sum(p.opened_count(period) for p in self.parts)

    def entered_count(self, state: str, period: Period | None = None) -> int:
        """Cases entering ``state`` in ``period``, summed over the stations (whose case ids
        never collide, so a case counts once).
        """
        return sum(p.entered_count(state, period) for p in self.parts)

    def held_count(self, period: Period | None = None) -> int:
        """Sessions held in ``period``, summed over the stations."""
        return sum(p.held_count(period) for p in self.parts)

    def activity_totals(self, period: Period | None = None) -> dict[str, ActivityTotals]:
        """Activities by kind in ``period``, added up over the stations."""
        out: dict[str, ActivityTotals] = {}
        for p in self.parts:
            for kind, t in p.activity_totals(period).items():
                out[kind] = out[kind] + t if kind in out else t
        return out

    def hours_by_volunteer(self, period: Period | None = None) -> dict[str, float]:
        """Each volunteer's hours in ``period``, added up over the stations."""
        out: dict[str, float] = {}
        for p in self.parts:
            for vid, h in p.hours_by_volunteer(period).items():
                out[vid] = out.get(vid, 0.0) + h
        return out


class District:
    """Stations by name, each a dataset; the district's figures are theirs put together."""

    def __init__(self, stations: Mapping[str, Dataset], *, name: str = "district") -> None:
        if not stations:
            raise InvalidValue("stations", "a district needs at least one station")
        for key, ds in stations.items():
            if not isinstance(ds, Dataset):
                raise InvalidValue(f"stations[{key!r}]", f"expected a Dataset, got {ds!r}")
            if key == TOTAL:  # the comparison's last row is named so
                raise InvalidValue("stations", f"{TOTAL!r} names the district's total row")
        self.stations: dict[str, Dataset] = dict(stations)
        self.name = name
        self._whole: DistrictDataset | None = None

    def __repr__(self) -> str:
        return f"<District {self.name!r}: {', '.join(self.stations)}>"

    def dataset(self, station: str | None = None) -> Dataset:
        """One station's dataset, or (``None``) the whole district's."""
        if station is not None:
            if station not in self.stations:
                raise InvalidValue("station", f"unknown {station!r}; known: {list(self.stations)}")
            return self.stations[station]
        if self._whole is None:
            self._whole = DistrictDataset(list(self.stations.values()), name=self.name)
        return self._whole

    def report(self, year: int, station: str | None = None, *, lang: str = "en") -> YearReport:
        """The yearly report of one station, or of the district."""
        return YearReport(self.dataset(station), year, lang)

    def comparison(self, period: Period | None = None, *, lang: str = "en") -> Table:
        """The measures of ``period`` station by station, with the district's total last.

        Each figure is the measure of :mod:`~casework.reporting.measures` (and ``open_at_end``
        that of :func:`~casework.reporting.indicators.case_flow`) over the station's dataset;
        the last row is the same over the district's, so it is their sum for every count.
        """
        rows: list[dict[str, object]] = []
        for key, ds in [*self.stations.items(), (None, self.dataset())]:
            row: dict[str, object] = {"station": key if key is not None else TOTAL}
            for m, measure in measures.MEASURES.items():
                value = measure(ds, period)
                row[m] = round(value, 6) if isinstance(value, float) else value
            flow = indicators.case_flow(ds, period)
            row["open_at_end"] = flow.row(measure="open_at_end")["cases"]
            rows.append(row)
        tail = f" {period}" if period is not None else ""
        title = Label(f"站点比较{tail}", f"Stations compared{tail}")
        names = {k: Label(k, k) for k in self.stations}
        return Table(
            "station_comparison",
            ("station", *COMPARED),
            rows,
            title,
            {"station": {**names, TOTAL: labels.HEADINGS["total"]}},
            lang=labels.check_lang(lang),
        )

    def comparison_chart(
        self,
        period: Period | None = None,
        *,
        lang: str = "en",
        measures: Sequence[str] | None = None,
    ) -> Figure:
        """The comparison as a chart: a panel per measure, a bar per station, the district's
        total in each panel's title (figures from :meth:`comparison`, so they are the table's).

        ``measures`` are columns of the comparison (default:
        :data:`~casework.reporting.charts.COMPARISON_MEASURES`).  Needs ``casework[notebook]``.
        """
        from casework.reporting import charts

        labels.check_lang(lang)
        chosen = tuple(measures) if measures is not None else charts.COMPARISON_MEASURES
        unknown = [m for m in chosen if m not in COMPARED]
        if unknown or not chosen:
            raise InvalidValue("measures", f"expected some of {list(COMPARED)}, got {unknown}")
        table = self.comparison(period, lang=lang)
        colon = "：" if lang == "zh" else ": "
        title = f"{self.name}{colon}{table.title.text(lang)}"
        return charts.station_comparison(table, chosen, lang=lang, title=title)

    def yearly_report(
        self, year: int, station: str | None = None, *, lang: str = "zh", **options: Any
    ) -> YearlyReport:
        """The HTML yearly report of one station, or of the district: the district's has
        its name in the title, its stations listed, and the station comparison (table and
        chart) after the ledger.  ``options`` go to
        :func:`~casework.reporting.html.yearly_report`.
        """
        import attrs

        from casework.reporting.html import Chart, Section, yearly_report

        built = yearly_report(self.dataset(station), year, lang=lang, **options)
        if station is not None:
            return built
        period = Period.year(year)
        table = self.comparison(period, lang=lang)
        charts: tuple[Chart, ...] = ()
        if options.get("charts", True):
            from casework.reporting.charts import for_svg

            with for_svg():
                fig = self.comparison_chart(period, lang=lang)
            charts = (Chart.of("station-comparison", table.title.text(lang), fig),)
        heading = labels.HEADINGS["comparison"].text(lang)
        section = Section(heading, (table,), charts)
        title = labels.HEADINGS["district_report"].text(lang).format(district=self.name, year=year)
        sep = "、" if lang == "zh" else ", "
        names = sep.join(self.stations)
        meta = labels.HEADINGS["stations"].text(lang).format(n=len(self.stations), names=names)
        sections = (*built.sections[:1], section, *built.sections[1:])
        return attrs.evolve(built, title=title, meta=(meta, *built.meta), sections=sections)
