"""The station records, re-exported where reporting code has always found them.

They are write-side facts recorded in journals and live in :mod:`casework.station`.
"""

from casework.station import (
    Activity,
    ActivityKind,
    PartnerOrganisation,
    PartnerRole,
    PlannedOutputs,
    Project,
    ServiceArea,
    Station,
    Volunteer,
    VolunteerHours,
    VolunteerService,
    VolunteerTeam,
)

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
