"""The indicators of one run, read from the cases' events as a report would read real ones.

Nothing here asks the simulator what happened: waiting times, closures, sessions and the
waiting list are all derived from the event logs (``case_opened``, ``planning_started``,
``intervention_started``, ``session_recorded``, ``closed``...), and the share of children
reliably improved comes from :func:`casework.assessment.outcomes` on the recorded MHT results.
Only capacity (what the workers could have held) comes from the scenario.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any

import attrs

from casework.assessment import outcomes
from casework.case import Case
from casework.errors import InvalidValue
from casework.instruments import Reliability
from casework.journal import Journal
from casework.outreach import VisitReferral
from casework.plan import SessionRecord
from casework.simulation.capacity import capacity_by_worker
from casework.simulation.scenario import Scenario

__all__ = ["HEADLINE", "LABELS", "OUTREACH", "Metrics", "measure"]

NAN = float("nan")

#: Label of each headline indicator, in English and Chinese, with its unit.
LABELS: Mapping[str, tuple[str, str, str]] = {
    "waiting_days": (
        "waiting time, referral to first session",
        "等待时间（转介至首次服务）",
        "days",
    ),
    "waiting_list_autumn": (
        "waiting list in autumn (Sep-Nov)",
        "秋季（9-11月）等待人数",
        "children",
    ),
    "closure_days": ("time to closure", "结案用时", "days"),
    "closed_per_year": ("cases closed per year", "每年结案数", "cases"),
    "completed_plan": ("children who finished the plan", "完成全部服务的儿童", "children"),
    "sessions_held": ("sessions delivered", "服务次数", "sessions"),
    "utilisation": ("worker utilisation (held / capacity)", "人员使用率（服务/容量）", "share"),
    "busiest_worker": ("busiest worker's utilisation", "最忙人员使用率", "share"),
    "reliably_improved": ("share reliably improved (MHT)", "MHT可靠改善比例", "share"),
    "dropped_out": ("families who dropped out", "中途退出的家庭", "families"),
    "outreach_visits": ("outreach visits", "走访次数", "visits"),
    "outreach_hours": ("worker hours spent on visits", "走访所用工时", "hours"),
    "found_by_outreach": ("cases found through outreach", "走访发现并开案", "cases"),
    "overdue_at_end": ("people overdue for a visit at the end", "期末逾期未走访人数", "people"),
}
#: The outreach indicators (0 for a scenario without an ``outreach`` section).
OUTREACH: tuple[str, ...] = (
    "outreach_visits",
    "outreach_hours",
    "found_by_outreach",
    "overdue_at_end",
)
#: The indicators summarised by default, in this order.
HEADLINE: tuple[str, ...] = tuple(n for n in LABELS if n not in OUTREACH)


@attrs.frozen
class Metrics:
    """Indicators of one run (``seed``).  Means over cases are ``nan`` when no case qualifies.

    ``waiting_days``: mean days from referral to the first held session, over cases that had
    one (children still waiting at the end are not in it: read it with ``waiting_list``).
    ``closure_days``: mean days from referral to closure, over closed cases.
    ``closed_per_year``: closures in the period, scaled to 365 days.  ``utilisation``: sessions
    held / session capacity of every worker over the working (non-holiday) days.
    ``waiting_list``: (month, mean number of children waiting for a slot that month).
    ``reliably_improved``: share of children with a baseline and a post MHT whose reliable
    change is an improvement; ``reliability_source`` says where r and SD came from.

    Outreach (read from the register's journal): ``outreach_visits`` recorded in the period;
    ``outreach_hours``: their worker time (each visit takes its group's ``minutes``);
    ``needs_found``: visits that found a need; ``found_by_outreach``: cases opened from a visit
    (their referral source is the visit); ``overdue_at_end``: people under watch overdue for a
    visit on the period's last day (past their rhythm since the last visit, or since they were
    registered), as the agenda of that day would list them.  All 0 without outreach.
    """

    seed: int
    referred: int
    declined: int
    screened_out: int
    admitted: int
    started: int
    dropped_out: int
    ended_early: int
    completed_plan: int
    closed: int
    open_at_end: int
    sessions_held: int
    no_shows: int
    waiting_days: float
    closure_days: float
    closed_per_year: float
    utilisation: float
    busiest_worker: float
    team_utilisation: tuple[tuple[str, float], ...]
    worker_utilisation: tuple[tuple[str, float], ...]
    waiting_list: tuple[tuple[str, float], ...]
    waiting_list_autumn: float
    assessed: int
    reliably_improved: float
    reliability_source: str
    outreach_visits: int = 0
    outreach_hours: float = 0.0
    needs_found: int = 0
    found_by_outreach: int = 0
    overdue_at_end: int = 0

    def value(self, name: str) -> float:
        """The indicator ``name`` as a float (see :data:`LABELS`)."""
        v = getattr(self, name)
        if isinstance(v, bool) or not isinstance(v, int | float):
            raise InvalidValue("metric", f"{name!r} is not a number")
        return float(v)

    def values(self, names: Iterable[str] = HEADLINE) -> dict[str, float]:
        """The indicators ``names`` as a dict of floats."""
        return {n: self.value(n) for n in names}


def _mean(xs: Sequence[float]) -> float:
    return sum(xs) / len(xs) if xs else NAN


def _days(a: datetime, b: datetime) -> float:
    return (b - a).total_seconds() / 86400.0


def measure(
    scenario: Scenario, cases: Sequence[Case], *, seed: int = 0, journal: Journal | None = None
) -> Metrics:
    """The indicators of ``cases`` simulated (or recorded) under ``scenario``.

    ``journal``: the station journal holding the outreach register, for the outreach indicators.
    """
    origin = datetime(scenario.start.year, scenario.start.month, scenario.start.day)
    end = origin + timedelta(days=scenario.days)
    count: dict[str, int] = {}
    waits: list[float] = []
    closures: list[float] = []
    held_by: dict[str, int] = {}
    held = no_shows = 0
    waiting_spans: list[tuple[datetime, datetime]] = []
    for case in cases:
        opened = case.history[0].at
        first_held: datetime | None = None
        planning_from: datetime | None = None
        for ev in case.history:
            t = ev.type
            count[t] = count.get(t, 0) + 1
            if t == "session_recorded" and not case.voided(ev.seq):
                s: SessionRecord = case.effective(ev).payload["session"]  # as corrected
                if s.held:
                    held += 1
                    if s.worker is not None:
                        held_by[s.worker] = held_by.get(s.worker, 0) + 1
                    if first_held is None:
                        first_held = ev.at
                else:
                    no_shows += 1
            elif t == "closed":
                closures.append(_days(opened, ev.at))
            if ev.state == "planning" and planning_from is None:
                planning_from = ev.at
            elif ev.state != "planning" and planning_from is not None:
                waiting_spans.append((planning_from, ev.at))
                planning_from = None
        if planning_from is not None:
            waiting_spans.append((planning_from, end))
        if first_held is not None:
            waits.append(_days(opened, first_held))
    dropped = sum(
        1
        for c in cases
        if c.state == "withdrawn" and any(e.type == "intervention_started" for e in c.history)
    )
    total_capacity, team_use, worker_use = _utilisation(scenario, held_by)
    monthly = _waiting_by_month(waiting_spans, origin, end)
    autumn = [(v, days) for month, v, days in monthly if month[5:] in ("09", "10", "11")]
    autumn_days = sum(days for _, days in autumn)
    autumn_mean = sum(v * d for v, d in autumn) / autumn_days if autumn_days else NAN
    assessed, improved, source = _improvement(scenario, cases)
    return Metrics(
        seed=seed,
        referred=len(cases),
        declined=sum(
            1
            for c in cases
            if c.state == "withdrawn" and not any(e.type == "consent_recorded" for e in c.history)
        ),
        screened_out=count.get("screened_out", 0),
        admitted=count.get("admitted", 0),
        started=count.get("intervention_started", 0),
        dropped_out=dropped,
        ended_early=count.get("intervention_ended_early", 0),
        completed_plan=count.get("evaluation_started", 0),
        closed=count.get("closed", 0),
        open_at_end=sum(1 for c in cases if c.is_open),
        sessions_held=held,
        no_shows=no_shows,
        waiting_days=_mean(waits),
        closure_days=_mean(closures),
        closed_per_year=count.get("closed", 0) * 365.0 / scenario.days,
        utilisation=held / total_capacity if total_capacity > 0 else NAN,
        busiest_worker=max((u for _, u in worker_use), default=NAN),
        team_utilisation=tuple(team_use),
        worker_utilisation=worker_use,
        waiting_list=tuple((m, v) for m, v, _ in monthly),
        waiting_list_autumn=autumn_mean,
        assessed=assessed,
        reliably_improved=improved,
        reliability_source=source,
        found_by_outreach=sum(1 for c in cases if isinstance(c.referral, VisitReferral)),
        **_outreach(scenario, journal, end),
    )


def _outreach(scenario: Scenario, journal: Journal | None, end: datetime) -> dict[str, Any]:
    """Visits, their hours, needs found and people overdue at the end, from the register."""
    from casework.register import Register
    from casework.simulation.outreach import due_on

    if journal is None:
        return {}
    minutes = {
        g.target_group: g.minutes for g in (scenario.outreach.groups if scenario.outreach else ())
    }
    last_day = (end - timedelta(days=1)).date()
    register = Register.of(journal, until=last_day)
    visits = [v for v in register.visits if v.on <= last_day]
    hours = 0.0
    last: dict[str, date] = {}
    for v in visits:
        person = register.residents[v.resident]
        hours += max((minutes.get(g, 0.0) for g in person.target_groups), default=0.0) / 60.0
        last[v.resident] = max(v.on, last.get(v.resident, v.on))
    overdue = sum(
        1
        for person in register.residents.values()
        if last_day > due_on(person, register.registered_at[person.id].date(), last.get(person.id))
    )
    return {
        "outreach_visits": len(visits),
        "outreach_hours": round(hours, 6),
        "needs_found": sum(1 for v in visits if v.found_need),
        "overdue_at_end": overdue,
    }


def _utilisation(
    scenario: Scenario, held_by: Mapping[str, int]
) -> tuple[float, tuple[tuple[str, float], ...], tuple[tuple[str, float], ...]]:
    """(total capacity, utilisation per team, per worker): sessions held / slot dates."""
    capacity = capacity_by_worker(scenario)
    worker_use = tuple((w, held_by.get(w, 0) / cap) for w, cap in capacity.items() if cap > 0)
    team_use = []
    for team in scenario.teams:
        cap = sum(capacity[w] for w in team.workers)
        if cap > 0:
            team_use.append((team.name, sum(held_by.get(w, 0) for w in team.workers) / cap))
    return float(sum(capacity.values())), tuple(team_use), worker_use


def _waiting_by_month(
    spans: Sequence[tuple[datetime, datetime]], origin: datetime, end: datetime
) -> list[tuple[str, float, float]]:
    """(``YYYY-MM``, mean children waiting, days of that month in the period), month by month."""
    rows = []
    month = date(origin.year, origin.month, 1)
    while datetime(month.year, month.month, 1) < end:
        nxt = date(month.year + month.month // 12, month.month % 12 + 1, 1)
        lo = max(origin, datetime(month.year, month.month, 1))
        hi = min(end, datetime(nxt.year, nxt.month, 1))
        length = _days(lo, hi)
        if length > 0:
            overlap = sum(max(0.0, _days(max(a, lo), min(b, hi))) for a, b in spans)
            rows.append((f"{month:%Y-%m}", overlap / length, length))
        month = nxt
    return rows


def _improvement(scenario: Scenario, cases: Sequence[Case]) -> tuple[int, float, str]:
    """(children with baseline and post, share reliably improved, where r and SD came from)."""
    m = scenario.mht
    supplied = (
        Reliability.supplied(m.reliability, m.reliability_sd)
        if m.reliability is not None and m.reliability_sd is not None
        else None
    )
    try:
        summary = outcomes(cases, "mht", reliability=supplied)
    except InvalidValue as exc:
        return 0, NAN, f"not computed: {exc.problem}"
    share = summary.reliably_improved / summary.n if summary.n else math.nan
    return summary.n, share, summary.reliability.source
