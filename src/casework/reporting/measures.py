"""The counts reports are made of, each defined once, here, over a period.

Every measure is a function ``(dataset, period) -> number`` reading only events (through
:class:`~casework.reporting.dataset.Dataset`); ``period=None`` means all time.  Tables, the
monthly series and the yearly ledger all call these, so a definition cannot drift between
them.  Periods are half-open (``start <= time < end``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Final

import attrs

from casework.reporting.dataset import Dataset, reads_dataset
from casework.reporting.labels import INDICATORS, Label
from casework.reporting.period import Period

__all__ = [
    "MEASURES",
    "Measure",
    "activities",
    "closed",
    "opened",
    "participants",
    "person_times",
    "sessions",
    "volunteer_hours",
    "withdrawn",
]


@reads_dataset
def opened(ds: Dataset, period: Period | None = None) -> int:
    """Cases opened: cases whose ``case_opened`` event is dated in the period."""
    return ds.opened_count(period)


def _entered(ds: Dataset, state: str, period: Period | None) -> int:
    return ds.entered_count(state, period)


@reads_dataset
def closed(ds: Dataset, period: Period | None = None) -> int:
    """Cases closed: distinct cases that entered the state ``closed`` in the period.

    A case closed, reopened and closed again in one period counts once.
    """
    return _entered(ds, "closed", period)


@reads_dataset
def withdrawn(ds: Dataset, period: Period | None = None) -> int:
    """Cases withdrawn: distinct cases that entered the state ``withdrawn`` in the period."""
    return _entered(ds, "withdrawn", period)


@reads_dataset
def sessions(ds: Dataset, period: Period | None = None) -> int:
    """Sessions held: session records with status ``held`` whose ``held_at`` is in the period.

    No-shows, cancellations and reschedulings are recorded but not counted.
    """
    return ds.held_count(period)


@reads_dataset
def activities(ds: Dataset, period: Period | None = None) -> int:
    """Community activities held on a day in the period."""
    return sum(t.activities for t in ds.activity_totals(period).values())


@reads_dataset
def participants(ds: Dataset, period: Period | None = None) -> int:
    """Activity participants: the head counts of the activities held in the period, summed."""
    return sum(t.participants for t in ds.activity_totals(period).values())


@reads_dataset
def person_times(ds: Dataset, period: Period | None = None) -> int:
    """Service person-times (服务人次): one per held session plus each activity's participants.

    Each person is counted once per service: a session serves its client once (a guardian
    present does not add one); an activity serves each participant once, however long it
    lasts.  So ``person_times == sessions + participants`` for every period.
    """
    return sessions(ds, period) + participants(ds, period)


@reads_dataset
def volunteer_hours(ds: Dataset, period: Period | None = None) -> float:
    """Volunteer hours: the hours listed on activities held in the period, plus hours
    recorded outside activities (``volunteer_hours_recorded``) on a day in the period.
    """
    at_activities = sum(t.volunteer_hours for t in ds.activity_totals(period).values())
    outside = sum(s.hours for s in ds.services if period is None or s.on in period)
    return float(at_activities + outside)


@attrs.frozen
class Measure:
    """A named count over a period, with its bilingual label; ``definition`` is its docstring."""

    key: str
    compute: Callable[[Dataset, Period | None], float]

    @property
    def label(self) -> Label:
        """The measure's label (from :data:`casework.reporting.labels.INDICATORS`)."""
        return INDICATORS[self.key]

    @property
    def definition(self) -> str:
        """What is counted, as the function's docstring says."""
        return " ".join((self.compute.__doc__ or "").split())

    def __call__(self, ds: Dataset, period: Period | None = None) -> float:
        return self.compute(ds, period)


#: Every measure by key, in the order reports show them.
MEASURES: Final[Mapping[str, Measure]] = {
    m.__name__: Measure(m.__name__, m)
    for m in (
        opened,
        closed,
        withdrawn,
        sessions,
        activities,
        participants,
        person_times,
        volunteer_hours,
    )
}
