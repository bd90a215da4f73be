"""Outreach indicators (主动服务): visits, people under watch visited on time, cases found.

Each indicator is defined once, here, and the yearly ledger shows them when the station
keeps an outreach register:

* :func:`outreach_visits`: outreach visits dated in the period, by month and target group
  (a visit to a person in two groups counts once in each group's row, once in the total);
* :func:`watch_on_time`: the people under watch registered by the period's end, by target
  group, and how many were visited on time: not overdue for a visit (by their own rhythm) on
  the period's last day;
* :func:`outreach_summary`: visits in the period, visits that found a need, people under
  watch at the end, and cases opened in the period from an outreach visit;
* :func:`overdue_by_rule`: for each due-work rule, the items overdue on the period's last day
  and their median days overdue (the agenda of that day, :mod:`casework.reporting.agenda`).
"""

from __future__ import annotations

import statistics
from collections import Counter
from datetime import timedelta

from casework.catalogue import Catalogue
from casework.register import Register
from casework.reporting import labels
from casework.reporting.agenda import agenda
from casework.reporting.dataset import Dataset
from casework.reporting.labels import Label
from casework.reporting.period import Period
from casework.reporting.table import Table

__all__ = [
    "OUTREACH_TABLES",
    "has_register",
    "outreach_summary",
    "outreach_visits",
    "overdue_by_rule",
    "watch_on_time",
]

#: The outreach tables' names, as the yearly report files them.
OUTREACH_TABLES = ("outreach", "outreach_visits", "watch_on_time", "overdue_by_rule")

_TITLES = {
    "outreach": Label("主动服务（走访）", "proactive service (outreach)"),
    "outreach_visits": Label("走访次数（按月、按类别）", "outreach visits by month and group"),
    "watch_on_time": Label("重点对象按时走访", "people under watch visited on time"),
    "overdue_by_rule": Label("逾期待办（期末）", "overdue work at the end of the period"),
}
_MEASURES = {
    "visits": Label("走访次数", "outreach visits"),
    "needs_found": Label("发现需求的走访", "visits that found a need"),
    "people_under_watch": Label("重点关注对象", "people under watch"),
    "cases_from_outreach": Label("走访发现并开案", "cases opened from outreach"),
}


def _registers(ds: Dataset, period: Period) -> list[Register]:
    last = period.end - timedelta(days=1)
    return [Register.of(j, until=last) for j in ds.journals]


def has_register(ds: Dataset) -> bool:
    """True when a journal of ``ds`` registered anyone under watch."""
    return any(Register.of(j).residents for j in ds.journals)


def _table(
    name: str,
    columns: tuple[str, ...],
    rows: list[dict[str, object]],
    lang: str,
    value_labels: dict[str, dict[str, Label]] | None = None,
) -> Table:
    return Table(
        name,
        columns,
        rows,
        _TITLES[name],
        value_labels=value_labels or {},
        lang=labels.check_lang(lang),
    )


def _groups() -> dict[str, Label]:
    return dict(labels.TARGET_GROUPS)


def outreach_visits(ds: Dataset, period: Period, *, lang: str = "en") -> Table:
    """Outreach visits dated in ``period``, one row per month and target group (with visits)."""
    counts: Counter[tuple[str, str]] = Counter()
    for reg in _registers(ds, period):
        for v in reg.visits:
            if not period.start <= v.on < period.end:
                continue
            person = reg.residents.get(v.resident)
            for group in sorted(person.target_groups) if person is not None else ():
                counts[(f"{v.on:%Y-%m}", group)] += 1
    rows: list[dict[str, object]] = [
        {"month": m, "target_group": g, "visits": n} for (m, g), n in sorted(counts.items())
    ]
    return _table(
        "outreach_visits",
        ("month", "target_group", "visits"),
        rows,
        lang,
        {"target_group": _groups()},
    )


def watch_on_time(
    ds: Dataset, period: Period, *, catalogue: Catalogue | None = None, lang: str = "en"
) -> Table:
    """People under watch by target group, and the share visited on time at the period's end.

    On time: no ``register_visit`` item is overdue for the person on the period's last day.
    """
    last = period.end - timedelta(days=1)
    late = {
        i.subject
        for i in agenda(journals=ds.journals, on=last, catalogue=catalogue, overdue=True)
        if i.kind == "resident"
    }
    people: Counter[str] = Counter()
    on_time: Counter[str] = Counter()
    for reg in _registers(ds, period):
        for person in reg.residents.values():
            for group in person.target_groups:
                people[group] += 1
                on_time[group] += person.id not in late
    rows: list[dict[str, object]] = [
        {
            "target_group": g,
            "people": people[g],
            "on_time": on_time[g],
            "on_time_rate": round(on_time[g] / people[g], 6),
        }
        for g in sorted(people)
    ]
    return _table(
        "watch_on_time",
        ("target_group", "people", "on_time", "on_time_rate"),
        rows,
        lang,
        {"target_group": _groups()},
    )


def outreach_summary(ds: Dataset, period: Period, *, lang: str = "en") -> Table:
    """Visits and visits that found a need (dated in the period), people under watch at its
    end, and cases opened in the period from an outreach visit (``case.referral``)."""
    regs = _registers(ds, period)
    visits = [v for r in regs for v in r.visits if period.start <= v.on < period.end]
    found = sum(
        1
        for c in ds.cases
        if c.referral is not None and period.start <= c.opened_at.date() < period.end
    )
    values = {
        "visits": len(visits),
        "needs_found": sum(1 for v in visits if v.found_need),
        "people_under_watch": sum(len(r.residents) for r in regs),
        "cases_from_outreach": found,
    }
    rows: list[dict[str, object]] = [{"measure": k, "value": v} for k, v in values.items()]
    return _table("outreach", ("measure", "value"), rows, lang, {"measure": _MEASURES})


def overdue_by_rule(
    ds: Dataset, period: Period, *, catalogue: Catalogue | None = None, lang: str = "en"
) -> Table:
    """For each rule with overdue items on the period's last day: their count and median
    days overdue (cases and people under watch alike)."""
    last = period.end - timedelta(days=1)
    items = agenda(ds.cases, ds.journals, on=last, catalogue=catalogue, overdue=True)
    by_rule: dict[str, list[int]] = {}
    names: dict[str, Label] = {}
    for i in items:
        by_rule.setdefault(i.rule, []).append(i.days_overdue)
        names[i.rule] = Label(i.zh, i.en)
    rows: list[dict[str, object]] = [
        {"rule": r, "items": len(d), "median_days_overdue": float(statistics.median(d))}
        for r, d in sorted(by_rule.items())
    ]
    return _table(
        "overdue_by_rule", ("rule", "items", "median_days_overdue"), rows, lang, {"rule": names}
    )
