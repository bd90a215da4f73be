"""Session plans and records: N sessions on a dateutil schedule, and what happened at each."""

from __future__ import annotations

import enum
from datetime import date, datetime, timedelta
from typing import Any

import attrs
from dateutil import rrule

from casework.errors import InvalidValue
from casework.records import as_datetime, as_items, coerce_enum

__all__ = ["SessionMode", "SessionPlan", "SessionRecord", "SessionStatus"]

DEFAULT_SESSIONS = 10


class SessionStatus(enum.StrEnum):
    """What became of a scheduled session; only ``held`` counts toward the plan."""

    HELD = "held"
    NO_SHOW = "no_show"
    CANCELLED = "cancelled"
    RESCHEDULED = "rescheduled"


class SessionMode(enum.StrEnum):
    """Where or how a session took place."""

    HOME_VISIT = "home_visit"
    OFFICE = "office"
    PHONE = "phone"
    ONLINE = "online"


def _status(value: Any) -> SessionStatus:
    return coerce_enum(SessionStatus, "SessionRecord.status", value)


def _mode(value: Any) -> SessionMode:
    return coerce_enum(SessionMode, "SessionRecord.mode", value)


def _held_at(value: Any) -> datetime | None:
    return None if value is None else as_datetime(value, "SessionRecord.held_at")


def _scheduled_at(value: Any) -> datetime | None:
    return None if value is None else as_datetime(value, "SessionRecord.scheduled_at")


def _dates(value: Any) -> tuple[datetime, ...]:
    return as_items(value, "SessionPlan.schedule", "datetimes")


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    items = as_items(value, where, "strings")
    for i, v in enumerate(items):
        if not isinstance(v, str):
            raise InvalidValue(f"{where}[{i}]", f"expected a string, got {v!r}")
    return items


def _goals(value: Any) -> tuple[str, ...]:
    return _strings(value, "SessionPlan.goals")


def _techniques(value: Any) -> tuple[str, ...]:
    return _strings(value, "SessionRecord.techniques")


def check_positive(where: str, value: Any) -> None:
    """Refuse anything but a positive int (None passes: the field is optional)."""
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
        raise InvalidValue(where, f"must be a positive whole number, got {value!r}")


def _positive(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    check_positive(f"{type(instance).__name__}.{attribute.name}", value)


@attrs.frozen
class SessionPlan:
    """The plan for the intervention: how many sessions, and when they are scheduled."""

    sessions: int = attrs.field(default=DEFAULT_SESSIONS, validator=_positive)
    schedule: tuple[datetime, ...] = attrs.field(default=(), converter=_dates)
    goals: tuple[str, ...] = attrs.field(default=(), converter=_goals)

    @schedule.validator
    def _check_schedule(self, attribute: attrs.Attribute[Any], value: tuple[Any, ...]) -> None:
        for i, when in enumerate(value):
            if not isinstance(when, datetime):
                where = f"SessionPlan.schedule[{i}]"
                raise InvalidValue(where, f"expected a datetime, got {when!r}")
        if list(value) != sorted(value):
            raise InvalidValue("SessionPlan.schedule", "dates must be in order")
        if value and len(value) != self.sessions:
            raise InvalidValue(
                "SessionPlan.schedule",
                f"{len(value)} dates for a plan of {self.sessions} sessions",
            )

    @classmethod
    def recurring(
        cls,
        start: date | datetime,
        *,
        sessions: int = DEFAULT_SESSIONS,
        freq: Any = rrule.WEEKLY,
        interval: int = 1,
        byweekday: Any = None,
        goals: tuple[str, ...] = (),
    ) -> SessionPlan:
        """A plan whose schedule is expanded by ``dateutil.rrule``.

        ``SessionPlan.recurring(date(2023, 4, 1), byweekday=rrule.SA)`` gives ten Saturdays.
        """
        check_positive("SessionPlan.sessions", sessions)
        dates = list(
            rrule.rrule(
                freq,
                dtstart=as_datetime(start, "SessionPlan.start"),
                interval=interval,
                count=sessions,
                byweekday=byweekday,
            )
        )
        return cls(sessions=sessions, schedule=tuple(dates), goals=goals)

    def revised(self, sessions: int) -> SessionPlan:
        """The plan raised to ``sessions``; extra dates continue the schedule's last interval."""
        check_positive("SessionPlan.sessions", sessions)
        if sessions <= self.sessions:
            raise InvalidValue(
                "SessionPlan.sessions",
                f"a revision adds sessions: {sessions} is not more than {self.sessions}",
            )
        schedule = self.schedule
        if schedule:
            step = schedule[-1] - schedule[-2] if len(schedule) > 1 else timedelta(days=7)
            extra = (schedule[-1] + step * k for k in range(1, sessions - self.sessions + 1))
            schedule = (*schedule, *extra)
        return attrs.evolve(self, sessions=sessions, schedule=schedule)


@attrs.frozen
class SessionRecord:
    """One session as it happened (or not): status, mode, duration, techniques, worker, notes."""

    number: int = attrs.field(validator=_positive)
    status: SessionStatus = attrs.field(default=SessionStatus.HELD, converter=_status)
    held_at: datetime | None = attrs.field(default=None, converter=_held_at)
    scheduled_at: datetime | None = attrs.field(default=None, converter=_scheduled_at)
    mode: SessionMode = attrs.field(default=SessionMode.HOME_VISIT, converter=_mode)
    duration_minutes: int | None = attrs.field(default=None, validator=_positive)
    techniques: tuple[str, ...] = attrs.field(default=(), converter=_techniques)
    worker: str | None = None
    notes: str = attrs.field(default="", metadata={"personal": True})

    @held_at.validator
    def _check_held(self, attribute: attrs.Attribute[Any], value: datetime | None) -> None:
        if self.status is SessionStatus.HELD and value is None:
            raise InvalidValue("SessionRecord.held_at", "a held session needs the time it was held")
        if self.status is not SessionStatus.HELD and value is not None:
            raise InvalidValue(
                "SessionRecord.held_at", f"a session that was {self.status.value} was not held"
            )

    @property
    def held(self) -> bool:
        """True when the session took place and counts toward the plan."""
        return self.status is SessionStatus.HELD

    @property
    def when(self) -> datetime | None:
        """The time the session was held, or else was scheduled for."""
        return self.held_at or self.scheduled_at
