"""Recording station records as events in the station's journal, validated first.

Each helper checks its record (type, and that what it refers to was registered before: an
activity's project and volunteers, a volunteer's team) and only then calls
:meth:`Journal.record <casework.journal.Journal.record>`, which numbers the event and, with
``store=``, persists it.  A refused record raises :class:`~casework.errors.InvalidValue` and
records nothing.  Every event carries its record under one payload key:

==========================  ============  ==============================================
event type                  payload key   record
==========================  ============  ==============================================
``station_registered``      ``station``   :class:`~casework.station.Station`
``project_registered``      ``project``   :class:`~casework.station.Project`
``team_registered``         ``team``      :class:`~casework.station.VolunteerTeam`
``volunteer_registered``    ``volunteer`` :class:`~casework.station.Volunteer`
``partner_registered``      ``partner``   :class:`~casework.station.PartnerOrganisation`
``worker_registered``       ``worker``    :class:`~casework.records.Worker` (staff)
``activity_recorded``       ``activity``  :class:`~casework.station.Activity`
``volunteer_hours_recorded`` ``service``  :class:`~casework.station.VolunteerService`
``resident_registered``     ``resident``  :class:`~casework.outreach.Resident`
``outreach_visit_recorded`` ``visit``     :class:`~casework.outreach.OutreachVisit`
``outreach_referral_recorded`` ``referral`` :class:`~casework.outreach.VisitReferral`
==========================  ============  ==============================================

The outreach register's records are recorded by :mod:`casework.register`, which checks for
duplicate people and unknown residents first.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Final

from casework.errors import InvalidValue
from casework.events import Event
from casework.journal import Journal
from casework.outreach import OutreachVisit, Resident, VisitReferral
from casework.records import Worker
from casework.station import (
    Activity,
    PartnerOrganisation,
    Project,
    Station,
    Volunteer,
    VolunteerService,
    VolunteerTeam,
)

if TYPE_CHECKING:
    from casework.engine import EventSink

__all__ = [
    "EVENT_TYPES",
    "record_activity",
    "record_volunteer_hours",
    "register",
]

#: Event type -> (payload key, record class): what each station event carries.
EVENT_TYPES: Final[Mapping[str, tuple[str, type]]] = {
    "station_registered": ("station", Station),
    "project_registered": ("project", Project),
    "team_registered": ("team", VolunteerTeam),
    "volunteer_registered": ("volunteer", Volunteer),
    "partner_registered": ("partner", PartnerOrganisation),
    "worker_registered": ("worker", Worker),
    "activity_recorded": ("activity", Activity),
    "volunteer_hours_recorded": ("service", VolunteerService),
    "resident_registered": ("resident", Resident),
    "outreach_visit_recorded": ("visit", OutreachVisit),
    "outreach_referral_recorded": ("referral", VisitReferral),
}


def _ids(journal: Journal, event_type: str) -> set[str]:
    key = EVENT_TYPES[event_type][0]
    return {p[key].id for p in journal.payloads(event_type) if key in p}


def _require(journal: Journal, event_type: str, record: Any) -> None:
    key, cls = EVENT_TYPES[event_type]
    if not isinstance(journal, Journal):
        raise InvalidValue("journal", f"expected a Journal, got {journal!r}")
    if not isinstance(record, cls):
        raise InvalidValue(key, f"expected a {cls.__name__}, got {record!r}")


def _record(
    journal: Journal,
    event_type: str,
    record: Any,
    *,
    at: date | datetime,
    by: str,
    store: EventSink | None,
) -> Event:
    key = EVENT_TYPES[event_type][0]
    return journal.record(event_type, at=at, by=by, store=store, **{key: record})


def _new(journal: Journal, event_type: str, record_id: str) -> None:
    if record_id in _ids(journal, event_type):
        what = EVENT_TYPES[event_type][0]
        raise InvalidValue(f"{what}.id", f"{what} {record_id!r} is already registered")


def _known(journal: Journal, event_type: str, where: str, record_id: str | None) -> None:
    if record_id is not None and record_id not in _ids(journal, event_type):
        what = EVENT_TYPES[event_type][0]
        raise InvalidValue(where, f"no {what} {record_id!r} is registered in {journal.id!r}")


#: What each registration must refer to: (event type of the referee, where, the id read off).
_REFERENCES: Final[Mapping[type, tuple[tuple[str, str, Callable[[Any], str | None]], ...]]] = {
    Volunteer: (("team_registered", "Volunteer.team", lambda v: v.team),),
}
#: Records registered once per id (a station's details may be registered again to update them).
_REGISTERED: Final[Mapping[type, str]] = {
    cls: event_type
    for event_type, (_, cls) in EVENT_TYPES.items()
    if event_type.endswith("_registered") and cls is not Resident  # see casework.register
}


def register(
    journal: Journal,
    record: Station | Project | VolunteerTeam | Volunteer | PartnerOrganisation | Worker,
    *,
    at: date | datetime,
    by: str,
    store: EventSink | None = None,
) -> Event:
    """Register a station's details, a project, a volunteer team, a volunteer, a partner
    organisation or a member of staff, as one ``*_registered`` event.

    Ids are new (a station's details may be registered again: the latest wins); what a record
    refers to (a volunteer's team) must be registered first.
    """
    event_type = _REGISTERED.get(type(record))
    if event_type is None:
        kinds = ", ".join(sorted(cls.__name__ for cls in _REGISTERED))
        raise InvalidValue("record", f"expected one of {kinds}, got {record!r}")
    _require(journal, event_type, record)
    if not isinstance(record, Station):
        _new(journal, event_type, record.id)
    for referee, where, read in _REFERENCES.get(type(record), ()):
        _known(journal, referee, where, read(record))
    return _record(journal, event_type, record, at=at, by=by, store=store)


def record_activity(
    journal: Journal,
    activity: Activity,
    *,
    by: str,
    at: date | datetime | None = None,
    store: EventSink | None = None,
) -> Event:
    """Record a community activity (dated on its day unless ``at`` says otherwise).

    Its id is new; its project, volunteers and partners must be registered in the journal.
    """
    _require(journal, "activity_recorded", activity)
    _new(journal, "activity_recorded", activity.id)
    _known(journal, "project_registered", "Activity.project", activity.project)
    for i, v in enumerate(activity.volunteers):
        _known(journal, "volunteer_registered", f"Activity.volunteers[{i}]", v.volunteer)
    for i, p in enumerate(activity.partners):
        _known(journal, "partner_registered", f"Activity.partners[{i}]", p)
    when = activity.on if at is None else at
    return _record(journal, "activity_recorded", activity, at=when, by=by, store=store)


def record_volunteer_hours(
    journal: Journal,
    service: VolunteerService,
    *,
    by: str,
    at: date | datetime | None = None,
    store: EventSink | None = None,
) -> Event:
    """Record a volunteer's hours outside an activity (dated on its day unless ``at``)."""
    _require(journal, "volunteer_hours_recorded", service)
    _known(journal, "volunteer_registered", "VolunteerService.volunteer", service.volunteer)
    _known(journal, "project_registered", "VolunteerService.project", service.project)
    when = service.on if at is None else at
    return _record(journal, "volunteer_hours_recorded", service, at=when, by=by, store=store)
