"""Outreach rounds: who is visited when, by whom, within the hours workers give to outreach.

A scenario's ``outreach`` section puts ``people`` of each target group under watch from the
start.  Person ``k`` of a group of ``n`` visited every ``d`` days is first due on day
``k * d // n``, so the register starts as a running one (everybody on time, visits spread
over the rhythm) rather than with everybody due on the first morning.

Each visiting worker gives ``hours_per_week`` to outreach: a fifth of it on each weekday
(Monday to Friday) that is not a station holiday.  Week by week, a worker takes their own
people in order of due date (then of registration) and visits each on the first day, on or
after the day they are due, that still has the visit's minutes left; visits of a day follow
each other from 09:00.  Whoever does not fit waits for the next week, and is overdue once past
their due date.  After a visit the person is due again ``d`` days later.

Whether a visit finds a need, and whether that need becomes a referral, is drawn from the
run's own outreach stream (seeded from the run's seed), so a run is reproducible and the
referral process of a scenario without outreach is exactly what it was.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

import attrs

from casework.outreach import Resident
from casework.simulation.capacity import holiday_days
from casework.simulation.scenario import OutreachGroup, Scenario

__all__ = ["PlannedVisit", "Rounds", "WatchedPerson", "due_on"]

#: Minute of the day a worker's first outreach visit starts (09:00).
FIRST_MINUTE = 9 * 60
#: Ages (years) drawn for a person under watch, by the start of their group's name.
_AGES = {"elderly": (65, 90), "child": (6, 15)}
_ADULT = (18, 64)


@attrs.define
class WatchedPerson:
    """A person under watch in a run: their record, group, worker and next due day."""

    resident: Resident
    group: OutreachGroup
    worker: str
    due: int
    order: int
    visits: int = 0


@attrs.frozen
class PlannedVisit:
    """A visit the round makes: when (``time``, simulated days from the start, with the time
    of day), whom, by whom, the person's visit ``number``, and what the draws say it finds."""

    time: float
    person: WatchedPerson = attrs.field(eq=False)
    worker: str
    number: int
    need: bool
    referral: bool


class Rounds:
    """The outreach rounds of one run of ``scenario`` (seeded by the run's ``seed``)."""

    def __init__(self, scenario: Scenario, seed: int) -> None:
        outreach = scenario.outreach
        if outreach is None:
            raise ValueError("the scenario has no outreach section")
        self.scenario = scenario
        self.rng = random.Random(f"casework.simulation.outreach:{seed}")
        self.off = holiday_days(scenario)
        self.per_day = outreach.hours_per_week * 60.0 / 5.0
        visitors = scenario.visitors
        self.people: list[WatchedPerson] = []
        for group in outreach.groups:
            lo, hi = next((a for k, a in _AGES.items() if group.target_group.startswith(k)), _ADULT)
            for k in range(group.people):
                order = len(self.people)
                born = scenario.start - timedelta(days=self.rng.randint(lo * 365, hi * 365 + 364))
                resident = Resident(
                    f"{group.target_group}-{k + 1:04d}",
                    f"{group.target_group} {k + 1}",
                    born,
                    frozenset({group.target_group}),
                    scenario.start,
                    visit_every=group.interval,
                    worker=visitors[order % len(visitors)],
                )
                due = k * group.interval // group.people
                self.people.append(
                    WatchedPerson(resident, group, resident.worker or "", due, order)
                )

    def _working_days(self, week: int) -> list[int]:
        start = self.scenario.start
        return [
            d
            for d in range(week, min(week + 7, self.scenario.days))
            if d not in self.off and (start + timedelta(days=d)).weekday() < 5
        ]

    def week(self, week: int) -> list[PlannedVisit]:
        """The visits of the week starting on day ``week``, in the order they happen."""
        days = self._working_days(week)
        planned: list[PlannedVisit] = []
        for worker in self.scenario.visitors:
            used = dict.fromkeys(days, 0.0)
            due = sorted(
                (p for p in self.people if p.worker == worker and p.due < week + 7),
                key=lambda p: (p.due, p.order),
            )
            for person in due:
                minutes = person.group.minutes
                day = next(
                    (
                        d
                        for d in days
                        if d >= person.due
                        and (used[d] + minutes <= self.per_day or (used[d] == 0 and self.per_day))
                    ),
                    None,
                )
                if day is None:
                    continue  # no room this week: the person waits (and may become overdue)
                time = day + (FIRST_MINUTE + used[day]) / 1440.0
                used[day] += minutes
                person.visits += 1
                person.due = day + person.group.interval
                need = self.rng.random() < person.group.need_rate
                referral = need and self.rng.random() < person.group.referral_share
                planned.append(PlannedVisit(time, person, worker, person.visits, need, referral))
        planned.sort(key=lambda v: (v.time, v.worker, v.person.order))
        return planned


def due_on(resident: Resident, registered: date, last: date | None) -> date:
    """The day a person under watch is next due: their rhythm after the last visit (or after
    their registration), as the agenda's register rule reads it."""
    since = registered if last is None or last <= registered else last
    return since + timedelta(days=resident.visit_every)
