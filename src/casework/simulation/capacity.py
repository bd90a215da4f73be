"""Session capacity as a timetable: each worker's weekly (or fortnightly) slots.

A worker with ``k`` sessions a week owns ``k`` slots, each a fixed weekday and hour (a
counsellor's "Saturday 10:00"); for fortnightly plans each becomes two slots, on even and odd
weeks.  A case holds one slot for its whole intervention and is seen only at that slot's
dates, so no slot date is ever used twice, and a worker's capacity is simply the number of
their slot dates in the period that are not station holidays.  Utilisation (sessions held /
capacity) therefore lies in [0, 1] by construction.
"""

from __future__ import annotations

import attrs

from casework.simulation.scenario import Scenario

__all__ = ["Slot", "capacity_by_worker", "first_date", "holiday_days", "slots"]

#: Hour of a worker's first slot on a day; a further slot on the same weekday is 2 hours later.
FIRST_HOUR = 9
HOURS_APART = 2


@attrs.frozen
class Slot:
    """One recurring session slot: a worker's ``weekday`` (0 = Monday) at ``hour``.

    ``parity`` is the week (counted from the scenario's start) modulo the cadence in weeks:
    a fortnightly slot meets on even (0) or odd (1) weeks; a weekly one every week (0).
    """

    worker: str
    team: str
    weekday: int
    hour: int
    parity: int = 0


def slots(scenario: Scenario) -> list[Slot]:
    """Every worker's slots, interleaved so that successive cases spread over the workers."""
    every = scenario.plan.interval_weeks
    per_worker: list[list[Slot]] = []
    offset = 0
    for team in scenario.teams:
        k = int(team.sessions_per_week)
        for worker in team.workers:
            own = []
            for j in range(k):
                weekday = (offset + j) % 7
                hour = FIRST_HOUR + HOURS_APART * (j // 7)
                own += [Slot(worker, team.name, weekday, hour, p) for p in range(every)]
            per_worker.append(own)
            offset += 1
    most = max((len(s) for s in per_worker), default=0)
    return [own[r] for r in range(most) for own in per_worker if len(own) > r]


def holiday_days(scenario: Scenario) -> frozenset[int]:
    """Day numbers (0 = the start) of the period that fall in a station holiday."""
    start, days = scenario.start, scenario.days
    return frozenset(
        d
        for h in scenario.holidays
        for d in range(max(0, (h.start - start).days), min(days, (h.end - start).days + 1))
    )


def first_date(scenario: Scenario, slot: Slot, not_before: float) -> int:
    """The first day number on or after ``not_before`` that is a date of ``slot``.

    (Holidays are not skipped here: the model skips them as it goes.)
    """
    first_weekday = scenario.start.weekday()
    every = scenario.plan.interval_weeks
    day = max(0, int(-(-not_before // 1)))  # ceil, and never before the start
    while (first_weekday + day) % 7 != slot.weekday or (day // 7) % every != slot.parity:
        day += 1
    return day


def capacity_by_worker(scenario: Scenario) -> dict[str, int]:
    """Session dates each worker has in the period, holidays left out (zero-slot workers: 0)."""
    off = holiday_days(scenario)
    step = 7 * scenario.plan.interval_weeks
    out = {w: 0 for t in scenario.teams for w in t.workers}
    for slot in slots(scenario):
        day = first_date(scenario, slot, 0)
        while day < scenario.days:
            if day not in off:
                out[slot.worker] += 1
            day += step
    return out
