"""Reporting periods: half-open ranges of days, ``[start, end)``, built by calendar.

``Period.year(2023)`` is 1 January 2023 up to (not including) 1 January 2024;
``Period.month(2023, 2)`` is February; ``period.months()`` splits a period into calendar
months with :class:`dateutil.relativedelta.relativedelta`, so month lengths and leap years
are the calendar's.  A time belongs to the period when ``start <= time < end`` (a bare date
means its midnight), so consecutive periods never count an event twice.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

import attrs
from dateutil.relativedelta import relativedelta

from casework.errors import InvalidValue
from casework.records import as_datetime

__all__ = ["Period"]


def _day(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    raise InvalidValue("Period", f"expected a date, got {value!r}")


def _check_number(where: str, value: Any, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidValue(where, f"expected a whole number, got {value!r}")
    if not low <= value <= high:
        raise InvalidValue(where, f"must be from {low} to {high}, got {value}")


@attrs.frozen(order=True)
class Period:
    """Days from ``start`` up to, not including, ``end``."""

    start: date = attrs.field(converter=_day)
    end: date = attrs.field(converter=_day)

    @end.validator
    def _check(self, attribute: attrs.Attribute[Any], value: date) -> None:
        if value <= self.start:
            raise InvalidValue("Period.end", f"{value} is not after the start {self.start}")

    def __str__(self) -> str:
        return self.name

    @classmethod
    def year(cls, year: int) -> Period:
        """The calendar year ``year``."""
        _check_number("Period.year: year", year, 1, 9998)
        start = date(year, 1, 1)
        return cls(start, start + relativedelta(years=1))

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        """One calendar month."""
        _check_number("Period.month: year", year, 1, 9998)
        _check_number("Period.month: month", month, 1, 12)
        start = date(year, month, 1)
        return cls(start, start + relativedelta(months=1))

    @classmethod
    def days(cls, first: date, last: date) -> Period:
        """From ``first`` to ``last``, both days included."""
        end = _day(last)
        if end == date.max:
            raise InvalidValue("Period.days: last", f"{end} is the last day a date can hold")
        return cls(first, end + timedelta(days=1))

    @property
    def name(self) -> str:
        """``2023`` for a calendar year, ``2023-03`` for a calendar month, else the range."""
        s, e = self.start, self.end
        if s.month == 1 and s.day == 1 and e == s + relativedelta(years=1):
            return f"{s.year}"
        if s.day == 1 and e == s + relativedelta(months=1):
            return f"{s:%Y-%m}"
        return f"{s.isoformat()}..{(e - timedelta(days=1)).isoformat()}"

    @property
    def start_at(self) -> datetime:
        """The first instant of the period."""
        return as_datetime(self.start)

    @property
    def end_at(self) -> datetime:
        """The first instant after the period."""
        return as_datetime(self.end)

    @property
    def last_day(self) -> date:
        """The period's last day."""
        return self.end - timedelta(days=1)

    def __contains__(self, when: object) -> bool:
        if isinstance(when, datetime):
            return self.start_at <= when.replace(tzinfo=None) < self.end_at
        if isinstance(when, date):
            return self.start <= when < self.end
        return False

    def months(self) -> Iterator[Period]:
        """The calendar months the period touches, each cut to the period."""
        first = self.start.replace(day=1)
        while first < self.end:
            nxt = first + relativedelta(months=1)
            yield Period(max(first, self.start), min(nxt, self.end))
            first = nxt
