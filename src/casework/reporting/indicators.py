"""Indicators: each a function of a :class:`Dataset` returning a :class:`Table`.

Every indicator is defined once, here, in its docstring; counts over periods come from
:mod:`casework.reporting.measures`.  Nothing here writes: the read side only reads events.
Rows hold codes and numbers; tables translate them for display (``lang="zh"`` or ``"en"``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta

from casework.assessment import SHIPPED_INSTRUMENTS, Assessment, pairs
from casework.assessment import outcomes as cohort_outcomes
from casework.case import Case
from casework.errors import InvalidValue
from casework.instruments import CutOff, Direction, FlagKind, Instrument, estimate_reliability
from casework.lifecycle import StateClass
from casework.records import as_datetime
from casework.reporting import labels, measures
from casework.reporting.dataset import CaseFact, Dataset, reads_dataset, state_at
from casework.reporting.labels import INDICATORS, Label
from casework.reporting.period import Period
from casework.reporting.table import Table

__all__ = [
    "DEFAULT_OUTCOME_INSTRUMENTS",
    "MONTHLY",
    "activities_by_kind",
    "case_flow",
    "cases_by_state",
    "completion",
    "default_cutoff",
    "monthly",
    "outcomes",
    "person_times",
    "quantile",
    "sessions_per_case",
    "state_at",
    "time_in_state",
    "volunteer_hours",
]

#: The instruments outcome tables report by default: MHT (children), GDS-15 (elderly).
DEFAULT_OUTCOME_INSTRUMENTS = ("mht", "gds15")


def _table(
    name: str,
    columns: Sequence[str],
    rows: Iterable[dict[str, object]],
    lang: str,
    *,
    value_labels: Mapping[str, Mapping[str, Label]] | None = None,
    notes: Sequence[str | Label] = (),
    title: Label | None = None,
) -> Table:
    return Table(
        name,
        columns,
        list(rows),
        title if title is not None else INDICATORS[name],
        dict(value_labels or {}),
        tuple(notes),
        labels.check_lang(lang),
    )


def _titled(name: str, period: Period | None, suffix: str = "") -> Label:
    base = INDICATORS[name]
    if period is None and not suffix:
        return base
    tail = f" {period}" if period is not None else ""
    return Label(f"{base.zh}{tail}{suffix}", f"{base.en}{tail}{suffix}")


def _latest(ds: Dataset) -> datetime:
    return ds.latest()


def _when(at: date | datetime | None, ds: Dataset, where: str = "at") -> datetime:
    return _latest(ds) if at is None else as_datetime(at, where).replace(tzinfo=None)


# --- cases ---------------------------------------------------------------------------------


@reads_dataset
def cases_by_state(ds: Dataset, at: date | datetime | None = None, *, lang: str = "en") -> Table:
    """Cases by state at ``at`` (default: the dataset's latest event).

    Each case opened at or before ``at`` is counted once, in the state its latest event at or
    before ``at`` left it in (a bare date means its midnight: give the next day for "by the
    end of"). Every state of the cases' lifecycles has a row, in definition order; the counts
    sum to the cases opened by ``at``.
    """
    when = _when(at, ds, "cases_by_state: at")
    counts: dict[str, int] = dict.fromkeys(ds.state_labels, 0)
    for state, n in ds.states_at(when).items():
        counts[state] = counts.get(state, 0) + n
    rows = [{"state": s, "cases": n} for s, n in counts.items()]
    title = Label(
        f"{INDICATORS['cases_by_state'].zh}（{when:%Y-%m-%d %H:%M}）",
        f"{INDICATORS['cases_by_state'].en} at {when:%Y-%m-%d %H:%M}",
    )
    return _table(
        "cases_by_state",
        ("state", "cases"),
        rows,
        lang,
        value_labels={"state": ds.state_labels},
        title=title,
    )


@reads_dataset
def case_flow(ds: Dataset, period: Period | None = None, *, lang: str = "en") -> Table:
    """Cases opened, closed and withdrawn in ``period``, and open at its end.

    Opened, closed and withdrawn are the measures of :mod:`~casework.reporting.measures`;
    "open at the end" counts cases in an open-class state (not closed, follow-up, withdrawn,
    screened out or referred out) at the period's end (all time: at the latest event).
    """
    end = period.end_at - timedelta(microseconds=1) if period is not None else _latest(ds)
    still_open = ds.open_at(end)
    rows: list[dict[str, object]] = [
        {"measure": key, "cases": int(measures.MEASURES[key](ds, period))}
        for key in ("opened", "closed", "withdrawn")
    ]
    rows.append({"measure": "open_at_end", "cases": still_open})
    return _table(
        "case_flow",
        ("measure", "cases"),
        rows,
        lang,
        value_labels={"measure": INDICATORS},
        title=_titled("case_flow", period),
    )


def _active(case: CaseFact, start: datetime, end: datetime) -> bool:
    return case.opened_at < end and (case.last_at >= start or case.is_open)


@reads_dataset
def sessions_per_case(ds: Dataset, period: Period | None = None, *, lang: str = "en") -> Table:
    """Sessions held per case in ``period``, beside the sessions planned.

    One row per case active in the period (opened before its end, and still open or with an
    event in it); ``sessions_held`` counts held sessions dated in the period (the measure
    ``sessions``), ``sessions_planned`` is the case's current plan (None before a plan).
    The last row, ``case_id`` None, is the total.
    """
    held = ds.held_per_case(period)
    start, end = (
        (datetime.min, datetime.max) if period is None else (period.start_at, period.end_at)
    )
    rows: list[dict[str, object]] = []
    for case in ds.case_facts():
        if _active(case, start, end) or case.id in held:
            rows.append(
                {
                    "case_id": case.id,
                    "project": ds.project_key_of(case.programme),
                    "sessions_held": held.get(case.id, 0),
                    "sessions_planned": case.planned_sessions,
                }
            )
    planned = [r["sessions_planned"] for r in rows if isinstance(r["sessions_planned"], int)]
    rows.append(
        {
            "case_id": None,
            "project": "total",
            "sessions_held": sum(held.values()),
            "sessions_planned": sum(planned) if planned else None,
        }
    )
    return _table(
        "sessions_per_case",
        ("case_id", "project", "sessions_held", "sessions_planned"),
        rows,
        lang,
        value_labels={"project": {**ds.project_labels, "total": labels.HEADINGS["total"]}},
        title=_titled("sessions_per_case", period),
    )


@reads_dataset
def person_times(ds: Dataset, period: Period | None = None, *, lang: str = "en") -> Table:
    """Service person-times (服务人次) in ``period`` by where they come from.

    ``sessions``: one per held session; ``activity:<kind>``: the participants of the
    activities of that kind; ``total``: their sum, equal to the measure ``person_times``.
    """
    rows: list[dict[str, object]] = [
        {"source": "sessions", "person_times": measures.sessions(ds, period)}
    ]
    by_kind = {kind: t.participants for kind, t in ds.activity_totals(period).items()}
    for kind in labels.ACTIVITY_KINDS:
        if kind in by_kind:
            rows.append({"source": f"activity:{kind}", "person_times": by_kind[kind]})
    rows.append({"source": "total", "person_times": measures.person_times(ds, period)})
    return _table(
        "person_times",
        ("source", "person_times"),
        rows,
        lang,
        value_labels={"source": labels.SOURCES},
        title=_titled("person_times", period),
    )


# --- activities and volunteers -------------------------------------------------------------


@reads_dataset
def activities_by_kind(ds: Dataset, period: Period | None = None, *, lang: str = "en") -> Table:
    """Community activities in ``period`` by kind: how many, their participants, and the
    volunteer hours listed on them; the last row (``kind`` "total") sums them.
    """
    totals = ds.activity_totals(period)
    rows: list[dict[str, object]] = []
    for kind in labels.ACTIVITY_KINDS:
        if kind in totals:
            t = totals[kind]
            rows.append(
                {
                    "kind": kind,
                    "activities": t.activities,
                    "participants": t.participants,
                    "volunteer_hours": float(t.volunteer_hours),
                }
            )
    rows.append(
        {
            "kind": "total",
            "activities": sum(t.activities for t in totals.values()),
            "participants": sum(t.participants for t in totals.values()),
            "volunteer_hours": float(sum(t.volunteer_hours for t in totals.values())),
        }
    )
    return _table(
        "activities",
        ("kind", "activities", "participants", "volunteer_hours"),
        rows,
        lang,
        value_labels={"kind": {**labels.ACTIVITY_KINDS, "total": labels.HEADINGS["total"]}},
        title=_titled("activities", period),
    )


@reads_dataset
def volunteer_hours(
    ds: Dataset, period: Period | None = None, *, by: str = "team", lang: str = "en"
) -> Table:
    """Volunteer hours in ``period`` (the measure ``volunteer_hours``) by team or volunteer.

    ``by="volunteer"``: one row per volunteer who served, by pseudonymous id (never a name),
    with their team; ``by="team"``: one row per team (volunteers without a team under None)
    with how many of its volunteers served.  The last row (``"total"``) sums them.
    """
    hours = ds.hours_by_volunteer(period)

    def team_of(vid: str) -> str | None:
        v = ds.volunteers.get(vid)
        return v.team if v is not None else None

    team_labels: dict[str, Label] = {t.id: Label(t.name, t.name) for t in ds.teams.values()}
    team_labels["total"] = labels.HEADINGS["total"]
    total = round(sum(hours.values()), 6)
    if by == "volunteer":
        rows: list[dict[str, object]] = [
            {"volunteer_id": vid, "team": team_of(vid), "hours": round(h, 6)}
            for vid, h in sorted(hours.items())
        ]
        rows.append({"volunteer_id": None, "team": "total", "hours": total})
        return _table(
            "volunteer_hours_by_volunteer",
            ("volunteer_id", "team", "hours"),
            rows,
            lang,
            value_labels={"team": team_labels},
            title=_titled("volunteer_hours_by_volunteer", period),
        )
    if by != "team":
        raise InvalidValue("by", f"expected 'team' or 'volunteer', got {by!r}")
    teams: dict[str | None, list[float]] = {}
    for vid, h in hours.items():
        teams.setdefault(team_of(vid), []).append(h)
    order = [t for t in ds.teams if t in teams] + ([None] if None in teams else [])
    rows = [
        {"team": t, "volunteers": len(teams[t]), "hours": round(sum(teams[t]), 6)} for t in order
    ]
    rows.append({"team": "total", "volunteers": len(hours), "hours": total})
    return _table(
        "volunteer_hours_by_team",
        ("team", "volunteers", "hours"),
        rows,
        lang,
        value_labels={"team": team_labels},
        title=_titled("volunteer_hours_by_team", period),
    )


# --- projects ------------------------------------------------------------------------------


@reads_dataset
def completion(ds: Dataset, period: Period | None = None, *, lang: str = "en") -> Table:
    """Completion of each registered project against its planned outputs.

    Actuals are counted over the project's own period (start to end day), cut to ``period``
    when given: ``cases`` = the project's cases opened then; ``sessions`` = held sessions of
    the project's cases; ``activities`` = the project's activities; ``person_times`` =
    those sessions plus those activities' participants; ``volunteer_hours`` = hours on the
    project's activities plus hours recorded for the project.  ``rate`` = actual / planned
    (None when nothing was planned).  Only planned outputs have rows.
    """
    rows: list[dict[str, object]] = []
    for project in ds.projects.values():
        window = Period(project.start, project.end_exclusive)
        if period is not None:
            start, end = max(window.start, period.start), min(window.end, period.end)
            if start >= end:
                continue
            window = Period(start, end)
        mine = {c.id for c in ds.case_facts() if project.includes(c.programme)}
        acts = [a for a in ds.activity_facts(window) if a.project == project.id]
        held = sum(1 for _, cid, _ in ds.held_sessions(window) if cid in mine)
        participants = sum(a.participants for a in acts)
        hours = sum(a.volunteer_hours for a in acts) + sum(
            s.hours for s in ds.services if s.project == project.id and s.on in window
        )
        actual = {
            "cases": sum(1 for _, cid, _ in ds.opened(window) if cid in mine),
            "sessions": held,
            "activities": len(acts),
            "person_times": held + participants,
            "volunteer_hours": round(float(hours), 6),
        }
        for output, planned in project.planned.planned().items():
            rows.append(
                {
                    "project": project.id,
                    "output": output,
                    "planned": planned,
                    "actual": actual[output],
                    "rate": actual[output] / planned if planned else None,
                }
            )
    project_labels = ds.project_labels
    return _table(
        "completion",
        ("project", "output", "planned", "actual", "rate"),
        rows,
        lang,
        value_labels={"project": project_labels, "output": labels.OUTPUTS},
        title=_titled("completion", period),
    )


# --- time in states ------------------------------------------------------------------------


def quantile(values: Sequence[float], q: float) -> float:
    """The ``q`` quantile of sorted ``values``, interpolating linearly between ranks.

    The same rule as pandas' and numpy's default (``linear``): position ``q * (n - 1)``.
    """
    if not values:
        return float("nan")
    pos = q * (len(values) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (pos - lo)


@reads_dataset
def time_in_state(ds: Dataset, as_of: date | datetime | None = None, *, lang: str = "en") -> Table:
    """How long cases spend in each open-class state, in days, up to ``as_of``.

    For every case opened by ``as_of`` (default: the latest event), the time in each state is
    summed over its visits (a case suspended twice adds both spells); a case still in a state
    at ``as_of`` counts its time so far.  Per state, over the cases that were ever in it:
    ``n``, mean, median, quartiles (linear interpolation, as pandas) and maximum.  Closed-class
    states (closed, follow-up, withdrawn...) are left out: their time grows without end.
    """
    until = _when(as_of, ds, "time_in_state: as_of")
    by_state: dict[str, list[float]] = {}
    open_states: dict[str, None] = {}
    for lc in ds.lifecycles:
        for s in lc.states:
            if s.category is StateClass.OPEN:
                open_states[s.name] = None
    for state, days in ds.state_days(until, open_states).items():
        if state in open_states:
            by_state[state] = days
    rows: list[dict[str, object]] = []
    for state in open_states:
        values = sorted(by_state.get(state, []))
        if not values:
            continue
        rows.append(
            {
                "state": state,
                "n": len(values),
                "mean_days": sum(values) / len(values),
                "median_days": quantile(values, 0.5),
                "q1_days": quantile(values, 0.25),
                "q3_days": quantile(values, 0.75),
                "max_days": values[-1],
            }
        )
    return _table(
        "time_in_state",
        ("state", "n", "mean_days", "median_days", "q1_days", "q3_days", "max_days"),
        rows,
        lang,
        value_labels={"state": ds.state_labels},
    )


# --- outcomes ------------------------------------------------------------------------------


def default_cutoff(instrument: Instrument) -> CutOff | None:
    """The clinical cut-off an instrument's own rules give its total, if any.

    The first clinical ``>=`` threshold on ``total`` of a lower-is-better instrument (the
    MHT's ``total_high`` at 65, the GDS-15's ``depression_suggested`` at 6), so "recovered"
    means: reliably improved and now below the instrument's own clinical line.
    """
    if instrument.total.better is not Direction.LOWER:
        return None
    for t in instrument.thresholds:
        if t.kind is FlagKind.CLINICAL and t.targets == ("total",) and t.op == ">=":
            return CutOff(float(t.value), f"{instrument.id} rule {t.name!r}")
    return None


@reads_dataset
def outcomes(
    ds: Dataset,
    period: Period | None = None,
    *,
    instruments: Sequence[str] = DEFAULT_OUTCOME_INSTRUMENTS,
    cutoffs: Mapping[str, CutOff | None] | None = None,
    lang: str = "en",
) -> Table:
    """Pre/post outcomes per instrument, by :func:`casework.assessment.outcomes`.

    The cohort: cases with a usable baseline and a later post assessment of the instrument,
    the post dated in ``period``.  ``improved``: moved the better way at all;
    ``reliably_improved``: reliable change index beyond 1.96 the better way (recovered
    included); ``recovered``: reliably improved and past the cut-off (default: the
    instrument's own clinical rule, :func:`default_cutoff`; pass ``cutoffs`` to change it,
    ``None`` for none).  Reliability is estimated from the cohort's baselines; the table's
    notes say so (in both languages).  When it cannot be estimated (fewer than two people,
    or baselines that do not vary) the reliable-change columns are None, ``improved`` is
    still counted, and a note says why; an instrument nobody completed has a row of zeros
    and a note saying so.  Never raises for a small or uniform cohort.
    """
    rows: list[dict[str, object]] = []
    notes: list[Label] = []
    for name in instruments:
        instrument = SHIPPED_INSTRUMENTS.get(name)
        if cutoffs is not None and name in cutoffs:
            cutoff = cutoffs[name]
        else:
            cutoff = default_cutoff(instrument) if instrument is not None else None
        found = [
            (case, pre, post)
            for case, pre, post in pairs(list(ds.cases), name)
            if period is None or post.at.replace(tzinfo=None) in period
        ]
        row, why = _outcome_row(name, found, cutoff)
        rows.append(row)
        notes += why
    instrument_labels = {
        n: Label(labels.instrument_label(n, "zh"), labels.instrument_label(n, "en"))
        for n in instruments
    }
    return _table(
        "outcomes",
        (
            "instrument",
            "n",
            "improved",
            "reliably_improved",
            "recovered",
            "unchanged",
            "deteriorated",
        ),
        rows,
        lang,
        value_labels={"instrument": instrument_labels},
        notes=notes,
        title=_titled("outcomes", period),
    )


_RELIABLE = ("reliably_improved", "recovered", "unchanged", "deteriorated")


def _outcome_row(
    name: str, found: Sequence[tuple[Case, Assessment, Assessment]], cutoff: CutOff | None
) -> tuple[dict[str, object], list[Label]]:
    """One instrument's outcome row and the notes saying what it rests on (or why not)."""
    row: dict[str, object] = {"instrument": name, "n": len(found), "improved": 0}
    if not found:
        return {**row, **dict.fromkeys(_RELIABLE, 0)}, [labels.no_reliable_change_note(name, 0)]
    results = [(pre.result, post.result) for _, pre, post in found]
    row["improved"] = sum(
        1 for pre, post in results if (post.total - pre.total) * _sign(pre.better) > 0
    )
    try:
        reliability = estimate_reliability([pre for pre, _ in results])
    except InvalidValue:
        totals = {pre.total for pre, _ in results}
        same = float(next(iter(totals))) if len(totals) == 1 and len(results) > 1 else None
        why = labels.no_reliable_change_note(name, len(found), same=same)
        return {**row, **dict.fromkeys(_RELIABLE, None)}, [why]
    summary = cohort_outcomes(
        [case for case, _, _ in found], name, reliability=reliability, cutoff=cutoff
    )
    row.update({k: getattr(summary, k) for k in ("improved", *_RELIABLE)})
    return row, [labels.reliability_note(name, reliability), labels.cutoff_note(name, cutoff)]


def _sign(better: Direction) -> int:
    """+1 when a higher score is better, -1 when a lower one is."""
    return -1 if better is Direction.LOWER else 1


# --- trends --------------------------------------------------------------------------------

#: The measures a monthly series shows by default.
MONTHLY = (
    "opened",
    "closed",
    "withdrawn",
    "sessions",
    "activities",
    "participants",
    "person_times",
    "volunteer_hours",
)


@reads_dataset
def monthly(
    ds: Dataset,
    period: Period,
    *,
    include: Sequence[str] = MONTHLY,
    lang: str = "en",
) -> Table:
    """The measures month by month over ``period`` (calendar months, cut to the period).

    One row per month (``month`` is ``"2023-03"``), one column per measure, each computed by
    the same function as for any period, so the months sum to the period's figure (for
    ``closed`` and ``withdrawn``, a case that entered the state in two months counts in each).
    """
    unknown = [m for m in include if m not in measures.MEASURES]
    if unknown:
        raise InvalidValue(
            "include", f"unknown measures {unknown}; known: {list(measures.MEASURES)}"
        )
    rows = []
    for month in period.months():
        row: dict[str, object] = {"month": month.name}
        for key in include:
            value = measures.MEASURES[key](ds, month)
            row[key] = round(value, 6) if isinstance(value, float) else value
        rows.append(row)
    return _table("monthly", ("month", *include), rows, lang, title=_titled("monthly", period))
