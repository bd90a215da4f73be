"""Making the station records storable: register them on a codec.

Stores write payloads with a :class:`~casework.serialize.Codec`; the station records are not
(yet) in :func:`~casework.serialize.default_codec`, so a store that keeps a station journal
needs a codec that knows them::

    store = SQLiteStore(path, codec=reporting_codec())
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
from casework.serialize import Codec, default_codec

__all__ = ["REPORTING_TYPES", "register_types", "reporting_codec"]

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


def reporting_codec() -> Codec:
    """The same as :func:`~casework.serialize.default_codec`, which registers the station
    records itself; kept so code written before that keeps working."""
    return default_codec()
