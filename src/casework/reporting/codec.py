"""Making the station records storable: :func:`register_types` adds them to a codec.

:func:`~casework.serialize.default_codec` calls it, so every store keeps station journals
with its default codec; call it yourself on a codec you build another way.
"""

from __future__ import annotations

from typing import Final

from casework.reporting.records import (
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
from casework.serialize import Codec

__all__ = ["REPORTING_TYPES", "register_types"]

#: The station records and enums, registered under their class names.
REPORTING_TYPES: Final[tuple[type, ...]] = (
    Station,
    Project,
    PlannedOutputs,
    ServiceArea,
    VolunteerTeam,
    Volunteer,
    PartnerOrganisation,
    PartnerRole,
    Activity,
    ActivityKind,
    VolunteerHours,
    VolunteerService,
)


def register_types(codec: Codec) -> Codec:
    """Register the station records and enums on ``codec`` (returned, for chaining)."""
    for cls in REPORTING_TYPES:
        codec.register(cls)
    return codec
