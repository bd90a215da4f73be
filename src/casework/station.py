"""Station records: the station, its projects, volunteers and teams, partners and activities.

These are facts, frozen and validated when built (a bad value raises
:class:`~casework.errors.InvalidValue` naming the field).  They are recorded as events in the
station's :class:`~casework.journal.Journal` (see :mod:`casework.recording`), so
they are stored by the same stores as cases.  Fields holding personal data carry
``metadata={"personal": True}``, like the core records, so exports leave them out by default.
"""

from __future__ import annotations

import enum
import math
from datetime import date, timedelta
from typing import Any

import attrs

from casework._validators import day as _day
from casework._validators import optional_day as _optional_day
from casework._validators import optional_text as _optional_text
from casework._validators import text as _text
from casework._validators import where as _where
from casework.errors import InvalidValue
from casework.records import as_items, coerce_enum

__all__ = [
    "Activity",
    "ActivityKind",
    "PartnerOrganisation",
    "PartnerRole",
    "PlannedOutputs",
    "Project",
    "ServiceArea",
    "Station",
    "Volunteer",
    "VolunteerHours",
    "VolunteerService",
    "VolunteerTeam",
]

PERSONAL = {"personal": True}


class ServiceArea(enum.StrEnum):
    """The four service areas of a station (社会救助/养老服务/儿童关爱/社区治理)."""

    SOCIAL_ASSISTANCE = "social_assistance"
    ELDERLY_SERVICES = "elderly_services"
    CHILD_CARE = "child_care"
    COMMUNITY_GOVERNANCE = "community_governance"


class ActivityKind(enum.StrEnum):
    """What a community activity was: counted by participants, not as cases."""

    FREE_CLINIC = "free_clinic"
    FREE_HAIRCUT = "free_haircut"
    HEALTH_CONSULTATION = "health_consultation"
    GROUP_SESSION = "group_session"
    OTHER = "other"


class PartnerRole(enum.StrEnum):
    """A partner's place in the five-party linkage (五社联动)."""

    COMMUNITY = "community"
    SOCIAL_ORGANISATION = "social_organisation"
    SOCIAL_WORKER = "social_worker"
    VOLUNTEER = "volunteer"
    CHARITY = "charity"


# --- validators --------------------------------------------------------------------------


def _count(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        where = _where(instance, attribute)
        raise InvalidValue(where, f"must be a whole number >= 0, got {value!r}")


def _hours(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    ok = (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and math.isfinite(value)
        and 0 < value <= 24
    )
    if not ok:
        where = _where(instance, attribute)
        raise InvalidValue(where, f"must be a number of hours in (0, 24], got {value!r}")


def _strings(value: Any) -> frozenset[str]:
    if isinstance(value, str):
        raise InvalidValue("target_groups", "expected a collection of strings, got one string")
    items = as_items(value, "Project.target_groups", "strings")
    if any(not isinstance(v, str) for v in items):
        raise InvalidValue("Project.target_groups", f"entries must be strings, got {value!r}")
    out = frozenset(items)
    if any(not v.strip() for v in out):
        raise InvalidValue("target_groups", "entries must be non-empty strings")
    return out


def _ids(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    items = as_items(value, "Activity.partners", "partner ids")
    for i, v in enumerate(items):
        if not isinstance(v, str) or not v.strip():
            raise InvalidValue(f"Activity.partners[{i}]", f"expected a partner id, got {v!r}")
    return items


def _area(value: Any) -> ServiceArea:
    return coerce_enum(ServiceArea, "Project.area", value)


def _kind(value: Any) -> ActivityKind:
    return coerce_enum(ActivityKind, "Activity.kind", value)


def _role(value: Any) -> PartnerRole:
    return coerce_enum(PartnerRole, "PartnerOrganisation.role", value)


# --- records -----------------------------------------------------------------------------


@attrs.frozen
class Station:
    """A township social-work station (镇街社工站)."""

    id: str = attrs.field(validator=_text)
    name: str = attrs.field(validator=_text)
    township: str = attrs.field(validator=_text)
    founded: date = attrs.field(validator=_day)


@attrs.frozen
class PlannedOutputs:
    """What a project promises, as data: ``PlannedOutputs(cases=5, sessions_per_case=10)``.

    Every figure is optional (None: not planned); ``sessions`` is cases x sessions per case.
    """

    cases: int | None = attrs.field(default=None, validator=_count)
    sessions_per_case: int | None = attrs.field(default=None, validator=_count)
    activities: int | None = attrs.field(default=None, validator=_count)
    person_times: int | None = attrs.field(default=None, validator=_count)
    volunteer_hours: int | None = attrs.field(default=None, validator=_count)

    @property
    def sessions(self) -> int | None:
        """Planned sessions in all: cases x sessions per case (None unless both are given)."""
        if self.cases is None or self.sessions_per_case is None:
            return None
        return self.cases * self.sessions_per_case

    def planned(self) -> dict[str, int]:
        """The planned figures that are set, by output name (see ``labels.OUTPUTS``)."""
        values = {
            "cases": self.cases,
            "sessions": self.sessions,
            "activities": self.activities,
            "person_times": self.person_times,
            "volunteer_hours": self.volunteer_hours,
        }
        return {k: v for k, v in values.items() if v is not None}


@attrs.frozen
class Project:
    """A project a station runs (项目): its service area, target groups, period and plan.

    A case belongs to the project when its ``programme`` is the project's ``id`` or ``name``;
    an activity when its ``project`` is the project's id.  ``end`` is the last day (inclusive).
    """

    id: str = attrs.field(validator=_text)
    name: str = attrs.field(validator=_text)
    area: ServiceArea = attrs.field(converter=_area)
    start: date = attrs.field(validator=_day)
    end: date = attrs.field(validator=_day)
    target_groups: frozenset[str] = attrs.field(default=frozenset(), converter=_strings)
    planned: PlannedOutputs = attrs.field(factory=PlannedOutputs)

    @end.validator
    def _check_end(self, attribute: attrs.Attribute[Any], value: date) -> None:
        if isinstance(self.start, date) and value < self.start:
            raise InvalidValue("Project.end", f"{value} is before the start {self.start}")

    @planned.validator
    def _check_planned(self, attribute: attrs.Attribute[Any], value: Any) -> None:
        if not isinstance(value, PlannedOutputs):
            raise InvalidValue("Project.planned", f"expected PlannedOutputs, got {value!r}")

    @property
    def end_exclusive(self) -> date:
        """The day after the last day (periods are half-open)."""
        return self.end + timedelta(days=1)

    def includes(self, programme: str | None) -> bool:
        """True when a case's ``programme`` names this project (by id or name)."""
        return programme is not None and programme in (self.id, self.name)


@attrs.frozen
class VolunteerTeam:
    """A volunteer team (志愿服务团队), e.g. 向阳花开."""

    id: str = attrs.field(validator=_text)
    name: str = attrs.field(validator=_text)
    founded: date | None = attrs.field(default=None, validator=_optional_day)


@attrs.frozen
class Volunteer:
    """A volunteer, known to reports by a pseudonymous ``id``; the name is personal."""

    id: str = attrs.field(validator=_text)
    team: str | None = attrs.field(default=None, validator=_optional_text)
    joined: date | None = attrs.field(default=None, validator=_optional_day)
    name: str | None = attrs.field(default=None, validator=_optional_text, metadata=PERSONAL)


@attrs.frozen
class PartnerOrganisation:
    """A linked organisation and its role in the five-party linkage (五社联动)."""

    id: str = attrs.field(validator=_text)
    name: str = attrs.field(validator=_text)
    role: PartnerRole = attrs.field(converter=_role)


@attrs.frozen
class VolunteerHours:
    """One volunteer's hours at one activity."""

    volunteer: str = attrs.field(validator=_text)
    hours: float = attrs.field(validator=_hours)


def _hours_list(value: Any) -> tuple[VolunteerHours, ...]:
    return as_items(value, "Activity.volunteers", "VolunteerHours")


@attrs.frozen
class Activity:
    """A community activity (义诊, 义剪, 健康咨询, 小组活动...): counted by participants.

    ``participants`` is the head count on the day (each person once); ``volunteers`` gives each
    volunteer's hours there; ``partners`` are the linked organisations that took part.
    ``notes`` is free text and therefore personal: reports drop it.
    """

    id: str = attrs.field(validator=_text)
    kind: ActivityKind = attrs.field(converter=_kind)
    on: date = attrs.field(validator=_day)
    title: str = attrs.field(validator=_text)
    place: str = attrs.field(validator=_text)
    participants: int = attrs.field(validator=_count)
    project: str | None = attrs.field(default=None, validator=_optional_text)
    volunteers: tuple[VolunteerHours, ...] = attrs.field(default=(), converter=_hours_list)
    partners: tuple[str, ...] = attrs.field(default=(), converter=_ids)
    notes: str = attrs.field(default="", metadata=PERSONAL)

    @volunteers.validator
    def _check_volunteers(self, attribute: attrs.Attribute[Any], value: tuple[Any, ...]) -> None:
        for i, v in enumerate(value):
            if not isinstance(v, VolunteerHours):
                where = f"Activity.volunteers[{i}]"
                raise InvalidValue(where, f"expected VolunteerHours, got {v!r}")
        ids = [v.volunteer for v in value]
        if len(set(ids)) != len(ids):
            raise InvalidValue("Activity.volunteers", "each volunteer is listed once")

    @property
    def volunteer_hours(self) -> float:
        """The volunteers' hours at the activity, summed."""
        return sum(v.hours for v in self.volunteers)


@attrs.frozen
class VolunteerService:
    """Volunteer hours outside a recorded activity (a home visit accompanied, an errand...).

    Hours given at an activity belong in the activity's ``volunteers``, never here too.
    """

    volunteer: str = attrs.field(validator=_text)
    on: date = attrs.field(validator=_day)
    hours: float = attrs.field(validator=_hours)
    project: str | None = attrs.field(default=None, validator=_optional_text)
    description: str = attrs.field(default="", metadata=PERSONAL)
