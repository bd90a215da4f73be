"""Recording station records as events in the station's journal, validated first.

Each helper checks its record (type, and that what it refers to was registered before: an
activity's project and volunteers, a volunteer's team) and only then calls
:meth:`Journal.record <casework.journal.Journal.record>`, which numbers the event and, with
``store=``, persists it.  A refused record raises :class:`~casework.errors.InvalidValue` and
records nothing.  Every event carries its record under one payload key:

==========================  ============  ==============================================
event type                  payload key   record
==========================  ============  ==============================================
``station_registered``      ``station``   :class:`~casework.reporting.records.Station`
``project_registered``      ``project``   :class:`~casework.reporting.records.Project`
``team_registered``         ``team``      :class:`~casework.reporting.records.VolunteerTeam`
``volunteer_registered``    ``volunteer`` :class:`~casework.reporting.records.Volunteer`
``partner_registered``      ``partner``   :class:`~casework.reporting.records.PartnerOrganisation`
``worker_registered``       ``worker``    :class:`~casework.records.Worker` (staff)
``activity_recorded``       ``activity``  :class:`~casework.reporting.records.Activity`
``volunteer_hours_recorded`` ``service``  :class:`~casework.reporting.records.VolunteerService`
==========================  ============  ==============================================
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Final

from casework.errors import InvalidValue
from casework.events import Event
from casework.journal import Journal
from casework.records import Worker
from casework.reporting.records import (
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
    "register_partner",
    "register_project",
    "register_station",
    "register_team",
    "register_volunteer",
    "register_worker",
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


def register_station(
    journal: Journal,
    station: Station,
    *,
    at: date | datetime,
    by: str,
    store: EventSink | None = None,
) -> Event:
    """Record the station's own details (a later registration replaces an earlier one)."""
    _require(journal, "station_registered", station)
    return _record(journal, "station_registered", station, at=at, by=by, store=store)


def register_project(
    journal: Journal,
    project: Project,
    *,
    at: date | datetime,
    by: str,
    store: EventSink | None = None,
) -> Event:
    """Register a project with its service area, period and planned outputs (a new id)."""
    _require(journal, "project_registered", project)
    _new(journal, "project_registered", project.id)
    return _record(journal, "project_registered", project, at=at, by=by, store=store)


def register_team(
    journal: Journal,
    team: VolunteerTeam,
    *,
    at: date | datetime,
    by: str,
    store: EventSink | None = None,
) -> Event:
    """Register a volunteer team (a new id)."""
    _require(journal, "team_registered", team)
    _new(journal, "team_registered", team.id)
    return _record(journal, "team_registered", team, at=at, by=by, store=store)


def register_volunteer(
    journal: Journal,
    volunteer: Volunteer,
    *,
    at: date | datetime,
    by: str,
    store: EventSink | None = None,
) -> Event:
    """Register a volunteer (a new id; their team, if any, must be registered first)."""
    _require(journal, "volunteer_registered", volunteer)
    _new(journal, "volunteer_registered", volunteer.id)
    _known(journal, "team_registered", "Volunteer.team", volunteer.team)
    return _record(journal, "volunteer_registered", volunteer, at=at, by=by, store=store)


def register_partner(
    journal: Journal,
    partner: PartnerOrganisation,
    *,
    at: date | datetime,
    by: str,
    store: EventSink | None = None,
) -> Event:
    """Register a linked partner organisation (a new id)."""
    _require(journal, "partner_registered", partner)
    _new(journal, "partner_registered", partner.id)
    return _record(journal, "partner_registered", partner, at=at, by=by, store=store)


def register_worker(
    journal: Journal,
    worker: Worker,
    *,
    at: date | datetime,
    by: str,
    store: EventSink | None = None,
) -> Event:
    """Register a member of staff (a social worker, intern...) with the station (a new id)."""
    _require(journal, "worker_registered", worker)
    _new(journal, "worker_registered", worker.id)
    return _record(journal, "worker_registered", worker, at=at, by=by, store=store)


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
